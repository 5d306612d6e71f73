"""The agent page notices a dead live connection within 10 s — the browser's offline event, or
no answer to its ping — shows it at once (top bar, banner), connects anew by itself, and never
carries out an action after telling the agent it was not done. Real Chromium, real Daphne."""

import re

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact

from .browser import abby_in_sales, log_in
from .conftest import ARTIFACTS
from .helpers import add_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(app_server):
    return abby_in_sales()


def test_offline_is_shown_at_once_and_a_skip_pressed_offline_never_happens(
    app_server, world, page: Page
):
    """Issue 28: offline, the top bar said Live for 60 s; Skip spun for 45 s; when the network
    came back the queued Skip was carried out."""
    key = add_contact(phone="2025550191")
    log_in(page, app_server, "abby")
    page.keyboard.press("n")
    expect(page.locator(".dial")).to_have_text("(202) 555-0191")

    page.context.set_offline(True)
    expect(page.locator("#live-status")).to_have_text("Offline", timeout=2000)
    expect(page.locator("#connection-banner")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "agent-page-offline.png"))
    page.select_option("#outcome", "8")
    page.click("#btn-skip")
    expect(page.locator("#banner")).to_contain_text("could not be reached", timeout=5000)

    page.context.set_offline(False)
    expect(page.locator("#live-status")).to_have_text("Live", timeout=15000)
    expect(page.locator("#connection-banner")).to_be_hidden()
    expect(page.locator(".dial")).to_have_text("(202) 555-0191")
    page.wait_for_timeout(1500)  # what a late frame would need to arrive: nothing must come
    assert Contact.objects.get(lcm_key=key).status == Contact.IN_PROGRESS
    assert not ActionLog.objects.filter(kind=ActionLog.SKIP).exists()
    assert AgentSession.objects.get(agent=world).state == AgentSession.PREVIEWING


def test_a_connection_that_stops_answering_is_noticed_within_10_s_and_replaced(
    app_server, world, page: Page
):
    """No offline event: the network path dies silently (the server's frames stop coming).
    The page's ping goes unanswered: within 10 s the top bar and the banner say so, and the
    page connects anew by itself."""
    connections: list[WebSocketRoute] = []
    muted = {"first": False}

    def through(route: WebSocketRoute) -> None:
        connections.append(route)
        first = len(connections) == 1
        server = route.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if not (first and muted["first"]):
                route.send(message)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r".*/ws/desk/$"), through)
    log_in(page, app_server, "abby")
    assert len(connections) == 1

    page.evaluate(
        """() => {
            const badge = document.getElementById("live-status");
            window.liveStates = [];
            new MutationObserver(() => liveStates.push([Date.now(), badge.dataset.state]))
                .observe(badge, {attributes: true, attributeFilter: ["data-state"]});
        }"""
    )

    went_quiet = page.evaluate("() => { return Date.now(); }")
    muted["first"] = True
    page.wait_for_function("() => liveStates.some(([, state]) => state === 'lost')", timeout=11000)
    expect(page.locator("#live-status")).to_have_text("Live", timeout=15000)

    states = page.evaluate("() => liveStates")
    noticed = (next(at for at, state in states if state == "lost") - went_quiet) / 1000
    assert noticed <= 10.0, states
    assert len(connections) == 2, "the page connects anew by itself"
    print(f"dead connection noticed after {noticed:.1f} s")

    # The new connection works: an action over it is answered.
    add_contact(phone="2025550192")
    page.keyboard.press("n")
    expect(page.locator(".dial")).to_have_text("(202) 555-0192")
