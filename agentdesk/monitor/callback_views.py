"""The lead's view of the team's callbacks (due today, overdue) and moving a personal callback
of an agent who left to another agent of the team."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentdesk.desk import actions, callbacks
from agentdesk.desk.models import AgentProfile
from agentdesk.desk.rendering import render_banner
from agentdesk.shared.asyncdb import db_async, release_request_connection
from agentdesk.teams.access import visible_team
from agentdesk.teams.models import Team


def callbacks_context(team: Team) -> dict[str, Any]:
    """What the callbacks panel shows (runs queries: call from sync code)."""
    team_agents = list(
        AgentProfile.objects.filter(team=team, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    personal = callbacks.personal_for_team(team.pk)
    groups = callbacks.campaign_groups_of(personal)
    return {
        "team": team,
        "due": callbacks.due_for_team(team.pk),
        "personal": [(row, callbacks.movable_to(row, team_agents, groups)) for row in personal],
        "now": timezone.now(),
    }


def render_callbacks(team: Team, *, oob: bool = False) -> str:
    return render_to_string("monitor/_callbacks.html", {**callbacks_context(team), "oob": oob})


def _target(user: Any, team_id: int, agent_id: str) -> tuple[Team | None, AgentProfile | None]:
    team = visible_team(user, team_id)
    if team is None or not agent_id.isdigit():
        return team, None
    # Only an agent who can still log in: the move exists to rescue the callbacks of one who
    # left (the panel offers no other; a hand-made form must not either).
    agent = AgentProfile.objects.select_related("user").filter(
        pk=int(agent_id), team=team, user__is_active=True
    )
    return team, agent.first()


@require_POST
async def reassign(request: HttpRequest, team_id: int, callback_id: int) -> HttpResponse:
    """Move a personal callback to another agent of the lead's team."""
    user = await request.auser()
    await release_request_connection()
    if not user.is_authenticated:
        return HttpResponse(status=401)
    team, agent = await db_async(_target)(user, team_id, str(request.POST.get("agent", "")))
    if team is None:
        raise Http404(_("No such team among the teams you lead."))
    if agent is None:
        message = _("Agent: choose an agent of this team to move the callback to.")
        return HttpResponse(render_banner(message, "error"))
    moved = await actions.reassign_callback(user.get_username(), team.pk, callback_id, agent)
    panel = await db_async(render_callbacks)(team, oob=True)
    level = "success" if moved.ok else moved.level
    return HttpResponse(render_banner(moved.message, level) + "\n" + panel)
