"""The LCM envelope, built and read in one place.

Request: {"channel": "LCM", "topic": "WebService", "subtopic": S, "source": APP, "data": {...}}
Answer:  {"channel": "LCM", "topic": "WebService", "subtopic": S', "message": {"response": ...}}
"""

import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from .errors import LcmBadAnswer, LcmRejected, MessageError
from .fields import lookup
from .keys import is_lcm_key, named_key

CHANNEL = "LCM"
TOPIC = "WebService"
WS_ERROR = "WS_Error"


def clean_subtopic(value: Any) -> str:
    """Subtopics arrive with stray spaces (" AddCompliance "); compare them trimmed."""
    return value.strip() if isinstance(value, str) else ""


def build_request(subtopic: str, data: dict[str, Any], source: str) -> dict[str, Any]:
    return {
        "channel": CHANNEL,
        "topic": TOPIC,
        "subtopic": subtopic,
        "source": source,
        "data": data,
    }


def build_answer(subtopic: str, response: Any) -> dict[str, Any]:
    return {
        "channel": CHANNEL,
        "topic": TOPIC,
        "subtopic": subtopic,
        "message": {"response": response},
    }


def build_ws_error(text: str) -> dict[str, Any]:
    return build_answer(WS_ERROR, {"ErrorType": WS_ERROR, "ErrorMessage": text})


def parse_request(envelope: Any) -> tuple[str, dict[str, Any]]:
    """(subtopic, data) of a request envelope; MessageError names what is wrong."""
    if not isinstance(envelope, dict):
        raise MessageError("envelope", "must be a JSON object")
    channel = clean_subtopic(lookup(envelope, "channel", default=CHANNEL))
    if channel.upper() != CHANNEL:
        raise MessageError("channel", f"must be {CHANNEL}")
    subtopic = clean_subtopic(lookup(envelope, "subtopic", default=""))
    if not subtopic:
        raise MessageError("subtopic", "is missing")
    data = lookup(envelope, "data", default={})
    if data in (None, "N/A", ""):
        data = {}
    if not isinstance(data, dict):
        raise MessageError("data", "must be a JSON object")
    return subtopic, data


_ABSENT = object()
# Where LCMs put the words of a refusal, checked in this order.
_ERROR_TEXT_KEYS = ("ErrorMessage", "Error", "WS_Error", "ErrorDescription", "Message", "Reason")


