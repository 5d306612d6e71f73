"""Phone numbers: the one parser for every number that enters or leaves agentdesk.

Numbers arrive from CRMs, CSV files, the Add form and LCM in whatever shape people type them
(`(202) 555-0143`, `030/1234567`, `+49 (0)30 1234567`, `0800-FLOWERS`, `… #123`, a spreadsheet's
`2025550143.0`). `phonenumbers` (Google's libphonenumber) reads them against a region; agentdesk
stores, compares and sends the E.164 form (`+12025550143`) and keeps an extension apart.
This module depends on nothing else in agentdesk so every app may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import phonenumbers
import phonenumbers.timezone
from django.utils.translation import gettext_lazy as _
from phonenumbers import NumberParseException, PhoneNumberFormat

# A spreadsheet turns 2025550143 into the float 2025550143.0; the ".0" is not a digit.
_FLOAT_TAIL = re.compile(r"^\s*\+?\d+\.0+\s*$")
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: (
        _("has no country code (+…) and the campaign has no default region")
    ),
    NumberParseException.NOT_A_NUMBER: _("is not a phone number"),
    NumberParseException.TOO_SHORT_AFTER_IDD: _("is too short after the international prefix"),
    NumberParseException.TOO_SHORT_NSN: _("is too short"),
    NumberParseException.TOO_LONG: _("is too long"),
}
MAX_INPUT_LENGTH = 64
UNKNOWN_ZONE = "Etc/Unknown"


class PhoneError(ValueError):
    """A text that cannot be read as a phone number; `reason` says why, in words for people."""

    def __init__(self, raw: str, reason: str, *, needs_region: bool = False) -> None:
        super().__init__(reason)
        self.raw = raw
        self.reason = reason
        # National form with no region to read it against: callers say where one comes from
        # (the campaign's time zone, a CSV column…) in their own words.
        self.needs_region = needs_region


@dataclass(frozen=True)
class Phone:
    """A number read by libphonenumber: canonical E.164 plus an optional extension."""

    number: phonenumbers.PhoneNumber
    raw: str

    @property
    def e164(self) -> str:
        """The canonical form agentdesk stores, compares (DNC) and sends to LCM."""
        return phonenumbers.format_number(self.number, PhoneNumberFormat.E164)

    @property
    def extension(self) -> str:
        return self.number.extension or ""

    @property
    def region(self) -> str | None:
        return phonenumbers.region_code_for_number(self.number)

    @property
    def is_valid(self) -> bool:
        """True when the number exists in its country's numbering plan (not only its length)."""
        return phonenumbers.is_valid_number(self.number)

    @property
    def time_zones(self) -> tuple[str, ...]:
        """IANA zones the number may ring in (libphonenumber's prefix data); empty when unknown.

        A country with several zones and no finer prefix data answers all of them."""
        zones = phonenumbers.timezone.time_zones_for_number(self.number)
        return tuple(zone for zone in zones if zone != UNKNOWN_ZONE)

    def tel_uri(self) -> str:
        """An RFC 3966 `tel:` URI (`tel:+1-202-555-0143;ext=123`)."""
        return phonenumbers.format_number(self.number, PhoneNumberFormat.RFC3966)

    def for_people(self, home_region: str | None = None) -> str:
        """National format inside `home_region`, international format otherwise."""
        if home_region and self.region == home_region.upper():
            text = phonenumbers.format_number(self.number, PhoneNumberFormat.NATIONAL)
        else:
            text = phonenumbers.format_number(self.number, PhoneNumberFormat.INTERNATIONAL)
        return text


def parse_phone(raw: object, region: str | None = None) -> Phone:
    """Read `raw` as a phone number, national forms against `region` (ISO 3166, e.g. "US").

    Raises PhoneError when it cannot be a phone number: unreadable, too short or long for its
    country, or national with no region to read it against.
    """
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise PhoneError(text, str(_("is empty")))
    if len(text) > MAX_INPUT_LENGTH:
        reason = _("is longer than %(limit)d characters") % {"limit": MAX_INPUT_LENGTH}
        raise PhoneError(text[:MAX_INPUT_LENGTH], str(reason))
    if _FLOAT_TAIL.match(text):
        text = text.split(".", 1)[0]
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except NumberParseException as exc:
        reason = str(_PARSE_REASONS.get(exc.error_type, _("is not a phone number")))
        needs_region = exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and not region
        raise PhoneError(text, reason, needs_region=needs_region) from exc
    if not phonenumbers.is_possible_number(number):
        raise PhoneError(text, _impossible_reason(number))
    return Phone(number=number, raw=text)


def canonical(raw: object, region: str | None = None) -> str:
    """The E.164 form of `raw` (raises PhoneError); the one form stored and compared."""
    return parse_phone(raw, region).e164


def try_parse(raw: object, region: str | None = None) -> Phone | None:
    try:
        return parse_phone(raw, region)
    except PhoneError:
        return None


def _impossible_reason(number: phonenumbers.PhoneNumber) -> str:
    result = phonenumbers.is_possible_number_with_reason(number)
    reasons = {
        phonenumbers.ValidationResult.TOO_SHORT: _("is too short for its country"),
        phonenumbers.ValidationResult.TOO_LONG: _("is too long for its country"),
        phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: _("has an unknown country code"),
        phonenumbers.ValidationResult.INVALID_LENGTH: _("has the wrong length for its country"),
    }
    return str(reasons.get(result, _("is not a possible phone number")))


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    # tzdata's zone.tab: "CC<tab>coordinates<tab>Zone/Name…"; the kept source for zone → country.
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    zones: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                zones[parts[2]] = parts[0]
    return zones


def region_for_time_zone(iana_zone: str | None) -> str | None:
    """The country (ISO 3166) of an IANA zone such as "America/New_York" → "US", else None."""
    if not iana_zone:
        return None
    return _zone_countries().get(iana_zone)


def is_region(code: str) -> bool:
    """True for a region libphonenumber knows ("US", "DE", …)."""
    return code.upper() in phonenumbers.SUPPORTED_REGIONS
