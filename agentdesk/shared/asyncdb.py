"""Running ORM code from async code."""

from collections.abc import Callable
from typing import Any

from channels.db import aclose_old_connections, database_sync_to_async


def db_async(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run `func` in a worker thread with Django's connection housekeeping around it.

    Not thread-sensitive: independent agents' database work runs in parallel instead of
    queueing behind one shared thread.
    """
    return database_sync_to_async(func, thread_sensitive=False)


async def release_request_connection() -> None:
    """Give back the database connection the request's own thread took for the session and
    user lookup. The rest of an async view runs its ORM work through db_async in other
    threads; a request holding one pooled connection while waiting for another would, under
    load, deadlock the pool."""
    await aclose_old_connections()
