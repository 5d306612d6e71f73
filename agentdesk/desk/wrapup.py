"""The agent's wrap-up of the contact on screen: book a callback, dial another of its numbers,
correct its business fields, add or change a number.

Each reads like the agent's actions (desk/actions/): check the input, take the agent's turn,
check that the contact the form was filled in for is still the one on screen (its LCM key and
session version, desk/onscreen.py; another number dialled counts as another), call LCM,
finish the turn (saved, logged, published once). A failure leaves the
contact on screen and hands the form back as typed; a lost answer says "may have", and the
retry of the same form is reconciled, never sent as a second booking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.compliance import rules
from agentdesk.lcm import wrapup as w
from agentdesk.lcm.client import get_client
from agentdesk.lcm.errors import LcmError, LcmRejected
from agentdesk.shared import phones
from agentdesk.shared.asyncdb import db_async

from . import callback_rules, details, onscreen, state
from .actions.context import ActionContext, Outcome, context_for
from .actions.turn import (
    Turn,
    agent_turn,
    busy,
    exchange_fields,
    failure_fields,
    new_call_id,
)
from .contact import ContactOnScreen, contact_of
from .models import ActionLog, AgentProfile, AgentSession, Callback
from .onscreen import Shown, read_shown
from .wrapup_forms import CallbackForm, FieldsForm, NumberForm, zone_of_label

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class Done:
    """A wrap-up step's result, and the form to show again: as typed after a failure, fresh
    (None) after a success."""

    result: Outcome
    form: forms.Form | None = None


def _invalid(form: forms.Form, message: str = "") -> Done:
    message = message or _("Check the highlighted fields.")
    return Done(result=Outcome(ok=False, message=message, level="error"), form=form)


async def _read_attempt(
    profile: AgentProfile, data: Any
) -> tuple[AgentSession, ContactOnScreen, Shown] | Done:
    """The contact on screen, if the form names it (desk/onscreen.py: its LCM key and a
    session version since it reached the screen; another number dialled is another holding);
    else a refusal with the fresh state."""
    shown, problem = read_shown(data)
    session = await db_async(state.session_for)(profile)
    if shown is None:
        return Done(result=Outcome(ok=False, message=problem, level="error", session=session))
    if not onscreen.still_on_screen(session, shown) or not session.call_id:
        changed = str(onscreen.CHANGED)
        return Done(result=Outcome(ok=False, message=changed, level="error", session=session))
    contact = contact_of(session)
    assert contact is not None
    return session, contact, shown


def _entry(contact: ContactOnScreen, call_id: str, **more: Any) -> dict[str, Any]:
    return {
        "campaign": contact.campaign_id,
        "queue": contact.queue,
        "lcm_key": contact.account_number,
        "phone_last4": contact.phone_number[-4:],
        "call_id": call_id,
        **more,
    }


async def _changed(turn: Turn, shown: Shown) -> Done | None:
    """Refused (nothing sent, the form not kept: it was for another contact) when the screen
    changed while the step waited for its turn."""
    refused = await turn.refuse_unless_shown(shown)
    return None if refused is None else Done(result=refused)


# ------------------------------------------------------------------------ callbacks


async def book_callback(
    profile: AgentProfile, data: Any, *, context: ActionContext | None = None
) -> Done:
    """Book a regular or personal callback for the contact on screen, after checking its
    window (desk/callback_rules.py)."""
    attempt = await _read_attempt(profile, data)
    if isinstance(attempt, Done):
        return attempt
    session, contact, shown = attempt
    call_id = session.call_id
    found = await details.load(call_id, contact.account_number)
    zones = {mode.mode_id: zone_of_label(mode.time_zone) for mode in found.modes}
    own_zone = contact.lcm_time_zone
    form = CallbackForm(
        data,
        callback_modes=found.callback_modes,
        zones=zones,
        default_zone=own_zone.iana if own_zone else "",
    )
    if not found.callback_modes:
        note = found.notes[0] if found.notes else _("LCM lists no number a callback may use.")
        return _invalid(form, note)
    if not form.is_valid():
        return _invalid(form)
    window, problems = callback_rules.read_window(
        form.start_local(), form.end_local(), form.zone_name
    )
    if window is not None:
        mode_id = form.cleaned_data["mode_id"]
        number = _e164(_callback_number(found, mode_id), form.zone_name)
        if not number:
            # The do-not-call check needs the number: never book one it could not see.
            problems = [
                callback_rules.Refusal(
                    "mode_id",
                    _(
                        "LCM gives no readable number for this mode, so it cannot be checked "
                        "against the do-not-call list: choose another number."
                    ),
                )
            ]
        else:
            problems = await db_async(callback_rules.check)(
                window,
                campaign=contact.campaign_id,
                number_e164=number,
                expires_at=contact.expiry.moment,
            )
        own = found.mode(form.cleaned_data["mode_id"])
        if own is not None and not problems:
            label = f"{own.description} {own.number}".strip()
            problems = callback_rules.mode_hours(window, own.dialing_start, own.dialing_end, label)
    if problems:
        for problem in problems:
            form.add_error(problem.field, problem.message)
        message = _("This callback cannot be booked: %(why)s") % {"why": problems[0].message}
        return _invalid(form, message)
    assert window is not None
    async with agent_turn(context_for(profile, context)) as turn:
        if turn is None:
            return Done(result=await busy(profile), form=form)
        if stale := await _changed(turn, shown):
            return stale
        return await _send_callback(turn, contact, form, window, found)


def _callback_number(found: details.ContactDetails, mode_id: int) -> str:
    """The number a callback on `mode_id` goes to: as GetCallBackModes gives it, else as
    GetContactModes gives the same mode (LCM may leave `Cvalue` out of the one or the other)."""
    for mode in (found.callback_mode(mode_id), found.mode(mode_id)):
        if mode is not None and mode.number:
            return mode.number
    return ""


def _e164(number: str, zone: str) -> str:
    region = phones.region_for_time_zone(zone) if zone else None
    phone = phones.try_parse(number, region)
    return phone.e164 if phone else ""


def _claim(
    profile: AgentProfile, fields: dict[str, Any], token: str
) -> tuple[Callback, bool, bool]:
    """The booking's row, made now or found from an earlier try of the same form (the request
    token); then True when it was already booked, and True when an earlier try may have
    booked it (its answer was lost, or its worker stopped while sending)."""
    try:
        row, created = Callback.objects.get_or_create(
            booked_by=profile, request_token=token, defaults=fields
        )
    except IntegrityError:
        row, created = Callback.objects.get(booked_by=profile, request_token=token), False
    if created:
        return row, False, False
    if row.status == Callback.BOOKED:
        return row, True, False
    earlier_unknown = row.status in (Callback.UNKNOWN, Callback.SENDING)
    Callback.objects.filter(pk=row.pk).update(**fields, status=Callback.SENDING)
    row.refresh_from_db()
    return row, False, earlier_unknown


def _set_status(row: Callback, status: str) -> None:
    Callback.objects.filter(pk=row.pk).update(status=status)


def _booked(row: Callback) -> None:
    """LCM keeps one callback per contact (a booking reschedules the contact): an earlier
    booking of the same contact is replaced, in agentdesk's record too."""
    with transaction.atomic():
        Callback.objects.filter(pk=row.pk).update(status=Callback.BOOKED)
        Callback.objects.filter(
            lcm_key=row.lcm_key, status__in=(Callback.BOOKED, Callback.UNKNOWN)
        ).exclude(pk=row.pk).update(status=Callback.REPLACED)


