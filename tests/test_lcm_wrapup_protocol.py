"""The wrap-up messages (agentdesk/lcm/wrapup.py): the vendor pages' samples, both key
casings, DD/MM/YYYY and HH:mm dates, true/"true" booleans, and refusals."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from agentdesk.lcm import catalogue
from agentdesk.lcm import messages as m
from agentdesk.lcm import wrapup as w
from agentdesk.lcm.envelope import parse_answer, parse_request
from agentdesk.lcm.errors import LcmBadAnswer, LcmRejected, MessageError

START = datetime(2026, 12, 9, 14, 30)
END = datetime(2026, 12, 9, 16, 0)


def read_request(envelope: dict[str, Any]) -> m.LcmRequest[Any]:
    subtopic, data = parse_request(envelope)
    request_type = catalogue.request_type_for(subtopic)
    assert request_type is not None, subtopic
    return request_type.from_data(data)


def answer_of(request_type, subtopic: str, message: dict[str, Any]):
    body = json.dumps(
        {"channel": "LCM", "topic": "WebService", "subtopic": subtopic, "message": message}
    )
    return request_type.read_answer(
        parse_answer(body, request_type.ANSWERS, response_keys=request_type.RESPONSE_KEYS)
    )


def test_every_wrapup_subtopic_is_found_and_writes_are_marked():
    for request_type in w.WRAPUP_REQUEST_TYPES:
        assert catalogue.request_type_for(f" {request_type.SUBTOPIC.upper()} ") is request_type
        assert request_type in catalogue.REQUEST_TYPES
    reads = {w.GetContactDetail, w.GetScreenPopData, w.GetContactModes, w.GetCallBackModes}
    for request_type in w.WRAPUP_REQUEST_TYPES:
        assert request_type.WRITES is (request_type not in reads), request_type.__name__


# ------------------------------------------------------------------- requests


def test_set_callback_sends_the_documented_fields_and_formats():
    request = w.SetCallbackWithComments(
        "c-1", "5|3|1|0|0|44|1", START, END, 3, "agent7", "wants a call", 4, Decimal("120.50")
    )
    assert request.to_data() == {
        "callid": "c-1",
        "AccountNumber": "5|3|1|0|0|44|1",
        "StartDate": "09/12/2026",
        "EndDate": "09/12/2026",
        "StartTime": "14:30",
        "EndTime": "16:00",
        "CallbackModeId": 3,
        "UserID": "agent7",
        "AgentComments": "wants a call",
        "LeadScore": 4,
        "TargetAmount": 120.5,
    }
    json.dumps(request.to_data())  # a Decimal would not serialise


def test_personal_callback_uses_its_own_pages_casing_and_reads_back():
    request = w.SetPersonalCallbackWithComments(
        "c-1", "5|3|1|0|0|44|1", START, END, 2, "agent7", "", None, None
    )
    data = request.to_data()
    assert data["CallbackModeID"] == 2 and "CallbackModeId" not in data
    assert data["LeadScore"] == 0 and data["TargetAmount"] == 0
    back = w.SetPersonalCallbackWithComments.from_data(data)
    assert back.start == START and back.end == END and back.mode_id == 2
    assert back.lead_score == 0 and back.target_amount == Decimal(0)


@pytest.mark.parametrize("mode_key", ["CallbackModeId", "CallbackModeID", "callbackmodeid"])
def test_callback_reads_either_mode_key_casing(mode_key):
    data = w.SetCallbackWithComments(
        "c-1", "1|2|3", START, END, 3, "a", "x", 1, Decimal(2)
    ).to_data()
    data[mode_key] = data.pop("CallbackModeId")
    data["LeadScore"] = "5"  # numbers sent as text are read too
    request = w.SetCallbackWithComments.from_data(data)
    assert request.mode_id == 3 and request.lead_score == 5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("StartDate", "2026-12-09"),
        ("StartDate", "12/31/2026"),  # month first: not the documented DD/MM/YYYY
        ("StartTime", "2:30 PM"),
        ("EndTime", "25:00"),
        ("CallbackModeId", "mobile"),
        ("TargetAmount", "lots"),
        ("LeadScore", "2.5"),
        ("UserID", ""),
        ("AccountNumber", None),
    ],
)
def test_bad_callback_requests_name_the_field(field, value):
    data = w.SetCallbackWithComments("c", "1|2|3", START, END, 3, "a", "", 1, None).to_data()
    data[field] = value
    with pytest.raises(MessageError) as error:
        w.SetCallbackWithComments.from_data(data)
    assert error.value.field == field


def test_a_callback_window_that_ends_before_it_starts_is_refused():
    data = w.SetCallbackWithComments("c", "1|2|3", END, START, 3, "a", "", 1, None).to_data()
    with pytest.raises(MessageError) as error:
        w.SetCallbackWithComments.from_data(data)
    assert error.value.field == "EndDate"


def test_an_empty_call_id_reaches_the_simulator_to_be_refused_there():
    """An empty call id is LCM's "Invalid Call ID.", not a malformed request."""
    data = w.GetContactDetail("", "1|2|3").to_data()
    assert w.GetContactDetail.from_data(data).call_id == ""


