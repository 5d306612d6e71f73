"""Login with a brake: after a few failed attempts for one username, or from one address, the
login form pauses for a while instead of letting passwords be guessed."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext


def _keys(request: HttpRequest) -> list[str]:
    username = (request.POST.get("username") or "").strip().lower()
    address = request.META.get("REMOTE_ADDR", "")
    return [
        "login-fail:user:" + hashlib.sha256(username.encode()).hexdigest()[:32],
        "login-fail:addr:" + hashlib.sha256(address.encode()).hexdigest()[:32],
    ]


def failures(request: HttpRequest) -> int:
    return max(cache.get(key, 0) for key in _keys(request))


def record_failure(request: HttpRequest) -> None:
    for key in _keys(request):
        cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)


def forget_failures(request: HttpRequest) -> None:
    cache.delete_many(_keys(request))


class ThrottledLoginView(auth_views.LoginView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if failures(request) >= settings.LOGIN_FAILURES_ALLOWED:
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                ngettext(
                    "Too many failed attempts. Logging in is paused for up to %(minutes)d minute.",
                    "Too many failed attempts. Logging in is paused for up to %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            response = self.render_to_response(self.get_context_data(form=form, throttled=True))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        forget_failures(self.request)
        return super().form_valid(form)

    def form_invalid(self, form):
        record_failure(self.request)
        return super().form_invalid(form)
