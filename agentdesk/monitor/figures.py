"""What a team did over a period, as the monitor's charts show it: the outcome mix per queue,
contacts handled per hour against the seven days before, and each agent's fetched / skipped
/ added. Counted in the database from the action log.

"Handled" means closed with an outcome (a confirmed skip): the moment an agent is done with a
contact."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from agentdesk.desk.models import AgentProfile
from agentdesk.teams.models import Team

from . import charts, stats

BASELINE_DAYS = 7


@dataclass
class TeamFigures:
    start: date  # first day
    end: date  # last day (inclusive)
    outcome_mix: list[tuple[str, list[tuple[str, int]]]]  # per queue: (outcome, skips)
    handled_by_hour: Sequence[float]  # per hour of day; an average per day when several days
    baseline_by_hour: list[float]  # per hour of day, average of the 7 days before `start`
    per_agent: list[tuple[str, list[tuple[str, int]]]]  # per agent: (fetched|skipped|added, n)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants from the start of `start` to the end of `end`, in the server's zone."""
    return stats.day_bounds(start)[0], stats.day_bounds(end)[1]


def _per_hour(team: Team, since: datetime, until: datetime) -> list[int]:
    hours = [0] * 24
    rows = (
        stats.team_entries(team, since, until)
        .filter(stats.SKIPPED)
        .annotate(hour=ExtractHour("at", tzinfo=timezone.get_current_timezone()))
        .values("hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        hours[row["hour"]] += row["n"]
    return hours


def _baseline(team: Team, start: date) -> list[float]:
    """Average handled per hour over the BASELINE_DAYS before `start`. Those days are over,
    so the figure is cached for the day instead of counted again on every live update."""
    key = f"monitor:baseline:{team.pk}:{start.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    since, until = bounds(start - timedelta(days=BASELINE_DAYS), start - timedelta(days=1))
    averages = [n / BASELINE_DAYS for n in _per_hour(team, since, until)]
    if start <= timezone.localdate():
        cache.set(key, averages, 3600)
    return averages


def _outcome_mix(team: Team, since: datetime, until: datetime) -> list[Any]:
    entries = stats.team_entries(team, since, until).exclude(campaign_group="")
    mix = stats.outcome_counts(entries, "campaign_group")
    return sorted(mix.items())


def series_names() -> tuple[str, str, str]:
    return (
        pgettext("contacts", "fetched"),
        pgettext("contacts", "skipped"),
        pgettext("contacts", "added"),
    )


def _per_agent(team: Team, since: datetime, until: datetime) -> list[Any]:
    names = {
        p.pk: p.display_name for p in AgentProfile.objects.filter(team=team).select_related("user")
    }
    counts = {agent_id: (0, 0, 0) for agent_id in names}
    rows = (
        stats.team_entries(team, since, until)
        .values("agent_id")
        .annotate(
            fetched=Count("pk", filter=stats.FETCHED),
            skipped=Count("pk", filter=stats.SKIPPED),
            added=Count("pk", filter=stats.ADDED),
        )
        .order_by()
    )
    for row in rows:
        counts[row["agent_id"]] = (row["fetched"], row["skipped"], row["added"])
    missing = set(counts) - set(names)
    if missing:  # agents who have since left the team still count for their days in it
        for profile in AgentProfile.objects.filter(pk__in=missing).select_related("user"):
            names[profile.pk] = profile.display_name
    fetched, skipped, added = series_names()
    return sorted(
        (
            (names.get(agent_id, str(agent_id)), [(fetched, f), (skipped, s), (added, a)])
            for agent_id, (f, s, a) in counts.items()
        ),
        key=lambda row: row[0].lower(),
    )


def team_figures(team: Team, start: date, end: date | None = None) -> TeamFigures:
    """The figures of `team` from the start of `start` to the end of `end` (default: one day)."""
    end = end or start
    if end < start:
        raise ValueError("the period ends before it starts")
    since, until = bounds(start, end)
    days = (end - start).days + 1
    handled = _per_hour(team, since, until)
    return TeamFigures(
        start=start,
        end=end,
        outcome_mix=_outcome_mix(team, since, until),
        handled_by_hour=[n / days for n in handled] if days > 1 else handled,
        baseline_by_hour=_baseline(team, start),
        per_agent=_per_agent(team, since, until),
    )


def chart_context(figures: TeamFigures, heading: str) -> dict[str, Any]:
    """The three charts of `figures`, ready for monitor/_charts.html under `heading`."""
    if figures.days == 1:
        handled_label = (
            _("today") if figures.start == timezone.localdate() else figures.start.isoformat()
        )
    else:
        handled_label = _("average per day, %(start)s to %(end)s") % {
            "start": figures.start.isoformat(),
            "end": figures.end.isoformat(),
        }
    baseline_label = _("average of the %(days)d days before") % {"days": BASELINE_DAYS}
    return {
        "charts_heading": heading,
        "hour_labels": [f"{hour:02d}" for hour in range(24)],
        "figures": figures,
        "handled_label": handled_label,
        "baseline_label": baseline_label,
        "summaries": summaries(figures, handled_label, baseline_label),
        "series": series_names(),
        "mix_chart": charts.row_chart(figures.outcome_mix, stacked=True),
        "hour_chart": charts.hour_chart(
            figures.handled_by_hour,
            figures.baseline_by_hour,
            counts_label=handled_label,
            average_label=baseline_label,
        ),
        "agent_chart": charts.row_chart(
            figures.per_agent, stacked=False, series_order=series_names()
        ),
    }


def _amount(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def summaries(figures: TeamFigures, handled_label: str, baseline_label: str) -> dict[str, str]:
    """One sentence per chart, for its text alternative (screen readers)."""
    handled = sum(figures.handled_by_hour)
    if handled:
        peak = max(range(24), key=lambda h: figures.handled_by_hour[h])
        hours = ngettext(
            "%(label)s: %(n)s contact handled, most at %(hour)02d:00 (%(peak)s).",
            "%(label)s: %(n)s contacts handled, most at %(hour)02d:00 (%(peak)s).",
            math.ceil(handled),
        ) % {
            "label": handled_label,
            "n": _amount(handled),
            "hour": peak,
            "peak": _amount(figures.handled_by_hour[peak]),
        }
    else:
        hours = _("%(label)s: no contacts handled.") % {"label": handled_label}
    hours += " " + _("%(label)s: %(n)s a day.") % {
        "label": baseline_label,
        "n": _amount(sum(figures.baseline_by_hour)),
    }
    mix = " ".join(
        _("%(queue)s: %(n)d skipped, most with %(outcome)s (%(top)d).")
        % {
            "queue": queue,
            "n": sum(n for _o, n in outcomes),
            "outcome": outcomes[0][0],
            "top": outcomes[0][1],
        }
        for queue, outcomes in figures.outcome_mix
        if outcomes
    ) or _("No contacts skipped in this period.")
    agents = " ".join(
        _("%(agent)s: %(counts)s.")
        % {"agent": agent, "counts": ", ".join(f"{name} {n}" for name, n in counts)}
        for agent, counts in figures.per_agent
    ) or _("No agents in this team.")
    return {"hours": hours, "mix": mix, "agents": agents}


def csv_rows(figures: TeamFigures) -> list[list[str | int | float]]:
    """The charts' numbers as rows of (chart, row, series, value), after a header row."""
    rows: list[list[str | int | float]] = [["chart", "row", "series", "value"]]
    for queue, outcomes in figures.outcome_mix:
        rows.extend(["outcome_mix", queue, outcome, n] for outcome, n in outcomes)
    for hour in range(24):
        rows.append(["handled_per_hour", f"{hour:02d}:00", "period", figures.handled_by_hour[hour]])
        rows.append(
            [
                "handled_per_hour",
                f"{hour:02d}:00",
                "baseline_7_days",
                figures.baseline_by_hour[hour],
            ]
        )
    for agent, counts in figures.per_agent:
        rows.extend(
            ["per_agent", agent, key, n]
            for key, (_, n) in zip(("fetched", "skipped", "added"), counts, strict=True)
        )
    return rows


def today_charts(team: Team) -> dict[str, Any]:
    """The monitor's live charts: today so far."""
    return chart_context(team_figures(team, timezone.localdate()), _("Today in pictures"))
