"""What the contact card shows: readable times and the warnings an agent must not miss."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from agentdesk.compliance import rules
from agentdesk.compliance.models import PreviewLimit
from agentdesk.lcm.messages import Contact

EXPIRES_SOON = timedelta(minutes=30)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    # LCM sends naive times in its own (the configured) zone.
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _readable(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    text = local.strftime("%a %d %b %Y, %H:%M")
    delta = moment - now
    minutes = int(abs(delta.total_seconds()) // 60)
    span = (
        f"{minutes} min"
        if minutes < 120
        else (f"{minutes // 60} h" if minutes < 48 * 60 else f"{minutes // 1440} days")
    )
    return f"{text} ({'in ' + span if delta.total_seconds() >= 0 else span + ' ago'})"


def tel_href(dial_string: str) -> str:
    return "tel:" + re.sub(r"[^0-9+*#]", "", dial_string)


@dataclass(frozen=True)
class PreviewCountdown:
    """The campaign group's preview limit as the card shows it."""

    limit: PreviewLimit
    seconds_left: int
    deadline: datetime

    @property
    def hands_back(self) -> bool:
        return self.limit.on_expiry == PreviewLimit.HAND_BACK


def preview_countdown(
    limit: PreviewLimit | None, since: datetime, now: datetime
) -> PreviewCountdown | None:
    if limit is None:
        return None
    deadline = since + timedelta(seconds=limit.seconds)
    return PreviewCountdown(limit, max(0, int((deadline - now).total_seconds())), deadline)


@dataclass(frozen=True)
class ContactCard:
    contact: Contact
    dial_string: str
    tel_href: str
    expiry_text: str
    callback_text: str
    local_time_text: str
    time_zone_label: str
    warnings: tuple[str, ...]
    verdict: rules.Verdict
    confirmed_at: datetime | None = None
    preview: PreviewCountdown | None = None

    @property
    def dial_enabled(self) -> bool:
        """The click-to-dial link works: nothing blocks it and any confirmation is given."""
        if self.verdict.blocked:
            return False
        return not self.verdict.needs_confirmation or self.confirmed_at is not None

    @property
    def must_confirm(self) -> bool:
        return self.verdict.needs_confirmation and self.confirmed_at is None

    @property
    def consent_text(self) -> str:
        value = self.contact.consent.strip().lower()
        if value in {"yes", "true", "1"}:
            return "Yes"
        if value in {"no", "false", "0"}:
            return "No"
        return self.contact.consent or "—"


def contact_card(
    data: dict | None,
    now: datetime | None = None,
    *,
    confirmed_at: datetime | None = None,
    preview: PreviewCountdown | None = None,
) -> ContactCard | None:
    """The card for a contact on screen, with the compliance verdict (runs a few queries)."""
    if not data:
        return None
    contact = Contact.from_response(data)
    verdict = rules.evaluate(contact, now=now)  # without `now`: the compliance clock
    now = now or timezone.now()
    warnings = []
    expiry = _aware(contact.expiry)
    if expiry is not None:
        if expiry <= now:
            warnings.append("This contact has expired: do not dial it, skip it with an outcome.")
        elif expiry - now <= EXPIRES_SOON:
            minutes = max(1, int((expiry - now).total_seconds() // 60))
            warnings.append(f"Expires soon: in {minutes} min.")
    tz = contact.lcm_time_zone
    local_time_text = "unknown time zone"
    if tz is not None:
        local = verdict.now.astimezone(ZoneInfo(tz.iana))
        local_time_text = f"{local:%H:%M}, {tz.label}"
    elif verdict.zones:
        local_time_text = verdict.local_time_text
    if verdict.outside_window and not verdict.blocked and not verdict.needs_confirmation:
        warnings.extend(verdict.reasons)  # "warn": shown, dialing stays possible
    dial = contact.dial_string
    return ContactCard(
        contact=contact,
        dial_string=dial,
        tel_href=tel_href(dial),
        expiry_text=_readable(expiry, now),
        callback_text=_readable(_aware(contact.callback), now),
        local_time_text=local_time_text,
        time_zone_label=tz.label if tz else "",
        warnings=tuple(warnings),
        verdict=verdict,
        confirmed_at=confirmed_at,
        preview=preview,
    )
