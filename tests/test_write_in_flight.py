"""A write to LCM is recorded before it is sent: a worker killed after LCM acted leaves an
"outcome unknown" with an action log row (the sweep, the next action after the lock expired, or
the page's reconnect settle it), and the agent's next try reconciles. A refusal saying the
contact is closed or not held takes it off the screen, for the agent and for the lead."""

import contextlib
import threading
import time
from datetime import timedelta

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from agentdesk.desk import pending
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact

from .conftest import Server, free_port, server_env
from .helpers import SALES, add_contact, add_form, banner, post_as_page, shown_fields

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}
NOT_OPEN = {
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": "WS_Error",
    "message": {
        "response": {
            "ErrorType": "WS_Error",
            "ErrorMessage": "Contact is not in Open state (closed with outcome 8).",
        }
    },
}


def session() -> AgentSession:
    return AgentSession.objects.get(agent__user__username="alice")


def wait_for(check, seconds: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.05)


@pytest.fixture
def desk(agents, lcm_behind_proxy):
    client = Client()
    client.force_login(agents["alice"].user)
    return client


def test_a_worker_killed_after_lcm_closed_the_contact_leaves_a_log_row_and_no_one_stuck(
    agents, lcm_behind_proxy
):
    """Issue: SIGKILL 0.4 s after LCM closed a contact (its answer 2.5 s late) left the agent
    with ~30 refusals, the lead's release refused too, and no log row for the close."""
    proxy = lcm_behind_proxy
    key = add_contact(phone="2025550171")
    port = free_port()
    worker = Server(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "agentdesk.asgi:application"],
        port,
        server_env(LCM_URL=proxy.url, LCM_TIMEOUT_SECONDS="1"),
        "/accounts/login/",
    )
    try:
        login = Client()
        login.force_login(agents["alice"].user)
        cookies = {django_settings.SESSION_COOKIE_NAME: login.cookies["sessionid"].value}
        http = httpx.Client(base_url=worker.url, cookies=cookies, timeout=10)
        page = http.get("/")
        headers = {"X-CSRFToken": page.cookies["csrftoken"], "HX-Request": "true"}
        assert "is on your screen" in http.post("/desk/next", data=SALES, headers=headers).text
        proxy.late["SkipManualDialContact"] = 2.5
        skip = {"outcome": "8", **shown_fields(agents["alice"])}
        threading.Thread(
            target=lambda: _ignore_errors(http.post, "/desk/skip", data=skip, headers=headers),
            daemon=True,
        ).start()
        wait_for(lambda: Contact.objects.get(lcm_key=key).status == Contact.CLOSED, what="close")
        time.sleep(0.4)
        worker.process.kill()  # SIGKILL: no finally, no answer, the lock still held
        worker.process.wait(10)
    finally:
        worker.stop()

    stranded = session()
    assert pending.pending_of(stranded) is not None  # recorded before LCM was asked
    assert not ActionLog.objects.filter(kind=ActionLog.SKIP).exists()
    assert pending.settle_abandoned() == 0  # the lock may still be the dying action's

    wait_for(lambda: pending.settle_abandoned() == 1, what="the lock to expire")  # the sweep

    row = ActionLog.objects.get(kind=ActionLog.SKIP)
    assert (row.lcm_key, row.outcome_id, row.ok, row.result) == (key, 8, False, "outcome unknown")
    assert "LCM may already have closed this contact with 8 No Answer" in row.error
    after = session()
    assert after.state == AgentSession.PREVIEWING and after.unconfirmed["skip"]["outcome_id"] == 8
    assert pending.pending_of(after) is None and after.busy_token == ""

    # The agent's next try reconciles at once, even with an LCM that only says "not open".
    proxy.late.clear()
    proxy.answer("SkipManualDialContact", NOT_OPEN)
    alice = Client()
    alice.force_login(agents["alice"].user)
    html = post_as_page(alice, "/desk/skip", {"outcome": "8"})
    assert "your earlier skip with 8 No Answer most likely closed the contact" in banner(html)
    assert session().state == AgentSession.IDLE
    closes = ActionLog.objects.filter(kind=ActionLog.SKIP, lcm_key=key, ok=True)
    assert closes.count() == 1 and closes.get().outcome_id == 8


def _ignore_errors(call, *args, **kwargs) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the worker was killed mid-request
        call(*args, **kwargs)


