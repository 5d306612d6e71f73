"""The job runner: django-tasks' database worker plus the recovery sweeps of agentdesk's apps."""

from __future__ import annotations

import os
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from agentdesk.jobs.recovery import run_sweeps, sweep_every_seconds


def yield_cpu_to_agents() -> None:
    """Background work (a 10,000-row import) runs at a lower CPU priority than the web
    workers it may share a machine with: agents' pages are served first (JOBS_NICE)."""
    if settings.JOBS_NICE > 0:
        os.nice(settings.JOBS_NICE)


def _sweep_forever(stop: threading.Event) -> None:
    while not stop.is_set():
        run_sweeps()
        close_old_connections()
        stop.wait(sweep_every_seconds())


class Command(DbWorkerCommand):
    help = (
        "Run background jobs (CSV imports, …) from the database queue; several may run at once. "
        "Takes the options of django-tasks' db_worker."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        yield_cpu_to_agents()
        stop = threading.Event()
        sweeper = threading.Thread(target=_sweep_forever, args=(stop,), daemon=True)
        sweeper.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
