"""Next Contact and Reserved (ask LCM for a contact and put it on screen, closing retired
keys LCM still hands out) and the campaign group and consent choice they work with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from agentdesk.lcm import messages as m
from agentdesk.lcm.client import LcmExchange, get_client
from agentdesk.lcm.errors import LcmError
from agentdesk.retiredkeys.models import mark_closed
from agentdesk.shared.asyncdb import db_async

from .. import events, pending, state
from ..contact import ContactOnScreen
from ..models import ActionLog, AgentProfile, AgentSession
from ..presenters import dialling
from .context import ActionContext, Outcome, context_for
from .turn import (
    Turn,
    agent_turn,
    busy,
    contact_fields,
    exchange_fields,
    new_call_id,
)


async def next_contact(
    profile: AgentProfile,
    *,
    campaign_group: str,
    consent: str,
    context: ActionContext | None = None,
) -> Outcome:
    """Next Contact: one fresh contact from the chosen campaign group."""
    ctx = context_for(profile, context)
    if refused := await _refuse_choices(ctx, campaign_group, consent):
        return refused
    request = m.GetDownloadContactsForDialing(campaign_group, profile.lcm_agent_id, consent, False)
    none_message = _("No contact available in %(group)s right now.") % {"group": campaign_group}
    choices = {"campaign_group": campaign_group, "consent": consent}
    return await _fetch(ctx, ActionLog.NEXT, request, none_message, choices)


async def reserved_contact(
    profile: AgentProfile, *, context: ActionContext | None = None
) -> Outcome:
    """Reserved: the contact LCM already holds for this agent."""
    ctx = context_for(profile, context)
    request: m.LcmRequest[m.FetchAnswer]
    if settings.LCM_RESERVED_SUBTOPIC == m.GetReservedManualDialContact.SUBTOPIC:
        request = m.GetReservedManualDialContact(profile.lcm_agent_id)
    else:
        request = m.GetReservedContactOD(profile.lcm_agent_id)
    none_message = _("No contact is reserved for you right now.")
    return await _fetch(ctx, ActionLog.RESERVED, request, none_message, {})


async def _fetch(
    ctx: ActionContext,
    kind: str,
    request: m.LcmRequest[m.FetchAnswer],
    none_message: str,
    choices: Mapping[str, str],
) -> Outcome:
    """Next or Reserved: ask LCM for a contact and put it on the agent's screen."""
    profile = ctx.profile

    def record_for(session: AgentSession) -> dict[str, Any] | None:
        # A contact LCM hands out is held for this agent: if this worker dies before it is on
        # screen, the record makes it an unknown outcome in the log (desk/pending.py).
        # Stored with the turn (one trip), unless the fetch is refused below.
        if session.state == AgentSession.PREVIEWING:
            return None
        return pending.record(kind, {**_group_field(choices), "subtopic": request.SUBTOPIC})

    async with agent_turn(ctx, record_for) as turn:
        if turn is None:
            return await busy(profile)
        if turn.session.state == AgentSession.PREVIEWING:
            message = _("A contact is already on your screen: skip it with an outcome first.")
            return await turn.refuse(message)
        try:
            exchange = await get_client().call(request)
            # LCM may still hand out a contact an import replaced (docs/lcm.md, "Retired
            # keys"): it is closed with the configured outcome and fetched again, unseen by
            # the agent; after a few in a row the last one is shown.
            for skips_left in range(MAX_RETIRED_SKIPS, -1, -1):
                contact = exchange.answer.contact
                if contact is None:
                    return await _no_contact(turn, kind, exchange, none_message, choices)
                retired_guard = contact.account_number if skips_left else ""
                shown = await _on_screen(turn, kind, exchange, contact, choices, retired_guard)
                if shown is not None:
                    return shown
                exchange = await _close_retired(profile, request, contact)
        except LcmError as error:
            return await turn.failed(
                kind, error, _group_field(choices), _fetch_failure(error, kind)
            )
        raise AssertionError("unreachable: the last contact is shown unguarded")


def _group_field(choices: Mapping[str, str]) -> dict[str, str]:
    return {"campaign_group": choices["campaign_group"]} if choices else {}


async def _no_contact(
    turn: Turn,
    kind: str,
    exchange: LcmExchange[m.FetchAnswer],
    none_message: str,
    choices: Mapping[str, str],
) -> Outcome:
    message, level = no_contact_message(exchange.answer.failure_reason, none_message)
    # LCM's reason can be long; the stored notice and log line have room for 300 characters.
    entry = {**exchange_fields(exchange), **_group_field(choices), "result": message[:300]}
    result = Outcome(ok=True, message=message, level=level)
    return await turn.finish(kind, entry, result, notice=message[:300], last_error="", **choices)


