"""Closing the contact on screen in LCM with an outcome (SkipManualDialContact), shared by
Skip, hand back and a team lead's release: the turn, the do-not-call listing, and the answers
LCM may give (closed, no longer held, not confirmed, lost: reconciled on the retry).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.compliance import rules
from agentdesk.lcm import messages as m
from agentdesk.lcm.client import LcmExchange, get_client
from agentdesk.lcm.errors import LcmError, LcmRejected
from agentdesk.shared.asyncdb import db_async

from .. import state
from ..contact import ContactOnScreen
from ..models import ActionLog, AgentProfile, AgentSession
from ..onscreen import Shown
from .context import ActionContext, Outcome
from .turn import (
    Turn,
    agent_turn,
    busy,
    contact_fields,
    exchange_fields,
    failure_fields,
    settled_changes,
)


@dataclass
class Close:
    """How to close the contact on screen: the outcome, and what the log and the agent read
    ("{outcome}" becomes the outcome's ID and name, "{name}" its name)."""

    outcome_id: object
    result_text: str
    message: str
    notice: str = ""


@dataclass
class Refusal:
    message: str
    level: str = "warning"


Decide = Callable[[AgentSession, ContactOnScreen], Awaitable["Close | Refusal"]]


async def _honour_opt_out(
    profile: AgentProfile, contact: ContactOnScreen, outcome: m.Outcome, *, actor: str
) -> None:
    """A DNC outcome lists the number at once, whatever LCM answers next."""
    if is_dnc_outcome(outcome):
        await db_async(rules.list_contact)(
            contact,
            reason=f"Outcome {outcome.id} {outcome.name} chosen by {actor or profile.lcm_agent_id}",
            added_by=actor or f"agent:{profile.lcm_agent_id}",
        )


def is_dnc_outcome(outcome: m.Outcome) -> bool:
    """LCM's telephony outcome "DNC": the person asked not to be called again."""
    return outcome.kind == "telephony" and outcome.name.strip().upper() == "DNC"


async def close_contact(
    ctx: ActionContext,
    kind: str,
    decide: Decide,
    *,
    actor: str = "",
    shown: Shown | None = None,
    changed_message: str = "",
    comment: str = "",
) -> Outcome:
    """Close the contact on screen in LCM (SkipManualDialContact) with the outcome `decide`
    picks once the agent's turn is held, and go back to idle. Skip, hand back and a team
    lead's release all come through here; `shown` is the contact the action was pressed for."""
    profile, menu = ctx.profile, await ctx.menu()
    if menu.error:
        return Outcome(ok=False, message=menu.error, level="error")
    async with agent_turn(ctx) as turn:
        if turn is None:
            return await busy(profile)
        if refused := await turn.refuse_unless_shown(shown, changed_message):
            return refused
        contact = turn.contact_on_screen()
        if contact is None:
            return await turn.refuse(_("There is no contact on your screen to skip."))
        decision = await decide(turn.session, contact)
        if isinstance(decision, Refusal):
            return await turn.refuse(decision.message, decision.level)
        outcome = menu.find(decision.outcome_id)
        if outcome is None:
            message = _(
                "Outcome %(id)s is not one of LCM's outcomes: ask an administrator to correct "
                "the compliance settings, and skip with an outcome instead."
            ) % {"id": decision.outcome_id}
            return await turn.refuse(message, "error")
        await _honour_opt_out(profile, contact, outcome, actor=actor)
        entry = {**await _skip_fields(turn, contact, outcome), "actor": actor}
        if comment:
            entry["comment"] = comment
        request = m.SkipManualDialContact(
            outcome.id, profile.lcm_agent_id, contact.account_number, contact.phone_number
        )
        earlier = state.pending_skip(turn.session)
        await turn.mark_pending(
            kind,
            entry,
            lcm_key=contact.account_number,
            outcome_id=outcome.id,
            outcome_name=outcome.name,
        )
        try:
            exchange = await get_client().call(request)
        except LcmRejected as error:
            if earlier and earlier["outcome_id"] == outcome.id:
                return await _skip_reconciled(turn, kind, entry, earlier, error.lcm_text)
            if lcm_no_longer_holds(error.lcm_text):
                return await _contact_gone(turn, kind, entry, error.lcm_text, earlier)
            return await turn.failed(kind, error, entry, _skip_refused(error, earlier))
        except LcmError as error:
            if error.outcome_unknown:
                return await _skip_unknown(turn, kind, error, entry, contact, outcome)
            return await turn.failed(kind, error, entry)
        if not exchange.answer.success:
            if earlier and earlier["outcome_id"] == outcome.id:
                return await _skip_reconciled(turn, kind, entry, earlier, "")
            return await _skip_not_confirmed(turn, kind, exchange, entry)
        named = f"{outcome.id} {outcome.name}"
        entry.update(
            exchange_fields(exchange), result=_fill(decision.result_text, named, outcome.name)
        )
        message = _fill(decision.message, named, outcome.name)
        result = Outcome(ok=True, message=message, level="success")
        idle = {"state": AgentSession.IDLE, "contact": None}
        settled = {
            **settled_changes(turn.session, "skip"),
            "notice": _fill(decision.notice, named, outcome.name),
        }
        return await turn.finish(kind, entry, result, **idle, **settled)


# LCM's words for "this contact is not open for this agent any more": closed (by an earlier
# skip whose answer was lost, by a lead, by LCM itself), expired, edited, or held by no one.
_NO_LONGER_HELD = re.compile(
    r"not in (?:an? )?open state|not (?:held|assigned|reserved|locked)\b|already closed|"
    r"\bis closed\b|closed with outcome|invalid account ?number|no longer|"
    r"contact\b[^.]*\b(?:not found|does not exist|expired)",
    re.I,
)


def lcm_no_longer_holds(lcm_text: str) -> bool:
    """Whether LCM's refusal says the contact is closed or not held for this agent."""
    return bool(_NO_LONGER_HELD.search(lcm_text or ""))


async def _contact_gone(
    turn: Turn,
    kind: str,
    entry: dict[str, Any],
    lcm_text: str,
    earlier: Mapping[str, Any] | None,
) -> Outcome:
    """LCM says the contact is closed or not held for this agent: nothing here can close it,
    so it leaves the screen with LCM's words and a log row, and the agent (or the lead) can
    go on. An earlier unconfirmed skip of it most likely closed it: the row says so, with
    that outcome."""
    said = " ".join(lcm_text.split())[:200]
    if earlier:
        entry.update(outcome_id=earlier["outcome_id"], outcome_name=earlier["outcome_name"])
        entry["result"] = (
            f"Closed by the earlier skip ({earlier['outcome_name']}, unconfirmed); LCM: {said}"
        )
    else:
        entry.update(ok=False, error_kind="gone", error=f"LCM no longer holds it: {said}")
        entry["result"] = "Off the screen: LCM no longer holds it"
    if kind == ActionLog.RELEASE:
        message = _(
            "LCM no longer holds %(agent)s's contact (“%(said)s”): it is off their screen. "
            "This release closed nothing in LCM."
        ) % {"agent": turn.profile.display_name, "said": said}
        notice = _("Your contact was taken off your screen: LCM no longer holds it.")
    else:
        message = _(
            "LCM says this contact is no longer open for you: “%(said)s”. It is off your "
            "screen; this action closed nothing in LCM. Press Next Contact to go on."
        ) % {"said": said}
        notice = ""
    result = Outcome(ok=True, message=message, level="warning")
    idle = {"state": AgentSession.IDLE, "contact": None}
    settled = {**settled_changes(turn.session, "skip"), "notice": notice[:300]}
    return await turn.finish(kind, entry, result, **idle, **settled)


def _fill(text: str, outcome: str, name: str) -> str:
    # replace(), not format(): the texts carry people's names, which may contain braces.
    return text.replace("{outcome}", outcome).replace("{name}", name)


async def _skip_fields(turn: Turn, contact: ContactOnScreen, outcome: m.Outcome) -> dict[str, Any]:
    groups = await turn.context.groups()
    return {
        "outcome_id": outcome.id,
        "outcome_name": outcome.name,
        **contact_fields(contact),
        "campaign_group": groups.group_of(contact.campaign_id) or turn.session.campaign_group,
    }


def _outcome_text(earlier: Mapping[str, Any]) -> str:
    return f"{earlier['outcome_id']} {earlier['outcome_name']}"


async def _skip_unknown(
    turn: Turn,
    kind: str,
    error: LcmError,
    entry: dict[str, Any],
    contact: ContactOnScreen,
    outcome: m.Outcome,
) -> Outcome:
    """The skip may have closed the contact: keep it on screen, remember the outcome, say so."""
    message = _(
        "LCM may already have closed this contact with %(outcome)s: %(cause)s. Skip again with "
        "the same outcome to confirm; it is selected for you."
    ) % {"outcome": f"{outcome.id} {outcome.name}", "cause": error.cause()}
    earlier = {
        "lcm_key": contact.account_number,
        "outcome_id": outcome.id,
        "outcome_name": outcome.name,
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    logged = {**failure_fields(error), **entry, "error": message, "result": "outcome unknown"}
    unconfirmed = {**(turn.session.unconfirmed or {}), "skip": earlier}
    result = Outcome(ok=False, message=message, level="warning")
    return await turn.finish(kind, logged, result, last_error=message, unconfirmed=unconfirmed)


def _skip_refused(error: LcmRejected, earlier: Mapping[str, Any] | None) -> str:
    if not earlier:
        return ""
    hint = _(
        "Your earlier skip with %(outcome)s may already have closed this contact: skip with "
        "%(outcome)s to confirm."
    ) % {"outcome": _outcome_text(earlier)}
    return LcmRejected(error.lcm_text, hint=hint).describe()


async def _skip_reconciled(
    turn: Turn, kind: str, entry: dict[str, Any], earlier: Mapping[str, Any], lcm_text: str
) -> Outcome:
    """The retry of an unconfirmed skip, with the same outcome, was not taken: LCM no longer
    has the contact open for this agent, so the earlier skip went through (or the hold ended).
    Either way it cannot be skipped again; if LCM still held it, the next fetch gives it back."""
    said = f"“{lcm_text}”" if lcm_text else _("no confirmation")
    message = _(
        "LCM did not take the skip again (%(said)s): your earlier skip with %(outcome)s most "
        "likely closed the contact, so it is off your screen. If LCM still holds it for you, "
        "Next Contact brings it back."
    ) % {"said": said, "outcome": _outcome_text(earlier)}
    entry.update(result=f"Closed by the earlier skip ({earlier['outcome_name']}, unconfirmed)")
    result = Outcome(ok=True, message=message, level="warning")
    idle = {"state": AgentSession.IDLE, "contact": None}
    return await turn.finish(kind, entry, result, **idle, **settled_changes(turn.session, "skip"))


async def _skip_not_confirmed(
    turn: Turn, kind: str, exchange: LcmExchange[m.SkipAnswer], entry: dict[str, Any]
) -> Outcome:
    message = _("LCM did not confirm the skip. The contact is still yours; try again.")
    refused = {"ok": False, "error": message, "error_kind": "rejected"}
    refused["result"] = _("not confirmed")
    logged = {**exchange_fields(exchange), **entry, **refused}
    result = Outcome(ok=False, message=message, level="error")
    return await turn.finish(kind, logged, result, last_error=message)
