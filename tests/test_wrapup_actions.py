"""The agent's wrap-up steps: a call id per dial attempt, a comment with the close, dialling
another of the contact's numbers, correcting its data and numbers; each names its attempt, is
logged, exported and announced, and leaves the contact on screen when LCM fails."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agentdesk.desk import actions, details, wrapup
from agentdesk.desk.contact import contact_of
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.desk.onscreen import key_on_screen
from agentdesk.lcm import messages as m
from agentdesk.lcm.xmlfields import ContactMode
from agentdesk.lcmsim import service
from agentdesk.metrics import instruments
from agentdesk.webhooks import payloads
from agentdesk.webhooks.models import CALLBACK_BOOKED, CONTACT_COMMENTED, CONTACT_CORRECTED

from .helpers import EASTERN, HTMX, add_contact, post_for_screen

pytestmark = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"


@sync_to_async
def db(func, *args, **kwargs):
    return func(*args, **kwargs)


@pytest.fixture
def key(agents) -> str:
    return add_contact()


@pytest.fixture
def three_numbers(agents) -> str:
    """A contact with a home, a mobile and a work number."""
    now = timezone.localtime().replace(tzinfo=None)
    answer = service.create_contact(
        m.CreateContact(
            campaign_id="Spring Renewals",
            call_start=now - timedelta(minutes=1),
            call_end=now + timedelta(days=5),
            business_fields={"first_name": "Grace", "last_name": "Hopper"},
            modes=(
                ContactMode("Home", "2025550100", EASTERN),
                ContactMode("Mobile", "2025550162", EASTERN),
                ContactMode("Work", "2025550163", EASTERN),
            ),
            status=0,
        )
    )
    return answer.lcm_key


async def on_screen(profile) -> AgentSession:
    result = await actions.next_contact(profile, campaign_group=SALES, consent="Both")
    assert result.ok and result.session is not None, result.message
    return result.session


def attempt(session: AgentSession, **more) -> dict[str, Any]:
    """The fields naming the contact a wrap-up form was filled in for (desk/onscreen.py)."""
    key = key_on_screen(session) or ""
    return {"contact_key": key, "session_version": str(session.version), **more}


# ------------------------------------------------------------------ the call id


async def test_each_contact_on_screen_gets_its_own_call_id_named_in_every_log_row(agents, key):
    await db(add_contact, phone="2025550101")
    alice = agents["alice"]
    first = await on_screen(alice)
    assert len(first.call_id) == 32
    await actions.skip_contact(alice, outcome_id="8", comment="No answer, try mornings")
    second = await on_screen(alice)
    assert second.call_id and second.call_id != first.call_id
    rows = await db(
        lambda: list(ActionLog.objects.order_by("pk").values_list("kind", "call_id", "comment"))
    )
    assert rows == [
        ("next", first.call_id, ""),
        ("skip", first.call_id, "No answer, try mornings"),
        ("next", second.call_id, ""),
    ]


async def test_a_comment_longer_than_the_limit_is_refused_naming_the_field(agents, key):
    alice = agents["alice"]
    await on_screen(alice)
    result = await actions.skip_contact(alice, outcome_id="8", comment="x" * 1001)
    assert not result.ok and result.message.startswith("Comment: at most 1000")
    assert (await db(AgentSession.objects.get, agent=alice)).state == AgentSession.PREVIEWING


def test_the_skip_form_and_socket_carry_the_comment(agents, key, alice):
    alice.post("/desk/next", {"campaign_group": SALES, "consent": "Both"}, headers=HTMX)
    answer = post_for_screen(
        alice, "/desk/skip", {"outcome": "8", "comment": "Call after 5"}, headers=HTMX
    )
    assert answer.status_code == 200
    assert ActionLog.objects.get(kind="skip").comment == "Call after 5"


def test_the_csv_export_has_the_call_id_and_comment(agents, key, alice, client):
    alice.post("/desk/next", {"campaign_group": SALES, "consent": "Both"}, headers=HTMX)
    post_for_screen(alice, "/desk/skip", {"outcome": "8", "comment": "Wrong person"}, headers=HTMX)
    skip = ActionLog.objects.get(kind="skip")
    client.force_login(agents["lead"])
    body = client.get(f"/monitor/{agents['alice'].team_id}/export.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    row = next(r for r in rows if r["action"] == "skip")
    assert row["call_id"] == skip.call_id and len(row["call_id"]) == 32
    assert row["comment"] == "Wrong person"


def test_the_agents_log_shows_the_call_id_and_comment(agents, key, alice):
    alice.post("/desk/next", {"campaign_group": SALES, "consent": "Both"}, headers=HTMX)
    page = post_for_screen(
        alice, "/desk/skip", {"outcome": "8", "comment": "Wrong person"}, headers=HTMX
    )
    html = page.content.decode()
    skip = ActionLog.objects.get(kind="skip")
    assert f'title="Call ID {skip.call_id}"' in html and "Wrong person" in html


# ------------------------------------------------------------------ events out


def test_a_comment_and_a_callback_and_a_correction_are_webhook_events():
    assert payloads.contact_event_type("callback", True, "k") == CALLBACK_BOOKED
    assert payloads.contact_event_type("correct", True, "k") == CONTACT_CORRECTED
    assert payloads.contact_event_type("new_number", True, "k") == CONTACT_CORRECTED
    assert payloads.contact_event_type("callback", False, "k") is None
    assert payloads.extra_event_types("skip", True, "Call after 5") == [CONTACT_COMMENTED]
    assert payloads.extra_event_types("skip", True, "") == []


def test_the_wrapup_counters_count_what_lcm_confirmed(agents):
    def value(counter, *labels) -> float:
        return counter.labels(*labels)._value.get()

    before = value(instruments.CALLBACKS_BOOKED, "personal")
    entry = ActionLog(kind="callback", result="Personal callback Wed 09 Dec 10:00", comment="x")
    instruments.record_wrapup("callback", entry)
    assert value(instruments.CALLBACKS_BOOKED, "personal") == before + 1
    before = value(instruments.COMMENTS, "callback")
    instruments.record_wrapup("callback", entry)
    assert value(instruments.COMMENTS, "callback") == before + 1
    before = value(instruments.CONTACT_CORRECTIONS, "number")
    instruments.record_wrapup("new_number", ActionLog(kind="new_number"))
    assert value(instruments.CONTACT_CORRECTIONS, "number") == before + 1


# ------------------------------------------------------------------ the contact's numbers


async def test_dialling_another_number_is_a_new_attempt_with_its_own_call_id(agents, three_numbers):
    alice = agents["alice"]
    session = await on_screen(alice)
    found = await details.load(session.call_id, three_numbers)
    assert len(found.modes) == 3
    other = next(m for m in found.modes if m.number and m.number[-4:] != "0100")
    done = await wrapup.dial_other(alice, attempt(session, mode_id=str(other.mode_id)))
    assert done.result.ok, done.result.message
    after = await db(AgentSession.objects.get, agent=alice)
    assert after.call_id != session.call_id and contact_of(after).phone_number == other.number
    entry = await db(ActionLog.objects.get, kind=ActionLog.DIAL_OTHER)
    assert entry.call_id == after.call_id and entry.phone_last4 == other.number[-4:]


async def test_a_number_on_the_do_not_call_list_is_not_dialled(agents, three_numbers):
    from agentdesk.compliance.models import DoNotCallEntry
    from agentdesk.shared import phones

    alice = agents["alice"]
    session = await on_screen(alice)
    found = await details.load(session.call_id, three_numbers)
    other = next(m for m in found.modes if m.number and m.number[-4:] != "0100")
    listed = phones.canonical(other.number, "US")
    await db(DoNotCallEntry.objects.create, number=listed, reason="asked", added_by="test")
    done = await wrapup.dial_other(alice, attempt(session, mode_id=str(other.mode_id)))
    assert not done.result.ok and "may not be dialled" in done.result.message
    after = await db(AgentSession.objects.get, agent=alice)
    assert after.call_id == session.call_id


async def test_an_unknown_mode_is_refused_naming_the_field(agents, key):
    alice = agents["alice"]
    session = await on_screen(alice)
    done = await wrapup.dial_other(alice, attempt(session, mode_id="abc"))
    assert not done.result.ok and done.result.message.startswith("Number:")
    done = await wrapup.dial_other(alice, attempt(session, mode_id="999"))
    assert not done.result.ok and "not one of this contact's numbers" in done.result.message


# ------------------------------------------------------------------ corrections


async def test_correcting_an_editable_field_saves_it_in_lcm(agents, key):
    alice = agents["alice"]
    session = await on_screen(alice)
    found = await details.load(session.call_id, key)
    editable = found.editable_fields
    assert editable, "the simulator marks some fields editable"
    data = attempt(session)
    for index, field in enumerate(editable):
        data[f"field_{index}"] = field.value
    data["field_0"] = "Corrected"
    done = await wrapup.correct_fields(alice, data)
    assert done.result.ok, done.result.message
    again = await details.load(session.call_id, key)
    assert next(f for f in again.fields if f.name == editable[0].name).value == "Corrected"
    entry = await db(ActionLog.objects.get, kind=ActionLog.CORRECT)
    assert entry.call_id == session.call_id and editable[0].name in entry.result


async def test_nothing_changed_sends_nothing(agents, key, lcm_behind_proxy):
    alice = agents["alice"]
    session = await on_screen(alice)
    found = await details.load(session.call_id, key)
    data = attempt(session)
    for index, field in enumerate(found.editable_fields):
        data[f"field_{index}"] = field.value
    done = await wrapup.correct_fields(alice, data)
    assert not done.result.ok and "LCM already holds these values" in done.result.message
    assert lcm_behind_proxy.received["SetContactBusinessFields"] == 0


async def test_a_new_number_is_checked_like_add_contact(agents, key):
    alice = agents["alice"]
    session = await on_screen(alice)
    found = await details.load(session.call_id, key)
    mode = found.modes[0]
    bad = await wrapup.set_number(
        alice, attempt(session, mode_id=str(mode.mode_id), number="12345")
    )
    assert not bad.result.ok and bad.form is not None and "number" in bad.form.errors
    good = await wrapup.set_number(
        alice, attempt(session, mode_id=str(mode.mode_id), number="(202) 555-0188")
    )
    assert good.result.ok, good.result.message
    again = await details.load(session.call_id, key)
    assert any(m.number.endswith("5550188") for m in again.modes)
    entry = await db(ActionLog.objects.get, kind=ActionLog.NEW_NUMBER, ok=True)
    assert entry.phone_last4 == "0188"


async def test_a_lost_correction_answer_says_may_have(agents, key, lcm_behind_proxy):
    alice = agents["alice"]
    session = await on_screen(alice)
    mode = (await details.load(session.call_id, key)).modes[0]
    lcm_behind_proxy.answer("SetNewModeNumber", "", status=504, forward_first=True)
    done = await wrapup.set_number(
        alice, attempt(session, mode_id=str(mode.mode_id), number="(202) 555-0177")
    )
    assert not done.result.ok and "may have saved" in done.result.message
    assert done.form is not None and done.form.data["number"] == "(202) 555-0177"
    after = await db(AgentSession.objects.get, agent=alice)
    assert after.state == AgentSession.PREVIEWING and after.call_id == session.call_id


async def test_a_wrapup_step_for_another_contact_or_number_is_refused(agents, three_numbers):
    alice = agents["alice"]
    session = await on_screen(alice)
    found = await details.load(session.call_id, three_numbers)
    other = next(m for m in found.modes if m.number.endswith("0162"))
    form = attempt(session, mode_id=str(found.modes[0].mode_id), number="2025550188")
    # Another number dialled meanwhile (say in another tab): the form named the first one.
    moved = await wrapup.dial_other(alice, attempt(session, mode_id=str(other.mode_id)))
    assert moved.result.ok, moved.result.message
    done = await wrapup.set_number(alice, form)
    assert not done.result.ok and "contact on your screen changed" in done.result.message
    assert await db(ActionLog.objects.filter(kind=ActionLog.NEW_NUMBER).count) == 0


async def test_a_wrapup_step_must_name_its_contact(agents, key):
    alice = agents["alice"]
    await on_screen(alice)
    done = await wrapup.set_number(alice, {"mode_id": "1", "number": "2025550188"})
    assert not done.result.ok and done.result.message.startswith("contact_key: missing")


def test_the_panel_and_steps_need_a_logged_in_agent_and_csrf(agents, key):
    from django.test import Client

    anonymous = Client()
    assert anonymous.get("/desk/wrapup", headers=HTMX).status_code == 401
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agents["alice"].user)
    assert strict.post("/desk/wrapup/callback", {}, headers=HTMX).status_code == 403


async def test_a_lost_answer_to_a_field_correction_says_may_have_and_the_retry_reconciles(
    agents, key, lcm_behind_proxy
):
    alice = agents["alice"]
    session = await on_screen(alice)
    found = await details.load(session.call_id, key)
    data = attempt(session)
    for index, field in enumerate(found.editable_fields):
        data[f"field_{index}"] = field.value
    data["field_0"] = "Corrected"
    lcm_behind_proxy.answer("SetContactBusinessFields", "", status=504, forward_first=True)
    done = await wrapup.correct_fields(alice, data)
    assert not done.result.ok and "may have saved" in done.result.message
    assert done.form is not None and done.form.data["field_0"] == "Corrected"
    lcm_behind_proxy.answers.clear()
    sent = lcm_behind_proxy.received["SetContactBusinessFields"]
    # Saving again reads LCM afresh: it holds the value, so nothing is sent twice.
    fresh = await db(AgentSession.objects.get, agent=alice)
    again = await wrapup.correct_fields(alice, {**data, **attempt(fresh)})
    assert "earlier save went through" in again.result.message
    assert lcm_behind_proxy.received["SetContactBusinessFields"] == sent
    rows = await db(
        lambda: list(ActionLog.objects.filter(kind=ActionLog.CORRECT).values_list("ok", "result"))
    )
    assert rows == [(False, "outcome unknown")]
