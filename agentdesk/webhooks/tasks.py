"""Queueing and delivering webhooks on the job runner (django-tasks, database backend).

A delivery row and its job are written in one transaction, so an event is never recorded
without being queued, nor queued without its row. The job claims its delivery with a
compare-and-set, so a job that runs twice (a worker died after sending but before recording)
or two workers' sweeps cannot send one attempt twice at once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from . import delivery as http
from . import payloads
from .models import Attempt, Delivery, Endpoint

log = logging.getLogger(__name__)


def schedule(endpoint: Endpoint, event_type: str, source_key: str, data: dict[str, Any]) -> bool:
    """Record one event for `endpoint` and queue its delivery; False when this event
    (`source_key`) was already recorded for it."""
    event_id = uuid.uuid4()
    payload = payloads.envelope(
        event_type,
        endpoint.team_id,
        endpoint.team.name,
        data,
        event_id=event_id,
        created=timezone.now(),
    )
    try:
        with transaction.atomic():
            row = Delivery.objects.create(
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                source_key=source_key[:80],
                body=payloads.body(payload),
            )
            deliver.enqueue(row.pk)
    except IntegrityError:
        return False
    return True


def schedule_for_team(team_id: int, event_type: str, source_key: str, data: dict[str, Any]) -> int:
    """Queue the event for every active endpoint of the team that wants it; how many."""
    endpoints = Endpoint.objects.filter(team_id=team_id, active=True).select_related("team")
    return sum(
        schedule(endpoint, event_type, source_key, data)
        for endpoint in endpoints
        if endpoint.wants(event_type)
    )


DEACTIVATED = "not sent: the endpoint was deactivated"


def _claim(delivery_id: int) -> Delivery | None:
    """The delivery, claimed for one attempt; None when it is not due. A delivery of an
    endpoint deactivated since it was queued (a retry waiting its turn) is given up, unsent."""
    now = timezone.now()
    due = Delivery.objects.filter(pk=delivery_id, status=Delivery.PENDING, next_attempt_at__lte=now)
    if due.filter(endpoint__active=False).update(status=Delivery.FAILED, last_error=DEACTIVATED):
        return None
    claimed = due.filter(endpoint__active=True).update(status=Delivery.SENDING, claimed_at=now)
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint").get(pk=delivery_id)


def _record(row: Delivery, outcome: http.AttemptOutcome) -> None:
    now = timezone.now()
    attempts = row.attempts + 1
    changes: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500],
        "claimed_at": None,
    }
    retry_at = None
    if outcome.ok:
        changes.update(status=Delivery.DELIVERED, delivered_at=now)
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        changes.update(status=Delivery.FAILED)
    else:
        wait = http.retry_delay(attempts, settings.WEBHOOK_RETRY_SECONDS)
        retry_at = now + timedelta(seconds=wait)
        changes.update(status=Delivery.PENDING, next_attempt_at=retry_at)
    with transaction.atomic():
        Attempt.objects.create(
            delivery=row,
            number=attempts,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error[:500],
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.response_excerpt[:300],
        )
        Delivery.objects.filter(pk=row.pk, status=Delivery.SENDING).update(**changes)
        if retry_at is not None:
            deliver.using(run_after=retry_at).enqueue(row.pk)


@task()
def deliver(delivery_id: int) -> str:
    """One attempt at delivering `delivery_id`; a failure queues the next one with backoff."""
    row = _claim(delivery_id)
    if row is None:
        return "not due"  # delivered, given up, or another job has it
    outcome = http.post(
        row.endpoint.url,
        row.endpoint.secret,
        row.body,
        event_type=row.event_type,
        event_id=str(row.event_id),
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
    )
    _record(row, outcome)
    if outcome.refused:
        log.warning(
            "webhook %s to endpoint %s refused (attempt %d): %s",
            row.event_type,
            row.endpoint_id,
            row.attempts + 1,
            outcome.error,
        )
    elif not outcome.ok:
        log.info(
            "webhook %s to endpoint %s failed (attempt %d): %s",
            row.event_type,
            row.endpoint_id,
            row.attempts + 1,
            outcome.error,
        )
    return "delivered" if outcome.ok else "failed"


def requeue_stale() -> int:
    """Recovery sweep: deliveries whose worker died mid-attempt, or whose job a dead worker
    took, are queued again (the claim keeps it to one attempt at a time)."""
    stale = timezone.now() - timedelta(seconds=float(settings.JOBS_STALE_SECONDS))
    requeued = 0
    for row_id in Delivery.objects.filter(
        status=Delivery.SENDING, claimed_at__lt=stale
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if Delivery.objects.filter(
                pk=row_id, status=Delivery.SENDING, claimed_at__lt=stale
            ).update(status=Delivery.PENDING, next_attempt_at=timezone.now()):
                deliver.enqueue(row_id)
                requeued += 1
    # Due long ago and still waiting: its job was lost with a dead worker. Moving
    # next_attempt_at to now keeps the next sweeps from queueing it again meanwhile.
    for row_id in Delivery.objects.filter(
        status=Delivery.PENDING, next_attempt_at__lt=stale
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if Delivery.objects.filter(
                pk=row_id, status=Delivery.PENDING, next_attempt_at__lt=stale
            ).update(next_attempt_at=timezone.now()):
                deliver.enqueue(row_id)
                requeued += 1
    return requeued
