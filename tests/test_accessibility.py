"""Accessibility (WCAG 2.1 AA): axe-core audits of every page agents and team leads use, and a
full shift's cycle (Next → Skip → Add) worked with the keyboard alone, in real Chromium."""

import json
from collections import Counter

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from agentdesk.desk.models import AgentProfile
from agentdesk.lcmsim import demo
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import set_fault
from agentdesk.teams.models import Team

from .browser import PASSWORD, log_in
from .conftest import ARTIFACTS
from .helpers import add_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BLOCKING = {"serious", "critical"}
# WCAG 2.0/2.1 A and AA rules, plus axe's best practices (landmarks, headings) reported too.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
axe = Axe()


def audit(page: Page, name: str) -> Counter[str]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation.
    Returns the count of violations (all impacts) by impact, and keeps the full report."""
    results = axe.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(violations, indent=1))
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"axe on {name}:\n" + "\n".join(blocking)
    return Counter(v["impact"] for v in violations)


@pytest.fixture
def team_world(app_server):
    from agentdesk.demo.seeding import seed_dialler_campaigns

    demo.seed_outcomes()
    demo.seed_campaigns()
    seed_dialler_campaigns()
    demo.assign_agents({"kb@test": ["Sales Manual Group", "Service Manual Group"]})
    users = get_user_model().objects
    team = Team.objects.create(name="Blue")
    agent = users.create_user("kim", password=PASSWORD, first_name="Kim", last_name="Keys")
    profile = AgentProfile.objects.create(
        user=agent,
        lcm_agent_id="kb@test",
        team=team,
        campaign_groups=["Sales Manual Group", "Service Manual Group"],
    )
    team.leads.add(users.create_user("lou", password=PASSWORD, first_name="Lou"))
    return profile


def test_login_and_agent_page_have_no_serious_issues(app_server, team_world, page: Page):
    add_contact(phone="2025550131")
    page.goto(f"{app_server.url}/accounts/login/")
    audit(page, "login")
    page.fill("input[name=username]", "kim")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator(".banner-error")).to_be_visible()
    audit(page, "login-error")

    log_in(page, app_server, "kim")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    audit(page, "agent-idle")

    page.click("#btn-next")
    expect(page.locator(".dial")).to_have_text("(202) 555-0131")
    audit(page, "agent-previewing")

    # An error banner and a field error in the add form.
    set_fault("down")
    page.select_option("#outcome", "8")
    page.click("#btn-skip")
    expect(page.locator("#banner .banner-error")).to_be_visible()
    page.click("#btn-add")
    expect(page.locator("#add-form .error-text").first).to_be_visible()
    audit(page, "agent-errors")
    set_fault("none")

    # The connection-lost banner.
    app_server.stop()
    expect(page.locator("#connection-banner")).to_be_visible()
    audit(page, "agent-offline")
    app_server.restart()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=20000)


def test_monitor_has_no_serious_issues(app_server, team_world, browser):
    add_contact(phone="2025550132")
    viewport = {"width": 1366, "height": 768}
    monitor = browser.new_context(viewport=viewport).new_page()
    desk = browser.new_context(viewport=viewport).new_page()
    log_in(monitor, app_server, "lou", "/monitor/")
    expect(monitor.locator("#live-status")).to_have_attribute("data-state", "live")
    log_in(desk, app_server, "kim")
    desk.click("#btn-next")
    row = monitor.locator("#monitor-agents .agent-row:not(.head)").first
    expect(row).to_contain_text("···0132")
    audit(monitor, "monitor")
    # No page may outlive its test: a page left connected to the shared server would act on
    # the next test's database.
    desk.context.close()
    monitor.context.close()


def test_do_not_call_and_history_pages_have_no_serious_issues(
    app_server, team_world, page: Page, tmp_path
):
    """Each has an h1, and its skip link lands on the page's main region."""
    path = tmp_path / "dnc.csv"
    path.write_text("PhoneNumber,Reason\n2025550100,complaint\n555,typo\n")
    log_in(page, app_server, "lou", "/monitor/")
    team = team_world.team
    pages = [("dnc", f"/monitor/{team.pk}/dnc/"), ("history", f"/monitor/{team.pk}/history/")]
    for name, url in pages:
        page.goto(app_server.url + url)
        expect(page.locator("h1")).to_have_count(1)
        page.keyboard.press("Tab")
        expect(page.locator(".skip-link")).to_be_focused()
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        assert page.evaluate("document.getElementById('main').tagName") == "MAIN"
        audit(page, name)
    page.goto(f"{app_server.url}/monitor/{team.pk}/dnc/")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Upload and list").click()
    expect(page.locator("#dnc-result")).to_be_visible()
    audit(page, "dnc-result")


