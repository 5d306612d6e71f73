"""Seed a benchmark world and print the agents' session cookies as JSON.

Run with the benchmark's environment: python -m bench.setup_world --agents N --contacts M
"""

import argparse
import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from agentdesk.demo.seeding import seed_dialler_campaigns  # noqa: E402
from agentdesk.desk.models import AgentProfile, AgentSession  # noqa: E402
from agentdesk.lcmsim import demo  # noqa: E402
from agentdesk.teams.models import Team  # noqa: E402

GROUP = "Sales Manual Group"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--team-size", type=int, default=50)
    parser.add_argument("--monitors", type=int, default=0, help="team-lead sessions to create")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    demo.seed_outcomes()
    campaigns = [c for c in demo.seed_campaigns() if c.group.name == GROUP]
    users = get_user_model().objects
    agents, teams = [], []
    for n in range(args.agents):
        if n % args.team_size == 0:
            teams.append(Team.objects.create(name=f"Team {len(teams) + 1}"))
        user = users.create(username=f"bench{n}", password="!")
        profile = AgentProfile.objects.create(
            user=user, lcm_agent_id=f"bench{n}@bench", team=teams[-1], campaign_groups=[GROUP]
        )
        AgentSession.objects.create(agent=profile, campaign_group=GROUP)
        agents.append(profile)
    demo.assign_agents({p.lcm_agent_id: [GROUP] for p in agents})
    demo.seed_contacts(campaigns, count=args.contacts, personal_for=[])
    seed_dialler_campaigns()

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    leads = []
    for n in range(args.monitors):
        lead = users.create(username=f"lead{n}", password="!")
        team = teams[n % len(teams)]
        team.leads.add(lead)
        leads.append({"session": cookie(lead), "team": team.pk})
    print(json.dumps({
        "agents": [{"session": cookie(p.user), "team": p.team_id, "agent": p.pk} for p in agents],
        "leads": leads,
    }))


if __name__ == "__main__":
    main()
