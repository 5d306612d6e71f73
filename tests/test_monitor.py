"""The team-lead monitor: aggregates, who may see what, the live consumer, the CSV export."""

import asyncio
import csv
import io
import itertools
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
from agentdesk.monitor.live import Change

from .helpers import add_contact, log_into

pytestmark = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"


def log(profile, kind, minutes_ago=0, now=None, **fields):
    entry = ActionLog.objects.create(agent=profile, team=profile.team, kind=kind, **fields)
    at = (now or timezone.now()) - timedelta(minutes=minutes_ago)
    ActionLog.objects.filter(pk=entry.pk).update(at=at)
    return entry


def test_agent_and_queue_aggregates(agents):
    alice, bob, carol = agents["alice"], agents["bob"], agents["carol"]
    # Noon today: "90 minutes ago" is today whatever time the test runs at.
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    log(alice, "next", now=noon, lcm_key="k1", campaign_group=SALES, minutes_ago=90)
    log(alice, "skip", now=noon, outcome_id=8, outcome_name="No Answer", campaign_group=SALES)
    log(alice, "next", now=noon, lcm_key="k2", campaign_group=SALES)
    log(alice, "skip", now=noon, outcome_id=8, outcome_name="No Answer", campaign_group=SALES)
    log(
        alice, "next", now=noon, campaign_group=SALES, result="No contact available"
    )  # nothing served
    log(alice, "next", now=noon, ok=False, error="LCM is unreachable", campaign_group=SALES)
    log(bob, "reserved", now=noon, lcm_key="k3", campaign_group=SALES)
    log(bob, "skip", now=noon, outcome_id=3, outcome_name="Busy", campaign_group=SALES)
    log(bob, "add", now=noon, lcm_key="k4", campaign_group=SALES)
    log(carol, "next", now=noon, lcm_key="k5", campaign_group="Service Manual Group")  # other team
    log(
        alice, "next", now=noon, lcm_key="old", campaign_group=SALES, minutes_ago=60 * 24 * 2
    )  # not today
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

    rows = {row.profile.user.username: row for row in stats.agent_rows(alice.team, now=noon)}
    assert set(rows) == {"alice", "bob"}
    a = rows["alice"]
    assert (a.fetched, a.skipped, a.added, a.errors) == (2, 2, 0, 1)
    assert a.skipped_by_outcome == [("8 No Answer", 2)]
    assert a.live and a.masked_phone == "···0123"
    b = rows["bob"]
    assert (b.fetched, b.skipped, b.added, b.errors, b.live) == (1, 1, 1, 0, False)

    queues = {
        q.name: q for q in stats.queue_rows(alice.team, list(rows.values()), {SALES: 42}, now=noon)
    }
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
    rows = await monitor.receive_from(timeout=5)  # the queue's row, in a frame of its own
    assert rows.startswith("<tr") and SALES in rows and 'hx-swap-oob="true"' in rows
    assert 'id="monitor-charts"' in await monitor.receive_from(timeout=5)  # then the charts

    await actions.next_contact(
        agents["carol"], campaign_group="Service Manual Group", consent="Both"
    )
    assert await monitor.receive_nothing(timeout=0.3)
    await monitor.disconnect()


async def test_a_team_nobody_watches_costs_its_agents_no_question_per_action(
    agents, settings, monkeypatch
):
    """Remembered for MONITOR_UNWATCHED_SECONDS: the agents' actions skip the question; a
    monitor that opens meanwhile renders its team once more afterwards, so it misses nothing."""
    from agentdesk.monitor import push

    settings.MONITOR_UNWATCHED_SECONDS = 0.5
    asked: list[int] = []
    original = push._watched
    monkeypatch.setattr(
        push, "_watched", lambda team_id: asked.append(team_id) or original(team_id)
    )
    clock = [1000.0]  # the memory's clock stands still however slow the machine is
    monkeypatch.setattr(push, "_now", lambda: clock[0])
    for n in range(3):
        await sync_to_async(add_contact)(phone=f"202555017{n}")
    alice, blue = agents["alice"], agents["alice"].team_id

    assert (await actions.next_contact(alice, campaign_group=SALES, consent="Both")).ok
    await _background_pushes()
    assert (await actions.skip_contact(alice, outcome_id="8")).ok
    await _background_pushes()
    assert asked == [blue]  # asked once, remembered for the second action

    monitor, connected = await watch(agents["lead"], blue)
    assert connected
    assert 'id="monitor-agents"' in await monitor.receive_from(timeout=5)
    assert (await actions.next_contact(alice, campaign_group=SALES, consent="Both")).ok
    await _background_pushes()
    assert asked == [blue]  # still remembered: no push for this change...
    late = await monitor.receive_from(timeout=3)  # ...until the late resync brings it
    assert "···0171" in late and 'id="monitor-agents"' in late
    clock[0] += 0.6
    assert (await actions.skip_contact(alice, outcome_id="8")).ok
    pushed = await monitor.receive_from(timeout=5)  # the memory has expired: pushed again
    assert 'hx-swap-oob="true"' in pushed and "Skip" in pushed
    assert asked == [blue, blue]
    await monitor.disconnect()


async def _background_pushes() -> None:
    from agentdesk.monitor import push

    while push._background:
        await asyncio.gather(*list(push._background), return_exceptions=True)


async def test_monitor_updates_take_turns_and_pause_so_agents_keep_the_worker(monkeypatch):
    """One team rendered at a time, each followed by a pause twice its length; changes that
    arrive meanwhile go out together in the next update."""
    from agentdesk.monitor import push

    renders: list[tuple[int, set[int], float, float]] = []

    async def render(team_id: int, change: Change) -> None:
        started = asyncio.get_running_loop().time()
        await asyncio.sleep(0.05)
        renders.append((team_id, set(change.agents), started, asyncio.get_running_loop().time()))

    monkeypatch.setattr(push, "_publish_team_now", render)
    first = asyncio.create_task(push.publish_team(1, 11))
    await asyncio.sleep(0)
    second = asyncio.create_task(push.publish_team(2, 21))
    await asyncio.sleep(0.01)
    for agent in (12, 13):  # team 1 changes again while its first update renders
        await push.publish_team(1, agent)
    await asyncio.gather(first, second)

    assert [(team, agents) for team, agents, _, _ in renders] == [
        (1, {11}),
        (2, {21}),
        (1, {12, 13}),  # the two later changes, together
    ]
    for (_, _, _, ended), (_, _, started, _) in itertools.pairwise(renders):
        assert started - ended >= 2 * 0.05 * 0.9  # the pause after each update
