"""The LCM envelope and typed messages: the seed pages' samples, tolerance, strictness, XML."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import pytest

from agentdesk.lcm import catalogue
from agentdesk.lcm import messages as m
from agentdesk.lcm.dates import read_lcm_datetime
from agentdesk.lcm.envelope import build_request, build_ws_error, parse_answer, parse_request
from agentdesk.lcm.errors import LcmBadAnswer, LcmRejected, MessageError
from agentdesk.lcm.fields import as_consent, format_lcm_datetime
from agentdesk.lcm.xmlfields import (
    ContactMode,
    build_fields_xml,
    build_modes_xml,
    parse_fields_xml,
    parse_modes_xml,
)

# The seed pages' samples, changed only where they are not valid JSON (noted beside each).
SEED_000_REQUEST = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": " AddCompliance ",
    "data":
    {
        "CampaignID": "Spring Renewals",
        "Calltype": "0",
        "callStartDateTime": "24/10/2024 07:33",
        "callEndDateTime": "24/10/2024 07:33",
        "BussinessFields": "<Data><first_name>test</first_name><last_name>test</last_name></Data>",
        "priority": 0,
        "Modes": "<Data><Home><Cvalue>609309034</Cvalue><TZ>(UTC-05:00) Eastern Time (US and Canada)</TZ></Home></Data>",
        "AgentID": "",
        "SMSData": "",
        "MailSubject": "",
        "MailMsg": "",
        "MailAttachment": "",
        "ZipCode": "",
        "ContactDetail": "",
        "ListID": 0,
        "IsAccountNumber": true,
        "Status": 4
    }
}"""  # campaignName variable -> a name; ""24/10/2024 07:33, -> "24/10/2024 07:33"; JS concatenation -> a string
SEED_000_RESPONSE = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": " AddComplianceResponse",
    "message":
    {
        "response": "77|1|18|0|0|84|0"
    }
}"""  # curly quotes around the key -> straight quotes
# The seed's subtopic " AddCompliance " over a CreateContact body is a slip of the vendor page
# (AddCompliance is the do-not-call append): the body is CreateContact's, answered in kind.
SEED_000_AS_CREATE = SEED_000_REQUEST.replace('" AddCompliance "', '"CreateContact"')
SEED_000_AS_CREATE_RESPONSE = SEED_000_RESPONSE.replace(
    '" AddComplianceResponse"', '"CreateContactResponse"'
)
SEED_001_REQUEST = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": "GetDownloadContactsForDialing",
    "data": {
        "CampaignGroup": "AD Dev Manual Group",
        "NumberofContactsRequired": 1,
        "Consent": "Both",
        "AgentID": "[email protected]",
         "ReservedContacts": "false"
    }
}"""
SEED_001_RESPONSE = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": "DownloadContactsForDialing",
    "message": {
        "response": {
            "PhoneNumber": "1234567890",
            "AccountNumber": "0|0|000|0|0|00|1234",
            "CampaignId": "AD Manual Dial Campaign",
            "Mode": "Mobile",
            "ContactId": 3,
            "ExpiryTime": "01/30/2024 23:59:00",
            "CallbackTime": "01/30/2024 11:46:09",
            "CallType": 0,
            "Consent": "Yes"
        }
    }
}"""
SEED_002_REQUEST = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": "GetReservedContactOD",
    "data":
    {
        "UserID": "testagent"
    }
}"""  # "testagent” -> "testagent"
SEED_002_RESPONSE = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": "ContactOD",
    "message":
    {
        "response":
        {
            "PhoneNumber": "9873635",
            "AccountNumber": "137|1|3|0|0|84|1",
            "CampaignId": "SamplePreviewCampaign-ACQ",
            "Mode": "Home",
            "ContactId": "137",
            "ExpiryTime": "Oct 7 2020 11:59PM",
            "CallbackTime": "Oct 7 2020 11:59PM",
            "CallType": "Regular Call",
            "Prefix": "",
            "Suffix": "",
            "Queue": "Queue1"
        }
    }
}"""
SEED_004_REQUEST = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": "SkipManualDialContact",
    "data": {
        "OutcomeId": 100,
        "UserID": "testagent@domain.com",
        "AccountNumber": "49|3|279|0|0|44|1253",
        "PhoneNumber": "1234567890"
    }
}"""
SEED_004_RESPONSE = """{
    "channel": "LCM",
    "topic": "WebService",
    "subtopic": "SkipManualDialContactResult",
    "message": {
        "response": {
            "success": true
        }
    }
}"""


