"""The work of a run as tasks a worker process can do: the checks of a few cases and, for a
quick run, their timings as well.

A full run checks in worker processes and times in the main process afterwards, alone on the
machine. A quick run (``--quick``) is a smoke run: each worker is pinned to its own CPU and
times the cases it has just checked, with a short budget (the other worker may be checking on
the other CPU meanwhile, so its timings are indicative only; the summary says so).

What ``--quick`` does, all of it stated in the run's summary:

- checks: the first-order ones that share one oracle and one refengine reference per case
  (``QUICK_CHECKS``); second order, float32 against float64, determinism and the non-finite
  check (which computes an HVP) wait for a full run; float64 only;
- modes: every adapter, in one mode each where it has several: ``jit`` for JAX (eager JAX
  dispatches every primitive on its own, about half a second per case), ``eager`` for
  TensorFlow (tracing a ``tf.function`` per case and quantity costs more than the checks);
  cases tagged ``control-flow`` run eager everywhere: a jit unrolls their Python loops, and
  compiling the VJP of 40 unrolled RK4 steps takes XLA minutes; JAX checks them eagerly but
  does not time them (``QUICK_UNTIMED_EAGER``: an eager JAX gradient of those loops takes
  seconds a call, and a timing needs at least 7 samples of two quantities);
- cases: every one except those tagged ``QUICK_LEAVES_OUT_TAGS`` (issue 17's transformation
  pairs), unless ``--cases`` or ``--tags`` names them;
- adapters: every one; those in ``QUICK_SMOKE_ONLY`` (MXNet, out of process) on the smoke
  selection (``cases.smoke``) only;
- timings: every case at its check size, forward, value-and-gradient and compile time,
  ``QUICK_BUDGET`` per measurement (at least 7 samples still), no memory measurement.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

__all__ = [
    "QUICK_CHECKS",
    "QUICK_EAGER_TAGS",
    "QUICK_LEAVES_OUT_TAGS",
    "QUICK_UNTIMED_EAGER",
    "QUICK_MODES",
    "QUICK_QUANTITIES",
    "QUICK_LEFT_OUT",
    "QUICK_SMOKE_ONLY",
    "Options",
    "SweepIndices",
    "Task",
    "quick_adapters",
    "quick_budget",
    "run_task",
    "time_case",
    "time_cases",
    "worker_setup",
]

QUICK_CHECKS = ("value", "vjp_vs_refengine", "jvp_vs_refengine", "adjoint", "vjp_vs_oracle",
                "jvp_vs_oracle", "kink")
# MXNet: eager, the mode its users run by default (hybridize traces each case anew: a full
# run times it, compile separated).
QUICK_MODES: dict[str, tuple[str, ...]] = {"jax": ("jit",), "tensorflow": ("eager",),
                                           "mxnet": ("eager",), "tinygrad": ("eager",),
                                           "mlx": ("eager",)}
QUICK_EAGER_TAGS = frozenset({"control-flow"})
QUICK_UNTIMED_EAGER = frozenset({"jax"})
# Adapters a quick run covers on the smoke selection only (cases.smoke): MXNet answers from
# another process, each case a round trip (52 CPU s over the whole library, a fifth of the
# quick run's margin); `gradparity run --adapters mxnet` covers every case.
QUICK_SMOKE_ONLY = frozenset({"mxnet", "tinygrad", "mlx"})
# Adapters a quick run leaves out unless --adapters names them (none today). tinygrad and MLX
# run as MXNet does: the smoke selection, eager (QUICK_SMOKE_ONLY, QUICK_MODES): measured idle on
# 2026-12-07, the quick run took 3 min 22 s with them, 4 min 37 s with their jit modes too
# (mx.compile compiles kernels with the C++ compiler: 105 s of MLX's checks) and 2 min 47 s
# without them.
QUICK_LEFT_OUT: frozenset[str] = frozenset()


def quick_adapters(chosen: list[Any], named: bool) -> tuple[list[Any], list[str]]:
    """A quick run's adapters: ``chosen`` less ``QUICK_LEFT_OUT`` unless ``--adapters`` named
    them (``named``), and a note for each one left out."""
    if named:
        return list(chosen), []
    left = [a for a in chosen if a.name in QUICK_LEFT_OUT]
    notes = [f"--quick leaves {a.name} out (its cost; reports.tasks.QUICK_LEFT_OUT): "
             f"--adapters {a.name} runs it" for a in left]
    return [a for a in chosen if a not in left], notes
QUICK_QUANTITIES = ("value_and_grad", "forward", "compile")
# Case tags a quick run leaves out unless --cases or --tags names them: issue 17's
# control-flow and derivative-control pairs (cases/library/transformations.py), which a full
# run and the pytest matrix check.
QUICK_LEAVES_OUT_TAGS = frozenset({"transform"})
# A full garbage collection costs about 0.4 s with every framework loaded; a quick run does
# one every this many timing points and freezes the survivors in between (see time_cases):
# at 16, 13 of them took 5.4 s of a 97-second profile. Garbage without cycles is freed at
# once whatever is frozen; only cyclic garbage waits for these.
FULL_COLLECT_EVERY = 64

_PINNED: list[list[int]] = []  # the CPUs this worker process is pinned to, if any
_POINTS = [0]  # timing points this worker process has made (see _sparing_collections)


def quick_budget() -> Any:
    """The quick run's timing budget: the harness's QUICK rules, shorter still."""
    from cases.timing.sampler import QUICK

    # Samples of 0.5 ms (the timer's 10,000 steps are 0.6 ms here, which then rules) and a
    # 2 ms warm-up: a quick run's timings are indicative, and its budget is 4 minutes.
    return replace(QUICK, seconds=0.007, max_samples=10, max_idle_wait_s=0.05,
                   idle_window_s=0.0002, min_sample_s=0.0005, warmup_s=0.002)


@dataclass(frozen=True)
class Options:
    """What every task of one run shares."""

    run_id: str
    seed: int = 0
    quick: bool = False
    threads: int = 1
    dtypes: tuple[str, ...] | None = None
    sizes: Any = "sweep"
    isolate: bool = False


@dataclass(frozen=True)
class SweepIndices:
    """``--sizes 0,2``: those entries of each case's sweep (the ones it has)."""

    indices: tuple[int, ...]

    def __call__(self, case: Any) -> list[Any]:
        sweep = list(case.sizes.sweep)
        return [sweep[i] for i in self.indices if i < len(sweep)]


