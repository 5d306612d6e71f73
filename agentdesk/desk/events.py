"""Publishing an agent's change: once to every open tab of that agent, and once as the
`agent_changed` signal for whatever listens above the desk.

The desk does not know who listens. Apps above it subscribe in their AppConfig.ready with an
async receiver (the monitor does, to update its team's pages)::

    from agentdesk.desk.events import AgentChanged, agent_changed

    async def on_agent_changed(sender: type, *, event: AgentChanged, **kwargs) -> None: ...

    agent_changed.connect(on_agent_changed)

The signal is sent with `asend_robust` after the change is saved: a receiver runs on the acting
request's event loop, so it must be quick (hand slow work to a task or the job runner), and a
receiver that raises is logged, never passed to the agent. Sync receivers work too but cost a
thread hop per change.

`AgentChanged` says who changed (agent profile, LCM agent id, team), what happened (the action
kind; "select" for a new campaign group or consent choice; "connection" when a page of the
agent connected or left), whether it worked, and, for actions, the action log entry with the
contact key, campaign, campaign group, outcome, LCM subtopic and latency, and `seconds`, how
long the action took from taking the agent's turn to its state being saved. `session` is the
agent's session row as stored after the change (state, contact on screen, open connections).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from channels.layers import get_channel_layer
from django.dispatch import Signal
from django.utils import timezone

from agentdesk.shared.asyncdb import db_async

from .lookups import GroupChoices, OutcomeMenu, group_choices, outcome_menu
from .models import ActionLog, AgentSession

log = logging.getLogger(__name__)

SELECT = "select"
CONNECTION = "connection"

agent_changed = Signal()
"""Sent with `event=AgentChanged(...)` after every saved change of an agent (see above)."""


@dataclass(frozen=True, kw_only=True)
class AgentChanged:
    agent_profile_id: int
    lcm_agent_id: str
    team_id: int | None
    kind: str  # an ActionLog kind (next, reserved, skip, add), SELECT or CONNECTION
    ok: bool
    at: datetime
    session: AgentSession | None
    entry: ActionLog | None = None  # the action log entry, for the four actions
    seconds: float | None = None  # how long the action took, for the four actions

    @property
    def result(self) -> str:
        """What happened, in words (the log entry's result, or its error)."""
        if self.entry is None:
            return ""
        return self.entry.result or self.entry.error

    @property
    def contact_key(self) -> str:
        return self.entry.lcm_key if self.entry else ""

    @property
    def campaign(self) -> str:
        return self.entry.campaign if self.entry else ""

    @property
    def campaign_group(self) -> str:
        if self.entry is not None and self.entry.campaign_group:
            return self.entry.campaign_group
        return self.session.campaign_group if self.session else ""

    @classmethod
    def of_action(
        cls, session: AgentSession, entry: ActionLog, seconds: float | None = None
    ) -> AgentChanged:
        profile = session.agent
        return cls(
            agent_profile_id=profile.pk,
            lcm_agent_id=profile.lcm_agent_id,
            team_id=profile.team_id,
            kind=entry.kind,
            ok=entry.ok,
            at=entry.at,
            session=session,
            entry=entry,
            seconds=seconds,
        )

    @classmethod
    def of_session(cls, session: AgentSession, kind: str) -> AgentChanged:
        profile = session.agent
        return cls(
            agent_profile_id=profile.pk,
            lcm_agent_id=profile.lcm_agent_id,
            team_id=profile.team_id,
            kind=kind,
            ok=True,
            at=timezone.now(),
            session=session,
        )


def agent_group(agent_profile_id: int) -> str:
    return f"agent.{agent_profile_id}"


async def render_for(session: AgentSession) -> str:
    from .rendering import render_live

    menu = await outcome_menu()
    groups = await group_choices(session.agent)
    return await db_async(render_live)(session, menu, groups)


def render_now(
    session: AgentSession,
    menu: OutcomeMenu,
    groups: GroupChoices,
    recent: Sequence[ActionLog] | None = None,
) -> str | None:
    """The live fragments, from sync code that already runs in a worker thread (`recent`: the
    agent's recent log when the caller read it with its save); None (and logged) if rendering
    failed, so the caller's saved change stands."""
    from . import render_cache
    from .rendering import render_live

    try:
        html = render_live(session, menu, groups, recent=recent)
        # Kept for this session version's resyncs (a reconnect after a deploy).
        render_cache.put(session, menu, groups, html)
        return html
    except Exception:
        log.exception("could not render the state of agent %s", session.agent_id)
        return None


async def publish(
    session: AgentSession, event: AgentChanged, html: str | None = None, action_id: str = ""
) -> str:
    """Push the agent's fresh fragments (`html` when already rendered) to their tabs, then
    announce `event`; returns the fragments. The push names the action that caused it
    (`action_id`): the tab that acted has shown them with its answer and skips it.

    A push that cannot be delivered (channel layer down) is logged, never raised: the state
    is already saved and every page resyncs from it on reconnect."""
    try:
        if html is None:
            html = await render_for(session)
        # The version lets a page drop a push older than what it already shows.
        push = {
            "type": "desk.push",
            "html": html,
            "version": session.version,
            "action": action_id,
        }
        await get_channel_layer().group_send(agent_group(session.agent_id), push)
    except Exception:
        log.exception("could not publish the state of agent %s", session.agent_id)
    await announce(event)
    return html or ""


async def announce(event: AgentChanged) -> None:
    """Send `agent_changed`; a failing receiver is logged and the others still run."""
    for receiver, outcome in await agent_changed.asend_robust(sender=AgentChanged, event=event):
        if isinstance(outcome, BaseException):
            log.error(
                "agent_changed receiver %r failed for agent %s",
                receiver,
                event.agent_profile_id,
                exc_info=outcome,
            )
