"""Dates in LCM answers, read by one documented rule.

The vendor pages disagree: `DownloadContactsForDialing` shows `01/30/2024 23:59:00` (month
first), `ContactOD` shows `Oct 7 2020 11:59PM`, and `CreateContact` documents `dd/mm/yyyy
HH:MM` (day first). So the order of an ambiguous numeric date such as `02/03/2024` is a setting,
`LCM_DATE_ORDER` (`month-first`, the default, as the answer samples; or `day-first`), and it
applies whether or not seconds are present. Everything else is read by python-dateutil: a date
that can only be read one way (`30/01/2024`) is read that way, month names, AM/PM, ISO 8601
with `Z`, offsets or fractions. Two shapes dateutil does not know are read here: .NET's
`/Date(1706659140000)/` and Unix timestamps are deliberately not guessed at.

A date without a zone is in LCM's zone (Django's `TIME_ZONE`). A text that still cannot be read
is kept exactly as LCM sent it, so the card can show it marked as not understood instead of
hiding it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from dateutil import parser as date_parser
from django.conf import settings
from django.utils import timezone as django_timezone

MONTH_FIRST = "month-first"
DAY_FIRST = "day-first"
DATE_ORDERS = (MONTH_FIRST, DAY_FIRST)

# .NET JSON dates: /Date(milliseconds since 1970[+-hhmm])/
_DOTNET_DATE = re.compile(r"/?Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)/?", re.IGNORECASE)
# Two defaults that differ in every date part: a part dateutil filled in differs between them.
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


@dataclass(frozen=True)
class LcmDate:
    """A date as LCM sent it (`raw`) and as agentdesk understood it (`moment`, aware)."""

    raw: str
    moment: datetime | None

    @property
    def is_blank(self) -> bool:
        return not self.raw

    @property
    def understood(self) -> bool:
        return self.moment is not None


def day_first() -> bool:
    return settings.LCM_DATE_ORDER == DAY_FIRST


def _dotnet(text: str) -> datetime | None:
    match = _DOTNET_DATE.fullmatch(text)
    if not match:
        return None
    millis, sign, hours, minutes = match.groups()
    zone = UTC
    if sign:
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        zone = timezone(offset if sign == "+" else -offset)
    # The milliseconds count from 1970 UTC; the offset only says where it was written.
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(millis))).astimezone(zone)


# The same few dates (a contact's expiry and callback) are read again on every render of the
# card; dateutil's parser costs about half a millisecond per reading.
@lru_cache(maxsize=4096)
def _dateutil(text: str, dayfirst: bool) -> datetime | None:
    try:
        readings = [date_parser.parse(text, dayfirst=dayfirst, default=d) for d in _DEFAULTS]
    except (ValueError, OverflowError):
        return None
    first, second = readings
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # a part of the date was missing ("12", "Oct 7", "11:59PM")
    return first


def read_lcm_datetime(value: object, *, dayfirst: bool | None = None) -> LcmDate:
    """Read a date from an LCM answer; never raises. Blank gives an empty, understood-as-none
    LcmDate; an unreadable text keeps `raw` with `moment=None`."""
    if value is None or isinstance(value, bool):
        return LcmDate("", None)
    raw = " ".join(str(value).split())
    if not raw:
        return LcmDate("", None)
    if isinstance(value, int | float) or raw.isdigit():
        return LcmDate(raw, None)  # an epoch number has no unit or zone anyone documented
    if dayfirst is None:
        dayfirst = day_first()
    moment = _dotnet(raw) or _dateutil(raw, dayfirst)
    if moment is None:
        return LcmDate(raw, None)
    if django_timezone.is_naive(moment):
        moment = django_timezone.make_aware(moment, django_timezone.get_default_timezone())
    return LcmDate(raw, moment)
