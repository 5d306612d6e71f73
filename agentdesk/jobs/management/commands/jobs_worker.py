"""The job runner: django-tasks' database worker plus the recovery sweeps of agentdesk's apps."""

from __future__ import annotations

import threading
from typing import Any

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from agentdesk.jobs.recovery import run_sweeps, sweep_every_seconds


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
        stop = threading.Event()
        sweeper = threading.Thread(target=_sweep_forever, args=(stop,), daemon=True)
        sweeper.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