def test_the_next_action_after_the_lock_expired_settles_the_write_left_in_flight(desk, agents):
    key = add_contact(phone="2025550172")
    post_as_page(desk, "/desk/next", SALES)
    # What a worker killed mid-skip leaves: the record, and its lock (expired by now).
    stored = session()
    record = pending.record(
        ActionLog.SKIP,
        {"lcm_key": key, "outcome_id": 3, "outcome_name": "Busy", "campaign": "Spring Renewals"},
        lcm_key=key,
        outcome_id=3,
        outcome_name="Busy",
    )
    AgentSession.objects.filter(pk=stored.pk).update(
        unconfirmed={"pending": record},
        busy_token="dead-worker",
        busy_until=timezone.now() - timedelta(seconds=1),
    )

    html = post_as_page(desk, "/desk/skip", {"outcome": "3"})

    assert "Skipped with outcome 3 Busy." in banner(html)
    rows = list(ActionLog.objects.filter(kind=ActionLog.SKIP).order_by("pk"))
    assert [(r.ok, r.result[:15]) for r in rows] == [
        (False, "outcome unknown"),
        (True, "Skipped with Bu"),
    ]
    assert session().unconfirmed == {}


def test_a_page_reconnecting_after_a_restart_settles_an_abandoned_write(agents, desk):
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from agentdesk.desk.consumers import AgentConsumer

    from .helpers import log_into

    key = add_contact(phone="2025550173")
    post_as_page(desk, "/desk/next", SALES)
    record = pending.record(ActionLog.HAND_BACK, {"lcm_key": key}, lcm_key=key, outcome_id=4,
                            outcome_name="CallBack")  # fmt: skip
    AgentSession.objects.filter(pk=session().pk).update(unconfirmed={"pending": record})

    async def reconnect() -> str:
        tab = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
        await log_into(tab, agents["alice"].user)
        assert (await tab.connect())[0]
        html = await tab.receive_from(timeout=10)
        await tab.disconnect()
        return html

    html = async_to_sync(reconnect)()

    assert "Your skip with 4 CallBack was not confirmed by LCM" in html
    row = ActionLog.objects.get(kind=ActionLog.HAND_BACK)
    assert (row.ok, row.result, row.lcm_key) == (False, "outcome unknown", key)


@pytest.mark.parametrize("path", ["/desk/skip", "/desk/hand-back", "release"])
def test_a_contact_lcm_no_longer_holds_leaves_the_screen_with_lcms_words(
    desk, agents, settings, path
):
    """Issue 21: an agent stayed `previewing` when LCM no longer held the contact (edited or
    expired on the LCM side): Skip and the lead's release were refused until an admin stepped
    in."""
    from datetime import UTC, datetime

    from agentdesk.compliance.models import CampaignPolicy

    settings.COMPLIANCE_CLOCK = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 22:00 in New York
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.BLOCK)
    key = add_contact(phone="2025550174")
    post_as_page(desk, "/desk/next", SALES)
    Contact.objects.filter(lcm_key=key).update(status=Contact.OPEN, held_by="")  # hold ended

    if path == "release":
        lead = Client()
        lead.force_login(agents["lead"])
        url = f"/monitor/{agents['alice'].team_id}/agents/{agents['alice'].pk}/release"
        html = lead.post(url, {"outcome": "8", **shown_fields(agents["alice"])}, **HTMX)
        said = html.content.decode()
        assert "LCM no longer holds alice&#x27;s contact (“Contact is not held by agent" in said
        assert "it is off their screen" in said
        assert "Your contact was taken off your screen" in session().notice
    else:
        said = banner(post_as_page(desk, path, {"outcome": "8"}))
        assert "LCM says this contact is no longer open for you: “Contact is not held by" in said
        assert "It is off your screen" in said

    assert session().state == AgentSession.IDLE and session().contact is None
    row = ActionLog.objects.filter(lcm_key=key).exclude(kind=ActionLog.NEXT).get()
    assert (row.ok, row.error_kind, row.result) == (
        False,
        "gone",
        "Off the screen: LCM no longer holds it",
    )
    assert "Contact is not held by agent a1@test." in row.error
    assert Contact.objects.get(lcm_key=key).status == Contact.OPEN  # nothing closed
    assert "is on your screen" in banner(post_as_page(desk, "/desk/next", SALES))  # not stuck


def test_an_add_without_a_request_token_posted_twice_creates_once(desk, lcm_behind_proxy):
    form = add_form(mode1_number="(202) 555-0175")
    first = banner(post_as_page(desk, "/desk/add", form))
    again = banner(post_as_page(desk, "/desk/add", form))

    assert "Contact added to Spring Renewals" in first
    assert "This contact was already added (LCM key" in again
    assert Contact.objects.filter(modes__number__contains="5550175").count() == 1
    assert lcm_behind_proxy.received["CreateContact"] == 1


