"""The machine state a timing depends on: fixed where it can be, recorded always.

What anchors.md measured on this kind of machine, and what each function here does about it:

- XLA does not honour its CPU thread flags: ``pin`` binds every thread of the process to n
  CPUs (``os.sched_setaffinity`` per thread: a bare call binds only the calling thread and
  the threads it starts later), before frameworks start their pools where possible; it picks
  the CPUs that were idle the most over 0.1 s (on a shared machine, not the core another
  pinned benchmark occupies);
- NumPy's OpenBLAS reads its thread count when it is loaded, before any adapter runs:
  ``limit_blas_threads`` sets it at run time on every loaded OpenBLAS (threadpoolctl if
  installed, otherwise OpenBLAS's own entry points through ctypes);
- BLAS worker threads spin for ~100 ms after a call (measured: OpenBLAS with 2 threads keeps a
  core busy for 100 ms, torch's OpenMP pool for ~6 ms): ``wait_idle`` waits before each
  sample until the process's other threads use no CPU, polling 1 ms windows, so the wait is
  what the spinning needs and no more (1 ms when nothing spins);
- glibc's malloc thresholds change the timing of large temporaries by up to 2x depending on
  the process's history: ``fix_malloc`` sets them with ``mallopt`` (and ``child_environment``
  through ``MALLOC_*_`` variables, from a subprocess's start);
- the garbage collector: ``gc_paused`` collects, freezes what survives (so later collections
  skip the frameworks' large object graphs: 0.27 s -> 3 us with TensorFlow loaded) and
  disables it while timing.

``describe`` gathers all of it, with versions, CPU model, git commit, date and command line,
for the run's ``environment.json``.
"""

from __future__ import annotations

import ctypes
import datetime
import gc
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "MALLOC_SETTINGS",
    "child_environment",
    "cpu_model",
    "git_commit",
    "describe",
    "fix_malloc",
    "gc_paused",
    "limit_blas_threads",
    "pin",
    "pinned",
    "quietest_cpus",
    "timer_granularity",
    "wait_idle",
]

