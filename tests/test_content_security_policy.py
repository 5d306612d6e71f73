"""A strict Content-Security-Policy (django-csp): scripts and styles only from this site, no
inline script, handler or style in any template; who may frame agentdesk is configurable
(CSP_FRAME_ANCESTORS). In a real browser the desk, the monitor, the import and do-not-call pages
work with no CSP violation."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import Browser, ConsoleMessage, FilePayload, Page, ViewportSize, expect

from agentdesk.desk.models import AgentProfile
from agentdesk.lcmsim import demo
from agentdesk.teams.models import Team

from .browser import PASSWORD, log_in
from .helpers import add_contact

ROOT = Path(__file__).resolve().parent.parent
INLINE = re.compile(
    r"""\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:|hx-on|<script(?![^>]*\ssrc=)(?![^>]*type="application/json")""",
    re.IGNORECASE,
)


def test_no_template_has_inline_script_handler_or_style():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            if INLINE.search(line):
                found.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert found == []


@pytest.mark.django_db
def test_every_page_sends_the_strict_policy(admin_client):
    for path in ("/accounts/login/", "/monitor/", "/admin/"):
        answer = (Client() if path == "/accounts/login/" else admin_client).get(path, follow=True)
        policy = answer["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["default-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy
        assert answer["X-Frame-Options"] == "DENY"


def settings_in_subprocess(**env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-ancestors']); "
        "print('csp' and 'django.middleware.clickjacking.XFrameOptionsMiddleware' "
        "in settings.MIDDLEWARE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "agentdesk.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_frame_ancestors_are_configurable_for_an_agent_desktop():
    embedded = settings_in_subprocess(CSP_FRAME_ANCESTORS="'self' https://desktop.example.com")
    assert embedded.returncode == 0, embedded.stderr
    assert embedded.stdout.split("\n")[:2] == [
        "[\"'self'\", 'https://desktop.example.com']",
        "False",  # X-Frame-Options cannot say this; the CSP does
    ]
    # django-csp's own checks pass (a setting named CSP_* would read as its old format and stop
    # every manage.py command, the job runner included).
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "AGENTDESK_DEMO": "1", "CSP_FRAME_ANCESTORS": "'self'"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    for bad in ("https://a.example.com; script-src *", "'none' https://a.example.com", "*,x"):
        refused = settings_in_subprocess(CSP_FRAME_ANCESTORS=bad)
        assert refused.returncode != 0
        assert "CSP_FRAME_ANCESTORS" in refused.stderr


# ---------------------------------------------------------------- in a real browser


def watch_for_violations(page: Page) -> list[str]:
    seen: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Refused to" in message.text or "Content Security Policy" in message.text:
            seen.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " console.error('Refused to (event) ' + e.violatedDirective + ' ' + e.blockedURI); });"
    )
    return seen


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_desk_monitor_imports_and_dnc_pages_work_with_no_violation(app_server, browser: Browser):
    demo.seed_outcomes()
    demo.seed_campaigns()
    demo.assign_agents({"mo@test": ["Sales Manual Group"]})
    users = get_user_model().objects
    team = Team.objects.create(name="Night Shift")
    agent = users.create_user("mo", password=PASSWORD, first_name="Mo", last_name="Agent")
    AgentProfile.objects.create(
        user=agent, lcm_agent_id="mo@test", team=team, campaign_groups=["Sales Manual Group"]
    )
    team.leads.add(users.create_user("lee", password=PASSWORD, first_name="Lee"))
    add_contact(phone="2025550155")

    viewport: ViewportSize = {"width": 1366, "height": 768}
    monitor = browser.new_context(viewport=viewport).new_page()
    desk = browser.new_context(viewport=viewport).new_page()
    seen = watch_for_violations(monitor)
    desk_seen = watch_for_violations(desk)

    log_in(monitor, app_server, "lee", "/monitor/")
    row = monitor.locator("#monitor-agents .agent-row:not(.head)").first
    expect(row).to_contain_text("Mo Agent")
    log_in(desk, app_server, "mo")
    expect(row).to_contain_text("live")

    desk.click("#btn-next")
    expect(desk.locator(".dial")).to_have_text("(202) 555-0155")
    expect(row).to_contain_text("previewing")
    desk.select_option("#outcome", "101")
    desk.click("#btn-skip")
    expect(row).to_contain_text("idle")
    # A banner can be dismissed (its handler moved from an inline onclick to agentdesk.js).
    desk.click("#btn-next")
    expect(desk.locator("#banner .banner")).to_be_visible()
    desk.click("#banner .banner .close")
    expect(desk.locator("#banner .banner")).to_have_count(0)
    # The charts' legend swatches are SVG now, no inline style.
    expect(monitor.locator(".legend .swatch").first).to_be_attached()

    monitor.goto(f"{app_server.url}/monitor/{team.pk}/dnc/")
    monitor.set_input_files(
        "input[name=file]",
        files=FilePayload(
            name="dnc.csv", mimeType="text/csv", buffer=b"PhoneNumber\n+12025550199\n"
        ),
    )
    monitor.click("form[data-show-spinner] button[type=submit]")
    expect(monitor.locator("#dnc-result")).to_contain_text("1 numbers listed")
    monitor.goto(f"{app_server.url}/imports/{team.pk}/")
    expect(monitor.locator("input[name=file]")).to_be_attached()

    assert monitor.evaluate("window.htmx && htmx.config.includeIndicatorStyles") is False
    assert seen == [] and desk_seen == [], seen + desk_seen


def test_every_chart_colour_has_its_legend_class():
    from agentdesk.monitor.charts import AVERAGE_COLOUR, PALETTE

    css = (ROOT / "static" / "agentdesk" / "agentdesk.css").read_text()
    for colour in (*PALETTE, AVERAGE_COLOUR):
        assert f".swatch.c-{colour[1:]} {{ background: {colour}; }}" in css
