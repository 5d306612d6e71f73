"""Work a killed job-runner worker left behind, found and handed out again.

django-tasks' database backend marks a task RUNNING when a worker takes it and never looks at
it again: a worker killed mid-task leaves it RUNNING for ever. Apps whose tasks must survive
that register a sweep here (in their AppConfig.ready); every `jobs_worker` runs all sweeps when
it starts and then every `JOBS_SWEEP_SECONDS`. A sweep must be idempotent: several workers
run it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings

log = logging.getLogger(__name__)


def sweep_every_seconds() -> float:
    return float(settings.JOBS_SWEEP_SECONDS)


def stale_after_seconds() -> float:
    """Silence after which a job's worker counts as gone (its heartbeat is older than this)."""
    return float(settings.JOBS_STALE_SECONDS)


_sweeps: list[Callable[[], object]] = []


def register_sweep(sweep: Callable[[], object]) -> None:
    """Run `sweep()` in every worker at start and periodically (e.g. re-enqueue stale jobs)."""
    if sweep not in _sweeps:
        _sweeps.append(sweep)


def run_sweeps() -> None:
    for sweep in list(_sweeps):
        try:
            sweep()
        except Exception:  # one app's broken sweep must not stop the others or the worker
            log.exception("job recovery sweep %s failed", getattr(sweep, "__name__", sweep))