def _words(value: Any) -> str:
    """A text worth showing: a non-empty string, or a number; else ""."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def text_of(holder: Any, *names: str) -> str:
    """The first non-empty text among `names` (any casing) in a dict, or the text itself."""
    if not isinstance(holder, dict):
        return _words(holder)
    for name in names or _ERROR_TEXT_KEYS:
        text = _words(lookup(holder, name, default=None))
        if text:
            return text
    return ""


# Words that LCM servers put in their error fields when nothing went wrong
# (`"ErrorCode": 0, "ErrorMessage": "Success"`, `"Error": "OK"`): not a refusal.
_NO_ERROR_WORDS = {
    "",
    "0",
    "false",
    "none",
    "null",
    "ok",
    "success",
    "successful",
    "succeeded",
    "no error",
    "noerror",
    "n/a",
}
# A `Status`/`Result` that says the call worked.
SUCCESS_WORDS = {"success", "succeeded", "successful", "ok", "done", "true", "skipped", "closed"}


def says_no_error(value: Any) -> bool:
    """True for an error field that says nothing went wrong: absent, false, zero, "Success",
    "OK", "None"."""
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str):
        return " ".join(value.split()).lower() in _NO_ERROR_WORDS
    return False


def _error_code(holder: dict[str, Any]) -> str:
    """A non-zero `ErrorCode` as text ("" when absent or zero)."""
    code = lookup(holder, "ErrorCode", "ErrorNumber", default=None)
    return "" if says_no_error(code) else _words(code)


def says_success(holder: Any) -> bool:
    """The holder's own data says the call worked: `success: true`, or a `Status`/`Result`
    word such as "Success" or "OK"."""
    if not isinstance(holder, dict):
        return False
    flag = lookup(holder, "success", default=None)
    if flag is True or (isinstance(flag, str) and flag.strip().lower() in SUCCESS_WORDS):
        return True
    status = lookup(holder, "Status", "Result", default=None)
    return isinstance(status, str) and status.strip().lower() in SUCCESS_WORDS


def error_words(holder: Any) -> str | None:
    """What an answer's error fields say went wrong, or None when they say nothing did.

    An error is said by `ErrorType: WS_Error`, an `ErrorMessage`, `Error` or `WS_Error` text
    that is not a no-error word ("Success", "OK", "None"…), `Error: true`, or a non-zero
    `ErrorCode`. A bare `Message` is not an error by itself: a successful answer may carry one
    too (answers read it when their own data is missing)."""
    if not isinstance(holder, dict):
        return None
    kind = lookup(holder, "ErrorType", default=None)
    if isinstance(kind, str) and kind.strip().lower() == WS_ERROR.lower():
        return text_of(holder)
    for name in ("ErrorMessage", WS_ERROR):
        value = lookup(holder, name, default=None)
        if not says_no_error(value) and (text := _words(value)):
            return text
    error = lookup(holder, "Error", default=None)
    if error is True:
        return text_of(holder, "ErrorMessage", "Message", "Description", "Reason")
    if not says_no_error(error) and (text := _words(error)):
        return text
    if code := _error_code(holder):
        said = text_of(holder, "ErrorMessage", "Message", "Description", "Reason")
        if said and not says_no_error(said):
            return said
        return _("error code %(code)s") % {"code": code}
    return None


def _peel_data(response: Any) -> Any:
    """The response without one-key wrappings and one-element lists (`{"Contact": {...}}`,
    `[{...}]`), to look for the answer's own data."""
    for _layer in range(4):
        if isinstance(response, list) and len(response) == 1:
            response = response[0]
        elif isinstance(response, dict) and len(response) == 1:
            (inner,) = response.values()
            if not isinstance(inner, dict | list):
                break
            response = inner
        else:
            break
    return response


_KEY_HOLDERS = ("AccountNumber", "LCMKey", "Key", "Response")
_NAMED_KEY_HOLDERS = ("AccountNumber", "LCMKey", "LcmKey", "Key")


def carries_data(response: Any, *, keyed: bool = False) -> bool:
    """The response holds what was asked for, whatever its error fields say: a contact (a
    phone number and a key), a new contact's key, or a call that says it worked
    (`success: true`, `Status: "Success"`). Such an answer is read for its data, never taken
    for a refusal. `keyed`: the answer's data is a new key (CreateContact), which counts in a
    field named for keys in any shape `keys.named_key` takes (`4711`, `A-4711`), so that its
    reader weighs an error beside it (an unknown outcome), not the envelope (a refusal)."""
    response = _peel_data(response)
    if is_lcm_key(response):
        return True  # CreateContact's answer: the new key
    if isinstance(response, list):
        return any(carries_data(item, keyed=keyed) for item in response)
    if not isinstance(response, dict):
        return False
    if says_success(response):
        return True
    if any(is_lcm_key(lookup(response, name, default=None)) for name in _KEY_HOLDERS):
        return True
    if keyed and any(
        named_key(lookup(response, name, default=None)) for name in _NAMED_KEY_HOLDERS
    ):
        return True
    phone = lookup(response, "PhoneNumber", default=None)
    key = lookup(response, "AccountNumber", default=None)
    return bool(_words(phone)) and bool(_words(key))