def _forget_unsent(row: Callback) -> None:
    """Nothing reached LCM: the row goes, so agentdesk's record holds only what LCM may have."""
    Callback.objects.filter(pk=row.pk, status=Callback.SENDING).delete()


def callback_text(row: Callback) -> str:
    """ "Personal callback Tue 08 Dec 10:00-12:00 America/New_York" for the log (which is
    written in English, like every log result) and the already-booked banner."""
    kind = "Personal" if row.kind == Callback.PERSONAL else "Regular"
    start, end = row.local_start, row.local_end
    return f"{kind} callback {start:%a %d %b %H:%M}-{end:%H:%M} {row.time_zone}"


async def _send_callback(
    turn: Turn,
    contact: ContactOnScreen,
    form: CallbackForm,
    window: callback_rules.Window,
    found: details.ContactDetails,
) -> Done:
    profile = turn.profile
    cleaned = form.cleaned_data
    call_id = turn.session.call_id
    fields = {
        "agent": profile,
        "team_id": profile.team_id,
        "kind": cleaned["kind"],
        "lcm_key": contact.account_number,
        "call_id": call_id,
        "campaign": contact.campaign_id,
        "mode_id": cleaned["mode_id"],
        "phone_last4": _callback_number(found, cleaned["mode_id"])[-4:],
        "time_zone": form.zone_name,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "comment": cleaned["comment"],
        "lead_score": cleaned.get("lead_score"),
        "target_amount": cleaned.get("target_amount"),
    }
    row, already, earlier_unknown = await db_async(_claim)(
        profile, fields, cleaned["request_token"]
    )
    if already:
        message = _("This callback is already booked (%(what)s); it was not sent again.") % {
            "what": callback_text(row)
        }
        result = Outcome(ok=True, message=message, level="info", session=await turn.give_back())
        return Done(result=result)
    request_type = (
        w.SetPersonalCallbackWithComments
        if row.kind == Callback.PERSONAL
        else w.SetCallbackWithComments
    )
    request = request_type(
        call_id=call_id,
        account_number=contact.account_number,
        start=window.start_local,
        end=window.end_local,
        mode_id=row.mode_id,
        user_id=profile.lcm_agent_id,
        comments=row.comment,
        lead_score=row.lead_score,
        target_amount=row.target_amount,
    )
    entry = _entry(
        contact,
        call_id,
        comment=row.comment,
        result=callback_text(row),
        request_token="",
    )
    entry["phone_last4"] = row.phone_last4
    # If this worker dies after LCM booked it, the record says so (desk/pending.py); the
    # agent's retry of the same form then finds the row and sends the same booking again.
    await turn.mark_pending(
        ActionLog.CALLBACK, entry, lcm_key=contact.account_number, request_token=row.request_token
    )
    try:
        exchange = await get_client().call(request)
    except LcmRejected as error:
        if earlier_unknown:
            # This try was refused, but an earlier one may have booked it (LCM refusing now
            # because of it: the contact came due and another agent has it, say).
            await db_async(_set_status)(row, Callback.UNKNOWN)
            message = _(
                "LCM refused this try: “%(text)s”. An earlier try may have booked this "
                "callback already (its answer was lost): check with your team lead before "
                "booking it again."
            ) % {"text": error.lcm_text}
            return Done(
                result=await turn.failed(ActionLog.CALLBACK, error, entry, message), form=form
            )
        await db_async(_set_status)(row, Callback.REFUSED)
        failed = await turn.failed(ActionLog.CALLBACK, error, entry)
        return Done(result=failed, form=form)
    except LcmError as error:
        if error.outcome_unknown:
            await db_async(_set_status)(row, Callback.UNKNOWN)
            message = _(
                "LCM may have booked this callback: %(cause)s. Your entries are kept: press "
                "Book callback again to make sure. It is sent for the same call, and agentdesk "
                "keeps it once."
            ) % {"cause": error.cause()}
            logged = {**failure_fields(error), **entry, "error": message}
            logged["result"] = "outcome unknown"
            unknown = Outcome(ok=False, message=message, level="warning")
            done = await turn.finish(ActionLog.CALLBACK, logged, unknown, last_error=message)
            return Done(result=done, form=form)
        await db_async(_forget_unsent)(row)
        return Done(result=await turn.failed(ActionLog.CALLBACK, error, entry), form=form)
    await db_async(_booked)(row)
    entry.update(exchange_fields(exchange))
    zone = window.zone
    message = _("%(what)s booked: from %(start)s until %(end)s.") % {
        "what": _("Personal callback") if row.kind == Callback.PERSONAL else _("Callback"),
        "start": callback_rules.both_times(window.starts_at, zone),
        "end": callback_rules.both_times(window.ends_at, zone),
    }
    message += " " + _("Close the contact with an outcome when you are done.")
    result = Outcome(ok=True, message=message, level="success")
    return Done(result=await turn.finish(ActionLog.CALLBACK, entry, result, last_error=""))


