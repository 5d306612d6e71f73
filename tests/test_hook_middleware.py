"""Django's middlewares on the event loop (agentdesk/serving/hookmiddleware.py): an agent's action
passes them without a thread hop, and what they must still do (save a session, refuse a
request without its CSRF token, store a message, parse a large form) still happens."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import AsyncClient

from agentdesk.serving import hookmiddleware

from .helpers import thread_hops

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_django_middleware_in_use_runs_on_the_event_loop():
    django_own = [path for path in settings.MIDDLEWARE if path.startswith("django.")]
    assert django_own == []
    assert "agentdesk.serving.hookmiddleware.CsrfViewMiddleware" in settings.MIDDLEWARE


async def test_an_action_crosses_the_middlewares_without_a_thread_hop(agents):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(agents["alice"].user)
    page = await client.get("/")
    token = page.cookies["csrftoken"].value
    with thread_hops() as hops:
        answer = await client.post(
            "/desk/skip", {"outcome": "8"}, headers={"X-CSRFToken": token, "HX-Request": "true"}
        )
    assert answer.status_code == 200
    assert "no contact" in answer.content.decode().lower()
    middleware_hops = [name for name in hops if "process_" in name or "Middleware" in name]
    assert middleware_hops == [], middleware_hops


async def test_a_post_without_its_token_is_refused_with_the_refusal_page(agents):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(agents["alice"].user)
    answer = await client.post("/desk/skip", {"outcome": "8"})
    assert answer.status_code == 403
    assert "CSRF" in answer.content.decode()


async def test_a_large_form_is_parsed_in_a_thread_and_still_checked(agents):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(agents["alice"].user)
    page = await client.get("/")
    token = page.cookies["csrftoken"].value
    padding = "x" * (hookmiddleware.INLINE_BODY_BYTES + 1)
    with thread_hops() as hops:
        refused = await client.post("/desk/skip", {"outcome": "8", "note": padding})
        accepted = await client.post(
            "/desk/skip", {"outcome": "8", "note": padding, "csrfmiddlewaretoken": token}
        )
    assert refused.status_code == 403
    assert accepted.status_code in (200, 302)
    assert any("process_view" in name for name in hops), hops


async def test_a_login_saves_its_session(agents):
    """The session middleware's save (a database write) still happens, in a thread."""
    client = AsyncClient()
    with thread_hops() as hops:
        answer = await client.post(
            "/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}
        )
    assert answer.status_code == 302
    assert any("process_response" in name for name in hops), hops
    desk = await client.get("/")
    assert desk.status_code == 200
    assert 'ws-connect="/ws/desk/"' in desk.content.decode()


def test_django_deploy_checks_still_see_the_middlewares(settings):
    """Django looks for its middlewares by dotted path; its checks run again for these."""
    from agentdesk.serving.hookmiddleware import SILENCED_FOR_RERUN, check_as_django_middlewares

    assert list(SILENCED_FOR_RERUN) == settings.SILENCED_SYSTEM_CHECKS
    settings.SECURE_HSTS_SECONDS = 0
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    found = {message.id for message in check_as_django_middlewares(None)}
    # HSTS, SSL redirect, the session cookie with its middleware: checked, as with Django's paths
    assert {"security.W004", "security.W008", "security.W012"} <= found

    settings.MIDDLEWARE = [p for p in settings.MIDDLEWARE if not p.endswith(".CsrfViewMiddleware")]
    found = {message.id for message in check_as_django_middlewares(None)}
    assert "agentdesk.security.W003" in found  # a missing middleware is still reported

    # With Django's own paths (CSRF and now security left out), what the settings silence is
    # still said, and nothing twice.
    settings.MIDDLEWARE = [hookmiddleware.DJANGO_PATHS.get(p, p) for p in settings.MIDDLEWARE]
    settings.MIDDLEWARE.remove("django.middleware.security.SecurityMiddleware")
    found = [message.id for message in check_as_django_middlewares(None)]
    assert sorted(found) == ["agentdesk.security.W001", "agentdesk.security.W003"]
