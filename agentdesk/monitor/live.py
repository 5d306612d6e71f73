"""The monitor's fragments, rendered once per change and pushed to every monitor of the team."""

from __future__ import annotations

from django.template.loader import render_to_string

from agentdesk.asyncdb import db_async
from agentdesk.desk.lookups import queue_depths
from agentdesk.desk.models import Team

from . import stats

FRAGMENTS = ("monitor/_agents.html", "monitor/_queues.html", "monitor/_feed.html")


def monitor_context(team: Team, open_counts: dict[str, int | None]) -> dict:
    rows = stats.agent_rows(team)
    return {
        "team": team,
        "rows": rows,
        "queues": stats.queue_rows(team, rows, open_counts),
        "feed": stats.feed(team),
    }


def render_fragments(team: Team, open_counts: dict[str, int | None], *, oob: bool = True) -> str:
    context = {**monitor_context(team, open_counts), "oob": oob}
    return "\n".join(render_to_string(name, context) for name in FRAGMENTS)


async def team_context(team: Team) -> dict:
    names = await db_async(stats.team_queue_names)(team)
    depths = await queue_depths(names)
    return await db_async(monitor_context)(team, depths)


async def render_team(team_id: int) -> str | None:
    """The team's fragments; None when the team no longer exists."""
    team = await db_async(Team.objects.filter(pk=team_id).first)()
    if team is None:
        return None
    names = await db_async(stats.team_queue_names)(team)
    depths = await queue_depths(names)
    return await db_async(render_fragments)(team, depths)
