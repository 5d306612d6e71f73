"""Putting a previewed job on the job runner (once)."""

from __future__ import annotations

from django.db import transaction

from ..models import ImportJob
from ..tasks import run_import


def start(job: ImportJob) -> bool:
    """Queue a previewed job on the job runner (once: a second click does nothing)."""
    with transaction.atomic():
        if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.PREVIEW).update(
            state=ImportJob.RUNNING
        ):
            return False
        result = run_import.enqueue(job.pk)
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    return True
