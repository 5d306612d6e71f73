"""The German pages in real Chromium: an agent whose browser asks for German works a contact,
a lead switches the monitor to German with the selector and it stays German, live."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, ViewportSize, expect

from agentdesk.desk.models import AgentProfile
from agentdesk.language.models import LanguagePreference
from agentdesk.lcmsim import demo
from agentdesk.teams.models import Team

from .browser import PASSWORD, log_in
from .conftest import ARTIFACTS
from .helpers import add_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}


@pytest.fixture
def world(app_server):
    demo.seed_outcomes()
    demo.seed_campaigns()
    demo.assign_agents({"de@test": ["Sales Manual Group", "Service Manual Group"]})
    users = get_user_model().objects
    team = Team.objects.create(name="Team Nord")
    agent = users.create_user("greta", password=PASSWORD, first_name="Greta", last_name="Groß")
    AgentProfile.objects.create(
        user=agent,
        lcm_agent_id="de@test",
        team=team,
        campaign_groups=["Sales Manual Group", "Service Manual Group"],
    )
    team.leads.add(users.create_user("lars", password=PASSWORD, first_name="Lars"))
    return team


def test_an_agent_works_in_german(app_server, world, browser: Browser):
    add_contact(phone="2025550191", first_name="Jürgen")
    page = browser.new_context(viewport=VIEWPORT, locale="de-DE").new_page()
    page.goto(f"{app_server.url}/accounts/login/")
    expect(page.locator("h1")).to_have_text("Anmelden")
    log_in(page, app_server, "greta")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator("#btn-next")).to_contain_text("Nächster Kontakt")
    expect(page.locator("#contact-panel")).to_contain_text("Kein Kontakt auf dem Bildschirm.")
    expect(page.locator("#agent-status")).to_contain_text("Bereit")

    page.keyboard.press("n")
    expect(page.locator(".dial")).to_have_text("(202) 555-0191")
    expect(page.locator("#banner")).to_have_text(
        re.compile(r"Kontakt \(\d{3}\) \d{3}-\d{4} ist auf Ihrem Bildschirm\.")
    )
    expect(page.locator("#agent-status")).to_contain_text("Kontakt in Vorschau")
    expect(page.locator("#contact-card")).to_be_focused()
    card = page.locator("#contact-panel")
    expect(card).to_contain_text("Kontakt auf dem Bildschirm")
    expect(card).to_contain_text("Kampagne")
    expect(card).to_contain_text("Läuft ab")
    # Dates in German: weekday and month names, day before month.
    expect(card.locator("dd").nth(5)).to_have_text(
        re.compile(r"^(Mo|Di|Mi|Do|Fr|Sa|So), \d\d\. \w{3} \d{4}, \d\d:\d\d \((in|vor) ")
    )
    expect(page.locator("#btn-skip")).to_contain_text("Mit Ergebnis überspringen")
    page.screenshot(path=str(ARTIFACTS / "agent-page-german.png"))

    page.select_option("#outcome", "8")
    page.click("#btn-skip")
    expect(page.locator("#banner")).to_contain_text("Übersprungen mit Ergebnis 8")
    expect(page.locator("#recent-log")).to_contain_text("Nächster Kontakt ···0191")

    # A failed add: field errors in German, and what was typed is kept.
    page.keyboard.press("a")
    page.fill("#add-form input[name=mode1_number]", "12ab")
    page.click("#btn-add")
    expect(page.locator("#banner")).to_contain_text("Prüfen Sie die markierten Felder.")
    expect(page.locator("#add-form")).to_contain_text("Geben Sie mindestens einen Vor- oder")
    expect(page.locator("#add-form input[name=mode1_number]")).to_have_value("12ab")
    page.screenshot(path=str(ARTIFACTS / "agent-page-german-errors.png"))
    page.context.close()


def test_a_lead_switches_to_german_and_it_sticks(app_server, world, browser: Browser):
    add_contact(phone="2025550192")
    monitor = browser.new_context(viewport=VIEWPORT, locale="en-US").new_page()
    log_in(monitor, app_server, "lars", "/monitor/")
    expect(monitor.locator("#monitor-queues h2")).to_have_text("Queues (campaign groups)")

    monitor.select_option("#language-select", "de")
    monitor.click(".language-switch button")
    expect(monitor.locator("html")).to_have_attribute("lang", "de")
    expect(monitor.locator("#live-status")).to_have_text("Live")
    expect(monitor.locator("#monitor-queues h2")).to_have_text("Warteschlangen (Kampagnengruppen)")
    assert LanguagePreference.objects.get(user__username="lars").language == "de"

    # An agent with an English browser works; the lead's German monitor follows live.
    desk = browser.new_context(viewport=VIEWPORT, locale="en-US").new_page()
    log_in(desk, app_server, "greta")
    desk.click("#btn-next")
    expect(desk.locator("#banner")).to_contain_text("is on your screen")
    feed = monitor.locator("#monitor-feed")
    expect(feed).to_contain_text("Nächster Kontakt ···0192")
    row = monitor.locator("#monitor-agents .agent-row:not(.head)").first
    expect(row).to_contain_text("Vorschau")
    expect(row).to_contain_text("live")
    monitor.screenshot(path=str(ARTIFACTS / "monitor-page-german.png"))

    # Logged out and in again in a fresh English browser: still German (saved with the account).
    fresh = browser.new_context(viewport=VIEWPORT, locale="en-US").new_page()
    log_in(fresh, app_server, "lars", "/monitor/")
    expect(fresh.locator("html")).to_have_attribute("lang", "de")
    expect(fresh.locator("#monitor-agents h2")).to_have_text("Agenten")
    for context in (monitor.context, desk.context, fresh.context):
        context.close()
