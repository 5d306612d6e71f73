"""Soak: agents in real Chromium work Next → Skip cycles against a Daphne worker that talks HTTP
to LCM through a faulty proxy, while pages reload, a second tab of one agent acts on a screen
that moved on (its socket down, so it posts), pages go offline mid-action, LCM answers some
skips too late, and the worker is SIGKILLed once right after LCM closed a contact. At the end
LCM's record and the action log reconcile exactly: every contact LCM closed has exactly one
close in the log with LCM's outcome, every contact LCM still holds is on its agent's screen,
nothing LCM handed out is missing from the log, and no agent is stuck.

About 1–2 minutes; runs in the browser phase."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, WebSocketRoute, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agentdesk.desk import pending
from agentdesk.desk.models import ActionLog, AgentProfile, AgentSession
from agentdesk.desk.onscreen import key_on_screen
from agentdesk.lcmsim import demo
from agentdesk.lcmsim.models import Contact
from agentdesk.teams.models import Team

from .browser import PASSWORD, log_in
from .conftest import Server, free_port, server_env
from .helpers import add_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGENTS = {"ann": "s1@test", "ben": "s2@test", "cat": "s3@test"}
CYCLES_PER_AGENT = 14
CONTACTS = 3 * CYCLES_PER_AGENT + 12
SKIPPED = re.compile(
    r"Skipped with outcome|most likely closed|no longer open for you|contact on your screen "
    r"changed|not carried out"
)


@dataclass
class Figures:
    cycles: int = 0
    reloads: int = 0
    stale_tab_refusals: int = 0
    offline_mid_action: int = 0
    unknown_outcomes: int = 0
    busy: int = 0
    kills: int = 0
    notes: list[str] = field(default_factory=list)


def key_on_screen_of(profile: AgentProfile) -> str:
    return key_on_screen(AgentSession.objects.get(agent=profile)) or ""


def idle(page: Page) -> bool:
    return page.locator("#contact-card").count() == 0


def wait_answered(page: Page) -> None:
    """Until the page no longer waits for an action (its progress indicator is off)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-indicator.htmx-request')", timeout=30000
    )


def drive_to_idle(page: Page, figures: Figures, sweep, tries: int = 40) -> None:
    """Skip the contact on screen with 8 No Answer until it is off the screen, whatever the
    page says in between (an unknown outcome, busy, a changed screen, a dropped connection)."""
    for _ in range(tries):
        if idle(page):
            return
        expect(page.locator("#live-status")).to_have_text("Live", timeout=20000)
        try:
            page.select_option("#outcome", "8", timeout=3000)
        except PlaywrightTimeout:  # a push took the card away meanwhile (done after all)
            continue
        page.locator("#btn-skip").click()
        wait_answered(page)
        said = page.locator("#banner").inner_text()
        if "may already have closed" in said:
            figures.unknown_outcomes += 1
        elif "still running" in said:
            figures.busy += 1
            sweep()
            page.wait_for_timeout(500)
        page.wait_for_timeout(100)
    raise AssertionError(f"stuck with a contact on screen: {page.locator('#banner').inner_text()}")


def next_contact(page: Page) -> bool:
    """Next Contact; False when the campaign has none left."""
    expect(page.locator("#live-status")).to_have_text("Live", timeout=20000)
    page.keyboard.press("n")
    wait_answered(page)
    page.wait_for_function(
        "() => document.querySelector('#contact-card') || "
        "/No contact available|no contact/i.test(document.querySelector('#banner').innerText)",
        timeout=20000,
    )
    return not idle(page)