def test_set_business_fields_sample_request():
    request = read_request(
        {
            "channel": "LCM",
            "topic": "WebService",
            "subtopic": "SetContactBusinessFields",
            "data": {
                "callid": "12345",
                "AccountNumber": "5|3|1|0|0|44|1",
                "AgentID": "testagent",
                "businessField": [
                    {"FieldName": "FName", "Value": "Test", "DataType": "String", "Format": ""},
                    {"FieldName": "LName", "Value": "Berry", "DataType": "String", "Format": ""},
                ],
            },
        }
    )
    assert request == w.SetContactBusinessFields(
        "12345",
        "5|3|1|0|0|44|1",
        "testagent",
        (w.BusinessField("FName", "Test", "String"), w.BusinessField("LName", "Berry", "String")),
    )
    assert "Editable" not in request.to_data()["businessField"][0]


def test_set_business_fields_needs_a_list_of_fields():
    data = w.SetContactBusinessFields("c", "1|2|3", "a", ()).to_data()
    with pytest.raises(MessageError) as error:
        w.SetContactBusinessFields.from_data(data)
    assert error.value.field == "businessField"


@pytest.mark.parametrize("flag", [False, "false", "False"])
def test_set_new_mode_number_sample_request_with_string_or_real_booleans(flag):
    request = read_request(
        {
            "channel": "LCM",
            "topic": "WebService",
            "subtopic": "SetNewModeNumber",
            "data": {
                "callid": "12345",
                "AccountNumber": "5|3|1|0|0|44|1",
                "ModeID": 1,
                "ContactNumber": "961084836",
                "DeleteOtherModes": flag,
                "AgentID": "testagent",
            },
        }
    )
    assert request == w.SetNewModeNumber(
        "12345", "5|3|1|0|0|44|1", 1, "961084836", False, "testagent"
    )


def test_set_new_mode_number_casing_styles():
    request = w.SetNewModeNumber("c", "1|2|3", 3, "2025550100", True, "a")
    assert request.to_data(m.TABLES)["ModeID"] == "3"  # the table: a String
    assert request.to_data(m.SAMPLES)["ModeID"] == 3  # the sample: a number
    assert w.SetNewModeNumber.from_data({**request.to_data(), "DeleteOtherModes": "true"}) == (
        request
    )


def test_add_compliance_sample_request_is_the_dnc_append():
    """The page's sample, with its `Cvalue` and `Startdate` casing and curly quotes fixed."""
    request = read_request(
        {
            "channel": "LCM",
            "topic": "WebService",
            "subtopic": " AddCompliance ",
            "data": {
                "Cvalue": "2020",
                "Campaign": "",
                "CampaignCategory": "",
                "Startdate": "07/09/2020 07:33",
                "EndDate": "08/09/2021 07:33",
                "ChannelType": "VOICE",
                "UploadType": "DNC",
                "Operation": "Append",
                "IsBusinessFieldDNC": False,
            },
        }
    )
    assert request == w.AddCompliance(
        "2020", "", datetime(2020, 9, 7, 7, 33), datetime(2021, 9, 8, 7, 33)
    )


