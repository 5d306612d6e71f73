"""Channels' session authentication for websockets, with the lookups run in parallel.

Channels' AuthMiddleware reads the session and the user through `database_sync_to_async`
with its default `thread_sensitive=True`: every socket's lookup queues behind the others on
one shared thread. When thousands of pages reconnect at once (after a deploy), that one
thread was the whole worker's limit. Here the same `get_user` runs in the worker-thread pool
like the rest of agentdesk's database work (agentdesk/shared/asyncdb.py), and whatever else a
socket needs from the database before it can be accepted (`also`) is read in the same trip.

Channels offers no setting for the thread, so this overrides `AuthMiddleware.resolve_scope` and
calls the sync function inside Channels' `get_user` wrapper (`get_user.func`);
tests/test_framework_adapters.py fails when an upgrade changes either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from channels.auth import AuthMiddleware, get_user
from channels.sessions import CookieMiddleware, SessionMiddleware

from agentdesk.shared.asyncdb import db_async

ScopeLookup = Callable[[dict[str, Any]], None]
"""Sync, run in the lookup's worker thread once scope["user"] is known; may add to the scope."""


class ParallelAuthMiddleware(AuthMiddleware):
    def __init__(self, inner: Any, also: Sequence[ScopeLookup] = ()) -> None:
        super().__init__(inner)
        self.also = tuple(also)

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        def lookups() -> None:
            scope["user"]._wrapped = get_user.func(scope)
            for lookup in self.also:
                lookup(scope)

        await db_async(lookups)()


def ParallelAuthMiddlewareStack(inner: Any, also: Sequence[ScopeLookup] = ()) -> Any:
    """Named like Channels' own AuthMiddlewareStack."""
    return CookieMiddleware(SessionMiddleware(ParallelAuthMiddleware(inner, also)))
