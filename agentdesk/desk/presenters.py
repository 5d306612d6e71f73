"""What the contact card shows: readable times and the warnings an agent must not miss."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agentdesk.lcm.messages import Contact

from .forms import MODE_LABELS

EXPIRES_SOON = timedelta(minutes=30)
CALLING_HOURS = (8, 21)  # local time of the contact, 8:00 to 21:00


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    # LCM sends naive times in its own (the configured) zone.
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _readable(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    # Django's date formatting names weekdays and months in the active language.
    text = formats.date_format(local, _("D d M Y, H:i"))
    delta = moment - now
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 120:
        span = _("%(minutes)d min") % {"minutes": minutes}
    elif minutes < 48 * 60:
        span = _("%(hours)d h") % {"hours": minutes // 60}
    else:
        days = minutes // 1440
        span = ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
    if delta.total_seconds() >= 0:
        return _("%(when)s (in %(span)s)") % {"when": text, "span": span}
    return _("%(when)s (%(span)s ago)") % {"when": text, "span": span}


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

    @property
    def mode_text(self) -> str:
        """LCM's mode name ("Home", "Mobile"…), in the reader's language where known."""
        return str(MODE_LABELS.get(self.contact.mode, self.contact.mode)) or "—"

    @property
    def consent_text(self) -> str:
        value = self.contact.consent.strip().lower()
        if value in {"yes", "true", "1"}:
            return _("Yes")
        if value in {"no", "false", "0"}:
            return _("No")
        return self.contact.consent or "—"


def contact_card(data: dict | None, now: datetime | None = None) -> ContactCard | None:
    if not data:
        return None
    contact = Contact.from_response(data)
    now = now or timezone.now()
    warnings = []
    expiry = _aware(contact.expiry)
    if expiry is not None:
        if expiry <= now:
            warnings.append(
                _("This contact has expired: do not dial it, skip it with an outcome.")
            )
        elif expiry - now <= EXPIRES_SOON:
            minutes = max(1, int((expiry - now).total_seconds() // 60))
            warnings.append(_("Expires soon: in %(minutes)d min.") % {"minutes": minutes})
    tz = contact.lcm_time_zone
    local_time_text = _("unknown time zone")
    if tz is not None:
        local = now.astimezone(ZoneInfo(tz.iana))
        local_time_text = f"{local:%H:%M}, {tz.label}"
        start, end = CALLING_HOURS
        if not (start <= local.hour < end):
            warnings.append(
                _(
                    "It is %(time)s for this contact: outside calling hours "
                    "(%(start)d:00 to %(end)d:00 their time)."
                )
                % {"time": f"{local:%H:%M}", "start": start, "end": end}
            )
    dial = contact.dial_string
    return ContactCard(
        contact=contact,
        dial_string=dial,
        tel_href="tel:" + re.sub(r"[^0-9+*#]", "", dial),
        expiry_text=_readable(expiry, now),
        callback_text=_readable(_aware(contact.callback), now),
        local_time_text=local_time_text,
        time_zone_label=tz.label if tz else "",
        warnings=tuple(warnings),
    )