def test_add_compliance_sends_the_table_casing_or_the_samples():
    request = w.AddCompliance("+12025550100", "Spring Renewals", start=START)
    tables = request.to_data(m.TABLES)
    assert tables["CValue"] == "+12025550100" and tables["StartDate"] == "09/12/2026 14:30"
    assert (tables["ChannelType"], tables["UploadType"], tables["Operation"]) == (
        "VOICE",
        "DNC",
        "Append",
    )
    assert "EndDate" not in tables  # no end: listed until taken off
    samples = request.to_data(m.SAMPLES)
    assert samples["Cvalue"] == "+12025550100" and samples["Startdate"] == "09/12/2026 14:30"
    assert w.AddCompliance.from_data(samples) == request


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ChannelType", "SMS"),
        ("UploadType", "PEWC"),
        ("Operation", "Delete"),
        ("CValue", ""),
        ("StartDate", "2020-09-07"),
    ],
)
def test_bad_add_compliance_requests_name_the_field(field, value):
    data = w.AddCompliance("2025550100").to_data()
    data[field] = value
    with pytest.raises(MessageError) as error:
        w.AddCompliance.from_data(data)
    assert error.value.field == field


# -------------------------------------------------------------------- answers


def test_contact_detail_sample_response():
    answer = answer_of(
        w.GetContactDetail,
        "ContactDetail",
        {
            "callid": "12345",
            "response": [
                {
                    "FieldName": "FName",
                    "Value": "Test",
                    "DataType": "String",
                    "Format": "",
                    "Editable": True,
                },
                {
                    "FieldName": "LName",
                    "Value": "Berry",
                    "DataType": "String",
                    "Format": "",
                    "Editable": "false",
                },
            ],
        },
    )
    assert answer.fields == (
        w.BusinessField("FName", "Test", "String", "", True),
        w.BusinessField("LName", "Berry", "String", "", False),
    )
    assert answer.value("fname") == "Test"


def test_contact_detail_reads_numbers_null_and_a_single_object():
    answer = w.ContactDetailAnswer.from_response(
        {"FieldName": "Balance", "Value": 12.5, "DataType": "Number", "Editable": None}
    )
    assert answer.fields == (w.BusinessField("Balance", "12.5", "Number", "", False),)
    assert w.ContactDetailAnswer.from_response([]).fields == ()


def test_screen_pop_sample_response():
    answer = answer_of(
        w.GetScreenPopData,
        "ScreenPopData",
        {
            "callid": "12345",
            "response": {
                "FName": "David1",
                "LName": "Berry",
                "Address": "Virginia",
                "Home": "6491462346",
                "Office": "",
            },
        },
    )
    assert answer.fields == {
        "FName": "David1",
        "LName": "Berry",
        "Address": "Virginia",
        "Home": "6491462346",
        "Office": "",
    }


def test_screen_pop_refuses_nested_values_naming_them():
    with pytest.raises(MessageError) as error:
        w.ScreenPopAnswer.from_response({"FName": "A", "Address": {"Street": "x"}})
    assert error.value.field == "Address"


MODE = {
    "ModeID": "3",
    "ModeDesc": "Mobile",
    "CampaignID": "Spring Renewals",
    "CValue": "2025550100",
    "ModeDialingStartTime": "08:00",
    "ModeDialingEndTime": "21:00",
    "TimeZone": "(UTC-05:00) Eastern Time (US and Canada)",
    "TimeZone1": "",
    "PEWC": "true",
    "AreaCode": "202",
    "ZipCode": "",
}
MODE_OTHER_CASING = {
    **{key: value for key, value in MODE.items() if key != "CValue"},
    "Cvalue": MODE["CValue"],
    "PEWC": True,
}


@pytest.mark.parametrize(
    "message",
    [
        {"Contactmodes": [MODE]},  # the page's table: the list in the message itself
        {"response": {"Contactmodes": [MODE]}},
        {"response": [MODE]},
        {"callid": "1", "ContactModes": [MODE_OTHER_CASING]},
    ],
)
def test_contact_modes_in_every_shape_the_page_allows(message):
    answer = answer_of(w.GetContactModes, "SetContactModes", message)
    assert answer.modes == (
        w.ContactMode(
            3,
            "Mobile",
            "Spring Renewals",
            "2025550100",
            "08:00",
            "21:00",
            "(UTC-05:00) Eastern Time (US and Canada)",
            True,
        ),
    )


