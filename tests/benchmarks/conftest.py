"""Benchmark session setup: opt-in collection, and one fixed timing environment.

The benchmarks are slow, so the default ``pytest`` run skips them; they run when this
directory (or a file in it) is named on the command line, or with ``--benchmark-only``.

A benchmark run then fixes, before the first measurement, what anchors.md found to move
timings on this kind of machine, so that every engine is timed under the same conditions:

- one core: the process is pinned to one CPU (``os.sched_setaffinity``), the one that was idle
  the most over 0.1 s (the highest-numbered on a quiet machine);
- one BLAS thread: ``*_NUM_THREADS=1`` in the environment (enough if NumPy is not imported
  yet), then enforced at run time on every loaded BLAS library, through threadpoolctl when it
  is installed, else through OpenBLAS's own ``*set_num_threads*`` entry points (ctypes);
- glibc malloc thresholds: fixed with ``mallopt``, so multi-megabyte temporaries are reused
  from the heap instead of being mmap'ed (and page-faulted) afresh, whatever the process did
  before (we measured 2.3 ms vs 0.8 ms for the same GMM forward pass without this);
- the garbage collector is off while timing (``disable_gc`` in each test's benchmark marker).

All of it is recorded in the JSON's ``machine_info["gradparity"]``. The functions that do it
live in ``cases.timing.environment``, shared with the timing harness.

``test_bench_cases.py`` times the case grid (case x adapter x mode x quantity, grouped by case)
through the harness's own code path; ``pytest_generate_tests`` below builds that grid, and only
when benchmarks were requested (so the default run does not load the case library). Options:
``--timing-cases`` (names or globs, comma-separated; default: the README's model cases),
``--timing-adapters``, ``--timing-sizes`` (``first``: the first README size of each model case, the
default; ``figures``: both; or ``smallest``, ``sweep``, ``check``), ``--timing-dtypes`` and
``--timing-quick`` (the smoke-run budget).
"""

from __future__ import annotations

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
    # Imported only now: any ``cases`` import loads NumPy, which must see the variables above.
    from cases.timing import environment

    if hasattr(os, "sched_setaffinity"):  # Linux
        _settings["cpu_affinity"] = environment.pin(1)  # the quietest CPU, every thread
    else:
        _settings["cpu_affinity"] = "not available on this platform: not pinned"
    _settings["malloc"] = environment.fix_malloc()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradparity timing", "the case grid of test_bench_cases.py")
    group.addoption("--timing-cases", default=None,
                    help="case names or glob patterns, comma-separated (default: the README's "
                         "model cases)")
    group.addoption("--timing-adapters", default=None,
                    help="adapter names, comma-separated (default: all)")
    group.addoption("--timing-sizes", default="first",
                    choices=("first", "figures", "smallest", "sweep", "check"))
    group.addoption("--timing-dtypes", default="float64")
    group.addoption("--timing-quick", action="store_true", help="the smoke-run budget")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "timing_point" not in metafunc.fixturenames:
        return
    config = metafunc.config
    if not (plugin_active(config) and benchmarks_requested(config)):
        # Skipped anyway: do not load the case library just to name the tests.
        metafunc.parametrize("timing_point", [None], ids=["grid-not-built"])
        return
    from cases.timing.pytest_benchmark import grid_points  # loads the case library

    points = grid_points(
        cases=config.getoption("timing_cases", default=None),
        adapters=config.getoption("timing_adapters", default=None),
        sizes=config.getoption("timing_sizes", default="first"),
        dtypes=config.getoption("timing_dtypes", default="float64"),
    )
    metafunc.parametrize("timing_point", points, ids=[p.id for p in points])


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
    from cases.timing import environment  # loads NumPy (and its BLAS) before limiting it

    threads = environment.limit_blas_threads(1)
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
