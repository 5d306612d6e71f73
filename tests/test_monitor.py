"""The team-lead monitor: aggregates, who may see what, the live consumer, the CSV export."""

import csv
import io
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from agentdesk.desk import actions
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.monitor import stats
from agentdesk.monitor.consumers import MonitorConsumer

from .helpers import add_contact, log_into

pytestmark = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"


def log(profile, kind, minutes_ago=0, **fields):
    entry = ActionLog.objects.create(agent=profile, team=profile.team, kind=kind, **fields)
    ActionLog.objects.filter(pk=entry.pk).update(at=timezone.now() - timedelta(minutes=minutes_ago))
    return entry


def test_agent_and_queue_aggregates(agents):
    alice, bob, carol = agents["alice"], agents["bob"], agents["carol"]
    log(alice, "next", lcm_key="k1", campaign_group=SALES, minutes_ago=90)
    log(alice, "skip", outcome_id=8, outcome_name="No Answer", campaign_group=SALES)
    log(alice, "next", lcm_key="k2", campaign_group=SALES)
    log(alice, "skip", outcome_id=8, outcome_name="No Answer", campaign_group=SALES)
    log(alice, "next", campaign_group=SALES, result="No contact available")  # nothing served
    log(alice, "next", ok=False, error="LCM is unreachable", campaign_group=SALES)
    log(bob, "reserved", lcm_key="k3", campaign_group=SALES)
    log(bob, "skip", outcome_id=3, outcome_name="Busy", campaign_group=SALES)
    log(bob, "add", lcm_key="k4", campaign_group=SALES)
    log(carol, "next", lcm_key="k5", campaign_group="Service Manual Group")  # other team
    log(alice, "next", lcm_key="old", campaign_group=SALES, minutes_ago=60 * 24 * 2)  # not today
    AgentSession.objects.create(
        agent=alice,
        state="previewing",
        campaign_group=SALES,
        contact={
            "PhoneNumber": "2025550123",
            "AccountNumber": "k",
            "CampaignId": "Spring Renewals",
        },
        connections=1,
        seen_until=timezone.now() + timedelta(minutes=1),
    )
    AgentSession.objects.create(agent=bob, campaign_group=SALES)

    rows = {row.profile.user.username: row for row in stats.agent_rows(alice.team)}
    assert set(rows) == {"alice", "bob"}
    a = rows["alice"]
    assert (a.fetched, a.skipped, a.added, a.errors) == (2, 2, 0, 1)
    assert a.skipped_by_outcome == [("8 No Answer", 2)]
    assert a.live and a.masked_phone == "···0123"
    b = rows["bob"]
    assert (b.fetched, b.skipped, b.added, b.errors, b.live) == (1, 1, 1, 0, False)

    queues = {q.name: q for q in stats.queue_rows(alice.team, list(rows.values()), {SALES: 42})}
    sales = queues[SALES]
    assert (sales.served_today, sales.served_last_hour, sales.adds) == (3, 2, 1)
    assert sales.skips_by_outcome == [("8 No Answer", 2), ("3 Busy", 1)]
    assert sales.agents_now == [a.profile.display_name]  # bob is neither connected nor busy
    assert sales.open_contacts == 42
    assert queues["Service Manual Group"].open_contacts is None  # alice's other group: unknown
    assert "k5" not in {e.lcm_key for e in stats.feed(alice.team)}


