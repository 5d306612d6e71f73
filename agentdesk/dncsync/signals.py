"""The one hook: a do-not-call entry saved active (by hand, the API, an upload, or an agent's
DNC outcome) is queued for LCM once its transaction commits. An upload of many numbers is
handed to one job that queues them, when the upload commits."""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from agentdesk.compliance.dnc import active
from agentdesk.compliance.models import DoNotCallEntry

_saved = threading.local()
IN_REQUEST = 20  # more numbers saved in one transaction are queued by jobs
CHUNK = 1000


def _entry_saved(sender: type[DoNotCallEntry], instance: DoNotCallEntry, **kwargs: Any) -> None:
    if not instance.is_active():
        return
    numbers: set[str] = _saved.__dict__.setdefault("numbers", set())
    numbers.add(instance.number)
    # The first callback to run queues them all; the others find nothing left.
    transaction.on_commit(_queue_saved)


def _queue_saved() -> None:
    """Queue what this thread saved; read back from the list, so a number whose transaction
    was rolled back (its entry never stored) is not sent."""
    from .tasks import schedule_listed, schedule_many

    numbers = _saved.__dict__.pop("numbers", set())
    if not numbers:
        return
    if len(numbers) > IN_REQUEST:
        # An upload: jobs queue them (a thousand each), so the lead's page does not wait.
        ordered = sorted(numbers)
        for start in range(0, len(ordered), CHUNK):
            schedule_listed.enqueue(ordered[start : start + CHUNK])
        return
    entries = DoNotCallEntry.objects.filter(active(), number__in=numbers)
    schedule_many(dict(entries.values_list("number", "expires_at")))


def connect() -> None:
    post_save.connect(_entry_saved, sender=DoNotCallEntry, dispatch_uid="dncsync-entry-saved")
