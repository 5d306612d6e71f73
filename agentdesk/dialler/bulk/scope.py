"""Which campaigns a team lead's import may write to, and how a refused row names them."""

from __future__ import annotations

from agentdesk.desk.models import AgentProfile
from agentdesk.teams.models import Team

from .. import importing
from ..models import DiallerCampaign


def allowed_campaign_ids(team: Team) -> set[int]:
    """Campaigns a team's leads may import into: those of the groups the team works."""
    groups: set[str] = set()
    for names in AgentProfile.objects.filter(team=team).values_list("campaign_groups", flat=True):
        groups.update(names or [])
    return set(
        DiallerCampaign.objects.filter(campaign_group__in=groups).values_list("pk", flat=True)
    )


def csv_scope(allowed: set[int] | None) -> str:
    """Whose campaigns a refused row speaks of: the CSV import is a lead's (or an
    administrator's, who may use every campaign), never a token's."""
    return importing.CSV_SCOPE if allowed is not None else ""