async def _on_screen(
    turn: Turn,
    kind: str,
    exchange: LcmExchange[m.FetchAnswer],
    contact: m.Contact,
    choices: Mapping[str, str],
    unless_retired: str = "",
) -> Outcome | None:
    """Put the contact on the agent's screen (LCM's answer read into agentdesk's own shape,
    once); None (nothing done) if its key `unless_retired` is retired."""
    on_screen_contact = ContactOnScreen.from_lcm(contact)
    groups = await turn.context.groups()
    entry = {
        **exchange_fields(exchange),
        **contact_fields(contact),
        "campaign_group": groups.group_of(contact.campaign_id) or choices.get("campaign_group", ""),
        "result": _("Contact %(id)s on screen")
        % {"id": contact.contact_id or contact.account_number},
    }
    # The number as the card shows it ("(762) 555-4975", not LCM's "7625554975").
    message = _("Contact %(number)s is on your screen.") % {
        "number": dialling(on_screen_contact).text
    }
    extra = exchange.answer.extra
    if extra:
        message += " " + _extra_message(extra)
    result = Outcome(ok=True, message=message, level="warning" if extra else "success")
    # The call id of this dial attempt ("the Call ID generated by the application"): every
    # wrap-up message to LCM carries it, and the log names it.
    on_screen = {
        "state": AgentSession.PREVIEWING,
        "contact": on_screen_contact.to_stored(),
        "call_id": new_call_id(),
    }
    shown = await turn.finish_unless_retired(
        unless_retired, kind, entry, result, **on_screen, notice="", last_error="", **choices
    )
    if shown is not None and extra:
        await db_async(_log_extra)(turn.profile, kind, exchange, extra, entry["campaign_group"])
    return shown


def _extra_message(extra: tuple[m.Contact, ...]) -> str:
    """An answer with more contacts than the one asked for (the pages: a fetch hands out one):
    LCM may hold each extra one for the agent now. They are not closed with an outcome no call
    produced; the agent is told, and LCM gives a held contact back on the next fetch."""
    keys = ", ".join(c.account_number for c in extra)
    return _(
        "LCM also handed you %(keys)s although agentdesk asked for one contact: LCM may hold "
        "it for you, and Next Contact brings it back once this one is done."
    ) % {"keys": keys}


def _log_extra(
    profile: AgentProfile,
    kind: str,
    exchange: LcmExchange[m.FetchAnswer],
    extra: tuple[m.Contact, ...],
    campaign_group: str,
) -> None:
    """One log row per extra contact, so the lead's monitor and exports see that LCM may hold
    it for this agent."""
    for contact in extra:
        state.write_log(
            profile,
            kind,
            **exchange_fields(exchange),
            **contact_fields(contact),
            campaign_group=campaign_group,
            result="LCM handed out this contact too (one was asked for); not shown: LCM may "
            "hold it for this agent until the next fetch brings it back",
        )


_SAYS_NO_CONTACT = re.compile(r"\bno\b.*\bcontacts?\b|\bcontacts?\b.*\bnot available\b", re.I)


def no_contact_message(lcm_reason: str, none_message: str) -> tuple[str, str]:
    """The banner for "no contact", with LCM's own reason when it gave one. A reason that says
    there is no contact is information; any other (e.g. "Agent is not logged in to the
    application") is a warning with a hint of what to do."""
    if not lcm_reason:
        return none_message, "info"
    reason = lcm_reason[:250]
    if _SAYS_NO_CONTACT.search(reason):
        said = _("%(ours)s LCM said: “%(reason)s”") % {"ours": none_message, "reason": reason}
        return said, "info"
    hint = _(
        "LCM did not hand out a contact: “%(reason)s”. If that is unexpected, check that you "
        "are logged in to LCM and that the campaign group is right, then try again."
    )
    return hint % {"reason": reason}, "warning"


MAX_RETIRED_SKIPS = 5


async def _close_retired(
    profile: AgentProfile, request: m.LcmRequest[m.FetchAnswer], contact: m.Contact
) -> LcmExchange[m.FetchAnswer]:
    """Close a retired contact LCM handed out with the configured outcome; fetch again."""
    await get_client().call(
        m.SkipManualDialContact(
            settings.LCM_RETIRED_OUTCOME_ID,
            profile.lcm_agent_id,
            contact.account_number,
            contact.phone_number,
        )
    )
    await db_async(mark_closed)(contact.account_number)
    return await get_client().call(request)


def _fetch_failure(error: LcmError, kind: str) -> str:
    if not error.outcome_unknown:
        return ""
    button = _("Next Contact") if kind == ActionLog.NEXT else _("Reserved")
    return _(
        "LCM may have handed you a contact: %(cause)s. Nothing is on your screen yet; press "
        "%(button)s again: LCM gives back a contact it holds for you."
    ) % {"cause": error.cause(), "button": button}


async def select(
    profile: AgentProfile,
    *,
    campaign_group: str,
    consent: str,
    context: ActionContext | None = None,
) -> Outcome:
    """Remember the agent's campaign group and consent choice (shown in every tab)."""
    ctx = context_for(profile, context)
    if refused := await _refuse_choices(ctx, campaign_group, consent):
        return refused
    render = ctx.render
    menu, groups = await ctx.lookups()

    def choose() -> tuple[AgentSession, str | None]:
        # Saved and rendered in one trip, as an action's turn does.
        chosen = state.choose(profile, campaign_group=campaign_group, consent=consent)
        return chosen, render(chosen, menu, groups, None) if render is not None else None

    session, html = await db_async(choose)()
    changed = events.AgentChanged.of_session(session, events.SELECT)
    await events.publish(session, changed, html=html, action_id=ctx.action_id)
    return Outcome(ok=True, session=session)


async def _refuse_choices(ctx: ActionContext, campaign_group: str, consent: str) -> Outcome | None:
    """A refusal when the campaign group is not the agent's or the consent filter unknown."""
    if campaign_group not in (await ctx.groups()).names:
        return Outcome(
            ok=False, message=_("Choose one of your campaign groups first."), level="error"
        )
    if consent not in dict(AgentSession.CONSENT_CHOICES):
        return Outcome(ok=False, message=_("Choose consent, non-consent or both."), level="error")
    return None
