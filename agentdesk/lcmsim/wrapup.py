"""The simulator's answers to the wrap-up messages (agentdesk/lcm/wrapup.py), from real state.

The call-id rule ("Invalid Call ID." on the vendor pages, for an empty or unknown one):
agentdesk makes the id per dial, so LCM cannot know it in advance. The simulator accepts a
non-empty call id it has already tied to this AccountNumber, or, the first time it sees one,
when the contact is held (handed out, not yet closed) by an agent: it then remembers the id
with that contact and agent. Any other call id (empty, tied to another contact, or new for a
contact nobody holds) is "Invalid Call ID.". GetContactModes alone takes an empty call id (its
page makes it optional).

Writes repeated after a lost answer (docs/lcm.md, "Lost answers"): a second
SetCallback under the same call id replaces the first (one booking per call id, and a
contact has one schedule, so never twins); corrections and number changes set values, so a
repeat changes nothing; AddCompliance keeps one entry per number and campaign.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from agentdesk.lcm import messages as m
from agentdesk.lcm import wrapup as w
from agentdesk.lcm.fields import LCM_DATE_FORMAT
from agentdesk.lcm.timezones import find_time_zone
from agentdesk.shared import phones

from . import numbers
from .models import (
    CallbackBooking,
    Campaign,
    Contact,
    ContactMode,
    Outcome,
    SimAgent,
    SimCall,
    SimDncEntry,
)
from .service import HANDLERS, Rejected, _check_agent, skip_contact

INVALID_CALL_ID = "Invalid Call ID."
# Fields an agent may correct when the campaign names none: who the contact is and where.
DEFAULT_EDITABLE = {
    "first_name",
    "last_name",
    "fname",
    "lname",
    "name",
    "title",
    "address",
    "city",
    "zip",
    "zip_code",
    "email",
    "company",
}
MAX_FIELD_LENGTH = 500
# A callback may start this long before "now" in the contact's zone (a form filled in slowly).
PAST_SLACK = timedelta(minutes=2)


# ------------------------------------------------------------------------ call ids


def _contact(account_number: str) -> Contact:
    contact = (
        Contact.objects.select_related("campaign__group")
        .filter(lcm_key=account_number.strip())
        .first()
    )
    if contact is None:
        raise Rejected("Invalid Account Number.")
    return contact


def _call(call_id: str, contact: Contact, *, optional: bool = False) -> SimCall | None:
    """The call this id stands for (the rule in the module's docstring)."""
    call_id = call_id.strip()
    if not call_id:
        if optional:
            return None
        raise Rejected(INVALID_CALL_ID)
    known = SimCall.objects.filter(call_id=call_id).first()
    if known is not None:
        if known.contact_id != contact.pk:
            raise Rejected(INVALID_CALL_ID)
        return known
    if contact.status != Contact.IN_PROGRESS or not contact.held_by:
        raise Rejected(INVALID_CALL_ID)
    try:
        with transaction.atomic():
            return SimCall.objects.create(
                call_id=call_id, contact=contact, agent_id=contact.held_by
            )
    except IntegrityError:  # the same id seen at the same moment by another request
        known = SimCall.objects.get(call_id=call_id)
        if known.contact_id != contact.pk:
            raise Rejected(INVALID_CALL_ID) from None
        return known


def _known_agent(agent_id: str) -> None:
    _check_agent(SimAgent.objects.filter(agent_id=agent_id.strip()).first())


def _locked(contact: Contact) -> Contact:
    """The contact's row, locked for this transaction (a handout races on the same row)."""
    return Contact.objects.select_for_update().select_related("campaign__group").get(pk=contact.pk)


def _check_writable(contact: Contact, call: SimCall) -> None:
    """A write during or after a call must not touch a contact another agent holds now, nor
    one that has expired."""
    if contact.status == Contact.IN_PROGRESS and contact.held_by != call.agent_id:
        raise Rejected("Contact is held by another agent.")
    if contact.status == Contact.EXPIRED:
        raise Rejected("Contact has expired.")


# ------------------------------------------------------------------------- reads


def _editable(contact: Contact, name: str) -> bool:
    allowed = contact.campaign.editable_fields or DEFAULT_EDITABLE
    return name.lower() in {str(field).lower() for field in allowed}


def _data_type(value: str) -> str:
    return "Number" if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value.strip()) else "String"


