"""The compliance actions on the contact on screen: hand it back when it may not be dialled
now, confirm a dial outside calling hours, and the preview limit running out.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.compliance import rules
from agentdesk.shared.asyncdb import db_async

from .. import state
from ..contact import ContactOnScreen, contact_of
from ..models import ActionLog, AgentProfile, AgentSession
from ..onscreen import Shown
from ..presenters import dialling
from .closing import Close, Refusal, close_contact
from .context import ActionContext, Outcome, context_for
from .turn import (
    agent_turn,
    busy,
    contact_fields,
)


async def hand_back(
    profile: AgentProfile, *, shown: Shown | None = None, context: ActionContext | None = None
) -> Outcome:
    """Hand back the contact on screen that may not be dialled now, with the campaign policy's
    outcome (the do-not-call outcome for a listed number)."""

    async def decide(session: AgentSession, contact: ContactOnScreen) -> Close | Refusal:
        verdict = await db_async(rules.evaluate)(contact)
        if not (verdict.blocked or verdict.needs_confirmation or verdict.outside_window):
            return Refusal(
                _("Nothing stops you dialing this contact; skip it with an outcome instead.")
            )
        why = "outside calling hours"
        if verdict.dnc:
            why = "do-not-call"
        elif verdict.consent_missing:
            why = "no consent evidence"
        elif verdict.unreadable:
            why = "unreadable number"
        return Close(
            verdict.hand_back_outcome,
            f"Handed back ({why}) with {{outcome}}",
            _("Handed back with outcome {outcome}."),
        )

    ctx = context_for(profile, context)
    return await close_contact(ctx, ActionLog.HAND_BACK, decide, shown=shown)


async def confirm_dial(
    profile: AgentProfile, *, shown: Shown | None = None, context: ActionContext | None = None
) -> Outcome:
    """Confirm dialing the contact on screen outside its calling hours: logged with who, when,
    the contact and their local time; the answer carries the number to dial."""
    ctx = context_for(profile, context)
    async with agent_turn(ctx) as turn:
        if turn is None:
            return await busy(profile)
        if refused := await turn.refuse_unless_shown(shown):
            return refused
        contact = turn.contact_on_screen()
        if contact is None:
            return await turn.refuse(_("There is no contact on your screen to dial."))
        verdict = await db_async(rules.evaluate)(contact)
        dial = dialling(contact)
        href = dial.tel_href
        if verdict.blocked:
            message = _("This contact may not be dialled: %(why)s") % {
                "why": " ".join(verdict.reasons)
            }
            return await turn.refuse(message, "error")
        if not href:
            # Nothing to confirm: the number reaches no one, and a logged confirmation would
            # record a call that never happened.
            message = _(
                "This number cannot be dialled as given, so there is nothing to confirm: hand "
                "the contact back or skip it with an outcome."
            )
            return await turn.refuse(message, "error")
        if not verdict.needs_confirmation:
            session = await turn.give_back()
            message = _("No confirmation needed: dial.")
            return Outcome(ok=True, message=message, session=session, dial_href=href)
        if await db_async(state.dial_confirmed_at)(turn.session) is not None:
            session = await turn.give_back()
            message = _("Already confirmed: dial.")
            return Outcome(ok=True, message=message, session=session, dial_href=href)
        groups = await ctx.groups()
        entry = {
            **contact_fields(contact),
            "campaign_group": groups.group_of(contact.campaign_id) or turn.session.campaign_group,
            "result": f"Dial outside calling hours ({verdict.window_text}) confirmed; "
            f"their time {verdict.local_time_text}",
        }
        message = _("Confirmed and logged. Dialing %(number)s.") % {"number": dial.text}
        result = Outcome(ok=True, message=message, level="success", dial_href=href)
        return await turn.finish(ActionLog.CONFIRM_DIAL, entry, result)


# The agent's page asks when its countdown ends; the server's clock has the last word, with
# this much tolerance for the page's timer and the request's travel.
PREVIEW_TOLERANCE_SECONDS = 3


def _preview_state(profile: AgentProfile) -> tuple[AgentSession, Any]:
    session = state.session_for(profile)
    return session, rules.preview_limit_for(session.campaign_group)


async def preview_expired(
    profile: AgentProfile, *, shown: Shown | None = None, context: ActionContext | None = None
) -> Outcome:
    """The preview limit of the contact on screen ran out: hand it back, or flag the agent."""
    session, limit = await db_async(_preview_state)(profile)
    if limit is None or session.state != AgentSession.PREVIEWING:
        message = _("No preview limit applies to your screen.")
        return Outcome(ok=False, message=message, session=session)
    elapsed = (timezone.now() - session.state_since).total_seconds()
    if elapsed + PREVIEW_TOLERANCE_SECONDS < limit.seconds:
        left = int(limit.seconds - elapsed)
        message = _("The preview time has not run out yet (%(left)d s left).") % {"left": left}
        return Outcome(ok=False, message=message, session=session)
    if limit.on_expiry == limit.HAND_BACK:
        expected = contact_of(session)
        expected_key = expected.account_number if expected is not None else None

        async def decide(current: AgentSession, contact: ContactOnScreen) -> Close | Refusal:
            if contact.account_number != expected_key:
                return Refusal(_("The contact on your screen changed; nothing handed back."))
            return Close(
                limit.hand_back_outcome,
                f"Preview time ({limit.seconds} s) ran out: handed back with {{outcome}}",
                _("The preview time ran out: handed back with outcome {outcome}."),
            )

        ctx = context_for(profile, context)
        return await close_contact(ctx, ActionLog.HAND_BACK, decide, shown=shown)
    return await _flag_preview_over(context_for(profile, context), limit.seconds, shown)


async def _flag_preview_over(ctx: ActionContext, seconds: int, shown: Shown | None) -> Outcome:
    profile = ctx.profile
    async with agent_turn(ctx) as turn:
        if turn is None:
            return await busy(profile)
        if refused := await turn.refuse_unless_shown(shown):
            return refused
        contact = turn.contact_on_screen()
        if contact is None:
            return await turn.refuse(_("There is no contact on your screen."), "info")
        if await db_async(state.preview_over_logged)(turn.session):
            return Outcome(ok=True, session=await turn.give_back())
        entry = {
            **contact_fields(contact),
            "campaign_group": turn.session.campaign_group,
            "result": f"Preview limit of {seconds} s ran out; team lead alerted",
        }
        message = _("The preview time ran out: your team lead has been alerted. Dial or skip now.")
        result = Outcome(ok=True, message=message, level="warning")
        return await turn.finish(ActionLog.PREVIEW_OVER, entry, result)
