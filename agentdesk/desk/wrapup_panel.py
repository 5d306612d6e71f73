"""The wrap-up panel beside the contact card: who is being called, their earlier attempts,
their numbers, the callback form and the corrections.

It is its own fragment, not one of the live fragments: a push (every action of the agent in
any tab) re-renders the card but leaves what the agent is typing here alone. The page reloads
the panel when another dial attempt reaches the screen (static/agentdesk/wrapup.js).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from agentdesk.shared.asyncdb import db_async

from . import details, state, wrapup
from .actions import new_call_id
from .contact import ContactOnScreen, contact_of
from .models import AgentProfile, AgentSession, Callback
from .wrapup_forms import COMMENT_MAX, CallbackForm, FieldsForm, NumberForm, zone_of_label


def _with_call_id(session: AgentSession) -> AgentSession:
    """A contact put on screen before agentdesk made call ids (an upgrade during a shift) gets
    one now, once."""
    if session.call_id or session.state != AgentSession.PREVIEWING or not session.contact:
        return session
    AgentSession.objects.filter(pk=session.pk, call_id="").update(call_id=new_call_id())
    session.refresh_from_db(fields=["call_id"])
    return session


def _booked_now(profile: AgentProfile, call_id: str) -> list[Callback]:
    return list(
        Callback.objects.filter(booked_by=profile, call_id=call_id)
        .exclude(status__in=(Callback.SENDING, Callback.REFUSED))
        .order_by("-created_at")
    )


def _sync_parts(
    profile: AgentProfile,
    session: AgentSession,
    contact: ContactOnScreen,
    found: details.ContactDetails,
) -> dict[str, Any]:
    return {
        "attempts": details.earlier_attempts(contact.account_number, session.call_id),
        "numbers": wrapup.judge_numbers(contact, found.modes),
        "booked": _booked_now(profile, session.call_id),
    }


async def context(
    profile: AgentProfile,
    *,
    session: AgentSession | None = None,
    form: forms.Form | None = None,
    comment: str = "",
) -> dict[str, Any]:
    """Everything the panel shows for the agent's screen; `form` (a bound form after a failed
    step) takes the place of its fresh one."""
    if session is None:
        session = await db_async(state.session_for)(profile)
    session = await db_async(_with_call_id)(session)
    contact = contact_of(session)
    if session.state != AgentSession.PREVIEWING or contact is None or not session.call_id:
        return {"wrapup": None, "call_id": "", "lcm_key": ""}
    found = await details.load(session.call_id, contact.account_number)
    parts = await db_async(_sync_parts)(profile, session, contact, found)
    zones = {mode.mode_id: zone_of_label(mode.time_zone) for mode in found.modes}
    own = contact.lcm_time_zone
    default_zone = own.iana if own else ""
    callback_form = form if isinstance(form, CallbackForm) else None
    if callback_form is None:
        # The number on screen is the one offered first.
        on_screen = next(
            (c.mode_id for c in found.callback_modes if _same(c.number, contact.phone_number)),
            None,
        )
        callback_form = CallbackForm(
            initial={"mode_id": on_screen} if on_screen is not None else {},
            callback_modes=found.callback_modes,
            zones=zones,
            default_zone=default_zone,
        )
    fields_form = form if isinstance(form, FieldsForm) else None
    if fields_form is None and found.source == "detail":
        fields_form = FieldsForm(fields=found.fields)
    number_form = form if isinstance(form, NumberForm) else None
    if number_form is None:
        number_form = NumberForm(modes=found.modes)
    if isinstance(form, CallbackForm) and not comment:
        comment = str(form.data.get("comment", ""))
    chosen = callback_form["mode_id"].value()
    their_zone = callback_form.zone_for(int(chosen) if str(chosen or "").isdigit() else None)
    return {
        "wrapup": found,
        "contact": contact,
        "call_id": session.call_id,
        "lcm_key": contact.account_number,
        "session_version": session.version,
        "name": found.name,
        "callback_form": callback_form,
        "fields_form": fields_form,
        "number_form": number_form,
        "comment": comment[: COMMENT_MAX * 2],
        "comment_max": COMMENT_MAX,
        "their_zone": their_zone,
        "their_now": _now_in(their_zone),
        "your_zone": settings.TIME_ZONE,
        "your_now": timezone.localtime().strftime("%H:%M"),
        "zones_by_mode": json.dumps({str(k): v or default_zone for k, v in zones.items()}),
        "max_days": settings.CALLBACK_MAX_DAYS_AHEAD,
        **parts,
    }


def _same(number: str, other: str) -> bool:
    digits = "".join(ch for ch in number if ch.isdigit())
    return bool(digits) and digits[-10:] == "".join(ch for ch in other if ch.isdigit())[-10:]


def _now_in(zone: str) -> str:
    if not zone:
        return ""
    moment: datetime = timezone.now().astimezone(ZoneInfo(zone))
    return moment.strftime("%H:%M")


def render(ctx: dict[str, Any], *, oob: bool = False) -> str:
    """The panel, and the contact's name for the card's heading (the card itself is rendered
    without asking LCM: it shows the name once the panel has read it)."""
    panel = render_to_string("desk/_wrapup.html", {**ctx, "oob": oob})
    if not ctx.get("wrapup"):
        return panel
    name = render_to_string(
        "desk/_contact_name.html", {"contact_name": ctx.get("name", ""), "oob": True}
    )
    return panel + "\n" + name
