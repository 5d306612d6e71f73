"""The team-lead monitor: a page per team, and the team's action log as CSV."""

from __future__ import annotations

import csv
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone

from agentdesk.asyncdb import db_async, release_request_connection
from agentdesk.csvsafe import safe_cell
from agentdesk.desk.models import ActionLog
from agentdesk.teams.access import AnyUser, teams_for, visible_team
from agentdesk.teams.models import Team

from . import live, stats


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
    writer.writerow([name for name, _ in CSV_COLUMNS])
    for entry in entries.iterator():
        writer.writerow([safe_cell(get(entry)) for _, get in CSV_COLUMNS])
    return response
