"""The agent's four actions and the campaign choice. The one place that talks to LCM for an
agent, changes the agent's session state, writes the action log and publishes the change.

Every action reads the same way: check the input; take the agent's turn (the one-action-at-a-
time lock, given back whatever happens); call LCM; finish the turn, which saves the result (or
leaves the state exactly as it was on any failure), writes the log entry and publishes once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agentdesk.compliance import consent, rules
from agentdesk.lcm import messages as m
from agentdesk.lcm.client import LcmExchange, get_client
from agentdesk.lcm.errors import LcmError, LcmRejected
from agentdesk.retiredkeys.models import mark_closed
from agentdesk.shared.asyncdb import db_async

from . import events, onscreen, pending, state
from .contact import ContactOnScreen, contact_of
from .forms import AddContactForm
from .lookups import OutcomeMenu, group_choices, outcome_menu
from .models import ActionLog, AgentProfile, AgentSession
from .onscreen import Shown
from .presenters import dialling

log = logging.getLogger(__name__)

BUSY_MESSAGE = gettext_lazy("Your previous action is still running; wait for it to finish.")


@dataclass(kw_only=True)
class Result:
    """What an action did, for the view or consumer to render."""

    ok: bool
    message: str = ""
    level: str = "info"  # info, success, warning, error
    session: AgentSession | None = None
    html: str = ""  # the live fragments already published for `session`, if the action did
    form: AddContactForm | None = None
    lcm_key: str = ""
    dial_href: str = ""  # a confirmed dial: the tel: link the acting page opens


# ------------------------------------------------------------------------ the agent's turn


class Turn:
    """The agent's turn to act: the session row as locked, and the lock's token."""

    def __init__(self, profile: AgentProfile, session: AgentSession, token: str) -> None:
        self.profile = profile
        self.session = session
        self.token = token
        self.held = True
        self.pending = False  # a write to LCM is recorded as in flight (desk/pending.py)
        self.started = time.perf_counter()

    async def mark_pending(self, kind: str, entry: dict[str, Any], **remember: Any) -> None:
        """Record the write about to be sent to LCM before sending it: if this worker dies
        after LCM acted, the record becomes an unknown outcome with a log row. `finish`
        removes it with the result."""
        record = pending.record(kind, entry, **remember)
        self.pending = await db_async(pending.mark)(self.session, self.token, record)

    async def give_back(self) -> AgentSession:
        """Free the lock without changing anything the agent sees."""
        released = await db_async(state.release)(self.session, self.token)
        self.held = False
        return released or self.session

    async def refuse(self, message: str, level: str = "warning") -> Result:
        """Give the turn back with nothing changed, saying why."""
        return Result(ok=False, message=message, level=level, session=await self.give_back())

    async def refuse_unless_shown(self, shown: Shown | None, message: str = "") -> Result | None:
        """A refusal (the turn given back, the fresh state for the page) when the action was
        pressed for another contact than the one on screen now; None when it names it (or
        when the caller is agentdesk itself, `shown` None)."""
        if shown is None or onscreen.still_on_screen(self.session, shown):
            return None
        log.info("agent %s: action for %s refused, screen changed", self.profile, shown)
        return await self.refuse(message or str(onscreen.CHANGED))

    def contact_on_screen(self) -> ContactOnScreen | None:
        if self.session.state != AgentSession.PREVIEWING:
            return None
        return contact_of(self.session)

    async def finish(
        self, kind: str, entry: dict[str, Any], result: Result, **changes: Any
    ) -> Result:
        """Save `changes` and free the lock, write the log entry, publish once; `result` with
        the session as now stored and the published fragments.

        One trip to a worker thread: the result and its log entry in one transaction, then
        the fragments rendered from the row as stored (the push and the acting tab's answer
        share that render)."""
        finished = await self.finish_unless_retired("", kind, entry, result, **changes)
        assert finished is not None  # no key to check: always finished
        return finished

    async def finish_unless_retired(
        self, lcm_key: str, kind: str, entry: dict[str, Any], result: Result, **changes: Any
    ) -> Result | None:
        """`finish`, unless `lcm_key` is a retired key: then None, with nothing changed and
        the turn still held (checked in the same trip, so a contact shown costs no extra
        one)."""
        menu = await outcome_menu()
        groups = await group_choices(self.profile)
        if entry.get("lcm_key") and not entry.get("call_id"):
            # Every log row about a contact names its dial attempt (a new contact: its new one).
            entry = {**entry, "call_id": changes.get("call_id") or self.session.call_id}

        if self.pending:
            changes["unconfirmed"] = pending.without_pending(
                changes.get("unconfirmed", self.session.unconfirmed)
            )

        def apply() -> tuple[AgentSession, ActionLog, str | None] | None:
            saved = state.release_and_log(
                self.session, self.token, kind, entry, changes, unless_retired=lcm_key
            )
            if saved is None:
                return None
            updated, written, recent = saved
            if updated is None:
                # The lock expired and another action took over; show whatever is stored now.
                log.warning("agent %s: %s finished after its lock expired", self.profile, kind)
                updated = state.session_for(self.profile)
                updated.agent = self.profile
            return updated, written, events.render_now(updated, menu, groups, recent)

        applied = await db_async(apply)()
        if applied is None:
            return None
        updated, written, html = applied
        self.held = False
        took = time.perf_counter() - self.started
        event = events.AgentChanged.of_action(updated, written, seconds=took)
        html = await events.publish(updated, event, html=html)
        return replace(result, session=updated, html=html)

    async def failed(
        self, kind: str, error: LcmError, entry: dict[str, Any], message: str = ""
    ) -> Result:
        """LCM failed: the state stays as it was; the failure is logged and shown."""
        message = message or error.describe()
        logged = {**_failure_fields(error), **entry, "error": message}
        failure = Result(ok=False, message=message, level="error")
        return await self.finish(kind, logged, failure, last_error=message)


@asynccontextmanager
async def agent_turn(profile: AgentProfile) -> AsyncIterator[Turn | None]:
    """Take the agent's action lock for the block, or None while another action holds it.
    The lock is given back on leaving the block unless the turn finished."""
    try:
        session, token = await db_async(pending.acquire)(profile)
    except state.Busy:
        yield None
        return
    turn = Turn(profile, session, token)
    try:
        yield turn
    finally:
        if turn.held:
            await turn.give_back()


async def _busy(profile: AgentProfile, form: AddContactForm | None = None) -> Result:
    current = await db_async(state.session_for)(profile)
    return Result(ok=False, message=str(BUSY_MESSAGE), level="warning", session=current, form=form)


def _exchange_fields(exchange: LcmExchange[Any]) -> dict[str, Any]:
    return {"subtopic": exchange.request.SUBTOPIC, "lcm_latency_ms": round(exchange.latency_ms, 1)}


def _failure_fields(error: LcmError) -> dict[str, Any]:
    return {
        "ok": False,
        "subtopic": error.subtopic,
        "lcm_latency_ms": round(error.latency_ms, 1),
        "error_kind": error.kind,
        "result": "failed",
    }


def _contact_fields(contact: m.Contact | ContactOnScreen) -> dict[str, Any]:
    return {
        "campaign": contact.campaign_id,
        "queue": contact.queue,
        "lcm_key": contact.account_number,
        "phone_last4": contact.phone_number[-4:],
    }


# ------------------------------------------------------------------------ the actions


async def next_contact(profile: AgentProfile, *, campaign_group: str, consent: str) -> Result:
    """Next Contact: one fresh contact from the chosen campaign group."""
    if refused := await _refuse_choices(profile, campaign_group, consent):
        return refused
    request = m.GetDownloadContactsForDialing(campaign_group, profile.lcm_agent_id, consent, False)
    none_message = _("No contact available in %(group)s right now.") % {"group": campaign_group}
    choices = {"campaign_group": campaign_group, "consent": consent}
    return await _fetch(profile, ActionLog.NEXT, request, none_message, choices)


async def reserved_contact(profile: AgentProfile) -> Result:
    """Reserved: the contact LCM already holds for this agent."""
    request: m.LcmRequest[m.FetchAnswer]
    if settings.LCM_RESERVED_SUBTOPIC == m.GetReservedManualDialContact.SUBTOPIC:
        request = m.GetReservedManualDialContact(profile.lcm_agent_id)
    else:
        request = m.GetReservedContactOD(profile.lcm_agent_id)
    none_message = _("No contact is reserved for you right now.")
    return await _fetch(profile, ActionLog.RESERVED, request, none_message, {})


async def _fetch(
    profile: AgentProfile,
    kind: str,
    request: m.LcmRequest[m.FetchAnswer],
    none_message: str,
    choices: Mapping[str, str],
) -> Result:
    """Next or Reserved: ask LCM for a contact and put it on the agent's screen."""
    async with agent_turn(profile) as turn:
        if turn is None:
            return await _busy(profile)
        if turn.session.state == AgentSession.PREVIEWING:
            message = _("A contact is already on your screen: skip it with an outcome first.")
            return await turn.refuse(message)
        # A contact LCM hands out is held for this agent: if this worker dies before it is on
        # screen, the record makes it an unknown outcome in the log (desk/pending.py).
        await turn.mark_pending(kind, {**_group_field(choices), "subtopic": request.SUBTOPIC})
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
) -> Result:
    message, level = no_contact_message(exchange.answer.failure_reason, none_message)
    # LCM's reason can be long; the stored notice and log line have room for 300 characters.
    entry = {**_exchange_fields(exchange), **_group_field(choices), "result": message[:300]}
    result = Result(ok=True, message=message, level=level)
    return await turn.finish(kind, entry, result, notice=message[:300], last_error="", **choices)


