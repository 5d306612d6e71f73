"""Keeping each agent's "connected" flag true only while a live worker holds their page.

Every worker process renews, every third of `PRESENCE_TTL_SECONDS`, the presence of the agents
it holds connections for, in one query; the same query ends the presence of agents whose
renewal lapsed (their worker was killed or hangs) and their team's monitors are told. So a
worker that dies without running any disconnect code leaves its agents "connected" for at most
the TTL.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import Counter
from typing import Any

from django.conf import settings

from agentdesk.shared.asyncdb import db_async

from . import events, state

log = logging.getLogger(__name__)


class _Renewal:
    """The agents one event loop (one worker) holds connections for, and its renewal task."""

    def __init__(self) -> None:
        self.held: Counter[int] = Counter()
        self.task: asyncio.Task[Any] | None = None

    async def run(self) -> None:
        interval = settings.PRESENCE_TTL_SECONDS / 3
        while self.held:
            await asyncio.sleep(interval)
            try:
                gone = await db_async(state.renew_presence)(list(self.held))
            except Exception:
                log.exception("could not renew the presence of %s agents", len(self.held))
                continue
            for session in gone:
                await events.announce(events.AgentChanged.of_session(session, events.CONNECTION))


_renewals: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Renewal] = (
    weakref.WeakKeyDictionary()
)


def hold(agent_id: int) -> None:
    """This worker now holds a connection of the agent."""
    loop = asyncio.get_running_loop()
    renewal = _renewals.setdefault(loop, _Renewal())
    renewal.held[agent_id] += 1
    if renewal.task is None or renewal.task.done():
        renewal.task = loop.create_task(renewal.run())


def release(agent_id: int) -> None:
    renewal = _renewals.get(asyncio.get_running_loop())
    if renewal is None:
        return
    renewal.held[agent_id] -= 1
    if renewal.held[agent_id] <= 0:
        del renewal.held[agent_id]
