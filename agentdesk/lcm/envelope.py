"""The LCM envelope, built and read in one place.

Request: {"channel": "LCM", "topic": "WebService", "subtopic": S, "source": APP, "data": {...}}
Answer:  {"channel": "LCM", "topic": "WebService", "subtopic": S', "message": {"response": ...}}
"""

import json
from collections.abc import Iterable
from typing import Any

from .errors import LcmBadAnswer, LcmRejected, MessageError
from .fields import lookup

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


def _refusal_in(holder: Any) -> str | None:
    """LCM's refusal text when `holder` says it is an error, else None.

    An error is said by `ErrorType: WS_Error`, a non-empty `ErrorMessage`, a non-empty or true
    `Error`, or a `WS_Error` key. A bare `Message` is not an error by itself: a successful
    answer may carry one too (answers read it when their own data is missing)."""
    if not isinstance(holder, dict):
        return None
    kind = lookup(holder, "ErrorType", default=None)
    if isinstance(kind, str) and kind.strip().lower() == WS_ERROR.lower():
        return text_of(holder)
    for name in ("ErrorMessage", WS_ERROR):
        text = _words(lookup(holder, name, default=None))
        if text:
            return text
    error = lookup(holder, "Error", default=None)
    if error is True:
        return text_of(holder, "ErrorMessage", "Message", "Description", "Reason")
    if _words(error) and str(error).strip().lower() not in {"false", "0", "none", "null"}:
        return _words(error)
    return None


def refusal_text(body: Any) -> str | None:
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
    for holder in (response, message, body):
        text = _refusal_in(holder)
        if text is not None:
            return text
    if clean_subtopic(lookup(body, "subtopic", default="")).lower() == WS_ERROR.lower():
        for holder in (response, message):
            text = text_of(holder)
            if text:
                return text
        return ""
    return None


def parse_answer(
    body: bytes | str | dict,
    expected: Iterable[str],
    *,
    request: str = "",
    response_keys: Iterable[str] = (),
) -> Any:
    """The `message.response` of an answer whose subtopic is one of `expected`.

    Raises LcmRejected when LCM refused (see `refusal_text`) and LcmBadAnswer for anything
    unreadable. A `response` that is present but null is returned as None: for a fetch that
    means "no contact"; other answers refuse it when they read it. `response_keys`: other
    keys of `message` that hold the data when `response` is absent (a page's own naming).
    """
    if isinstance(body, bytes | str):
        raw = body
        if not raw.strip():
            raise LcmBadAnswer("the answer is empty", subtopic=request)
        try:
            # .NET servers often start their JSON with a UTF-8 byte order mark.
            body = json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise LcmBadAnswer(
                f"the answer is not JSON: {_preview(raw)}", subtopic=request
            ) from None
    if isinstance(body, list) and len(body) == 1:
        body = body[0]  # an envelope wrapped in an array
    refused = refusal_text(body)
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
    response = lookup(message, "response", *response_keys, default=_ABSENT)
    if response is _ABSENT:
        raise LcmBadAnswer("the answer has no response", subtopic=request)
    return response


def _preview(body: bytes | str, limit: int = 120) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return repr(" ".join(text.split())[:limit])
