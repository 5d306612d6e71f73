"""Limits on live connections, so one session cannot slow everyone: how many sockets one login
session and one user may hold open at once (in this worker process), how many one session may
open a second, and how many frames one socket may send (token buckets: a burst, then a steady
rate). A socket over a limit gets an
error frame saying why, then is closed with code 4429; frames already queued behind it are
dropped, not worked off.

Measured before these limits: 200 monitor sockets opened from one lead session took 17 s and
pushed another agent's page from 68 ms to a median of 1.8 s; 1,500 frames queued on one socket
in 0.16 s took 20 s to work off. See docs/deploy.md ("Live connection limits").
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

TOO_MANY = 4429  # the close code the page sees (4000-4999: the application's own)


class OpenSockets:
    """Sockets open in this process, per session and per user."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: Counter[str] = Counter()

    def take(self, keys: list[tuple[str, int]]) -> str:
        """Count a socket under each (key, limit); "" when taken, else the key over its limit
        (nothing counted then)."""
        with self._lock:
            for key, limit in keys:
                if self._count[key] >= limit:
                    return key
            for key, _limit in keys:
                self._count[key] += 1
        return ""

    def give_back(self, keys: list[tuple[str, int]]) -> None:
        with self._lock:
            for key, _limit in keys:
                self._count[key] -= 1
                if self._count[key] <= 0:
                    del self._count[key]

    def count(self, key: str) -> int:
        with self._lock:
            return self._count[key]


OPEN = OpenSockets()


class FrameBucket:
    """`burst` frames at once, then `rate` a second."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class ConnectRates:
    """A FrameBucket of socket openings per login session, in this process. Buckets that
    have refilled are dropped as new sessions come, so the table stays small."""

    PRUNE_AT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, FrameBucket] = {}

    def take(self, key: str) -> bool:
        rate = float(settings.SOCKET_CONNECTS_PER_SECOND)
        burst = float(settings.SOCKET_CONNECT_BURST)
        with self._lock:
            if len(self._buckets) >= self.PRUNE_AT:
                self._prune(rate, burst)
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[key] = FrameBucket(rate, burst)
            return bucket.take()

    def _prune(self, rate: float, burst: float) -> None:
        now = time.monotonic()
        full_after = burst / rate
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items() if now - bucket.at < full_after
        }


CONNECTS = ConnectRates()


def error_frame(message: str) -> str:
    """An htmx out-of-band fragment: every page has #connection-banner (templates/base.html)."""
    return (
        '<div id="connection-banner" class="banner banner-error" role="alert" '
        f'hx-swap-oob="true">{escape(message)}</div>'
    )


class SocketLimits:
    """ASGI middleware inside the authentication stack (it needs the session and the user)."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope.get("type") != "websocket":
            return await self.inner(scope, receive, send)
        keys = _keys(scope)
        session_key = getattr(scope.get("session"), "session_key", None)
        if session_key and not CONNECTS.take(session_key):
            await _refuse(receive, send, "rate:")
            return None
        over = OPEN.take(keys)
        if over:
            await _refuse(receive, send, over)
            return None
        try:
            await self.inner(scope, *_rate_limited(receive, send))
        finally:
            OPEN.give_back(keys)
        return None


def _keys(scope: dict[str, Any]) -> list[tuple[str, int]]:
    session_key = getattr(scope.get("session"), "session_key", None)
    user = scope.get("user")
    keys = []
    if session_key:
        keys.append((f"session:{session_key}", int(settings.SOCKETS_PER_SESSION)))
    if user is not None and getattr(user, "is_authenticated", False):
        keys.append((f"user:{user.pk}", int(settings.SOCKETS_PER_USER)))
    return keys


async def _refuse(receive: Receive, send: Send, over: str) -> None:
    """Accept, say why, close: a browser cannot read why a handshake was refused."""
    message = await receive()
    if message.get("type") != "websocket.connect":
        return
    if over == "rate:":
        text = _(
            "This login opened more live connections than %(rate)g a second: wait a moment, "
            "then reload this page."
        ) % {"rate": settings.SOCKET_CONNECTS_PER_SECOND}
    elif over.startswith("session:"):
        text = _(
            "Too many live connections from this login (at most %(limit)d): close some tabs "
            "of agentdesk, then reload this one."
        ) % {"limit": settings.SOCKETS_PER_SESSION}
    else:
        text = _(
            "Too many live connections for your user (at most %(limit)d): close some tabs or "
            "log out elsewhere, then reload this page."
        ) % {"limit": settings.SOCKETS_PER_USER}
    log.warning(
        "websocket refused: %s over its limit (%d open)", over.split(":")[0], OPEN.count(over)
    )
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": error_frame(text)})
    await send({"type": "websocket.close", "code": TOO_MANY})


def _rate_limited(receive: Receive, send: Send) -> tuple[Receive, Send]:
    bucket = FrameBucket(
        float(settings.SOCKET_FRAMES_PER_SECOND), float(settings.SOCKET_FRAME_BURST)
    )
    closed = False

    async def limited_receive() -> dict[str, Any]:
        nonlocal closed
        message = await receive()
        if message.get("type") != "websocket.receive" or closed or bucket.take():
            return message
        closed = True
        text = _(
            "Too many messages on this live connection (more than %(rate)g a second): it is "
            "closed. Reload the page."
        ) % {"rate": settings.SOCKET_FRAMES_PER_SECOND}
        log.warning("websocket closed: over %g frames a second", settings.SOCKET_FRAMES_PER_SECOND)
        await send({"type": "websocket.send", "text": error_frame(text)})
        await send({"type": "websocket.close", "code": TOO_MANY})
        # The consumer winds down as for a page that left; what is queued behind is dropped.
        return {"type": "websocket.disconnect", "code": TOO_MANY}

    async def guarded_send(message: dict[str, Any]) -> None:
        if closed:
            return  # nothing more for a socket closed for its rate
        await send(message)

    return limited_receive, guarded_send
