"""A team lead's actions on an agent's screen: release the contact with an outcome (through
LCM), or clear the screen without LCM.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .. import onscreen
from ..contact import ContactOnScreen
from ..models import ActionLog, AgentProfile, AgentSession
from ..onscreen import Shown
from .closing import Close, close_contact
from .context import ActionContext, Outcome, context_for
from .turn import (
    agent_turn,
    busy,
    contact_fields,
    settled_changes,
)


async def release_contact(
    lead_name: str,
    profile: AgentProfile,
    *,
    outcome_id: object,
    shown: Shown | None = None,
    context: ActionContext | None = None,
) -> Outcome:
    """A team lead closes the contact an agent holds (the agent went home with it on screen),
    under the agent's LCM ID, with an outcome; logged with the lead's name."""
    ctx = context_for(profile, context)
    menu = await ctx.menu()
    if menu.error:
        return Outcome(ok=False, message=menu.error, level="error")
    if menu.find(outcome_id) is None:
        # The lead's own choice, not a policy's: say so in the lead's terms.
        message = _("Choose an outcome from the list to release with; %(value)s is not one.") % {
            "value": repr(str(outcome_id or "")[:40])
        }
        return Outcome(ok=False, message=message, level="error")

    async def chosen(session: AgentSession, contact: ContactOnScreen) -> Close:
        return Close(
            outcome_id,
            f"Released by {lead_name} with {{outcome}}",
            _("Released %(agent)s's contact with outcome {outcome}.")
            % {"agent": profile.display_name},
            _("Your team lead %(lead)s released your contact with outcome {outcome}.")
            % {"lead": lead_name},
        )

    changed = str(onscreen.CHANGED_FOR_LEAD) % {"agent": profile.display_name}
    return await close_contact(
        ctx,
        ActionLog.RELEASE,
        chosen,
        actor=lead_name,
        shown=shown,
        changed_message=changed,
    )


async def clear_screen(
    lead_name: str,
    profile: AgentProfile,
    *,
    shown: Shown | None = None,
    context: ActionContext | None = None,
) -> Outcome:
    """A team lead takes the contact off an agent's screen without asking LCM (LCM refuses
    to close it, or cannot be reached, and the agent must go on): LCM's record stays as it
    is, and the log says so with the lead's name."""
    changed = str(onscreen.CHANGED_FOR_LEAD) % {"agent": profile.display_name}
    ctx = context_for(profile, context)
    async with agent_turn(ctx) as turn:
        if turn is None:
            return await busy(profile)
        if refused := await turn.refuse_unless_shown(shown, changed):
            return refused
        contact = turn.contact_on_screen()
        if contact is None:
            return await turn.refuse(_("There is no contact on this agent's screen."))
        groups = await ctx.groups()
        entry = {
            **contact_fields(contact),
            "campaign_group": groups.group_of(contact.campaign_id) or turn.session.campaign_group,
            "actor": lead_name,
            "ok": False,
            "error_kind": "cleared",
            "error": f"Taken off the screen by {lead_name} without LCM; LCM's record unchanged",
            "result": "Taken off the screen without LCM",
        }
        message = _(
            "%(agent)s's contact is off their screen. LCM was not asked: its record of the "
            "contact is unchanged."
        ) % {"agent": profile.display_name}
        notice = _("Your team lead %(lead)s took the contact off your screen.") % {
            "lead": lead_name
        }
        result = Outcome(ok=True, message=message, level="success")
        idle = {"state": AgentSession.IDLE, "contact": None}
        settled = {**settled_changes(turn.session, "skip"), "notice": notice[:300]}
        return await turn.finish(ActionLog.RELEASE, entry, result, **idle, **settled)
