"""The base of every websocket consumer: access is checked for as long as the socket lives,
and a failing handler never skips the disconnect bookkeeping."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.shared.asyncdb import db_async

from . import groups, sessions

log = logging.getLogger(__name__)

# Close codes the browser sees: access ended (log in again), or the server failed.
ACCESS_ENDED = 4401
SERVER_ERROR = 1011


class AccessCheckedConsumer(AsyncWebsocketConsumer):
    access_groups: tuple[str, ...] = ()
    access_ended = False
    _disconnected = False
    _expiry: asyncio.Task[Any] | None = None
    _session_key = ""
    access_ends: datetime | None = None  # when the login session ends, as last read
    _user_id: int | None = None

    def allowed(self, user_id: int) -> bool:
        """Whether this user may still hold this socket (each consumer says what it needs).
        Runs in a worker thread, in the same trip as the session's check."""
        return True

    async def bad_frame(self, message: str) -> None:
        """Tell the page a frame could not be handled (consumers that accept frames say how)."""

    async def keep_access_checked(self) -> None:
        """Call once the socket is accepted."""
        if await self.join_access_groups():
            await self.access_check({"type": groups.CHECK})

    async def join_access_groups(self) -> bool:
        """Join the groups that tell this socket when its access ends or changes; False (and
        the socket closed) when the handshake had no logged-in session.

        A consumer that calls this itself must check access once more afterwards (a session
        ended between the handshake's read and joining would otherwise have told nobody):
        `access_check`, or `session_access` and `allowed` in a trip of its own, then
        `expire_at`."""
        session = self.scope.get("session")
        user = self.scope.get("user")
        self._session_key = getattr(session, "session_key", None) or ""
        self._user_id = getattr(user, "pk", None)
        if not self._session_key or self._user_id is None:
            await self.end_access()
            return False
        self.access_groups = (
            groups.session_group(self._session_key),
            groups.user_group(self._user_id),
            groups.EVERYONE,
        )
        layer, channel = self.channel_layer, self.channel_name
        await asyncio.gather(*(layer.group_add(group, channel) for group in self.access_groups))
        return True

    def session_access(self) -> datetime | None:
        """Sync, in a worker thread: when the session ends if it is still logged in as this
        socket's user, else None."""
        user_id, ends = sessions.current_access(self._session_key)
        return ends if user_id is not None and user_id == self._user_id else None

    def access_now(self) -> datetime | None:
        """Sync, in a worker thread: `session_access`, and the consumer's own `allowed`."""
        ends = self.session_access()
        if ends is None or self._user_id is None or not self.allowed(self._user_id):
            return None
        return ends

    async def access_check(self, event: dict[str, Any]) -> None:
        if self.access_ended or self._user_id is None:
            return
        ends = await db_async(self.access_now)()
        if ends is None:
            await self.end_access()
            return
        self.expire_at(ends)

    async def access_end(self, event: dict[str, Any]) -> None:
        await self.end_access()

    async def end_access(self) -> None:
        """Leave every group now (no more pushes), then close."""
        if self.access_ended:
            return
        self.access_ended = True
        for group in (*self.groups_to_leave(), *self.access_groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.close(code=ACCESS_ENDED)

    def groups_to_leave(self) -> tuple[str, ...]:
        """The consumer's own groups (its pushes), left the moment access ends."""
        return ()

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if self.access_ended and not close:
            return  # nothing more for a socket whose access ended
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    def expire_at(self, ends: datetime) -> None:
        """Check again once the session has ended (unless it is extended meanwhile)."""
        self.access_ends = ends
        if self._expiry is not None:
            self._expiry.cancel()
        delay = max(0.0, (ends - timezone.now()).total_seconds()) + 0.5
        self._expiry = asyncio.get_running_loop().create_task(self._recheck_after(delay))

    async def _recheck_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        # Through the channel, so the check runs in turn with the consumer's other messages.
        await self.channel_layer.send(self.channel_name, {"type": groups.CHECK})

    async def dispatch(self, message: dict[str, Any]) -> None:
        try:
            await self._handle(message)
        except (StopConsumer, asyncio.CancelledError):
            raise
        except Exception:
            kind = message.get("type", "")
            log.exception("websocket consumer %s failed on %s", type(self).__name__, kind)
            try:
                if kind == "websocket.receive":
                    await self.bad_frame(_("agentdesk could not handle that message."))
                elif kind == "websocket.connect":
                    await self.close(code=SERVER_ERROR)
            except Exception:
                log.exception("and could not tell the page")
                await self.close(code=SERVER_ERROR)

    async def _handle(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without the thread hop it makes before every message (every push
        to every socket) to close stale database connections: these consumers do their
        database work through db_async, which does that in the thread that uses the
        connection. Channels has no switch for that hop, so `dispatch` is replaced;
        tests/test_framework_adapters.py fails when Channels' own dispatch changes."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message.get('type')!r}")
        await handler(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await self._run_disconnect(message.get("code", 1000))
        raise StopConsumer()

    async def _run_disconnect(self, code: int) -> None:
        if self._disconnected:
            return
        self._disconnected = True
        if self._expiry is not None:
            self._expiry.cancel()
        for group in self.access_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        try:
            await self.disconnect(code)
        finally:
            for group in self.groups:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # The worker is stopping or the consumer died: the bookkeeping still happens.
            if not self._disconnected and self.channel_layer is not None:
                await asyncio.shield(self._run_disconnect(SERVER_ERROR))
