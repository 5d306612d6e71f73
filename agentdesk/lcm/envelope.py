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


def _error_text(response: Any, message: dict[str, Any]) -> str | None:
    """The WS_Error text when the answer is an error, else None."""
    for holder in (response, message):
        if isinstance(holder, dict):
            kind = lookup(holder, "ErrorType", "type", "error", default=None)
            if isinstance(kind, str) and kind.strip().lower() == WS_ERROR.lower():
                text = lookup(holder, "ErrorMessage", "message", "text", "description", default="")
                return str(text).strip() or WS_ERROR
            direct = lookup(holder, WS_ERROR, default=None)
            if direct is not None:
                return str(direct).strip() or WS_ERROR
    return None


def parse_answer(body: bytes | str | dict, expected: Iterable[str], *, request: str = "") -> Any:
    """The `message.response` of an answer whose subtopic is one of `expected`.

    Raises LcmRejected for a WS_Error answer and LcmBadAnswer for anything unreadable.
    """
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise LcmBadAnswer("the answer is not JSON", subtopic=request) from None
    if not isinstance(body, dict):
        raise LcmBadAnswer("the answer is not a JSON object", subtopic=request)
    subtopic = clean_subtopic(lookup(body, "subtopic", default=""))
    message = lookup(body, "message", default=None)
    if not isinstance(message, dict):
        if subtopic.lower() == WS_ERROR.lower():
            raise LcmRejected(str(message or WS_ERROR), subtopic=request)
        raise LcmBadAnswer("the answer has no message object", subtopic=request)
    response = lookup(message, "response", default=None)
    error = _error_text(response, message)
    if subtopic.lower() == WS_ERROR.lower() or error is not None:
        raise LcmRejected(error or WS_ERROR, subtopic=request)
    expected_lower = {name.lower() for name in expected}
    if subtopic.lower() not in expected_lower:
        raise LcmBadAnswer(f"unexpected answer subtopic {subtopic!r}", subtopic=request)
    if response is None:
        raise LcmBadAnswer("the answer has no response", subtopic=request)
    return response
