"""Drawing a team's live charts from figures already read (monitor/figures.py), once per
language: in a process of its own beside the worker (MONITOR_CHARTS_PROCESS), and kept in
the shared cache by what they show, so the workers and leads of a team share one drawing.

A drawing is pure Python (the charts' geometry and their template), tens of milliseconds in
each language. In one of the worker's threads it held the interpreter's lock that long, and
every agent's action arriving meanwhile waited for it (docs/benchmarks.md). In a process of
its own, started when first needed and at a lower priority than the worker, it takes a core
of the machine instead of the worker's interpreter; if that process cannot be started or
dies, the worker draws in a thread as before, and starts a new one for the next drawing.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils import translation

from .figures import TeamFigures, today_context

log = logging.getLogger(__name__)

CHARTS = "monitor/_charts.html"
TEMPLATES = (CHARTS, "monitor/_row_chart.html")
# A drawing in the shared cache outlives no day: the figures are today's.
SHARED_SECONDS = 3600


def draw(figures: TeamFigures, language: str, *, oob: bool) -> str:
    """Today's charts of `figures` in `language`, as monitor/_charts.html draws them."""
    with translation.override(language):
        return render_to_string(CHARTS, {**today_context(figures), "oob": oob})


def draw_each(figures: TeamFigures, languages: Sequence[str], oob: bool) -> dict[str, str]:
    return {language: draw(figures, language, oob=oob) for language in languages}


@functools.cache
def _templates_digest() -> str:
    """The charts' templates as this worker has them: a drawing by other templates (a worker
    of an earlier release) is not taken from the shared cache."""
    sources = "".join(get_template(name).template.source for name in TEMPLATES)  # type: ignore[attr-defined]
    return hashlib.blake2s(sources.encode(), digest_size=8).hexdigest()


def shared_key(team_id: int, figures: TeamFigures, language: str, oob: bool) -> str:
    shown = repr((figures, language, oob, _templates_digest())).encode()
    return f"monitor-charts:{team_id}:{hashlib.blake2s(shown, digest_size=16).hexdigest()}"


async def drawn(
    team_id: int, figures: TeamFigures, languages: Sequence[str], *, oob: bool = True
) -> dict[str, str]:
    """Today's charts of the team in each of `languages`: from the shared cache when a worker
    drew these figures already, else drawn (outside the worker's interpreter) and kept."""
    keys = {language: shared_key(team_id, figures, language, oob) for language in languages}
    found = await asyncio.to_thread(_shared_get, list(keys.values()))
    result = {language: found[key] for language, key in keys.items() if key in found}
    missing = [language for language in languages if language not in result]
    if missing:
        fresh = await _draw_elsewhere(figures, missing, oob)
        await asyncio.to_thread(_shared_set, {keys[lang]: html for lang, html in fresh.items()})
        result.update(fresh)
    return result


def _shared_get(keys: list[str]) -> dict[str, str]:
    try:
        return cache.get_many(keys)
    except Exception:  # a cache that cannot be read is a miss: the charts are drawn
        log.warning("the charts could not be read from the shared cache", exc_info=True)
        return {}


def _shared_set(drawings: dict[str, str]) -> None:
    try:
        cache.set_many(drawings, SHARED_SECONDS)
    except Exception:  # the next worker draws them again
        log.warning("the charts could not be kept in the shared cache", exc_info=True)


# ------------------------------------------------------------------- the drawing process

_process: ProcessPoolExecutor | None = None
_process_lock = threading.Lock()


def _drawing_process() -> ProcessPoolExecutor:
    global _process
    with _process_lock:
        if _process is None:
            _process = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_drawing,
            )
        return _process


def _start_drawing() -> None:
    """In the drawing process: the worker's settings (from the environment it inherited), and
    a lower priority than the worker, whose agents come first."""
    import django

    os.nice(10)
    django.setup()


def stop_drawing() -> None:
    """End the drawing process (the next drawing starts another)."""
    global _process
    with _process_lock:
        process, _process = _process, None
    if process is not None:
        process.shutdown(wait=False, cancel_futures=True)


async def _draw_elsewhere(
    figures: TeamFigures, languages: Sequence[str], oob: bool
) -> dict[str, str]:
    if settings.MONITOR_CHARTS_PROCESS:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                _drawing_process(), draw_each, figures, list(languages), oob
            )
        except (BrokenProcessPool, OSError):
            log.warning("the charts' drawing process stopped; drawn in the worker", exc_info=True)
            stop_drawing()
    return await asyncio.to_thread(draw_each, figures, languages, oob)
