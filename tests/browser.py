"""What the browser tests share: the test users' password and logging in through the real form."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

PASSWORD = "browser-test-pw-1"


def log_in(
    page: Page, server: Any, username: str, next_url: str = "/", *, until_live: bool = True
) -> None:
    """Log in through the login form; by default wait until the page's live connection is up."""
    page.goto(f"{server.url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if until_live:
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


def abby_in_sales() -> Any:
    """The demo's outcomes and campaigns, and the agent abby (team Blue) in Sales Manual Group."""
    from django.contrib.auth import get_user_model

    from agentdesk.desk.models import AgentProfile
    from agentdesk.lcmsim import demo
    from agentdesk.teams.models import Team

    demo.seed_outcomes()
    demo.seed_campaigns()
    demo.assign_agents({"ab@test": ["Sales Manual Group"]})
    team = Team.objects.create(name="Blue")
    user = get_user_model().objects.create_user("abby", password=PASSWORD, first_name="Abby")
    return AgentProfile.objects.create(
        user=user, lcm_agent_id="ab@test", team=team, campaign_groups=["Sales Manual Group"]
    )
