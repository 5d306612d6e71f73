"""Callbacks: checked before they are booked (calling hours in the contact's zone, do-not-call,
expiry, past, days ahead), booked once whatever happens to LCM's answer, listed for the lead
(due today, overdue) and moved by a lead when an agent left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agentdesk.compliance.models import CampaignPolicy, DoNotCallEntry
from agentdesk.desk import actions, callback_rules, callbacks, wrapup
from agentdesk.desk.models import ActionLog, AgentSession, Callback
from agentdesk.desk.onscreen import key_on_screen
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact

NY = "America/New_York"
# A Tuesday, 15:00 in New York.
NOW = datetime(2026, 12, 8, 20, 0, tzinfo=UTC)


def window(start: str, end: str, zone: str = NY) -> callback_rules.Window:
    read, problems = callback_rules.read_window(
        datetime.fromisoformat(start), datetime.fromisoformat(end), zone
    )
    assert read is not None, problems
    return read


def check(win: callback_rules.Window, **kwargs) -> list[callback_rules.Refusal]:
    args = {"campaign": "Spring Renewals", "number_e164": "", "expires_at": None, "now": NOW}
    return callback_rules.check(win, **{**args, **kwargs})


# ------------------------------------------------------------------ the rules, one by one


@pytest.mark.django_db
def test_a_window_inside_calling_hours_in_their_zone_may_be_booked():
    assert check(window("2026-12-09T10:00", "2026-12-09T12:00")) == []


@pytest.mark.django_db
def test_a_start_outside_calling_hours_in_their_zone_is_refused_with_the_next_allowed_start():
    # 07:00 in New York is 13:00 in Berlin: the contact's zone decides.
    problems = check(window("2026-12-09T07:00", "2026-12-09T09:00"))
    assert [p.field for p in problems] == ["start"]
    assert "08:00–21:00 their time (America/New_York)" in problems[0].message
    assert "next allowed start is Wed 09 Dec 2026, 08:00 their time" in problems[0].message


@pytest.mark.django_db
def test_a_window_running_past_the_end_of_calling_hours_is_refused_on_its_end():
    problems = check(window("2026-12-09T20:00", "2026-12-09T22:00"))
    assert [p.field for p in problems] == ["end"]
    assert "must end by 21:00" in problems[0].message


@pytest.mark.django_db
def test_a_day_the_campaign_does_not_call_is_refused():
    CampaignPolicy.objects.create(campaign="Spring Renewals", weekdays="12345")
    problems = check(window("2026-12-12T10:00", "2026-12-12T11:00"))  # a Saturday
    assert [p.field for p in problems] == ["start"]
    assert "Mon 14 Dec 2026, 08:00" in problems[0].message


@pytest.mark.django_db
def test_calling_hours_off_allows_any_time():
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.OFF)
    assert check(window("2026-12-09T03:00", "2026-12-09T04:00")) == []


@pytest.mark.django_db
def test_a_start_in_the_past_is_refused_saying_what_time_it_is():
    problems = check(window("2026-12-08T09:00", "2026-12-08T10:00"))
    assert problems and problems[0].field == "start"
    assert "in the past" in problems[0].message and "Tue 08 Dec 2026, 15:00" in problems[0].message


@pytest.mark.django_db
def test_more_than_the_configured_days_ahead_is_refused(settings):
    settings.CALLBACK_MAX_DAYS_AHEAD = 30
    problems = check(window("2027-01-08T10:00", "2027-01-08T11:00"))
    assert [p.field for p in problems] == ["start"]
    assert "at most 30 days ahead" in problems[0].message
    settings.CALLBACK_MAX_DAYS_AHEAD = 40
    assert check(window("2027-01-08T10:00", "2027-01-08T11:00")) == []


@pytest.mark.django_db
def test_a_window_after_the_contact_expires_is_refused():
    expires = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)  # 11:00 in New York
    problems = check(window("2026-12-09T10:00", "2026-12-09T12:00"), expires_at=expires)
    assert [p.field for p in problems] == ["end"]
    assert "expires at Wed 09 Dec 2026, 11:00 their time" in problems[0].message


@pytest.mark.django_db
def test_a_do_not_call_number_is_refused_and_says_when_the_listing_ends():
    DoNotCallEntry.objects.create(
        number="+12025550100",
        reason="asked",
        added_by="test",
        expires_at=datetime(2026, 12, 20, 15, 0, tzinfo=UTC),
    )
    problems = check(window("2026-12-09T10:00", "2026-12-09T12:00"), number_e164="+12025550100")
    assert [p.field for p in problems] == ["mode_id"]
    assert "do-not-call list (asked)" in problems[0].message
    assert "allowed from Sun 20 Dec 2026, 10:00 their time" in problems[0].message
    # After the listing ends the same number may be booked.
    assert check(window("2026-12-21T10:00", "2026-12-21T12:00"), number_e164="+12025550100") == []


def test_a_time_the_clocks_skip_is_refused():
    read, problems = callback_rules.read_window(
        datetime(2027, 3, 14, 2, 30), datetime(2027, 3, 14, 4, 0), NY
    )
    assert read is None and problems[0].field == "start"
    assert "clocks skip it" in problems[0].message


def test_an_end_before_the_start_is_refused_on_the_end():
    read, problems = callback_rules.read_window(
        datetime(2026, 12, 9, 12, 0), datetime(2026, 12, 9, 10, 0), NY
    )
    assert read is None and [p.field for p in problems] == ["end"]


def test_the_window_is_read_in_the_contacts_zone():
    read = window("2026-12-09T10:00", "2026-12-09T12:00", "Europe/London")
    assert read.starts_at == datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    read = window("2026-12-09T10:00", "2026-12-09T12:00", NY)
    assert read.starts_at == datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


# ------------------------------------------------------------------ booking through LCM

pytestmark_sim = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"


@sync_to_async
def db(func, *args, **kwargs):
    return func(*args, **kwargs)


def tomorrow_in(zone: str, hour: int) -> datetime:
    local = timezone.now().astimezone(ZoneInfo(zone)) + timedelta(days=1)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


async def on_screen(profile) -> AgentSession:
    result = await actions.next_contact(profile, campaign_group=SALES, consent="Both")
    assert result.ok and result.session is not None, result.message
    return result.session


async def callback_form(session: AgentSession, **fields) -> dict[str, Any]:
    from agentdesk.desk import details

    found = await details.load(session.call_id, key_on_screen(session) or "")
    start = tomorrow_in(NY, 10)
    data = {
        "contact_key": key_on_screen(session) or "",
        "session_version": str(session.version),
        "request_token": "tok-1",
        "kind": "regular",
        "mode_id": str(found.callback_modes[0].mode_id),
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "comment": "Wants the offer in writing",
        "lead_score": "70",
        "target_amount": "1250.50",
    }
    return {**data, **fields}


@pytest.fixture
def key(agents) -> str:
    return add_contact()


@pytestmark_sim
async def test_a_regular_callback_is_booked_in_lcm_and_recorded(agents, key):
    alice = agents["alice"]
    session = await on_screen(alice)
    done = await wrapup.book_callback(alice, await callback_form(session))
    assert done.result.ok, done.result.message
    assert "Callback booked" in done.result.message and "their time" in done.result.message
    row = await db(Callback.objects.get)
    assert row.status == Callback.BOOKED and row.kind == Callback.REGULAR
    assert row.call_id == session.call_id and row.lcm_key == key
    assert row.local_start.hour == 10 and str(row.target_amount) == "1250.50"
    assert row.lead_score == 70 and row.comment == "Wants the offer in writing"
    entry = await db(ActionLog.objects.get, kind=ActionLog.CALLBACK)
    assert entry.ok and entry.call_id == session.call_id
    assert entry.comment == "Wants the offer in writing"
    assert entry.result.startswith("Regular callback")
    # The contact stays on screen: the agent closes it with an outcome afterwards.
    after = await db(AgentSession.objects.get, agent=alice)
    assert after.state == AgentSession.PREVIEWING


@pytestmark_sim
async def test_a_refused_window_sends_nothing_to_lcm(agents, key, lcm_behind_proxy):
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session)
    start = tomorrow_in(NY, 6)
    form.update(
        start=start.strftime("%Y-%m-%dT%H:%M"),
        end=(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    )
    lcm_behind_proxy.received.clear()
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok and "cannot be booked" in done.result.message
    assert "08:00–21:00 their time" in done.result.message
    assert done.form is not None and "start" in done.form.errors
    assert lcm_behind_proxy.received["SetCallbackWithComments"] == 0
    assert await db(Callback.objects.count) == 0


@pytestmark_sim
async def test_a_lost_answer_says_may_have_and_the_retry_books_no_twin(
    agents, key, lcm_behind_proxy
):
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session, request_token="tok-lost")
    lcm_behind_proxy.answer("SetCallbackWithComments", "", status=504, forward_first=True)
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok and "may have booked" in done.result.message
    assert done.form is not None  # the entries are kept
    row = await db(Callback.objects.get)
    assert row.status == Callback.UNKNOWN
    lcm_behind_proxy.answers.clear()
    again = await wrapup.book_callback(alice, form)
    assert again.result.ok, again.result.message
    assert await db(Callback.objects.count) == 1
    assert (await db(Callback.objects.get)).status == Callback.BOOKED
    # A third press of the same form is answered from agentdesk's record, not sent.
    sent = lcm_behind_proxy.received["SetCallbackWithComments"]
    third = await wrapup.book_callback(alice, form)
    assert third.result.ok and "already booked" in third.result.message
    assert lcm_behind_proxy.received["SetCallbackWithComments"] == sent
    assert await db(Callback.objects.count) == 1


@pytestmark_sim
async def test_lcm_unreachable_keeps_the_form_and_the_contact(agents, key, lcm_behind_proxy):
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session)
    lcm_behind_proxy.set("refuse")
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok and done.result.level == "error"
    assert done.form is not None and done.form.data["comment"] == "Wants the offer in writing"
    assert await db(Callback.objects.count) == 0  # nothing reached LCM
    after = await db(AgentSession.objects.get, agent=alice)
    assert after.state == AgentSession.PREVIEWING and after.call_id == session.call_id


@pytestmark_sim
async def test_a_form_for_an_earlier_attempt_is_refused(agents, key):
    await db(add_contact, phone="2025550101")
    alice = agents["alice"]
    first = await on_screen(alice)
    form = await callback_form(first)
    await actions.skip_contact(alice, outcome_id="8")
    await on_screen(alice)
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok and "contact on your screen changed" in done.result.message
    assert await db(Callback.objects.count) == 0


@pytestmark_sim
async def test_a_personal_callback_comes_back_to_its_agent_through_reserved(agents, key):
    alice = agents["alice"]
    session = await on_screen(alice)
    start = tomorrow_in(NY, 10)
    form = await callback_form(session, kind="personal")
    done = await wrapup.book_callback(alice, form)
    assert done.result.ok, done.result.message
    # LCM reschedules the contact for alice alone (it comes back through her Reserved).
    held = await db(Contact.objects.get, lcm_key=key)
    assert held.reserved_for == "a1@test" and held.held_by == ""
    row = await db(Callback.objects.get)
    assert row.kind == Callback.PERSONAL and row.agent_id == alice.pk
    assert row.local_start.replace(tzinfo=None) == start


# ------------------------------------------------------------------ the lead's view


def _booked(agent, *, kind=Callback.PERSONAL, starts_in=timedelta(hours=1), request="t"):
    start = timezone.now() + starts_in
    return Callback.objects.create(
        agent=agent,
        booked_by=agent,
        team=agent.team,
        kind=kind,
        status=Callback.BOOKED,
        lcm_key="1|2|3|0|0|84|77",
        call_id="c" * 32,
        campaign="Spring Renewals",
        mode_id=1,
        phone_last4="0100",
        time_zone=NY,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        request_token=request,
    )


@pytest.mark.django_db
def test_the_monitor_lists_each_agents_callbacks_due_today_and_overdue(agents):
    alice, bob = agents["alice"], agents["bob"]
    now = timezone.now().replace(hour=12, minute=0)
    _booked(alice, starts_in=(now - timezone.now()) + timedelta(minutes=30), request="a")
    _booked(alice, starts_in=(now - timezone.now()) - timedelta(hours=3), request="b")
    _booked(bob, starts_in=timedelta(days=3), request="c")  # not today
    due = callbacks.due_for_team(alice.team_id, now=now)
    assert [(g.agent.pk, len(g.due_today), len(g.overdue)) for g in due] == [(alice.pk, 1, 1)]


@pytestmark_sim
async def test_a_lead_moves_a_personal_callback_to_another_agent_of_the_team(agents, key):
    alice, bob = agents["alice"], agents["bob"]
    session = await on_screen(alice)
    done = await wrapup.book_callback(alice, await callback_form(session, kind="personal"))
    assert done.result.ok, done.result.message
    row = await db(Callback.objects.get)
    moved = await actions.reassign_callback("lena", alice.team_id, row.pk, bob)
    assert moved.ok, moved.message
    rows = await db(lambda: list(Callback.objects.order_by("pk").values_list("agent_id", "status")))
    assert rows == [(alice.pk, Callback.REASSIGNED), (bob.pk, Callback.BOOKED)]
    entry = await db(ActionLog.objects.get, kind=ActionLog.REASSIGN)
    assert entry.agent_id == bob.pk and entry.actor == "lena" and entry.lcm_key == key
    # Moving it again finds nothing to move.
    again = await actions.reassign_callback("lena", alice.team_id, row.pk, bob)
    assert not again.ok and "no longer be moved" in again.message


@pytestmark_sim
async def test_a_callback_cannot_be_moved_to_an_agent_of_another_team(agents):
    row = await db(_booked, agents["alice"])
    moved = await actions.reassign_callback(
        "lena", agents["alice"].team_id, row.pk, agents["carol"]
    )
    assert not moved.ok and "agent of this team" in moved.message
    assert (await db(Callback.objects.get, pk=row.pk)).status == Callback.BOOKED


def _fetched_from(row: Callback, group: str) -> None:
    ActionLog.objects.create(
        agent=row.agent, kind=ActionLog.NEXT, call_id=row.call_id, campaign_group=group
    )


@pytestmark_sim
async def test_a_callback_is_moved_only_to_an_agent_who_works_its_campaign_group(agents):
    """Bob works Sales only: Alice's Service callback would come back to him in a group he
    never fetches from, so the move is refused before LCM is asked."""
    row = await db(_booked, agents["alice"])
    await db(_fetched_from, row, "Service Manual Group")

    moved = await actions.reassign_callback("lena", agents["alice"].team_id, row.pk, agents["bob"])

    assert not moved.ok
    assert "does not work the campaign group Service Manual Group" in moved.message
    assert (await db(Callback.objects.get, pk=row.pk)).status == Callback.BOOKED
    assert not await db(ActionLog.objects.filter(kind=ActionLog.REASSIGN).exists)


@pytestmark_sim
def test_the_panel_offers_only_agents_of_the_callbacks_group(agents):
    from agentdesk.monitor.callback_views import callbacks_context

    service = _booked(agents["alice"], request="service")
    _fetched_from(service, "Service Manual Group")
    sales = _booked(agents["alice"], request="sales")
    sales.call_id = "d" * 32
    sales.save()
    _fetched_from(sales, "Sales Manual Group")

    offered = dict(callbacks_context(agents["alice"].team)["personal"])

    assert offered[service] == []  # Bob is the team's only other agent, and works Sales
    assert offered[sales] == [agents["bob"]]


@pytestmark_sim
def test_the_reassign_page_is_for_leads_of_the_team_only(agents, client):
    row = _booked(agents["alice"])
    url = f"/monitor/{agents['alice'].team_id}/callbacks/{row.pk}/reassign"
    client.force_login(agents["bob"].user)
    assert client.post(url, {"agent": agents["bob"].pk}).status_code == 404
    client.force_login(agents["lead"])
    answer = client.post(url, {"agent": "x"}).content.decode()
    assert "choose an agent of this team" in answer
    assert Callback.objects.get(pk=row.pk).status == Callback.BOOKED


class _Stopped(Exception):
    """The worker stopping while LCM has the booking (what a SIGKILL leaves, in-process)."""


@pytestmark_sim
async def test_a_worker_stopped_mid_booking_leaves_a_log_row_and_the_retry_books_once(
    agents, key, monkeypatch
):
    from agentdesk.lcm import client as lcm_client

    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session, request_token="tok-stop")
    real_call = lcm_client.LcmClient.call

    async def lcm_acts_then_worker_stops(self, request):
        exchange = await real_call(self, request)
        if request.SUBTOPIC == "SetCallbackWithComments":
            raise _Stopped
        return exchange

    monkeypatch.setattr(lcm_client.LcmClient, "call", lcm_acts_then_worker_stops)
    with pytest.raises(_Stopped):
        await wrapup.book_callback(alice, form)
    monkeypatch.setattr(lcm_client.LcmClient, "call", real_call)
    # The next step settles the write left in flight: a log row says LCM may have booked it.
    again = await wrapup.book_callback(alice, form)
    assert again.result.ok, again.result.message
    rows = await db(
        lambda: list(
            ActionLog.objects.filter(kind=ActionLog.CALLBACK)
            .order_by("pk")
            .values_list("ok", "result")
        )
    )
    assert rows[0] == (False, "outcome unknown") and rows[-1][0] is True
    assert await db(Callback.objects.count) == 1
    assert (await db(Callback.objects.get)).status == Callback.BOOKED


@pytestmark_sim
async def test_a_move_whose_worker_stopped_is_settled_and_can_be_moved_again(
    agents, key, monkeypatch, settings
):
    from agentdesk.lcm import client as lcm_client

    alice, bob = agents["alice"], agents["bob"]
    session = await on_screen(alice)
    done = await wrapup.book_callback(alice, await callback_form(session, kind="personal"))
    assert done.result.ok, done.result.message
    row = await db(Callback.objects.get)
    real_call = lcm_client.LcmClient.call

    async def lcm_moves_then_worker_stops(self, request):
        exchange = await real_call(self, request)
        if request.SUBTOPIC == "SetPersonalCallbackWithComments":
            raise _Stopped
        return exchange

    monkeypatch.setattr(lcm_client.LcmClient, "call", lcm_moves_then_worker_stops)
    with pytest.raises(_Stopped):
        await actions.reassign_callback("lena", alice.team_id, row.pk, bob)
    monkeypatch.setattr(lcm_client.LcmClient, "call", real_call)
    # Stuck "being sent": the lead cannot move it, and nothing is logged yet.
    stuck = await actions.reassign_callback("lena", alice.team_id, row.pk, bob)
    assert not stuck.ok and "no longer be moved" in stuck.message
    # Not yet stale: the sweep leaves a move that may still be under way alone.
    assert await db(actions.settle_abandoned_moves) == 0
    settings.JOBS_STALE_SECONDS = 0.0
    assert await db(actions.settle_abandoned_moves) == 1
    assert await db(actions.settle_abandoned_moves) == 0  # settled once
    entry = await db(ActionLog.objects.get, kind=ActionLog.REASSIGN)
    assert not entry.ok and entry.error_kind == "unknown" and entry.agent_id == alice.pk
    assert (await db(Callback.objects.get, pk=row.pk)).status == Callback.UNKNOWN
    # The lead moves it again: one booking for bob, logged.
    moved = await actions.reassign_callback("lena", alice.team_id, row.pk, bob)
    assert moved.ok, moved.message
    rows = await db(lambda: list(Callback.objects.order_by("pk").values_list("agent_id", "status")))
    assert rows == [(alice.pk, Callback.REASSIGNED), (bob.pk, Callback.BOOKED)]


async def _events_queued() -> None:
    import asyncio

    from agentdesk.webhooks import subscriptions

    while subscriptions._background:
        await asyncio.gather(*list(subscriptions._background))


@pytestmark_sim
async def test_a_booked_callback_and_its_comment_are_webhook_events(agents, key):
    import json

    from agentdesk.teams.models import Team
    from agentdesk.webhooks.models import Delivery, Endpoint

    await db(
        Endpoint.objects.create,
        team=await db(Team.objects.get, name="Blue"),
        url="http://127.0.0.1:9/hook",
    )
    alice = agents["alice"]
    session = await on_screen(alice)
    done = await wrapup.book_callback(alice, await callback_form(session, kind="personal"))
    assert done.result.ok, done.result.message
    await _events_queued()
    bodies = await db(lambda: {d.event_type: json.loads(d.body) for d in Delivery.objects.all()})
    assert {"contact.fetched", "callback.booked", "contact.commented"} <= set(bodies)
    booked = bodies["callback.booked"]["data"]
    assert booked["call_id"] == session.call_id and booked["contact"]["lcm_key"] == key
    assert booked["comment"] == "Wants the offer in writing"
    assert booked["callback"]["kind"] == "personal"
    assert booked["callback"]["for_agent"] == "a1@test"
    assert booked["callback"]["time_zone"] == NY
    assert booked["callback"]["start_local"].endswith("T10:00")
    assert booked["callback"]["target_amount"] == "1250.50"


@pytest.mark.django_db
def test_a_booked_callback_updates_the_leads_callbacks_panel_live(agents):
    from agentdesk.desk.events import AgentChanged
    from agentdesk.monitor import live
    from agentdesk.monitor.push import change_of

    alice = agents["alice"]
    row = _booked(alice, starts_in=timedelta(minutes=30))
    entry = ActionLog.objects.create(agent=alice, team=alice.team, kind=ActionLog.CALLBACK)
    session = AgentSession.objects.create(agent=alice)
    change = change_of(AgentChanged.of_action(session, entry))
    assert change.callbacks
    parts = live.changed_parts(alice.team, change, {})
    html = "\n".join(live.render_parts(parts))
    assert 'id="monitor-callbacks" class="panel" hx-swap-oob="true"' in html
    assert f"···{row.phone_last4}" in html
    # Other actions leave the panel alone (it costs queries).
    skip = ActionLog.objects.create(agent=alice, team=alice.team, kind=ActionLog.SKIP)
    assert not change_of(AgentChanged.of_action(session, skip)).callbacks


@pytestmark_sim
async def test_a_second_booking_for_the_contact_replaces_the_first_as_in_lcm(agents, key):
    """Two tabs each booking a callback for the contact on screen: LCM keeps the contact's one
    schedule (the later one), and so does agentdesk's record: never two callbacks listed."""
    alice = agents["alice"]
    session = await on_screen(alice)
    first = await wrapup.book_callback(alice, await callback_form(session, request_token="tab-a"))
    assert first.result.ok, first.result.message
    fresh = await db(AgentSession.objects.get, agent=alice)
    later = await callback_form(fresh, request_token="tab-b", kind="personal")
    second = await wrapup.book_callback(alice, later)
    assert second.result.ok, second.result.message
    rows = await db(
        lambda: list(Callback.objects.order_by("pk").values_list("request_token", "status"))
    )
    assert rows == [("tab-a", Callback.REPLACED), ("tab-b", Callback.BOOKED)]
    held = await db(Contact.objects.get, lcm_key=key)
    assert held.reserved_for == "a1@test"  # LCM too holds the later, personal one


def test_a_window_outside_the_numbers_own_dialing_hours_is_refused():
    win = window("2026-12-09T18:00", "2026-12-09T19:00")
    problems = callback_rules.mode_hours(win, "09:00", "17:00", "Work 2025550163")
    assert [p.field for p in problems] == ["start"]
    assert "only 09:00–17:00 their time" in problems[0].message
    late = window("2026-12-09T16:00", "2026-12-09T18:00")
    assert [p.field for p in callback_rules.mode_hours(late, "09:00", "17:00", "x")] == ["end"]
    # No window from LCM, or one it cannot be read from: only the campaign's hours apply.
    assert callback_rules.mode_hours(win, "", "", "x") == []
    assert callback_rules.mode_hours(win, "9am", "5pm", "x") == []
    assert callback_rules.mode_hours(win, "09:00:00", "20:00:00", "x") == []
