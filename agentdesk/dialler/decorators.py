"""API authentication: `Authorization: Bearer <token>`, checked against stored hashes."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from agentdesk.asyncdb import db_async

from .models import ApiToken, hash_token


class ApiRequest(HttpRequest):
    """A request authenticated with an API token (by `api_token_required`)."""

    api_token: ApiToken


ApiView = Callable[..., Coroutine[Any, Any, HttpResponse]]


def error_response(status: int, message: str, **extra: Any) -> JsonResponse:
    """The seed's envelope for errors: no records, the status mirrored, and what went wrong."""
    body = {"records": [], "count": 0, "status": status, "message": message, **extra}
    return JsonResponse(body, status=status)


def _token_for(raw: str) -> ApiToken | None:
    token = ApiToken.objects.filter(token_hash=hash_token(raw)).first()
    if token is None or not token.is_active:
        return token
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    token.allowed_campaigns = set(token.campaigns.values_list("pk", flat=True)) or None
    return token


def api_token_required(view: ApiView) -> ApiView:
    @wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            response = error_response(401, "Send an API token: Authorization: Bearer <token>.")
            response["WWW-Authenticate"] = 'Bearer realm="agentdesk"'
            return response
        token = await db_async(_token_for)(raw.strip())
        if token is None:
            response = error_response(401, "The API token is not valid.")
            response["WWW-Authenticate"] = 'Bearer realm="agentdesk", error="invalid_token"'
            return response
        if not token.is_active:
            response = error_response(401, "The API token has been revoked.")
            response["WWW-Authenticate"] = 'Bearer realm="agentdesk", error="invalid_token"'
            return response
        api_request = cast(ApiRequest, request)
        api_request.api_token = token
        return await view(api_request, *args, **kwargs)

    return wrapper
