"""The monitor's live charts are drawn from figures read once, in each lead's language, in a
process of their own beside the worker (or, should that process fail, in the worker), and
kept in the shared cache so a team's workers and leads share one drawing."""

from __future__ import annotations

import asyncio
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from agentdesk.monitor import drawing, figures


@pytest.fixture
def today() -> figures.TeamFigures:
    hours = [0] * 24
    hours[9] = 3
    return figures.TeamFigures(
        start=timezone.localdate(),
        end=timezone.localdate(),
        outcome_mix=[("Sales Manual Group", [("8 No Answer", 3)])],
        handled_by_hour=hours,
        baseline_by_hour=[0.5] * 24,
        per_agent=[("Alice", [("fetched", 4), ("skipped", 3), ("added", 1)])],
    )


@pytest.fixture
def drawing_process(settings):
    settings.MONITOR_CHARTS_PROCESS = True
    yield
    drawing.stop_drawing()


def test_each_language_gets_its_own_words(today):
    drawn = asyncio.run(drawing.drawn(7, today, ["en", "de"]))
    assert "Today in pictures" in drawn["en"] and "fetched" in drawn["en"]
    # The figures were read (and their series named) in English; the German lead's charts
    # say it in German all the same.
    assert "Heute in Bildern" in drawn["de"] and "abgerufen" in drawn["de"]
    assert "fetched" not in drawn["de"]
    assert 'hx-swap-oob="true"' in drawn["en"]


def test_the_drawing_process_draws_what_the_worker_would(today, drawing_process):
    drawn = asyncio.run(drawing.drawn(7, today, ["en", "de"]))
    assert drawn == drawing.draw_each(today, ["en", "de"], oob=True)


def test_a_drawing_is_shared_through_the_cache(today, monkeypatch):
    drawn_here: list[list[str]] = []
    original = drawing.draw_each

    def counting(figures_, languages, oob):
        drawn_here.append(list(languages))
        return original(figures_, languages, oob)

    monkeypatch.setattr(drawing, "draw_each", counting)
    first = asyncio.run(drawing.drawn(7, today, ["en"]))
    again = asyncio.run(drawing.drawn(7, today, ["en", "de"]))  # another worker, another lead
    assert again["en"] == first["en"] and drawn_here == [["en"], ["de"]]
    other_team = asyncio.run(drawing.drawn(8, today, ["en"]))
    changed = figures.TeamFigures(**{**vars(today), "end": today.end})
    changed.handled_by_hour = [*today.handled_by_hour[:9], 4, *today.handled_by_hour[10:]]
    asyncio.run(drawing.drawn(7, changed, ["en"]))
    assert other_team == first and len(drawn_here) == 4  # other team, other figures: drawn
    yesterday = figures.TeamFigures(
        **{**vars(today), "start": today.start - timedelta(days=1), "end": today.end}
    )
    assert drawing.shared_key(7, yesterday, "en", True) != drawing.shared_key(7, today, "en", True)


def test_a_failed_drawing_process_is_replaced_by_the_worker(today, drawing_process, monkeypatch):
    class Broken:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("gone")

        def shutdown(self, *args, **kwargs):
            pass

    monkeypatch.setattr(drawing, "_process", Broken())
    drawn = asyncio.run(drawing.drawn(7, today, ["en"]))
    assert "Today in pictures" in drawn["en"]
    assert drawing._process is None  # the next drawing starts a new process


def test_a_cache_that_fails_is_a_miss(today, monkeypatch):
    def failing(*args, **kwargs):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(cache, "get_many", failing)
    monkeypatch.setattr(cache, "set_many", failing)
    assert "Today in pictures" in asyncio.run(drawing.drawn(7, today, ["en"]))["en"]
