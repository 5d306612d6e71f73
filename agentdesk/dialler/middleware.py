"""Every error under /api/ answers in the API's JSON envelope, also those Django or django-ninja
produce before or around the API's own handlers (405 method not allowed, 400 bad host, 413
body too large, a 500 page)."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

API_PREFIX = "/api/"


def _as_envelope(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if (
        response.status_code < 400
        or not request.path.startswith(API_PREFIX)
        or response.get("Content-Type", "").startswith("application/json")
    ):
        return response
    from .api import error_response

    status = response.status_code
    try:
        message = HTTPStatus(status).phrase + "."
    except ValueError:
        message = "The request failed."
    if status == 405 and response.get("Allow"):
        message = f"{request.method} is not allowed here; use {response['Allow']}."
    kept = ("Allow", "Retry-After", "WWW-Authenticate")
    return error_response(status, message, headers={h: response[h] for h in kept if h in response})


@sync_and_async_middleware
def api_errors_as_json(get_response: Callable[..., Any]) -> Callable[..., Any]:
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            return _as_envelope(request, await get_response(request))

    else:

        def middleware(request: HttpRequest) -> HttpResponse:  # type: ignore[misc]
            return _as_envelope(request, get_response(request))

    return middleware
