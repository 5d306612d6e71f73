"""A team lead watches an agent work, live, in a second browser context."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, ViewportSize, expect

from agentdesk.desk.models import AgentProfile
from agentdesk.lcmsim import demo
from agentdesk.teams.models import Team

from .browser import PASSWORD, log_in
from .conftest import ARTIFACTS
from .helpers import add_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_monitor_follows_next_skip_add_live(app_server, browser: Browser):
    demo.seed_outcomes()
    demo.seed_campaigns()
    demo.assign_agents({"mo@test": ["Sales Manual Group"]})
    users = get_user_model().objects
    team = Team.objects.create(name="Night Shift")
    agent = users.create_user("mo", password=PASSWORD, first_name="Mo", last_name="Agent")
    AgentProfile.objects.create(
        user=agent, lcm_agent_id="mo@test", team=team, campaign_groups=["Sales Manual Group"]
    )
    team.leads.add(users.create_user("lee", password=PASSWORD, first_name="Lee"))
    add_contact(phone="2025550155")

    viewport: ViewportSize = {"width": 1366, "height": 768}
    monitor = browser.new_context(viewport=viewport).new_page()
    desk = browser.new_context(viewport=viewport).new_page()
    log_in(monitor, app_server, "lee", "/monitor/")
    row = monitor.locator("#monitor-agents .agent-row:not(.head)").first
    expect(row).to_contain_text("Mo Agent")
    expect(row).to_contain_text("away")

    log_in(desk, app_server, "mo")
    expect(row).to_contain_text("live")

    desk.click("#btn-next")
    expect(desk.locator(".dial")).to_have_text("(202) 555-0155")
    expect(row).to_contain_text("previewing")
    expect(row).to_contain_text("···0155")
    expect(monitor.locator("#monitor-feed")).to_contain_text("Next contact ···0155")
    expect(monitor.locator("#monitor-queues")).to_contain_text("Mo Agent")

    desk.select_option("#outcome", "101")
    desk.click("#btn-skip")
    expect(row).to_contain_text("idle")
    expect(monitor.locator("#monitor-feed")).to_contain_text("101 Sale: annual plan")
    expect(monitor.locator("#monitor-queues")).to_contain_text("101 Sale: annual plan ×1")

    desk.select_option("#add-form select[name=campaign]", "Win-back West")
    desk.fill("#add-form input[name=last_name]", "Newcomer")
    desk.fill("#add-form input[name=mode1_number]", "2025550156")
    desk.click("#btn-add")
    expect(monitor.locator("#monitor-feed")).to_contain_text("Add contact ···0156")
    cells = row.locator(".num")
    expect(cells.nth(0)).to_have_text("1")  # fetched
    expect(cells.nth(2)).to_have_text("1")  # added
    monitor.screenshot(path=str(ARTIFACTS / "monitor-page.png"))

    desk.close()
    expect(row).to_contain_text("away")
