"""The simulator answers the wrap-up messages from real state: call ids, business fields,
modes, callbacks that come back to the right agent, corrections, the do-not-call append, and
a retry after a lost answer that never makes a twin."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from agentdesk.lcm import wrapup as w
from agentdesk.lcm.client import get_client
from agentdesk.lcm.envelope import build_request
from agentdesk.lcm.errors import LcmError, LcmRejected
from agentdesk.lcmsim import service
from agentdesk.lcmsim.models import CallbackBooking, Campaign, Contact, SimCall, SimDncEntry

from .helpers import add_contact

NEW_YORK = ZoneInfo("America/New_York")


def call(subtopic: str, data: dict[str, Any]) -> dict[str, Any]:
    return service.handle(build_request(subtopic, data, "tests"))


def send(request) -> dict[str, Any]:
    return call(request.SUBTOPIC, request.to_data())


def answer(request):
    """The typed answer, as agentdesk reads it; a WS_Error raises LcmRejected."""
    from agentdesk.lcm.envelope import parse_answer

    envelope = send(request)
    import json

    return request.read_answer(
        parse_answer(json.dumps(envelope), request.ANSWERS, response_keys=request.RESPONSE_KEYS)
    )


def ws_error(envelope: dict[str, Any]) -> str:
    assert envelope["subtopic"] == "WS_Error", envelope
    return envelope["message"]["response"]["ErrorMessage"]


def fetch(agent="a1@test", group="Sales Manual Group", reserved="false") -> dict[str, Any]:
    return call(
        "GetDownloadContactsForDialing",
        {
            "CampaignGroup": group,
            "NumberOfContactsRequired": "1",
            "Consent": "Both",
            "AgentID": agent,
            "ReservedContacts": reserved,
        },
    )["message"]["response"]


def reserved(agent: str) -> dict[str, Any]:
    return call("GetReservedContactOD", {"UserID": agent})["message"]["response"]


def skip(key: str, phone: str, agent="a1@test", outcome=3) -> dict[str, Any]:
    return call(
        "SkipManualDialContact",
        {"OutcomeId": outcome, "UserId": agent, "AccountNumber": key, "PhoneNumber": phone},
    )


def held(phone="2025550100", agent="a1@test", call_id="call-1") -> str:
    """A contact handed out to `agent` and seen under `call_id`; its LCM key."""
    key = add_contact(phone=phone)
    assert fetch(agent)["AccountNumber"] == key
    assert answer(w.GetContactDetail(call_id, key)).fields
    return key


def contact_clock(minutes: int = 0) -> datetime:
    """Now on the contact's wall clock (its mode's zone), plus `minutes`."""
    now = timezone.now().astimezone(NEW_YORK).replace(tzinfo=None, second=0, microsecond=0)
    return now + timedelta(minutes=minutes)


def callback(key, call_id="call-1", *, personal=False, start=0, mode_id=1, agent="a1@test"):
    kind = w.SetPersonalCallbackWithComments if personal else w.SetCallbackWithComments
    return kind(
        call_id,
        key,
        contact_clock(start),
        contact_clock(start + 60),
        mode_id,
        agent,
        "call back after lunch",
        7,
        Decimal("99.90"),
    )


# ---------------------------------------------------------------------- call ids


def test_an_empty_call_id_is_invalid(sim_world):
    key = held()
    for request in (
        w.GetContactDetail("", key),
        w.GetScreenPopData(" ", key),
        w.GetCallBackModes("", key),
        callback(key, ""),
        w.SetNewModeNumber("", key, 1, "2025550111", False, "a1@test"),
        w.SetContactBusinessFields("", key, "a1@test", (w.BusinessField("first_name", "X"),)),
    ):
        assert ws_error(send(request)) == "Invalid Call ID."


def test_a_call_id_is_learnt_only_for_a_contact_an_agent_holds(sim_world):
    idle = add_contact(phone="2025550120", status=Contact.DELIVERED)  # nobody holds it
    assert ws_error(send(w.GetContactDetail("call-9", idle))) == "Invalid Call ID."
    key = held(phone="2025550121", call_id="call-9")
    assert SimCall.objects.get(call_id="call-9").agent_id == "a1@test"
    # known now: valid for its contact even after the contact is closed, never for another
    assert skip(key, "2025550121")["message"]["response"] == {"success": True}
    assert answer(w.GetScreenPopData("call-9", key)).fields["first_name"] == "Test"
    assert send(w.GetScreenPopData("call-9", key))["message"]["callid"] == "call-9"  # echoed
    assert ws_error(send(w.GetContactDetail("call-9", idle))) == "Invalid Call ID."


def test_contact_modes_take_an_empty_call_id_as_their_page_allows(sim_world):
    key = add_contact(phone="2025550122")
    modes = answer(w.GetContactModes("", key)).modes
    assert [mode.number for mode in modes] == ["2025550122"]
    assert ws_error(send(w.GetContactModes("nobody-holds-it", key))) == "Invalid Call ID."


def test_an_unknown_account_number_is_refused(sim_world):
    assert ws_error(send(w.GetContactDetail("c", "9|9|9|0|0|84|9"))) == "Invalid Account Number."


# ----------------------------------------------------------- who is on the line


def test_business_fields_and_screen_pop_come_from_the_contacts_data(sim_world):
    key = held()
    Contact.objects.filter(lcm_key=key).update(
        business_fields={"first_name": "Ada", "last_name": "Lovelace", "balance": "120.50"}
    )
    fields = {f.name: f for f in answer(w.GetContactDetail("call-1", key)).fields}
    assert fields["first_name"] == w.BusinessField("first_name", "Ada", "String", "", True)
    assert fields["balance"].editable is False and fields["balance"].data_type == "Number"
    pop = answer(w.GetScreenPopData("call-1", key)).fields
    assert pop == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "balance": "120.50",
        "Home": "2025550100",
    }


def test_corrections_are_kept_and_only_editable_fields_change(sim_world):
    key = held()
    fix = w.SetContactBusinessFields(
        "call-1", key, "a1@test", (w.BusinessField("FIRST_NAME", "Grace", "String"),)
    )
    assert answer(fix) == w.SuccessAnswer(True)
    assert answer(w.GetContactDetail("call-1", key)).value("first_name") == "Grace"

    Campaign.objects.update(editable_fields=["last_name"])
    refused = w.SetContactBusinessFields(
        "call-1",
        key,
        "a1@test",
        (w.BusinessField("last_name", "Hopper"), w.BusinessField("first_name", "G.")),
    )
    assert ws_error(send(refused)) == "Business field first_name is not editable."
    contact = Contact.objects.get(lcm_key=key)
    assert contact.business_fields == {"first_name": "Grace", "last_name": "Person"}  # all or none
    unknown = w.SetContactBusinessFields("call-1", key, "a1@test", (w.BusinessField("x", "1"),))
    assert ws_error(send(unknown)) == "Invalid business field x."


# ------------------------------------------------------------------------ modes


def test_contact_modes_describe_every_number(sim_world):
    key = held()
    (mode,) = answer(w.GetContactModes("call-1", key)).modes
    assert mode == w.ContactMode(
        1,
        "Home",
        "Spring Renewals",
        "2025550100",
        "08:00",
        "21:00",
        "(UTC-05:00) Eastern Time (US and Canada)",
        False,
    )


def test_numbers_are_added_changed_and_the_others_deleted(sim_world):
    key = held()
    add_mobile = w.SetNewModeNumber("call-1", key, 3, "(202) 555-0133", False, "a1@test")
    assert answer(add_mobile) == w.SuccessAnswer(True)
    assert answer(add_mobile) == w.SuccessAnswer(True)  # a repeat changes nothing
    modes = answer(w.GetContactModes("call-1", key)).modes
    assert [(m.mode_id, m.description, m.number) for m in modes] == [
        (1, "Home", "2025550100"),
        (3, "Mobile", "(202) 555-0133"),
    ]
    assert [m.mode_id for m in answer(w.GetCallBackModes("call-1", key)).modes] == [1, 3]

    change = w.SetNewModeNumber("call-1", key, 1, "2025550144", True, "a1@test")
    assert answer(change) == w.SuccessAnswer(True)
    modes = answer(w.GetContactModes("call-1", key)).modes
    assert [(m.description, m.number) for m in modes] == [("Home", "2025550144")]
    assert Contact.objects.get(lcm_key=key).modes.get().e164 == "+12025550144"


def test_an_unknown_mode_is_refused_and_nothing_changes(sim_world):
    key = held()
    refused = w.SetNewModeNumber("call-1", key, 77, "2025550101", False, "a1@test")
    assert ws_error(send(refused)) == "Invalid Mode ID."
    assert list(Contact.objects.get(lcm_key=key).modes.values_list("number", flat=True)) == [
        "2025550100"
    ]


# -------------------------------------------------------------------- callbacks


def test_a_regular_callback_comes_back_through_next_to_any_agent_once_due(sim_world):
    key = held()
    assert answer(callback(key, start=60)) == w.SuccessAnswer(True)
    contact = Contact.objects.get(lcm_key=key)
    assert (contact.status, contact.call_type, contact.reserved_for, contact.held_by) == (
        Contact.OPEN,
        Contact.REGULAR_CALLBACK,
        "",
        "",
    )
    assert contact.callback_start == contact_clock(60).replace(tzinfo=NEW_YORK)
    assert fetch("a2@test").get("AccountNumber") is None  # not due yet: nobody gets it

    assert answer(callback(key, start=-1)) == w.SuccessAnswer(True)  # the same call: replaces
    assert CallbackBooking.objects.filter(contact=contact).count() == 1
    handed = fetch("a2@test")  # another agent of the campaign, through Next
    assert handed["AccountNumber"] == key and handed["CallType"] == "1"
    assert fetch("a1@test").get("AccountNumber") != key  # never to two agents


def test_a_personal_callback_comes_back_only_to_its_agent_through_reserved(sim_world):
    key = held()
    assert answer(callback(key, personal=True, start=-1)) == w.SuccessAnswer(True)
    assert fetch("a2@test").get("AccountNumber") is None
    assert fetch("a1@test").get("AccountNumber") is None  # Next does not bring it
    assert reserved("a2@test").get("AccountNumber") is None
    back = reserved("a1@test")
    assert back["AccountNumber"] == key and back["CallType"] == "Personal Callback"
    assert back["PhoneNumber"] == "2025550100"
    assert reserved("a2@test").get("AccountNumber") is None


def test_a_callback_comes_back_on_the_number_it_was_booked_on(sim_world):
    key = held()
    answer(w.SetNewModeNumber("call-1", key, 3, "2025550177", False, "a1@test"))
    answer(callback(key, start=-1, mode_id=3))
    assert fetch("a2@test")["PhoneNumber"] == "2025550177"


def test_skip_after_a_booked_callback_keeps_the_callback(sim_world):
    key = held()
    answer(callback(key, personal=True, start=30))
    assert skip(key, "2025550100", outcome=4)["message"]["response"] == {"success": True}
    contact = Contact.objects.get(lcm_key=key)
    assert contact.status == Contact.OPEN and contact.call_type == Contact.PERSONAL_CALLBACK
    assert contact.callbacks.get().outcome_id == 4
    assert ws_error(skip(key, "2025550100", agent="a2@test"))  # not theirs


def test_a_dnc_outcome_after_a_callback_closes_the_contact(sim_world):
    key = held()
    answer(callback(key, start=-1))
    skip(key, "2025550100", outcome=5)
    assert Contact.objects.get(lcm_key=key).status == Contact.CLOSED
    assert fetch("a2@test").get("AccountNumber") is None


def test_a_callback_booked_after_the_skip_reopens_the_contact(sim_world):
    key = held()
    skip(key, "2025550100")
    assert answer(callback(key, start=-1)) == w.SuccessAnswer(True)
    assert fetch("a2@test")["AccountNumber"] == key


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"start": -30}, "Callback start time is in the past."),
        ({"start": 60 * 24 * 30}, "Callback end time is after the contact's expiry"),
        ({"mode_id": 3}, "Invalid Callback Mode ID."),
        ({"agent": "nobody@test"}, "Invalid Agent ID."),
    ],
)
def test_a_callback_lcm_cannot_keep_is_refused_and_nothing_changes(sim_world, change, text):
    key = held()
    assert ws_error(send(callback(key, **change))).startswith(text)
    contact = Contact.objects.get(lcm_key=key)
    assert contact.status == Contact.IN_PROGRESS and contact.held_by == "a1@test"
    assert not CallbackBooking.objects.exists()


def test_an_overdue_personal_callback_can_be_moved_to_another_agent(sim_world):
    """A lead reassigns the personal callback of an agent who left: the same call id and
    window, another UserID; the window is in the past by now, and stays as it was."""
    key = held()
    booked = callback(key, personal=True, start=-1)
    assert answer(booked) == w.SuccessAnswer(True)
    three_hours_ago = (timezone.now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    Contact.objects.filter(lcm_key=key).update(callback_start=three_hours_ago)
    CallbackBooking.objects.update(start=three_hours_ago)
    overdue = CallbackBooking.objects.get()
    moved = w.SetPersonalCallbackWithComments(
        "call-1",
        key,
        timezone.localtime(overdue.start, NEW_YORK).replace(tzinfo=None),
        timezone.localtime(overdue.end, NEW_YORK).replace(tzinfo=None),
        1,
        "a2@test",
        booked.comments,
        booked.lead_score,
        booked.target_amount,
    )
    assert answer(moved) == w.SuccessAnswer(True)
    # a new window in the past is still refused
    late = callback(key, personal=True, start=-30, agent="a2@test")
    assert ws_error(send(late)) == "Callback start time is in the past."
    assert reserved("a1@test").get("AccountNumber") is None
    assert reserved("a2@test")["AccountNumber"] == key


def test_no_callback_on_a_contact_another_agent_holds_now(sim_world):
    key = held()
    answer(callback(key, start=-1))
    assert fetch("a2@test")["AccountNumber"] == key
    assert ws_error(send(callback(key, start=5))) == "Contact is held by another agent."
    assert Contact.objects.get(lcm_key=key).held_by == "a2@test"


# ------------------------------------------------------------------ do-not-call


def test_an_appended_number_is_never_handed_out_again(sim_world):
    key = add_contact(phone="2025550188")
    result = answer(w.AddCompliance("+1 202-555-0188"))
    assert result.text == "Success"
    assert fetch("a1@test").get("AccountNumber") is None
    again = answer(w.AddCompliance("2025550188", "Spring Renewals"))  # national, in a campaign
    assert again.text == "Success"  # one per campaign and one for all
    assert "already" in answer(w.AddCompliance("+12025550188")).text
    assert SimDncEntry.objects.filter(e164="+12025550188").count() == 2
    assert Contact.objects.get(lcm_key=key).status == Contact.OPEN


def test_a_contact_with_another_number_is_handed_out_on_that_one(sim_world):
    key = held(phone="2025550191")
    answer(w.SetNewModeNumber("call-1", key, 3, "2025550192", False, "a1@test"))
    skip(key, "2025550191")
    Contact.objects.filter(lcm_key=key).update(status=Contact.OPEN)
    answer(w.AddCompliance("+12025550191"))
    assert [m.number for m in answer(w.GetCallBackModes("call-1", key)).modes] == ["2025550192"]
    assert fetch("a2@test")["PhoneNumber"] == "2025550192"


def test_a_window_in_the_future_or_another_campaign_does_not_block(sim_world):
    add_contact(phone="2025550193")
    later = timezone.localtime().replace(tzinfo=None) + timedelta(days=1)
    answer(w.AddCompliance("+12025550193", start=later))
    answer(w.AddCompliance("+12025550193", "Win-back West"))
    assert fetch("a1@test")["PhoneNumber"] == "2025550193"


def test_an_entry_for_one_mode_blocks_the_number_only_in_that_mode(sim_world):
    key = add_contact(phone="2025550195")  # Home (mode 1)
    answer(w.AddCompliance("+12025550195", mode_id=3))  # listed for Mobile only
    assert fetch("a1@test")["AccountNumber"] == key
    skip(key, "2025550195")
    Contact.objects.filter(lcm_key=key).update(status=Contact.OPEN)
    answer(w.AddCompliance("+12025550195", mode_id=1))
    assert fetch("a2@test").get("AccountNumber") is None


def test_add_compliance_refusals_name_what_is_wrong(sim_world):
    assert ws_error(send(w.AddCompliance("+12025550100", "No Such Campaign"))) == (
        "Invalid Campaign."
    )
    assert "Invalid CValue" in ws_error(send(w.AddCompliance("2020")))
    assert not SimDncEntry.objects.exists()


def test_no_callback_on_a_do_not_call_number(sim_world):
    key = held()
    answer(w.AddCompliance("+12025550100"))
    assert ws_error(send(callback(key))) == "The callback number is on the DNC list."


# ------------------------------------------------ over HTTP, and lost answers


def through_lcm(request):
    return async_to_sync(get_client().call)(request).answer


def test_the_wrapup_over_http_with_the_lcmsim_server(sim_world, lcmsim_server, settings):
    settings.LCM_URL = f"{lcmsim_server.url}/lcm"
    key = held()
    assert through_lcm(w.GetContactDetail("call-1", key)).value("last_name") == "Person"
    assert [m.mode_id for m in through_lcm(w.GetContactModes("call-1", key)).modes] == [1]
    assert through_lcm(callback(key, personal=True, start=-1)) == w.SuccessAnswer(True)
    assert through_lcm(w.AddCompliance("+12025550199")).text == "Success"
    with pytest.raises(LcmRejected) as error:
        through_lcm(w.GetScreenPopData("", key))
    assert error.value.lcm_text == "Invalid Call ID."
    assert reserved("a1@test")["AccountNumber"] == key


GARBLED = b"<html><body>502 Bad Gateway</body></html>"


@pytest.mark.parametrize(
    "make",
    [
        lambda key: callback(key, start=-1),
        lambda key: callback(key, personal=True, start=-1),
        lambda key: w.SetContactBusinessFields(
            "call-1", key, "a1@test", (w.BusinessField("first_name", "Lin"),)
        ),
        lambda key: w.SetNewModeNumber("call-1", key, 3, "2025550155", False, "a1@test"),
        lambda key: w.AddCompliance("+12025550156"),
    ],
    ids=["callback", "personal", "fields", "number", "dnc"],
)
def test_a_lost_answer_then_the_retry_does_it_once(sim_world, lcm_behind_proxy, make):
    key = held()
    request = make(key)
    lcm_behind_proxy.answer(request.SUBTOPIC, GARBLED, forward_first=True)  # acts, then lost
    with pytest.raises(LcmError) as error:
        through_lcm(request)
    assert error.value.outcome_unknown
    lcm_behind_proxy.answers.clear()
    through_lcm(request)  # the retry, same call id and values

    contact = Contact.objects.get(lcm_key=key)
    assert CallbackBooking.objects.count() == (
        1 if request.SUBTOPIC.startswith("Set") and "Callback" in request.SUBTOPIC else 0
    )
    if isinstance(request, w.SetCallbackWithComments):
        assert CallbackBooking.objects.get().times_sent == 2
        assert contact.call_type == (2 if request.PERSONAL else 1)
    if isinstance(request, w.SetContactBusinessFields):
        assert contact.business_fields["first_name"] == "Lin"
    if isinstance(request, w.SetNewModeNumber):
        assert list(contact.modes.values_list("name", "number")) == [
            ("Home", "2025550100"),
            ("Mobile", "2025550155"),
        ]
    if isinstance(request, w.AddCompliance):
        assert SimDncEntry.objects.get().times_sent == 2
