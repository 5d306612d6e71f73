"""A team lead's charts follow an agent's work live, in a real browser."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, expect

from agentdesk.desk.models import AgentProfile
from agentdesk.lcmsim import demo
from agentdesk.teams.models import Team

from .browser import PASSWORD, log_in
from .conftest import ARTIFACTS
from .helpers import add_contact
from .test_accessibility import audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_charts_update_live_and_the_history_page_shows_them(app_server, browser: Browser):
    demo.seed_outcomes()
    demo.seed_campaigns()
    demo.assign_agents({"ch1@test": ["Sales Manual Group"], "ch2@test": ["Sales Manual Group"]})
    users = get_user_model().objects
    team = Team.objects.create(name="Chart Team")
    for username, agent_id, first in [("chmo", "ch1@test", "Mo"), ("chla", "ch2@test", "Lia")]:
        user = users.create_user(username, password=PASSWORD, first_name=first, last_name="Agent")
        AgentProfile.objects.create(
            user=user, lcm_agent_id=agent_id, team=team, campaign_groups=["Sales Manual Group"]
        )
    team.leads.add(users.create_user("chlead", password=PASSWORD, first_name="Lee"))
    add_contact(phone="2025550161")
    add_contact(phone="2025550162")

    monitor = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    desk = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(monitor, app_server, "chlead", "/monitor/")
    hours = monitor.locator("#chart-hours-desc")
    mix = monitor.locator("#chart-mix")
    agents = monitor.locator("#chart-agents")
    expect(hours).to_contain_text("today: no contacts handled")
    expect(mix).to_contain_text("No contacts skipped")
    expect(agents).to_contain_text("Mo Agent: fetched 0, skipped 0, added 0.")

    log_in(desk, app_server, "chmo")
    desk.click("#btn-next")
    expect(desk.locator(".dial")).to_contain_text("555-0161")
    expect(agents).to_contain_text("Mo Agent: fetched 1, skipped 0, added 0.")
    assert monitor.locator("#chart-agents svg rect").count() == 1  # Mo's one fetched bar

    desk.select_option("#outcome", "101")
    desk.click("#btn-skip")
    expect(hours).to_contain_text("today: 1 contact handled")
    expect(mix.locator("desc")).to_contain_text(
        "Sales Manual Group: 1 skipped, most with 101 Sale: annual plan (1)."
    )
    expect(mix.locator("svg rect")).to_have_count(1)
    expect(agents).to_contain_text("Mo Agent: fetched 1, skipped 1, added 0.")

    desk.click("#btn-next")
    expect(desk.locator(".dial")).to_contain_text("555-0162")
    desk.select_option("#outcome", "8")
    desk.click("#btn-skip")
    expect(hours).to_contain_text("today: 2 contacts handled")
    expect(mix.locator("svg rect")).to_have_count(2)  # two outcomes stacked in one queue bar
    expect(mix.locator(".legend li")).to_have_count(2)

    # Wait for the last state the pushes bring (every chart and row of both skips), so no
    # later push replaces what the steps below act on.
    expect(agents).to_contain_text("Mo Agent: fetched 2, skipped 2, added 0.")
    expect(mix.locator("desc")).to_contain_text("Sales Manual Group: 2 skipped")

    # The numbers behind the pictures, for people who cannot see them
    monitor.click("#chart-mix summary")
    expect(mix.locator("table")).to_contain_text("Sales Manual Group")
    # Scrolled by the page itself: whichever panel is current, never a replaced one.
    monitor.evaluate("document.getElementById('monitor-charts').scrollIntoView()")
    monitor.screenshot(path=str(ARTIFACTS / "monitor-charts.png"))
    monitor.screenshot(path=str(ARTIFACTS / "monitor-charts-full.png"), full_page=True)
    audit(monitor, "monitor-with-charts")

    monitor.click("#history-link")
    expect(monitor.locator("h2")).to_contain_text("Chart Team from")
    expect(monitor.locator("#chart-agents-desc")).to_contain_text(
        "Mo Agent: fetched 2, skipped 2, added 0."
    )
    audit(monitor, "history")
    with monitor.expect_download() as download:
        monitor.click("button[value=csv]")
    assert download.value.suggested_filename.startswith("agentdesk-charts-chart-team-")
    body = Path(download.value.path()).read_text(encoding="utf-8")
    assert "per_agent,Mo Agent,skipped,2" in body
