"""Tolerant reading of LCM data: key casing, string booleans and stray spaces vary between
the vendor's pages, so every read goes through here."""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .errors import MessageError

MISSING = object()
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_WHOLE_FLOAT = re.compile(r"-?[0-9]+\.0+")


def is_whole_number(text: str) -> bool:
    """ASCII digits, optionally negative (str.isdigit() also accepts "²", which int() refuses)."""
    return bool(_WHOLE_NUMBER.fullmatch(text))


def lookup(data: Mapping[str, Any], name: str, *aliases: str, default: Any = MISSING) -> Any:
    """The value of `name` (or an alias), matched case-insensitively and ignoring spaces."""
    wanted = {key.replace(" ", "").lower() for key in (name, *aliases)}
    for key, value in data.items():
        if isinstance(key, str) and key.replace(" ", "").lower() in wanted:
            return value
    if default is MISSING:
        raise MessageError(name, "is missing")
    return default


def required_text(data: Mapping[str, Any], name: str, *aliases: str) -> str:
    value = lookup(data, name, *aliases)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise MessageError(name, "must not be empty")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MessageError(name, "must be text")
    return str(value).strip()


def optional_text(data: Mapping[str, Any], name: str, *aliases: str) -> str:
    value = lookup(data, name, *aliases, default="")
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MessageError(name, "must be text")
    return str(value).strip()


def as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise MessageError(name, "must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and is_whole_number(value.strip()):
        return int(value.strip())
    if isinstance(value, str) and _WHOLE_FLOAT.fullmatch(value.strip()):
        return int(value.strip().split(".")[0])  # "3.0", as spreadsheets and some JSON write it
    raise MessageError(name, "must be a whole number")


def required_int(data: Mapping[str, Any], name: str, *aliases: str) -> int:
    return as_int(lookup(data, name, *aliases), name)


def optional_int(data: Mapping[str, Any], name: str, *aliases: str, default: int = 0) -> int:
    value = lookup(data, name, *aliases, default=None)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return as_int(value, name)


TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f", ""}


def as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise MessageError(name, "must be true or false")


def optional_bool(data: Mapping[str, Any], name: str, *aliases: str, default: bool = False) -> bool:
    value = lookup(data, name, *aliases, default=None)
    return default if value is None else as_bool(value, name)


CONSENT_CHOICES = ("true", "false", "Both")


def as_consent(value: Any, name: str = "Consent") -> str:
    """Consent filter: "true", "false" or "Both" (LCM's spellings), from any casing or bool."""
    if isinstance(value, str) and value.strip().lower() == "both":
        return "Both"
    if isinstance(value, str) and value.strip().lower() in {"consent"}:
        return "true"
    try:
        return "true" if as_bool(value, name) else "false"
    except MessageError:
        raise MessageError(name, "must be true, false or Both") from None


# The format CreateContact documents for the dates agentdesk sends (answers: see dates.py).
LCM_DATE_FORMAT = "%d/%m/%Y %H:%M"


def format_lcm_datetime(moment: datetime) -> str:
    """The documented request format, dd/mm/yyyy HH:MM."""
    return moment.strftime(LCM_DATE_FORMAT)


def parse_request_datetime(data: Mapping[str, Any], name: str) -> datetime:
    value = lookup(data, name, default=None)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise MessageError(name, "is missing")
    if not isinstance(value, str):
        raise MessageError(name, "must be a date in dd/mm/yyyy HH:MM format")
    try:
        return datetime.strptime(" ".join(value.split()), LCM_DATE_FORMAT)
    except ValueError:
        raise MessageError(name, "must be a date in dd/mm/yyyy HH:MM format") from None