async def _on_screen(
    turn: Turn,
    kind: str,
    exchange: LcmExchange[m.FetchAnswer],
    contact: m.Contact,
    choices: Mapping[str, str],
    unless_retired: str = "",
) -> Result | None:
    """Put the contact on the agent's screen (LCM's answer read into agentdesk's own shape,
    once); None (nothing done) if its key `unless_retired` is retired."""
    on_screen_contact = ContactOnScreen.from_lcm(contact)
    groups = await group_choices(turn.profile)
    entry = {
        **_exchange_fields(exchange),
        **_contact_fields(contact),
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
    result = Result(ok=True, message=message, level="warning" if extra else "success")
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
            **_exchange_fields(exchange),
            **_contact_fields(contact),
            campaign_group=campaign_group,
            result="LCM handed out this contact too (one was asked for); not shown: LCM may "
            "hold it for this agent until the next fetch brings it back",
        )


def new_call_id() -> str:
    return uuid.uuid4().hex


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
) -> Result:
    """Skip: close the contact on screen with an outcome (and the agent's comment: LCM's close
    message carries none, so it is kept in agentdesk's log, export and webhook) and go back to
    idle."""
    note = str(comment or "").strip()
    if len(note) > COMMENT_MAX:
        message = _("Comment: at most %(max)d characters (it has %(count)d).") % {
            "max": COMMENT_MAX,
            "count": len(note),
        }
        return Result(ok=False, message=message, level="error")
    if has_control_character(note):
        # A NUL byte cannot be stored in PostgreSQL (the log row would fail after LCM closed
        # the contact); the others would reach the export and the webhooks.
        message = _("Comment: contains a control character; remove it.")
        return Result(ok=False, message=message, level="error")
    menu = await outcome_menu()
    if menu.error:
        return Result(ok=False, message=menu.error, level="error")
    outcome = menu.find(outcome_id)
    if outcome is None:
        message = _("Pick an outcome from the list before skipping.")
        return Result(ok=False, message=message, level="error")
    skipped = _("Skipped with outcome %(id)s %(name)s.") % {"id": outcome.id, "name": outcome.name}
    logged = _("Skipped with %(outcome)s") % {"outcome": outcome.name}

    async def chosen(session: AgentSession, contact: ContactOnScreen) -> _Close:
        return _Close(outcome.id, result_text=logged, message=skipped)

    return await _close_contact(
        profile, ActionLog.SKIP, chosen, menu=menu, shown=shown, comment=note
    )