def naive(moment: datetime | None) -> datetime:
    """LCM's zone is UTC in the tests (TIME_ZONE)."""
    assert moment is not None
    return moment.replace(tzinfo=None)


def read_request(text: str) -> m.LcmRequest[Any]:
    subtopic, data = parse_request(json.loads(text))
    request_type = catalogue.request_type_for(subtopic)
    assert request_type is not None, subtopic
    return request_type.from_data(data)


def test_seed_000_create_contact_body_is_read_as_create_contact():
    request = read_request(SEED_000_AS_CREATE)
    assert isinstance(request, m.CreateContact)
    assert request.campaign_id == "Spring Renewals"
    assert request.business_fields == {"first_name": "test", "last_name": "test"}
    assert request.modes == (
        ContactMode("Home", "609309034", "(UTC-05:00) Eastern Time (US and Canada)"),
    )
    assert request.call_start == datetime(2024, 10, 24, 7, 33)
    assert request.status == 4 and request.is_account_number is True


def test_seed_000_sample_under_add_compliance_is_the_dnc_append_and_names_what_is_missing():
    assert catalogue.request_type_for(" AddCompliance ") is not m.CreateContact
    with pytest.raises(MessageError) as error:
        read_request(SEED_000_REQUEST)
    assert error.value.field in {"ChannelType", "CValue", "UploadType", "Operation"}


def test_seed_000_response_gives_the_lcm_key():
    response = parse_answer(SEED_000_AS_CREATE_RESPONSE, m.CreateContact.ANSWERS)
    assert m.CreateContact.read_answer(response) == m.CreateContactAnswer("77|1|18|0|0|84|0")


def test_seed_001_request_with_its_casing_and_string_booleans():
    request = read_request(SEED_001_REQUEST)
    assert request == m.GetDownloadContactsForDialing(
        campaign_group="AD Dev Manual Group",
        agent_id="[email protected]",
        consent="Both",
        reserved_contacts=False,
    )


def test_an_answer_nested_too_deeply_is_a_bad_answer_not_a_crash():
    with pytest.raises(LcmBadAnswer):
        parse_answer("[" * 50_000 + "]" * 50_000, m.GetDownloadContactsForDialing.ANSWERS)


def test_seed_001_response_reads_every_field():
    answer = m.GetDownloadContactsForDialing.read_answer(
        parse_answer(SEED_001_RESPONSE, m.GetDownloadContactsForDialing.ANSWERS)
    )
    contact = answer.contact
    assert contact.phone_number == "1234567890"
    assert contact.account_number == "0|0|000|0|0|00|1234"
    assert contact.campaign_id == "AD Manual Dial Campaign"
    assert contact.mode == "Mobile"
    assert contact.contact_id == "3"
    assert naive(contact.expiry.moment) == datetime(2024, 1, 30, 23, 59)
    assert naive(contact.callback.moment) == datetime(2024, 1, 30, 11, 46, 9)
    assert contact.call_type == "Regular"
    assert contact.consent == "Yes"


def test_seed_002_request_and_response():
    assert read_request(SEED_002_REQUEST) == m.GetReservedContactOD(user_id="testagent")
    answer = m.GetReservedContactOD.read_answer(
        parse_answer(SEED_002_RESPONSE, m.GetReservedContactOD.ANSWERS)
    )
    contact = answer.contact
    assert contact.contact_id == "137"
    assert contact.queue == "Queue1"
    assert contact.call_type == "Regular"  # "Regular Call" shown with the same label as 0
    assert naive(contact.expiry.moment) == datetime(2020, 10, 7, 23, 59)
    assert contact.lcm_time_zone.iana == "America/New_York"  # from the key's 6th part, 84


