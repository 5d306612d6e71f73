"""Running ORM code from async code."""

from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async


def db_async(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run `func` in a worker thread with Django's connection housekeeping around it.

    Not thread-sensitive: independent agents' database work runs in parallel instead of
    queueing behind one shared thread.
    """
    return database_sync_to_async(func, thread_sensitive=False)
