"""Demo people: agents agent1…agent6 in two teams, team leads lead1 and lead2, admin; and,
where the bundled simulator is installed, its campaigns and contacts and the import API's
campaigns."""

import os
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from agentdesk.desk.models import AgentProfile, AgentSession
from agentdesk.dialler.models import DiallerCampaign
from agentdesk.teams.models import Team

DEFAULT_DEMO_PASSWORD = "agentdesk-demo"  # noqa: S105 - documented demo-only default
AGENTS = [
    ("agent1", "Alex", "Moreau", "Blue Team"),
    ("agent2", "Bea", "Lindqvist", "Blue Team"),
    ("agent3", "Carlos", "Mendes", "Blue Team"),
    ("agent4", "Dana", "Whitfield", "Blue Team"),
    ("agent5", "Emeka", "Obi", "Green Team"),
    ("agent6", "Fatima", "Zahir", "Green Team"),
]
TEAM_GROUPS = {
    "Blue Team": ["Sales Manual Group", "Service Manual Group"],
    "Green Team": ["Service Manual Group"],
}
LEADS = [("lead1", "Lee", "Hart", "Blue Team"), ("lead2", "Lou", "Grant", "Green Team")]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


def lcm_agent_id(username: str) -> str:
    return f"{username}@agentdesk.demo"


def _user(username: str, first: str, last: str, password: str, **extra: Any) -> User:
    """The demo user, created with the demo password. An existing user keeps their password
    and flags: a changed admin password is never reset by seeding again."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, **extra}
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def seed_dialler_campaigns() -> None:
    """Every simulator campaign is open to contact import, under its own ID."""
    from agentdesk.lcmsim.models import Campaign

    for campaign in Campaign.objects.select_related("group"):
        DiallerCampaign.objects.update_or_create(
            name=campaign.name,
            defaults={"campaign_group": campaign.group.name, "time_zone": campaign.time_zone_label},
        )


@transaction.atomic
def seed(*, contacts: int = 400) -> dict[str, int]:
    password = demo_password()
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAM_GROUPS}
    for username, first, last, team_name in AGENTS:
        user = _user(username, first, last, password)
        profile, _ = AgentProfile.objects.update_or_create(
            user=user,
            defaults={
                "lcm_agent_id": lcm_agent_id(username),
                "team": teams[team_name],
                "campaign_groups": TEAM_GROUPS[team_name],
            },
        )
        AgentSession.objects.get_or_create(
            agent=profile, defaults={"campaign_group": TEAM_GROUPS[team_name][0]}
        )
    for username, first, last, team_name in LEADS:
        teams[team_name].leads.add(_user(username, first, last, password))
    _user("admin", "Ada", "Admin", password, is_staff=True, is_superuser=True)
    created = 0
    if simulator_installed():
        from agentdesk.lcmsim import demo as lcm_demo

        assignments = {lcm_agent_id(u): TEAM_GROUPS[t] for u, _, _, t in AGENTS}
        created = lcm_demo.seed(assignments, contacts=contacts)
        seed_dialler_campaigns()
    return {"agents": len(AGENTS), "leads": len(LEADS), "contacts_created": created}


def simulator_installed() -> bool:
    """The simulator's tables exist here only when its app is installed (LCM_SIMULATOR)."""
    return apps.is_installed("agentdesk.lcmsim")