# ------------------------------------------------------------------------ the contact's numbers


@dataclass(frozen=True)
class NumberVerdict:
    """One of the contact's numbers, judged by the compliance rules on its own."""

    mode: w.ContactMode
    contact: ContactOnScreen
    verdict: rules.Verdict
    on_screen: bool

    @property
    def dialable(self) -> bool:
        return bool(self.mode.number) and not self.verdict.blocked


def as_contact(contact: ContactOnScreen, mode: w.ContactMode) -> ContactOnScreen:
    """The contact on screen as if LCM had handed it out on `mode`."""
    return replace(
        contact,
        phone_number=mode.number,
        mode=mode.description,
        time_zone=mode.time_zone or contact.time_zone,
    )


def judge_numbers(
    contact: ContactOnScreen, modes: tuple[w.ContactMode, ...]
) -> list[NumberVerdict]:
    """Every number of the contact with its own verdict (runs a few queries per number)."""
    judged = []
    for mode in modes:
        other = as_contact(contact, mode)
        judged.append(
            NumberVerdict(
                mode=mode,
                contact=other,
                verdict=rules.evaluate(other),
                on_screen=_digits(mode.number) == _digits(contact.phone_number),
            )
        )
    return judged


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())[-10:]


async def dial_other(
    profile: AgentProfile, data: Any, *, context: ActionContext | None = None
) -> Done:
    """Put another of the contact's numbers on screen as a new dial attempt (a new call id),
    if the compliance rules allow that number now."""
    attempt = await _read_attempt(profile, data)
    if isinstance(attempt, Done):
        return attempt
    session, contact, shown = attempt
    try:
        mode_id = int(str(data.get("mode_id", "")))
    except ValueError:
        message = _("Number: choose one of the contact's numbers.")
        return Done(result=Outcome(ok=False, message=message, level="error"))
    found = await details.load(session.call_id, contact.account_number)
    mode = found.mode(mode_id)
    if mode is None:
        message = _("Number: mode %(id)s is not one of this contact's numbers.") % {"id": mode_id}
        return Done(result=Outcome(ok=False, message=message, level="error"))
    if not mode.number:
        message = _("Number: LCM gives no number for %(mode)s (mode %(id)s).") % {
            "mode": mode.description,
            "id": mode_id,
        }
        return Done(result=Outcome(ok=False, message=message, level="error"))
    other = as_contact(contact, mode)
    verdict = await db_async(rules.evaluate)(other)
    async with agent_turn(context_for(profile, context)) as turn:
        if turn is None:
            return Done(result=await busy(profile))
        if stale := await _changed(turn, shown):
            return stale
        if verdict.blocked:
            message = _("%(number)s may not be dialled: %(why)s") % {
                "number": mode.number,
                "why": " ".join(verdict.reasons),
            }
            return Done(result=await turn.refuse(message, "error"))
        call_id = new_call_id()
        entry = _entry(
            other,
            call_id,
            result=f"Dialling {mode.description} ···{mode.number[-4:]} "
            f"(mode {mode.mode_id}) instead of ···{contact.phone_number[-4:]}",
        )
        message = _("%(mode)s %(number)s is on your screen as a new attempt: dial it.") % {
            "mode": mode.description,
            "number": mode.number,
        }
        if verdict.needs_confirmation:
            message = _(
                "%(mode)s %(number)s is on your screen: it is outside calling hours there, "
                "confirm before dialing."
            ) % {"mode": mode.description, "number": mode.number}
        result = Outcome(ok=True, message=message, level="success")
        done = await turn.finish(
            ActionLog.DIAL_OTHER, entry, result, contact=other.to_stored(), call_id=call_id
        )
        return Done(result=done)


