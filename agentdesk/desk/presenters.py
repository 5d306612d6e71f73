"""What the contact card shows: the number to dial, readable times and the warnings an agent
must not miss."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agentdesk.compliance import rules
from agentdesk.compliance.models import PreviewLimit
from agentdesk.lcm.dates import LcmDate
from agentdesk.shared.phones import Phone, PhoneError, parse_phone, region_for_time_zone

from .contact import ContactOnScreen
from .forms import MODE_LABELS

EXPIRES_SOON = timedelta(minutes=30)


def _readable(date: LcmDate, now: datetime) -> str:
    if date.is_blank:
        return "—"
    if date.moment is None:
        return _("%(raw)s (not understood)") % {"raw": date.raw}
    moment = date.moment
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
class Dialling:
    """The number LCM handed out, read by libphonenumber: the link to dial and the text to show.

    The link is an RFC 3966 `tel:` URI in international form (so a national trunk prefix such
    as the 0 in `+49 (0)30…` never ends up in it), vanity letters become digits, and an
    extension (LCM's suffix `#123`, or `x123` in the number) is kept as `;ext=`. LCM's `Prefix`
    (an outside-line digit of a phone system) is not part of a global number: it is shown
    beside it, not put in the link."""

    raw: str
    phone: Phone | None
    region: str
    warnings: tuple[str, ...]

    @property
    def tel_href(self) -> str:
        """No link for a number that is not valid: dialling it would reach no one, or someone
        else."""
        return self.phone.tel_uri() if self.phone and self.phone.is_valid else ""

    @property
    def text(self) -> str:
        return self.phone.for_people(settings.PHONE_DEFAULT_REGION) if self.phone else self.raw


def _region(contact: ContactOnScreen) -> str:
    tz = contact.lcm_time_zone
    return region_for_time_zone(tz.iana if tz else None) or settings.PHONE_DEFAULT_REGION


def dialling(contact: ContactOnScreen) -> Dialling:
    region = _region(contact)
    raw = " ".join(f"{contact.prefix} {contact.phone_number} {contact.suffix}".split())
    warnings: list[str] = []
    phone: Phone | None = None
    suffix = contact.suffix.strip()
    if suffix:
        try:
            phone = parse_phone(f"{contact.phone_number} {suffix}", region)
        except PhoneError:
            phone = None
        if phone is not None and not phone.extension:
            phone = None  # the suffix was not an extension; read the number alone
    try:
        phone = phone or parse_phone(contact.phone_number, region)
    except PhoneError as exc:
        warnings.append(
            _("The number LCM sent (“%(raw)s”) cannot be dialled as given: it %(reason)s.")
            % {"raw": raw, "reason": exc.reason}
        )
        return Dialling(raw, None, region, tuple(warnings))
    if suffix and not phone.extension:
        warnings.append(
            _(
                "LCM's suffix “%(suffix)s” is not an extension and is not dialled: key it in "
                "yourself if the call needs it."
            )
            % {"suffix": suffix}
        )
    if not phone.is_valid:
        warnings.append(
            _(
                "The number %(number)s does not exist in its country's numbering plan as LCM sent "
                "it (“%(raw)s”), so it is not offered for dialling: check it."
            )
            % {"number": phone.for_people(), "raw": raw}
        )
    return Dialling(raw, phone, region, tuple(warnings))


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
    contact: ContactOnScreen
    dial: Dialling
    expiry_text: str
    callback_text: str
    local_time_text: str
    time_zone_label: str
    warnings: tuple[str, ...]
    verdict: rules.Verdict
    confirmed_at: datetime | None = None
    preview: PreviewCountdown | None = None
    now: datetime = field(default_factory=timezone.now)

    @property
    def callback_past(self) -> bool:
        """The callback time LCM sent lies in the past (the card marks it)."""
        moment = self.contact.callback.moment
        return moment is not None and moment <= self.now

    @property
    def mode_text(self) -> str:
        """LCM's mode name ("Home", "Mobile"…), in the reader's language where known."""
        return str(MODE_LABELS.get(self.contact.mode, self.contact.mode)) or "—"

    @property
    def tel_href(self) -> str:
        return self.dial.tel_href

    @property
    def dial_enabled(self) -> bool:
        """The click-to-dial link works: a dialable number, nothing in the compliance rules
        against it, and any confirmation given."""
        if not self.tel_href or self.verdict.blocked:
            return False
        return not self.verdict.needs_confirmation or self.confirmed_at is not None

    @property
    def must_confirm(self) -> bool:
        """Outside calling hours on a *confirm* campaign and not confirmed yet. A number that
        cannot be dialled as given is never confirmed: the log would fill with calls that
        never happened; it is handed back instead."""
        return bool(self.tel_href) and self.verdict.needs_confirmation and self.confirmed_at is None

    @property
    def undialable_outside_hours(self) -> bool:
        """Outside calling hours on a *confirm* campaign with a number nobody can dial."""
        return not self.tel_href and self.verdict.needs_confirmation

    @property
    def dial_string(self) -> str:
        return self.dial.text

    @property
    def consent_text(self) -> str:
        value = self.contact.consent.strip().lower()
        if value in {"yes", "true", "1"}:
            return _("Yes")
        if value in {"no", "false", "0"}:
            return _("No")
        return self.contact.consent or "—"


def _expiry_warnings(expiry: LcmDate, now: datetime) -> list[str]:
    if expiry.is_blank:
        return []
    if expiry.moment is None:
        return [
            _(
                "LCM sent an expiry time agentdesk cannot read (“%(raw)s”): check that the contact "
                "has not expired before dialling."
            )
            % {"raw": expiry.raw}
        ]
    if expiry.moment <= now:
        return [_("This contact has expired: do not dial it, skip it with an outcome.")]
    if expiry.moment - now <= EXPIRES_SOON:
        minutes = max(1, int((expiry.moment - now).total_seconds() // 60))
        return [_("Expires soon: in %(minutes)s min.") % {"minutes": minutes}]
    return []


def contact_card(
    contact: ContactOnScreen | None,
    now: datetime | None = None,
    *,
    preview: PreviewCountdown | None = None,
) -> ContactCard | None:
    """The card for a contact on screen, with the compliance verdict (runs a few queries)."""
    if contact is None:
        return None
    verdict = rules.evaluate(contact, now=now)  # without `now`: the compliance clock
    now = now or timezone.now()
    dial = dialling(contact)
    warnings = list(dial.warnings)
    expiry = contact.expiry
    warnings += _expiry_warnings(expiry, now)
    tz = contact.lcm_time_zone
    local_time_text = _("unknown time zone")
    if tz is not None:
        local = verdict.now.astimezone(ZoneInfo(tz.iana))
        local_time_text = f"{local:%H:%M}, {tz.label}"
    elif verdict.zones:
        local_time_text = verdict.local_time_text
    if verdict.outside_window and not verdict.blocked and not verdict.needs_confirmation:
        warnings.extend(verdict.reasons)  # "warn": shown, dialing stays possible
    return ContactCard(
        contact=contact,
        dial=dial,
        expiry_text=_readable(expiry, now),
        callback_text=_readable(contact.callback, now),
        local_time_text=local_time_text,
        time_zone_label=tz.label if tz else "",
        warnings=tuple(warnings),
        verdict=verdict,
        preview=preview,
        now=now,
    )
