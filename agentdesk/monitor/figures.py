"""What a team did over a period, as the monitor's charts show it: the outcome mix per queue,
contacts handled per hour against the seven days before, and each agent's fetched / skipped
/ added. Counted in the database from the action log.

"Handled" means closed with an outcome (a confirmed skip): the moment an agent is done with a
contact.

One day's figures in the server's time zone (the live charts, and their seven-day baseline)
come from the day's counters (desk/daycounts.py), a few rows per agent and hour; longer
periods are counted from the log."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from agentdesk.desk import daycounts
from agentdesk.desk.models import AgentProfile, DayCount
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
    zone = timezone.get_current_timezone_name()
    key = f"monitor:baseline:{team.pk}:{start.isoformat()}:{zone}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    days = [start - timedelta(days=back) for back in range(1, BASELINE_DAYS + 1)]
    counters = _counters(team, days)
    if counters is None:
        averages = _logged_baseline(team, start)
    else:
        averages = [n / BASELINE_DAYS for n in _per_hour_counted(counters)]
    if start <= timezone.localdate():
        cache.set(key, averages, 3600)
    return averages


def _logged_baseline(team: Team, start: date) -> list[float]:
    since, until = bounds(start - timedelta(days=BASELINE_DAYS), start - timedelta(days=1))
    return [n / BASELINE_DAYS for n in _per_hour(team, since, until)]


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
    return _named_per_agent(team, rows)


def _named_per_agent(team: Team, rows: Iterable[dict[str, Any]]) -> list[Any]:
    """Per agent of the team, and per agent with `rows` (agent_id, fetched, skipped, added)."""
    names = {
        p.pk: p.display_name for p in AgentProfile.objects.filter(team=team).select_related("user")
    }
    counts = {agent_id: (0, 0, 0) for agent_id in names}
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


# ------------------------------------------------------------- from the day's counters


def _counters(team: Team, days: list[date]) -> QuerySet[DayCount] | None:
    """The team's counter rows of `days`; None when they cannot stand for the log: the
    days asked for are not the server's (another zone is active)."""
    if timezone.get_current_timezone_name() != daycounts.zone_name():
        return None
    return daycounts.counted_days(team.pk, days)


def _per_hour_counted(counters: QuerySet[DayCount]) -> list[int]:
    hours = [0] * 24
    for row in counters.filter(skipped__gt=0).values("hour").annotate(n=Sum("skipped")).order_by():
        hours[row["hour"]] += row["n"]
    return hours


def _outcome_mix_counted(counters: QuerySet[DayCount]) -> list[Any]:
    rows = (
        counters.filter(skipped__gt=0)
        .exclude(campaign_group="")
        .values("campaign_group", "outcome_id", "outcome_name")
        .annotate(n=Sum("skipped"))
        .order_by()
    )
    return sorted(stats.counted_outcomes(rows, "campaign_group").items())


def _per_agent_counted(team: Team, counters: QuerySet[DayCount]) -> list[Any]:
    rows = (
        counters.values("agent_id")
        .annotate(fetched=Sum("fetched"), skipped=Sum("skipped"), added=Sum("added"))
        .order_by()
    )
    return _named_per_agent(team, rows)


def team_figures(team: Team, start: date, end: date | None = None) -> TeamFigures:
    """The figures of `team` from the start of `start` to the end of `end` (default: one day)."""
    end = end or start
    if end < start:
        raise ValueError("the period ends before it starts")
    days = (end - start).days + 1
    counters = _counters(team, [start]) if days == 1 else None
    if counters is not None:
        return TeamFigures(
            start=start,
            end=end,
            outcome_mix=_outcome_mix_counted(counters),
            handled_by_hour=_per_hour_counted(counters),
            baseline_by_hour=_baseline(team, start),
            per_agent=_per_agent_counted(team, counters),
        )
    return logged_team_figures(team, start, end, baseline=_baseline)


def logged_team_figures(
    team: Team,
    start: date,
    end: date,
    baseline: Callable[[Team, date], list[float]] = _logged_baseline,
) -> TeamFigures:
    """`team_figures` counted from the log (the baseline by `baseline`)."""
    since, until = bounds(start, end)
    days = (end - start).days + 1
    handled = _per_hour(team, since, until)
    return TeamFigures(
        start=start,
        end=end,
        outcome_mix=_outcome_mix(team, since, until),
        handled_by_hour=[n / days for n in handled] if days > 1 else handled,
        baseline_by_hour=baseline(team, start),
        per_agent=_per_agent(team, since, until),
    )


def in_active_language(figures: TeamFigures) -> TeamFigures:
    """`figures` with the per-agent series named in the active language (figures read once
    are drawn in each language monitors are read in)."""
    names = series_names()
    per_agent = [
        (agent, [(names[i], n) for i, (_name, n) in enumerate(counts)])
        for agent, counts in figures.per_agent
    ]
    return dataclasses.replace(figures, per_agent=per_agent)


def chart_context(figures: TeamFigures, heading: str) -> dict[str, Any]:
    """The three charts of `figures`, ready for monitor/_charts.html under `heading`, in the
    active language."""
    figures = in_active_language(figures)
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


def today_figures(team: Team) -> TeamFigures:
    """The figures of the monitor's live charts: today so far."""
    return team_figures(team, timezone.localdate())


def today_context(figures: TeamFigures) -> dict[str, Any]:
    """The monitor's live charts of `figures` (today's), in the active language."""
    return chart_context(figures, _("Today in pictures"))


def today_charts(team: Team) -> dict[str, Any]:
    """The monitor's live charts: today so far."""
    return today_context(today_figures(team))
