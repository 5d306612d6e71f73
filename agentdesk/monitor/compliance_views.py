"""Team leads' compliance pages: upload a do-not-call list, release a contact an agent holds."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentdesk.compliance import dnc
from agentdesk.compliance.models import DoNotCallEntry
from agentdesk.desk import actions
from agentdesk.desk.models import AgentProfile
from agentdesk.desk.rendering import render_banner
from agentdesk.shared import phones
from agentdesk.shared.asyncdb import db_async, release_request_connection
from agentdesk.teams.access import visible_team
from agentdesk.teams.models import Team

RECENT_ENTRIES = 15


def _led_team(user: AbstractBaseUser | AnonymousUser, team_id: int) -> Team:
    team = visible_team(user, team_id)
    if team is None:
        raise Http404(_("No such team among the teams you lead."))
    return team


@login_required
def dnc_upload(request: HttpRequest, team_id: int) -> HttpResponse:
    """Upload a CSV of numbers nobody may dial; every readable row is listed at once."""
    team = _led_team(request.user, team_id)
    context: dict = {"team": team}
    if request.method == "POST":
        upload = request.FILES.get("file")
        region = request.POST.get("region", "").strip().upper()
        if upload is None:
            context["error"] = _("Choose a CSV file to upload.")
        elif region and not phones.is_region(region):
            message = _("Default region %(region)s is not a country code like US or DE.")
            context["error"] = message % {"region": region}
        else:
            try:
                context["result"] = dnc.import_csv(
                    upload.read(), added_by=request.user.get_username(), default_region=region
                )
            except dnc.CsvRejected as rejected:
                context["error"] = str(rejected)
            context["file_name"] = upload.name
    context["recent"] = DoNotCallEntry.objects.all()[:RECENT_ENTRIES]
    context["total"] = DoNotCallEntry.objects.count()
    return render(request, "monitor/dnc_upload.html", context)


def _agent_of_led_team(
    user: AbstractBaseUser | AnonymousUser, team_id: int, agent_id: int
) -> AgentProfile | None:
    team = visible_team(user, team_id)
    if team is None:
        return None
    agents = AgentProfile.objects.select_related("user", "team")
    return agents.filter(pk=agent_id, team=team).first()


@require_POST
async def release_contact(request: HttpRequest, team_id: int, agent_id: int) -> HttpResponse:
    """A team lead closes the contact an agent holds, with an outcome; the agent's pages and
    the monitors update live."""
    user = await request.auser()
    await release_request_connection()
    if not user.is_authenticated:
        return HttpResponse(status=401)
    profile = await db_async(_agent_of_led_team)(user, team_id, agent_id)
    if profile is None:
        raise Http404(_("No such agent in the teams you lead."))
    result = await actions.release_contact(
        user.get_username(), profile, outcome_id=request.POST.get("outcome")
    )
    return HttpResponse(render_banner(result.message, "success" if result.ok else result.level))