@dataclass
class _Close:
    """How to close the contact on screen: the outcome, and what the log and the agent read
    ("{outcome}" becomes the outcome's ID and name, "{name}" its name)."""

    outcome_id: object
    result_text: str
    message: str
    notice: str = ""


@dataclass
class _Refusal:
    message: str
    level: str = "warning"


Decide = Callable[[AgentSession, ContactOnScreen], Awaitable["_Close | _Refusal"]]


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


async def _close_contact(
    profile: AgentProfile,
    kind: str,
    decide: Decide,
    *,
    actor: str = "",
    menu: OutcomeMenu | None = None,
    shown: Shown | None = None,
    changed_message: str = "",
    comment: str = "",
) -> Result:
    """Close the contact on screen in LCM (SkipManualDialContact) with the outcome `decide`
    picks once the agent's turn is held, and go back to idle. Skip, hand back and a team
    lead's release all come through here; `shown` is the contact the action was pressed for."""
    menu = menu or await outcome_menu()
    if menu.error:
        return Result(ok=False, message=menu.error, level="error")
    async with agent_turn(profile) as turn:
        if turn is None:
            return await _busy(profile)
        if refused := await turn.refuse_unless_shown(shown, changed_message):
            return refused
        contact = turn.contact_on_screen()
        if contact is None:
            return await turn.refuse(_("There is no contact on your screen to skip."))
        decision = await decide(turn.session, contact)
        if isinstance(decision, _Refusal):
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
            _exchange_fields(exchange), result=_fill(decision.result_text, named, outcome.name)
        )
        message = _fill(decision.message, named, outcome.name)
        result = Result(ok=True, message=message, level="success")
        idle = {"state": AgentSession.IDLE, "contact": None}
        settled = {
            **_settled(turn.session, "skip"),
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
) -> Result:
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
    result = Result(ok=True, message=message, level="warning")
    idle = {"state": AgentSession.IDLE, "contact": None}
    settled = {**_settled(turn.session, "skip"), "notice": notice[:300]}
    return await turn.finish(kind, entry, result, **idle, **settled)


