"""A number that cannot be dialled as given is offered neither for dialing nor for confirming
(on a *confirm* campaign outside calling hours the log would otherwise fill with calls that
never happened), and it does not look like a link."""

import pytest
from playwright.sync_api import Page, expect

from agentdesk.compliance.models import CampaignPolicy
from agentdesk.desk.models import ActionLog
from agentdesk.lcmsim.models import Contact

from .browser import abby_in_sales, log_in
from .conftest import ARTIFACTS, LATE_IN_NEW_YORK
from .helpers import add_contact

pytestmark = [pytest.mark.django_db(transaction=True)]
NOT_IN_THE_PLAN = "6375551591"  # area code 637 is not in service: "+1 637-555-1591"


def test_a_confirm_posted_by_hand_for_an_undialable_number_is_refused(sim_world, agents, settings):
    """The page offers no Confirm; a hand-made POST is refused the same way and logs nothing."""
    from datetime import datetime

    from django.test import Client

    from .helpers import SALES, banner, post_as_page

    settings.COMPLIANCE_CLOCK = datetime.fromisoformat(LATE_IN_NEW_YORK)
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.CONFIRM)
    add_contact(phone=NOT_IN_THE_PLAN)
    client = Client()
    client.force_login(agents["alice"].user)
    post_as_page(client, "/desk/next", SALES)
    html = post_as_page(client, "/desk/confirm-dial")
    assert "cannot be dialled as given, so there is nothing to confirm" in banner(html)
    assert not ActionLog.objects.filter(kind=ActionLog.CONFIRM_DIAL).exists()


@pytest.fixture
def world(late_server):
    return abby_in_sales()


@pytest.mark.browser
def test_no_confirm_for_an_undialable_number_on_a_confirm_campaign(late_server, world, page: Page):
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.CONFIRM)
    key = add_contact(phone=NOT_IN_THE_PLAN)
    log_in(page, late_server, "abby")
    page.keyboard.press("n")
    number = page.locator("#contact-number")
    expect(number).to_have_class("dial undialable")
    expect(page.locator("#contact-panel")).to_contain_text("does not exist in its country")
    expect(page.locator("#compliance")).to_contain_text(
        "Outside calling hours, and the number cannot be dialled: hand it back."
    )
    expect(page.locator("#btn-confirm-dial")).to_have_count(0)
    expect(page.locator("#btn-hand-back")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "undialable-confirm-campaign.png"))

    page.keyboard.press("c")  # the shortcut finds no Confirm button: nothing is logged
    page.keyboard.press("h")
    expect(page.locator("#banner")).to_contain_text("Handed back with outcome 4 CallBack.")
    assert Contact.objects.get(lcm_key=key).outcome_id == 4
    assert not ActionLog.objects.filter(kind=ActionLog.CONFIRM_DIAL).exists()


@pytest.mark.browser
def test_an_undialable_number_does_not_look_like_a_link(late_server, world, page: Page):
    add_contact(phone=NOT_IN_THE_PLAN)
    dialable = page.context.new_page()
    log_in(page, late_server, "abby")
    page.keyboard.press("n")
    number = page.locator("#contact-number")
    expect(number).to_have_class("dial undialable")
    style = number.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [s.color, s.fontWeight, s.cursor, s.textDecorationLine]; }"
    )
    link_colour = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent')"
    ).strip()
    assert link_colour == "#1c5fd1"
    assert style[0] != "rgb(28, 95, 209)"  # not the link blue
    assert style[1] == "400"  # not bold
    assert style[2] == "default"
    number.hover()
    assert number.evaluate("e => getComputedStyle(e).textDecorationLine") == "none"
    dialable.close()