def test_soak_ends_with_lcm_and_the_action_log_reconciled(proxy, browser: Browser, settings):
    demo.seed_outcomes()
    demo.seed_campaigns()
    demo.assign_agents({lcm_id: ["Sales Manual Group"] for lcm_id in AGENTS.values()})
    team = Team.objects.create(name="Soak")
    profiles = {}
    for name, lcm_id in AGENTS.items():
        user = get_user_model().objects.create_user(name, password=PASSWORD)
        profiles[name] = AgentProfile.objects.create(
            user=user, lcm_agent_id=lcm_id, team=team, campaign_groups=["Sales Manual Group"]
        )
    keys = [add_contact(phone=f"20255501{n % 100:02d}") for n in range(CONTACTS)]
    proxy.set("pass")
    proxy.answers.clear()
    proxy.late.clear()
    proxy.late["SkipManualDialContact"] = 1.6  # past the worker's 1 s: an unknown outcome
    proxy.late_share["SkipManualDialContact"] = 0.03
    port = free_port()
    worker = Server(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "agentdesk.asgi:application"],
        port,
        server_env(LCM_URL=proxy.url, LCM_TIMEOUT_SECONDS="1", LCM_BREAKER_FAILURES="1000"),
        "/accounts/login/",
    )
    figures = Figures()
    rng = random.Random(27)
    started = time.monotonic()

    def sweep() -> None:  # what the job runner's sweep does every JOBS_SWEEP_SECONDS
        pending.settle_abandoned()

    try:
        pages: dict[str, Page] = {}
        for name in AGENTS:
            pages[name] = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            log_in(pages[name], worker, name)
        # ben's second tab, in a context of its own whose socket can be cut.
        cut = {"on": False}

        def second_tab_socket(route: WebSocketRoute) -> None:
            if cut["on"]:
                route.close()
            else:
                route.connect_to_server()

        tab_b = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        tab_b.route_web_socket(re.compile(r".*/ws/desk/$"), second_tab_socket)
        log_in(tab_b, worker, "ben")

        killed = False
        for cycle in range(CYCLES_PER_AGENT):
            for name, page in pages.items():
                if not next_contact(page):
                    continue
                figures.cycles += 1
                if name == "ann" and cycle % 5 == 2:  # a reload with a contact on screen
                    page.reload()
                    expect(page.locator("#live-status")).to_have_text("Live", timeout=20000)
                    figures.reloads += 1
                if name == "ben" and cycle % 4 == 1:
                    # The second tab shows this contact; its socket goes down; the first tab
                    # skips it and takes the next; the second tab (posting) skips what it shows.
                    expect(tab_b.locator("#contact-card")).to_be_visible(timeout=10000)
                    cut["on"] = True
                    tab_b.evaluate("() => window.dispatchEvent(new Event('offline'))")
                    expect(tab_b.locator("#live-status")).not_to_have_text("Live")
                    drive_to_idle(page, figures, sweep)
                    if next_contact(page):
                        held = Contact.objects.get(lcm_key=key_on_screen_of(profiles["ben"]))
                        tab_b.select_option("#outcome", "5")  # DNC: the wrong number listed?
                        tab_b.locator("#btn-skip").click()
                        expect(tab_b.locator("#banner")).to_contain_text(
                            "The contact on your screen changed", timeout=10000
                        )
                        figures.stale_tab_refusals += 1
                        held.refresh_from_db()
                        assert held.status == Contact.IN_PROGRESS and held.outcome_id is None
                    cut["on"] = False
                    tab_b.evaluate("() => window.dispatchEvent(new Event('online'))")
                if name == "cat" and cycle == 5:  # one skip answered late for sure
                    proxy.late_share["SkipManualDialContact"] = 1
                    page.select_option("#outcome", "8")
                    page.locator("#btn-skip").click()
                    wait_answered(page)
                    expect(page.locator("#banner")).to_contain_text("may already have closed")
                    figures.unknown_outcomes += 1
                    proxy.late_share["SkipManualDialContact"] = 0.03
                if name == "cat" and cycle % 5 == 3:  # offline right after pressing Skip
                    page.select_option("#outcome", "8")
                    page.locator("#btn-skip").click()
                    page.context.set_offline(True)
                    page.wait_for_timeout(rng.randint(200, 1500))
                    page.context.set_offline(False)
                    figures.offline_mid_action += 1
                if name == "ann" and cycle == 6 and not killed:
                    # SIGKILL 0.4 s after LCM closed the contact, its answer 2.5 s late.
                    killed = True
                    key = key_on_screen_of(profiles["ann"])
                    proxy.late_share["SkipManualDialContact"] = 1
                    proxy.late["SkipManualDialContact"] = 2.5
                    page.select_option("#outcome", "8")
                    page.locator("#btn-skip").click()
                    deadline = time.monotonic() + 10
                    while Contact.objects.get(lcm_key=key).status != Contact.CLOSED:
                        assert time.monotonic() < deadline, "LCM never closed the contact"
                        time.sleep(0.05)
                    time.sleep(0.4)
                    worker.process.kill()
                    worker.process.wait(10)
                    worker._log.close()
                    figures.kills += 1
                    proxy.late["SkipManualDialContact"] = 1.6
                    proxy.late_share["SkipManualDialContact"] = 0.03
                    worker._start()
                drive_to_idle(page, figures, sweep)
            sweep()

        # The end: every page idle and able to go on.
        for page in [*pages.values(), tab_b]:
            expect(page.locator("#live-status")).to_have_text("Live", timeout=20000)
            drive_to_idle(page, figures, sweep)
    finally:
        worker.stop()
    sweep()
    seconds = time.monotonic() - started

    # ---- reconcile LCM's record with the action log
    misses: list[str] = []
    sessions = {s.agent_id: s for s in AgentSession.objects.all()}
    on_screen = {key_on_screen(s) for s in sessions.values() if s.state == AgentSession.PREVIEWING}
    for key in keys:
        contact = Contact.objects.get(lcm_key=key)
        closes = ActionLog.objects.filter(lcm_key=key, kind__in=ActionLog.CLOSING_KINDS, ok=True)
        handed_out = ActionLog.objects.filter(lcm_key=key, kind=ActionLog.NEXT, ok=True)
        if contact.status == Contact.CLOSED:
            outcomes = [c.outcome_id for c in closes]
            if outcomes != [contact.outcome_id]:
                misses.append(f"{key}: LCM closed it with {contact.outcome_id}, log {outcomes}")
            if not handed_out.exists():
                misses.append(f"{key}: closed in LCM, never shown in the log")
        elif contact.status == Contact.IN_PROGRESS:
            if key not in on_screen:
                misses.append(f"{key}: LCM holds it for {contact.held_by}, on no screen")
        elif closes.exists():
            misses.append(f"{key}: open in LCM, a close in the log")
    stuck = [s for s in sessions.values() if s.busy_token or pending.pending_of(s)]
    late = proxy.answered_late["SkipManualDialContact"]
    print(
        f"\nsoak: {figures.cycles} cycles by {len(AGENTS)} agents in {seconds:.0f} s; "
        f"interruptions: {figures.reloads} reloads, {figures.stale_tab_refusals} stale-tab "
        f"skips refused, {figures.offline_mid_action} offline mid-skip, {late} LCM answers "
        f"late ({figures.unknown_outcomes} unknown outcomes shown), {figures.kills} worker "
        f"SIGKILL, {figures.busy} busy answers; misses: {len(misses)}"
    )
    assert figures.cycles >= 3 * CYCLES_PER_AGENT - 3
    assert figures.kills == 1 and figures.stale_tab_refusals >= 3
    assert figures.unknown_outcomes >= 1
    assert not misses, misses
    assert not stuck, stuck
    assert Contact.objects.filter(lcm_key__in=keys, status=Contact.CLOSED).count() >= 30