def test_seed_004_request_uses_userid_in_either_casing():
    request = read_request(SEED_004_REQUEST)
    assert request == m.SkipManualDialContact(
        outcome_id=100,
        user_id="testagent@domain.com",
        account_number="49|3|279|0|0|44|1253",
        phone_number="1234567890",
    )
    assert request.to_data()["UserId"] == "testagent@domain.com"
    answer = m.SkipManualDialContact.read_answer(
        parse_answer(SEED_004_RESPONSE, m.SkipManualDialContact.ANSWERS)
    )
    assert answer == m.SkipAnswer(True)


MANDATORY = {
    SEED_000_AS_CREATE: [
        "CampaignID",
        "Calltype",
        "callStartDateTime",
        "callEndDateTime",
        "BussinessFields",
        "Modes",
        "IsAccountNumber",
        "Status",
    ],
    SEED_001_REQUEST: [
        "CampaignGroup",
        "NumberofContactsRequired",
        "Consent",
        "AgentID",
        "ReservedContacts",
    ],
    SEED_002_REQUEST: ["UserID"],
    SEED_004_REQUEST: ["OutcomeId", "UserID", "AccountNumber", "PhoneNumber"],
}


@pytest.mark.parametrize(
    ("sample", "field"), [(s, f) for s, fields in MANDATORY.items() for f in fields]
)
def test_a_missing_mandatory_field_is_named(sample, field):
    envelope = json.loads(sample)
    del envelope["data"][field]
    with pytest.raises(MessageError) as error:
        read_request(json.dumps(envelope))
    assert error.value.field.lower() == field.lower()
    assert "missing" in str(error.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        ("true", "true"),
        ("TRUE", "true"),
        (False, "false"),
        ("false", "false"),
        ("Both", "Both"),
        ("both", "Both"),
        (" Both ", "Both"),
    ],
)
def test_consent_is_read_in_every_spelling(value, expected):
    assert as_consent(value) == expected


def test_consent_rejects_nonsense():
    with pytest.raises(MessageError, match="Consent"):
        as_consent("sometimes")


@pytest.mark.parametrize("flag", [True, "true", "True", " true "])
def test_reserved_contacts_accepts_string_booleans(flag):
    request = m.GetDownloadContactsForDialing.from_data(
        {
            "CampaignGroup": "G",
            "AgentID": "a",
            "ReservedContacts": flag,
            "Consent": "Both",
            "NumberOfContactsRequired": "1",
        }
    )
    assert request.reserved_contacts is True


def test_more_than_one_contact_per_request_is_refused():
    with pytest.raises(MessageError, match="NumberOfContactsRequired"):
        m.GetDownloadContactsForDialing.from_data(
            {"CampaignGroup": "G", "AgentID": "a", "NumberOfContactsRequired": "2"}
        )


def test_business_fields_escape_markup():
    hostile = "</first_name><x>"
    xml = build_fields_xml({"first_name": hostile, "last_name": 'O\'Brien & "Sons"'})
    root = ET.fromstring(xml)  # well-formed
    assert [child.tag for child in root] == ["first_name", "last_name"]
    assert root.find("first_name").text == hostile
    assert "<x>" not in xml
    assert parse_fields_xml(xml)["last_name"] == 'O\'Brien & "Sons"'


def test_modes_xml_round_trips_and_escapes():
    modes = [
        ContactMode("Home", "<555>&1", "(UTC-05:00) Eastern Time (US and Canada)"),
        ContactMode("Mobile", "5550002", ""),
    ]
    xml = build_modes_xml(modes)
    assert xml.startswith("<Data><Home><Cvalue>&lt;555&gt;&amp;1</Cvalue>")
    assert parse_modes_xml(xml) == modes


@pytest.mark.parametrize("name", ["first name", "1st", "a<b", "xmlfield", ""])
def test_field_names_that_are_not_xml_names_are_refused(name):
    with pytest.raises(MessageError, match="BussinessFields"):
        build_fields_xml({name: "x"})


