"""Group names, and telling sockets from synchronous code (views, admin, signals)."""

from __future__ import annotations

import asyncio
import hashlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

EVERYONE = "liveaccess.everyone"
CHECK = "access.check"  # check your access again
END = "access.end"  # your access is over


def session_group(session_key: str) -> str:
    # Hashed: a session key is a credential and group names travel through Redis.
    return "liveaccess.session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def user_group(user_id: int) -> str:
    return f"liveaccess.user.{user_id}"


def tell(group: str, kind: str) -> None:
    """Send `kind` to every socket in `group` once the current transaction commits (so a
    socket that checks again reads the committed change)."""
    transaction.on_commit(lambda: _send(group, kind))


def _send(group: str, kind: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    try:
        if loop is None:
            async_to_sync(layer.group_send)(group, {"type": kind})
        else:  # called from async code: do not block its loop
            loop.create_task(layer.group_send(group, {"type": kind}))
    except Exception:
        log.exception("could not tell the sockets of %s to %s", group, kind)
