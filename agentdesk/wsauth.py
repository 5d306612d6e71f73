"""Channels' session authentication for websockets, with the lookups run in parallel.

Channels' AuthMiddleware reads the session and the user through `database_sync_to_async`
with its default `thread_sensitive=True`: every socket's lookup queues behind the others on
one shared thread. When thousands of pages reconnect at once (after a deploy), that one
thread was the whole worker's limit. Here the same `get_user` runs in the worker-thread pool
like the rest of agentdesk's database work (agentdesk/asyncdb.py).
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddleware, get_user
from channels.sessions import CookieMiddleware, SessionMiddleware

from agentdesk.asyncdb import db_async


class ParallelAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        scope["user"]._wrapped = await db_async(get_user.func)(scope)


def ParallelAuthMiddlewareStack(inner: Any) -> Any:  # named like Channels' own
    return CookieMiddleware(SessionMiddleware(ParallelAuthMiddleware(inner)))
