"""A contact's numbers in the simulator: mode IDs, E.164 forms, and the do-not-call list that
keeps a number from being handed out (AddCompliance appends to it)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.signals import pre_save
from django.dispatch import receiver

from agentdesk.lcm.timezones import find_time_zone
from agentdesk.shared import phones

from .models import Contact, ContactMode, SimDncEntry

# LCM's campaign modes as the vendor samples number them (GetCampaignModes: 1 Home, 2 Office;
# GetCallBackModes: 3 Mobile). Any other mode name gets a stable ID of its own.
KNOWN_MODES = {"home": 1, "office": 2, "mobile": 3, "work": 4, "other": 5}
_NAMES = {number: name.capitalize() for name, number in KNOWN_MODES.items()}


def mode_id_for(name: str) -> int:
    key = name.strip().lower()
    known = KNOWN_MODES.get(key)
    if known is not None:
        return known
    return 100 + zlib.crc32(key.encode()) % 900


def mode_name_for(mode_id: int, modes: Iterable[ContactMode] = ()) -> str | None:
    """The mode name an ID stands for: one of the contact's own modes, else a known one."""
    for mode in modes:
        if mode_id_for(mode.name) == mode_id:
            return mode.name
    return _NAMES.get(mode_id)


def region_of(*zone_labels: str) -> str | None:
    """The country of the first LCM zone label that names a known zone."""
    for label in zone_labels:
        zone = find_time_zone(label) if label else None
        if zone is not None:
            return phones.region_for_time_zone(zone.iana)
    return None


def e164_of(number: str, *zone_labels: str) -> str:
    """The number in E.164, national forms read in the country of the first known zone;
    "" when it cannot be read."""
    phone = phones.try_parse(number, region_of(*zone_labels))
    return phone.e164 if phone else ""


def fill_e164(modes: Iterable[ContactMode], campaign_zone: str = "") -> None:
    """Set each mode's `e164` (before it is saved or bulk-created)."""
    for mode in modes:
        mode.e164 = e164_of(mode.number, mode.time_zone_label, campaign_zone)


@receiver(pre_save, sender=ContactMode)
def _keep_e164(sender: type[ContactMode], instance: ContactMode, **kwargs: object) -> None:
    """Every saved mode (demo seeding, the admin, SetNewModeNumber) keeps its E.164 form."""
    campaign_zone = instance.contact.campaign.time_zone_label if instance.contact_id else ""
    fill_e164([instance], campaign_zone)


def _active(now: datetime) -> QuerySet[SimDncEntry]:
    return SimDncEntry.objects.filter(
        Q(start__isnull=True) | Q(start__lte=now), Q(end__isnull=True) | Q(end__gt=now)
    )


def _blocked_modes(now: datetime, outer: str) -> Q | None:
    """Modes on the do-not-call list now, as a condition on ContactMode (`outer`: the path
    from the mode to its contact's campaign name); None when the list has nothing active.

    A subquery, not a list of numbers, so a list of any length costs one query plan. The
    rare entries for one mode ID are added one by one (mode IDs are computed from names)."""
    active = _active(now)
    if not active.exists():
        return None
    condition = Q(
        Exists(
            active.filter(e164=OuterRef("e164"), mode_id__isnull=True).filter(
                Q(campaign="") | Q(campaign__iexact=OuterRef(outer))
            )
        )
    )
    names: dict[int, list[str]] = {}
    for e164, campaign, mode_id in active.filter(mode_id__isnull=False).values_list(
        "e164", "campaign", "mode_id"
    ):
        if mode_id is None:
            continue  # filtered out above; for the type checker
        if mode_id not in names:
            every = ContactMode.objects.values_list("name", flat=True).distinct()
            names[mode_id] = [n for n in every if mode_id_for(n) == mode_id]
        clause = Q(e164=e164, name__in=names[mode_id])
        if campaign:
            clause &= Q(**{f"{outer}__iexact": campaign})
        condition |= clause
    return condition


def without_unreachable(candidates: QuerySet[Contact], now: datetime) -> QuerySet[Contact]:
    """Contacts that still have a number not on the do-not-call list (no extra query work
    when the list has nothing active)."""
    blocked = _blocked_modes(now, "contact__campaign__name")
    if blocked is None:
        return candidates
    reachable = ContactMode.objects.filter(contact=OuterRef("pk")).exclude(blocked)
    return candidates.filter(Exists(reachable))


def is_blocked(mode: ContactMode, campaign_name: str, now: datetime) -> bool:
    blocked = _blocked_modes(now, "contact__campaign__name")
    if blocked is None:
        return False
    return ContactMode.objects.filter(blocked, pk=mode.pk).exists() or (
        mode._state.adding and bool(mode.e164) and _active(now).filter(e164=mode.e164).exists()
    )


def reachable_modes(contact: Contact, now: datetime) -> list[ContactMode]:
    """The contact's modes not on the do-not-call list, in order."""
    modes = contact.modes.order_by("position")
    blocked = _blocked_modes(now, "contact__campaign__name")
    return list(modes.exclude(blocked) if blocked is not None else modes)


def handout_mode(contact: Contact, now: datetime) -> ContactMode | None:
    """The number a contact is handed out on: a due callback's own number when it is still
    reachable, else the first reachable one, else (all listed) the first."""
    reachable = reachable_modes(contact, now)
    if contact.call_type != Contact.REGULAR:
        booking = contact.callbacks.filter(active=True).order_by("-booked_at").first()
        if booking is not None:
            for mode in reachable:
                if mode.name == booking.mode_name:
                    return mode
    if reachable:
        return reachable[0]
    return contact.modes.order_by("position").first()