def _fill(text: str, outcome: str, name: str) -> str:
    # replace(), not format(): the texts carry people's names, which may contain braces.
    return text.replace("{outcome}", outcome).replace("{name}", name)


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


async def _skip_fields(turn: Turn, contact: ContactOnScreen, outcome: m.Outcome) -> dict[str, Any]:
    groups = await group_choices(turn.profile)
    return {
        "outcome_id": outcome.id,
        "outcome_name": outcome.name,
        **_contact_fields(contact),
        "campaign_group": groups.group_of(contact.campaign_id) or turn.session.campaign_group,
    }


# ------------------------------------------------- writes whose outcome LCM did not confirm


def _fetch_failure(error: LcmError, kind: str) -> str:
    if not error.outcome_unknown:
        return ""
    button = _("Next Contact") if kind == ActionLog.NEXT else _("Reserved")
    return _(
        "LCM may have handed you a contact: %(cause)s. Nothing is on your screen yet; press "
        "%(button)s again: LCM gives back a contact it holds for you."
    ) % {"cause": error.cause(), "button": button}


def _settled(session: AgentSession, kind: str) -> dict[str, Any]:
    """The session changes that forget an unconfirmed write of `kind`, and clear the notices."""
    remaining = {k: v for k, v in (session.unconfirmed or {}).items() if k != kind}
    return {"unconfirmed": remaining, "notice": "", "last_error": ""}


def _outcome_text(earlier: Mapping[str, Any]) -> str:
    return f"{earlier['outcome_id']} {earlier['outcome_name']}"


async def _skip_unknown(
    turn: Turn,
    kind: str,
    error: LcmError,
    entry: dict[str, Any],
    contact: ContactOnScreen,
    outcome: m.Outcome,
) -> Result:
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
    logged = {**_failure_fields(error), **entry, "error": message, "result": "outcome unknown"}
    unconfirmed = {**(turn.session.unconfirmed or {}), "skip": earlier}
    result = Result(ok=False, message=message, level="warning")
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
) -> Result:
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
    result = Result(ok=True, message=message, level="warning")
    idle = {"state": AgentSession.IDLE, "contact": None}
    return await turn.finish(kind, entry, result, **idle, **_settled(turn.session, "skip"))


async def _skip_not_confirmed(
    turn: Turn, kind: str, exchange: LcmExchange[m.SkipAnswer], entry: dict[str, Any]
) -> Result:
    message = _("LCM did not confirm the skip. The contact is still yours; try again.")
    refused = {"ok": False, "error": message, "error_kind": "rejected"}
    refused["result"] = _("not confirmed")
    logged = {**_exchange_fields(exchange), **entry, **refused}
    result = Result(ok=False, message=message, level="error")
    return await turn.finish(kind, logged, result, last_error=message)


