"""Writes to LCM in flight: recorded before they are sent, so a worker killed after LCM acted
leaves a trace that becomes an "outcome unknown" with a log row.

An action that writes to LCM (a close, an add, and any wrap-up write) records itself on the
agent's session row, under the action lock, before it sends (`mark`): what it is, the contact,
the outcome, and the action log entry it would write. Finishing the action removes the record
in the same statement that saves its result. A record still there when someone else holds the
lock — the next action of the agent (the lock expired or was given back without a result), the
page's reconnect after a restart, or the job runner's sweep — belongs to an action that never
finished: `settle` logs it as an unknown outcome (the monitor, exports and webhooks see it) and
leaves it for the reconcile the agent's next try makes (desk/actions/closing.py and
adding.py: the writes whose outcome LCM did not confirm).

Plain synchronous ORM functions; desk.actions calls them through db_async.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import state
from .models import ActionLog, AgentProfile, AgentSession

log = logging.getLogger(__name__)

PENDING = "pending"  # the key of the record in AgentSession.unconfirmed


def record(kind: str, entry: dict[str, Any], **remember: Any) -> dict[str, Any]:
    """The record of a write about to be sent: its kind, the log entry it would write, and what
    a reconcile needs (`remember`: lcm_key, outcome_id, outcome_name, request_token, …)."""
    at = timezone.now().isoformat(timespec="seconds")
    return {"kind": kind, "entry": entry, "at": at, **remember}


def mark(session: AgentSession, token: str, pending: dict[str, Any]) -> bool:
    """Store `pending` on the session row, if the action still holds the lock `token`."""
    unconfirmed = {**(session.unconfirmed or {}), PENDING: pending}
    stored = AgentSession.objects.filter(pk=session.pk, busy_token=token).update(
        unconfirmed=unconfirmed
    )
    if stored:
        session.unconfirmed = unconfirmed
    return bool(stored)


def without_pending(unconfirmed: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (unconfirmed or {}).items() if k != PENDING}


MAX_UNKNOWN_ADDS = 20


def with_unknown_add(unconfirmed: dict[str, Any], earlier: dict[str, Any]) -> dict[str, Any]:
    """`unconfirmed` with one more add of unknown outcome (the oldest dropped past a limit)."""
    adds = [e for e in unconfirmed.get("adds") or [] if isinstance(e, dict)]
    if isinstance(unconfirmed.get("add"), dict):
        adds.insert(0, unconfirmed["add"])
    remaining = {k: v for k, v in unconfirmed.items() if k != "add"}
    remaining["adds"] = [*adds, earlier][-MAX_UNKNOWN_ADDS:]
    return remaining


def pending_of(session: AgentSession) -> dict[str, Any] | None:
    found = (session.unconfirmed or {}).get(PENDING)
    return found if isinstance(found, dict) else None


def acquire(profile: AgentProfile) -> tuple[AgentSession, str]:
    """`state.acquire`, and a write left pending by an action that never finished settled as an
    unknown outcome (the lock is ours, so whoever recorded it is gone)."""
    session, token = state.acquire(profile)
    if pending_of(session) is not None:
        session, _entry = settle(session, token)
    return session, token


def acquire_and_mark(
    profile: AgentProfile, record_for: Callable[[AgentSession], dict[str, Any] | None]
) -> tuple[AgentSession, str, bool]:
    """`acquire`, then `mark` the record `record_for` builds from the session as locked (None:
    nothing to record), in one trip to the database thread: an action whose write to LCM is
    known before its turn (a fetch) saves the trip of the mark of its own. The session, the
    lock's token, and whether the record is stored."""
    session, token = acquire(profile)
    try:
        record = record_for(session)
        return session, token, record is not None and mark(session, token, record)
    except BaseException:
        # No turn holds the lock yet to give it back (as the action's block did when the mark
        # was its first step): without this a failed mark left the agent busy until the lock
        # expired.
        state.release(session, token)
        raise


