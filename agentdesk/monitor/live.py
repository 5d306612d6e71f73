"""The monitor's fragments: the whole monitor for a page that (re)connects, and for each change
only what it changed (the agent's row, the queues it touched, the feed; the charts at most
every MONITOR_CHARTS_SECONDS), rendered once per change and pushed to every monitor of the
team.

A push is a list of websocket frames: the fragments, then the changed queues' table rows in
a frame of their own (an HTML parser keeps a bare `<tr>` only at the start of a fragment,
and the page's socket swaps only the frame's top-level elements)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from agentdesk.desk.lookups import OutcomeMenu, outcome_menu, queue_depths
from agentdesk.lcm.client import breaker_state
from agentdesk.shared.asyncdb import db_async
from agentdesk.teams.models import Team

from . import callback_views, drawing, figures, stats

FRAGMENTS = (
    "monitor/_agents.html",
    "monitor/_charts.html",
    "monitor/_queues.html",
    "monitor/_feed.html",
    "monitor/_lcm_status.html",
)
ROW = "monitor/_agent_row.html"
QUEUE_ROW = "monitor/_queue_row.html"
CHARTS = "monitor/_charts.html"


@dataclass
class Change:
    """What changed for a team's monitors since they were last updated; changes that arrive
    while an update renders are merged and go out together."""

    agents: set[int] = field(default_factory=set)
    queues: set[str] = field(default_factory=set)  # campaign groups whose figures changed
    all_queues: bool = False  # the set of queues may have changed: the whole table
    feed: bool = False  # a new action log entry
    charts: bool = False  # today's figures changed (the charts follow at most every few s)
    callbacks: bool = False  # a callback was booked or moved

    def merge(self, other: Change) -> None:
        self.agents |= other.agents
        self.queues |= other.queues
        self.all_queues |= other.all_queues
        self.feed |= other.feed
        self.charts |= other.charts
        self.callbacks |= other.callbacks


# ------------------------------------------------------------------ rendered-fragment caches


class FragmentCache:
    """Rendered fragments by a key of everything they show (and the language), in this
    worker's memory, the least recently used dropped first. A row is rendered again only
    when something it shows changed: a monitor's resync after a reconnect renders only the
    rows that changed since this worker last rendered them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()  # renders run in worker threads

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
            return html

    def put(self, key: Hashable, html: str) -> None:
        with self._lock:
            self._entries[key] = html
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


rows_cache = FragmentCache(20_000)  # a row per agent and language: 5,000 agents, two languages
charts_cache = FragmentCache(500)


def forget_rendered() -> None:
    rows_cache.clear()
    charts_cache.clear()


def _language() -> str:
    return translation.get_language() or ""


def render_row(team: Team, row: stats.AgentRow, menu: OutcomeMenu | None, *, oob: bool) -> str:
    """An agent's row in the active language, from the cache when nothing it shows changed."""
    key = ("row", _language(), team.pk, oob, menu, row.fingerprint())
    html = rows_cache.get(key)
    if html is None:
        html = render_to_string(ROW, {"team": team, "menu": menu, "row": row, "oob": oob})
        rows_cache.put(key, html)
    return html


def _charts_key(team: Team, context: dict[str, Any]) -> Hashable:
    """The charts' numbers and labels, digested: equal keys render equal charts."""
    figures_ = context["figures"]
    shown = repr(
        (
            figures_.outcome_mix,
            list(figures_.handled_by_hour),
            figures_.baseline_by_hour,
            figures_.per_agent,
            context["handled_label"],
            context["charts_heading"],
        )
    )
    return ("charts", team.pk, hashlib.blake2s(shown.encode()).hexdigest())


def render_charts(team: Team, context: dict[str, Any], *, oob: bool) -> str:
    key = (_language(), oob, _charts_key(team, context))
    html = charts_cache.get(key)
    if html is None:
        html = render_to_string(CHARTS, {"team": team, **context, "oob": oob})
        charts_cache.put(key, html)
    return html


# ------------------------------------------------------------------------- the whole monitor


def monitor_context(
    team: Team, open_counts: dict[str, int | None], menu: OutcomeMenu | None = None
) -> dict[str, Any]:
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


def render_agents(context: dict[str, Any], *, oob: bool) -> str:
    """The agents' panel, its rows from the row cache."""
    team, menu = context["team"], context["menu"]
    rows_html = [render_row(team, row, menu, oob=False) for row in context["rows"]]
    return render_to_string("monitor/_agents.html", {**context, "rows_html": rows_html, "oob": oob})


def render_fragments(
    team: Team,
    open_counts: dict[str, int | None],
    *,
    oob: bool = True,
    menu: OutcomeMenu | None = None,
) -> str:
    context = {**monitor_context(team, open_counts, menu), "oob": oob}
    return "\n".join(render_context(context, oob=oob))


def render_context(context: dict[str, Any], *, oob: bool) -> list[str]:
    """The monitor's fragments from `monitor_context`, rows and charts from their caches."""
    parts = []
    for name in FRAGMENTS:
        if name == "monitor/_agents.html":
            parts.append(render_agents(context, oob=oob))
        elif name == CHARTS:
            parts.append(render_charts(context["team"], context, oob=oob))
        else:
            parts.append(render_to_string(name, {**context, "oob": oob}))
    return parts


