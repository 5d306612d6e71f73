"""Skip: the agent closes the contact on screen with an outcome and a comment."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..contact import ContactOnScreen
from ..models import ActionLog, AgentProfile, AgentSession
from ..onscreen import Shown
from .closing import Close, close_contact
from .context import ActionContext, Outcome, context_for

COMMENT_MAX = 1000


def has_control_character(text: str) -> bool:
    """Whether typed text holds a control character other than a line break or a tab."""
    return any((ord(ch) < 32 and ch not in "\n\r\t") or ord(ch) == 127 for ch in text)


async def skip_contact(
    profile: AgentProfile,
    *,
    outcome_id: object,
    shown: Shown | None = None,
    comment: object = "",
    context: ActionContext | None = None,
) -> Outcome:
    """Skip: close the contact on screen with an outcome (and the agent's comment: LCM's close
    message carries none, so it is kept in agentdesk's log, export and webhook) and go back to
    idle."""
    note = str(comment or "").strip()
    if len(note) > COMMENT_MAX:
        message = _("Comment: at most %(max)d characters (it has %(count)d).") % {
            "max": COMMENT_MAX,
            "count": len(note),
        }
        return Outcome(ok=False, message=message, level="error")
    if has_control_character(note):
        # A NUL byte cannot be stored in PostgreSQL (the log row would fail after LCM closed
        # the contact); the others would reach the export and the webhooks.
        message = _("Comment: contains a control character; remove it.")
        return Outcome(ok=False, message=message, level="error")
    ctx = context_for(profile, context)
    menu = await ctx.menu()
    if menu.error:
        return Outcome(ok=False, message=menu.error, level="error")
    outcome = menu.find(outcome_id)
    if outcome is None:
        message = _("Pick an outcome from the list before skipping.")
        return Outcome(ok=False, message=message, level="error")
    skipped = _("Skipped with outcome %(id)s %(name)s.") % {"id": outcome.id, "name": outcome.name}
    logged = _("Skipped with %(outcome)s") % {"outcome": outcome.name}

    async def chosen(session: AgentSession, contact: ContactOnScreen) -> Close:
        return Close(outcome.id, result_text=logged, message=skipped)

    return await close_contact(ctx, ActionLog.SKIP, chosen, shown=shown, comment=note)