def refusal_text(body: Any, *, keyed: bool = False) -> str | None:
    """LCM's refusal text when an answer envelope (parsed JSON) is an error, else None.

    Looks in `message.response`, `message` and the envelope itself, so an error inside a
    200 answer, an error with an unexpected subtopic and an HTTP error's JSON body all count;
    `subtopic: WS_Error` is a refusal whatever its body holds (its text may be the response
    itself, a string)."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict):
        return None
    message = lookup(body, "message", default=None)
    response = lookup(message, "response", default=None) if isinstance(message, dict) else None
    is_ws_error = clean_subtopic(lookup(body, "subtopic", default="")).lower() == WS_ERROR.lower()
    if not is_ws_error and carries_data(response, keyed=keyed):
        return None  # the answer's own data first: its reader weighs any error words beside it
    for holder in (response, message, body):
        text = error_words(holder)
        if text is not None:
            return text
    if is_ws_error:
        for holder in (response, message):
            text = text_of(holder)
            if text:
                return text
        return ""
    return None


class _TwinField(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_twin_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it names one field twice (in any casing, as `lookup`
    reads them) with two values: `{"success": false, "success": true}` says both."""
    seen: dict[str, Any] = {}
    for name, value in pairs:
        key = name.replace(" ", "").lower()
        if key in seen and seen[key] != value:
            raise _TwinField(name)
        seen[key] = value
    return dict(pairs)


def parse_answer(
    body: bytes | str | dict[str, Any] | list[Any],
    expected: Iterable[str],
    *,
    request: str = "",
    response_keys: Iterable[str] = (),
    call_id: str = "",
    strict: bool = False,
    keyed: bool = False,
) -> Any:
    """The `message.response` of an answer whose subtopic is one of `expected`.

    Raises LcmRejected when LCM refused (see `refusal_text`) and LcmBadAnswer for anything
    unreadable. A `response` that is present but null is returned as None: for a fetch that
    means "no contact"; other answers refuse it when they read it. `response_keys`: other
    keys of `message` that hold the data when `response` is absent (a page's own naming).
    `call_id`: the `callid` the request carried; an answer whose message echoes another one
    answers another call, so it is unreadable here (for a write: its outcome unknown).
    `strict` (writes, whose answers are small): an object naming one field twice with two
    values is unreadable too (the check costs time on large answers, so reads skip it).
    `keyed`: the answer's data is a new LCM key (see `carries_data`).
    """
    if isinstance(body, bytes | str):
        raw = body
        if not raw.strip():
            raise LcmBadAnswer("the answer is empty", subtopic=request)
        try:
            # .NET servers often start their JSON with a UTF-8 byte order mark.
            body = json.loads(
                raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw,
                object_pairs_hook=_no_twin_fields if strict else None,
            )
        except _TwinField as twin:
            raise LcmBadAnswer(
                f"the answer names {twin.name[:60]!r} twice with different values",
                subtopic=request,
            ) from None
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise LcmBadAnswer(
                f"the answer is not JSON: {_preview(raw)}", subtopic=request
            ) from None
    if isinstance(body, list) and len(body) == 1:
        body = body[0]  # an envelope wrapped in an array
    refused = refusal_text(body, keyed=keyed)
    if refused is not None:
        raise LcmRejected(refused, subtopic=request)
    if not isinstance(body, dict):
        raise LcmBadAnswer("the answer is not a JSON object", subtopic=request)
    subtopic = clean_subtopic(lookup(body, "subtopic", default=""))
    message = lookup(body, "message", default=None)
    if isinstance(message, str) and message.strip():
        message = {"response": message}  # the message itself a text: read as the response
    if not isinstance(message, dict):
        raise LcmBadAnswer("the answer has no message object", subtopic=request)
    expected_lower = {name.lower() for name in expected}
    if subtopic.lower() not in expected_lower:
        raise LcmBadAnswer(f"unexpected answer subtopic {subtopic!r}", subtopic=request)
    echoed = _words(lookup(message, "callid", default=None))
    if call_id and echoed and echoed != call_id.strip():
        raise LcmBadAnswer(
            f"the answer is for call {echoed[:60]!r}, not {call_id[:60]!r}", subtopic=request
        )
    response = lookup(message, "response", *response_keys, default=_ABSENT)
    if response is _ABSENT:
        raise LcmBadAnswer("the answer has no response", subtopic=request)
    return response


def _preview(body: bytes | str, limit: int = 120) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return repr(" ".join(text.split())[:limit])
