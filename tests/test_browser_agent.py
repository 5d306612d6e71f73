"""The agent page in real Chromium against a real Daphne server."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from agentdesk.desk.models import AgentProfile, AgentSession
from agentdesk.lcmsim import demo
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import set_fault
from agentdesk.teams.models import Team

from .browser import PASSWORD, log_in
from .conftest import ARTIFACTS
from .helpers import add_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(app_server):
    demo.seed_outcomes()
    demo.seed_campaigns()
    demo.assign_agents({"ab@test": ["Sales Manual Group", "Service Manual Group"]})
    team = Team.objects.create(name="Blue")
    user = get_user_model().objects.create_user("abby", password=PASSWORD, first_name="Abby")
    profile = AgentProfile.objects.create(
        user=user,
        lcm_agent_id="ab@test",
        team=team,
        campaign_groups=["Sales Manual Group", "Service Manual Group"],
    )
    return profile


def test_log_in_next_skip_reserved(app_server, world, page: Page):
    add_contact(phone="2025550161")
    reserved_key = add_contact(phone="2025550162", call_type="2", agent_id="ab@test")
    log_in(page, app_server, "abby")
    expect(page.locator(".empty").first).to_contain_text("No contact on screen")

    page.keyboard.press("n")
    expect(page.locator(".dial")).to_have_text("(202) 555-0161")
    expect(page.locator(".dial")).to_have_attribute("href", "tel:+1-202-555-0161")
    expect(page.locator("#banner")).to_contain_text("is on your screen")
    expect(page.locator("#btn-next")).to_be_disabled()
    expect(page.locator("#agent-status")).to_contain_text("Previewing")

    page.select_option("#outcome", "8")
    page.click("#btn-skip")
    expect(page.locator("#banner")).to_contain_text("Skipped with outcome 8 No Answer.")
    expect(page.locator(".dial")).to_have_count(0)
    expect(page.locator("#recent-log")).to_contain_text("8 No Answer")
    assert Contact.objects.get(lcm_key__endswith="|0|0|84|" + reserved_key.split("|")[-1])

    page.keyboard.press("r")
    expect(page.locator(".dial")).to_have_text("(202) 555-0162")
    expect(page.locator("#contact-panel")).to_contain_text("Personal callback")
    page.screenshot(path=str(ARTIFACTS / "agent-page.png"))
    assert AgentSession.objects.get(agent=world).state == "previewing"


def test_add_contact_with_markup_in_the_name(app_server, world, page: Page):
    log_in(page, app_server, "abby")
    page.keyboard.press("a")
    expect(page.locator("#add-form select[name=campaign]")).to_be_focused()
    page.select_option("#add-form select[name=campaign]", "Spring Renewals")
    page.fill("#add-form input[name=first_name]", '<b>"Tom" & Jerry\'s</b>')
    page.fill("#add-form input[name=last_name]", "</first_name><x>")
    page.fill("#add-form input[name=mode1_number]", "+1 202 555 0170")
    page.click("#btn-add")
    expect(page.locator("#banner")).to_contain_text("LCM key:")
    found = re.search(r"LCM key: (\S+)", page.inner_text("#banner"))
    assert found is not None
    key = found.group(1)
    stored = Contact.objects.get(lcm_key=key)
    assert stored.business_fields == {
        "first_name": '<b>"Tom" & Jerry\'s</b>',
        "last_name": "</first_name><x>",
    }
    expect(page.locator("#add-form input[name=first_name]")).to_have_value("")

    # LCM down: the add fails with a clear message and keeps what was typed.
    set_fault("down")
    page.select_option("#add-form select[name=campaign]", "Spring Renewals")
    page.fill("#add-form input[name=first_name]", "Keep me")
    page.fill("#add-form input[name=mode1_number]", "2025550171")
    page.click("#btn-add")
    expect(page.locator("#banner")).to_contain_text("unreachable")
    expect(page.locator("#add-form input[name=first_name]")).to_have_value("Keep me")
    expect(page.locator("#add-form input[name=mode1_number]")).to_have_value("2025550171")
    set_fault("none")
    page.click("#btn-add")
    expect(page.locator("#banner")).to_contain_text("LCM key:")
    assert Contact.objects.filter(business_fields__first_name="Keep me").count() == 1


def test_a_second_tab_updates_live(app_server, world, page: Page):
    add_contact(phone="2025550181")
    log_in(page, app_server, "abby")
    other = page.context.new_page()
    other.goto(app_server.url + "/")
    expect(other.locator("#live-status")).to_have_attribute("data-state", "live")

    page.click("#btn-next")
    expect(other.locator(".dial")).to_have_text("(202) 555-0181")
    expect(other.locator("#btn-next")).to_be_disabled()
    other.select_option("#outcome", "3")
    other.click("#btn-skip")
    expect(page.locator(".dial")).to_have_count(0)
    expect(page.locator("#recent-log")).to_contain_text("3 Busy")


def test_an_outcome_chosen_stays_chosen_when_another_tab_redraws_the_card(
    app_server, world, page: Page
):
    """A push for the same contact (the other tab changes the consent choice) redraws the
    card; the outcome chosen in this tab is still chosen."""
    add_contact(phone="2025550182")
    log_in(page, app_server, "abby")
    page.click("#btn-next")
    expect(page.locator(".dial")).to_have_text("(202) 555-0182")
    other = page.context.new_page()
    other.goto(app_server.url + "/")
    expect(other.locator("#live-status")).to_have_attribute("data-state", "live")
    page.select_option("#outcome", "8")
    page.evaluate("document.getElementById('contact-panel').dataset.before = 'push'")

    other.select_option("#controls select[name=consent]", "true")

    expect(page.locator("#contact-panel")).not_to_have_attribute("data-before", "push")
    expect(page.locator("#outcome")).to_have_value("8")


def test_reconnect_banner_and_resync(app_server, world, page: Page):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from agentdesk.desk import actions

    add_contact(phone="2025550191")
    log_in(page, app_server, "abby")
    banner = page.locator("#connection-banner")
    expect(banner).to_be_hidden()

    app_server.stop()
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Live connection lost")
    expect(page.locator("#live-status")).to_have_text("Offline")

    # While the page is away, the agent's state changes (as from another device).
    action = actions.next_contact(world, campaign_group="Sales Manual Group", consent="Both")
    with ThreadPoolExecutor(1) as pool:  # this thread already runs Playwright's loop
        result = pool.submit(asyncio.run, action).result()
    assert result.ok

    app_server.restart()
    expect(banner).to_be_hidden(timeout=20000)
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator(".dial")).to_have_text("(202) 555-0191")  # resynced on reconnect


def test_lcms_own_words_on_the_agent_page(app_server, world, page: Page):
    from agentdesk.lcmsim.service import set_agent_logged_in, set_shape

    add_contact(phone="2025550171")
    log_in(page, app_server, "abby")
    set_agent_logged_in("ab@test", False)

    page.keyboard.press("n")  # LCM refuses with a WS_Error
    expect(page.locator("#banner")).to_contain_text(
        "LCM refused the request: “Agent is not logged in to the application.”"
    )
    expect(page.locator("#banner")).to_contain_text("Fix what LCM names")

    set_shape("fetch_reason")  # the same refusal as a RequestFailureReason
    page.click("#btn-next")
    expect(page.locator("#banner")).to_contain_text(
        "LCM did not hand out a contact: “Agent is not logged in to the application.”"
    )
    expect(page.locator("#banner")).to_contain_text("check that you are logged in to LCM")
    expect(page.locator(".dial")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "agent-page-lcm-words.png"))

    set_shape("documented")
    set_agent_logged_in("ab@test", True)
    page.click("#btn-next")
    expect(page.locator(".dial")).to_have_text("(202) 555-0171")
    assert Contact.objects.filter(held_by="ab@test").count() == 1


def test_actions_go_over_the_live_socket_with_progress_shown(app_server, world, page: Page):
    add_contact(phone="2025550201")
    log_in(page, app_server, "abby")
    posted: list[str] = []
    page.on(
        "request", lambda request: posted.append(request.url) if request.method == "POST" else None
    )

    set_fault("slow", delay_seconds=1.5)
    page.keyboard.press("n")
    expect(page.locator("#fetching")).to_be_visible()  # progress while LCM is slow
    expect(page.locator("#btn-reserved")).to_be_disabled()
    expect(page.locator(".dial")).to_have_text("(202) 555-0201", timeout=10000)
    expect(page.locator("#fetching")).to_be_hidden()
    expect(page.locator("#contact-card")).to_be_focused()  # focus moves as after a POST
    set_fault("none")

    page.select_option("#outcome", "8")
    page.click("#btn-skip")
    expect(page.locator("#banner")).to_contain_text("Skipped with outcome 8 No Answer.")
    expect(page.locator("#btn-next")).to_be_enabled()
    expect(page.locator("#btn-next")).to_be_focused()
    assert not [url for url in posted if "/desk/" in url], posted  # no HTTP request at all


def test_without_a_live_socket_actions_are_posted(app_server, world, page: Page):
    add_contact(phone="2025550202")
    # Every socket this page opens is closed at once, so the page is never live.
    page.route_web_socket(re.compile(r".*/ws/desk/$"), lambda socket: socket.close(code=1000))
    log_in(page, app_server, "abby", until_live=False)
    expect(page.locator("#btn-next")).to_be_visible()
    expect(page.locator("#live-status")).not_to_have_attribute("data-state", "live")
    posted: list[str] = []
    page.on(
        "request", lambda request: posted.append(request.url) if request.method == "POST" else None
    )
    page.keyboard.press("n")
    expect(page.locator(".dial")).to_have_text("(202) 555-0202")
    assert any(url.endswith("/desk/next") for url in posted), posted


def test_a_socket_lost_mid_action_says_the_action_may_have_been_done(app_server, world, page: Page):
    add_contact(phone="2025550203")
    log_in(page, app_server, "abby")
    set_fault("slow", delay_seconds=3)
    page.keyboard.press("n")
    expect(page.locator("#fetching")).to_be_visible()
    app_server.stop()
    expect(page.locator("#banner")).to_contain_text("may have been done")
    expect(page.locator("#fetching")).to_be_hidden()
    set_fault("none")
    app_server.restart()
    expect(page.locator("#live-status")).to_have_text("Live", timeout=20000)