def test_control_characters_cannot_break_the_document():
    xml = build_fields_xml({"note": "bell\x07 and nul\x00"})
    assert ET.fromstring(xml).find("note").text == "bell and nul"


def test_modes_need_at_least_one_mode():
    with pytest.raises(MessageError, match="Modes"):
        build_modes_xml([])


def test_hostile_xml_is_refused_when_read():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<Data><first_name>&b;</first_name></Data>"
    )
    with pytest.raises(MessageError, match="not well-formed"):
        parse_fields_xml(bomb)


def test_dates_use_the_documented_format():
    assert format_lcm_datetime(datetime(2024, 10, 24, 7, 33)) == "24/10/2024 07:33"
    assert naive(read_lcm_datetime("24/10/2024 07:33").moment) == datetime(2024, 10, 24, 7, 33)
    assert read_lcm_datetime("garbage").moment is None


def test_bad_dates_in_requests_name_the_field():
    envelope = json.loads(SEED_000_AS_CREATE)
    envelope["data"]["callEndDateTime"] = "2024-10-24"
    with pytest.raises(MessageError) as error:
        read_request(json.dumps(envelope))
    assert error.value.field == "callEndDateTime"


def test_envelope_shape():
    request = m.GetAgentCallCount("agent7")
    assert build_request(request.SUBTOPIC, request.to_data(), "agentdesk") == {
        "channel": "LCM",
        "topic": "WebService",
        "subtopic": "GetAgentCallCount",
        "source": "agentdesk",
        "data": {"AgentID": "agent7"},
    }


def test_ws_error_answers_raise_with_their_text():
    with pytest.raises(LcmRejected) as error:
        parse_answer(json.dumps(build_ws_error("Invalid Call ID.")), ["ContactOD"])
    assert error.value.detail == "Invalid Call ID."
    assert "Invalid Call ID." in error.value.describe()


@pytest.mark.parametrize(
    "body",
    [
        b"<html>oops</html>",
        b"[]",
        b'{"subtopic": "ContactOD"}',
        b'{"subtopic": "SomethingElse", "message": {"response": {}}}',
        b'{"subtopic": "ContactOD", "message": {}}',
        b"\xff\xfe",
    ],
)
def test_unreadable_answers_raise_bad_answer(body):
    with pytest.raises(LcmBadAnswer):
        parse_answer(body, ["ContactOD"])


def test_request_failure_reason_is_no_contact_not_an_error():
    answer = m.FetchAnswer.from_response({"RequestFailureReason": "No contacts available."})
    assert answer.contact is None and answer.failure_reason == "No contacts available."


def test_a_contact_without_its_key_is_a_bad_answer():
    with pytest.raises(MessageError, match="AccountNumber"):
        m.FetchAnswer.from_response({"PhoneNumber": "555"})


def test_campaign_groups_answer_round_trips():
    answer = m.CampaignGroupsAnswer(
        (
            m.CampaignGroup(
                "G1",
                "Manual",
                "Active",
                (m.CampaignInGroup("C1", 100, "Active"),),
                (("a1", "Agent One"),),
            ),
        )
    )
    assert m.CampaignGroupsAnswer.from_response(answer.to_response()) == answer
    assert answer.to_response()["CampaignGroups"][0]["Campaigns"] == [
        {"ID": "C1", "PCT": 100, "Status": "Active"}
    ]


def test_agent_call_count_reads_string_booleans():
    answer = m.AgentCallCountAnswer.from_response(
        {"PCBCount": "2", "RegularCount": 1, "IsAgentReserved": "true"}
    )
    assert answer == m.AgentCallCountAnswer(2, 1, True)


def test_every_request_type_names_its_answer_type():
    """`LcmRequest[X]` and its ANSWER agree, so `exchange.answer` has the declared type."""
    from typing import get_args

    for request_type in catalogue.REQUEST_TYPES:
        (declared,) = get_args(request_type.__orig_bases__[0])
        assert declared is request_type.ANSWER, request_type.__name__