async def team_context(team: Team) -> dict[str, Any]:
    names = await db_async(stats.team_queue_names)(team)
    depths = await queue_depths(names)
    return await db_async(monitor_context)(team, depths, await outcome_menu())


async def render_team(team_id: int) -> str | None:
    """The team's fragments; None when the team no longer exists."""
    team = await db_async(Team.objects.filter(pk=team_id).first)()
    if team is None:
        return None
    names = await db_async(stats.team_queue_names)(team)
    depths = await queue_depths(names)
    return await db_async(render_fragments)(team, depths, menu=await outcome_menu())


# -------------------------------------------------------------------------------- a change


@dataclass
class ChangedParts:
    """What a change needs rendered, every query already run: ready for any language."""

    team: Team
    menu: OutcomeMenu | None
    rows: list[stats.AgentRow]
    queues: list[stats.QueueRow] | None = None  # the whole table
    queue_rows: list[stats.QueueRow] = field(default_factory=list)  # or just these rows
    feed: list[Any] | None = None
    charts: figures.TeamFigures | None = None  # drawn apart (monitor/drawing.py)
    callbacks: dict[str, Any] | None = None


def changed_parts(
    team: Team,
    change: Change,
    open_counts: dict[str, int | None],
    menu: OutcomeMenu | None = None,
) -> ChangedParts:
    """Read what `change` changed: the agents' rows, the queues' figures, the feed, the
    charts when due."""
    parts = ChangedParts(team, menu, stats.agent_rows(team, only=change.agents))
    if change.all_queues:
        parts.queues = stats.queue_rows(team, stats.presence_rows(team), open_counts)
    elif change.queues:
        working = stats.presence_rows(team, in_groups=change.queues)
        parts.queue_rows = stats.queue_rows(team, working, open_counts, only=change.queues)
    if change.feed:
        parts.feed = stats.feed(team)
    if change.charts:
        parts.charts = figures.today_figures(team)
    if change.callbacks:
        parts.callbacks = callback_views.callbacks_context(team)
    return parts


def render_parts(parts: ChangedParts) -> list[str]:
    """The frames of a change's push, in the active language (see the module's note), but
    for the charts (drawn apart: monitor/drawing.py)."""
    team, context = parts.team, {"team": parts.team, "menu": parts.menu, "oob": True}
    html = [render_row(team, row, parts.menu, oob=True) for row in parts.rows]
    if parts.queues is not None:
        html.append(render_to_string("monitor/_queues.html", {**context, "queues": parts.queues}))
    if parts.feed is not None:
        html.append(render_to_string("monitor/_feed.html", {**context, "feed": parts.feed}))
    if parts.callbacks is not None:
        html.append(render_to_string("monitor/_callbacks.html", {**parts.callbacks, "oob": True}))
    html.append(render_to_string("monitor/_lcm_status.html", {**context, "lcm": breaker_state()}))
    frames = ["\n".join(html)]
    if parts.queue_rows:
        frames.append(
            "\n".join(render_to_string(QUEUE_ROW, {**context, "q": q}) for q in parts.queue_rows)
        )
    return frames


async def render_team_changes_in(
    team_id: int, change: Change, languages: Sequence[str]
) -> dict[str, list[str]] | None:
    """What changed, rendered once per language from one set of queries (the monitors of one
    team may be read in different languages); None when the team no longer exists."""
    team = await db_async(Team.objects.filter(pk=team_id).first)()
    if team is None:
        return None
    if change.all_queues:
        names = await db_async(stats.team_queue_names)(team)
    else:
        names = sorted(change.queues)
    depths = await queue_depths(names)
    menu = await outcome_menu()

    def render() -> tuple[figures.TeamFigures | None, dict[str, list[str]]]:
        parts = changed_parts(team, change, depths, menu)
        rendered = {}
        for language in languages:
            with translation.override(language):
                rendered[language] = render_parts(parts)
        return parts.charts, rendered

    today, rendered = await db_async(render)()
    if today is not None:
        # Drawn outside the worker's interpreter: a drawing would hold it for long.
        charts = await drawing.drawn(team.pk, today, languages)
        for language, frames in rendered.items():
            frames[0] = f"{frames[0]}\n{charts[language]}"
    return rendered


async def read_today(team_id: int) -> figures.TeamFigures | None:
    """The team's figures for its live charts; None when the team no longer exists."""

    def read() -> figures.TeamFigures | None:
        team = Team.objects.filter(pk=team_id).first()
        return None if team is None else figures.today_figures(team)

    return await db_async(read)()


async def draw_charts(
    team_id: int, today: figures.TeamFigures, languages: Sequence[str]
) -> dict[str, list[str]]:
    """The charts' push of `today`'s figures in each language (drawn apart: monitor/drawing.py)."""
    drawn = await drawing.drawn(team_id, today, languages)
    return {language: [html] for language, html in drawn.items()}


async def render_team_changes(team_id: int, change: Change) -> list[str] | None:
    """What changed, in the active language."""
    rendered = await render_team_changes_in(team_id, change, [_language()])
    return None if rendered is None else next(iter(rendered.values()))
