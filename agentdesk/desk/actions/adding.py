"""Add Contact: CreateContact from the agent's form, never twice for the same request (a
request token; an answer lost on the way is remembered until the agent has checked LCM).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.compliance import consent
from agentdesk.lcm import messages as m
from agentdesk.lcm.client import get_client
from agentdesk.lcm.errors import LcmError
from agentdesk.shared.asyncdb import db_async

from .. import pending, state
from ..models import ActionLog, AgentProfile, AgentSession
from .context import ActionContext, AddForm, Outcome, context_for
from .turn import (
    Turn,
    agent_turn,
    busy,
    exchange_fields,
    failure_fields,
)


@dataclass(frozen=True, kw_only=True)
class NewContact:
    """The Add form's entries as the input layer checked them (desk/inputs.py)."""

    request: m.CreateContact  # what LCM is sent
    number: str  # the first number, in E.164 (consent evidence is filed under it)
    request_token: str  # the page's token for this form; "" for a hand-made POST
    add_anyway: bool = False  # the agent checked LCM after an outcome LCM did not confirm
    consent_evidence: consent.Evidence | None = None
    # The entries as typed (token and "add anyway" aside): a POST without a token is known
    # by its content.
    content: Mapping[str, str] = field(default_factory=dict)

    @property
    def campaign(self) -> str:
        return self.request.campaign_id


async def add_contact(
    profile: AgentProfile, new: NewContact, *, context: ActionContext | None = None
) -> Outcome:
    """Add Contact: CreateContact from the checked entries; a failure keeps everything the
    agent typed."""
    ctx = context_for(profile, context)
    # A hand-made or retried POST without the page's token is known by its content.
    request_token = new.request_token or _content_token(new.content)
    if already := await db_async(state.used_request_token)(profile, request_token):
        message = _("This contact was already added (LCM key %(key)s).") % {"key": already.lcm_key}
        return Outcome(ok=True, message=message, add_form=AddForm.FRESH, lcm_key=already.lcm_key)
    async with agent_turn(ctx) as turn:
        if turn is None:
            return await busy(profile, add_form=AddForm.AS_TYPED)
        campaign, number = new.campaign, new.number
        earlier = _earlier_unknown_add(turn.session, request_token, campaign, number)
        if earlier and not new.add_anyway:
            message = _(
                "Your earlier try to add this contact may have reached LCM, so it was not sent "
                "again. Check the campaign in LCM; if the contact is not there, tick “Add "
                "anyway” and add it."
            )
            await turn.give_back()
            return Outcome(ok=False, message=message, level="warning", add_form=AddForm.CONFIRM)
        request = new.request
        entry = {
            "campaign": request.campaign_id,
            "campaign_group": (await ctx.groups()).group_of(request.campaign_id),
            "phone_last4": request.modes[0].number[-4:] if request.modes else "",
        }
        await turn.mark_pending(
            ActionLog.ADD,
            {**entry, "request_token": request_token},
            request_token=request_token,
            campaign=campaign,
            number=number,
        )
        try:
            exchange = await get_client().call(request)
        except LcmError as error:
            if error.outcome_unknown:
                return await _add_unknown(turn, error, entry, new, request_token)
            failed = await turn.failed(ActionLog.ADD, error, entry)
            return replace(failed, session=None, add_form=AddForm.AS_TYPED)
        lcm_key = exchange.answer.lcm_key
        if new.consent_evidence is not None:
            await db_async(consent.record)(
                new.consent_evidence,
                number=number,
                campaign=request.campaign_id,
                lcm_key=lcm_key,
                recorded_by=f"agent:{profile.lcm_agent_id}",
            )
        entry.update(exchange_fields(exchange), lcm_key=lcm_key, request_token=request_token)
        entry["result"] = _("Added to %(campaign)s") % {"campaign": request.campaign_id}
        message = _("Contact added to %(campaign)s. LCM key: %(key)s") % {
            "campaign": request.campaign_id,
            "key": lcm_key,
        }
        result = Outcome(
            ok=True, message=message, level="success", add_form=AddForm.FRESH, lcm_key=lcm_key
        )
        remaining = _without_unknown_add(turn.session, request_token, campaign, number)
        return await turn.finish(ActionLog.ADD, entry, result, last_error="", unconfirmed=remaining)


def _content_token(content: Mapping[str, str]) -> str:
    """A request token for an Add without one: the same contact, typed the same way, the
    same day, is the same request (so a repeated POST cannot make twins)."""
    dated = {**content, "day": timezone.localdate().isoformat()}
    digest = hashlib.sha256(json.dumps(dated, sort_keys=True).encode()).hexdigest()
    return f"same-{digest[:35]}"


def _unknown_adds(session: AgentSession) -> list[dict[str, Any]]:
    """The agent's adds whose outcome LCM did not confirm, oldest first."""
    unconfirmed = session.unconfirmed or {}
    found = [e for e in unconfirmed.get("adds") or [] if isinstance(e, dict)]
    if isinstance(unconfirmed.get("add"), dict):  # stored before adds were listed
        found.insert(0, unconfirmed["add"])
    return found


def _same_add(earlier: Mapping[str, Any], token: str, campaign: str, number: str) -> bool:
    """The same form sent again, or the same number for the same campaign typed again (after
    a reload the form has a new token)."""
    if earlier.get("request_token") == token:
        return True
    same_campaign = str(earlier.get("campaign", "")).casefold() == campaign.casefold()
    return bool(number) and earlier.get("number") == number and same_campaign


def _earlier_unknown_add(
    session: AgentSession, token: str, campaign: str, number: str
) -> dict[str, Any] | None:
    for earlier in reversed(_unknown_adds(session)):
        if _same_add(earlier, token, campaign, number):
            return earlier
    return None


def _without_unknown_add(
    session: AgentSession, token: str, campaign: str, number: str
) -> dict[str, Any]:
    """The session's unconfirmed writes without the adds this one settles."""
    unconfirmed = {k: v for k, v in (session.unconfirmed or {}).items() if k != "add"}
    adds = [e for e in _unknown_adds(session) if not _same_add(e, token, campaign, number)]
    if adds:
        unconfirmed["adds"] = adds
    else:
        unconfirmed.pop("adds", None)
    return unconfirmed


async def _add_unknown(
    turn: Turn, error: LcmError, entry: dict[str, Any], new: NewContact, request_token: str
) -> Outcome:
    """The contact may have been created: keep the entries, and do not send the same form again
    until the agent has checked LCM and says to."""
    message = _(
        "LCM may have added this contact: %(cause)s. Your entries are kept: check the campaign "
        "in LCM before adding it again."
    ) % {"cause": error.cause()}
    earlier = {
        "request_token": request_token,
        "campaign": new.campaign,
        "number": new.number,
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    logged = {**failure_fields(error), **entry, "error": message, "result": "outcome unknown"}
    unconfirmed = pending.with_unknown_add(turn.session.unconfirmed or {}, earlier)
    result = Outcome(ok=False, message=message, level="warning")
    failed = await turn.finish(
        ActionLog.ADD, logged, result, last_error=message, unconfirmed=unconfirmed
    )
    return replace(failed, session=None, add_form=AddForm.CONFIRM)
