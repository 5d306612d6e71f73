"""An action's input, read one way whether it came as a form POST (the views) or as a socket
message (the consumer): both hand the named action and its fields to `run`. Forms are read
here: the actions get checked values, and the answer shows the form again (desk/answer.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from agentdesk.shared.asyncdb import db_async

from . import actions, state, timeliness
from .actions import ActionContext, AddForm, NewContact, Outcome
from .forms import AddContactForm
from .onscreen import Shown, read_shown


def choices(data: Mapping[str, Any]) -> dict[str, str]:
    """The campaign group and consent filter Next and the campaign choice work with."""
    return {
        "campaign_group": str(data.get("campaign_group", "")),
        "consent": str(data.get("consent", "Both")),
    }


# Actions about the contact on screen: each names the contact it was pressed for.
CONTACT_ACTIONS = frozenset({"skip", "hand_back", "confirm_dial", "preview_expired"})


@dataclass(frozen=True)
class Handled:
    """An action's outcome, and the Add form as read here (for the answer to show again)."""

    outcome: Outcome
    add_form: AddContactForm | None = None


async def shown_or_refusal(
    context: ActionContext, data: Mapping[str, Any]
) -> tuple[Shown | None, Outcome | None]:
    """The contact an action about the contact on screen was pressed for, or a refusal naming
    the missing or bad field (with the fresh state, so a stale page gets the fields)."""
    shown, problem = read_shown(data)
    if shown is not None:
        return shown, None
    session = await db_async(state.session_for)(context.profile)
    return None, Outcome(ok=False, message=problem, level="error", session=session)


async def run(
    context: ActionContext, action: str, data: Mapping[str, Any], *, connection_id: str = ""
) -> Handled:
    """Run `action` ("next", "reserved", "skip", "add", "select", or the compliance actions
    "hand_back", "confirm_dial" and "preview_expired") for the context's agent; not when it
    arrived after the page stopped waiting for it or on another connection
    (desk/timeliness.py)."""
    profile = context.profile
    if late := timeliness.refusal(data, connection_id):
        session = await db_async(state.session_for)(profile)
        return Handled(Outcome(ok=False, message=late, level="warning", session=session))
    shown: Shown | None = None
    if action in CONTACT_ACTIONS:
        shown, refused = await shown_or_refusal(context, data)
        if refused is not None:
            return Handled(refused)
    match action:
        case "next":
            outcome = await actions.next_contact(profile, **choices(data), context=context)
        case "reserved":
            outcome = await actions.reserved_contact(profile, context=context)
        case "skip":
            outcome = await actions.skip_contact(
                profile,
                outcome_id=data.get("outcome"),
                shown=shown,
                comment=data.get("comment", ""),
                context=context,
            )
        case "add":
            return await add(context, data)
        case "select":
            outcome = await actions.select(profile, **choices(data), context=context)
        case "hand_back":
            outcome = await actions.hand_back(profile, shown=shown, context=context)
        case "confirm_dial":
            outcome = await actions.confirm_dial(profile, shown=shown, context=context)
        case "preview_expired":
            outcome = await actions.preview_expired(profile, shown=shown, context=context)
        case _:
            message = _("Unknown action %(action)r.") % {"action": action}
            outcome = Outcome(ok=False, message=message, level="error")
    return Handled(outcome)


async def add(context: ActionContext, data: Any) -> Handled:
    """Add Contact: the form checked here (the do-not-call list and the consent rules
    included), the contact added from its values."""
    groups = await context.groups()
    form = AddContactForm(data, campaigns=groups.campaigns, campaigns_error=groups.campaigns_error)
    if not await db_async(form.is_valid)():
        message = _("Check the highlighted fields.")
        failed = Outcome(ok=False, message=message, level="error", add_form=AddForm.AS_TYPED)
        return Handled(failed, form)
    cleaned = form.cleaned_data
    new = NewContact(
        request=form.to_request(context.profile.lcm_agent_id),
        number=form.first_number(),
        request_token=cleaned.get("request_token") or "",
        add_anyway=bool(cleaned.get("add_anyway")),
        consent_evidence=cleaned.get("consent_evidence"),
        content={
            name: str(value)
            for name, value in cleaned.items()
            if name not in ("request_token", "add_anyway")
        },
    )
    return Handled(await actions.add_contact(context.profile, new, context=context), form)