@dataclass(frozen=True)
class Task:
    """Checks to run (case, adapter, mode, dtype), then cases to time: each group is (modes,
    adapter names) timed together."""

    checks: tuple[tuple[str, str, str, str], ...] = ()
    timing_cases: tuple[str, ...] = ()
    groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()

    @property
    def size(self) -> int:
        return len(self.checks) + len(self.timing_cases)


def worker_setup(threads: int, counter: Any = None, cpus: Sequence[int] | None = None) -> None:
    """A worker's start: the thread count for every framework, and with ``cpus`` its own
    ``threads`` of them (the k-th worker started takes the k-th slice; none left: unpinned)."""
    from adapters import threads as thread_control

    thread_control.configure(threads)
    if counter is None or not cpus:
        return
    with counter.get_lock():
        k = counter.value
        counter.value += 1
    mine = list(cpus[k * threads:(k + 1) * threads])
    if len(mine) == threads:
        from cases.timing.environment import pin

        _PINNED.append(pin(threads, mine))


def run_task(task: Task, options: Options) -> dict[str, Any]:
    """Do one task; returns its records as dicts and the timing notes."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # kinks and traps warn on purpose
        return _run_task(task, options)


def _run_task(task: Task, options: Options) -> dict[str, Any]:
    from reports.environment import host_environment, host_name

    host = host_name()
    conformance = _checks(task.checks, options) if task.checks else []
    timing: list[dict[str, Any]] = []
    notes: dict[str, Any] = {}
    if task.timing_cases:
        from cases.timing import RunNotes

        run_notes = RunNotes(run_id=options.run_id)
        control = f"control@{task.timing_cases[0]}" if options.quick else "control"
        timing = list(time_cases(task.timing_cases, task.groups, options, run_notes,
                                 control_name=control))
        notes = run_notes.to_dict()
        if _PINNED:
            notes["environment"]["pinned_cpus"] = _PINNED[-1]
    for record in (*conformance, *timing):
        record["host"] = host
    return {"conformance": conformance, "timing": timing, "notes": notes,
            "pid": os.getpid(), "host": host, "host_environment": host_environment()}


def time_case(case: str, groups: Sequence[tuple[Sequence[str], Sequence[str]]],
              options: Options) -> dict[str, Any]:
    """A full run's timings of one case (every adapter, mode, dtype and size, with its NumPy
    control ``control@<case>``): one unit, in the process that calls it, pinned for the
    duration. The caller makes sure nothing else runs on the host meanwhile."""
    from cases.timing import RunNotes
    from reports.environment import host_environment, host_name

    host = host_name()
    notes = RunNotes(run_id=options.run_id)
    records = list(time_cases((case,), groups, options, notes, control_name=f"control@{case}"))
    for record in records:
        record["host"] = host
    return {"conformance": [], "timing": records, "notes": notes.to_dict(),
            "pid": os.getpid(), "host": host, "host_environment": host_environment()}


def _checks(items: Sequence[tuple[str, str, str, str]], options: Options) -> list[dict]:
    """Checks in the given order: a case's combinations follow one another, so its
    finite-difference and refengine reference (cached per case and dtype) is computed once."""
    import adapters
    import cases
    from cases.conformance.run import run_case

    checks = list(QUICK_CHECKS) if options.quick else None
    out = []
    for case_name, adapter_name, mode, dtype in items:
        records = run_case(cases.get(case_name), adapters.get(adapter_name), mode, dtype,
                           seed=options.seed, run_id=options.run_id, checks=checks)
        out.extend(r.to_dict() for r in records)
    return out


def time_cases(
    case_names: Sequence[str],
    groups: Sequence[tuple[Sequence[str], Sequence[str]]],
    options: Options,
    notes: Any,
    *,
    control_name: str = "control",
) -> Iterator[dict[str, Any]]:
    """Timing records (dicts) of ``case_names``, one ``run_timings`` call per group of
    adapters that share their modes, yielded as they are made."""
    import adapters
    import cases
    from cases.timing import run_timings

    case_list = [cases.get(name) for name in case_names]
    quick = options.quick
    for i, (modes, names) in enumerate(groups):
        records = run_timings(
            case_list, [adapters.get(n) for n in names], modes=list(modes),
            dtypes=options.dtypes, sizes=options.sizes, quick=quick,
            isolate=options.isolate, threads=options.threads, seed=options.seed,
            quantities=QUICK_QUANTITIES if quick else _all_quantities(),
            budget=quick_budget() if quick else None, memory=not quick,
            pin=not _PINNED, run_id=options.run_id, notes=notes,
            control_name=control_name if i == 0 else f"{control_name}/{'+'.join(modes)}")
        stream = _sparing_collections(records) if quick else records
        for record in stream:
            yield asdict(record) if not isinstance(record, dict) else record


def _all_quantities() -> tuple[str, ...]:
    from cases.timing import QUANTITIES

    return tuple(QUANTITIES)


def _sparing_collections(records: Iterator[Any]) -> Iterator[Any]:
    """Pass records through, freezing what survives each timing point.

    The harness collects garbage before every point's rounds; with PyTorch, JAX and
    TensorFlow loaded a full collection takes about 0.5 s, longer than a quick run times a
    case. Freezing the survivors when a point's records arrive (its rounds are over, the
    collector is back on) leaves the harness's collection only what the next point creates;
    every ``FULL_COLLECT_EVERY`` points everything is unfrozen and collected once.

    The count runs over the worker's whole life and the heap stays frozen between calls:
    unfreezing at the end of each call made the next call's first point (one per task and
    mode group, about 140 in a quick run) pay a full collection, 12.7 of a 105-second
    profile. Garbage frozen meanwhile waits at most ``FULL_COLLECT_EVERY`` points."""
    last = None
    for record in records:
        point = (record.case, record.dtype, record.size)
        if point != last:
            last = point
            _POINTS[0] += 1
            if _POINTS[0] % FULL_COLLECT_EVERY == 0:
                gc.unfreeze()
                gc.collect()
        gc.freeze()
        yield record