def settle(session: AgentSession, token: str) -> tuple[AgentSession, ActionLog | None]:
    """With the agent's lock held (`token`): log the write left pending as an unknown outcome,
    remember it for the reconcile, and say so on the agent's screen. The session as now stored
    (the lock still held) and the log row written."""
    pending = pending_of(session)
    if pending is None:
        return session, None
    unconfirmed = without_pending(session.unconfirmed)
    kind = str(pending.get("kind", ""))
    if kind in ActionLog.CLOSING_KINDS and pending.get("lcm_key"):
        outcome = f"{pending.get('outcome_id')} {pending.get('outcome_name', '')}".strip()
        message = _(
            "agentdesk stopped before LCM answered: LCM may already have closed this contact "
            "with %(outcome)s. Skip again with the same outcome to confirm."
        ) % {"outcome": outcome}
        unconfirmed["skip"] = {
            "lcm_key": pending["lcm_key"],
            "outcome_id": pending.get("outcome_id"),
            "outcome_name": pending.get("outcome_name", ""),
            "at": pending.get("at", ""),
        }
    elif kind == ActionLog.ADD:
        message = _(
            "agentdesk stopped before LCM answered: LCM may have added the contact to "
            "%(campaign)s. Check the campaign in LCM before adding it again."
        ) % {"campaign": pending.get("campaign", "")}
        earlier = {k: pending.get(k, "") for k in ("request_token", "campaign", "number", "at")}
        unconfirmed = with_unknown_add(unconfirmed, earlier)
    elif kind in (ActionLog.NEXT, ActionLog.RESERVED):
        message = _(
            "agentdesk stopped before LCM answered: LCM may have handed you a contact. Press "
            "Reserved or Next Contact: LCM gives back a contact it holds for you."
        )
    else:
        message = _(
            "agentdesk stopped before LCM answered: LCM may have done your last action. "
            "Check before doing it again."
        )
    entry = dict(pending.get("entry") or {})
    entry.update(ok=False, result="outcome unknown", error=message, error_kind="unknown")
    entry.pop("request_token", None)  # the token names a success; this one is not known
    at = _moment(pending.get("at"))
    written = None
    with transaction.atomic():
        updated = AgentSession.objects.filter(pk=session.pk, busy_token=token).update(
            unconfirmed=unconfirmed, last_error=message[:500]
        )
        if updated:
            written = state.write_log(session.agent, kind, at=at, **entry)
    if updated:
        log.warning("agent %s: %s left pending, logged as outcome unknown", session.agent, kind)
        session.unconfirmed, session.last_error = unconfirmed, message[:500]
    return session, written


def _moment(text: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return timezone.now()
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def settle_if_abandoned(profile: AgentProfile) -> tuple[AgentSession, ActionLog] | None:
    """Settle the agent's pending write when no live action holds the lock (its worker died):
    the session as now stored and the log row; None when nothing was settled (no record, or an
    action is running and will finish it)."""
    try:
        session, token = state.acquire(profile)
    except state.Busy:
        return None
    settled, written = settle(session, token)
    released = state.release(settled, token)
    if written is None or released is None:
        return None
    return released, written


def settle_abandoned() -> int:
    """The job runner's sweep: settle every pending write whose action's lock has expired or
    was given back without a result. Idempotent (each is settled under the agent's lock)."""
    now = timezone.now()
    sessions = (
        AgentSession.objects.filter(unconfirmed__has_key=PENDING)
        .exclude(busy_token__gt="", busy_until__gte=now)
        .select_related("agent__user", "agent__team")
    )
    settled = 0
    for session in sessions:
        done = settle_if_abandoned(session.agent)
        if done is not None:
            settled += 1
            _publish(*done)
    return settled


def _publish(session: AgentSession, entry: ActionLog) -> None:
    """Tell the agent's pages and the listeners above the desk (monitor, webhooks) — through
    the channel layer, so across processes only with a shared one."""
    from asgiref.sync import async_to_sync

    from . import events

    try:
        async_to_sync(events.publish)(session, events.AgentChanged.of_action(session, entry))
    except Exception:  # the row is right; pages see it on their next resync
        log.exception("could not publish the settled session of %s", session.agent)
