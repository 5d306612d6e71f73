"""Query budget: how many SQL statements an agent's action and a page's (re)connect may cost.

Every statement is a round trip to the database (on PostgreSQL a network one) and, under load,
the bulk of a worker's time (docs/benchmarks.md). The budgets below are what the code needs
today; a change that adds a statement to these paths fails here and has to say why.

Counted: agentdesk's own statements, in whatever thread runs them (the actions run their ORM
work in worker threads, where Django's CaptureQueriesContext, bound to one thread's
connection, does not see it). Not counted: the embedded LCM simulator's statements (LCM is
another system; in production they run in LCM) and transaction control (BEGIN, SAVEPOINT,
RELEASE), which SQLite and PostgreSQL issue differently.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.test import Client

from agentdesk.asgi import application
from agentdesk.desk import actions, answer
from agentdesk.desk.models import ActionLog, AgentSession

from .helpers import add_contact

# Marked `postgres`: the test command runs these again on PostgreSQL, with its budgets.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SALES = "Sales Manual Group"
NOT_COUNTED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b|\blcmsim_", re.I)

# The budgets: statements per action, every one of them explained.
# Per database: on PostgreSQL the save is one statement (desk/state.py, release_and_log).
SKIP_BUDGET = {
    # take the lock, reading the session (1); record the close as in flight before LCM is
    # asked, so a worker killed after LCM acted leaves a trace (1, desk/pending.py); save the
    # result, free the lock and read the session back, write the log entry, count it in the
    # team's day counter (desk/daycounts.py) and read the agent's recent log for the render
    # (1); the monitor asking whether anyone watches the team (1, in the background)
    "postgresql": 4,
    # the same, with the save's four parts one by one (the save, the log entry, the counter,
    # the recent log)
    "sqlite": 7,
}
NEXT_EXTRA = 2  # the same (a fetch is recorded in flight too; whether the contact handed
# out has a retired LCM key is part of the save's statement on PostgreSQL, one more on
# SQLite); the compliance guard on the card: the do-not-call list and the consent evidence
# (2; never cached, an opt-out holds at once; campaign policies and preview limits come from
# memory)
NEXT_BUDGET = {"postgresql": SKIP_BUDGET["postgresql"] + NEXT_EXTRA, "sqlite": 7 + 1 + NEXT_EXTRA}
REFUSED_BUDGET = 2  # take the lock and give it back; nothing changed, nothing to announce
CONNECT_BUDGET = 7  # connect (5): no statement in the handshake: the login session, the user
# and the agent profile of a page that connected minutes ago come from the handshake cache
# (liveaccess/handshake_cache.py; a cold handshake reads them in one trip: 3 more); once the
# access groups are joined, in one trip, the access check again: the login session, with its
# expiry (access ends with it), the user, and the cached profile's user, LCM agent ID, team and
# groups (3; read from the database, never the cache: a session ended during the handshake,
# deleted where nothing hears of it, or a profile changed by a bulk update would otherwise go
# unnoticed), count the connection (1); no render and no recent log: an idle agent's fragments
# of this session version come from the render cache (desk/render_cache.py); the monitor
# asking whether anyone watches the team (1, in the background). Leave (2): count the
# connection, the monitor's check


async def settled() -> None:
    """Let the monitor's background pushes that an action started finish (their statements
    belong to the action's cost)."""
    from agentdesk.monitor import push

    await asyncio.sleep(0)
    while push._background:
        await asyncio.gather(*list(push._background), return_exceptions=True)


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement agentdesk runs inside the block, from any thread."""
    seen: list[str] = []
    original = CursorWrapper._execute_with_wrappers  # type: ignore[attr-defined]

    def recording(self, sql, params, many, executor):
        if not NOT_COUNTED.search(sql):
            seen.append(sql)
        return original(self, sql, params, many, executor)

    CursorWrapper._execute_with_wrappers = recording  # type: ignore[attr-defined]
    try:
        yield seen
    finally:
        CursorWrapper._execute_with_wrappers = original  # type: ignore[attr-defined]


def explain(seen: list[str]) -> str:
    return "\n".join(f"  {n + 1}. {sql[:160]}" for n, sql in enumerate(seen))


def as_page(profile):
    """The context a page's action runs with (desk/answer.py): its renderer draws the
    fragments in the trip that saves the result, as in production."""
    return answer.context_for(profile)


@pytest.fixture
def warm(agents):
    """An agent who has worked before (session row exists, reference data cached), as on
    any action but the first of the day."""
    for n in range(4):
        add_contact(phone=f"20255577{n:02d}")
    alice = agents["alice"]
    return alice


async def test_next_and_skip_stay_within_their_query_budget(warm):
    alice = warm
    first = await actions.next_contact(
        alice, campaign_group=SALES, consent="Both", context=as_page(alice)
    )
    assert first.ok, first.message
    assert (await actions.skip_contact(alice, outcome_id="8", context=as_page(alice))).ok
    await settled()

    with statements() as seen:
        result = await actions.next_contact(
            alice, campaign_group=SALES, consent="Both", context=as_page(alice)
        )
        await settled()
    assert result.ok and result.session, result.message
    assert result.session.state == AgentSession.PREVIEWING
    assert len(seen) <= NEXT_BUDGET[connection.vendor], (
        f"Next ran {len(seen)} statements:\n{explain(seen)}"
    )

    with statements() as seen:
        result = await actions.skip_contact(alice, outcome_id="8", context=as_page(alice))
        await settled()
    assert result.ok and result.session, result.message
    assert result.session.state == AgentSession.IDLE
    assert len(seen) <= SKIP_BUDGET[connection.vendor], (
        f"Skip ran {len(seen)} statements:\n{explain(seen)}"
    )

    # The budget did not cost the log entries.
    kinds = await sync_to_async(
        lambda: list(ActionLog.objects.filter(agent=alice).values_list("kind", flat=True))
    )()
    assert sorted(kinds) == ["next", "next", "skip", "skip"]


async def test_a_refused_action_costs_no_more_than_a_done_one(warm):
    """Skip with nothing on screen: the lock is taken and given back, nothing else."""
    alice = warm
    await actions.skip_contact(alice, outcome_id="8", context=as_page(alice))  # warm the caches
    await settled()
    with statements() as seen:
        result = await actions.skip_contact(alice, outcome_id="8", context=as_page(alice))
        await settled()
    assert not result.ok and "no contact" in result.message
    assert len(seen) <= REFUSED_BUDGET, f"refused Skip ran {len(seen)}:\n{explain(seen)}"


async def test_a_page_connecting_stays_within_its_query_budget(warm):
    """The reconnect path: session cookie to resynced page, as after a deploy."""
    alice = warm

    def cookie() -> str:
        client = Client()
        client.force_login(alice.user)
        return client.cookies["sessionid"].value

    headers = [
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"sessionid={await sync_to_async(cookie)()}".encode()),
    ]

    async def connect_once() -> str:
        page = WebsocketCommunicator(application, "/ws/desk/", headers=headers)
        connected, _ = await page.connect()
        assert connected
        first = await page.receive_from(timeout=5)
        await page.disconnect()
        return first

    await connect_once()  # the first of the day fills the caches
    await settled()
    with statements() as seen:
        first = await connect_once()
        await settled()
    assert 'id="agent-status"' in first
    assert len(seen) <= CONNECT_BUDGET, (
        f"connect + disconnect ran {len(seen)} statements:\n{explain(seen)}"
    )


@contextmanager
def trips() -> Iterator[list[str]]:
    """Every trip agentdesk's async code makes to a worker thread for database work."""
    from channels.db import DatabaseSyncToAsync

    made: list[str] = []
    original = DatabaseSyncToAsync.thread_handler

    def counting(self, loop, *args, **kwargs):
        if not getattr(self.func, "__module__", "").startswith("agentdesk.lcmsim"):  # LCM's
            made.append(getattr(self.func, "__qualname__", repr(self.func)))
        return original(self, loop, *args, **kwargs)

    DatabaseSyncToAsync.thread_handler = counting
    try:
        yield made
    finally:
        DatabaseSyncToAsync.thread_handler = original


