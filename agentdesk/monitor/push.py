"""Keeping the monitors live: on every `agent_changed` the agent's team's open monitors get
what changed (the agent's row, the queues, the feed), rendered once per change.

Runs in the background, so a team's monitor never slows an agent down, and only while some
monitor of the team is open.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from agentdesk.asyncdb import db_async
from agentdesk.desk.events import AgentChanged
from agentdesk.language.sockets import languages, send_each
from agentdesk.teams.models import Team

from .live import render_team_changes_in

log = logging.getLogger(__name__)


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


async def on_agent_changed(sender: Any, *, event: AgentChanged, **kwargs: Any) -> None:
    """The `agent_changed` receiver (connected in MonitorConfig.ready)."""
    if event.team_id:
        publish_team_soon(event.team_id, event.agent_profile_id)


_background: set[asyncio.Task[None]] = set()


def publish_team_soon(team_id: int, agent_id: int | None = None) -> None:
    task = asyncio.get_running_loop().create_task(publish_team(team_id, agent_id))
    _background.add(task)
    task.add_done_callback(_background.discard)


# Agents whose rows changed since their team's monitors were last updated, per team; while
# one update is being rendered, further changes collect here and go out together next, so a
# burst of N actions costs a couple of renders, not N.
_team_changes: dict[int, set[int]] = {}
_team_rendering: set[int] = set()


async def publish_team(team_id: int, agent_id: int | None = None) -> None:
    """Push what changed (the agent's row, the queues, the feed) to every monitor of the team."""
    changed = _team_changes.setdefault(team_id, set())
    if agent_id is not None:
        changed.add(agent_id)
    if team_id in _team_rendering:
        return
    _team_rendering.add(team_id)
    try:
        while team_id in _team_changes:
            await _publish_team_now(team_id, _team_changes.pop(team_id))
    finally:
        _team_rendering.discard(team_id)


def _watched_teams(team_ids: list[int]) -> set[int]:
    open_ = Team.objects.filter(pk__in=team_ids, monitors_open__gt=0)
    return set(open_.values_list("pk", flat=True))


class _WatchChecks:
    """Whether a team's monitor is open, asked by many teams at once (a reconnect storm after
    a deploy announces every agent of every team): one query at a time per worker answers
    every team asked meanwhile. Each answer comes from a query that started after it was
    asked, so a change saved before asking reaches every monitor open by then."""

    def __init__(self) -> None:
        self.asked: dict[int, list[asyncio.Future[bool]]] = {}
        self.running: asyncio.Task[None] | None = None

    async def watched(self, team_id: int) -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        self.asked.setdefault(team_id, []).append(answer)
        if self.running is None:
            self.running = loop.create_task(self._answer())
        return await answer

    async def _answer(self) -> None:
        try:
            while self.asked:
                batch, self.asked = self.asked, {}
                try:
                    watched = await db_async(_watched_teams)(list(batch))
                except Exception as exc:
                    for answers in batch.values():
                        for answer in answers:
                            if not answer.done():
                                answer.set_exception(exc)
                    continue
                for team_id, answers in batch.items():
                    for answer in answers:
                        if not answer.done():
                            answer.set_result(team_id in watched)
        finally:
            self.running = None


_watch_checks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _WatchChecks] = (
    weakref.WeakKeyDictionary()
)


async def watched(team_id: int) -> bool:
    """Whether some monitor of the team is open now."""
    loop = asyncio.get_running_loop()
    checks = _watch_checks.get(loop)
    if checks is None:
        checks = _watch_checks[loop] = _WatchChecks()
    return await checks.watched(team_id)


async def _publish_team_now(team_id: int, agent_ids: set[int]) -> None:
    try:
        if not await watched(team_id):
            return  # nobody is looking: no render
        # Each lead reads the monitor in their own language: one render per language.
        rendered = await render_team_changes_in(team_id, agent_ids, languages())
        if rendered is not None:
            await send_each(team_group(team_id), "monitor.push", rendered)
    except Exception:
        log.exception("could not publish to the monitors of team %s", team_id)
