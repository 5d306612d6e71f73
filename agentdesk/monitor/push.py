"""Keeping the monitors live: on every `agent_changed` the agent's team's open monitors get
what changed (the agent's row, the queues it touched, the feed; the charts at most every
MONITOR_CHARTS_SECONDS), rendered once per change.

Runs in the background, one team at a time and with a pause after each (so a team's monitor
never takes the worker from its agents), and only while some monitor of the team is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings

from agentdesk.desk.events import SELECT, AgentChanged
from agentdesk.desk.models import ActionLog
from agentdesk.language.sockets import languages, send_each
from agentdesk.shared.asyncdb import db_async
from agentdesk.teams.models import Team

from .figures import TeamFigures
from .live import Change, draw_charts, read_today, render_team_changes_in

log = logging.getLogger(__name__)


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


async def on_agent_changed(sender: Any, *, event: AgentChanged, **kwargs: Any) -> None:
    """The `agent_changed` receiver (connected in MonitorConfig.ready)."""
    if event.team_id:
        publish_team_soon(event.team_id, change_of(event))


def change_of(event: AgentChanged) -> Change:
    """What an agent's change changes on their team's monitors: their row; the queue they
    work (who works it now) and the one the action was in (its figures); for an action the
    feed and the charts; a new campaign group choice may add a queue: the whole table."""
    session, entry = event.session, event.entry
    queues = {session.campaign_group if session else "", entry.campaign_group if entry else ""}
    return Change(
        agents={event.agent_profile_id},
        queues=queues - {""},
        all_queues=event.kind == SELECT,
        feed=entry is not None,
        charts=entry is not None,
        callbacks=event.kind in (ActionLog.CALLBACK, ActionLog.REASSIGN) and event.ok,
    )


_background: set[asyncio.Task[None]] = set()


def publish_team_soon(team_id: int, change: Change | int | None = None) -> None:
    task = asyncio.get_running_loop().create_task(publish_team(team_id, change))
    _background.add(task)
    task.add_done_callback(_background.discard)


# What changed since a team's monitors were last updated, per team; while one update is
# being rendered, further changes collect here and go out together next, so a burst of N
# actions costs a couple of renders, not N.
_team_changes: dict[int, Change] = {}
_team_rendering: set[int] = set()


async def publish_team(team_id: int, change: Change | int | None = None) -> None:
    """Push what changed (an agent's id: that agent's row) to every monitor of the team."""
    if not isinstance(change, Change):
        change = Change(agents={change} if change is not None else set())
    _team_changes.setdefault(team_id, Change()).merge(change)
    if team_id in _team_rendering:
        return
    _team_rendering.add(team_id)
    try:
        while team_id in _team_changes:
            async with _render_turn().first():
                started = time.monotonic()
                await _publish_team_now(team_id, _team_changes.pop(team_id))
                # Hold the turn a while: under load, changes collect meanwhile and go out
                # together, and the monitors take at most MONITOR_SHARE of the worker.
                await asyncio.sleep((time.monotonic() - started) * (1 / MONITOR_SHARE - 1))
    finally:
        _team_rendering.discard(team_id)


# A monitor update costs far more than an agent's action. One team at a time is rendered per
# worker, each followed by a pause twice its length: a busy worker gives monitors at most a
# third of its time, and the agents' actions the rest. Within that third the teams' rows,
# queues and feed go first; the charts (a picture of the day) take their turn when no such
# update waits.
MONITOR_SHARE = 1 / 3
# The charts, a picture of the day, take a smaller share of the worker: reading a team's day
# figures (from its day counters, desk/daycounts.py), the worker's part of a redraw, is followed
# by a pause nine times as long; the drawing itself is done by another process
# (monitor/drawing.py) and sent when done, the turn meanwhile with other teams (drawn in the
# worker, MONITOR_CHARTS_PROCESS=0, it is a part of the turn and of the pause's length).
CHARTS_SHARE = 1 / 10


class Turn:
    """One monitor update at a time; those that wait go in order, the urgent ones first."""

    def __init__(self) -> None:
        self._busy = False
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @contextlib.asynccontextmanager
    async def first(self) -> AsyncIterator[None]:
        """The turn, before any update waiting `later`."""
        async with self._taken(0):
            yield

    @contextlib.asynccontextmanager
    async def later(self) -> AsyncIterator[None]:
        async with self._taken(1):
            yield

    @contextlib.asynccontextmanager
    async def _taken(self, rank: int) -> AsyncIterator[None]:
        if self._busy or self._waiting:
            ready = asyncio.get_running_loop().create_future()
            entry = (rank, next(self._arrivals), ready)
            heapq.heappush(self._waiting, entry)
            try:
                await ready  # handed over with the turn still taken
            except BaseException:
                if ready.done() and not ready.cancelled():
                    self._hand_on()  # given the turn while being cancelled: pass it on
                elif entry in self._waiting:
                    self._waiting.remove(entry)
                    heapq.heapify(self._waiting)
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        while self._waiting:
            ready = heapq.heappop(self._waiting)[2]
            if not ready.done():  # not cancelled meanwhile
                ready.set_result(None)
                return
        self._busy = False


_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Turn]
_turns = weakref.WeakKeyDictionary()


def _render_turn() -> Turn:
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = Turn()
    return turn


def _watched(team_id: int) -> bool:
    return Team.objects.filter(pk=team_id, monitors_open__gt=0).exists()


# Teams nobody watched when this worker last asked, until when (monotonic time). Most teams
# have no monitor open most of the time; remembering that for MONITOR_UNWATCHED_SECONDS
# spares each of their agents' actions a statement and a thread hop. A monitor that opens
# meanwhile renders its team once more after that time (MonitorConsumer), so it misses nothing.
_unwatched_until: dict[int, float] = {}
_now = time.monotonic  # the memory's clock (a test moves it instead of waiting)


def unwatched_seconds() -> float:
    return float(settings.MONITOR_UNWATCHED_SECONDS)


async def _is_watched(team_id: int) -> bool:
    now = _now()
    if _unwatched_until.get(team_id, 0.0) > now:
        return False
    watched = await db_async(_watched)(team_id)
    if watched:
        _unwatched_until.pop(team_id, None)
    elif unwatched_seconds() > 0:
        _unwatched_until[team_id] = now + unwatched_seconds()
    return watched


def forget_unwatched() -> None:
    _unwatched_until.clear()


def forget_pending() -> None:
    """Forget monitor updates in flight (their event loop is gone)."""
    _background.clear()
    _team_changes.clear()
    _team_rendering.clear()
    _charts_sent.clear()
    _charts_later.clear()


# The charts (today's figures per hour, per queue and per agent) cost more to draw than
# everything else a change renders together, and a person reads them as a picture of the
# day: each worker redraws a team's charts at most every MONITOR_CHARTS_SECONDS, and the
# changes meanwhile are drawn once that time is up.
_charts_sent: dict[int, float] = {}  # team: when this worker last drew its charts (monotonic)
_charts_later: dict[int, asyncio.Task[None]] = {}  # teams with a redraw scheduled


def charts_seconds() -> float:
    return float(settings.MONITOR_CHARTS_SECONDS)


def _charts_apart(team_id: int, change: Change) -> Change:
    """`change` without its charts, which follow in an update of their own once
    MONITOR_CHARTS_SECONDS have passed since this worker last drew them (at once if they
    have), taking their turn after the teams' rows, queues and feed."""
    if change.charts and team_id not in _charts_later:
        wait = _charts_sent.get(team_id, -1e9) + charts_seconds() - time.monotonic()
        loop = asyncio.get_running_loop()
        _charts_later[team_id] = loop.create_task(_charts_after(team_id, max(0.0, wait)))
    change.charts = False
    return change


