"""A quick run's garbage collection between timing points (``reports.tasks``): the heap stays
frozen from one call to the next, and everything is collected every FULL_COLLECT_EVERY points.
"""

from __future__ import annotations

import gc
from types import SimpleNamespace

import pytest

from reports import tasks


@pytest.fixture
def fresh_count(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(tasks, "_POINTS", [0])
    yield
    gc.unfreeze()


def _records(points: range) -> list[SimpleNamespace]:
    # two records per point (two adapters timed together)
    return [SimpleNamespace(case=f"case{p}", dtype="float64", size=None)
            for p in points for _ in range(2)]


def test_the_heap_stays_frozen_between_calls(fresh_count: None) -> None:
    gc.unfreeze()
    assert list(tasks._sparing_collections(iter(_records(range(3))))) != []
    frozen = gc.get_freeze_count()
    assert frozen > 0  # survivors of the points stay out of the next call's collection
    # The next call's first point: nothing unfrozen, so the harness's collection is cheap.
    stream = tasks._sparing_collections(iter(_records(range(3, 4))))
    next(stream)
    assert gc.get_freeze_count() >= frozen
    assert tasks._POINTS[0] == 4


def test_everything_is_collected_every_few_points(fresh_count: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    collections: list[int] = []
    monkeypatch.setattr(tasks.gc, "collect", lambda *a: collections.append(tasks._POINTS[0]))
    every = tasks.FULL_COLLECT_EVERY
    # Over two calls, as a worker's tasks make them: the count does not restart.
    list(tasks._sparing_collections(iter(_records(range(every - 1)))))
    list(tasks._sparing_collections(iter(_records(range(every - 1, 2 * every + 1)))))
    assert collections == [every, 2 * every]