def test_time_in_state_comes_from_the_session(agents):
    since = timezone.now() - timedelta(minutes=7)
    AgentSession.objects.create(agent=agents["alice"], state_since=since)
    row = next(r for r in stats.agent_rows(agents["alice"].team) if r.profile == agents["alice"])
    assert row.session.state_since == since


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_who_may_open_the_monitor(agents):
    from django.contrib.auth import get_user_model

    blue = agents["alice"].team
    green = agents["carol"].team
    assert Client().get("/monitor/").status_code == 302
    assert Client().get(f"/monitor/{blue.pk}/")["Location"].startswith("/accounts/login/")
    assert client_for(agents["alice"].user).get("/monitor/").status_code == 403
    assert client_for(agents["alice"].user).get(f"/monitor/{blue.pk}/").status_code == 403
    lead = client_for(agents["lead"])
    assert lead.get("/monitor/")["Location"] == f"/monitor/{blue.pk}/"
    page = lead.get(f"/monitor/{blue.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "alice" in html and "a1@test" in html and "a3@test" not in html
    assert f'ws-connect="/ws/monitor/{blue.pk}/"' in html
    assert lead.get(f"/monitor/{green.pk}/").status_code == 404
    assert lead.get(f"/monitor/{green.pk}/export.csv").status_code == 404
    admin = get_user_model().objects.create(username="root", is_superuser=True, is_staff=True)
    assert client_for(admin).get(f"/monitor/{green.pk}/").status_code == 200


def test_a_lead_opening_the_agent_page_is_sent_to_the_monitor(agents):
    response = client_for(agents["lead"]).get("/")
    assert response.status_code == 302 and response["Location"] == "/monitor/"


def test_csv_export_of_a_day(agents):
    alice, carol = agents["alice"], agents["carol"]
    log(alice, "next", lcm_key="1|1|1|0|0|84|1", campaign_group=SALES, phone_last4="0123")
    log(alice, "skip", outcome_id=8, outcome_name="No Answer", result="=HYPERLINK(1)")
    log(alice, "next", lcm_key="yesterday", minutes_ago=60 * 24 + 5)
    log(carol, "next", lcm_key="other-team")
    lead = client_for(agents["lead"])
    team = alice.team
    response = lead.get(f"/monitor/{team.pk}/export.csv?date={timezone.localdate()}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["action"] for r in rows] == ["next", "skip"]
    assert rows[0]["lcm_key"] == "1|1|1|0|0|84|1" and rows[0]["agent"] == "alice"
    assert rows[1]["outcome"] == "No Answer" and rows[1]["result"] == "'=HYPERLINK(1)"
    yesterday = timezone.localdate() - timedelta(days=1)
    rows = list(
        csv.DictReader(
            io.StringIO(
                lead.get(f"/monitor/{team.pk}/export.csv?date={yesterday}").content.decode()
            )
        )
    )
    assert [r["lcm_key"] for r in rows] == ["yesterday"]
    bad = lead.get(f"/monitor/{team.pk}/export.csv?date=last-tuesday")
    assert bad.status_code == 400 and b"YYYY-MM-DD" in bad.content


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_csv_export_of_the_calendars_edge_days_is_refused_not_a_crash(agents, settings, zone):
    settings.TIME_ZONE = zone
    log(agents["alice"], "next", lcm_key="today")
    lead = client_for(agents["lead"])
    lead.raise_request_exception = True  # a crash fails the test instead of answering 500
    team = agents["alice"].team
    for day in ["9999-12-31", "0001-01-01"]:
        response = lead.get(f"/monitor/{team.pk}/export.csv?date={day}")
        if response.status_code == 200:  # a day that exists in UTC here: empty, not a crash
            assert list(csv.DictReader(io.StringIO(response.content.decode()))) == []
        else:
            assert response.status_code == 400 and b"out of range" in response.content, day
    assert lead.get(f"/monitor/{team.pk}/export.csv?date=9999-12-30").status_code == 200


async def watch(user, team_id):
    communicator = WebsocketCommunicator(MonitorConsumer.as_asgi(), f"/ws/monitor/{team_id}/")
    await log_into(communicator, user)
    communicator.scope["url_route"] = {"kwargs": {"team_id": team_id}}
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_the_monitor_updates_live_and_only_for_its_team(agents):
    await sync_to_async(add_contact)(phone="2025550166")
    blue, green = agents["alice"].team_id, agents["carol"].team_id
    monitor, connected = await watch(agents["lead"], blue)
    assert connected
    first = await monitor.receive_from(timeout=5)
    assert 'id="monitor-agents"' in first  # resync on connect
    _, connected = await watch(agents["alice"].user, blue)
    assert not connected
    _, connected = await watch(agents["lead"], green)
    assert not connected

    result = await actions.next_contact(agents["alice"], campaign_group=SALES, consent="Both")
    assert result.ok
    push = await monitor.receive_from(timeout=5)
    assert "···0166" in push and 'hx-swap-oob="true"' in push
    assert "Next contact" in push  # the feed

    await actions.next_contact(
        agents["carol"], campaign_group="Service Manual Group", consent="Both"
    )
    assert await monitor.receive_nothing(timeout=0.3)
    await monitor.disconnect()


async def test_teams_asking_at_once_whether_a_monitor_is_open_share_one_query(agents, monkeypatch):
    """A reconnect storm after a deploy announces the agents of every team at once: one query
    answers every team asked meanwhile, and a team asked again later gets a fresh answer."""
    import asyncio

    from agentdesk.monitor import push
    from agentdesk.teams.models import Team

    teams = await sync_to_async(
        lambda: [Team.objects.create(name=f"Storm {n}", monitors_open=n % 2) for n in range(10)]
    )()
    queries: list[list[int]] = []
    original = push._watched_teams

    def counting(team_ids):
        queries.append(sorted(team_ids))
        return original(team_ids)

    monkeypatch.setattr(push, "_watched_teams", counting)
    answers = await asyncio.gather(*(push.watched(team.pk) for team in teams))
    assert answers == [n % 2 == 1 for n in range(10)]
    assert queries == [sorted(team.pk for team in teams)]

    await sync_to_async(Team.objects.filter(pk=teams[0].pk).update)(monitors_open=1)
    assert await push.watched(teams[0].pk)  # a monitor opened since: seen
    assert len(queries) == 2
