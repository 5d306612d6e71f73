"""Team leads' compliance pages: upload a do-not-call list, release a contact an agent holds."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentdesk.compliance import dnc
from agentdesk.compliance.models import DoNotCallEntry
from agentdesk.desk import actions, answer
from agentdesk.desk.models import AgentProfile
from agentdesk.desk.onscreen import read_shown
from agentdesk.desk.rendering import render_banner
from agentdesk.shared import phones
from agentdesk.shared.asyncdb import db_async, release_request_connection
from agentdesk.teams.access import sees_every_team, visible_team
from agentdesk.teams.models import Team

from . import live

RECENT_ENTRIES = 15


def listed_by_team(team: Team) -> Q:
    """Entries a lead of `team` may read (dnc.listed_by_teams)."""
    return dnc.listed_by_teams([team.pk])


def _led_team(user: AbstractBaseUser | AnonymousUser, team_id: int) -> Team:
    team = visible_team(user, team_id)
    if team is None:
        raise Http404(_("No such team among the teams you lead."))
    return team


@login_required
def dnc_upload(request: HttpRequest, team_id: int) -> HttpResponse:
    """Upload a CSV of numbers nobody may dial; every readable row is listed at once."""
    team = _led_team(request.user, team_id)
    context: dict[str, Any] = {"team": team}
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
                username = request.user.get_username()
                context["result"] = dnc.import_csv(
                    upload.read(),
                    added_by=username,
                    default_region=region,
                    # Leads act for their team; only an administrator ends others' listings.
                    owner=None if sees_every_team(request.user) else username,
                )
            except dnc.CsvRejected as rejected:
                context["error"] = str(rejected)
            context["file_name"] = upload.name
    entries = DoNotCallEntry.objects.all()
    if not sees_every_team(request.user):
        entries = entries.filter(listed_by_team(team))
    context["recent"] = entries[:RECENT_ENTRIES]
    context["total"] = entries.count()
    context["only_team"] = not sees_every_team(request.user)
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
    shown, problem = read_shown(request.POST)
    if shown is None:
        said = render_banner(problem, "error")
    else:
        # The agent's reference data, and the renderer the action's one trip uses for the
        # agent's pages.
        context = answer.context_for(profile)
        if request.POST.get("without_lcm"):
            result = await actions.clear_screen(
                user.get_username(), profile, shown=shown, context=context
            )
        else:
            result = await actions.release_contact(
                user.get_username(),
                profile,
                outcome_id=request.POST.get("outcome"),
                shown=shown,
                context=context,
            )
        said = render_banner(result.message, "success" if result.ok else result.level)
    # The agent's row as it is now: a refused release was pressed on a stale one.
    fresh = await live.render_team_changes(team_id, live.Change(agents={profile.pk})) or []
    return HttpResponse("\n".join([said, *fresh]))
