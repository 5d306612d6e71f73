"""LCM answering the wrap-up messages in shapes nobody planned for: an answer that says both
"worked" and "failed", an answer for another call, a do-not-call status that is no
confirmation, and a late callback for a contact another agent closed meanwhile. Each is
read so that the agent never sees "booked" or "nothing was changed" when LCM may have
done otherwise, and the simulator never lets a late write undo another agent's close."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from agentdesk.desk import wrapup
from agentdesk.desk.models import ActionLog, Callback
from agentdesk.dncsync import tasks
from agentdesk.dncsync.models import LcmDncAppend
from agentdesk.lcm import wrapup as w
from agentdesk.lcm.envelope import parse_answer
from agentdesk.lcm.errors import LcmBadAnswer, LcmRejected
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact
from .test_callbacks import callback_form, on_screen
from .test_lcmsim_wrapup import answer, callback, fetch, held, send, skip, ws_error

CALLBACK_ANSWER = "SetCallbackWithCommentsResult"


def envelope(subtopic: str, message: dict[str, Any]) -> str:
    return json.dumps(
        {"channel": "LCM", "topic": "WebService", "subtopic": subtopic, "message": message}
    )


def read(request_type, subtopic: str, message: dict[str, Any], **kwargs: Any):
    response = parse_answer(
        envelope(subtopic, message),
        request_type.ANSWERS,
        response_keys=request_type.RESPONSE_KEYS,
        **kwargs,
    )
    return request_type.read_answer(response)


# ------------------------------------------------------------ "worked" and "failed" at once


@pytest.mark.parametrize(
    "response",
    [
        {"success": True, "ErrorMessage": "Invalid Call ID."},
        {"success": True, "ErrorCode": 5},
        {"success": True, "Error": True, "Message": "Mode is locked"},
        {"Status": "OK", "success": False},
        {"Result": "Success", "success": False},
        {"success": False, "Status": "Success"},
    ],
)
def test_a_write_answer_that_says_both_is_an_unknown_outcome(response):
    with pytest.raises(LcmBadAnswer):
        read(w.SetCallbackWithComments, CALLBACK_ANSWER, {"callid": "c-1", "response": response})


@pytest.mark.parametrize(
    "response",
    [
        {"success": True, "ErrorCode": 0, "ErrorMessage": "Success"},
        {"success": "True", "Status": "OK"},
        {"success": 1, "Error": "None"},
    ],
)
def test_a_success_beside_no_error_words_is_a_success(response):
    answer = read(w.SetCallbackWithComments, CALLBACK_ANSWER, {"response": response})
    assert answer == w.SuccessAnswer(True)


@pytest.mark.parametrize(
    "response",
    [{"success": "false"}, {"success": "Failed"}, {"success": False, "Status": "Failed"}],
)
def test_a_plain_no_is_lcm_refusing(response):
    with pytest.raises(LcmRejected):
        read(w.SetCallbackWithComments, CALLBACK_ANSWER, {"response": response})


# ------------------------------------------------------------ an answer for another call


def test_an_answer_naming_another_call_id_is_not_this_calls_answer():
    message = {"callid": "c-OTHER", "response": {"success": True}}
    with pytest.raises(LcmBadAnswer) as error:
        read(w.SetCallbackWithComments, CALLBACK_ANSWER, message, call_id="c-1")
    assert "c-OTHER" in str(error.value)
    # The same id (any surrounding spaces), or none echoed, is this call's answer.
    for echoed in (" c-1 ", None):
        ok = {"callid": echoed, "response": {"success": True}}
        assert read(w.SetCallbackWithComments, CALLBACK_ANSWER, ok, call_id="c-1").success


# ------------------------------------------------------------ the agent's view, over HTTP

sim = pytest.mark.django_db(transaction=True)


@sync_to_async
def db(func, *args, **kwargs):
    return func(*args, **kwargs)


@sim
@pytest.mark.parametrize(
    "message",
    [
        {"response": {"success": True, "ErrorMessage": "Invalid Call ID."}},
        {"callid": "somebody-elses-call", "response": {"success": True}},
    ],
    ids=["success-beside-an-error", "another-call-id"],
)
async def test_the_agent_is_told_may_have_and_the_retry_books_once(
    agents, lcm_behind_proxy, message
):
    await db(add_contact)
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session, request_token="tok-shape")
    lcm_behind_proxy.answer(
        "SetCallbackWithComments", envelope(CALLBACK_ANSWER, message), forward_first=True
    )
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok and "may have booked" in done.result.message, done.result.message
    assert done.form is not None  # the entries are kept
    assert (await db(Callback.objects.get)).status == Callback.UNKNOWN
    entry = await db(ActionLog.objects.get, kind=ActionLog.CALLBACK)
    assert not entry.ok and entry.result == "outcome unknown"
    lcm_behind_proxy.answers.clear()
    again = await wrapup.book_callback(alice, form)
    assert again.result.ok, again.result.message
    assert await db(Callback.objects.count) == 1
    assert (await db(Callback.objects.get)).status == Callback.BOOKED


# ------------------------------------------------------------ do-not-call status texts


@pytest.mark.parametrize("status", ["Exception: DB timeout", "False", 0, "Nothing changed"])
def test_a_compliance_status_that_is_no_confirmation_is_not_taken_for_one(status):
    with pytest.raises((LcmBadAnswer, LcmRejected)):
        read(w.AddCompliance, "AddComplianceResponse", {"Response": {"Response": status}})


@pytest.mark.parametrize(
    "status", ["Success", "Number added to DNC", "1 record inserted", "Updated", "OK"]
)
def test_compliance_statuses_that_confirm(status):
    answer = read(w.AddCompliance, "AddComplianceResponse", {"Response": {"Response": status}})
    assert answer.text == status


@pytest.mark.django_db(transaction=True)
def test_a_do_not_call_number_lcm_did_not_confirm_is_sent_again(sim_world, lcm_behind_proxy):
    from agentdesk.compliance import dnc

    dnc.add("+12025550142", added_by="admin")
    lcm_behind_proxy.answer(
        "AddCompliance",
        envelope("AddComplianceResponse", {"Response": {"Response": "Exception: DB timeout"}}),
    )
    assert tasks.send.call(LcmDncAppend.objects.get().pk) == "will retry"
    row = LcmDncAppend.objects.get()
    assert row.status == LcmDncAppend.PENDING and "Exception: DB timeout" in row.last_error


# ------------------------------------------------------------ the simulator: a late callback


@pytest.mark.django_db(transaction=True)
def test_a_late_callback_does_not_reopen_a_contact_another_agent_closed(sim_world):
    key = held()  # a1 holds it under call-1
    # a1's booking went through (its answer was lost); due now, a2 gets it and closes it.
    assert answer(callback(key, start=-1)).success
    assert fetch("a2@test")["AccountNumber"] == key
    assert skip(key, "2025550100", agent="a2@test", outcome=5)["message"]["response"]["success"]
    # a1 presses Book again: the same call, the same window.
    refused = ws_error(send(callback(key, start=-1)))
    assert refused.startswith("Contact is already closed with outcome 5")
    contact = Contact.objects.get(lcm_key=key)
    assert contact.status == Contact.CLOSED and contact.closed_by == "a2@test"
    assert fetch("a2@test").get("AccountNumber") is None


@pytest.mark.django_db(transaction=True)
def test_the_same_agent_may_still_book_after_closing_it_themselves(sim_world):
    key = held()
    skip(key, "2025550100")
    assert answer(callback(key, start=-1)).success
    assert Contact.objects.get(lcm_key=key).status == Contact.OPEN


# ------------------------------------------------------------ business fields as LCM keeps them


def _field(name: str, value: str, data_type: str = "String") -> dict[str, Any]:
    return {
        "FieldName": name,
        "Value": value,
        "DataType": data_type,
        "Format": "",
        "Editable": True,
    }


@sim
async def test_values_lcm_already_holds_never_block_a_correction_of_another_field(
    agents, lcm_behind_proxy
):
    from .test_wrapup_actions import attempt

    key = await db(add_contact)
    lcm_behind_proxy.sent.clear()
    fields = [
        _field("first_name", "Test"),
        _field("address", "Long Street " * 40),  # 480 characters, longer than a typed value
        _field("last_name", "Person\x0b"),  # a control character LCM stored
        _field("age", "n/a", "Blob"),  # a DataType nobody planned for
        _field("score", "unknown", "Number"),  # a number field holding a word
    ]
    lcm_behind_proxy.answer("GetContactDetail", envelope("ContactDetail", {"response": fields}))
    alice = agents["alice"]
    session = await on_screen(alice)
    data = attempt(session)
    for index, field in enumerate(fields):
        data[f"field_{index}"] = field["Value"]
    data["field_0"] = "Tess"
    done = await wrapup.correct_fields(alice, data)
    assert done.result.ok, (done.result.message, done.form and done.form.errors)
    sent = [e for e in lcm_behind_proxy.sent if e["subtopic"] == "SetContactBusinessFields"]
    assert [f["FieldName"] for f in sent[-1]["data"]["businessField"]] == ["first_name"]
    contact = await db(Contact.objects.get, lcm_key=key)
    assert contact.business_fields["first_name"] == "Tess"


@sim
async def test_a_changed_value_is_still_checked(agents, lcm_behind_proxy):
    from .test_wrapup_actions import attempt

    await db(add_contact)
    lcm_behind_proxy.sent.clear()
    fields = [_field("first_name", "Test"), _field("score", "1", "Number")]
    lcm_behind_proxy.answer("GetContactDetail", envelope("ContactDetail", {"response": fields}))
    alice = agents["alice"]
    session = await on_screen(alice)
    data = {**attempt(session), "field_0": "x" * 300, "field_1": "lots"}
    done = await wrapup.correct_fields(alice, data)
    assert not done.result.ok and done.form is not None
    assert set(done.form.errors) == {"field_0", "field_1"}
    assert not [e for e in lcm_behind_proxy.sent if e["subtopic"] == "SetContactBusinessFields"]


# ------------------------------------------------------------ an answer later than the timeout


@sim
async def test_a_booking_answered_after_the_timeout_is_may_have_and_the_retry_books_once(
    agents, lcm_behind_proxy
):
    from agentdesk.lcmsim.models import CallbackBooking

    await db(add_contact)
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session, request_token="tok-late", kind="personal")
    lcm_behind_proxy.late["SetPersonalCallbackWithComments"] = 1.5  # the timeout is 0.8 s
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok and "may have booked" in done.result.message
    assert await db(CallbackBooking.objects.count) == 1  # LCM did book it
    lcm_behind_proxy.late.clear()
    again = await wrapup.book_callback(alice, form)
    assert again.result.ok, again.result.message
    assert await db(CallbackBooking.objects.count) == 1
    assert await db(Callback.objects.filter(status=Callback.BOOKED).count) == 1


# ------------------------------------------------------------ a callback mode without its number


@sim
async def test_a_callback_mode_lcm_lists_without_its_number_is_still_checked_for_do_not_call(
    agents, lcm_behind_proxy
):
    from agentdesk.compliance.models import DoNotCallEntry

    await db(add_contact, phone="2025550100")
    lcm_behind_proxy.answer(
        "GetCallBackModes",
        envelope("CallbackModes", {"response": [{"ModeID": 1, "Description": "Home"}]}),
    )
    alice = agents["alice"]
    session = await on_screen(alice)
    # The customer asked not to be called again; a lead listed the number meanwhile.
    await db(DoNotCallEntry.objects.create, number="+12025550100", reason="asked", added_by="t")
    lcm_behind_proxy.received.clear()
    done = await wrapup.book_callback(alice, await callback_form(session))
    assert not done.result.ok and "do-not-call" in done.result.message, done.result.message
    assert lcm_behind_proxy.received["SetCallbackWithComments"] == 0
    assert await db(Callback.objects.count) == 0


# ------------------------------------------------------------ refused after an unknown outcome


@sim
async def test_a_retry_refused_after_a_lost_answer_still_says_the_first_may_have_booked(
    agents, lcm_behind_proxy
):
    from datetime import timedelta

    from django.utils import timezone

    key = await db(add_contact)
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session, request_token="tok-twice")
    lcm_behind_proxy.answer("SetCallbackWithComments", "", status=504, forward_first=True)
    first = await wrapup.book_callback(alice, form)
    assert "may have booked" in first.result.message
    lcm_behind_proxy.answers.clear()
    # LCM did book it; it came due and another agent has it now.
    await db(
        lambda: Contact.objects.filter(lcm_key=key).update(
            callback_start=timezone.now() - timedelta(minutes=1)
        )
    )
    assert (await db(fetch, "a2@test"))["AccountNumber"] == key
    again = await wrapup.book_callback(alice, form)
    assert not again.result.ok
    assert "Contact is held by another agent." in again.result.message
    assert "Nothing was changed" not in again.result.message
    assert "may have booked" in again.result.message
    assert (await db(Callback.objects.get)).status == Callback.UNKNOWN


# ------------------------------------------------------------ one field named twice


@sim
@pytest.mark.parametrize(
    "response",
    ['{"success": false, "success": true}', '{"success": true, "Success": false}'],
    ids=["same-key", "another-casing"],
)
async def test_a_write_answer_naming_a_field_twice_with_two_values_is_may_have(
    agents, lcm_behind_proxy, response
):
    await db(add_contact)
    alice = agents["alice"]
    session = await on_screen(alice)
    form = await callback_form(session)
    raw = envelope(CALLBACK_ANSWER, {"response": "RESPONSE"}).replace('"RESPONSE"', response)
    lcm_behind_proxy.answer("SetCallbackWithComments", raw, forward_first=True)
    done = await wrapup.book_callback(alice, form)
    assert not done.result.ok and "may have booked" in done.result.message, done.result.message
    assert (await db(Callback.objects.get)).status == Callback.UNKNOWN


def test_a_read_answer_may_repeat_a_field_with_the_same_value():
    raw = (
        '{"channel": "LCM", "subtopic": "SetCallbackWithCommentsResult", '
        '"message": {"response": {"success": true, "Success": true}}}'
    )
    response = parse_answer(raw, w.SetCallbackWithComments.ANSWERS, strict=True)
    assert w.SuccessAnswer.from_response(response).success


# ------------------------------------------------------------ a contact mode without its number


@sim
async def test_a_mode_lcm_lists_without_a_number_is_refused_saying_so(agents, lcm_behind_proxy):
    from .test_wrapup_actions import attempt

    await db(add_contact)
    home = {"ModeID": "1", "ModeDesc": "Home", "CValue": "2025550100", "TimeZone": "Eastern Time"}
    mobile = {"ModeID": 2, "ModeDesc": "Mobile", "CValue": None, "TimeZone": ""}
    lcm_behind_proxy.answer(
        "GetContactModes",
        envelope("SetContactModes", {"response": {"Contactmodes": [home, mobile]}}),
    )
    alice = agents["alice"]
    session = await on_screen(alice)
    done = await wrapup.dial_other(alice, attempt(session, mode_id="2"))
    assert not done.result.ok
    assert done.result.message == "Number: LCM gives no number for Mobile (mode 2)."
    unknown = await wrapup.dial_other(alice, attempt(session, mode_id="7"))
    assert "mode 7 is not one of this contact's numbers" in unknown.result.message
