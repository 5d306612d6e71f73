"""Publishing an agent's state change, once, to every tab of that agent and to their team."""

from __future__ import annotations

import logging

from channels.layers import get_channel_layer

from agentdesk.asyncdb import db_async

from .lookups import group_choices, outcome_menu
from .models import ActionLog, AgentSession

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


async def publish(session: AgentSession, entry: ActionLog | None = None) -> None:
    """Push the agent's fresh fragments to their group and tell their team's monitors.

    A push that cannot be delivered (channel layer down) is logged, never raised: the state
    is already saved and every page resyncs from it on reconnect."""
    try:
        layer = get_channel_layer()
        html = await render_for(session)
        await layer.group_send(agent_group(session.agent_id), {"type": "desk.push", "html": html})
    except Exception:
        log.exception("could not publish the state of agent %s", session.agent_id)
    if session.agent.team_id:
        await publish_team(session.agent.team_id)


# Teams whose monitor push is being rendered in this process; a change arriving meanwhile
# marks the team dirty and the running render goes round once more. A burst of N actions
# then costs about two renders of the team, not N.
_team_renders: dict[int, bool] = {}


async def publish_team(team_id: int) -> None:
    """Render the team's monitor fragments once and push them to every monitor of the team."""
    if team_id in _team_renders:
        _team_renders[team_id] = True
        return
    _team_renders[team_id] = False
    try:
        while True:
            await _publish_team_now(team_id)
            if not _team_renders.get(team_id):
                break
            _team_renders[team_id] = False
    finally:
        _team_renders.pop(team_id, None)


async def _publish_team_now(team_id: int) -> None:
    from agentdesk.monitor.live import render_team

    try:
        html = await render_team(team_id)
        if html is None:
            return
        await get_channel_layer().group_send(
            team_group(team_id), {"type": "monitor.push", "html": html}
        )
    except Exception:
        log.exception("could not publish to the monitors of team %s", team_id)