def business_fields(contact: Contact) -> tuple[w.BusinessField, ...]:
    return tuple(
        w.BusinessField(name, str(value), _data_type(str(value)), "", _editable(contact, name))
        for name, value in contact.business_fields.items()
    )


def contact_detail(request: w.GetContactDetail) -> w.ContactDetailAnswer:
    contact = _contact(request.account_number)
    _call(request.call_id, contact)
    return w.ContactDetailAnswer(business_fields(contact))


def screen_pop(request: w.GetScreenPopData) -> w.ScreenPopAnswer:
    """ContactDetail (CreateContact's optional business fields "used as a screen pop"), else
    the business fields; then each mode's number under its name, as the page's sample."""
    contact = _contact(request.account_number)
    _call(request.call_id, contact)
    fields = {k: str(v) for k, v in (contact.contact_detail or contact.business_fields).items()}
    for mode in contact.modes.order_by("position"):
        fields.setdefault(mode.name, mode.number)
    return w.ScreenPopAnswer(fields)


def _clock(moment: Any) -> str:
    return moment.strftime("%H:%M")


def contact_modes(request: w.GetContactModes) -> w.ContactModesAnswer:
    contact = _contact(request.account_number)
    _call(request.call_id, contact, optional=True)
    campaign = contact.campaign
    return w.ContactModesAnswer(
        tuple(
            w.ContactMode(
                mode_id=numbers.mode_id_for(mode.name),
                description=mode.name,
                campaign_id=campaign.name,
                number=mode.number,
                dialing_start=_clock(campaign.dialing_start),
                dialing_end=_clock(campaign.dialing_end),
                time_zone=mode.time_zone_label or campaign.time_zone_label,
                consent=contact.consent,
            )
            for mode in contact.modes.order_by("position")
        )
    )


def callback_modes(request: w.GetCallBackModes) -> w.CallbackModesAnswer:
    """The contact's numbers a callback may go to: those not on the do-not-call list."""
    contact = _contact(request.account_number)
    _call(request.call_id, contact)
    return w.CallbackModesAnswer(
        tuple(
            w.CallbackMode(numbers.mode_id_for(mode.name), mode.name, mode.number, contact.consent)
            for mode in numbers.reachable_modes(contact, timezone.now())
        )
    )


# ------------------------------------------------------------------------ writes


def _zone_of(mode: ContactMode, campaign: Campaign) -> ZoneInfo:
    zone = find_time_zone(mode.time_zone_label) or find_time_zone(campaign.time_zone_label)
    return zone.zone if zone else ZoneInfo(str(timezone.get_default_timezone()))


def set_callback(request: w.SetCallbackWithComments) -> w.SuccessAnswer:
    """Reschedule the contact as a callback in the mode's zone: regular (reserved for nobody:
    any agent of the campaign gets it through Next once due) or personal (reserved for
    UserID: only they get it, through Reserved, with CallType "personal callback")."""
    _known_agent(request.user_id)
    contact = _contact(request.account_number)
    call = _call(request.call_id, contact)
    assert call is not None
    now = timezone.now()
    with transaction.atomic():
        contact = _locked(contact)
        _check_writable(contact, call)
        if contact.status == Contact.CLOSED and contact.closed_by != call.agent_id:
            # Another agent closed it since (a callback booked on this call came due and was
            # worked): a late booking of this call must not undo their outcome. The agent's
            # own skip is different: booking after closing the card reopens it.
            outcome = contact.outcome
            raise Rejected(
                f"Contact is already closed with outcome {contact.outcome_id} "
                f"{outcome.name if outcome else ''}.".replace(" .", ".")
            )
        modes = list(contact.modes.order_by("position"))
        name = numbers.mode_name_for(request.mode_id, modes)
        mode = next((mode for mode in modes if mode.name == name), None)
        if mode is None:
            raise Rejected("Invalid Callback Mode ID.")
        if numbers.is_blocked(mode, contact.campaign.name, now):
            raise Rejected("The callback number is on the DNC list.")
        zone = _zone_of(mode, contact.campaign)
        start = request.start.replace(tzinfo=zone)
        end = request.end.replace(tzinfo=zone)
        # The window the contact already has (a lead moving an overdue personal callback to
        # another agent, a retry) is kept as it is; a new window must be ahead and in time.
        current = contact.callbacks.filter(active=True, start=start, end=end).exists()
        if not current and start < now - PAST_SLACK:
            raise Rejected("Callback start time is in the past.")
        if not current and contact.expiry and end > contact.expiry:
            expiry = timezone.localtime(contact.expiry, zone).strftime(LCM_DATE_FORMAT)
            raise Rejected(f"Callback end time is after the contact's expiry ({expiry}).")
        booking, created = CallbackBooking.objects.get_or_create(
            call=call,
            defaults=_booking_values(request, contact, mode, start, end),
        )
        if not created:  # the same call booking again (a retry, or a change): it replaces
            for key, value in _booking_values(request, contact, mode, start, end).items():
                setattr(booking, key, value)
            booking.times_sent += 1
            booking.active = True
            booking.save()
        contact.callbacks.exclude(pk=booking.pk).update(active=False)
        contact.status = Contact.OPEN
        contact.call_type = (
            Contact.PERSONAL_CALLBACK if request.PERSONAL else Contact.REGULAR_CALLBACK
        )
        contact.reserved_for = request.user_id if request.PERSONAL else ""
        contact.callback_start = start
        contact.callback_end = end
        contact.held_by = ""
        contact.held_at = None
        contact.save(
            update_fields=[
                "status",
                "call_type",
                "reserved_for",
                "callback_start",
                "callback_end",
                "held_by",
                "held_at",
            ]
        )
    return w.SuccessAnswer(True)


