"""gradparity beside the frameworks' own gradient checkers on the bug zoo (issue 16), on request:

    PYTHONPATH=. python -m pytest -p no:cacheprovider tests/benchmarks/test_bench_zoo.py \
        --benchmark-only

One test per zoo entry and checker: gradparity (``tests.zoo.run``), and the entry's framework's
own checker with its defaults (``tests.zoo.competitors``); where JAX or autograd stopped because
forward mode is impossible for the function, also their rerun with ``modes=["rev"]``, as a user
would. Each check runs once (``benchmark.pedantic``, one round: what is reported is one check's
seconds and the function's evaluations, not a microbenchmark), on the one pinned core the
conftest sets up. The verdicts need no timing to be right: with ``--benchmark-disable`` the same
tests run as plain tests.

When the last test has run, the table (``tests.zoo.table``) is written to the file named by
``GRADPARITY_ZOO_TABLE``, or to ``tests/zoo/RESULTS.md`` when every entry ran (a ``-k`` subset
does not overwrite it). The torch and TensorFlow 100x100
entries dominate the run (gradgradcheck builds a 10^4 x 10^4 Jacobian twice): count on
10+ minutes in all.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # tests.zoo, when run without PYTHONPATH=.
    sys.path.insert(0, str(ROOT))

from tests.zoo import ENTRIES, Entry  # noqa: E402 (needs ROOT on the path)

if TYPE_CHECKING:  # the plugin is only needed when benchmarks run
    from pytest_benchmark.fixture import BenchmarkFixture

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
COMMAND = ("PYTHONPATH=. python -m pytest -p no:cacheprovider tests/benchmarks/test_bench_zoo.py "
           "--benchmark-only")
_results: list[Any] = []


@pytest.fixture(scope="module", autouse=True)
def write_table() -> Any:
    yield
    from tests.zoo.table import GRADPARITY, markdown

    named = os.environ.get("GRADPARITY_ZOO_TABLE")
    checked = {(r.entry.name, r.checker == GRADPARITY) for r in _results}
    complete = len(checked) == 2 * len(ENTRIES)
    if _results and (named or complete):  # a partial run (-k) leaves RESULTS.md alone
        path = Path(named or ROOT / "tests" / "zoo" / "RESULTS.md")
        path.write_text(markdown(_results, header=_header()))


def _header() -> str:
    from tests.zoo.competitors import CHECKERS

    versions = ", ".join(f"{d} {_version(d)}" for d in
                         ("torch", "jax", "tensorflow", "autograd", "numpy"))
    how = "; ".join(f"{framework}: {name}" for framework, (name, _) in CHECKERS.items())
    return (
        "# The bug zoo: gradparity beside the frameworks' own checkers\n\n"
        f"Measured {datetime.date.today().isoformat()} on {platform.machine()} "
        f"({os.cpu_count()} CPUs, the benchmark pinned to one), Python "
        f"{platform.python_version()}, {versions}.  gradparity's checker: adapters.check_grads.\n\n"
        f"Reproduce: `{COMMAND}` (writes this file; `GRADPARITY_ZOO_TABLE=path` elsewhere).\n\n"
        "Every checker runs with its defaults; seconds are one check's wall time (on a machine "
        "shared with other jobs they vary up to 2x between runs; verdicts and evaluations are "
        "seeded and do not), evaluations count the calls of the function (directly or through "
        "AD). A competitor's error (it "
        "could not check the function as given) counts as catching a bug and as a false alarm "
        "on a hard function; gradparity's inconclusive counts as a miss and a false alarm. "
        f"The frameworks' checkers ({how}) are run as `tests/zoo/competitors.py` describes: "
        "torch inputs converted to float64 with requires_grad (gradcheck demands it), "
        "TensorFlow compared as its docstring's example does (assertAllClose, rtol = atol = "
        "1e-6), autograd over every argument. Where JAX or autograd refused forward mode for "
        "the function, a second row gives the rerun a user would do, with modes=['rev'].\n"
    )


def _version(name: str) -> str:
    for distribution in (name, f"{name}-cpu"):  # TensorFlow is often tensorflow-cpu
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            pass
    return "not installed"


def _record(entry: Entry, checker: str, outcome: Any) -> None:
    from tests.zoo.table import Result

    _results.append(Result(entry, checker, *outcome))


@pytest.mark.benchmark(group="zoo-gradparity", disable_gc=False, warmup=False)
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_gradparity(benchmark: BenchmarkFixture, entry: Entry) -> None:
    from tests.zoo.run import gradparity_verdict
    from tests.zoo.table import GRADPARITY

    if not entry.available():
        pytest.skip(f"{entry.framework} is not installed")
    verdict = benchmark.pedantic(gradparity_verdict, args=(entry,), rounds=1, iterations=1)
    benchmark.extra_info.update(verdict._asdict())
    _record(entry, GRADPARITY, verdict)


@pytest.mark.benchmark(group="zoo-competitors", disable_gc=False, warmup=False)
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_competitor(benchmark: BenchmarkFixture, entry: Entry) -> None:
    from tests.zoo.competitors import CHECKERS, competitor_verdict, forward_mode_refused
    from tests.zoo.table import RERUN

    if not entry.available():
        pytest.skip(f"{entry.framework} is not installed")
    name = CHECKERS[entry.framework][0]
    outcome = benchmark.pedantic(competitor_verdict, args=(entry,), rounds=1, iterations=1)
    benchmark.extra_info.update(outcome._asdict())
    _record(entry, name, outcome)
    if entry.framework in ("jax", "autograd"):
        retried = outcome
        if forward_mode_refused(entry, outcome):
            retried = competitor_verdict(entry, modes=("rev",))
        _record(entry, name + RERUN, retried)
