"""Benchmark session setup: opt-in collection, and one fixed timing environment.

The benchmarks are slow, so the default ``pytest`` run skips them; they run when this
directory (or a file in it) is named on the command line, or with ``--benchmark-only``.

A benchmark run then fixes, before the first measurement, what anchors.md found to move
timings on this kind of machine, so that every engine is timed under the same conditions:

- one core: the process is pinned to one CPU (``os.sched_setaffinity``);
- one BLAS thread: ``*_NUM_THREADS=1`` in the environment (enough if NumPy is not imported
  yet), then enforced at run time on every loaded BLAS library, through threadpoolctl when it
  is installed, else through OpenBLAS's own ``*set_num_threads*`` entry points (ctypes);
- glibc malloc thresholds: fixed with ``mallopt``, so multi-megabyte temporaries are reused
  from the heap instead of being mmap'ed (and page-faulted) afresh, whatever the process did
  before (we measured 2.3 ms vs 0.8 ms for the same GMM forward pass without this);
- the garbage collector is off while timing (``disable_gc`` in each test's benchmark marker).

All of it is recorded in the JSON's ``machine_info["gradparity"]``.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent.resolve()
if str(HERE) not in sys.path:  # the test modules import their siblings (workloads, engines)
    sys.path.insert(0, str(HERE))

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_M_TRIM_THRESHOLD = -1  # glibc mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed value on 64-bit
_TRIM_THRESHOLD = 128 * 1024 * 1024

_settings: dict[str, Any] = {}


def benchmarks_requested(config: pytest.Config) -> bool:
    if config.getoption("benchmark_only", default=False):
        return True
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def plugin_active(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("benchmark")


def pytest_configure(config: pytest.Config) -> None:
    if not plugin_active(config):
        # Without pytest-benchmark (not installed, or -p no:benchmark) the modules here must
        # still import under --strict-markers; their tests are then skipped.
        config.addinivalue_line("markers", "benchmark: pytest-benchmark options (inactive)")
        return
    if not benchmarks_requested(config):
        return
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    _settings["numpy_imported_before_env"] = "numpy" in sys.modules
    if hasattr(os, "sched_setaffinity"):  # Linux
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
        _settings["cpu_affinity"] = sorted(os.sched_getaffinity(0))
    else:
        _settings["cpu_affinity"] = "not available on this platform: not pinned"
    _settings["malloc"] = _fix_malloc_thresholds()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not plugin_active(config):
        reason = "the benchmarks need the pytest-benchmark plugin"
    elif not benchmarks_requested(config):
        reason = "benchmarks run only on request: pytest tests/benchmarks --benchmark-only"
    else:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread() -> dict[str, int]:
    """Limit every BLAS library loaded by now to one thread (NumPy's, SciPy's if imported);
    one loaded later reads the ``*_NUM_THREADS=1`` set in ``pytest_configure``."""
    import numpy  # noqa: F401 - make sure NumPy's BLAS is loaded before limiting it

    threads = _limit_blas_threads(1)
    _settings["blas_threads"] = threads
    too_many = {lib: n for lib, n in threads.items() if n != 1}
    if too_many:
        pytest.exit(f"could not limit BLAS to one thread: {too_many}", returncode=3)
    return threads


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-benchmark, which may be disabled
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    machine_info["gradparity"] = {
        **_settings,
        "environment": {name: os.environ.get(name) for name in _THREAD_VARIABLES},
        "versions": {name: _version(name) for name in ("numpy", "scipy", "autograd")},
    }


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _fix_malloc_thresholds() -> dict[str, int] | str:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "not glibc: malloc thresholds left alone"
    ok = libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) and libc.mallopt(
        _M_TRIM_THRESHOLD, _TRIM_THRESHOLD
    )
    if not ok:
        return "mallopt refused: malloc thresholds left alone"
    return {"M_MMAP_THRESHOLD": _MMAP_THRESHOLD, "M_TRIM_THRESHOLD": _TRIM_THRESHOLD}


def _limit_blas_threads(n: int) -> dict[str, int]:
    """Thread count per loaded BLAS library after limiting it to ``n``."""
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


def _limit_openblas_threads(n: int) -> dict[str, int]:
    """The threadpoolctl fallback, for OpenBLAS (what the NumPy and SciPy wheels bundle)."""
    threads = {}
    for path in _loaded_libraries("openblas"):
        lib = ctypes.CDLL(path)
        setter = _first_symbol(lib, _OPENBLAS_SETTERS)
        getter = _first_symbol(lib, _OPENBLAS_GETTERS)
        if setter is None or getter is None:
            threads[Path(path).name] = -1  # loaded but not controllable: fail loudly
            continue
        setter(n)
        threads[Path(path).name] = getter()
    return threads


def _loaded_libraries(fragment: str) -> list[str]:
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if fragment in line.lower()}
    return sorted(p for p in paths if p.startswith("/"))


def _first_symbol(lib: ctypes.CDLL, names: tuple[str, ...]) -> Any:
    for name in names:
        fn = getattr(lib, name, None)
        if fn is not None:
            return fn
    return None
