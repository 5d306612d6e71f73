"""The monitor's fragments, rendered once per change and pushed to every monitor of the team."""

from __future__ import annotations

from collections.abc import Sequence

from django.template.loader import render_to_string
from django.utils import translation

from agentdesk.desk.lookups import OutcomeMenu, outcome_menu, queue_depths
from agentdesk.lcm.client import breaker_state
from agentdesk.shared.asyncdb import db_async
from agentdesk.teams.models import Team

from . import figures, stats

FRAGMENTS = (
    "monitor/_agents.html",
    "monitor/_charts.html",
    "monitor/_queues.html",
    "monitor/_feed.html",
    "monitor/_lcm_status.html",
)


def monitor_context(
    team: Team, open_counts: dict[str, int | None], menu: OutcomeMenu | None = None
) -> dict:
    rows = stats.agent_rows(team)
    return {
        "team": team,
        "menu": menu,
        "lcm": breaker_state(),
        "rows": rows,
        "queues": stats.queue_rows(team, rows, open_counts),
        "feed": stats.feed(team),
        **figures.today_charts(team),
    }


def render_fragments(
    team: Team,
    open_counts: dict[str, int | None],
    *,
    oob: bool = True,
    menu: OutcomeMenu | None = None,
) -> str:
    context = {**monitor_context(team, open_counts, menu), "oob": oob}
    return "\n".join(render_to_string(name, context) for name in FRAGMENTS)


async def team_context(team: Team) -> dict:
    names = await db_async(stats.team_queue_names)(team)
    depths = await queue_depths(names)
    return await db_async(monitor_context)(team, depths, await outcome_menu())


def changed_parts(
    team: Team,
    agent_ids: set[int],
    open_counts: dict[str, int | None],
    menu: OutcomeMenu | None = None,
) -> list[tuple[str, dict]]:
    """What changed for the monitors (the rows of `agent_ids`, the queues and the feed) as
    (template, context) pairs, every query already run, ready to render in any language."""
    changed = stats.agent_rows(team, only=agent_ids) if agent_ids else []
    presence = stats.presence_rows(team)
    context = {"team": team, "oob": True, "menu": menu}
    queues = stats.queue_rows(team, presence, open_counts)
    parts = [("monitor/_agent_row.html", {**context, "row": row}) for row in changed]
    parts.append(("monitor/_queues.html", {**context, "queues": queues}))
    parts.append(("monitor/_feed.html", {**context, "feed": stats.feed(team)}))
    parts.append(("monitor/_charts.html", {**context, **figures.today_charts(team)}))
    parts.append(("monitor/_lcm_status.html", {**context, "lcm": breaker_state()}))
    return parts


def render_parts(parts: list[tuple[str, dict]]) -> str:
    return "\n".join(render_to_string(name, context) for name, context in parts)


def render_changes(
    team: Team,
    agent_ids: set[int],
    open_counts: dict[str, int | None],
    menu: OutcomeMenu | None = None,
) -> str:
    """What changed for the monitors, rendered in the active language."""
    return render_parts(changed_parts(team, agent_ids, open_counts, menu))


async def render_team_changes(team_id: int, agent_ids: set[int]) -> str | None:
    team = await db_async(Team.objects.filter(pk=team_id).first)()
    if team is None:
        return None
    names = await db_async(stats.team_queue_names)(team)
    depths = await queue_depths(names)
    return await db_async(render_changes)(team, agent_ids, depths, await outcome_menu())


async def render_team_changes_in(
    team_id: int, agent_ids: set[int], languages: Sequence[str]
) -> dict[str, str] | None:
    """What changed, rendered once per language from one set of queries (the monitors of one
    team may be read in different languages); None when the team no longer exists."""
    team = await db_async(Team.objects.filter(pk=team_id).first)()
    if team is None:
        return None
    names = await db_async(stats.team_queue_names)(team)
    depths = await queue_depths(names)
    menu = await outcome_menu()

    def render() -> dict[str, str]:
        parts = changed_parts(team, agent_ids, depths, menu)
        rendered = {}
        for language in languages:
            with translation.override(language):
                rendered[language] = render_parts(parts)
        return rendered

    return await db_async(render)()


async def render_team(team_id: int) -> str | None:
    """The team's fragments; None when the team no longer exists."""
    team = await db_async(Team.objects.filter(pk=team_id).first)()
    if team is None:
        return None
    names = await db_async(stats.team_queue_names)(team)
    depths = await queue_depths(names)
    return await db_async(render_fragments)(team, depths, menu=await outcome_menu())
