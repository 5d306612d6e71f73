"""The callbacks agentdesk booked, for the team lead: each agent's due today and overdue, and
who a personal callback may be moved to (the move itself is an action: actions/callback_move.py).

LCM has no message that lists callbacks, so these come from agentdesk's own record
(desk.models.Callback), written when a booking is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from .models import ActionLog, AgentProfile, Callback

# Still worth calling: a callback whose window ended this long ago is shown as overdue.
OVERDUE_FOR = timedelta(days=7)
# Booked, or maybe booked: a lost answer, or a worker that stopped while sending ("sending"
# left behind; a sending row whose LCM call failed before it left is deleted at once).
LISTED = (Callback.BOOKED, Callback.UNKNOWN, Callback.SENDING)


@dataclass
class AgentCallbacks:
    agent: AgentProfile
    due_today: list[Callback] = field(default_factory=list)
    overdue: list[Callback] = field(default_factory=list)


def _day_end(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def due_for_team(team_id: int, now: datetime | None = None) -> list[AgentCallbacks]:
    """Each agent's booked callbacks whose window opens before the end of today: overdue when
    the window already ended (LCM has not been told they were made; agentdesk cannot know
    whether it called them, so they stay listed for OVERDUE_FOR)."""
    now = now or timezone.now()
    rows = (
        Callback.objects.filter(
            team_id=team_id,
            status__in=LISTED,
            starts_at__lt=_day_end(now),
            ends_at__gte=now - OVERDUE_FOR,
        )
        .select_related("agent__user", "booked_by__user")
        .order_by("starts_at", "pk")
    )
    by_agent: dict[int, AgentCallbacks] = {}
    for row in rows:
        group = by_agent.setdefault(row.agent_id, AgentCallbacks(row.agent))
        (group.overdue if row.ends_at < now else group.due_today).append(row)
    return sorted(by_agent.values(), key=lambda g: g.agent.display_name.lower())


def personal_for_team(team_id: int, now: datetime | None = None) -> list[Callback]:
    """Personal callbacks of the team still to come (or overdue): the ones a lead may move."""
    now = now or timezone.now()
    return list(
        Callback.objects.filter(
            team_id=team_id,
            kind=Callback.PERSONAL,
            status__in=LISTED,
            ends_at__gte=now - OVERDUE_FOR,
        )
        .select_related("agent__user")
        .order_by("starts_at", "pk")
    )


def works_group(agent: AgentProfile, campaign_group: str) -> bool:
    """Whether `agent` works `campaign_group` (their profile names it, or names no group: then
    every group LCM assigns them). A personal callback moved to an agent outside its group
    would come back to them through a group they never fetch from."""
    groups = agent.campaign_groups or []
    return not groups or not campaign_group or campaign_group in groups


def campaign_groups_of(rows: list[Callback]) -> dict[str, str]:
    """The campaign group each callback's contact was fetched from, by call id: the log row
    of the fetch names it (a reserved contact's too), in one query for all the rows."""
    call_ids = {row.call_id for row in rows if row.call_id}
    found: dict[str, str] = {}
    logged = (
        ActionLog.objects.filter(call_id__in=call_ids)
        .exclude(campaign_group="")
        .order_by("at")
        .values_list("call_id", "campaign_group")
    )
    for call_id, group in logged:
        found.setdefault(call_id, group)
    return found


def movable_to(
    row: Callback, agents: list[AgentProfile], groups: dict[str, str]
) -> list[AgentProfile]:
    """The agents `row` may be moved to: any other of `agents` who works its group."""
    group = groups.get(row.call_id, "")
    return [a for a in agents if a.pk != row.agent_id and works_group(a, group)]