def test_an_add_with_a_lost_answer_typed_again_after_a_reload_asks_first(desk, lcm_behind_proxy):
    """Issue 27: an Add with a lost answer, a reload (a new form token) and the same contact
    typed again created it twice in LCM."""
    proxy = lcm_behind_proxy
    proxy.answer("CreateContact", b"<html>502 Bad Gateway</html>", forward_first=True)
    lost = banner(post_as_page(desk, "/desk/add", add_form(mode1_number="2025550176",
                                                            request_token="tab-1")))  # fmt: skip
    assert "LCM may have added this contact" in lost
    proxy.answers.clear()

    # After a reload: a new token, the number typed another way.
    html = post_as_page(
        desk, "/desk/add", add_form(mode1_number="(202) 555-0176", request_token="tab-2")
    )

    assert "Your earlier try to add this contact may have reached LCM" in banner(html)
    assert 'name="add_anyway"' in html
    assert proxy.received["CreateContact"] == 1
    # Another number for the same campaign is not held up.
    other = post_as_page(desk, "/desk/add", add_form(mode1_number="2025550177", request_token="t3"))
    assert "Contact added to Spring Renewals" in banner(other)
    # The agent checked LCM and says to add it.
    anyway = add_form(mode1_number="2025550176", request_token="tab-2", add_anyway="on")
    assert "Contact added to Spring Renewals" in banner(post_as_page(desk, "/desk/add", anyway))
    assert proxy.received["CreateContact"] == 3
    assert "adds" not in session().unconfirmed


def test_the_lead_can_always_take_a_contact_off_the_screen_without_lcm(desk, agents, proxy):
    """LCM refuses the release in words agentdesk does not know (or cannot be reached): the
    lead still gets the agent going, LCM's record untouched, the log saying so."""
    key = add_contact(phone="2025550178")
    post_as_page(desk, "/desk/next", SALES)
    odd = {**NOT_OPEN, "message": {"response": {"ErrorType": "WS_Error",
                                                 "ErrorMessage": "Queue is paused."}}}  # fmt: skip
    proxy.answer("SkipManualDialContact", odd)
    lead = Client()
    lead.force_login(agents["lead"])
    url = f"/monitor/{agents['alice'].team_id}/agents/{agents['alice'].pk}/release"
    refused = lead.post(url, {"outcome": "8", **shown_fields(agents["alice"])}, **HTMX)
    assert "Queue is paused." in refused.content.decode()
    assert session().state == AgentSession.PREVIEWING
    row = lead.get(f"/monitor/{agents['alice'].team_id}/").content.decode()
    assert 'name="without_lcm"' in row

    cleared = lead.post(url, {"without_lcm": "1", **shown_fields(agents["alice"])}, **HTMX)

    said = cleared.content.decode()
    assert "alice&#x27;s contact is off their screen. LCM was not asked" in said
    assert session().state == AgentSession.IDLE and session().contact is None
    assert session().notice == "Your team lead lena took the contact off your screen."
    entry = ActionLog.objects.filter(kind=ActionLog.RELEASE).latest("pk")
    assert (entry.ok, entry.error_kind, entry.actor, entry.lcm_key) == (
        False,
        "cleared",
        "lena",
        key,
    )
    assert Contact.objects.get(lcm_key=key).status == Contact.IN_PROGRESS  # LCM not asked
    assert proxy.received["SkipManualDialContact"] == 1


def test_a_fetch_left_in_flight_is_logged_and_the_contact_comes_back(desk, agents):
    """A worker killed after LCM handed out a contact: the log says LCM may have, and the
    agent's next press gets the contact LCM holds."""
    key = add_contact(phone="2025550179")
    record = pending.record(ActionLog.NEXT, {"campaign_group": "Sales Manual Group"})
    from agentdesk.desk import state

    state.session_for(agents["alice"])  # the row exists
    AgentSession.objects.filter(agent=agents["alice"]).update(
        unconfirmed={"pending": record},
        busy_token="dead-worker",
        busy_until=timezone.now() - timedelta(seconds=1),
    )

    html = post_as_page(desk, "/desk/next", SALES)

    assert "is on your screen" in banner(html)
    unknown, shown = ActionLog.objects.filter(kind=ActionLog.NEXT).order_by("pk")
    assert (unknown.ok, unknown.result) == (False, "outcome unknown")
    assert "LCM may have handed you a contact" in unknown.error
    assert (shown.ok, shown.lcm_key) == (True, key)
    assert pending.pending_of(session()) is None


def test_a_fetch_whose_record_cannot_be_stored_gives_the_agents_turn_back(
    desk, agents, monkeypatch
):
    """The fetch takes the agent's turn and records its write in one trip: when the record
    cannot be stored (the database fails), the turn is given back, so the next press is not
    refused as busy until the lock expires."""
    from django.db import DatabaseError

    key = add_contact(phone="2025550180")

    def database_fails(*args, **kwargs):
        raise DatabaseError("connection lost")

    with monkeypatch.context() as patched:
        patched.setattr(pending, "mark", database_fails)
        with pytest.raises(DatabaseError):
            post_as_page(desk, "/desk/next", SALES)

    assert session().busy_token == ""
    html = post_as_page(desk, "/desk/next", SALES)
    assert "is on your screen" in banner(html) and key in html
