"""Django's middlewares as shipped, and its deploy checks unsilenced: a POST without its CSRF
token is refused, a login saves its session, and `check --deploy` sees every middleware."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)

DJANGO_MIDDLEWARES = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def test_django_middlewares_are_used_as_shipped_and_no_check_is_silenced():
    used = [path for path in settings.MIDDLEWARE if path in DJANGO_MIDDLEWARES]
    assert used == DJANGO_MIDDLEWARES
    assert settings.SILENCED_SYSTEM_CHECKS == []


async def test_an_action_with_its_token_passes(agents):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(agents["alice"].user)
    page = await client.get("/")
    token = page.cookies["csrftoken"].value
    answer = await client.post(
        "/desk/skip",
        {"outcome": "8", "contact_key": "1|2", "session_version": "0"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "the contact on your screen changed" in answer.content.decode().lower()
    assert answer.headers["X-Frame-Options"] == "DENY"


async def test_a_post_without_its_token_is_refused_with_the_refusal_page(agents):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(agents["alice"].user)
    answer = await client.post("/desk/skip", {"outcome": "8"})
    assert answer.status_code == 403
    assert "CSRF" in answer.content.decode()


async def test_a_large_form_is_still_checked(agents):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(agents["alice"].user)
    page = await client.get("/")
    token = page.cookies["csrftoken"].value
    padding = "x" * (300 * 1024)
    refused = await client.post("/desk/skip", {"outcome": "8", "note": padding})
    accepted = await client.post(
        "/desk/skip", {"outcome": "8", "note": padding, "csrfmiddlewaretoken": token}
    )
    assert refused.status_code == 403
    assert accepted.status_code in (200, 302)


async def test_a_login_saves_its_session(agents):
    client = AsyncClient()
    answer = await client.post(
        "/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}
    )
    assert answer.status_code == 302
    desk = await client.get("/")
    assert desk.status_code == 200
    assert 'ws-connect="/ws/desk/"' in desk.content.decode()


def _deploy_warnings() -> set[str]:
    return {
        message.id or ""
        for message in run_checks(include_deployment_checks=True, tags=["security"])
    }


def test_django_deploy_checks_see_the_middlewares(settings):
    settings.SECURE_HSTS_SECONDS = 0
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    found = _deploy_warnings()
    # HSTS, SSL redirect, the session cookie with its middleware: Django checks them itself.
    assert {"security.W004", "security.W008", "security.W012"} <= found
    assert "security.W001" not in found  # the security middleware is found where it is

    settings.MIDDLEWARE = [p for p in settings.MIDDLEWARE if not p.endswith(".CsrfViewMiddleware")]
    assert "security.W003" in _deploy_warnings()  # a missing middleware is reported
