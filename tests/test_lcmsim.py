"""The bundled LCM simulator: documented shapes, documented errors, and real handout rules."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from agentdesk.lcm import messages as m
from agentdesk.lcm.envelope import build_request
from agentdesk.lcmsim import service
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact


def call(subtopic: str, data: dict[str, Any]) -> dict[str, Any]:
    return service.handle(build_request(subtopic, data, "tests"))


def response(answer: dict[str, Any]):
    assert answer["channel"] == "LCM" and answer["topic"] == "WebService"
    return answer["message"]["response"]


def ws_error(answer: dict[str, Any]) -> str:
    assert answer["subtopic"] == "WS_Error", answer
    return answer["message"]["response"]["ErrorMessage"]


def fetch(agent="a1@test", group="Sales Manual Group", consent="Both", reserved="false"):
    return call(
        "GetDownloadContactsForDialing",
        {
            "CampaignGroup": group,
            "NumberofContactsRequired": 1,
            "Consent": consent,
            "AgentID": agent,
            "ReservedContacts": reserved,
        },
    )


FETCH = {"NumberOfContactsRequired": "1", "Consent": "Both", "ReservedContacts": "false"}


def skip(key, phone, agent="a1@test", outcome=3):
    return call(
        "SkipManualDialContact",
        {"OutcomeId": outcome, "UserId": agent, "AccountNumber": key, "PhoneNumber": phone},
    )


def test_download_answers_with_the_documented_shape(sim_world):
    key = add_contact(phone="2025550101")
    answer = fetch()
    assert answer["subtopic"] == "DownloadContactsForDialing"
    contact = response(answer)
    assert set(contact) >= {
        "PhoneNumber",
        "AccountNumber",
        "CampaignId",
        "Mode",
        "ContactId",
        "ExpiryTime",
        "CallbackTime",
        "CallType",
        "Consent",
    }
    assert contact["AccountNumber"] == key
    assert contact["PhoneNumber"] == "2025550101"
    assert contact["CampaignId"] == "Spring Renewals"
    parts = key.split("|")
    assert len(parts) == 7 and parts[3:5] == ["0", "0"] and parts[5] == "84"
    assert parts[6] == contact["ContactId"]


def test_no_contact_is_a_request_failure_reason(sim_world):
    contact = response(fetch())
    assert contact == {
        "RequestFailureReason": "No contacts available in campaign group Sales Manual Group."
    }


def test_an_agent_keeps_their_contact_until_it_is_skipped(sim_world):
    add_contact(phone="2025550101")
    add_contact(phone="2025550102")
    first = response(fetch())
    again = response(fetch())
    assert again["AccountNumber"] == first["AccountNumber"]
    assert response(skip(first["AccountNumber"], first["PhoneNumber"])) == {"success": True}
    second = response(fetch())
    assert second["AccountNumber"] != first["AccountNumber"]


def test_a_skipped_contact_is_closed_and_never_handed_out_again(sim_world):
    key = add_contact()
    contact = response(fetch())
    skip(key, contact["PhoneNumber"], outcome=8)
    stored = Contact.objects.get(lcm_key=key)
    assert stored.status == Contact.CLOSED and stored.outcome_id == 8
    assert "RequestFailureReason" in response(fetch())
    assert "RequestFailureReason" in response(fetch(agent="a2@test"))


def test_repeating_a_skip_is_harmless(sim_world):
    key = add_contact(phone="2025550101")
    fetch()
    assert response(skip(key, "2025550101")) == {"success": True}
    assert response(skip(key, "2025550101")) == {"success": True}


def test_an_expired_contact_is_not_handed_out(sim_world):
    add_contact(
        end=(timezone.localtime() - timedelta(minutes=1)).replace(tzinfo=None),
        start=(timezone.localtime() - timedelta(days=1)).replace(tzinfo=None),
    )
    assert "RequestFailureReason" in response(fetch())


def test_a_callback_before_its_window_is_not_handed_out(sim_world):
    later = (timezone.localtime() + timedelta(hours=2)).replace(tzinfo=None)
    add_contact(call_type="1", start=later, end=later + timedelta(hours=2))
    assert "RequestFailureReason" in response(fetch())


def test_consent_filter(sim_world):
    add_contact(phone="2025550101", consent=True)
    add_contact(phone="2025550102", consent=False)
    assert response(fetch(consent="false"))["Consent"] == "No"
    assert response(fetch(agent="a2@test", consent="true"))["Consent"] == "Yes"


def test_status_4_delivered_contacts_are_held_back(sim_world):
    add_contact(status=4)
    assert "RequestFailureReason" in response(fetch())


def test_reserved_contacts_go_only_to_their_agent(sim_world):
    key = add_contact(call_type="2", agent_id="a2@test")
    assert "RequestFailureReason" in response(fetch(agent="a1@test"))
    od = call("GetReservedContactOD", {"UserID": "a1@test"})
    assert od["subtopic"] == "ContactOD" and "RequestFailureReason" in response(od)
    od = call("GetReservedContactOD", {"UserID": "a2@test"})
    assert response(od)["AccountNumber"] == key
    assert response(od)["CallType"] == "Personal Callback"  # seed 002 writes it in words
    assert set(response(od)) >= {"Prefix", "Suffix", "Queue"}


def test_reserved_manual_dial_contact(sim_world):
    key = add_contact(call_type="2", agent_id="a1@test")
    answer = call("GetReservedManualDialContact", {"AgentID": "a1@test"})
    assert answer["subtopic"] == "DownloadContactsForDialing"
    assert response(answer)["AccountNumber"] == key


def test_agent_call_count(sim_world):
    add_contact(call_type="2", agent_id="a1@test")
    add_contact(call_type="2", agent_id="a1@test")
    counts = response(call("GetAgentCallCount", {"AgentID": "a1@test"}))
    assert counts == {"PCBCount": 2, "RegularCount": 0, "IsAgentReserved": True}
    assert response(call("GetAgentCallCount", {"AgentID": "a3@test"}))["IsAgentReserved"] is False


def test_campaign_groups_for_the_dropdown(sim_world):
    answer = call("GetCampaignGroups", {"UserID": "a2@test"})
    assert answer["subtopic"] == "SetCampaignGroup"
    groups = response(answer)["CampaignGroups"]
    assert [g["Name"] for g in groups] == ["Sales Manual Group"]
    assert {c["ID"] for c in groups[0]["Campaigns"]} == {"Spring Renewals", "Win-back West"}
    assert {"ID": "a2@test", "Name": ""} in groups[0]["Agents"]
    assert set(groups[0]) == {"Name", "Type", "Status", "Campaigns", "Agents"}


def test_outcomes(sim_world):
    telephony = response(call("GetCallOutCome", {}))
    assert {(o["OutcomeID"], o["OutcomeName"]) for o in telephony} >= {
        (3, "Busy"),
        (4, "CallBack"),
        (5, "DNC"),
        (8, "No Answer"),
        (9, "Reject"),
    }
    manual = response(call("GetOutcomeByOutcomegroup", {"Type": "MANUAL"}))
    assert 130 not in {o["OutcomeID"] for o in manual}  # a PREDICTIVE outcome
    assert {"OutcomeID": 101, "OutcomeName": "Sale: annual plan", "ParentID": 100} in manual
    business = response(call("GetBusinessOutCome", {}))
    assert 130 in {o["OutcomeID"] for o in business}


def test_queue_count(sim_world):
    add_contact()
    add_contact(campaign="Service Follow-up")
    answer = call("GetCampaignGroupContactCount", {"CampaignGroup": "Sales Manual Group"})
    assert response(answer) == {"CampaignGroup": "Sales Manual Group", "OpenContacts": 1}


def test_create_contact_stores_everything(sim_world):
    request = m.CreateContact.from_data(
        {
            "CampaignID": "Win-back West",
            "Calltype": "0",
            "callStartDateTime": "01/01/2030 09:00",
            "callEndDateTime": "31/01/2030 17:00",
            "BussinessFields": "<Data><first_name>Zoë</first_name></Data>",
            "Modes": "<Data><Mobile><Cvalue>2025550199</Cvalue><TZ>(UTC+00:00) Dublin, Edinburgh, "
            "Lisbon, London</TZ></Mobile></Data>",
            "priority": 3,
            "Status": 0,
            "IsAccountNumber": "true",
        }
    )
    answer = call("CreateContact", {**request.to_data()})
    assert answer["subtopic"] == "CreateContactResponse"
    key = response(answer)
    contact = Contact.objects.get(lcm_key=key)
    assert contact.business_fields == {"first_name": "Zoë"}
    assert contact.priority == 3 and contact.status == Contact.OPEN
    assert key.split("|")[5] == "44"
    assert contact.modes.get().name == "Mobile"


def test_a_create_contact_body_sent_as_add_compliance_creates_no_contact(sim_world):
    """AddCompliance is the do-not-call append; the seed page's CreateContact body under it
    is a slip, refused naming what the append needs."""
    before = Contact.objects.count()
    data = m.CreateContact(
        "Spring Renewals",
        timezone.now(),
        timezone.now(),
        {"a": "b"},
        (m.ContactMode("Home", "2025550100", ""),),
    ).to_data()
    answer = call(" AddCompliance ", data)
    assert answer["subtopic"] == "WS_Error"
    assert "ChannelType" in answer["message"]["response"]["ErrorMessage"]
    assert Contact.objects.count() == before


@pytest.mark.parametrize(
    ("subtopic", "data", "text"),
    [
        ("NoSuchCall", {}, "Unknown subtopic NoSuchCall."),
        (
            "GetDownloadContactsForDialing",
            {**FETCH, "CampaignGroup": "Nope", "AgentID": "a1@test"},
            "Invalid Campaign Group.",
        ),
        (
            "GetDownloadContactsForDialing",
            {**FETCH, "CampaignGroup": "Service Manual Group", "AgentID": "a2@test"},
            "Agent a2@test is not assigned to campaign group Service Manual Group.",
        ),
        (
            "GetDownloadContactsForDialing",
            {
                "NumberOfContactsRequired": "1",
                "Consent": "Both",
                "ReservedContacts": "false",
                "AgentID": "a1@test",
            },
            "Invalid request: CampaignGroup is missing.",
        ),
        (
            "SkipManualDialContact",
            {
                "OutcomeId": 3,
                "UserId": "a1@test",
                "AccountNumber": "9|9|9|0|0|84|9",
                "PhoneNumber": "1",
            },
            "Invalid Account Number.",
        ),
        (
            "SkipManualDialContact",
            {"OutcomeId": 999, "UserId": "a1@test", "AccountNumber": "x", "PhoneNumber": "1"},
            "Invalid Outcome ID.",
        ),
        (
            "CreateContact",
            {
                **m.CreateContact(
                    "Nope",
                    timezone.now(),
                    timezone.now(),
                    {"a": "b"},
                    (m.ContactMode("Home", "2025550100", ""),),
                ).to_data()
            },
            "Invalid Campaign ID.",
        ),
        (
            "CreateContact",
            {
                **m.CreateContact(
                    "Spring Renewals",
                    timezone.now(),
                    timezone.now(),
                    {"a": "b"},
                    (m.ContactMode("Home", "2025550100", ""),),
                    status=-1,
                ).to_data()
            },
            "Invalid Status. Use a number from 0 to 32767.",
        ),
    ],
)
def test_documented_errors(sim_world, subtopic, data, text):
    assert ws_error(call(subtopic, data)) == text


def test_skipping_someone_elses_contact_is_refused(sim_world):
    key = add_contact(phone="2025550101")
    fetch(agent="a2@test")
    assert (
        ws_error(skip(key, "2025550101", agent="a1@test"))
        == "Contact is not held by agent a1@test."
    )


def test_non_json_request_body(sim_world):
    answer = service.handle_envelope(b"not json")
    assert b"WS_Error" in answer and b"not JSON" in answer


# ------------------------------------------- behaving like the documented LCM, not like agentdesk


@pytest.mark.parametrize("field", ["IsAccountNumber", "Status"])
def test_create_contact_without_a_mandatory_field_is_refused(sim_world, field):
    data = m.CreateContact(
        "Spring Renewals",
        timezone.now(),
        timezone.now(),
        {"a": "b"},
        (m.ContactMode("Home", "2025550100", ""),),
    ).to_data()
    del data[field]
    assert ws_error(call("CreateContact", data)) == f"Invalid request: {field} is missing."
    assert not Contact.objects.exists()


@pytest.mark.parametrize("field", ["NumberOfContactsRequired", "Consent", "ReservedContacts"])
def test_a_fetch_without_a_mandatory_field_is_refused(sim_world, field):
    add_contact()
    data = {"CampaignGroup": "Sales Manual Group", "AgentID": "a1@test", **FETCH}
    del data[field]
    assert ws_error(call("GetDownloadContactsForDialing", data)) == (
        f"Invalid request: {field} is missing."
    )
    assert not Contact.objects.filter(status=Contact.IN_PROGRESS).exists()


def test_unknown_and_logged_out_agents_get_an_error_not_no_contact(sim_world):
    from agentdesk.lcmsim.service import set_agent_logged_in

    add_contact()
    assert ws_error(fetch(agent="nobody@test")) == "Invalid Agent ID."
    assert ws_error(call("GetAgentCallCount", {"AgentID": "nobody@test"})) == "Invalid Agent ID."
    set_agent_logged_in("a1@test", False)
    assert ws_error(fetch()) == "Agent is not logged in to the application."
    assert ws_error(call("GetReservedContactOD", {"UserID": "a1@test"})) == (
        "Agent is not logged in to the application."
    )
    assert not Contact.objects.filter(status=Contact.IN_PROGRESS).exists()
    set_agent_logged_in("a1@test", True)
    assert "AccountNumber" in response(fetch())


def test_a_held_contact_is_released_when_its_hold_times_out(sim_world, settings):
    settings.LCMSIM_HOLD_SECONDS = 60
    key = add_contact(phone="2025550101")
    assert response(fetch())["AccountNumber"] == key
    Contact.objects.filter(lcm_key=key).update(held_at=timezone.now() - timedelta(seconds=61))

    assert response(fetch(agent="a2@test"))["AccountNumber"] == key  # back in the campaign
    assert ws_error(skip(key, "2025550101")) == "Contact is not held by agent a1@test."
    assert Contact.objects.get(lcm_key=key).held_by == "a2@test"


def test_a_held_contact_is_never_handed_out_from_another_group(sim_world):
    key = add_contact(phone="2025550101")  # Spring Renewals, in Sales Manual Group
    assert response(fetch())["AccountNumber"] == key
    text = ws_error(fetch(group="Service Manual Group"))
    assert text == (
        f"Agent a1@test already holds contact {key} of campaign group Sales Manual Group; "
        "close it before fetching from Service Manual Group."
    )
    assert response(fetch())["AccountNumber"] == key  # still the agent's, in its own group


def test_only_known_outcomes_are_accepted(sim_world):
    key = add_contact(phone="2025550101")
    fetch()
    assert ws_error(skip(key, "2025550101", outcome=999)) == "Invalid Outcome ID."
    assert Contact.objects.get(lcm_key=key).status == Contact.IN_PROGRESS
    assert response(skip(key, "2025550101", outcome=101)) == {"success": True}  # MANUAL


def test_a_repeated_skip_with_another_outcome_says_what_lcm_has(sim_world):
    key = add_contact(phone="2025550101")
    fetch()
    assert response(skip(key, "2025550101", outcome=3)) == {"success": True}
    assert response(skip(key, "2025550101", outcome=3)) == {"success": True}
    assert ws_error(skip(key, "2025550101", outcome=8)) == (
        "Contact is already closed with outcome 3 Busy."
    )
    assert Contact.objects.get(lcm_key=key).outcome_id == 3


def test_contact_od_writes_dates_and_call_types_as_seed_002_shows(sim_world):
    moment = timezone.make_aware(datetime(2030, 10, 7, 23, 59))
    key = add_contact(call_type="2", agent_id="a1@test", end=moment.replace(tzinfo=None))
    od = response(call("GetReservedContactOD", {"UserID": "a1@test"}))
    assert od["AccountNumber"] == key
    assert od["ExpiryTime"] == "Oct 7 2030 11:59PM"
    assert od["CallType"] == "Personal Callback"
    assert isinstance(od["ContactId"], str)


def test_the_shape_switch_command(sim_world):
    import asyncio
    import json

    from django.core.management import call_command

    from agentdesk.lcmsim.models import Fault

    call_command("lcmsim_shape", "error_key")
    assert Fault.objects.get().shape == "error_key"
    body = json.dumps(build_request("GetAgentCallCount", {"AgentID": "nobody@test"}, "t"))
    answer = json.loads(asyncio.run(service.handle_envelope_async(body.encode())))
    assert answer["subtopic"] == "AgentCallCount"
    assert answer["message"]["response"] == {"Error": "Invalid Agent ID."}
    call_command("lcmsim_agent", "a1@test", "--logged-out")
    assert ws_error(fetch()) == "Agent is not logged in to the application."
