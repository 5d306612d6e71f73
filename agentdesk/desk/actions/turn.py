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
from dataclasses import replace
from typing import Any

from django.utils.translation import gettext_lazy

from agentdesk.lcm import messages as m
from agentdesk.lcm.client import LcmExchange
from agentdesk.lcm.errors import LcmError
from agentdesk.shared.asyncdb import db_async

from .. import events, onscreen, pending, state
from ..contact import ContactOnScreen, contact_of
from ..models import ActionLog, AgentProfile, AgentSession
from ..onscreen import Shown
from .context import ActionContext, AddForm, Outcome

log = logging.getLogger(__name__)


BUSY_MESSAGE = gettext_lazy("Your previous action is still running; wait for it to finish.")


# ------------------------------------------------------------------------ the agent's turn


class Turn:
    """The agent's turn to act: the session row as locked, and the lock's token."""

    def __init__(self, context: ActionContext, session: AgentSession, token: str) -> None:
        self.context = context
        self.profile = context.profile
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

    async def refuse(self, message: str, level: str = "warning") -> Outcome:
        """Give the turn back with nothing changed, saying why."""
        return Outcome(ok=False, message=message, level=level, session=await self.give_back())

    async def refuse_unless_shown(self, shown: Shown | None, message: str = "") -> Outcome | None:
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
        self, kind: str, entry: dict[str, Any], result: Outcome, **changes: Any
    ) -> Outcome:
        """Save `changes` and free the lock, write the log entry, publish once; `result` with
        the session as now stored and the log entry.

        One trip to a worker thread: the result and its log entry in one transaction, then
        the fragments rendered from the row as stored by the context's renderer (the push and
        the acting tab's answer share that render)."""
        finished = await self.finish_unless_retired("", kind, entry, result, **changes)
        assert finished is not None  # no key to check: always finished
        return finished

    async def finish_unless_retired(
        self, lcm_key: str, kind: str, entry: dict[str, Any], result: Outcome, **changes: Any
    ) -> Outcome | None:
        """`finish`, unless `lcm_key` is a retired key: then None, with nothing changed and
        the turn still held (checked in the same trip, so a contact shown costs no extra
        one)."""
        render = self.context.render
        menu, groups = await self.context.lookups()
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
            html = render(updated, menu, groups, recent) if render is not None else None
            return updated, written, html

        applied = await db_async(apply)()
        if applied is None:
            return None
        updated, written, html = applied
        self.held = False
        took = time.perf_counter() - self.started
        event = events.AgentChanged.of_action(updated, written, seconds=took)
        await events.publish(updated, event, html=html, action_id=self.context.action_id)
        return replace(result, session=updated, entry=written)

    async def failed(
        self, kind: str, error: LcmError, entry: dict[str, Any], message: str = ""
    ) -> Outcome:
        """LCM failed: the state stays as it was; the failure is logged and shown."""
        message = message or error.describe()
        logged = {**failure_fields(error), **entry, "error": message}
        failure = Outcome(ok=False, message=message, level="error")
        return await self.finish(kind, logged, failure, last_error=message)


@asynccontextmanager
async def agent_turn(
    context: ActionContext,
    record_for: Callable[[AgentSession], dict[str, Any] | None] | None = None,
) -> AsyncIterator[Turn | None]:
    """Take the agent's action lock for the block, or None while another action holds it.
    The lock is given back on leaving the block unless the turn finished.

    `record_for`, for an action whose write to LCM is known before its turn: builds the
    write's record (`pending.record`) from the session as locked, or None to record nothing;
    it is stored in the same trip as taking the lock, as `Turn.mark_pending` would store it."""
    profile = context.profile
    try:
        if record_for is None:
            session, token = await db_async(pending.acquire)(profile)
            marked = False
        else:
            session, token, marked = await db_async(pending.acquire_and_mark)(profile, record_for)
    except state.Busy:
        yield None
        return
    turn = Turn(context, session, token)
    turn.pending = marked
    try:
        yield turn
    finally:
        if turn.held:
            await turn.give_back()


async def busy(profile: AgentProfile, add_form: AddForm | None = None) -> Outcome:
    current = await db_async(state.session_for)(profile)
    message = str(BUSY_MESSAGE)
    return Outcome(ok=False, message=message, level="warning", session=current, add_form=add_form)


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
