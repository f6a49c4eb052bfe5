"""Timings you can trust: how fast each framework computes derivatives of the same function.

    from cases.timing import run_timings, RunNotes, to_frame
    notes = RunNotes()
    frame = to_frame(run_timings(["gmm"], ["torch", "jax", "refengine"], sizes="smallest",
                                 quick=True, notes=notes))

One code path times everything (``run.run_timings``; pytest-benchmark reuses its ``grid.build``
and ``sampler``): conversion outside the timed region, ``sync`` inside it, compile time apart
from the steady state, at least 7 samples of N back-to-back calls, frameworks interleaved in a
random order per round, one thread count for all with the process pinned, idle worker
threads before each sample, GC off, malloc thresholds fixed, samples retaken when another
process took the core, and a NumPy-only control in every run. Modules:

- ``timing_record``: the ``TimingRecord`` (design.md's columns) and ``to_frame``;
- ``environment``: pinning, BLAS threads, malloc, idle waiting, GC, ``describe()``;
- ``sampler``: ``Budget``, warm-up, calibration, interleaved rounds, statistics;
- ``grid``: points (case x dtype x size), inputs, directions, ``build`` of one measurement;
- ``memory``: peak memory per call and the method used; ``control``: the NumPy control;
- ``isolation``: one subprocess per adapter; ``pytest_benchmark``: its JSON -> records;
- ``figures``: ``python -m cases.timing.figures``, the README's benchmark tables;
- ``intervals``: each median's 95 % interval, ratios paired round by round (the control);
- ``headline``: GradBench's sizes for ``gradparity bench --sizes headline`` (the README).

It may import the case model (``cases``) and adapters; never ``cases.conformance`` or
``reports``.
"""

from cases.timing.run import RunNotes, run_timings
from cases.timing.sampler import DEFAULT, QUICK, Budget, Stats, measure
from cases.timing.timing_record import (
    COLUMNS,
    QUANTITIES,
    TimingRecord,
    new_run_id,
    read_jsonl,
    to_frame,
    write_jsonl,
)

__all__ = [
    "COLUMNS",
    "DEFAULT",
    "QUANTITIES",
    "QUICK",
    "Budget",
    "RunNotes",
    "Stats",
    "TimingRecord",
    "measure",
    "new_run_id",
    "read_jsonl",
    "run_timings",
    "to_frame",
    "write_jsonl",
]
