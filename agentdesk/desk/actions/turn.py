"""The agent's turn to act: the one-action-at-a-time lock, given back whatever happens, and
its end (save the result or leave the state as it was, write the log entry, publish once).
Also the log-entry fields every action shares and the "busy" answer.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy

from agentdesk.lcm import messages as m
from agentdesk.lcm.client import LcmExchange
from agentdesk.lcm.errors import LcmError
from agentdesk.shared.asyncdb import db_async

from .. import events, onscreen, pending, state
from ..contact import ContactOnScreen, contact_of
from ..forms import AddContactForm
from ..lookups import group_choices, outcome_menu
from ..models import ActionLog, AgentProfile, AgentSession
from ..onscreen import Shown

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
        logged = {**failure_fields(error), **entry, "error": message}
        failure = Result(ok=False, message=message, level="error")
        return await self.finish(kind, logged, failure, last_error=message)


@asynccontextmanager
async def agent_turn(
    profile: AgentProfile,
    record_for: Callable[[AgentSession], dict[str, Any] | None] | None = None,
) -> AsyncIterator[Turn | None]:
    """Take the agent's action lock for the block, or None while another action holds it.
    The lock is given back on leaving the block unless the turn finished.

    `record_for`, for an action whose write to LCM is known before its turn: builds the
    write's record (`pending.record`) from the session as locked, or None to record nothing;
    it is stored in the same trip as taking the lock, as `Turn.mark_pending` would store it."""
    try:
        if record_for is None:
            session, token = await db_async(pending.acquire)(profile)
            marked = False
        else:
            session, token, marked = await db_async(pending.acquire_and_mark)(profile, record_for)
    except state.Busy:
        yield None
        return
    turn = Turn(profile, session, token)
    turn.pending = marked
    try:
        yield turn
    finally:
        if turn.held:
            await turn.give_back()


async def busy(profile: AgentProfile, form: AddContactForm | None = None) -> Result:
    current = await db_async(state.session_for)(profile)
    return Result(ok=False, message=str(BUSY_MESSAGE), level="warning", session=current, form=form)


def exchange_fields(exchange: LcmExchange[Any]) -> dict[str, Any]:
    return {"subtopic": exchange.request.SUBTOPIC, "lcm_latency_ms": round(exchange.latency_ms, 1)}


def failure_fields(error: LcmError) -> dict[str, Any]:
    return {
        "ok": False,
        "subtopic": error.subtopic,
        "lcm_latency_ms": round(error.latency_ms, 1),
        "error_kind": error.kind,
        "result": "failed",
    }


def contact_fields(contact: m.Contact | ContactOnScreen) -> dict[str, Any]:
    return {
        "campaign": contact.campaign_id,
        "queue": contact.queue,
        "lcm_key": contact.account_number,
        "phone_last4": contact.phone_number[-4:],
    }


def new_call_id() -> str:
    return uuid.uuid4().hex


def settled_changes(session: AgentSession, kind: str) -> dict[str, Any]:
    """The session changes that forget an unconfirmed write of `kind`, and clear the notices."""
    remaining = {k: v for k, v in (session.unconfirmed or {}).items() if k != kind}
    return {"unconfirmed": remaining, "notice": "", "last_error": ""}