# glibc mallopt parameter numbers (malloc.h) and the values we fix: the largest mmap threshold
# glibc allows on 64-bit, so temporaries up to 32 MiB are reused from the heap rather than
# mapped and page-faulted afresh on every call; trimming only above 128 MiB of free heap.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MALLOC_SETTINGS = {"M_MMAP_THRESHOLD": 32 * 1024 * 1024, "M_TRIM_THRESHOLD": 128 * 1024 * 1024}
_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(MALLOC_SETTINGS["M_MMAP_THRESHOLD"]),
               "MALLOC_TRIM_THRESHOLD_": str(MALLOC_SETTINGS["M_TRIM_THRESHOLD"])}
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# --- CPU affinity ------------------------------------------------------------------------------
def _thread_ids() -> list[int]:
    try:
        return [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return [0]


def _idle_ticks() -> dict[int, int]:
    ticks = {}
    try:
        with open("/proc/stat") as stat:
            for line in stat:
                name, *fields = line.split()
                if name.startswith("cpu") and name != "cpu":
                    ticks[int(name[3:])] = int(fields[3]) + int(fields[4])  # idle + iowait
    except (OSError, ValueError, IndexError):
        return {}
    return ticks


def quietest_cpus(n: int, window_s: float = 0.1) -> list[int]:
    """The ``n`` CPUs this process may use that were idle the most during ``window_s``;
    ties go to the highest-numbered (CPU 0 usually takes more of the interrupts). On a
    shared machine this avoids a core that another pinned benchmark keeps busy."""
    allowed = sorted(os.sched_getaffinity(0))
    if n >= len(allowed):
        return allowed
    before = _idle_ticks()
    if before:  # no /proc/stat: every CPU looks alike, the highest-numbered wins
        time.sleep(window_s)
    after = _idle_ticks()
    idle = {cpu: after.get(cpu, 0) - before.get(cpu, 0) for cpu in allowed}
    return sorted(sorted(allowed, key=lambda cpu: (idle[cpu], cpu), reverse=True)[:n])


def pin(n: int, cpus: Sequence[int] | None = None) -> list[int]:
    """Bind every thread of this process to ``cpus`` (default: ``quietest_cpus(n)``);
    return them."""
    cpus = sorted(cpus) if cpus is not None else quietest_cpus(n)
    for tid in _thread_ids():
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:  # the thread ended meanwhile
            continue
    return cpus


@contextmanager
def pinned(
    n: int, enabled: bool = True, cpus: Sequence[int] | None = None
) -> Iterator[list[int]]:
    """``pin(n, cpus)`` for the duration, then every thread back to the affinity it had."""
    before = sorted(os.sched_getaffinity(0))
    if not enabled:
        yield before
        return
    try:
        yield pin(n, cpus)
    finally:
        for tid in _thread_ids():
            try:
                os.sched_setaffinity(tid, before)
            except OSError:
                continue


# --- BLAS threads ------------------------------------------------------------------------------
# OpenBLAS's names for its thread controls: plain builds, then the scipy-openblas wheels (NumPy
# ships the 64-bit-integer one, SciPy the 32-bit one).
_OPENBLAS_SETTERS = (
    "openblas_set_num_threads",
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
)
_OPENBLAS_GETTERS = (
    "openblas_get_num_threads",
    "scipy_openblas_get_num_threads64_",
    "scipy_openblas_get_num_threads",
)


def limit_blas_threads(n: int) -> dict[str, int]:
    """Limit every BLAS library loaded by now to ``n`` threads; return ``{library: threads}``
    (-1 for one that is loaded but cannot be controlled)."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return _limit_openblas_threads(n)
    threadpool_limits(limits=n, user_api="blas")
    return {
        Path(info["filepath"]).name: info["num_threads"]
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }


def _limit_openblas_threads(n: int) -> dict[str, int]:
    threads = {}
    for path in _loaded_libraries("openblas"):
        lib = ctypes.CDLL(path)
        setter = _first_symbol(lib, _OPENBLAS_SETTERS)
        getter = _first_symbol(lib, _OPENBLAS_GETTERS)
        if setter is None or getter is None:
            threads[Path(path).name] = -1
            continue
        setter(n)
        threads[Path(path).name] = getter()
    return threads


def _loaded_libraries(fragment: str) -> list[str]:
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if fragment in line.lower()}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))


def _first_symbol(lib: ctypes.CDLL, names: tuple[str, ...]) -> Any:
    for name in names:
        fn = getattr(lib, name, None)
        if fn is not None:
            return fn
    return None


# --- malloc ------------------------------------------------------------------------------------
def fix_malloc() -> dict[str, int] | str:
    """Fix glibc's mmap and trim thresholds; return what was set, or why nothing was."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "not glibc: malloc thresholds left alone"
    ok = libc.mallopt(_M_MMAP_THRESHOLD, MALLOC_SETTINGS["M_MMAP_THRESHOLD"]) and libc.mallopt(
        _M_TRIM_THRESHOLD, MALLOC_SETTINGS["M_TRIM_THRESHOLD"]
    )
    if not ok:
        return "mallopt refused: malloc thresholds left alone"
    return dict(MALLOC_SETTINGS)


def child_environment(threads: int) -> dict[str, str]:
    """The environment for a timing subprocess: thread counts and malloc thresholds in force
    from the interpreter's start, before NumPy loads its BLAS."""
    env = dict(os.environ)
    env.update(_MALLOC_ENV)
    env["GRADPARITY_THREADS"] = str(threads)
    for name in _THREAD_VARIABLES:
        env[name] = str(threads)
    return env


# --- idle and GC -------------------------------------------------------------------------------
def _other_threads_cpu() -> float:
    # Process CPU time minus this thread's: what every other thread (BLAS, XLA, TF pools) used.
    return time.process_time() - time.thread_time()


def wait_idle(max_wait_s: float = 0.5, window_s: float = 0.001, busy: float = 0.1) -> float:
    """Sleep until the process's other threads used under ``busy`` of one core during a
    ``window_s`` window (at most ``max_wait_s``); return the seconds waited."""
    start = time.perf_counter()
    cpu, t = _other_threads_cpu(), start
    while True:
        time.sleep(window_s)
        cpu_now, t_now = _other_threads_cpu(), time.perf_counter()
        if cpu_now - cpu < busy * (t_now - t) or t_now - start >= max_wait_s:
            return t_now - start
        cpu, t = cpu_now, t_now


@contextmanager
def gc_paused() -> Iterator[None]:
    """Collect, freeze the survivors, and keep the collector off; undo all of it on exit.

    Freezing moves every live object out of the collector's view, so a ``gc.collect()``
    between samples (outside the timed region) costs microseconds even with TensorFlow's
    object graph loaded, and the garbage a timed call leaves in cycles is still collected.
    """
    was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def timer_granularity(reads: int = 200) -> float:
    """The smallest step ``perf_counter`` shows, in seconds (its nominal resolution is 1 ns;
    what a Python caller sees is tens of ns)."""
    steps = []
    for _ in range(reads):
        a = b = time.perf_counter_ns()
        while b == a:
            b = time.perf_counter_ns()
        steps.append(b - a)
    return min(steps) * 1e-9


# --- the record of it all ----------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str | None:
    """The checkout's commit, or None outside a git checkout."""
    here = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def describe(
    adapters: Sequence[Any] = (), settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``environment.json``: versions of Python and every framework, CPU model, thread and
    malloc settings, pinning, git commit, date and command line."""
    versions = {name: _version(name) for name in ("numpy", "scipy", "pandas")}
    for adapter in adapters:
        versions.update(adapter.versions())
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": sorted(os.sched_getaffinity(0)),
        "versions": versions,
        "thread_variables": {v: os.environ.get(v) for v in (*_THREAD_VARIABLES, "XLA_FLAGS",
                                                              "GRADPARITY_THREADS")},
        "git_commit": git_commit(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command_line": list(sys.argv),
        **(settings or {}),
    }
