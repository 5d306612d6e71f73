"""Calling windows in a contact's local time: is it open now, and when does it open next.

Plain functions on time zones; a number that may ring in several zones (a country with no
finer prefix data) is callable only when the window is open in every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A window opens at least once a week if it opens at all; look a little further for DST.
_SEARCH_DAYS = 8


@dataclass(frozen=True)
class Window:
    start: time
    end: time
    weekdays: frozenset[int]  # ISO: 1 Monday … 7 Sunday

    def contains(self, local: datetime) -> bool:
        return local.isoweekday() in self.weekdays and self.start <= local.time() < self.end

    def next_opening(self, local: datetime) -> datetime | None:
        """The first moment at or after `local` (aware) when the window is open."""
        if self.contains(local):
            return local
        zone = local.tzinfo
        for days in range(_SEARCH_DAYS):
            day = (local + timedelta(days=days)).date()
            if day.isoweekday() not in self.weekdays:
                continue
            opening = datetime.combine(day, self.start, tzinfo=zone)
            if opening >= local:
                return opening
        return None


def open_in_all(window: Window, zones: tuple[str, ...], moment: datetime) -> bool:
    return all(window.contains(moment.astimezone(ZoneInfo(zone))) for zone in zones)


def next_allowed(window: Window, zones: tuple[str, ...], moment: datetime) -> datetime | None:
    """The first moment (UTC) at or after `moment` when the window is open in every zone."""
    candidate = moment.astimezone(UTC)
    for _ in range(4 * len(zones) + 4):
        moved = False
        for zone in zones:
            local = candidate.astimezone(ZoneInfo(zone))
            if window.contains(local):
                continue
            opening = window.next_opening(local)
            if opening is None:
                return None
            candidate = opening.astimezone(UTC)
            moved = True
        if not moved:
            return candidate
    return None
