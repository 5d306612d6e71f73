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

For the sockets of `cached_path` (the agent page's: thousands reconnect at once after a
deploy), what the trip found is kept in the shared cache, and a handshake of the same session
soon after takes it from there, without a trip or a statement (liveaccess/handshake_cache.py
says what makes it forget an entry). The session's data is handed to Django's session object
as if it had just loaded it (`_session_cache`, as Django's own cached sessions do).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from channels.auth import AuthMiddleware, get_user
from channels.sessions import CookieMiddleware, SessionMiddleware

from agentdesk.liveaccess import handshake_cache
from agentdesk.shared.asyncdb import db_async

ScopeLookup = Callable[[dict[str, Any]], None]
"""Sync, run in the lookup's worker thread once scope["user"] is known; may add to the scope."""


class ParallelAuthMiddleware(AuthMiddleware):
    def __init__(
        self, inner: Any, also: Sequence[ScopeLookup] = (), cached_path: str | None = None
    ) -> None:
        super().__init__(inner)
        self.also = tuple(also)
        self.cached_path = cached_path

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        session = scope.get("session")
        session_key = getattr(session, "session_key", None) or ""
        cached = bool(session_key) and scope.get("path") == self.cached_path
        if cached and (entry := await handshake_cache.read(session_key)) is not None:
            assert session is not None
            session._session_cache = dict(entry.session_data)
            session.accessed = True  # read, as far as anything after this can tell
            scope["user"]._wrapped = entry.user
            scope.update(entry.scope)
            scope[handshake_cache.FROM_CACHE] = True
            return

        def lookups() -> None:
            tag = handshake_cache.generation() if cached else None
            user = scope["user"]._wrapped = get_user.func(scope)
            before = set(scope)
            for lookup in self.also:
                lookup(scope)
            if cached and session is not None:
                handshake_cache.write(
                    session_key,
                    tag,
                    dict(session.items()),
                    getattr(session, "loaded_expiry", None),
                    user,
                    {name: scope[name] for name in set(scope) - before},
                )

        await db_async(lookups)()


def ParallelAuthMiddlewareStack(
    inner: Any, also: Sequence[ScopeLookup] = (), cached_path: str | None = None
) -> Any:
    """Named like Channels' own AuthMiddlewareStack."""
    return CookieMiddleware(SessionMiddleware(ParallelAuthMiddleware(inner, also, cached_path)))
