"""An agent's full wrap-up in real Chromium: who is called (name first), a comment, another
number, a corrected field, a personal callback booked by keyboard, LCM failing in between
without losing what was typed, and the close; axe finds nothing serious on the new controls.
Screenshots of the card with the name and of the booked callback go to test-artifacts/."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from agentdesk.desk.models import ActionLog, Callback
from agentdesk.lcm import messages as m
from agentdesk.lcm.xmlfields import ContactMode
from agentdesk.lcmsim import service
from agentdesk.lcmsim.service import set_fault

from .browser import log_in
from .conftest import ARTIFACTS
from .helpers import EASTERN
from .test_accessibility import audit, team_world  # noqa: F401 - the fixture is used

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def contact_with_three_numbers() -> str:
    now = timezone.localtime().replace(tzinfo=None)
    answer = service.create_contact(
        m.CreateContact(
            campaign_id="Spring Renewals",
            call_start=now - timedelta(minutes=1),
            call_end=now + timedelta(days=20),
            business_fields={"first_name": "Grace", "last_name": "Hopper", "company": "Navy"},
            modes=(
                ContactMode("Home", "2025550161", EASTERN),
                ContactMode("Mobile", "2025550162", EASTERN),
                ContactMode("Work", "2025550163", EASTERN),
            ),
            status=0,
        )
    )
    return answer.lcm_key


def tomorrow_10_in_new_york() -> str:
    local = timezone.now().astimezone(ZoneInfo("America/New_York")) + timedelta(days=1)
    return local.replace(hour=10, minute=0).strftime("%Y-%m-%dT%H:%M")


def test_an_agents_full_wrapup(app_server, team_world, page: Page, browser):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 768})
    key = contact_with_three_numbers()
    log_in(page, app_server, "kim")
    page.click("#btn-next")
    expect(page.locator(".dial")).to_have_text("(202) 555-0161")

    # Who is being called: the name first, the business fields, every number.
    expect(page.locator("#wrapup-name")).to_have_text("Grace Hopper")
    expect(page.locator("#contact-card #contact-name")).to_have_text("Grace Hopper")
    expect(page.locator("#business-fields")).to_contain_text("Navy")
    expect(page.locator("#contact-numbers tbody tr")).to_have_count(3)
    page.locator(".desk-grid").screenshot(path=str(ARTIFACTS / "wrapup-card-with-name.png"))
    audit(page, "wrapup-panel")

    # A comment typed now survives everything that follows until the close.
    page.fill("#wrapup-comment", "Prefers mornings; ask for Grace")

    # Another number: a new attempt, the comment kept.
    first_call = page.locator("#wrapup-panel").get_attribute("data-call-id")
    page.locator("form.dial-other button").first.click()
    expect(page.locator("#banner")).to_contain_text("new attempt")
    expect(page.locator("#wrapup-panel")).not_to_have_attribute("data-call-id", first_call or "")
    expect(page.locator("#wrapup-comment")).to_have_value("Prefers mornings; ask for Grace")

    # LCM down while booking: a clear banner, the entries and the contact stay.
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("b")
    expect(page.locator("#callback-form input[name=kind]").first).to_be_focused()
    page.check("#callback-form input[name=kind][value=personal]")
    page.fill("#id_start", tomorrow_10_in_new_york())
    page.fill("#id_end", tomorrow_10_in_new_york().replace("T10:", "T11:"))
    expect(page.locator("output[data-your-time-for=id_start]")).to_contain_text("your time")
    page.fill("#id_lead_score", "80")
    page.fill("#id_target_amount", "1200")
    set_fault("down")
    page.click("#btn-book-callback")
    expect(page.locator("#banner .banner-error")).to_be_visible()
    expect(page.locator("#id_lead_score")).to_have_value("80")
    expect(page.locator("#wrapup-comment")).to_have_value("Prefers mornings; ask for Grace")
    expect(page.locator(".dial")).to_have_count(1)
    audit(page, "wrapup-lcm-down")
    set_fault("none")

    # Booked, by keyboard: Enter on the button.
    page.locator("#btn-book-callback").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#banner")).to_contain_text("Personal callback booked")
    expect(page.locator("#booked-callbacks")).to_contain_text("Personal callback")
    expect(page.locator("#booked-callbacks")).to_contain_text("10:00–11:00 (America/New_York)")
    # A push re-renders the card: the name stays (read from what the panel already read).
    expect(page.locator("#contact-card #contact-name")).to_have_text("Grace Hopper")
    page.locator(".desk-grid").screenshot(path=str(ARTIFACTS / "wrapup-callback-booked.png"))
    booked = Callback.objects.get()
    assert booked.kind == Callback.PERSONAL and booked.lead_score == 80
    assert booked.comment == "Prefers mornings; ask for Grace"

    # A correction: the company field, if LCM lets it be changed.
    page.click("#corrections summary")
    company = page.get_by_label("company", exact=False)
    if company.count():
        company.first.fill("US Navy")
        page.click("#btn-save-fields")
        expect(page.locator("#banner")).to_contain_text("Saved in LCM")

    # The close, with the comment: LCM's close has no comment, agentdesk's log keeps it.
    page.select_option("#outcome", "4")
    page.click("#btn-skip")
    expect(page.locator(".dial")).to_have_count(0)
    expect(page.locator("#wrapup-name")).to_have_count(0)
    skip = ActionLog.objects.get(kind="skip")
    assert skip.comment == "Prefers mornings; ask for Grace" and skip.lcm_key == key
    expect(page.locator("#recent-log")).to_contain_text("Prefers mornings")
    calls = set(ActionLog.objects.exclude(call_id="").values_list("call_id", flat=True))
    assert len(calls) == 2  # the first number, and the second dialled

    # The lead moves kim's personal callback to max (kim left): axe on the monitor's new panel.
    from django.contrib.auth import get_user_model

    from agentdesk.desk.models import AgentProfile
    from agentdesk.lcmsim import demo

    from .browser import PASSWORD

    demo.assign_agents({"mx@test": ["Sales Manual Group"]})
    max_user = get_user_model().objects.create_user("max", password=PASSWORD, first_name="Max")
    max_agent = AgentProfile.objects.create(
        user=max_user, lcm_agent_id="mx@test", team_id=team_world.team_id
    )
    lead = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    try:
        log_in(lead, app_server, "lou", "/monitor/")
        panel = lead.locator("#monitor-callbacks")
        expect(panel).to_contain_text("Personal callbacks")
        audit(lead, "monitor-callbacks")
        panel.locator("select[name=agent]").select_option(str(max_agent.pk))
        panel.get_by_role("button", name="Move").click()
        expect(lead.locator("#banner")).to_contain_text("Personal callback moved to Max")
        moved = Callback.objects.get(status=Callback.BOOKED)
        assert moved.agent_id == max_agent.pk and moved.reassigned_by == "lou"
    finally:
        lead.context.close()
