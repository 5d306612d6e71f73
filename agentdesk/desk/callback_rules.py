"""May this callback window be booked? Checked before anything goes to LCM: inside the
campaign's calling policy in the contact's own time zone, not on a do-not-call number, within
the contact's expiry, not in the past and at most CALLBACK_MAX_DAYS_AHEAD days ahead.

A refusal names the field it is about, says why, and says when it would be allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agentdesk.compliance import dnc, rules
from agentdesk.compliance.models import CampaignPolicy


@dataclass(frozen=True)
class Refusal:
    field: str  # the form field it is about: "start", "end" or "mode_id"
    message: str


@dataclass(frozen=True)
class Window:
    """A callback window, as the agent typed it (the contact's wall clock) and as moments."""

    start_local: datetime  # naive: the contact's wall clock
    end_local: datetime
    zone: ZoneInfo
    starts_at: datetime  # aware, UTC
    ends_at: datetime


def _wall(moment: datetime, zone: ZoneInfo) -> str:
    return formats.date_format(moment.astimezone(zone), _("D d M Y, H:i"))


def _yours(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), _("D d M Y, H:i"))


def both_times(moment: datetime, zone: ZoneInfo) -> str:
    """ "Tue 08 Dec 2026, 10:00 their time (16:00 yours)" for a message."""
    return _("%(theirs)s their time (%(yours)s yours)") % {
        "theirs": _wall(moment, zone),
        "yours": formats.time_format(timezone.localtime(moment), "H:i"),
    }


def to_moment(local: datetime, zone: ZoneInfo) -> datetime | None:
    """The moment a wall-clock time names in `zone`; None for a time the clocks skip (the
    hour lost when summer time starts)."""
    aware = local.replace(tzinfo=zone)
    moment = aware.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return moment


def _in_calendar(local: datetime, zone: ZoneInfo) -> bool:
    """Whether the moment a wall-clock time names (and a day either side of it, which the
    checks look at) lies inside Python's calendar: the first and last days of it do not."""
    try:
        (local.replace(tzinfo=zone) - timedelta(days=2)).astimezone(UTC)
        (local.replace(tzinfo=zone) + timedelta(days=2)).astimezone(UTC)
    except OverflowError:
        return False
    return True


def read_window(
    start_local: datetime, end_local: datetime, zone_name: str
) -> tuple[Window | None, list[Refusal]]:
    zone = ZoneInfo(zone_name)
    problems = []
    for field, typed in (("start", start_local), ("end", end_local)):
        if not _in_calendar(typed, zone):
            problems.append(
                Refusal(
                    field,
                    _("%(time)s is not a time a callback can be booked for.")
                    % {"time": f"{typed:%d/%m/%Y %H:%M}"},
                )
            )
    if problems:
        return None, problems
    starts_at = to_moment(start_local, zone)
    ends_at = to_moment(end_local, zone)
    for field, moment, typed in (("start", starts_at, start_local), ("end", ends_at, end_local)):
        if moment is None:
            problems.append(
                Refusal(
                    field,
                    _(
                        "%(time)s does not exist in %(zone)s: the clocks skip it (summer time "
                        "starts). Choose a time an hour later."
                    )
                    % {"time": f"{typed:%d/%m/%Y %H:%M}", "zone": zone_name},
                )
            )
    if starts_at is None or ends_at is None:
        return None, problems
    if ends_at <= starts_at:
        return None, [Refusal("end", _("The end of the window must be after its start."))]
    return Window(start_local, end_local, zone, starts_at, ends_at), []


