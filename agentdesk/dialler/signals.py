"""What the dialler announces to apps above it."""

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

import_finished = Signal()
"""Sent with `job_id=<ImportJob pk>` once a bulk import has run every row (from the job runner)."""


def announce_import_finished(job_id: int) -> None:
    """Send `import_finished`; a failing receiver is logged and never fails the import."""
    for receiver, outcome in import_finished.send_robust(sender=None, job_id=job_id):
        if isinstance(outcome, BaseException):
            log.error("import_finished receiver %r failed", receiver, exc_info=outcome)
