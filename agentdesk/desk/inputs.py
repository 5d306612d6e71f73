"""An action's input, read one way whether it came as a form POST (the views) or as a socket
message (the consumer): both hand the named action and its fields to `run`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from agentdesk.shared.asyncdb import db_async

from . import actions, state, timeliness
from .models import AgentProfile
from .onscreen import Shown, read_shown


def choices(data: Mapping[str, Any]) -> dict[str, str]:
    """The campaign group and consent filter Next and the campaign choice work with."""
    return {
        "campaign_group": str(data.get("campaign_group", "")),
        "consent": str(data.get("consent", "Both")),
    }


# Actions about the contact on screen: each names the contact it was pressed for.
CONTACT_ACTIONS = frozenset({"skip", "hand_back", "confirm_dial", "preview_expired"})


async def shown_or_refusal(
    profile: AgentProfile, data: Mapping[str, Any]
) -> tuple[Shown | None, actions.Result | None]:
    """The contact an action about the contact on screen was pressed for, or a refusal naming
    the missing or bad field (with the fresh state, so a stale page gets the fields)."""
    shown, problem = read_shown(data)
    if shown is not None:
        return shown, None
    session = await db_async(state.session_for)(profile)
    return None, actions.Result(ok=False, message=problem, level="error", session=session)


async def run(
    profile: AgentProfile, action: str, data: Mapping[str, Any], *, connection_id: str = ""
) -> actions.Result:
    """Run `action` ("next", "reserved", "skip", "add", "select", or the compliance actions
    "hand_back", "confirm_dial" and "preview_expired") for `profile`; not when it arrived
    after the page stopped waiting for it or on another connection (desk/timeliness.py)."""
    if late := timeliness.refusal(data, connection_id):
        session = await db_async(state.session_for)(profile)
        return actions.Result(ok=False, message=late, level="warning", session=session)
    shown: Shown | None = None
    if action in CONTACT_ACTIONS:
        shown, refused = await shown_or_refusal(profile, data)
        if refused is not None:
            return refused
    match action:
        case "next":
            return await actions.next_contact(profile, **choices(data))
        case "reserved":
            return await actions.reserved_contact(profile)
        case "skip":
            return await actions.skip_contact(
                profile,
                outcome_id=data.get("outcome"),
                shown=shown,
                comment=data.get("comment", ""),
            )
        case "add":
            return await actions.add_contact(profile, data)
        case "select":
            return await actions.select(profile, **choices(data))
        case "hand_back":
            return await actions.hand_back(profile, shown=shown)
        case "confirm_dial":
            return await actions.confirm_dial(profile, shown=shown)
        case "preview_expired":
            return await actions.preview_expired(profile, shown=shown)
    message = _("Unknown action %(action)r.") % {"action": action}
    return actions.Result(ok=False, message=message, level="error")
