"""An action's result, its log entry and its team's day counters are saved together: on
PostgreSQL in one statement (one round trip: the retired-key check, the session's UPDATE, the
log's INSERT and the counter's upsert), elsewhere in one transaction; either way with the same outcome. Marked `postgres`: the test command
runs these again on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils.timezone import localdate

from agentdesk.desk import state
from agentdesk.desk.models import ActionLog, AgentSession, DayCount
from agentdesk.retiredkeys.models import RetiredKey

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONTACT = {"AccountNumber": "1|1|7|0|0|84|7", "PhoneNumber": "2025550199", "Extra": [1, "two"]}


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []
    original = CursorWrapper._execute_with_wrappers  # type: ignore[attr-defined]

    def recording(self, sql, params, many, executor):
        if not sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")):
            seen.append(sql)
        return original(self, sql, params, many, executor)

    CursorWrapper._execute_with_wrappers = recording  # type: ignore[attr-defined]
    try:
        yield seen
    finally:
        CursorWrapper._execute_with_wrappers = original  # type: ignore[attr-defined]


def locked(profile) -> tuple[AgentSession, str]:
    state.session_for(profile)
    return state.acquire(profile)


def test_the_result_and_its_log_entry_in_one_round_trip(agents):
    alice = agents["alice"]
    session, token = locked(alice)
    with statements() as seen:
        saved = state.release_and_log(
            session,
            token,
            ActionLog.NEXT,
            {"lcm_key": CONTACT["AccountNumber"], "result": "x" * 400, "ok": True},
            {"state": AgentSession.PREVIEWING, "contact": CONTACT},
            unless_retired=CONTACT["AccountNumber"],
        )
    # PostgreSQL: one statement, in autocommit (no BEGIN, no COMMIT: psycopg sends those
    # without a cursor, so they do not show here); SQLite: the key's check, the UPDATE, the
    # INSERT and the counter's upsert in a transaction, and the recent log.
    assert len(seen) == (1 if connection.vendor == "postgresql" else 5), seen
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert saved is not None
    updated, written, recent = saved
    assert updated is not None and written.pk is not None
    assert recent == [written]
    stored = AgentSession.objects.get(pk=session.pk)
    assert stored.version == session.version + 1 == updated.version
    assert stored.contact == CONTACT == updated.contact  # JSON read back as the ORM reads it
    assert stored.state == updated.state == AgentSession.PREVIEWING
    assert stored.busy_token == "" and stored.state_since == updated.state_since
    assert updated.agent is alice
    entry = ActionLog.objects.get(pk=written.pk)
    assert entry.result == written.result == "x" * 300  # cut to the column, as before
    assert entry.at == written.at and entry.team_id == alice.team_id == written.team_id
    assert entry.kind == ActionLog.NEXT and written.agent is alice
    counted = DayCount.objects.get()
    assert (counted.agent_id, counted.team_id, counted.day) == (
        alice.pk,
        alice.team_id,
        localdate(entry.at),
    )
    assert (counted.logged, counted.fetched, counted.skipped) == (1, 1, 0)


def test_a_retired_key_saves_nothing_and_keeps_the_turn(agents):
    alice = agents["alice"]
    RetiredKey.objects.create(lcm_key=CONTACT["AccountNumber"])
    session, token = locked(alice)
    saved = state.release_and_log(
        session,
        token,
        ActionLog.NEXT,
        {"lcm_key": CONTACT["AccountNumber"]},
        {"state": AgentSession.PREVIEWING, "contact": CONTACT},
        unless_retired=f" {CONTACT['AccountNumber']} ",
    )
    assert saved is None
    stored = AgentSession.objects.get(pk=session.pk)
    assert stored.busy_token == token and stored.version == session.version  # still held
    assert stored.contact is None
    assert not ActionLog.objects.exists() and not DayCount.objects.exists()


def test_a_lost_lock_still_logs_what_happened(agents):
    """The lock expired and another action took over: the session is not touched, the log
    says what this action did."""
    alice = agents["alice"]
    session, _token = locked(alice)
    saved = state.release_and_log(
        session,
        "not-the-token",
        ActionLog.SKIP,
        {"outcome_id": 8, "ok": True},
        {"state": AgentSession.IDLE, "contact": None},
    )
    assert saved is not None
    updated, written, _recent = saved
    assert updated is None
    assert AgentSession.objects.get(pk=session.pk).busy_token != ""
    assert ActionLog.objects.get(pk=written.pk).outcome_id == 8


def test_a_failing_log_entry_saves_nothing(agents):
    """The two writes commit together or not at all (here the log's one-entry-per-request
    rule refuses the second entry)."""
    from django.db import IntegrityError

    alice = agents["alice"]
    ActionLog.objects.create(agent=alice, team_id=alice.team_id, kind="add", request_token="t1")
    session, token = locked(alice)
    with pytest.raises(IntegrityError):
        state.release_and_log(
            session, token, ActionLog.ADD, {"request_token": "t1"}, {"notice": "added"}
        )
    stored = AgentSession.objects.get(pk=session.pk)
    assert stored.busy_token == token and stored.notice == ""  # the UPDATE did not stand
    assert not DayCount.objects.exists()  # nor the counter's upsert


def test_the_recent_log_comes_back_with_the_save(agents):
    """The agent's recent log for the render is read with the save (on PostgreSQL in its
    statement): the newest entries first, the one just written among them, as a separate
    read afterwards finds them."""
    alice, bob = agents["alice"], agents["bob"]
    for n in range(state.RECENT_ACTIONS + 2):
        state.write_log(alice, ActionLog.NEXT, result=f"earlier {n}")
    state.write_log(bob, ActionLog.NEXT, result="not hers")
    session, token = locked(alice)
    saved = state.release_and_log(
        session, token, ActionLog.SKIP, {"outcome_id": 8, "ok": True}, {"notice": "done"}
    )
    assert saved is not None
    assert saved.recent[0] == saved.entry
    assert len(saved.recent) == state.RECENT_ACTIONS
    assert saved.recent == state.recent_actions(alice)
    assert all(entry.agent_id == alice.pk for entry in saved.recent)
