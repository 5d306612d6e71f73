"""The shape of an LCM key (`AccountNumber`) where LCM could as well have answered words.

Every vendor page shows the key as whole numbers joined by pipes, seven of them
(`77|1|18|0|0|84|0`, `0|0|000|0|0|00|1234`, `137|1|3|0|0|84|1`, `49|3|279|0|0|44|1253`).
agentdesk treats the key as opaque but checks the shape of a key answered where words could
stand (CreateContact's `Response`), because an LCM that fails sometimes
answers a text where the key belongs (`{"Response": "Failed: Campaign not found"}`): storing
that text as a key would lose the contact and show the agent a success. The rule accepts
three or more pipe-separated whole numbers, so an LCM with a longer or shorter key still
works, while no sentence can pass.
"""

import re

_KEY = re.compile(r"[0-9]+(?:\|[0-9]+){2,}")
MAX_KEY_LENGTH = 80  # the width agentdesk stores keys in
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACE = re.compile(r"\s")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_WORD_PARTS = re.compile(r"[A-Za-z]+")
# Words that make a one-word answer in a key field an error code, not a key: "ERR-500",
# "Error42", "HTTP500", "FAILED-1", "Timeout30".
_ERROR_PARTS = {
    "err",
    "error",
    "errors",
    "fail",
    "failed",
    "failure",
    "invalid",
    "exception",
    "http",
    "timeout",
    "denied",
    "refused",
    "rejected",
    "null",
    "none",
    "nan",
    "undefined",
}


def is_lcm_key(value: object) -> bool:
    """True for a text shaped like an LCM key (surrounding spaces are allowed)."""
    if isinstance(value, bool) or not isinstance(value, str):
        return False
    text = value.strip()
    return len(text) <= MAX_KEY_LENGTH and bool(_KEY.fullmatch(text))


def named_key(value: object) -> str | None:
    """A key in a field named for keys (`AccountNumber`, `LCMKey`, `Key`), as LCM gave it:
    pipes (`77|1|18|0|0|84|0`), a whole number (`4711`) or one word with a digit (`A-4711`),
    at most 80 characters. None for what is no key: a sentence or a bare word ("Error 42",
    "Success", "N/A"), a whole number of 0 or less (`0`, `-1`: a status code), a word that
    names an error (`ERR-500`, `HTTP500`), a fraction, an object or list."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_KEY_LENGTH or _CONTROL.search(text) or _SPACE.search(text):
        return None
    if not any(char.isdigit() for char in text):
        return None
    if _WHOLE_NUMBER.fullmatch(text) and int(text) <= 0:
        return None
    if any(part.lower() in _ERROR_PARTS for part in _WORD_PARTS.findall(text)):
        return None
    return text