def _booking_values(
    request: w.SetCallbackWithComments,
    contact: Contact,
    mode: ContactMode,
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    amount = request.target_amount
    return {
        "contact": contact,
        "personal": request.PERSONAL,
        "agent_id": request.user_id,
        "mode_name": mode.name,
        "number": mode.number,
        "start": start,
        "end": end,
        "comments": request.comments,
        "lead_score": request.lead_score,
        "target_amount": None if amount is None else amount.quantize(Decimal("0.01")),
    }


def set_business_fields(request: w.SetContactBusinessFields) -> w.SuccessAnswer:
    """Correct business fields the campaign lets agents edit; all or nothing."""
    _known_agent(request.agent_id)
    contact = _contact(request.account_number)
    call = _call(request.call_id, contact)
    assert call is not None
    with transaction.atomic():
        contact = _locked(contact)
        _check_writable(contact, call)
        fields = dict(contact.business_fields)
        detail = dict(contact.contact_detail)
        names = {name.lower(): name for name in fields}
        for field in request.fields:
            name = names.get(field.name.lower())
            if name is None:
                raise Rejected(f"Invalid business field {field.name}.")
            if not _editable(contact, name):
                raise Rejected(f"Business field {name} is not editable.")
            if len(field.value) > MAX_FIELD_LENGTH:
                raise Rejected(f"Business field {name} is longer than {MAX_FIELD_LENGTH}.")
            if field.data_type.lower() == "number" and _data_type(field.value) != "Number":
                raise Rejected(f"Business field {name} must be a number.")
            fields[name] = field.value
            if name in detail:
                detail[name] = field.value
        contact.business_fields = fields
        contact.contact_detail = detail
        contact.save(update_fields=["business_fields", "contact_detail"])
    return w.SuccessAnswer(True)


def set_new_mode_number(request: w.SetNewModeNumber) -> w.SuccessAnswer:
    """Change the number of the contact's mode `ModeID`, or add that mode; with
    DeleteOtherModes every other mode goes. An unknown ModeID is refused."""
    _known_agent(request.agent_id)
    contact = _contact(request.account_number)
    call = _call(request.call_id, contact)
    assert call is not None
    with transaction.atomic():
        contact = _locked(contact)
        _check_writable(contact, call)
        modes = list(contact.modes.order_by("position"))
        name = numbers.mode_name_for(request.mode_id, modes)
        if name is None:
            raise Rejected("Invalid Mode ID.")
        mode = next((mode for mode in modes if mode.name == name), None)
        zone_label = (mode or (modes[0] if modes else None) or contact.campaign).time_zone_label
        # Stored as sent, as CreateContact's numbers (the page: a String, no rule).
        if mode is None:
            tz = find_time_zone(zone_label)
            mode = ContactMode(
                contact=contact,
                position=max((other.position for other in modes), default=-1) + 1,
                name=name,
                time_zone_index=tz.index if tz else contact.campaign.time_zone_index,
                time_zone_label=tz.label if tz else contact.campaign.time_zone_label,
            )
        mode.number = request.number.strip()
        mode.save()  # pre_save keeps its E.164 form
        if request.delete_other_modes:
            contact.modes.exclude(pk=mode.pk).delete()
    return w.SuccessAnswer(True)


# ------------------------------------------------------------------ do-not-call


def _naive_to_lcm(moment: datetime | None) -> datetime | None:
    """AddCompliance's dates carry no zone: LCM's own (Django's TIME_ZONE)."""
    return None if moment is None else timezone.make_aware(moment)


def add_compliance(request: w.AddCompliance) -> w.ComplianceAnswer:
    """Append a number to the do-not-call list; appending it again (a retry) keeps one entry
    and takes the latest window."""
    campaign = None
    if request.campaign:
        campaign = Campaign.objects.filter(name__iexact=request.campaign.strip()).first()
        if campaign is None:
            raise Rejected("Invalid Campaign.")
    region = numbers.region_of(campaign.time_zone_label) if campaign else None
    phone = phones.try_parse(request.number, region)
    if phone is None:
        raise Rejected(f"Invalid CValue {request.number[:40]}: not a phone number.")
    values = {
        "mode_id": request.mode_id,
        "start": _naive_to_lcm(request.start),
        "end": _naive_to_lcm(request.end),
        "raw": request.number[:64],
    }
    with transaction.atomic():
        entry = (
            SimDncEntry.objects.select_for_update()
            .filter(e164=phone.e164, campaign=campaign.name if campaign else "")
            .first()
        )
        if entry is None:
            try:
                with transaction.atomic():
                    SimDncEntry.objects.create(
                        e164=phone.e164, campaign=campaign.name if campaign else "", **values
                    )
                return w.ComplianceAnswer("Success")
            except IntegrityError:  # appended at the same moment by another request
                entry = SimDncEntry.objects.get(
                    e164=phone.e164, campaign=campaign.name if campaign else ""
                )
        for key, value in values.items():
            setattr(entry, key, value)
        entry.times_sent += 1
        entry.save()
    return w.ComplianceAnswer(f"Number {phone.e164} is already on the DNC list.")


# ----------------------------------------------------------------- skip after all


def _is_dnc_outcome(outcome: Outcome | None) -> bool:
    return outcome is not None and "dnc" in outcome.name.lower().replace(" ", "")


def skip(request: m.SkipManualDialContact) -> m.SkipAnswer:
    """Skip after a callback was booked on the same call: the booking has already given the
    contact back (rescheduled), so the skip records its outcome on the booking and the
    callback stands, unless the outcome is a do-not-call one, which closes the contact.
    Every other skip is the simulator's usual one."""
    contact = Contact.objects.filter(lcm_key=request.account_number.strip()).first()
    booking = (
        contact.callbacks.filter(active=True, call__agent_id=request.user_id)
        .select_related("call")
        .order_by("-booked_at")
        .first()
        if contact is not None and contact.status == Contact.OPEN and not contact.held_by
        else None
    )
    if contact is None or booking is None:
        return skip_contact(request)
    outcome = Outcome.objects.filter(pk=request.outcome_id).first()
    if outcome is None:
        raise Rejected("Invalid Outcome ID.")
    with transaction.atomic():
        booking.outcome = outcome
        booking.save(update_fields=["outcome"])
        if _is_dnc_outcome(outcome):
            booking.active = False
            booking.save(update_fields=["active"])
            Contact.objects.filter(pk=contact.pk, status=Contact.OPEN, held_by="").update(
                status=Contact.CLOSED,
                outcome=outcome,
                closed_by=request.user_id,
                closed_at=timezone.now(),
            )
    return m.SkipAnswer(True)


HANDLERS.update(
    {
        w.GetContactDetail: contact_detail,
        w.GetScreenPopData: screen_pop,
        w.GetContactModes: contact_modes,
        w.GetCallBackModes: callback_modes,
        w.SetCallbackWithComments: set_callback,
        w.SetPersonalCallbackWithComments: set_callback,
        w.SetContactBusinessFields: set_business_fields,
        w.SetNewModeNumber: set_new_mode_number,
        w.AddCompliance: add_compliance,
        m.SkipManualDialContact: skip,
    }
)
