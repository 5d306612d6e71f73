"""The compliance guards in real Chromium against a Daphne server whose compliance clock is set
to 22:00 in New York: a blocked contact is handed back with one key, a confirmed dial is logged
and shown on the monitor, a team lead releases a held contact, and the preview countdown hands
a contact back by itself."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, ViewportSize, expect

from agentdesk.compliance import dnc
from agentdesk.compliance.models import CampaignPolicy, PreviewLimit
from agentdesk.desk.models import ActionLog
from agentdesk.lcmsim.models import Contact

from .browser import PASSWORD, abby_in_sales, log_in
from .conftest import ARTIFACTS
from .helpers import add_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(late_server):
    profile = abby_in_sales()
    lee = get_user_model().objects.create_user("lee", password=PASSWORD, first_name="Lee")
    profile.team.leads.add(lee)
    return profile


def test_block_shows_why_and_when_and_hands_back_with_one_key(late_server, world, page: Page):
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.BLOCK)
    key = add_contact(phone="2025550161")
    log_in(page, late_server, "abby")
    page.keyboard.press("n")
    number = page.locator("#contact-number")
    expect(number).to_have_text("(202) 555-0161")
    expect(number).to_have_attribute("aria-disabled", "true")
    expect(number).not_to_have_attribute("href", "tel:+1-202-555-0161")
    box = page.locator("#compliance")
    expect(box).to_contain_text("Do not dial this contact.")
    expect(box).to_contain_text("It is Mon 22:00 America/New_York for this contact")
    expect(box).to_contain_text("May be called from Tue 24 Nov 08:00 their time")
    expect(page.locator("#btn-hand-back")).to_contain_text("Hand back with 4 CallBack")
    page.screenshot(path=str(ARTIFACTS / "compliance-blocked.png"))

    page.keyboard.press("h")
    expect(page.locator("#banner")).to_contain_text("Handed back with outcome 4 CallBack.")
    expect(page.locator("#contact-number")).to_have_count(0)
    assert Contact.objects.get(lcm_key=key).outcome_id == 4


def test_a_listed_number_is_never_a_link(late_server, world, page: Page):
    # Listed in agentdesk but not yet appended in LCM (LCM down, the job still retrying): LCM
    # hands the contact out, and the card alone must keep the number from being dialled.
    from django.db.models.signals import post_save

    from agentdesk.compliance.models import DoNotCallEntry

    post_save.disconnect(sender=DoNotCallEntry, dispatch_uid="dncsync-entry-saved")
    try:
        dnc.add("+1 202-555-0100", reason="complaint", added_by="lee")
    finally:
        from agentdesk.dncsync import signals

        signals.connect()
    add_contact(phone="202 555 0100")
    log_in(page, late_server, "abby")
    page.keyboard.press("n")
    expect(page.locator("#compliance")).to_contain_text(
        "+12025550100 is on the do-not-call list (complaint)."
    )
    expect(page.locator("#contact-number")).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("h")
    expect(page.locator("#banner")).to_contain_text("Handed back with outcome 5 DNC.")


def test_confirm_is_logged_on_the_monitor_and_the_lead_releases(
    late_server, world, browser: Browser
):
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.CONFIRM)
    key = add_contact(phone="2025550162")
    viewport: ViewportSize = {"width": 1366, "height": 768}
    monitor = browser.new_context(viewport=viewport).new_page()
    desk = browser.new_context(viewport=viewport).new_page()
    log_in(monitor, late_server, "lee", "/monitor/")
    log_in(desk, late_server, "abby")

    desk.keyboard.press("n")
    expect(desk.locator("#compliance")).to_contain_text("confirm before dialing")
    expect(desk.locator("#contact-number")).to_have_attribute("aria-disabled", "true")
    desk.evaluate(
        "document.addEventListener('agentdesk:dial', e => { window.dialled = e.detail.href })"
    )
    desk.keyboard.press("c")
    expect(desk.locator("#banner")).to_contain_text("Confirmed and logged. Dialing (202) 555-0162.")
    expect(desk.locator("#contact-number")).to_have_attribute("href", "tel:+1-202-555-0162")
    assert desk.evaluate("window.dialled") == "tel:+1-202-555-0162"
    feed = monitor.locator("#monitor-feed")
    expect(feed).to_contain_text("Dial outside hours confirmed")
    expect(feed).to_contain_text("their time Mon 22:00 America/New_York")
    monitor.screenshot(path=str(ARTIFACTS / "compliance-monitor.png"))

    row = monitor.locator(f"#agent-row-{world.pk}")
    row.locator("select[name=outcome]").select_option("8")
    # While the lead decides, the row is updated live (Abby's page reloads: away, then live
    # again): the outcome the lead chose stays chosen for the same contact.
    row.evaluate("element => { element.dataset.before = 'update' }")
    desk.reload()
    expect(desk.locator("#contact-number")).to_have_count(1)
    expect(row).not_to_have_attribute("data-before", "update")
    expect(row.locator("select[name=outcome]")).to_have_value("8")
    row.locator("button", has_text="Release").click()
    expect(monitor.locator("#banner")).to_contain_text(
        "Released Abby's contact with outcome 8 No Answer."
    )
    expect(desk.locator("#agent-status")).to_contain_text(
        "Your team lead lee released your contact with outcome 8 No Answer."
    )
    expect(desk.locator("#contact-number")).to_have_count(0)
    expect(row).to_contain_text("idle")
    assert Contact.objects.get(lcm_key=key).outcome_id == 8
    assert ActionLog.objects.get(kind=ActionLog.RELEASE).actor == "lee"


def test_the_preview_countdown_hands_back_by_itself(late_server, world, page: Page):
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.OFF)
    PreviewLimit.objects.create(
        campaign_group="Sales Manual Group",
        seconds=5,
        on_expiry=PreviewLimit.HAND_BACK,
        hand_back_outcome=8,
    )
    key = add_contact(phone="2025550163")
    log_in(page, late_server, "abby")
    page.keyboard.press("n")
    countdown = page.locator("#preview-countdown")
    expect(countdown).to_contain_text("after 5 s the contact is handed back with outcome 8")
    expect(countdown.locator(".countdown")).to_have_text(re.compile(r"^0:0[0-5]$"))
    expect(page.locator("#banner")).to_contain_text(
        "The preview time ran out: handed back with outcome 8 No Answer.", timeout=15000
    )
    expect(page.locator("#contact-number")).to_have_count(0)
    assert Contact.objects.get(lcm_key=key).outcome_id == 8
