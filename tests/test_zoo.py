"""gradparity on the bug zoo (issue 16, "How we will know"): every planted bug must fail and
every correct but hard function must pass, with gradparity's defaults.

An inconclusive verdict on a bug counts as a miss, and on a hard function as a false alarm:
neither tells the user the truth. The entries are in ``tests/zoo``; the checker is
``adapters.check_grads``. Entries of a missing framework are skipped.
"""

from __future__ import annotations

import os

import pytest

from tests.zoo import ENTRIES, Entry, entries
from tests.zoo.run import gradparity_verdict

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# What gradparity gets wrong today: none. An entry that regresses goes here with its reason
# (strict: one that comes out right again fails the run until it is taken off). Never weaken
# an entry instead.
KNOWN_WRONG_TODAY: dict[str, str] = {}


def _require(entry: Entry) -> None:
    if not entry.available():
        if os.environ.get("GRADPARITY_REQUIRE_FRAMEWORKS"):
            pytest.fail(f"{entry.framework} is required but not installed")
        pytest.skip(f"{entry.framework} is not installed")


def _params(kind: str) -> list[object]:
    """The entries of that kind as pytest params named by entry, today's known wrong ones
    marked strict xfail with their reason."""
    params = []
    for e in entries(kind=kind):
        reason = KNOWN_WRONG_TODAY.get(e.name)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(e, id=e.name, marks=marks))
    return params


@pytest.mark.parametrize("entry", _params("bug"))
def test_bug_is_caught(entry: Entry) -> None:
    _require(entry)
    verdict = gradparity_verdict(entry)
    assert verdict.verdict == "fail", (
        f"{entry.name} ({entry.category}: {entry.what}) was not caught: {verdict.verdict}: "
        f"{verdict.message}"
    )


@pytest.mark.parametrize("entry", _params("hard"))
def test_hard_function_passes(entry: Entry) -> None:
    _require(entry)
    verdict = gradparity_verdict(entry)
    assert verdict.verdict == "pass", (
        f"false alarm on {entry.name} ({entry.category}: {entry.what}): {verdict.verdict}: "
        f"{verdict.message}"
    )


@pytest.mark.parametrize("entry", _params("framework-bug"))
def test_framework_bug_is_caught(entry: Entry) -> None:
    """A framework's own wrong derivative that gradparity found (tests/zoo/framework_bugs.py):
    it must keep failing while the framework has the bug."""
    _require(entry)
    verdict = gradparity_verdict(entry)
    assert verdict.verdict == "fail", (
        f"{entry.name} ({entry.what}) was not caught: {verdict.verdict}: {verdict.message}. "
        "If the framework has fixed the bug (see tests/zoo/framework_bugs.py for the "
        "reproducer), make the entry a hard function again"
    )


def test_torch_solve_forward_over_forward_is_still_wrong() -> None:
    """The evidence behind the torch.linalg.solve entries: torch's jvp of jvp against the
    closed form at a well-conditioned matrix."""
    pytest.importorskip("torch")
    from tests.zoo.framework_bugs import reproduce_solve

    got, exact = reproduce_solve()
    assert abs(got - exact) > 0.1 * abs(exact), (
        f"torch's jvp of jvp through linalg.solve is right now ({got} vs {exact}): move "
        "torch-solve-cond-1e6 and torch-solve-fwd-over-fwd back to the hard functions"
    )


def test_zoo_covers_the_issue() -> None:
    """At least 30 bugs and 30 hard functions, on every framework, with unique names."""
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names))
    assert len(entries(kind="bug")) >= 30
    assert len(entries(kind="hard")) >= 30
    for framework in ("torch", "jax", "tensorflow", "autograd"):
        assert entries(kind="bug", framework=framework), framework
        assert entries(kind="hard", framework=framework), framework
    categories = " ".join(e.category for e in entries(kind="bug"))
    for needed in ("0.1 %", "1e-5", "10^4", "row of a batch", "transposed", "second order",
                   "forward mode", "second argument", "near 0", "float32"):
        assert needed in categories, needed


def test_known_wrong_names_exist() -> None:
    assert set(KNOWN_WRONG_TODAY) <= {e.name for e in ENTRIES}


def test_builders_are_lazy() -> None:
    """Importing the zoo imports no framework (a missing one skips only its own entries)."""
    import subprocess
    import sys

    code = ("import sys; import tests.zoo; "
            "print([m for m in ('torch', 'jax', 'tensorflow', 'autograd') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip() == "[]"


def test_competitor_outcomes_are_classified() -> None:
    """The benchmark's harness (tests/zoo/competitors.py) on three cheap autograd entries: a
    reported mismatch is "fail", a refusal of forward mode is "error" and is rerun in reverse
    mode only."""
    pytest.importorskip("autograd")
    from tests.zoo.competitors import competitor_verdict, forward_mode_refused

    by_name = {e.name: e for e in ENTRIES}
    caught = competitor_verdict(by_name["autograd-logistic-rel-1e-3"])
    assert caught.outcome == "fail" and caught.evaluations > 0
    entry = by_name["autograd-cbrt-rel-1e-5"]
    refused = competitor_verdict(entry)
    assert refused.outcome == "error" and forward_mode_refused(entry, refused)
    assert competitor_verdict(entry, modes=("rev",)).outcome == "fail"
    passed = competitor_verdict(by_name["autograd-stiff-exp"])
    assert passed.outcome == "pass" and not forward_mode_refused(entry, passed)


def test_table_counts_errors_and_inconclusive_verdicts() -> None:
    from tests.zoo.table import GRADPARITY, Result, markdown

    bug = entries(kind="bug", framework="autograd")[0]
    hard = entries(kind="hard", framework="autograd")[0]
    results = [
        Result(bug, GRADPARITY, "inconclusive", 1.0, 10, "oracle unsure"),
        Result(hard, GRADPARITY, "pass", 2.0, 20, "6 checks passed"),
        Result(bug, "other", "error", 0.5, 1, "TypeError: no"),
        Result(hard, "other", "error", 0.5, 1, "TypeError: no"),
    ]
    table = markdown(results)
    assert "| autograd | gradparity | 0 / 1 | 0 / 1 | 3.0 | 30 |" in table
    assert "| autograd | other | 1 / 1 (1 by an error) | 1 / 1 (1 by an error) | 1.0 | 2 |" in table
    assert "| all | gradparity | 0 / 1 | 0 / 1 | 3.0 | 30 |" in table
    assert f"- **{bug.name}** (bug, inconclusive): oracle unsure" in table