def check(
    window: Window,
    *,
    campaign: str,
    number_e164: str,
    expires_at: datetime | None,
    now: datetime | None = None,
) -> list[Refusal]:
    """Every reason this window may not be booked (empty: it may)."""
    now = now or timezone.now()
    zone = window.zone
    problems: list[Refusal] = []
    if window.starts_at < now - timedelta(minutes=1):
        problems.append(
            Refusal(
                "start",
                _("The start is in the past: it is now %(now)s. Choose a later time.")
                % {"now": both_times(now, zone)},
            )
        )
    days = settings.CALLBACK_MAX_DAYS_AHEAD
    latest = now + timedelta(days=days)
    if window.starts_at > latest:
        problems.append(
            Refusal(
                "start",
                _(
                    "A callback may be booked at most %(days)d days ahead: start by %(latest)s "
                    "at the latest."
                )
                % {"days": days, "latest": both_times(latest, zone)},
            )
        )
    if expires_at is not None and window.ends_at > expires_at:
        field = "start" if window.starts_at >= expires_at else "end"
        problems.append(
            Refusal(
                field,
                _(
                    "The contact expires at %(expiry)s: the window must end by then, or LCM will "
                    "not call it."
                )
                % {"expiry": both_times(expires_at, zone)},
            )
        )
    problems += _calling_hours(window, campaign)
    if number_e164:
        listed = dnc.listed([number_e164], window.starts_at)
        if listed is not None:
            if listed.expires_at is not None:
                when = _("allowed from %(when)s, when the listing ends") % {
                    "when": both_times(listed.expires_at, zone)
                }
            else:
                when = _("not allowed while it is listed: choose another number")
            problems.append(
                Refusal(
                    "mode_id",
                    _("%(number)s is on the do-not-call list (%(reason)s): %(when)s.")
                    % {
                        "number": number_e164,
                        "reason": listed.reason or _("no reason given"),
                        "when": when,
                    },
                )
            )
    return problems


def read_clock(text: str) -> time | None:
    """ "08:00" or "08:00:00" as LCM sends a mode's dialing window; None when it says none or
    something else (then only the campaign's hours apply)."""
    for pattern in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text.strip(), pattern).time()
        except ValueError:
            continue
    return None


def mode_hours(window: Window, start_text: str, end_text: str, label: str) -> list[Refusal]:
    """The window lies inside the number's own dialing window (ModeDialingStartTime and
    ModeDialingEndTime of GetContactModes, in the mode's zone), when LCM gives one."""
    opens, closes = read_clock(start_text), read_clock(end_text)
    if opens is None or closes is None or opens >= closes:
        return []
    hours = f"{opens:%H:%M}–{closes:%H:%M}"
    if not opens <= window.start_local.time() < closes:
        return [
            Refusal(
                "start",
                _("LCM dials %(number)s only %(hours)s their time: start within those hours.")
                % {"number": label, "hours": hours},
            )
        ]
    if window.end_local.date() != window.start_local.date() or window.end_local.time() > closes:
        return [
            Refusal(
                "end",
                _("LCM dials %(number)s only %(hours)s their time: end by %(end)s the same day.")
                % {"number": label, "hours": hours, "end": f"{closes:%H:%M}"},
            )
        ]
    return []


def _calling_hours(window: Window, campaign: str) -> list[Refusal]:
    """The whole window lies inside the campaign's calling hours, on one allowed day, in the
    contact's zone (an agent's "warn" policy still refuses: a callback is booked ahead, so
    there is always time to pick an allowed one)."""
    policy = rules.policy_for(campaign)
    if policy.calling_hours == CampaignPolicy.OFF:
        return []
    hours = rules.window_of(policy)
    zone_name = str(window.zone)
    start, end = window.start_local, window.end_local
    end_ok = end.date() == start.date() and end.time() <= hours.end
    if hours.contains(start) and end_ok:
        return []
    opening = hours.next_opening(window.starts_at.astimezone(window.zone))
    allowed = (
        _("the next allowed start is %(when)s") % {"when": both_times(opening, window.zone)}
        if opening is not None
        else _("the campaign allows no calling day at all")
    )
    where = _("%(window)s their time (%(zone)s)") % {
        "window": f"{hours.start:%H:%M}–{hours.end:%H:%M}",
        "zone": zone_name,
    }
    if not hours.contains(start):
        message = _("%(campaign)s calls only %(where)s: %(allowed)s.") % {
            "campaign": campaign or _("This campaign"),
            "where": where,
            "allowed": allowed,
        }
        return [Refusal("start", message)]
    message = _(
        "%(campaign)s calls only %(where)s: the window must end by %(end)s the same day."
    ) % {
        "campaign": campaign or _("This campaign"),
        "where": where,
        "end": f"{hours.end:%H:%M}",
    }
    return [Refusal("end", message)]