async def add_contact(profile: AgentProfile, data: Any) -> Result:
    """Add Contact: CreateContact from the form; a failure keeps everything the agent typed."""
    groups = await group_choices(profile)
    form = AddContactForm(data, campaigns=groups.campaigns, campaigns_error=groups.campaigns_error)
    if not await db_async(form.is_valid)():  # checks the do-not-call list and consent rules
        return Result(
            ok=False, message=_("Check the highlighted fields."), level="error", form=form
        )
    # A hand-made or retried POST without the page's token is known by its content.
    request_token = form.cleaned_data.get("request_token") or _content_token(form)
    if already := await db_async(state.used_request_token)(profile, request_token):
        message = _("This contact was already added (LCM key %(key)s).") % {"key": already.lcm_key}
        fresh = form.fresh_copy(groups.campaigns)
        return Result(ok=True, message=message, form=fresh, lcm_key=already.lcm_key)
    async with agent_turn(profile) as turn:
        if turn is None:
            return await _busy(profile, form=form)
        campaign, number = form.cleaned_data["campaign"], form.first_number()
        earlier = _earlier_unknown_add(turn.session, request_token, campaign, number)
        if earlier and not form.cleaned_data.get("add_anyway"):
            form.needs_confirmation = True
            message = _(
                "Your earlier try to add this contact may have reached LCM, so it was not sent "
                "again. Check the campaign in LCM; if the contact is not there, tick “Add "
                "anyway” and add it."
            )
            await turn.give_back()
            return Result(ok=False, message=message, level="warning", form=form)
        request = form.to_request(profile.lcm_agent_id)
        entry = {
            "campaign": request.campaign_id,
            "campaign_group": groups.group_of(request.campaign_id),
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
                return await _add_unknown(turn, error, entry, form, request_token)
            failed = await turn.failed(ActionLog.ADD, error, entry)
            return replace(failed, session=None, html="", form=form)
        lcm_key = exchange.answer.lcm_key
        if (evidence := form.cleaned_data.get("consent_evidence")) is not None:
            await db_async(consent.record)(
                evidence,
                number=form.first_number(),
                campaign=request.campaign_id,
                lcm_key=lcm_key,
                recorded_by=f"agent:{profile.lcm_agent_id}",
            )
        entry.update(_exchange_fields(exchange), lcm_key=lcm_key, request_token=request_token)
        entry["result"] = _("Added to %(campaign)s") % {"campaign": request.campaign_id}
        message = _("Contact added to %(campaign)s. LCM key: %(key)s") % {
            "campaign": request.campaign_id,
            "key": lcm_key,
        }
        fresh = form.fresh_copy(groups.campaigns)
        result = Result(ok=True, message=message, level="success", form=fresh, lcm_key=lcm_key)
        remaining = _without_unknown_add(turn.session, request_token, campaign, number)
        return await turn.finish(ActionLog.ADD, entry, result, last_error="", unconfirmed=remaining)


def _content_token(form: AddContactForm) -> str:
    """A request token for an Add without one: the same contact, typed the same way, the
    same day, is the same request (so a repeated POST cannot make twins)."""
    content = {
        name: str(value)
        for name, value in sorted(form.cleaned_data.items())
        if name not in ("request_token", "add_anyway")
    }
    content["day"] = timezone.localdate().isoformat()
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
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
    turn: Turn, error: LcmError, entry: dict[str, Any], form: AddContactForm, request_token: str
) -> Result:
    """The contact may have been created: keep the entries, and do not send the same form again
    until the agent has checked LCM and says to."""
    message = _(
        "LCM may have added this contact: %(cause)s. Your entries are kept: check the campaign "
        "in LCM before adding it again."
    ) % {"cause": error.cause()}
    earlier = {
        "request_token": request_token,
        "campaign": form.cleaned_data["campaign"],
        "number": form.first_number(),
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    logged = {**_failure_fields(error), **entry, "error": message, "result": "outcome unknown"}
    unconfirmed = pending.with_unknown_add(turn.session.unconfirmed or {}, earlier)
    result = Result(ok=False, message=message, level="warning")
    failed = await turn.finish(
        ActionLog.ADD, logged, result, last_error=message, unconfirmed=unconfirmed
    )
    form.needs_confirmation = True
    return replace(failed, session=None, html="", form=form)


async def select(profile: AgentProfile, *, campaign_group: str, consent: str) -> Result:
    """Remember the agent's campaign group and consent choice (shown in every tab)."""
    if refused := await _refuse_choices(profile, campaign_group, consent):
        return refused
    session = await db_async(state.choose)(profile, campaign_group=campaign_group, consent=consent)
    html = await events.publish(session, events.AgentChanged.of_session(session, events.SELECT))
    return Result(ok=True, session=session, html=html)


async def _refuse_choices(
    profile: AgentProfile, campaign_group: str, consent: str
) -> Result | None:
    """A refusal when the campaign group is not the agent's or the consent filter unknown."""
    groups = await group_choices(profile)
    if campaign_group not in groups.names:
        return Result(
            ok=False, message=_("Choose one of your campaign groups first."), level="error"
        )
    if consent not in dict(AgentSession.CONSENT_CHOICES):
        return Result(ok=False, message=_("Choose consent, non-consent or both."), level="error")
    return None


# ------------------------------------------------------------------------ compliance


async def hand_back(profile: AgentProfile, *, shown: Shown | None = None) -> Result:
    """Hand back the contact on screen that may not be dialled now, with the campaign policy's
    outcome (the do-not-call outcome for a listed number)."""

    async def decide(session: AgentSession, contact: ContactOnScreen) -> _Close | _Refusal:
        verdict = await db_async(rules.evaluate)(contact)
        if not (verdict.blocked or verdict.needs_confirmation or verdict.outside_window):
            return _Refusal(
                _("Nothing stops you dialing this contact; skip it with an outcome instead.")
            )
        why = "outside calling hours"
        if verdict.dnc:
            why = "do-not-call"
        elif verdict.consent_missing:
            why = "no consent evidence"
        elif verdict.unreadable:
            why = "unreadable number"
        return _Close(
            verdict.hand_back_outcome,
            f"Handed back ({why}) with {{outcome}}",
            _("Handed back with outcome {outcome}."),
        )

    return await _close_contact(profile, ActionLog.HAND_BACK, decide, shown=shown)


async def confirm_dial(profile: AgentProfile, *, shown: Shown | None = None) -> Result:
    """Confirm dialing the contact on screen outside its calling hours: logged with who, when,
    the contact and their local time; the answer carries the number to dial."""
    async with agent_turn(profile) as turn:
        if turn is None:
            return await _busy(profile)
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
            return Result(ok=True, message=message, session=session, dial_href=href)
        if await db_async(state.dial_confirmed_at)(turn.session) is not None:
            session = await turn.give_back()
            message = _("Already confirmed: dial.")
            return Result(ok=True, message=message, session=session, dial_href=href)
        groups = await group_choices(profile)
        entry = {
            **_contact_fields(contact),
            "campaign_group": groups.group_of(contact.campaign_id) or turn.session.campaign_group,
            "result": f"Dial outside calling hours ({verdict.window_text}) confirmed; "
            f"their time {verdict.local_time_text}",
        }
        message = _("Confirmed and logged. Dialing %(number)s.") % {"number": dial.text}
        result = Result(ok=True, message=message, level="success", dial_href=href)
        return await turn.finish(ActionLog.CONFIRM_DIAL, entry, result)


# The agent's page asks when its countdown ends; the server's clock has the last word, with
# this much tolerance for the page's timer and the request's travel.
PREVIEW_TOLERANCE_SECONDS = 3


def _preview_state(profile: AgentProfile) -> tuple[AgentSession, Any]:
    session = state.session_for(profile)
    return session, rules.preview_limit_for(session.campaign_group)


async def preview_expired(profile: AgentProfile, *, shown: Shown | None = None) -> Result:
    """The preview limit of the contact on screen ran out: hand it back, or flag the agent."""
    session, limit = await db_async(_preview_state)(profile)
    if limit is None or session.state != AgentSession.PREVIEWING:
        message = _("No preview limit applies to your screen.")
        return Result(ok=False, message=message, session=session)
    elapsed = (timezone.now() - session.state_since).total_seconds()
    if elapsed + PREVIEW_TOLERANCE_SECONDS < limit.seconds:
        left = int(limit.seconds - elapsed)
        message = _("The preview time has not run out yet (%(left)d s left).") % {"left": left}
        return Result(ok=False, message=message, session=session)
    if limit.on_expiry == limit.HAND_BACK:
        expected = contact_of(session)
        expected_key = expected.account_number if expected is not None else None

        async def decide(current: AgentSession, contact: ContactOnScreen) -> _Close | _Refusal:
            if contact.account_number != expected_key:
                return _Refusal(_("The contact on your screen changed; nothing handed back."))
            return _Close(
                limit.hand_back_outcome,
                f"Preview time ({limit.seconds} s) ran out: handed back with {{outcome}}",
                _("The preview time ran out: handed back with outcome {outcome}."),
            )

        return await _close_contact(profile, ActionLog.HAND_BACK, decide, shown=shown)
    return await _flag_preview_over(profile, limit.seconds, shown)


async def _flag_preview_over(profile: AgentProfile, seconds: int, shown: Shown | None) -> Result:
    async with agent_turn(profile) as turn:
        if turn is None:
            return await _busy(profile)
        if refused := await turn.refuse_unless_shown(shown):
            return refused
        contact = turn.contact_on_screen()
        if contact is None:
            return await turn.refuse(_("There is no contact on your screen."), "info")
        if await db_async(state.preview_over_logged)(turn.session):
            return Result(ok=True, session=await turn.give_back())
        entry = {
            **_contact_fields(contact),
            "campaign_group": turn.session.campaign_group,
            "result": f"Preview limit of {seconds} s ran out; team lead alerted",
        }
        message = _("The preview time ran out: your team lead has been alerted. Dial or skip now.")
        result = Result(ok=True, message=message, level="warning")
        return await turn.finish(ActionLog.PREVIEW_OVER, entry, result)


async def release_contact(
    lead_name: str, profile: AgentProfile, *, outcome_id: object, shown: Shown | None = None
) -> Result:
    """A team lead closes the contact an agent holds (the agent went home with it on screen),
    under the agent's LCM ID, with an outcome; logged with the lead's name."""
    menu = await outcome_menu()
    if menu.error:
        return Result(ok=False, message=menu.error, level="error")
    if menu.find(outcome_id) is None:
        # The lead's own choice, not a policy's: say so in the lead's terms.
        message = _("Choose an outcome from the list to release with; %(value)s is not one.") % {
            "value": repr(str(outcome_id or "")[:40])
        }
        return Result(ok=False, message=message, level="error")

    async def chosen(session: AgentSession, contact: ContactOnScreen) -> _Close:
        return _Close(
            outcome_id,
            f"Released by {lead_name} with {{outcome}}",
            _("Released %(agent)s's contact with outcome {outcome}.")
            % {"agent": profile.display_name},
            _("Your team lead %(lead)s released your contact with outcome {outcome}.")
            % {"lead": lead_name},
        )

    changed = str(onscreen.CHANGED_FOR_LEAD) % {"agent": profile.display_name}
    return await _close_contact(
        profile,
        ActionLog.RELEASE,
        chosen,
        actor=lead_name,
        menu=menu,
        shown=shown,
        changed_message=changed,
    )


async def clear_screen(
    lead_name: str, profile: AgentProfile, *, shown: Shown | None = None
) -> Result:
    """A team lead takes the contact off an agent's screen without asking LCM (LCM refuses
    to close it, or cannot be reached, and the agent must go on): LCM's record stays as it
    is, and the log says so with the lead's name."""
    changed = str(onscreen.CHANGED_FOR_LEAD) % {"agent": profile.display_name}
    async with agent_turn(profile) as turn:
        if turn is None:
            return await _busy(profile)
        if refused := await turn.refuse_unless_shown(shown, changed):
            return refused
        contact = turn.contact_on_screen()
        if contact is None:
            return await turn.refuse(_("There is no contact on this agent's screen."))
        groups = await group_choices(profile)
        entry = {
            **_contact_fields(contact),
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
        result = Result(ok=True, message=message, level="success")
        idle = {"state": AgentSession.IDLE, "contact": None}
        settled = {**_settled(turn.session, "skip"), "notice": notice[:300]}
        return await turn.finish(ActionLog.RELEASE, entry, result, **idle, **settled)
