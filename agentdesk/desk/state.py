"""The agent's session row: taking the one-action-at-a-time lock and applying a result.

Plain synchronous ORM functions; desk.actions calls them from async code through db_async.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .models import ActionLog, AgentProfile, AgentSession, fit_to_fields


class Busy(Exception):
    """Another action of this agent is still running."""


def session_for(profile: AgentProfile) -> AgentSession:
    session, _ = AgentSession.objects.get_or_create(
        agent=profile,
        defaults={"campaign_group": (profile.campaign_groups or [""])[0]},
    )
    return session


def acquire(profile: AgentProfile) -> tuple[AgentSession, str]:
    """Take the agent's action lock (a compare-and-set on the session row) or raise Busy.

    The lock expires by itself, so a worker that died mid-action cannot wedge the agent.
    """
    session_for(profile)
    token = uuid.uuid4().hex
    now = timezone.now()
    hold_for = timedelta(seconds=settings.LCM_TIMEOUT_SECONDS * 2 + 5)
    taken = (
        AgentSession.objects.filter(agent=profile)
        .filter(Q(busy_token="") | Q(busy_until__lt=now))
        .update(busy_token=token, busy_until=now + hold_for)
    )
    if not taken:
        raise Busy
    return AgentSession.objects.get(agent=profile), token


def release(session: AgentSession, token: str, **changes: Any) -> AgentSession | None:
    """Apply `changes` and free the lock, if this action still holds it; None if it lost it."""
    if "state" in changes and changes["state"] != session.state:
        changes["state_since"] = timezone.now()
    updated = AgentSession.objects.filter(pk=session.pk, busy_token=token).update(
        busy_token="",
        busy_until=None,
        version=F("version") + 1,
        updated_at=timezone.now(),
        **fit_to_fields(AgentSession, changes),
    )
    if not updated:
        return None
    return AgentSession.objects.select_related("agent__user", "agent__team").get(pk=session.pk)


def write_log(profile: AgentProfile, kind: str, **fields: Any) -> ActionLog:
    return ActionLog.objects.create(
        agent=profile, team_id=profile.team_id, kind=kind, **fit_to_fields(ActionLog, fields)
    )


def choose(profile: AgentProfile, *, campaign_group: str, consent: str) -> AgentSession:
    """Save the agent's campaign group and consent filter; the session as now stored."""
    session = session_for(profile)
    AgentSession.objects.filter(pk=session.pk).update(
        campaign_group=campaign_group, consent=consent
    )
    session.refresh_from_db()
    session.agent = profile
    return session


def used_request_token(profile: AgentProfile, token: str) -> ActionLog | None:
    if not token:
        return None
    return ActionLog.objects.filter(agent=profile, request_token=token, ok=True).first()


def recent_actions(profile: AgentProfile, limit: int = 8) -> list[ActionLog]:
    return list(ActionLog.objects.filter(agent=profile).order_by("-at", "-pk")[:limit])


def set_connections(profile: AgentProfile, delta: int) -> AgentSession | None:
    """Count the agent's open live connections; None if the agent no longer exists."""
    if delta > 0:
        session_for(profile)
    sessions = AgentSession.objects.filter(agent=profile)
    sessions.update(connections=F("connections") + delta)
    sessions.filter(connections__lt=0).update(connections=0)
    return sessions.select_related("agent__user", "agent__team").first()