# Trips to a worker thread per action: each is a hop to another thread and back, on the
# action's way (docs/benchmarks.md, "Action cost").
NEXT_TRIPS = 3  # take the turn and record the fetch as in flight (1, pending.acquire_and_mark);
# save, log and render (1); the monitor asking whether anyone watches the team (1, background)
SKIP_TRIPS = 4  # take the turn (1); record the close as in flight (1: its record needs the
# contact on screen, read with the turn); save, log and render (1); the monitor's check (1)


async def test_next_and_skip_stay_within_their_trip_budget(warm):
    alice = warm
    assert (
        await actions.next_contact(
            alice, campaign_group=SALES, consent="Both", context=as_page(alice)
        )
    ).ok
    assert (await actions.skip_contact(alice, outcome_id="8", context=as_page(alice))).ok
    await settled()
    with trips() as made:
        assert (
            await actions.next_contact(
                alice, campaign_group=SALES, consent="Both", context=as_page(alice)
            )
        ).ok
        await settled()
    assert len(made) <= NEXT_TRIPS, f"Next made {len(made)} trips: {made}"
    with trips() as made:
        assert (await actions.skip_contact(alice, outcome_id="8", context=as_page(alice))).ok
        await settled()
    assert len(made) <= SKIP_TRIPS, f"Skip made {len(made)} trips: {made}"
