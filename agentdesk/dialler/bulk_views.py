"""Team leads' CSV import pages: upload, preview, start, follow, download the results."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentdesk.teams.access import AnyUser, sees_every_team, visible_team
from agentdesk.teams.models import Team

from . import bulk
from .models import ImportJob, ImportRow

PREVIEW_ROWS = 200


def _team(user: AnyUser, team_id: int) -> Team:
    team = visible_team(user, team_id)
    if team is None:
        raise Http404(_("No such team among the teams you lead."))
    return team


def _job(team: Team, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id, team=team).first()
    if job is None:
        raise Http404(_("No such import for this team."))
    return job


def _allowed(user: AnyUser, team: Team) -> set[int] | None:
    return None if sees_every_team(user) else bulk.allowed_campaign_ids(team)


@login_required
def upload(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team(request.user, team_id)
    error = ""
    if request.method == "POST":
        upload_file = request.FILES.get("file")
        if upload_file is None:
            error = _("Choose a CSV file to upload.")
        else:
            try:
                job = bulk.create_preview(
                    team,
                    cast(User, request.user),  # login_required
                    upload_file.name or "upload.csv",
                    upload_file.read(),
                    overwrite=request.POST.get("overwrite") == "on",
                    allowed=_allowed(request.user, team),
                )
            except bulk.CsvRejected as exc:
                error = str(exc)
            else:
                return redirect("imports:job", team_id=team.pk, job_id=job.pk)
    jobs = ImportJob.objects.filter(team=team).order_by("-created_at")[:10]
    status = 400 if error else 200
    return render(
        request,
        "dialler/upload.html",
        {"team": team, "jobs": jobs, "error": error, "fields": bulk.KNOWN_COLUMNS},
        status=status,
    )


@login_required
def job_page(request: HttpRequest, team_id: int, job_id: int) -> HttpResponse:
    team = _team(request.user, team_id)
    job = _job(team, job_id)
    rows = ImportRow.objects.filter(job=job)
    context = {
        "team": team,
        "job": job,
        "progress": bulk.progress(job),
        "invalid_rows": rows.filter(status=ImportRow.INVALID)[:PREVIEW_ROWS],
        "sample_rows": rows.exclude(status=ImportRow.INVALID)[:10],
        "failed_rows": rows.filter(status=ImportRow.FAILED)[:PREVIEW_ROWS],
    }
    return render(request, "dialler/job.html", context)


@require_POST
@login_required
def start_job(request: HttpRequest, team_id: int, job_id: int) -> HttpResponse:
    bulk.start(_job(_team(request.user, team_id), job_id))
    return redirect("imports:job", team_id=team_id, job_id=job_id)


@login_required
def results(request: HttpRequest, team_id: int, job_id: int) -> HttpResponse:
    job = _job(_team(request.user, team_id), job_id)
    response = HttpResponse(bulk.results_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-results.csv"'
    return response
