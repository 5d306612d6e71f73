"""Answer shapes: the simulator can answer the way other LCM servers do in the wild.

The state and the decisions stay the simulator's own (which contact, which refusal); a shape
only changes how the answer is written: how a refusal is worded, how "no contact" looks, how
dates are written, numbers as strings, extra wrapping. `python manage.py lcmsim_shape NAME`
switches it, so every branch of agentdesk's reading can be driven end to end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

from agentdesk.lcm import catalogue
from agentdesk.lcm.dates import read_lcm_datetime
from agentdesk.lcm.envelope import WS_ERROR, build_answer

DOCUMENTED = "documented"
SHAPES: dict[str, str] = {
    DOCUMENTED: "Answer as the vendor pages show",
    "error_text_response": "Refusals: subtopic WS_Error, the text itself as message.response",
    "error_message_only": "Refusals: {ErrorMessage} without ErrorType, under the answer subtopic",
    "error_key": "Refusals: {Error: text} under the answer subtopic",
    "message_key": "Refusals: {Message: text} under the answer subtopic",
    "response_text": "Refusals: {Response: text} under the answer subtopic",
    "http_400": "Refusals: HTTP 400 with the WS_Error body",
    "http_500": "Refusals: HTTP 500 with the WS_Error body",
    "fetch_reason": "Refusals of a fetch: a RequestFailureReason with the text",
    "no_contact_empty_object": "No contact: {}",
    "no_contact_null": "No contact: null",
    "no_contact_empty_text": 'No contact: ""',
    "no_contact_text": 'No contact: the text "No contacts available"',
    "no_contact_blank_fields": "No contact: a contact with every field empty",
    "dates_day_first": "Dates as dd/mm/yyyy HH:MM",
    "dates_iso": "Dates as ISO 8601 in UTC with fractions and Z",
    "dates_dotnet": "Dates as /Date(milliseconds)/",
    "strings_for_numbers": "Every number and true/false as a string",
    "arrays": "Every object response inside a one-element array",
    "nested": "Every response wrapped once more in {response: …}",
    "success_error_fields": 'Answers that worked carry "ErrorCode": 0, "ErrorMessage": "Success"',
    "success_status_words": 'Answers that worked carry "Error": "OK", "Status": "Success"; a '
    'skip answers {"status": "success", "message": "Skipped"}',
}
# The fields servers of this kind add to every answer that worked.
_SUCCESS_FIELDS: dict[str, dict[str, Any]] = {
    "success_error_fields": {"ErrorCode": 0, "ErrorMessage": "Success"},
    "success_status_words": {"Error": "OK", "Status": "Success"},
}
FETCHES = {"getdownloadcontactsfordialing", "getreservedcontactod", "getreservedmanualdialcontact"}
_DATE_FIELDS = ("ExpiryTime", "CallbackTime")


def _answer_subtopic(request_subtopic: str) -> str:
    request_type = catalogue.request_type_for(request_subtopic)
    return request_type.ANSWERS[0] if request_type else WS_ERROR


def _refusal(shape: str, request_subtopic: str, text: str) -> dict[str, Any] | None:
    subtopic = _answer_subtopic(request_subtopic)
    if shape == "error_text_response":
        return build_answer(WS_ERROR, text)
    if shape == "error_message_only":
        return build_answer(subtopic, {"ErrorMessage": text})
    if shape == "error_key":
        return build_answer(subtopic, {"Error": text})
    if shape == "message_key":
        return build_answer(subtopic, {"Message": text})
    if shape == "response_text":
        return build_answer(subtopic, {"Response": text})
    if shape == "fetch_reason" and request_subtopic.lower() in FETCHES:
        return build_answer(subtopic, {"RequestFailureReason": text})
    return None


_NO_CONTACT: dict[str, Any] = {
    "no_contact_empty_object": {},
    "no_contact_null": None,
    "no_contact_empty_text": "",
    "no_contact_text": "No contacts available",
    "no_contact_blank_fields": {
        "PhoneNumber": "",
        "AccountNumber": "",
        "CampaignId": "",
        "Mode": "",
        "ContactId": 0,
        "ExpiryTime": "",
        "CallbackTime": "",
        "CallType": 0,
        "Consent": "",
    },
}


def _rewrite_dates(response: Any, write: Callable[[Any], str]) -> Any:
    if not isinstance(response, dict):
        return response
    rewritten = dict(response)
    for name in _DATE_FIELDS:
        date = read_lcm_datetime(response.get(name))
        if date.moment is not None:
            rewritten[name] = write(date.moment)
    return rewritten


_DATE_WRITERS: dict[str, Callable[[Any], str]] = {
    "dates_day_first": lambda moment: moment.strftime("%d/%m/%Y %H:%M"),
    "dates_iso": lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    "dates_dotnet": lambda moment: f"/Date({int(moment.timestamp() * 1000)})/",
}


def _as_strings(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {key: _as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_strings(item) for item in value]
    return value


def reshape(shape: str, request_subtopic: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The documented `answer` to a request, written in `shape`."""
    if shape == DOCUMENTED:
        return answer
    response = answer.get("message", {}).get("response")
    if answer.get("subtopic") == WS_ERROR:
        text = response.get("ErrorMessage", "") if isinstance(response, dict) else str(response)
        return _refusal(shape, request_subtopic.strip(), text) or answer
    no_contact = isinstance(response, dict) and "RequestFailureReason" in response
    if shape in _NO_CONTACT:
        if no_contact:
            return build_answer(answer["subtopic"], _NO_CONTACT[shape])
        return answer
    if shape in _DATE_WRITERS:
        return build_answer(answer["subtopic"], _rewrite_dates(response, _DATE_WRITERS[shape]))
    if shape == "strings_for_numbers":
        return build_answer(answer["subtopic"], _as_strings(response))
    if shape == "arrays" and isinstance(response, dict):
        return build_answer(answer["subtopic"], [response])
    if shape == "nested":
        return build_answer(answer["subtopic"], {"response": response})
    if shape in _SUCCESS_FIELDS:
        return build_answer(answer["subtopic"], _with_success_fields(shape, response))
    return answer


def _with_success_fields(shape: str, response: Any) -> dict[str, Any]:
    """The response with the shape's success fields beside its data: an object gets them
    added; a list (outcomes) or a text (a new key) is put under the name servers use."""
    fields = _SUCCESS_FIELDS[shape]
    if shape == "success_status_words" and response == {"success": True}:
        return {"status": "success", "message": "Skipped"}
    if isinstance(response, dict):
        return {**response, **fields}
    if isinstance(response, list):
        return {"Outcomes": response, **fields}
    return {"Response": response, **fields}


def http_status(shape: str, answer: dict[str, Any]) -> int:
    """The HTTP status the shape answers with (refusals as HTTP errors)."""
    if answer.get("subtopic") == WS_ERROR and shape in ("http_400", "http_500"):
        return int(shape.removeprefix("http_"))
    return 200


def request_subtopic(body: bytes) -> str:
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    subtopic = envelope.get("subtopic", "") if isinstance(envelope, dict) else ""
    return subtopic.strip() if isinstance(subtopic, str) else ""
