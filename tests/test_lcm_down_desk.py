"""The agent page while LCM is down or does not answer: the Add contact form says the campaigns
could not be loaded (not an empty list and "This field is required."), the page does not wait
a timeout per LCM call, a failed Skip keeps the chosen outcome, and a Skip without an outcome
says so on the page."""

import re
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from agentdesk.desk import lookups
from agentdesk.lcm import client as lcm_client
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import set_fault

from .browser import abby_in_sales, log_in
from .conftest import ARTIFACTS
from .helpers import add_contact, add_form, post_as_page

pytestmark = pytest.mark.django_db(transaction=True)
CAMPAIGNS_NOT_LOADED = "The campaigns could not be loaded, so no contact can be added now."


@pytest.fixture
def silent_lcm() -> Iterator[str]:
    """An LCM address that accepts connections and never answers (a hung server or a network
    that drops packets): every call waits for the whole LCM timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/lcm"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_add_contact_says_the_campaigns_could_not_be_loaded(alice):
    set_fault("down")
    page = alice.get("/").content.decode()
    assert CAMPAIGNS_NOT_LOADED in page
    assert "Campaigns could not be loaded</option>" in page
    assert "This field is required." not in page

    html = post_as_page(alice, "/desk/add", add_form(campaign=""))
    assert CAMPAIGNS_NOT_LOADED in html
    assert "This field is required." not in html

    set_fault("none")  # LCM is back (and the circuit breaker's pause over): the list is back
    lcm_client._clients.clear()
    html = post_as_page(alice, "/desk/add", add_form(campaign=""))
    assert CAMPAIGNS_NOT_LOADED not in html
    assert '<option value="Spring Renewals">' in html


def test_the_agent_page_does_not_wait_for_an_lcm_that_does_not_answer(agents, settings, silent_lcm):
    settings.LCM_URL = silent_lcm
    settings.LCM_TIMEOUT_SECONDS = 5
    client = Client()
    client.force_login(agents["alice"].user)
    started = time.monotonic()
    page = client.get("/").content.decode()
    took = time.monotonic() - started
    # Before: the outcomes (two calls) and the campaign groups were each waited for with the
    # whole timeout, 10 to 15 s on a login.
    assert took < lookups.PAGE_WAIT_SECONDS + 1.5, took
    assert CAMPAIGNS_NOT_LOADED in page


def _circuit_not_open(server) -> None:
    """The shared server's LCM circuit breaker may still be open from an earlier test's LCM
    outage: wait (on /healthz) until it lets calls through again."""
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.url}/healthz").json()["lcm_circuit"]["state"] == "open":
        assert time.monotonic() < deadline, "the LCM circuit stayed open"
        time.sleep(0.2)


@pytest.fixture
def world(app_server):
    _circuit_not_open(app_server)
    return abby_in_sales()


@pytest.mark.browser
def test_a_failed_skip_keeps_the_chosen_outcome(app_server, world, page: Page):
    key = add_contact(phone="2025550161")
    log_in(page, app_server, "abby")
    page.keyboard.press("n")
    expect(page.locator("#contact-number")).to_have_text("(202) 555-0161")
    page.select_option("#outcome", "8")
    set_fault("down")
    page.click("#btn-skip")
    # Unreachable, or (after earlier failures) the circuit breaker's pause: either way failed.
    expect(page.locator("#banner")).to_contain_text(re.compile("unreachable|not answering"))
    expect(page.locator("#contact-number")).to_have_text("(202) 555-0161")
    expect(page.locator("#outcome")).to_have_value("8")
    page.screenshot(path=str(ARTIFACTS / "skip-failed-keeps-outcome.png"))
    set_fault("none")
    _circuit_not_open(app_server)
    page.click("#btn-skip")  # the outcome is still chosen: one press skips with it
    expect(page.locator("#banner")).to_contain_text("Skipped with outcome 8 No Answer.")
    assert Contact.objects.get(lcm_key=key).outcome_id == 8


@pytest.mark.browser
def test_skip_without_an_outcome_says_so_on_the_page(app_server, world, page: Page):
    add_contact(phone="2025550162")
    log_in(page, app_server, "abby")
    page.keyboard.press("n")
    expect(page.locator("#contact-number")).to_have_text("(202) 555-0162")
    expect(page.locator("#outcome")).to_have_value("")
    page.click("#btn-skip")  # no browser bubble: the form is not validated by the browser
    expect(page.locator("#banner")).to_contain_text(
        "Pick an outcome from the list before skipping."
    )
    expect(page.locator("#outcome")).to_be_focused()
    page.locator("#banner .close").click()
    expect(page.locator("#banner")).to_have_text("")
    page.keyboard.press("Alt+s")  # the shortcut too
    expect(page.locator("#banner")).to_contain_text(
        "Pick an outcome from the list before skipping."
    )
    expect(page.locator("#contact-number")).to_have_text("(202) 555-0162")
