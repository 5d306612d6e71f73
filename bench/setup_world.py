"""Seed a benchmark world and print the agents' session cookies as JSON.

Run with the benchmark's environment: python -m bench.setup_world --agents N --contacts M
"""

import argparse
import json
import os
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
django.setup()

from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from agentdesk.demo.seeding import seed_dialler_campaigns  # noqa: E402
from agentdesk.desk.models import AgentProfile, AgentSession  # noqa: E402
from agentdesk.lcmsim import demo  # noqa: E402
from agentdesk.lcmsim.models import CampaignGroup, SimAgent  # noqa: E402
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
    teams = [
        Team.objects.create(name=f"Team {n + 1}")
        for n in range((args.agents + args.team_size - 1) // args.team_size)
    ]
    # In bulk: thousands of agents must not take minutes to seed.
    users.bulk_create(
        [users.model(username=f"bench{n}", password="!") for n in range(args.agents)],
        batch_size=1000,
    )
    people = list(users.filter(username__startswith="bench").order_by("pk"))
    agents = AgentProfile.objects.bulk_create(
        [
            AgentProfile(
                user=user,
                lcm_agent_id=f"bench{n}@bench",
                team=teams[n // args.team_size],
                campaign_groups=[GROUP],
            )
            for n, user in enumerate(people)
        ],
        batch_size=1000,
    )
    agents = list(AgentProfile.objects.select_related("user").order_by("pk"))
    AgentSession.objects.bulk_create(
        [AgentSession(agent=p, campaign_group=GROUP) for p in agents], batch_size=1000
    )
    SimAgent.objects.bulk_create(
        [SimAgent(agent_id=p.lcm_agent_id) for p in agents], batch_size=1000, ignore_conflicts=True
    )
    CampaignGroup.objects.get(name=GROUP).agents.add(
        *SimAgent.objects.filter(agent_id__in=[p.lcm_agent_id for p in agents])
    )
    with transaction.atomic():  # one commit, not one per contact
        demo.seed_contacts(campaigns, count=args.contacts, personal_for=[])
    seed_dialler_campaigns()

    sessions: list[Session] = []
    expires = timezone.now() + timedelta(days=1)

    def cookie(user) -> str:
        """A logged-in session, as Django's login() stores it."""
        store = SessionStore()
        key = store._get_new_session_key()  # type: ignore[attr-defined]
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(
            Session(session_key=key, session_data=store.encode(data), expire_date=expires)
        )
        return key

    leads = []
    for n in range(args.monitors):
        lead = users.create(username=f"lead{n}", password="!")
        team = teams[n % len(teams)]
        team.leads.add(lead)
        leads.append({"session": cookie(lead), "team": team.pk})
    agent_cookies = [cookie(p.user) for p in agents]
    Session.objects.bulk_create(sessions, batch_size=1000)
    print(
        json.dumps(
            {
                "agents": [
                    {
                        "session": session,
                        "team": p.team_id,
                        "agent": p.pk,
                        "lcm_agent_id": p.lcm_agent_id,
                    }
                    for session, p in zip(agent_cookies, agents, strict=True)
                ],
                "leads": leads,
            }
        )
    )


if __name__ == "__main__":
    main()
