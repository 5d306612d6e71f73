"""Appending agentdesk's do-not-call numbers to LCM's list (AddCompliance), on the job runner.

Every number that becomes active on agentdesk's list (added by hand, by the API, by an upload,
or by an agent's DNC outcome) gets a row here and a job. The job claims its row with a
compare-and-set, sends AddCompliance, and records what LCM said. LCM unreachable, slow, or an
answer that was lost: the row waits and the job runs again later (30 s, then four times longer
each time, at most an hour), for as long as it takes. LCM refusing: retried a few times (LCM
may refuse for a passing reason), then the row says "refused by LCM" with LCM's words, for an
operator to look at in the admin ("Send again now"). A retry after a lost answer appends the
number again, which LCM keeps as one entry ("already on the DNC list": confirmed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from agentdesk.lcm.client import get_client
from agentdesk.lcm.errors import LcmError, LcmRejected
from agentdesk.lcm.wrapup import AddCompliance

from .models import LcmDncAppend

log = logging.getLogger(__name__)
LONGEST_WAIT_SECONDS = 3600.0


def retry_delay(attempts_made: int) -> float:
    first = float(settings.DNC_LCM_RETRY_SECONDS)
    return min(first * 4 ** max(attempts_made - 1, 0), LONGEST_WAIT_SECONDS)


def schedule_many(numbers: Mapping[str, datetime | None]) -> int:
    """Have LCM list each number (E.164) until its end (None: until removed); returns how
    many were queued. A number LCM already confirmed with the same end, or that is on its way
    with it, is not sent again."""
    queued = 0
    with transaction.atomic():
        rows = {
            row.number: row
            for row in LcmDncAppend.objects.select_for_update().filter(number__in=list(numbers))
        }
        new = [
            LcmDncAppend(number=number, ends_at=ends_at)
            for number, ends_at in numbers.items()
            if number not in rows
        ]
        if new:
            try:
                with transaction.atomic():
                    created = LcmDncAppend.objects.bulk_create(new)
            except IntegrityError:  # some created at the same moment elsewhere: one by one
                created = []
                for fresh in new:
                    try:
                        with transaction.atomic():
                            created.append(
                                LcmDncAppend.objects.create(
                                    number=fresh.number, ends_at=fresh.ends_at
                                )
                            )
                    except IntegrityError:
                        continue  # queued by whoever created it
            for fresh in created:
                send.enqueue(fresh.pk)
            queued += len(created)
        for number, ends_at in numbers.items():
            row = rows.get(number)
            if row is None:
                continue
            if row.ends_at == ends_at and row.status != LcmDncAppend.REFUSED:
                continue  # confirmed, or queued or being sent with this very end
            row.ends_at = ends_at
            if row.status == LcmDncAppend.SENDING:
                row.save(update_fields=["ends_at"])  # the job sees the change when it records
                continue
            row.status = LcmDncAppend.PENDING
            row.refusals = 0
            row.next_attempt_at = timezone.now()
            row.save(update_fields=["ends_at", "status", "refusals", "next_attempt_at"])
            send.enqueue(row.pk)
            queued += 1
    return queued


@task()
def schedule_listed(numbers: list[str]) -> int:
    """schedule_many for numbers an upload listed, read back from the list (a number since
    taken off, or expired, is not sent)."""
    from agentdesk.compliance.dnc import active
    from agentdesk.compliance.models import DoNotCallEntry

    entries = DoNotCallEntry.objects.filter(active(), number__in=numbers)
    return schedule_many(dict(entries.values_list("number", "expires_at")))


def _claim(row_id: int) -> LcmDncAppend | None:
    now = timezone.now()
    claimed = LcmDncAppend.objects.filter(
        pk=row_id, status=LcmDncAppend.PENDING, next_attempt_at__lte=now
    ).update(status=LcmDncAppend.SENDING, claimed_at=now)
    return LcmDncAppend.objects.get(pk=row_id) if claimed else None


def _lcm_clock(moment: datetime | None) -> datetime | None:
    """AddCompliance's dates carry no zone: LCM's own (TIME_ZONE)."""
    return None if moment is None else timezone.localtime(moment).replace(tzinfo=None)


def _confirmed(row: LcmDncAppend, sent_end: datetime | None, text: str) -> None:
    with transaction.atomic():
        current = LcmDncAppend.objects.select_for_update().get(pk=row.pk)
        changes: dict[str, object] = {
            "attempts": current.attempts + 1,
            "lcm_text": text[:300],
            "last_error": "",
            "refusals": 0,
            "claimed_at": None,
            "sent_ends_at": sent_end,
        }
        if current.ends_at == sent_end:
            changes.update(status=LcmDncAppend.CONFIRMED, confirmed_at=timezone.now())
        else:  # listed again with another end while this one was on its way
            changes.update(status=LcmDncAppend.PENDING, next_attempt_at=timezone.now())
        LcmDncAppend.objects.filter(pk=row.pk, status=LcmDncAppend.SENDING).update(**changes)
        if changes["status"] == LcmDncAppend.PENDING:
            send.enqueue(row.pk)


def _failed(row: LcmDncAppend, error: LcmError) -> str:
    attempts = row.attempts + 1
    refused = isinstance(error, LcmRejected)
    refusals = row.refusals + 1 if refused else 0
    text = error.describe()
    if error.detail and error.detail not in text:
        text = f"{text} ({error.detail})"
    changes: dict[str, object] = {
        "attempts": attempts,
        "refusals": refusals,
        "last_error": text[:1000],
        "claimed_at": None,
    }
    retry_at = None
    if refused and refusals >= settings.DNC_LCM_MAX_REFUSALS:
        changes.update(status=LcmDncAppend.REFUSED, lcm_text=error.lcm_text[:300])
    else:
        retry_at = timezone.now() + timedelta(seconds=retry_delay(attempts))
        changes.update(status=LcmDncAppend.PENDING, next_attempt_at=retry_at)
    with transaction.atomic():
        LcmDncAppend.objects.filter(pk=row.pk, status=LcmDncAppend.SENDING).update(**changes)
        if retry_at is not None:
            send.using(run_after=retry_at).enqueue(row.pk)
    log.warning("AddCompliance %s failed (attempt %d): %s", row.number, attempts, text)
    return "refused" if retry_at is None else "will retry"


@task()
def send(row_id: int) -> str:
    """One AddCompliance for the row; a failure queues the next attempt."""
    row = _claim(row_id)
    if row is None:
        return "not due"  # confirmed, refused, or another job has it
    ends_at = row.ends_at
    request = AddCompliance(row.number, end=_lcm_clock(ends_at))
    try:
        exchange = async_to_sync(get_client().call)(request)
    except LcmError as error:
        return _failed(row, error)
    _confirmed(row, ends_at, exchange.answer.text)
    return "confirmed"


def requeue_stale() -> int:
    """Recovery sweep: rows whose worker died while sending, or whose job a dead worker took,
    are queued again (the claim keeps it to one attempt at a time)."""
    stale = timezone.now() - timedelta(seconds=float(settings.JOBS_STALE_SECONDS))
    requeued = 0
    for status, moment in (
        (LcmDncAppend.SENDING, "claimed_at__lt"),
        (LcmDncAppend.PENDING, "next_attempt_at__lt"),
    ):
        for row_id in LcmDncAppend.objects.filter(status=status, **{moment: stale}).values_list(
            "pk", flat=True
        ):
            with transaction.atomic():
                if LcmDncAppend.objects.filter(pk=row_id, status=status, **{moment: stale}).update(
                    status=LcmDncAppend.PENDING, next_attempt_at=timezone.now()
                ):
                    send.enqueue(row_id)
                    requeued += 1
    return requeued