async def _charts_after(team_id: int, wait: float) -> None:
    this = asyncio.current_task()
    try:
        await asyncio.sleep(wait)
        async with _render_turn().later():
            # From here a change is drawn by the next redraw (counted after this one's).
            if _charts_later.get(team_id) is this:
                del _charts_later[team_id]
            started = _charts_sent[team_id] = time.monotonic()
            today = await _today_if_watched(team_id)
            if today is not None and not settings.MONITOR_CHARTS_PROCESS:
                await _send_charts(team_id, today)  # drawn in the worker: in the turn
            elif today is not None:
                # The worker's part of a redraw is reading the figures: another process
                # draws them (monitor/drawing.py) while the turn goes on.
                sending = asyncio.get_running_loop().create_task(_send_charts(team_id, today))
                _background.add(sending)
                sending.add_done_callback(_background.discard)
            await asyncio.sleep((time.monotonic() - started) * (1 / CHARTS_SHARE - 1))
    finally:
        if _charts_later.get(team_id) is this:
            del _charts_later[team_id]


async def _today_if_watched(team_id: int) -> TeamFigures | None:
    try:
        if await _is_watched(team_id):
            return await read_today(team_id)
    except Exception:
        log.exception("could not read the charts of team %s", team_id)
    return None


async def _send_charts(team_id: int, today: TeamFigures) -> None:
    try:
        await send_each(
            team_group(team_id), "monitor.push", await draw_charts(team_id, today, languages())
        )
    except Exception:
        log.exception("could not draw the charts of team %s", team_id)


async def _publish_team_now(team_id: int, change: Change) -> None:
    try:
        if not await _is_watched(team_id):
            return  # nobody is looking: no render
        change = _charts_apart(team_id, change)
        # Each lead reads the monitor in their own language: one render per language.
        rendered = await render_team_changes_in(team_id, change, languages())
        if rendered is None:
            return
        await send_each(team_group(team_id), "monitor.push", rendered)
    except Exception:
        log.exception("could not publish to the monitors of team %s", team_id)
