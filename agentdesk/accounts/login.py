"""Login throttling with django-axes, tuned for call centres behind one TLS proxy.

Every login form that calls Django's `authenticate` (the agents' login page and
`/admin/login/`) goes through axes' backend, so one policy covers them all:

- A username is locked after `LOGIN_FAILURES_ALLOWED` failures, from any address, in every
  spelling Django's authentication reads as that user (stripped and NFKC-normalised, as the
  login form's `UsernameField` does). Letter case is kept: Django usernames are
  case-sensitive, so `bob` and `Bob` are two users with two counts.
- The bare address gets its own, far more generous limit (`LOGIN_ADDRESS_FAILURES_ALLOWED`):
  behind the proxy every agent shares one address, and one person's typos must not lock out
  the whole floor.
- A good login forgets only that user's own failures (axes resets the username's attempts; the
  address is not a lockout key, so nobody else's count moves).

Axes locks on any of its lockout parameter sets with one shared limit; the generous address
limit is the one piece it cannot express, so `LoginAttempts` adds it on top of axes' database
handler.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _


def normalized_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The key a login attempt counts against: the username as Django's authentication reads
    it (stripped, NFKC-normalised), so `ａｌｉｃｅ` counts against `alice`. Not case-folded:
    `Alice` may be another user, and a shared key would let her good login (which forgets the
    key's failures) reset the guesses against `alice`."""
    field = get_user_model().USERNAME_FIELD
    if credentials and credentials.get(field) is not None:
        raw = credentials.get(field)
    else:
        raw = request.POST.get(field, "") if request is not None else ""
    return unicodedata.normalize("NFKC", str(raw)).strip()[:255]


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    return settings.LOGIN_FAILURES_ALLOWED


def cool_off(request: HttpRequest | None = None) -> timedelta:
    return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


class LoginAttempts(AxesDatabaseHandler):
    """axes' database handler plus a separate, generous limit for the bare client address."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURES_ALLOWED:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def address_failures(request: HttpRequest) -> int:
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    since = timezone.now() - (get_cool_off(request) or cool_off())
    attempts = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)
    return sum(attempts.values_list("failures_since_start", flat=True))


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The login page again, saying why logging in is paused (429)."""
    minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
    message = _("Too many failed attempts. Logging in is paused for up to %(minutes)s minutes.") % {
        "minutes": minutes
    }
    context = {
        "form": AuthenticationForm(request),
        "locked_out": message,
        "next": request.POST.get("next") or request.GET.get("next") or "/",
    }
    return render(request, "registration/login.html", context, status=429)