def test_import_pages_have_no_serious_issues(
    app_server, jobs_worker, team_world, page: Page, tmp_path
):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Name,DiallerCampaignsName,PhoneNumber1,UserData\n"
        "Ada,Spring Renewals,2025550141,crm-1\n"
        ",Spring Renewals,2025550142,crm-2\n"
    )
    log_in(page, app_server, "lou", "/monitor/")
    page.click("#import-link")
    audit(page, "import-upload")
    page.set_input_files("input[name=file]", str(path))
    page.click("button[type=submit]")
    expect(page.locator("#invalid-rows")).to_be_visible()
    audit(page, "import-preview")
    page.click("#start-import")
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "done", timeout=30000)
    audit(page, "import-done")


def test_keyboard_only_next_skip_add(app_server, team_world, page: Page):
    """Tab, Enter, arrows and the shortcuts only: no mouse from login to the added contact."""
    add_contact(phone="2025550151")
    page.goto(f"{app_server.url}/accounts/login/")
    page.keyboard.press("Tab")  # skip link or the first field
    while page.evaluate("document.activeElement.name") != "username":
        page.keyboard.press("Tab")
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    # Next: Tab to the button and press Enter; focus lands on the contact card.
    for _ in range(30):
        if page.evaluate("document.activeElement.id") == "btn-next":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "btn-next"
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring not in ("none", ""), "focus must be visible"
    page.keyboard.press("Enter")
    expect(page.locator(".dial")).to_have_text("(202) 555-0151")
    expect(page.locator("#contact-card")).to_be_focused()
    expect(page.locator("#banner")).to_contain_text("on your screen")

    # Skip: Tab into the outcome list, choose with the arrow keys, Tab to Skip and press
    # Enter; focus returns to Next.
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "outcome":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "outcome"
    page.keyboard.press("s")  # a shortcut key typed in the list does not skip
    expect(page.locator(".dial")).to_have_count(1)
    for _ in range(30):  # arrow down through the list to "8 No Answer"
        if page.locator("#outcome").input_value() == "8":
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator("#outcome")).to_have_value("8")
    page.keyboard.press("Tab")
    expect(page.locator("#btn-skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".dial")).to_have_count(0)
    expect(page.locator("#banner")).to_contain_text("Skipped with outcome 8")
    expect(page.locator("#btn-next")).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("Idle")

    # Add: the A shortcut jumps to the form; type, Tab through, Enter submits.
    page.keyboard.press("a")
    expect(page.locator("#add-form select[name=campaign]")).to_be_focused()
    page.keyboard.press("ArrowDown")  # first campaign
    page.keyboard.press("Tab")
    page.keyboard.type("Kay")
    page.keyboard.press("Tab")
    page.keyboard.type("Board")
    for _ in range(5):
        if page.evaluate("document.activeElement.name") == "mode1_number":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "mode1_number"
    page.keyboard.type("2025550152")
    page.keyboard.press("Enter")
    expect(page.locator("#banner")).to_contain_text("LCM key:")
    assert Contact.objects.filter(business_fields__last_name="Board").count() == 1
    # The result is announced: the banner sits in a live region.
    assert page.get_attribute("#banner", "aria-live") == "polite"