# ------------------------------------------------------------------------ corrections


async def correct_fields(
    profile: AgentProfile, data: Any, *, context: ActionContext | None = None
) -> Done:
    """Save the agent's corrections of the contact's editable business fields in LCM."""
    attempt = await _read_attempt(profile, data)
    if isinstance(attempt, Done):
        return attempt
    session, contact, shown = attempt
    found = await details.load(session.call_id, contact.account_number)
    form = FieldsForm(data, fields=found.fields if found.source == "detail" else ())
    if not form.business_fields:
        note = (
            found.notes[0]
            if found.notes
            else _("LCM marks none of this contact's fields editable.")
        )
        return _invalid(form, note)
    if not form.is_valid():
        return _invalid(form)
    changed = form.changed_fields()
    if not changed:
        return Done(
            result=Outcome(
                ok=False,
                message=_(
                    "LCM already holds these values (nothing was changed, or an earlier "
                    "save went through): nothing to save."
                ),
                level="info",
            ),
            form=form,
        )
    names = ", ".join(f.name for f in changed)
    async with agent_turn(context_for(profile, context)) as turn:
        if turn is None:
            return Done(result=await busy(profile), form=form)
        if stale := await _changed(turn, shown):
            return stale
        call_id = turn.session.call_id
        request = w.SetContactBusinessFields(
            call_id=call_id,
            account_number=contact.account_number,
            agent_id=profile.lcm_agent_id,
            fields=changed,
        )
        entry = _entry(contact, call_id, result=f"Corrected: {names}")
        done = await _write(turn, ActionLog.CORRECT, request, entry, form, call_id)
        if done.result.ok:
            saved = _("Saved in LCM: %(fields)s.") % {"fields": names}
            done.result = replace(done.result, message=saved)
        return done


