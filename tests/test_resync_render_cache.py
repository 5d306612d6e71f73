"""A reconnecting page's resync takes an idle agent's fragments of the current session
version from the shared cache (after a deploy thousands of pages reconnect at once): never a
stale copy, never another language's, never a card with a contact on screen."""

import json
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client

from agentdesk.asgi import application
from agentdesk.desk import actions, answer, rendering, state
from agentdesk.desk.lookups import group_choices, outcome_menu

from .helpers import add_contact

pytestmark = pytest.mark.django_db(transaction=True)
SALES = "Sales Manual Group"


_cookies: dict[int, str] = {}


async def resync(profile, language: str = "en") -> str:
    """A page (re)connecting through the whole stack, in the browser's `language`; logged in
    once per test (a login restarts the agent's idle clock: a new session version)."""

    def cookie() -> str:
        client = Client()
        client.force_login(profile.user)
        return client.cookies["sessionid"].value

    if profile.pk not in _cookies:
        _cookies[profile.pk] = await sync_to_async(cookie)()
    tab = WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", f"sessionid={_cookies[profile.pk]}".encode()),
            (b"accept-language", language.encode()),
        ],
    )
    connected, _ = await tab.connect()
    assert connected
    html = await tab.receive_from(timeout=10)
    await tab.disconnect()
    return CLOCK.sub("", html)  # the connection's own clock mark, new on every connect


CLOCK = re.compile(r'<div id="socket-clock"[^>]*></div>')


@pytest.fixture(autouse=True)
def _log_in_afresh():
    _cookies.clear()


@pytest.fixture
def renders(monkeypatch):
    """The desk fragments rendered from templates, by name."""
    seen: list[str] = []
    original = rendering.render_to_string

    def counting(name, *args, **kwargs):
        seen.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(rendering, "render_to_string", counting)
    return seen


async def test_an_idle_agents_second_resync_renders_nothing(agents, renders):
    alice = agents["alice"]
    first = await resync(alice)
    assert "desk/_status.html" in renders
    renders.clear()
    assert await resync(alice) == first  # the same fragments, from the cache
    assert renders == []


async def test_a_resync_after_an_action_shows_the_action_not_the_stored_copy(agents, renders):
    await sync_to_async(add_contact)(phone="2025550191")
    alice = agents["alice"]
    await resync(alice)
    # As a page's action runs: its renderer draws the fragments in the save's trip.
    page = answer.context_for
    fetched = await actions.next_contact(
        alice, campaign_group=SALES, consent="Both", context=page(alice)
    )
    assert fetched.ok
    on_screen = await resync(alice)
    assert "status-previewing" in on_screen and "2025550191" in on_screen
    assert (await actions.skip_contact(alice, outcome_id="8", context=page(alice))).ok
    renders.clear()
    idle = await resync(alice)
    assert "status-idle" in idle and "2025550191" not in idle.split('id="agent-log"')[0]
    # The skip's own render was stored for this version: the resync rendered nothing.
    assert renders == []


async def test_a_contact_on_screen_is_never_served_from_the_cache(agents, renders):
    """The card shows times relative to now (expiry, the preview countdown, calling hours)."""
    await sync_to_async(add_contact)(phone="2025550192")
    alice = agents["alice"]
    assert (await actions.next_contact(alice, campaign_group=SALES, consent="Both")).ok
    renders.clear()
    assert "2025550192" in await resync(alice)
    assert "desk/_contact.html" in renders
    renders.clear()
    assert "2025550192" in await resync(alice)
    assert "desk/_contact.html" in renders  # rendered again, not stored


async def test_each_language_has_its_own_copy(agents):
    alice = agents["alice"]
    english = await resync(alice, "en")
    german = await resync(alice, "de")
    assert 'data-announce="Idle"' in english and 'data-announce="Idle"' not in german
    assert await resync(alice, "en") == english


async def test_a_broken_cache_is_a_miss_not_a_failed_resync(agents, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    assert 'id="agent-status"' in await resync(agents["alice"])


async def test_the_stored_copy_is_what_a_fresh_render_gives(agents, settings):
    alice = agents["alice"]
    await resync(alice)
    session = await sync_to_async(state.session_for)(alice)
    session.agent = alice
    menu, groups = await outcome_menu(), await group_choices(alice)
    stored = await sync_to_async(rendering.render_live_stored)(session, menu, groups)
    settings.DESK_RENDER_CACHE_SECONDS = 0
    fresh = await sync_to_async(rendering.render_live)(session, menu, groups)
    assert stored == fresh
    json.dumps(stored)  # plain text
