"""Live connections speak the page's language: the fragments a consumer renders (resyncs,
answers) are rendered in it, and per-language groups carry pushes rendered once per language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import translation

from agentdesk.shared.asyncdb import db_async

from .choice import SESSION_KEY, language_for

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    from django.http import parse_cookie

    return parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))


class LanguageMiddleware:
    """ASGI middleware inside Channels' AuthMiddlewareStack (the session is loaded by then):
    sets scope["language"] and activates it for the whole connection."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        session = scope.get("session")
        if session is None:
            saved = None
        elif getattr(session, "accessed", False):  # already read in the handshake's lookup: no trip
            saved = session.get(SESSION_KEY)
        else:  # in a worker thread that gives its connection back (see language.middleware)
            saved = await db_async(session.get)(SESSION_KEY)
        headers = dict(scope.get("headers", []))
        language = language_for(
            saved, _cookies(headers), headers.get(b"accept-language", b"").decode("latin-1")
        )
        with translation.override(language):
            return await self.inner({**scope, "language": language}, receive, send)


def scope_language(scope: Mapping[str, Any]) -> str:
    """The connection's language (the active one when LanguageMiddleware did not run)."""
    return scope.get("language") or translation.get_language() or settings.LANGUAGE_CODE


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_group(group: str, language: str) -> str:
    """The group of `group`'s listeners who read `language`."""
    return f"{group}.{language}"


async def send_each(group: str, message_type: str, rendered: Mapping[str, list[str]]) -> None:
    """Send each language's rendering of a push (its websocket frames, in order) to that
    language's group."""
    layer = get_channel_layer()
    for language, frames in rendered.items():
        message = {"type": message_type, "frames": frames}
        await layer.group_send(language_group(group, language), message)
