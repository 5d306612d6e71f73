"""The base of every websocket consumer: access is checked for as long as the socket lives,
and a failing handler never skips the disconnect bookkeeping."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.asyncdb import db_async

from . import groups, sessions

log = logging.getLogger(__name__)

# Close codes the browser sees: access ended (log in again), or the server failed.
ACCESS_ENDED = 4401
SERVER_ERROR = 1011


class AccessCheckedConsumer(AsyncWebsocketConsumer):
    access_groups: tuple[str, ...] = ()
    access_ended = False
    _disconnected = False
    _expiry: asyncio.Task | None = None
    _session_key = ""
    _user_id: int | None = None

    async def still_allowed(self, user_id: int) -> bool:
        """Whether this user may still hold this socket (each consumer says what it needs)."""
        return True

    async def bad_frame(self, message: str) -> None:
        """Tell the page a frame could not be handled (consumers that accept frames say how)."""

    async def keep_access_checked(self) -> None:
        """Call once the socket is accepted."""
        session = self.scope.get("session")
        user = self.scope.get("user")
        self._session_key = getattr(session, "session_key", None) or ""
        self._user_id = getattr(user, "pk", None)
        if not self._session_key or self._user_id is None:
            await self.end_access()
            return
        self.access_groups = (
            groups.session_group(self._session_key),
            groups.user_group(self._user_id),
            groups.EVERYONE,
        )
        for group in self.access_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        # Once more now that the groups are joined: a session ended (or a user changed)
        # between the handshake's read and joining would otherwise have told nobody.
        await self.access_check({"type": groups.CHECK})

    async def access_check(self, event: dict) -> None:
        if self.access_ended or self._user_id is None:
            return
        user_id = await db_async(sessions.current_user_id)(self._session_key)
        if user_id != self._user_id or not await self.still_allowed(user_id):
            await self.end_access()
            return
        await self._check_when_session_expires()

    async def access_end(self, event: dict) -> None:
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

    async def _check_when_session_expires(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        ends = await db_async(sessions.expires_at)(self._session_key)
        delay = max(0.0, (ends - timezone.now()).total_seconds()) + 0.5
        self._expiry = asyncio.get_running_loop().create_task(self._recheck_after(delay))

    async def _recheck_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        # Through the channel, so the check runs in turn with the consumer's other messages.
        await self.channel_layer.send(self.channel_name, {"type": groups.CHECK})

    async def dispatch(self, message: dict) -> None:
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

    async def _handle(self, message: dict) -> None:
        """Channels' dispatch without the thread hop it makes before every message (every push
        to every socket) to close stale database connections: these consumers do their
        database work through db_async, which does that in the thread that uses the
        connection."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message.get('type')!r}")
        await handler(message)

    async def websocket_disconnect(self, message: dict) -> None:
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
