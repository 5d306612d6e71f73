"""What an agent page's websocket handshake reads (the login session, its user, and what the
socket adds: the agent profile with its team), kept in the shared cache for a short while,
keyed by the session: after a deploy thousands of pages reconnect at once with the session
they had a minute before, and each handshake then costs one cache read instead of a trip to
a worker thread and three statements.

Access must still end when the session ends, so an entry is never trusted after anything that
could change what it holds:

- the session is deleted (logout, flush, a new login from the same browser, `cycle_key`,
  `SessionStore.delete`): an "ended" mark is set under the session, which outlives any entry
  a handshake racing with the deletion could still write; the session saved with new data:
  its entry is dropped;
- a user, an agent profile or a team is saved or deleted, or a user's groups change (a
  password change, deactivation, another team): the cache's generation changes, and every
  entry written under an older one is ignored. These are rare (administration), so dropping
  every entry is cheaper than knowing which sessions belong to whom;
- the entry lives at most SOCKET_HANDSHAKE_CACHE_SECONDS after the page's last handshake or,
  while the page is open, after its consumer last kept it (`keep`, every half of that time),
  and never past the session's expiry.

A change made around the cache (a bulk `update()`, a session row deleted in SQL, a change made
in another process while each keeps its own local-memory cache) is not seen here; a socket
whose handshake came from the cache (`FROM_CACHE` in its scope) therefore checks, once it has
joined its groups, the session, the user and what it added (the agent profile: its user, LCM
agent ID, team and campaign groups) against the database, and is closed before it is sent
anything when they differ; the entry is then dropped (`forget_stale`), so the page's next
handshake reads them afresh.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

GENERATION_KEY = "ws-handshake:generation"
FROM_CACHE = "handshake_from_cache"
"""Set in a socket's scope when its handshake came from the cache (to be checked afresh)."""


def _digest(session_key: str) -> str:
    # Hashed: a session key is a credential, and cache keys travel to Redis in the clear.
    return hashlib.sha256(session_key.encode()).hexdigest()[:40]


def entry_key(session_key: str) -> str:
    return f"ws-handshake:entry:{_digest(session_key)}"


def ended_key(session_key: str) -> str:
    return f"ws-handshake:ended:{_digest(session_key)}"


@dataclass
class Entry:
    """A handshake's findings: the session's data, its user (without the password hash: a
    deferred field), and the scope entries the socket's own lookups added."""

    generation: str
    session_data: dict[str, Any]
    user: Any
    scope: dict[str, Any] = field(default_factory=dict)


def enabled() -> bool:
    return settings.SOCKET_HANDSHAKE_CACHE_SECONDS > 0


async def read(session_key: str) -> Entry | None:
    """The entry for this session if it can be trusted, else None (read the database). A
    cache that cannot be read is a miss."""
    if not enabled() or not session_key:
        return None
    keys = [entry_key(session_key), ended_key(session_key), GENERATION_KEY]
    try:
        found = await cache.aget_many(keys)
    except Exception:
        log.warning("the handshake cache could not be read", exc_info=True)
        return None
    entry = found.get(keys[0])
    if not isinstance(entry, Entry) or keys[1] in found:
        return None
    generation = found.get(keys[2])
    if generation is None or entry.generation != generation:
        return None
    return entry


def generation() -> str | None:
    """Sync: the cache's generation, read BEFORE the database (an entry written from rows read
    after a change but tagged with the generation before it is ignored once it changes)."""
    if not enabled():
        return None
    try:
        found = cache.get(GENERATION_KEY)
        if found is None:
            cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
            found = cache.get(GENERATION_KEY)
    except Exception:
        log.warning("the handshake cache could not be read", exc_info=True)
        return None
    return found if isinstance(found, str) else None