def test_contact_modes_written_by_the_simulator_read_back():
    modes = (w.ContactMode(1, "Home", "C", "2025550100", "08:00", "21:00", "tz", None),)
    answer = w.ContactModesAnswer(modes)
    assert w.ContactModesAnswer.from_response(answer.to_response()) == answer


def test_callback_modes_sample_response_with_its_casing():
    answer = answer_of(
        w.GetCallBackModes,
        "CallBackModes",  # the sample; the table says CallbackModes
        {
            "callid": "12345",
            "response": [
                {
                    "ModeID": "3",
                    "Description": "Mobile",
                    "ChannelType": None,
                    "MinLength": None,
                    "MaxLength": None,
                    "Cvalue": "6591462346",
                    "PEWC": True,
                    "CampaignPEWC": False,
                },
                {"ModeID": "2", "Description": "Office", "CValue": "6591462347", "PEWC": None},
            ],
        },
    )
    assert answer.modes == (
        w.CallbackMode(3, "Mobile", "6591462346", True),
        w.CallbackMode(2, "Office", "6591462347", None),
    )


def test_a_mode_without_its_id_is_unreadable():
    with pytest.raises(MessageError) as error:
        w.CallbackModesAnswer.from_response([{"Description": "Mobile", "Cvalue": "1"}])
    assert error.value.field == "ModeID"


@pytest.mark.parametrize(
    ("request_type", "subtopic"),
    [
        (w.SetCallbackWithComments, "SetCallbackWithCommentsResult"),
        (w.SetPersonalCallbackWithComments, "SetPersonalCallbackWithCommentsResult"),
        (w.SetContactBusinessFields, "SetContactBusinessFieldsResult"),
        (w.SetNewModeNumber, "SetNewModeNumberResult"),
    ],
)
@pytest.mark.parametrize("success", [True, "true", "True"])
def test_write_answers_read_true_and_the_string_true(request_type, subtopic, success):
    answer = answer_of(request_type, subtopic, {"callid": "1", "response": {"success": success}})
    assert answer == w.SuccessAnswer(True)


def test_success_false_is_lcm_refusing_with_its_words():
    with pytest.raises(LcmRejected) as error:
        w.SuccessAnswer.from_response({"success": "false", "Message": "Contact is locked"})
    assert error.value.lcm_text == "Contact is locked"
    with pytest.raises(LcmRejected):
        w.SuccessAnswer.from_response({"success": False})


def test_an_answer_that_does_not_say_yes_or_no_is_unreadable_so_the_outcome_is_unknown():
    with pytest.raises(LcmBadAnswer):
        w.SuccessAnswer.from_response({"success": "maybe"})
    with pytest.raises(LcmBadAnswer):
        w.SuccessAnswer.from_response({})


def test_invalid_call_id_is_a_refusal():
    body = json.dumps(
        {
            "channel": "LCM",
            "topic": "WebService",
            "subtopic": "WS_Error",
            "message": {"response": {"ErrorType": "WS_Error", "ErrorMessage": "Invalid Call ID."}},
        }
    )
    with pytest.raises(LcmRejected) as error:
        parse_answer(body, w.GetContactDetail.ANSWERS)
    assert error.value.lcm_text == "Invalid Call ID."


@pytest.mark.parametrize(
    "response",
    [
        {"Response": "Success"},
        {"Response": "Number 2025550100 is already on the DNC list."},
        "Success",
        {"Response": {"Response": "Updated"}},
    ],
)
def test_add_compliance_answer_is_a_status_text(response):
    answer = answer_of(w.AddCompliance, "AddComplianceResponse", {"Response": response})
    assert answer.text


@pytest.mark.parametrize(
    "response",
    [{"Response": "Failed: Campaign not found"}, {"Response": "Invalid CValue"}, "Error"],
)
def test_add_compliance_failure_words_are_lcm_refusing(response):
    with pytest.raises(LcmRejected):
        w.ComplianceAnswer.from_response(response)


def test_add_compliance_without_a_status_is_unreadable():
    with pytest.raises(MessageError):
        w.ComplianceAnswer.from_response({"Response": ""})
