"""Turning what happens in agentdesk into webhook events: agents' actions (the desk's
`agent_changed`) and finished bulk imports (the dialler's `import_finished`)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from cachetools import TTLCache
from django.db.models import Count, Q

from agentdesk.shared.asyncdb import db_async

from . import payloads, tasks
from .models import CALLBACK_BOOKED, IMPORT_FINISHED, Endpoint

log = logging.getLogger(__name__)

_background: set[asyncio.Task[Any]] = set()

# Whether a team has any active endpoint, remembered by each worker for a few seconds: most
# teams have none, and asking the database on every agent action would add a statement to
# each. An endpoint added in the admin is heard by every worker within ENDPOINTS_SEEN_SECONDS.
ENDPOINTS_SEEN_SECONDS = 10
_has_endpoints: TTLCache[Any, Any] = TTLCache(maxsize=10_000, ttl=ENDPOINTS_SEEN_SECONDS)
_has_endpoints_lock = threading.Lock()


def team_has_endpoints(team_id: int) -> bool:
    with _has_endpoints_lock:
        known = _has_endpoints.get(team_id)
    if known is None:
        known = Endpoint.objects.filter(team_id=team_id, active=True).exists()
        with _has_endpoints_lock:
            _has_endpoints[team_id] = known
    return known


def _known_without_endpoints(team_id: int) -> bool:
    """Remembered as having none: no background task, no thread hop for this action."""
    with _has_endpoints_lock:
        return _has_endpoints.get(team_id) is False


def forget_endpoints(**kwargs: Any) -> None:
    """An endpoint was saved or deleted here: this worker asks the database again."""
    with _has_endpoints_lock:
        _has_endpoints.clear()


def _schedule_action(team_id: int, event_type: str, entry: Any) -> int:
    if not team_has_endpoints(team_id):
        return 0
    username = entry.agent.user.get_username()
    data = payloads.contact_data(entry, username)
    if event_type == CALLBACK_BOOKED:
        booked = _callback_of(entry)
        if booked is not None:
            data["callback"] = payloads.callback_data(booked)
    # The main event keeps the key it always had; further events of one entry get their own.
    source = f"action:{entry.pk}"
    if event_type != _main_type(entry):
        source += f":{event_type}"
    return tasks.schedule_for_team(team_id, event_type, source, data)


def _main_type(entry: Any) -> str | None:
    return payloads.contact_event_type(entry.kind, entry.ok, entry.lcm_key)


def _callback_of(entry: Any) -> Any:
    from agentdesk.desk.models import Callback

    rows = Callback.objects.select_related("agent").filter(call_id=entry.call_id)
    rows = rows.filter(status__in=(Callback.BOOKED, Callback.UNKNOWN))
    return rows.order_by("-created_at", "-pk").first()


async def _schedule_in_background(team_id: int, event_type: str, entry: Any) -> None:
    try:
        await db_async(_schedule_action)(team_id, event_type, entry)
    except Exception:
        log.exception("could not queue webhook %s for team %s", event_type, team_id)


async def on_agent_changed(sender: type, *, event: Any, **kwargs: Any) -> None:
    """Queue the contact events of an agent's action, off the agent's request: recording
    them never slows the agent down."""
    entry = event.entry
    if entry is None or event.team_id is None:
        return
    main = payloads.contact_event_type(entry.kind, entry.ok, entry.lcm_key)
    types = ([main] if main else []) + payloads.extra_event_types(
        entry.kind, entry.ok, getattr(entry, "comment", "")
    )
    if not types or _known_without_endpoints(event.team_id):
        return
    for event_type in types:
        task = asyncio.get_running_loop().create_task(
            _schedule_in_background(event.team_id, event_type, entry)
        )
        _background.add(task)
        task.add_done_callback(_background.discard)


def on_import_finished(sender: type, *, job_id: int, **kwargs: Any) -> None:
    from agentdesk.dialler.models import ImportJob, ImportRow

    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or not Endpoint.objects.filter(team_id=job.team_id, active=True).exists():
        return
    statuses = (
        ImportRow.CREATED,
        ImportRow.UPDATED,
        ImportRow.UNCHANGED,
        ImportRow.FAILED,
        ImportRow.INVALID,
        ImportRow.UNKNOWN,
    )
    counts = ImportRow.objects.filter(job=job).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in statuses}
    )
    tasks.schedule_for_team(
        job.team_id, IMPORT_FINISHED, f"import:{job.pk}", payloads.import_data(job, counts)
    )


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from agentdesk.desk.events import agent_changed
    from agentdesk.dialler.signals import import_finished

    post_save.connect(forget_endpoints, sender=Endpoint, dispatch_uid="webhooks.forget_saved")
    post_delete.connect(forget_endpoints, sender=Endpoint, dispatch_uid="webhooks.forget_gone")
    agent_changed.connect(on_agent_changed, dispatch_uid="webhooks.on_agent_changed")
    import_finished.connect(on_import_finished, dispatch_uid="webhooks.on_import_finished")
