"""May this contact be dialled now, and if not, why and from when? One verdict per contact,
from the campaign's policy, the do-not-call list, consent evidence and the contact's local
time (the mode's time zone from LCM; when LCM sends none, the zones of the number's region).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from cachetools import TTLCache
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.lcm.timezones import LcmTimeZone
from agentdesk.shared import phones

from . import clock, consent, dnc
from .hours import Window, next_allowed, open_in_all
from .models import CampaignPolicy, ConsentEvidence, DoNotCallEntry, PreviewLimit

ZONE_FROM_LCM = "lcm"
ZONE_FROM_NUMBER = "number"


# Policies and preview limits are read on every card render but change rarely (in the admin),
# so each worker keeps them for a few seconds. A save in this worker forgets them at once;
# other workers see the change within COMPLIANCE_CACHE_SECONDS. The do-not-call list and
# consent evidence are never cached: an opt-out must hold from the moment it is recorded.
_CACHE_SECONDS = settings.COMPLIANCE_CACHE_SECONDS
_policies: TTLCache[str, CampaignPolicy] = TTLCache(maxsize=10_000, ttl=_CACHE_SECONDS or 1)
_preview_limits: TTLCache[str, PreviewLimit | None] = TTLCache(
    maxsize=10_000, ttl=_CACHE_SECONDS or 1
)


def policy_for(campaign: str) -> CampaignPolicy:
    """The campaign's policy, or the defaults (an unsaved row) when it has none."""
    policy = _policies.get(campaign) if _CACHE_SECONDS else None
    if policy is None:
        policy = CampaignPolicy.objects.filter(campaign=campaign).first() or CampaignPolicy(
            campaign=campaign
        )
        _policies[campaign] = policy
    return policy


def preview_limit_for(campaign_group: str) -> PreviewLimit | None:
    if not campaign_group:
        return None
    if not _CACHE_SECONDS or campaign_group not in _preview_limits:
        _preview_limits[campaign_group] = PreviewLimit.objects.filter(
            campaign_group=campaign_group
        ).first()
    return _preview_limits[campaign_group]


def forget_cached_rules(**_: Any) -> None:
    _policies.clear()
    _preview_limits.clear()


for _model in (CampaignPolicy, PreviewLimit):
    post_save.connect(forget_cached_rules, sender=_model, dispatch_uid=f"forget-{_model.__name__}")
    post_delete.connect(
        forget_cached_rules, sender=_model, dispatch_uid=f"forget-del-{_model.__name__}"
    )


def window_of(policy: CampaignPolicy) -> Window:
    return Window(policy.window_start, policy.window_end, policy.iso_weekdays)


