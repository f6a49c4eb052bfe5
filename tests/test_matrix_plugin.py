"""The conformance matrix as a pytest plugin (cases/pytest_plugin.py), run the way a user runs
it from their own repository: a test module that asks for the ``gradparity`` fixture, in a
fresh directory, through pytest's own ``pytester``.
"""

from __future__ import annotations

import textwrap

import pytest

from cases.pytest_plugin import DEFAULT_COVERAGE, coverage, matrix_scope

pytest_plugins = ["pytester"]

MATRIX_MODULE = """
def test_conformance(gradparity):
    gradparity.verify()
"""

# Imports of autograd fail in the process that loads this conftest: the adapter is then
# unavailable with the import error as its reason, as on a machine without the package.
BLOCK_AUTOGRAD = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "autograd" or name.startswith("autograd."):
            raise ImportError("autograd blocked by the test")
        return None

sys.meta_path.insert(0, Block())
"""


@pytest.fixture
def matrix(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_matrix=MATRIX_MODULE)
    return pytester


def _ids(result: pytest.RunResult) -> list[str]:
    return [line.split("[", 1)[1].rstrip("]") for line in result.outlines
            if "::test_conformance[" in line]


def test_ids_read_case_adapter_mode_dtype_check_and_the_options_select(
        matrix: pytest.Pytester) -> None:
    result = matrix.runpytest_subprocess("--collect-only", "-q", "--gp-cases", "sin,gmm",
                              "--gp-adapters", "refengine,jax", "--gp-dtypes", "float64",
                              "--gp-modes", "jit", "--gp-checks", "vjp_vs_oracle,adjoint")
    ids = _ids(result)
    # refengine has no jit mode; gmm and sin on jax.jit, two checks each
    assert sorted(ids) == ["gmm-jax-jit-float64-adjoint", "gmm-jax-jit-float64-vjp_vs_oracle",
                           "sin-jax-jit-float64-adjoint", "sin-jax-jit-float64-vjp_vs_oracle"]
    tagged = _ids(matrix.runpytest_subprocess("--collect-only", "-q", "--gp-tags", "kink",
                                   "--gp-adapters", "torch", "--gp-dtypes", "float64",
                                   "--gp-checks", "kink"))
    assert tagged and all(i.endswith("-torch-eager-float64-kink") for i in tagged)
    assert any(i.startswith("abs-at-zero-") for i in tagged)


def test_an_unknown_case_is_a_usage_error(matrix: pytest.Pytester) -> None:
    result = matrix.runpytest_subprocess("--collect-only", "-q", "--gp-cases", "no-such-case")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*--gp-cases: no case matches no-such-case*"])


def test_a_mutant_fails_the_cases_of_its_op_with_the_worst_entry_and_passes_the_others(
        matrix: pytest.Pytester) -> None:
    result = matrix.runpytest_subprocess("-q", "-p", "no:randomly", "--gp-cases", "sin,exp",
                              "--gp-adapters", "refengine-mutant:sin:scale",
                              "--gp-dtypes", "float64", "--gp-checks",
                              "value,vjp_vs_oracle,jvp_vs_oracle,adjoint")
    outcomes = result.parseoutcomes()
    # sin: VJP and JVP against the oracle fail (1.001 cos x); value and the adjoint identity
    # (both directions scaled alike) pass; exp passes everything.
    assert outcomes.get("failed") == 2 and outcomes.get("passed") == 6, outcomes
    text = result.stdout.str()
    assert "FAILED test_matrix.py::test_conformance[sin-refengine-mutant:sin:scale-eager-" \
           "float64-vjp_vs_oracle]" in text
    assert "exp-refengine-mutant" not in text.split("short test summary")[-1]
    # The message names the worst entry, not a dump of the Jacobian.
    result.stdout.fnmatch_lines(["*worst entry x*got*expected*abs error*rel error*tolerance*"])


def test_second_order_mutant_is_caught_by_the_second_order_checks(
        matrix: pytest.Pytester) -> None:
    result = matrix.runpytest_subprocess("-q", "-p", "no:randomly", "--gp-cases", "multiply",
                              "--gp-adapters", "refengine-mutant:multiply:order2",
                              "--gp-dtypes", "float64")
    summary = result.stdout.str().split("short test summary")[-1]
    assert "vjp_vs_oracle" not in summary  # first order is right
    assert "hvp_vs_oracle" in summary and "hvp_vs_refengine" in summary


def test_records_and_documented_divergences_are_reported(
        matrix: pytest.Pytester) -> None:
    records = matrix.path / "records.jsonl"
    result = matrix.runpytest_subprocess("-q", "-p", "no:randomly", "--gp-cases", "hypot-huge",
                              "--gp-adapters", "autograd", "--gp-records", str(records))
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes, result.stdout.str()[-2000:]
    assert "documented divergence" in result.stdout.str()
    lines = records.read_text().splitlines()
    assert len(lines) == sum(outcomes.values())
    assert '"status": "divergence-documented"' in records.read_text()


def test_an_unavailable_adapter_is_skipped_with_the_reason_unless_required(
        matrix: pytest.Pytester) -> None:
    matrix.makeconftest(BLOCK_AUTOGRAD)
    args = ("-q", "-rs", "-p", "no:randomly", "--gp-cases", "sin", "--gp-adapters", "autograd",
            "--gp-dtypes", "float64")
    skipped = matrix.runpytest_subprocess(*args)
    assert skipped.ret == 0 and skipped.parseoutcomes().get("skipped", 0) > 0
    skipped.stdout.fnmatch_lines(["*autograd blocked by the test*"])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRADPARITY_REQUIRE", "torch,autograd")
        required = matrix.runpytest_subprocess(*args)
    assert required.ret == 1 and required.parseoutcomes().get("failed", 0) > 0
    required.stdout.fnmatch_lines(["*autograd is required (GRADPARITY_REQUIRE) but not "
                                   "available*autograd blocked by the test*"])


def test_a_users_own_case_runs_through_the_plugin(matrix: pytest.Pytester) -> None:
    matrix.makeconftest(textwrap.dedent("""
        import cases

        @cases.register(name="users-softplus-sum", tags={"user"})
        def users_softplus_sum(xp, x):
            return xp.sum(xp.log1p(xp.exp(x)))
    """))
    result = matrix.runpytest_subprocess("-p", "no:randomly", "--gp-cases", "users-softplus-sum",
                              "--gp-adapters", "refengine,torch", "--gp-dtypes", "float64", "-v")
    assert result.ret == 0, result.stdout.str()[-2000:]
    result.stdout.fnmatch_lines(["*users-softplus-sum-torch-eager-float64-vjp_vs_oracle] PASSED*"])


def test_items_are_grouped_by_case_for_xdist() -> None:
    names = {"hypot", "hypot-huge", "exp"}
    base = "tests/test_matrix.py::test_conformance"
    assert matrix_scope(f"{base}[hypot-huge-jax-jit-float64-vjp_vs_oracle]", names) \
        == "gradparity:hypot-huge"
    assert matrix_scope(f"{base}[hypot-torch-eager-float32-adjoint]", names) \
        == "gradparity:hypot"
    assert matrix_scope(f"{base}[exp-refengine-mutant:exp:scale-eager-float64-value]", names) \
        == "gradparity:exp"
    # an unregistered case: grouped by its combination (the id without the check)
    assert matrix_scope(f"{base}[mine-torch-eager-float64-kink]", names) \
        == "gradparity:mine-torch-eager-float64"
    assert matrix_scope("tests/test_api.py::test_grad[abc-1]", names) is None
    assert matrix_scope("tests/test_api.py::test_grad", names) is None


@pytest.mark.parametrize("dist", ["load", "loadgroup"])
def test_xdist_runs_each_case_on_one_worker(matrix: pytest.Pytester, dist: str) -> None:
    pytest.importorskip("xdist")
    result = matrix.runpytest_subprocess(
        "-n", "2", "--dist", dist, "-v", "-p", "no:randomly", "--gp-cases",
        "sin,exp,tanh,cos", "--gp-adapters", "refengine", "--gp-dtypes", "float64")
    assert result.ret == 0
    workers: dict[str, set[str]] = {}
    for line in result.outlines:
        if "PASSED" in line and "[gw" in line:
            worker = line.split("[gw", 1)[1].split("]", 1)[0]
            case = line.split("test_conformance[", 1)[1].split("-refengine", 1)[0]
            workers.setdefault(case, set()).add(worker)
    assert set(workers) == {"sin", "exp", "tanh", "cos"}
    assert all(len(w) == 1 for w in workers.values()), workers


def test_default_coverage_tiers() -> None:
    assert coverage("torch", "eager", "float64") == "full"
    assert coverage("tensorflow", "jit", "float64") == DEFAULT_COVERAGE[
        ("tensorflow", "jit", "float64")]
    assert coverage("someone-elses", "jit", "float64") == "smoke"


class _Options:
    """The ``--gp-*`` options ``plan`` reads, without a pytest session."""

    def __init__(self, **values: object) -> None:
        self.values = {"--gp-adapters": "", "--gp-cases": "", "--gp-tags": "",
                       "--gp-dtypes": "", "--gp-modes": "", "--gp-checks": "",
                       "--gp-seed": 0, "--gp-slow": False, **values}
        self.option = type("option", (), {"markexpr": ""})()

    def getoption(self, name: str) -> object:
        return self.values[name]


@pytest.mark.parametrize("slow", [False, True])
def test_a_combination_computes_only_the_checks_it_has_items_for(slow: bool) -> None:
    """A check left out of the run (JAX's nestings outside --gp-slow) must not be computed
    unseen by the items that are collected: each item's ``checks`` are exactly the checks
    collected for its combination."""
    from cases.pytest_plugin import SLOW_NESTINGS, plan

    assert "jax" in SLOW_NESTINGS
    config = _Options(**{"--gp-adapters": "jax,torch", "--gp-cases": "sin",
                         "--gp-modes": "jit,eager", "--gp-dtypes": "float64", "--gp-slow": slow})
    by_combination: dict[tuple[str, str], list] = {}
    for item, _ in plan(config):  # type: ignore[arg-type]
        if item.size is None:
            by_combination.setdefault((item.adapter, item.mode), []).append(item)
    assert {("jax", "jit"), ("torch", "eager")} <= set(by_combination)
    nested = set()
    for (adapter, _), items in by_combination.items():
        collected = tuple(item.check for item in items)
        assert all(item.checks == collected for item in items)
        if "second_order_nestings" in collected:  # in one mode per framework
            nested.add(adapter)
    assert nested == ({"jax", "torch"} if slow else {"torch"})


@pytest.mark.parametrize("slow", [False, True])
def test_a_default_run_slow_combination_is_collected_only_with_gp_slow(slow: bool) -> None:
    """``DEFAULT_RUN_SLOW`` leaves a measured-costly combination to --gp-slow, in the dtypes
    it names only: the other dtype of the same case and adapter stays in the default run."""
    from cases.pytest_plugin import DEFAULT_RUN_SLOW, default_run_slow, plan

    assert ("ht-complicated", "tensorflow", "eager", ("float32",)) in [
        e[:4] for e in DEFAULT_RUN_SLOW]
    assert default_run_slow("ht-complicated", "tensorflow", "eager", "float32")
    assert default_run_slow("ht-complicated", "tensorflow", "eager", "float64") is None
    assert default_run_slow("conv2d-tanh", "tensorflow", "eager", "float64")  # a pattern
    config = _Options(**{"--gp-adapters": "tensorflow", "--gp-cases": "ht-complicated",
                         "--gp-modes": "eager", "--gp-checks": "value", "--gp-slow": slow})
    collected = {(item.dtype, is_slow) for item, is_slow in plan(config)  # type: ignore[arg-type]
                 if item.size is None}
    assert ("float64", False) in collected
    assert (("float32", True) in collected) == slow
    assert ("float32", False) not in collected


@pytest.mark.parametrize(("cases_option", "tags_option", "with_jit"), [
    ("rk4-*", None, False), (None, "ode", False), ("rk4-lotka-volterra", None, True)])
def test_a_combination_measured_not_to_finish_is_collected_only_when_named(
        cases_option: str | None, tags_option: str | None, with_jit: bool) -> None:
    """COSTLY's unbounded entries (rk4-lotka-volterra under jax.jit: one XLA compile held a
    worker for 51 minutes) stay out of --gp-slow unless --gp-cases names the case exactly."""
    from cases.pytest_plugin import plan

    config = _Options(**{"--gp-adapters": "jax", "--gp-cases": cases_option or "",
                         "--gp-tags": tags_option or "", "--gp-checks": "value",
                         "--gp-slow": True})
    modes = {item.mode for item, _ in plan(config)  # type: ignore[arg-type]
             if item.case.name == "rk4-lotka-volterra"}
    assert modes == ({"eager", "jit"} if with_jit else {"eager"})
