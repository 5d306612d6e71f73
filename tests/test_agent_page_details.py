"""Small things an agent sees every hour: where focus lands after Hand back, idle time counted
from the login, the banner's number written as the card writes it, a callback time already
past marked, and a simulated compliance clock said on the page."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from agentdesk.compliance.models import CampaignPolicy
from agentdesk.desk.models import AgentSession

from .browser import abby_in_sales, log_in
from .conftest import ARTIFACTS, LATE_IN_NEW_YORK
from .helpers import SALES, add_contact, banner, post_as_page

pytestmark = pytest.mark.django_db(transaction=True)


def test_idle_time_starts_at_login_not_when_the_session_was_made(agents):
    """Seeding (or the last shift) made the session long ago: logging in starts the clock."""
    alice = agents["alice"]
    long_ago = timezone.now() - timedelta(hours=3)
    AgentSession.objects.create(agent=alice, state_since=long_ago)
    client = Client()
    client.force_login(alice.user)  # the login signal, as the login form sends it
    since = AgentSession.objects.get(agent=alice).state_since
    assert timezone.now() - since < timedelta(seconds=30)
    page = client.get("/").content.decode()
    assert f'data-since="{since.isoformat()}"' in page


def test_a_login_while_a_page_is_open_keeps_the_idle_time(agents):
    bob = agents["bob"]
    long_ago = timezone.now() - timedelta(hours=3)
    AgentSession.objects.create(
        agent=bob,
        state_since=long_ago,
        connections=1,
        seen_until=timezone.now() + timedelta(minutes=1),
    )
    Client().force_login(bob.user)
    assert AgentSession.objects.get(agent=bob).state_since == long_ago


def test_the_banner_writes_the_number_as_the_card_does(alice):
    add_contact(phone="7625554975")
    html = post_as_page(alice, "/desk/next", SALES)
    assert "Contact (762) 555-4975 is on your screen." in banner(html)
    assert "7625554975 is on your screen" not in html
    assert 'id="contact-number" class="dial" href="tel:+1-762-555-4975"' in html


def test_a_callback_time_already_past_is_marked(alice):
    add_contact(
        phone="2025550163", start=timezone.localtime().replace(tzinfo=None) - timedelta(hours=2)
    )
    html = post_as_page(alice, "/desk/next", SALES)
    start = html.index('id="callback-time"')
    callback = html[start : html.index("</dd>", start)]
    assert 'class="past-time"' in callback
    assert "already past" in callback
    assert "ago)" in callback


def test_a_callback_time_ahead_is_not_marked(alice):
    add_contact(
        phone="2025550164",
        call_type="1",
        start=timezone.localtime().replace(tzinfo=None) + timedelta(hours=2),
    )
    post_as_page(alice, "/desk/next", SALES)  # not handed out before its time
    html = alice.get("/").content.decode()
    assert "already past" not in html


def test_a_simulated_compliance_clock_is_said_on_every_page(alice, agents, settings):
    page = alice.get("/").content.decode()
    assert "Simulated clock" not in page
    settings.COMPLIANCE_CLOCK = datetime.fromisoformat(LATE_IN_NEW_YORK)
    page = alice.get("/").content.decode()
    assert 'id="simulated-clock"' in page
    assert "calling hours are judged as if it were Tue 24 Nov 2026, 03:00 UTC" in page
    lead = Client()
    lead.force_login(agents["lead"])
    assert "Simulated clock" in lead.get("/monitor/", follow=True).content.decode()


@pytest.fixture
def world(late_server):
    return abby_in_sales()


@pytest.mark.browser
def test_focus_after_hand_back_is_on_next_and_the_clock_is_said(late_server, world, page: Page):
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours=CampaignPolicy.BLOCK)
    add_contact(phone="2025550161")
    add_contact(phone="2025550165")
    log_in(page, late_server, "abby")
    expect(page.locator("#simulated-clock")).to_contain_text("Simulated clock")
    for _ in range(2):
        page.keyboard.press("n")
        expect(page.locator("#btn-hand-back")).to_be_visible()
        page.keyboard.press("h")
        expect(page.locator("#banner")).to_contain_text("Handed back with outcome 4 CallBack.")
        expect(page.locator("#btn-next")).to_be_focused()
        assert page.evaluate("document.activeElement.id") == "btn-next"
    page.screenshot(path=str(ARTIFACTS / "focus-after-hand-back.png"))
