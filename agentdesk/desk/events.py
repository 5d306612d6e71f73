"""Publishing an agent's state change, once, to every tab of that agent and to their team."""

from __future__ import annotations

import asyncio
import logging

from channels.layers import get_channel_layer

from agentdesk.asyncdb import db_async

from .lookups import group_choices, outcome_menu
from .models import AgentSession

log = logging.getLogger(__name__)


def agent_group(agent_profile_id: int) -> str:
    return f"agent.{agent_profile_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


async def render_for(session: AgentSession) -> str:
    from .rendering import render_live

    menu = await outcome_menu()
    groups = await group_choices(session.agent)
    return await db_async(render_live)(session, menu, groups)


async def publish(session: AgentSession) -> str:
    """Push the agent's fresh fragments to their group and tell their team's monitors; returns
    the fragments so the acting request can answer with the same HTML.

    A push that cannot be delivered (channel layer down) is logged, never raised: the state
    is already saved and every page resyncs from it on reconnect. The monitors are updated in
    the background, so a team's monitor never slows an agent down."""
    html = ""
    try:
        html = await render_for(session)
        await get_channel_layer().group_send(
            agent_group(session.agent_id), {"type": "desk.push", "html": html}
        )
    except Exception:
        log.exception("could not publish the state of agent %s", session.agent_id)
    if session.agent.team_id:
        publish_team_soon(session.agent.team_id, session.agent_id)
    return html


_background: set[asyncio.Task] = set()


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


def _watched(team_id: int) -> bool:
    from .models import Team

    return Team.objects.filter(pk=team_id, monitors_open__gt=0).exists()


async def _publish_team_now(team_id: int, agent_ids: set[int]) -> None:
    from agentdesk.monitor.live import render_team_changes

    try:
        if not await db_async(_watched)(team_id):
            return  # nobody is looking: no render
        html = await render_team_changes(team_id, agent_ids)
        if html is None:
            return
        await get_channel_layer().group_send(
            team_group(team_id), {"type": "monitor.push", "html": html}
        )
    except Exception:
        log.exception("could not publish to the monitors of team %s", team_id)
