"""The team-lead monitor: a page per team, and the team's action log as CSV."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.compliance import consent
from agentdesk.desk.models import ActionLog
from agentdesk.shared.asyncdb import db_async, release_request_connection
from agentdesk.shared.csvsafe import safe_cell
from agentdesk.teams.access import AnyUser, teams_for, visible_team
from agentdesk.teams.models import Team

from . import callback_views, figures, live, stats


def _allowed_team(user: AnyUser, team_id: int) -> Team:
    team = visible_team(user, team_id)
    if team is None:
        raise Http404("No such team among the teams you lead.")
    return team


def _refuse(request: HttpRequest) -> HttpResponse:
    return render(request, "monitor/not_a_lead.html", status=403)


@login_required
def monitor_home(request: HttpRequest) -> HttpResponse:
    team = teams_for(request.user).first()
    if team is None:
        return _refuse(request)
    return redirect("monitor:team", team_id=team.pk)


@login_required
async def team_page(request: HttpRequest, team_id: int) -> HttpResponse:
    user = await request.auser()
    await release_request_connection()
    teams = await db_async(lambda: list(teams_for(user)))()
    if not teams:
        return await db_async(_refuse)(request)
    team = next((t for t in teams if t.pk == team_id), None)
    if team is None:
        raise Http404("No such team among the teams you lead.")
    context = await live.team_context(team)
    context.update(teams=teams, today=timezone.localdate().isoformat())
    context["callbacks_html"] = await db_async(callback_views.render_callbacks)(team)
    return await db_async(render)(request, "monitor/page.html", context)


CSV_COLUMNS = [
    ("time", lambda e: timezone.localtime(e.at).isoformat(timespec="seconds")),
    ("agent", lambda e: e.agent.user.get_username()),
    ("lcm_agent_id", lambda e: e.agent.lcm_agent_id),
    ("action", lambda e: e.kind),
    ("ok", lambda e: "yes" if e.ok else "no"),
    ("lcm_subtopic", lambda e: e.subtopic),
    ("campaign_group", lambda e: e.campaign_group),
    ("campaign", lambda e: e.campaign),
    ("queue", lambda e: e.queue),
    ("lcm_key", lambda e: e.lcm_key),
    ("phone_last4", lambda e: e.phone_last4),
    ("outcome_id", lambda e: "" if e.outcome_id is None else e.outcome_id),
    ("outcome", lambda e: e.outcome_name),
    ("result", lambda e: e.result),
    ("lcm_latency_ms", lambda e: "" if e.lcm_latency_ms is None else e.lcm_latency_ms),
    ("error", lambda e: e.error),
    ("acted_by", lambda e: e.actor or e.agent.user.get_username()),
    ("call_id", lambda e: e.call_id),
    ("comment", lambda e: e.comment),
]
CONSENT_COLUMNS = [
    ("consent_given_by", lambda c: c.given_by),
    ("consent_given_at", lambda c: timezone.localtime(c.given_at).isoformat(timespec="seconds")),
    ("consent_channel", lambda c: c.channel),
    ("consent_wording", lambda c: c.wording),
]


@login_required
def export_csv(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _allowed_team(request.user, team_id)
    raw_day = request.GET.get("date") or timezone.localdate().isoformat()
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        return HttpResponseBadRequest(
            f"date: {raw_day!r} is not a date; use YYYY-MM-DD, e.g. {timezone.localdate()}",
            content_type="text/plain",
        )
    try:
        start, end = stats.day_bounds(day)
    except (OverflowError, ValueError):  # the first and last days of the calendar
        return HttpResponseBadRequest(
            f"date: {raw_day!r} is out of range; use a day between 0002-01-01 and 9999-12-30",
            content_type="text/plain",
        )
    entries = (
        ActionLog.objects.filter(team=team, at__gte=start, at__lt=end)
        .select_related("agent__user")
        .order_by("at", "pk")
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"agentdesk-{team.name.replace(' ', '-').lower()}-{day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    # Consent evidence rides along on every row about a contact that has some.
    evidence = consent.evidence_by_key(
        set(entries.exclude(lcm_key="").values_list("lcm_key", flat=True))
    )
    writer.writerow([name for name, _ in CSV_COLUMNS + CONSENT_COLUMNS])
    for entry in entries.iterator():
        given = evidence.get(entry.lcm_key)
        cells = [get(entry) for _, get in CSV_COLUMNS]
        cells += [get(given) if given else "" for _, get in CONSENT_COLUMNS]
        writer.writerow([safe_cell(cell) for cell in cells])
    return response


LONGEST_HISTORY_DAYS = 366


def _history_period(params: Mapping[str, str]) -> tuple[date, date, dict[str, str]]:
    """The period asked for (default: the last 7 days), and an error per field that is wrong."""
    today = timezone.localdate()
    chosen = {
        "start": params.get("start") or (today - timedelta(days=6)).isoformat(),
        "end": params.get("end") or today.isoformat(),
    }
    days: dict[str, date] = {}
    errors: dict[str, str] = {}
    for name, raw in chosen.items():
        try:
            days[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = _(
                "%(field)s: %(value)r is not a date; use YYYY-MM-DD, e.g. %(example)s"
            ) % {
                "field": name,
                "value": raw,
                "example": today.isoformat(),
            }
    # The charts compare with the 7 days before the start and count up to the day after the
    # end: both must stay inside the calendar.
    if not errors and days["start"] < date.min + timedelta(days=7):
        errors["start"] = _("start: choose a date after %(first)s.") % {
            "first": (date.min + timedelta(days=7)).isoformat()
        }
    if not errors and days["end"] >= date.max:
        errors["end"] = _("end: choose a date before %(last)s.") % {"last": date.max.isoformat()}
    if not errors and days["end"] < days["start"]:
        errors["end"] = _("end: the period must not end before it starts (%(start)s).") % {
            "start": days["start"].isoformat()
        }
    if not errors and (days["end"] - days["start"]).days >= LONGEST_HISTORY_DAYS:
        errors["end"] = _("end: choose at most %(days)d days.") % {"days": LONGEST_HISTORY_DAYS}
    if errors:
        return today, today, errors
    return days["start"], days["end"], {}


@login_required
def history(request: HttpRequest, team_id: int) -> HttpResponse:
    """The team's charts for a chosen period, as a page or (format=csv) as numbers."""
    team = _allowed_team(request.user, team_id)
    start, end, errors = _history_period(request.GET)
    context = {
        "team": team,
        "start": request.GET.get("start") or start.isoformat(),
        "end": request.GET.get("end") or end.isoformat(),
        "errors": errors,
    }
    if errors:
        return render(request, "monitor/history.html", context, status=400)
    result = figures.team_figures(team, start, end)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        slug = team.name.replace(" ", "-").lower()
        response["Content-Disposition"] = (
            f'attachment; filename="agentdesk-charts-{slug}-{start}-to-{end}.csv"'
        )
        writer = csv.writer(response)
        for row in figures.csv_rows(result):
            writer.writerow([safe_cell(cell) for cell in row])
        return response
    heading = _("%(team)s from %(start)s to %(end)s") % {
        "team": team.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    context.update(figures.chart_context(result, heading))
    return render(request, "monitor/history.html", context)
