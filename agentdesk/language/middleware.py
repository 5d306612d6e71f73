"""Activate the page's language for each request (see choice.py for the order of preference).

Written as an async-capable middleware instead of Django's LocaleMiddleware: that one is sync
only, and under Daphne every sync middleware costs each request two thread hops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.decorators import sync_and_async_middleware

from agentdesk.shared.asyncdb import db_async

from .choice import SESSION_KEY, language_for


def _chosen(request: HttpRequest, saved: str | None) -> str:
    language = language_for(saved, request.COOKIES, request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    request.LANGUAGE_CODE = language
    return language


def _label(response: HttpResponse, language: str) -> HttpResponse:
    patch_vary_headers(response, ("Accept-Language",))
    response.headers.setdefault("Content-Language", language)
    return response


@sync_and_async_middleware
def language_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[..., Any]:
    if iscoroutinefunction(get_response):

        async def amiddleware(request: HttpRequest) -> HttpResponse:
            session = getattr(request, "session", None)
            # Not session.aget: that loads the session on the request's own thread, which then
            # keeps its pooled connection for the whole request while the view waits for
            # another one; 100 concurrent requests on a pool of 20 deadlocked until timeout.
            saved = await db_async(session.get)(SESSION_KEY) if session is not None else None
            language = _chosen(request, saved)
            # override, not activate: the language must not outlive the request in a thread
            # that serves something else next (a job, another request without a session).
            with translation.override(language):
                return _label(await get_response(request), language)

        return amiddleware

    def middleware(request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        saved = session.get(SESSION_KEY) if session is not None else None
        language = _chosen(request, saved)
        with translation.override(language):
            return _label(get_response(request), language)

    return middleware
