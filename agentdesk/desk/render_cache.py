"""The agent page's live fragments kept in the shared cache, for the resync of a page that
(re)connects: after a deploy thousands of pages reconnect at once, and most agents are idle
and have not acted since their fragments were last rendered (by the old worker, for their
last action or connect). Their resync then costs a cache read instead of the recent-log query
and four template renders.

Only an idle agent's fragments are kept: with a contact on screen the card shows times
relative to now (expiry, the preview countdown, calling hours), which no stored copy may
show. An idle agent's fragments change only with the session row's `version` (every action
and choice increments it, the recent log included), the language, the outcome menu and the
agent's campaign groups: all of them are in the key, so a stored copy is never stale; it is
dropped after DESK_RENDER_CACHE_SECONDS. Stored compressed (an agent's fragments are mostly
the outcome menu's options, about 10 KB as text).
"""

from __future__ import annotations

import hashlib
import logging
import zlib

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from .lookups import GroupChoices, OutcomeMenu
from .models import AgentSession

log = logging.getLogger(__name__)


def cacheable(session: AgentSession) -> bool:
    return settings.DESK_RENDER_CACHE_SECONDS > 0 and not session.contact


def key_for(session: AgentSession, menu: OutcomeMenu, groups: GroupChoices) -> str:
    inputs = repr((menu, groups)).encode()
    digest = hashlib.blake2s(inputs, digest_size=12).hexdigest()
    language = translation.get_language() or ""
    return f"desk-live:{session.agent_id}:{session.version}:{language}:{digest}"


def get(session: AgentSession, menu: OutcomeMenu, groups: GroupChoices) -> str | None:
    """The stored fragments of this session version, or None. A cache that cannot be read
    is a miss: the caller renders."""
    if not cacheable(session):
        return None
    try:
        stored = cache.get(key_for(session, menu, groups))
    except Exception:
        log.warning("the render cache could not be read", exc_info=True)
        return None
    if not isinstance(stored, bytes):
        return None
    return zlib.decompress(stored).decode()


def put(session: AgentSession, menu: OutcomeMenu, groups: GroupChoices, html: str) -> None:
    """Keep the fragments of an idle session; a cache that cannot be written is skipped."""
    if not cacheable(session):
        return
    try:
        cache.set(
            key_for(session, menu, groups),
            zlib.compress(html.encode(), 1),
            settings.DESK_RENDER_CACHE_SECONDS,
        )
    except Exception:
        log.warning("the render cache could not be written", exc_info=True)