async def set_number(
    profile: AgentProfile, data: Any, *, context: ActionContext | None = None
) -> Done:
    """Add or change the number of one of the contact's modes in LCM."""
    attempt = await _read_attempt(profile, data)
    if isinstance(attempt, Done):
        return attempt
    session, contact, shown = attempt
    found = await details.load(session.call_id, contact.account_number)
    form = NumberForm(data, modes=found.modes)
    if not found.modes:
        note = found.notes[0] if found.notes else _("LCM lists no mode for this contact.")
        return _invalid(form, note)
    if not await db_async(form.is_valid)():  # reads the do-not-call list
        return _invalid(form)
    cleaned = form.cleaned_data
    async with agent_turn(context_for(profile, context)) as turn:
        if turn is None:
            return Done(result=await busy(profile), form=form)
        if stale := await _changed(turn, shown):
            return stale
        call_id = turn.session.call_id
        number = cleaned["number"]
        request = w.SetNewModeNumber(
            call_id=call_id,
            account_number=contact.account_number,
            mode_id=cleaned["mode_id"],
            number=number,
            delete_other_modes=bool(cleaned.get("delete_other_modes")),
            agent_id=profile.lcm_agent_id,
        )
        mode = found.mode(cleaned["mode_id"])
        what = f"{mode.description if mode else cleaned['mode_id']} ···{number[-4:]}"
        if cleaned.get("delete_other_modes"):
            what += " (other numbers removed)"
        entry = _entry(contact, call_id, result=f"Number set: {what}")
        entry["phone_last4"] = number[-4:]
        done = await _write(turn, ActionLog.NEW_NUMBER, request, entry, form, call_id)
        if done.result.ok:
            saved = _(
                "Saved in LCM: %(mode)s is now %(number)s. Dial it from the contact's numbers."
            ) % {"mode": mode.description if mode else cleaned["mode_id"], "number": number}
            done.result = replace(done.result, message=saved)
        return done


async def _write(
    turn: Turn,
    kind: str,
    request: Any,
    entry: dict[str, Any],
    form: forms.Form,
    call_id: str,
) -> Done:
    """Send a correction. Sending the same values again changes nothing, so after a lost
    answer the agent is told it may have been saved and may simply press Save again."""
    await turn.mark_pending(kind, entry, lcm_key=entry.get("lcm_key", ""))
    try:
        exchange = await get_client().call(request)
    except LcmError as error:
        details.forget(call_id)
        if error.outcome_unknown:
            message = _(
                "LCM may have saved this: %(cause)s. Your entries are kept: press Save again "
                "to make sure (the same values saved twice change nothing)."
            ) % {"cause": error.cause()}
            logged = {**failure_fields(error), **entry, "error": message}
            logged["result"] = "outcome unknown"
            unknown = Outcome(ok=False, message=message, level="warning")
            return Done(
                result=await turn.finish(kind, logged, unknown, last_error=message), form=form
            )
        return Done(result=await turn.failed(kind, error, entry), form=form)
    details.forget(call_id)
    entry.update(exchange_fields(exchange))
    result = Outcome(ok=True, level="success")
    return Done(result=await turn.finish(kind, entry, result, last_error=""))


def target_amount_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def now_in(zone: str) -> str:
    """The time now in `zone`, for the form's "their time / your time" line."""
    from zoneinfo import ZoneInfo

    return f"{timezone.now().astimezone(ZoneInfo(zone)):%H:%M}"