def write(
    session_key: str,
    tag: str | None,
    session_data: dict[str, Any],
    expires: datetime | None,
    user: Any,
    scope: dict[str, Any],
) -> None:
    """Sync: keep a logged-in handshake's findings (`tag`: `generation()` read before them)."""
    if tag is None or not session_key or not getattr(user, "is_authenticated", False):
        return
    seconds = settings.SOCKET_HANDSHAKE_CACHE_SECONDS
    if expires is not None:
        seconds = min(seconds, (expires - timezone.now()).total_seconds())
    if seconds < 1:
        return
    entry = Entry(tag, dict(session_data), without_password(user), _stripped(scope, user))
    try:
        cache.set(entry_key(session_key), entry, seconds)
    except Exception:
        log.warning("the handshake cache could not be written", exc_info=True)


async def keep(session_key: str, expires: datetime | None) -> None:
    """An open page's entry kept for another SOCKET_HANDSHAKE_CACHE_SECONDS, never past its
    session's expiry (the page pings; its consumer calls this now and then). Without it an
    entry lived only so long after the page's last handshake, and a restart hours after the
    morning's connects found none. Touching creates nothing: an entry dropped or ignored
    meanwhile stays so."""
    if not enabled() or not session_key:
        return
    seconds = float(settings.SOCKET_HANDSHAKE_CACHE_SECONDS)
    if expires is not None:
        seconds = min(seconds, (expires - timezone.now()).total_seconds())
    if seconds < 1:
        return
    try:
        await cache.atouch(entry_key(session_key), int(seconds))
    except Exception:
        log.warning("the handshake cache could not be kept", exc_info=True)


def without_password(user: Any) -> Any:
    """A copy of the user with the password hash left out (deferred: it is read from the
    database if anything asks for it, and `save()` does not write it)."""
    names = [f.attname for f in user._meta.concrete_fields if f.attname != "password"]
    return type(user).from_db(user._state.db, names, [getattr(user, name) for name in names])


def _stripped(scope: dict[str, Any], user: Any) -> dict[str, Any]:
    """The scope entries to keep, any model instance's `user` replaced by the copy without the
    password hash."""
    kept: dict[str, Any] = {}
    for name, value in scope.items():
        if getattr(value, "user_id", None) == user.pk and hasattr(value, "_state"):
            value = copy.copy(value)
            value.user = without_password(user)
        kept[name] = value
    return kept


def forget_session(session_key: str, *, ended: bool) -> None:
    """Sync. `ended`: the session is gone (an entry written by a handshake racing with the
    deletion is ignored as well); else its data changed (its entry is dropped)."""
    if not enabled() or not session_key:
        return
    try:
        if ended:
            # Twice the longest an entry lives: a racing write's entry expires before the mark.
            cache.set(
                ended_key(session_key), True, 2 * settings.SOCKET_HANDSHAKE_CACHE_SECONDS + 60
            )
        cache.delete(entry_key(session_key))
    except Exception:
        log.exception("the handshake cache could not forget a session")
    if not ended:  # again once committed: a handshake may have read the old data meanwhile
        transaction.on_commit(lambda: _drop(entry_key(session_key)))


def _drop(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        log.exception("the handshake cache could not forget a session")


def forget_everyone() -> None:
    """Sync: a user, an agent profile or a team changed; no entry written before is trusted.
    Done now and again once the transaction commits (a handshake reading between the two
    would store the rows from before the change under the new generation)."""
    if not enabled():
        return
    _new_generation()
    transaction.on_commit(_new_generation)


def _new_generation() -> None:
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    except Exception:
        log.exception("the handshake cache could not be invalidated")


def forget_stale(session_key: str, *, session_ended: bool) -> None:
    """Sync: a socket's check found that a cached handshake no longer holds. `session_ended`:
    the session no longer gives its user access (expired, deleted around the cache); else
    what the entry holds changed where no signal told the cache, and no entry written before
    is trusted."""
    if session_ended:
        forget_session(session_key, ended=True)
    else:
        forget_everyone()