@dataclass(frozen=True)
class Verdict:
    """What the desk must do with one contact right now."""

    campaign: str
    mode: str
    window: Window
    now: datetime
    number: str = ""  # E.164; empty when the number cannot be read
    unreadable: str = ""  # why it cannot be read
    zones: tuple[str, ...] = ()
    zone_source: str = ""
    outside_window: bool = False
    may_call_from: datetime | None = None
    dnc: DoNotCallEntry | None = None
    consent_required: bool = False
    evidence: ConsentEvidence | None = None
    hand_back_outcome: int | None = None

    @property
    def consent_missing(self) -> bool:
        return self.consent_required and self.evidence is None

    @property
    def blocked(self) -> bool:
        """Never dialable now: listed, unreadable, consent missing, or outside under block."""
        return bool(
            self.dnc
            or self.unreadable
            or self.consent_missing
            or (self.outside_window and self.mode == CampaignPolicy.BLOCK)
        )

    @property
    def needs_confirmation(self) -> bool:
        return not self.blocked and self.outside_window and self.mode == CampaignPolicy.CONFIRM

    @property
    def local_times(self) -> list[datetime]:
        return [self.now.astimezone(ZoneInfo(zone)) for zone in self.zones]

    @property
    def local_time_text(self) -> str:
        """ "21:34 America/New_York" (each zone when the number may ring in several)."""
        if not self.zones:
            return _("unknown")
        return ", ".join(f"{local:%a %H:%M} {local.tzinfo}" for local in self.local_times)

    @property
    def window_text(self) -> str:
        days = "".join(str(d) for d in sorted(self.window.weekdays))
        day_text = "" if days == "1234567" else " " + _weekday_names(self.window.weekdays)
        return f"{self.window.start:%H:%M}–{self.window.end:%H:%M}{day_text}"

    @property
    def may_call_text(self) -> str:
        """When the contact may be called, in their time and how long from now."""
        if self.may_call_from is None:
            return ""
        zone = ZoneInfo(self.zones[0]) if self.zones else timezone.get_current_timezone()
        local = self.may_call_from.astimezone(zone)
        minutes = max(1, int((self.may_call_from - self.now).total_seconds() // 60))
        span = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
        return _("%(when)s their time (in %(span)s)") % {
            "when": f"{local:%a %d %b %H:%M}",
            "span": span,
        }

    @property
    def reasons(self) -> list[str]:
        """Why the contact may not be dialled now (or must be confirmed), for the card."""
        found = []
        if self.dnc is not None:
            found.append(
                _("%(number)s is on the do-not-call list (%(reason)s).")
                % {"number": self.number, "reason": self.dnc.reason or _("no reason given")}
            )
        if self.unreadable:
            found.append(
                _("The number %(reason)s, so it cannot be checked against the do-not-call list.")
                % {"reason": self.unreadable}
            )
        if self.consent_missing:
            found.append(
                _(
                    "%(campaign)s calls only contacts with consent evidence, and this contact "
                    "has none on record."
                )
                % {"campaign": self.campaign}
            )
        if self.outside_window and self.mode != CampaignPolicy.OFF:
            if self.zones:
                found.append(
                    _(
                        "It is %(local)s for this contact: outside calling hours (%(window)s "
                        "their time)."
                    )
                    % {"local": self.local_time_text, "window": self.window_text}
                )
            else:
                found.append(
                    _(
                        "Their local time is unknown (no time zone from LCM, none for the "
                        "number), so calling hours cannot be checked."
                    )
                )
        return found


def _weekday_names(days: frozenset[int]) -> str:
    from .models import WEEKDAYS

    names = dict(WEEKDAYS)
    return ", ".join(str(names[str(day)])[:3] for day in sorted(days))


class Contact(Protocol):
    """What the rules read of a contact: one LCM handed out (the protocol's `Contact`) or the
    one on an agent's screen (the desk's own shape)."""

    @property
    def account_number(self) -> str: ...
    @property
    def phone_number(self) -> str: ...
    @property
    def campaign_id(self) -> str: ...
    @property
    def lcm_time_zone(self) -> LcmTimeZone | None: ...


def contact_zones(contact: Contact, phone: phones.Phone | None) -> tuple[tuple[str, ...], str]:
    """The contact's time zones and where they came from: LCM's mode, else the number."""
    lcm_zone = contact.lcm_time_zone
    if lcm_zone is not None:
        return (lcm_zone.iana,), ZONE_FROM_LCM
    if phone is not None and phone.time_zones:
        return phone.time_zones, ZONE_FROM_NUMBER
    return (), ""


def read_number(contact: Contact, policy: CampaignPolicy) -> phones.Phone:
    """The contact's number read against the campaign's region, else its time zone's country,
    else PHONE_DEFAULT_REGION (the rule the card uses to show it)."""
    lcm_zone = contact.lcm_time_zone
    region = (
        policy.region
        or phones.region_for_time_zone(lcm_zone.iana if lcm_zone else None)
        or settings.PHONE_DEFAULT_REGION
    )
    return phones.parse_phone(contact.phone_number, region)


def evaluate(contact: Contact, *, now: datetime | None = None) -> Verdict:
    """The verdict for a contact on an agent's screen (a few small queries)."""
    now = now or clock.now()
    policy = policy_for(contact.campaign_id)
    window = window_of(policy)
    phone: phones.Phone | None
    try:
        phone = read_number(contact, policy)
        unreadable = ""
    except phones.PhoneError as error:
        phone, unreadable = None, error.reason
    number = phone.e164 if phone else ""
    zones, source = contact_zones(contact, phone)
    outside, may_call_from = False, None
    if policy.calling_hours != CampaignPolicy.OFF:
        if zones:
            outside = not open_in_all(window, zones, now)
            if outside:
                may_call_from = next_allowed(window, zones, now)
        else:
            outside = policy.calling_hours in (CampaignPolicy.CONFIRM, CampaignPolicy.BLOCK)
    listed = dnc.listed([number], now) if number else None
    evidence = consent.evidence_for(
        lcm_key=contact.account_number, number=number, campaign=contact.campaign_id
    )
    return Verdict(
        campaign=contact.campaign_id,
        mode=policy.calling_hours,
        window=window,
        now=now,
        number=number,
        unreadable=unreadable,
        zones=zones,
        zone_source=source,
        outside_window=outside,
        may_call_from=may_call_from,
        dnc=listed,
        consent_required=policy.consent_required,
        evidence=evidence,
        hand_back_outcome=policy.dnc_outcome if listed else policy.hand_back_outcome,
    )


def list_contact(contact: Contact, *, reason: str, added_by: str) -> DoNotCallEntry | None:
    """Put the contact's number on the do-not-call list (a DNC outcome); None when the number
    cannot be read (then there is nothing to list)."""
    try:
        phone = read_number(contact, policy_for(contact.campaign_id))
    except phones.PhoneError:
        return None
    # An agent (or a lead closing for one) acts for one team: an entry someone else made keeps
    # its reason and maker, and only ever gets longer (here: until removed).
    entry, _created = dnc.add(
        phone.e164, reason=reason, added_by=added_by, extend_only=True, owner=added_by
    )
    return entry
