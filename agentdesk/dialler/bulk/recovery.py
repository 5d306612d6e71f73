"""The recovery sweep: jobs whose worker died are settled row by row and queued again."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.jobs.recovery import stale_after_seconds
from agentdesk.retiredkeys.models import retire_many

from ..models import DiallerContact, ImportJob, ImportRow
from ..tasks import run_import
from .running import _finish_row

log = logging.getLogger(__name__)


def _settle_orphan(row: ImportRow, job: ImportJob) -> None:
    """A row a dead worker held: back to pending if LCM cannot have been asked, else settled
    from agentdesk's record (confirmed: done; still sending: LCM may hold it)."""
    contact = DiallerContact.objects.filter(pk=row.contact_id).first() if row.contact_id else None
    if contact is None:
        _finish_row(row.pk, ImportRow.PENDING, "", None)
    elif contact.lcm_state == DiallerContact.CONFIRMED:
        created = contact.created_at >= job.created_at
        _finish_row(row.pk, ImportRow.CREATED if created else ImportRow.UPDATED, "", contact.pk)
    else:
        from django.db.models import F

        DiallerContact.objects.filter(pk=contact.pk, lcm_state=DiallerContact.SENDING).update(
            lcm_state=DiallerContact.UNKNOWN, uncertain_attempts=F("uncertain_attempts") + 1
        )
        if contact.lcm_key:
            # An overwrite may have reached LCM: the old data must not be dialled either way.
            retire_many({contact.lcm_key: ""})
        _finish_row(
            row.pk,
            ImportRow.UNKNOWN,
            _(
                "The import stopped while LCM was creating this contact: LCM may hold it. Import "
                "it again with the same UserData to finish it safely."
            ),
            contact.pk,
        )


def requeue_stale_jobs() -> int:
    """Recovery sweep: jobs whose worker died are settled and queued again; returns how many."""
    from django_tasks_db.models import DBTaskResult

    stale = timezone.now() - timedelta(seconds=stale_after_seconds())
    taken = 0
    for job in ImportJob.objects.filter(state=ImportJob.RUNNING):
        task = DBTaskResult.objects.filter(pk=job.task_id).first() if job.task_id else None
        if task is not None and task.status == "READY":
            continue  # queued, waiting for a free worker
        alive = job.heartbeat_at or (task.started_at if task else None)
        if task is not None and task.status == "RUNNING" and alive and alive > stale:
            continue
        with transaction.atomic():
            result = run_import.enqueue(job.pk)
            if not ImportJob.objects.filter(pk=job.pk, task_id=job.task_id).update(
                task_id=str(result.id), heartbeat_at=timezone.now()
            ):
                DBTaskResult.objects.filter(pk=result.id).delete()  # another sweep won
                continue
            if task is not None and task.status == "RUNNING":
                DBTaskResult.objects.filter(pk=task.pk, status="RUNNING").update(
                    status="FAILED", finished_at=timezone.now()
                )
            for row in ImportRow.objects.filter(job=job, status=ImportRow.IMPORTING):
                _settle_orphan(row, job)
        log.warning("import job %s: its worker stopped; queued again", job.pk)
        taken += 1
    return taken
