"""An action's input, read one way whether it came as a form POST (the views) or as a socket
message (the consumer): both hand the named action and its fields to `run`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from . import actions
from .models import AgentProfile


def choices(data: Mapping[str, Any]) -> dict[str, str]:
    """The campaign group and consent filter Next and the campaign choice work with."""
    return {
        "campaign_group": str(data.get("campaign_group", "")),
        "consent": str(data.get("consent", "Both")),
    }


async def run(profile: AgentProfile, action: str, data: Mapping[str, Any]) -> actions.Result:
    """Run `action` ("next", "reserved", "skip", "add", "select", or the compliance actions
    "hand_back", "confirm_dial" and "preview_expired") for `profile`."""
    match action:
        case "next":
            return await actions.next_contact(profile, **choices(data))
        case "reserved":
            return await actions.reserved_contact(profile)
        case "skip":
            return await actions.skip_contact(
                profile, outcome_id=data.get("outcome"), comment=data.get("comment", "")
            )
        case "add":
            return await actions.add_contact(profile, data)
        case "select":
            return await actions.select(profile, **choices(data))
        case "hand_back":
            return await actions.hand_back(profile)
        case "confirm_dial":
            return await actions.confirm_dial(profile)
        case "preview_expired":
            return await actions.preview_expired(profile)
    message = _("Unknown action %(action)r.") % {"action": action}
    return actions.Result(ok=False, message=message, level="error")
