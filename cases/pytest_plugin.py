"""pytest plugin: the conformance matrix as parametrized tests.

Registered under the ``pytest11`` entry point, so installing gradparity makes it available in
any repository. A test module asks for the ``gradparity`` fixture::

    def test_conformance(gradparity):
        gradparity.verify()

and gets one test per case x adapter x mode x dtype x check, with ids such as
``gmm-jax-jit-float64-vjp_vs_oracle``. Every check of one combination is computed once, by
``cases.conformance.run_case`` (the same code path as the CLI), and each item reads its record:
``pass`` and ``divergence-documented`` pass (the citation is attached to the report and listed
at the end), ``unsupported`` skips with the reason, ``fail``/``error``/``nonfinite`` fail with
the record's message (the worst entry, never a whole Jacobian).

The same fixture checks a user's own function in its own framework (``adapters.check_grads``)::

    def test_my_loss(gradparity):
        gradparity.check_grads(my_loss, (w, x))        # torch/JAX/TF arrays; framework=...

Such a test runs once: a test is parametrized over the matrix only when its code calls
``verify`` (read from its bytecode at collection, nested functions included), since nothing
else tells the two uses apart before the test runs; one that does not call ``verify`` gets a
handle without a matrix item, plans nothing and imports nothing more at collection. A failure
fails the test with the ``GradientCheckError`` message (the worst entry), an untrustworthy
oracle (``OracleError``) with ``[inconclusive]`` and its reason.

Options: ``--gp-adapters``, ``--gp-cases`` (names or globs), ``--gp-tags``, ``--gp-dtypes``,
``--gp-modes``, ``--gp-checks`` (comma-separated), ``--gp-seed``, ``--gp-slow`` and
``--gp-records PATH`` (every record as JSON lines). Adapters default to every installed AD
adapter (value-only adapters such as ``numpy`` are left out); negative controls such as
``refengine-mutant:sin:scale`` may be named. An unavailable adapter's items are skipped with
the import error, unless ``GRADPARITY_REQUIRE`` (comma-separated adapter names) names it:
then they fail.

Slow items carry the ``slow`` marker and are collected only with ``--gp-slow`` (or an ``-m``
expression that mentions ``slow``): the combinations ``DEFAULT_COVERAGE`` leaves out of the
default run (beyond a smoke selection of cases tagged ``SMOKE_TAGS``), and every case again at
its first sweep size ("large": checked on random projections). With pytest-xdist, ``-n N``
(``--dist load`` or ``loadgroup``) keeps each case's items on one worker, so every combination
is computed once and the oracle once per case and dtype (the plugin's own scheduler groups the
items by case name: xdist's ``xdist_group`` suffix is lost under pytest 9.2, whose node ids are
no longer plain strings). A combination listed in ``cases.conventions.COSTLY`` (measured as
too slow for the default run, with the reason and a citation) is slow too.

Every real case is also planned in float16 and bfloat16 (``cases.conformance.half``); in the
default run only the ``HALF_SMOKE`` cases (``cases.smoke``) on eager adapters and ``jax.jit``,
the rest with ``--gp-slow``.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cases.smoke import HALF_SMOKE, SMOKE_TAGS

__all__ = ["DEFAULT_COVERAGE", "DEFAULT_RUN_SLOW", "SMOKE_TAGS", "Handle", "MatrixItem",
           "calls_verify", "coverage", "default_run_slow", "matrix_scope", "plan",
           "transform_slow"]

# What the default run covers per (adapter, mode, dtype): "full" (every case), "smoke" (cases
# tagged SMOKE_TAGS; the rest is slow) or "slow" (nothing by default). Not listed: eager modes
# are full, other modes smoke. Chosen from measured costs on 2 cores (seconds per case and
# dtype, every check): refengine 0.03, torch 0.03, autograd 0.03, jax.jit 0.25 (one XLA
# compilation per quantity), jax eager 1-2 (one XLA compilation per primitive and shape),
# tensorflow eager 0.6, tf.function 2. For JAX the jit mode is the cheap one, so it covers
# every case in float64 and eager is the smoke selection. With jax.jit float32 full too, the
# default matrix (38,000 items) took 9 min 18 s with -n 2 on an idle 2-core machine: too
# close to the 15 minutes the whole default run may take; float32 jit is now the smoke set.
DEFAULT_COVERAGE: dict[tuple[str, str, str], str] = {
    ("jax", "jit", "float64"): "full",
    ("refengine", "eager", "float32"): "smoke",
    ("autograd", "eager", "float32"): "smoke",
    # float32 beyond refengine's and autograd's smoke sets: the day's merges (issue 17's half
    # precision and transformations, issue 22's frameworks, issue 20's cluster tests) took the
    # default run to 12 min 51 s (fresh clone, idle, 2026-12-07), past its 12-minute margin; the
    # float32 smoke selections of jax.jit (54 CPU s) and eager TensorFlow (41) went to
    # --gp-slow and torch float32 (63, every case) to its smoke selection. float32 vs float64
    # is still checked by default on refengine, autograd and torch.
    ("jax", "jit", "float32"): "slow",
    ("torch", "eager", "float32"): "smoke",
    # Eager JAX runs the derivative rules jax.jit runs, and jax.jit covers every case: eager
    # JAX float64's smoke selection cost 91 of the default run's 1,321 CPU seconds (measured
    # per test, 2026-12-07), so it is --gp-slow with the rest of eager JAX.
    ("jax", "eager", "float64"): "slow",
    ("jax", "eager", "float32"): "slow",
    ("tensorflow", "eager", "float32"): "slow",
    ("tensorflow", "jit", "float64"): "smoke",
    ("tensorflow", "jit", "float32"): "slow",
    # MXNet, out of process (adapters.remote): every case in both dtypes took 142 s on one
    # core (2,900 items), too much for a default run already near its limit; the smoke set in
    # float64 by default (~10 s), float32 and everything else with --gp-slow.
    ("mxnet", "eager", "float64"): "smoke",
    ("mxnet", "eager", "float32"): "slow",
    # tinygrad and MLX (in process): the smoke selection in float64, eager, by default (their
    # costliest cases are in DEFAULT_RUN_SLOW below); float32, jit and the rest --gp-slow.
    # Measured per test on the 2-core machine (2026-12-07): the whole float64 smoke selection
    # took 64.7 s of tests on tinygrad (every kernel scheduled in Python and compiled by zig
    # cc) and 27.6 s on MLX; without the cases below, 20 s and 5 s.
    ("tinygrad", "eager", "float64"): "smoke",
    ("tinygrad", "eager", "float32"): "slow",
    ("tinygrad", "jit", "float64"): "slow",
    ("tinygrad", "jit", "float32"): "slow",
    ("mlx", "eager", "float64"): "smoke",
    ("mlx", "eager", "float32"): "slow",
    ("mlx", "jit", "float64"): "slow",
    ("mlx", "jit", "float32"): "slow",
    # MXNet hybridized (jit): a trace, a SymbolBlock and a CachedOp per case and quantity; the
    # eager mode runs the same operators' backward, so the hybridized one is --gp-slow.
    ("mxnet", "jit", "float64"): "slow",
    ("mxnet", "jit", "float32"): "slow",
    # Complex cases (tag complex, 20 cases; measured on the shared 2-core machine, seconds for
    # all 20 cases and every check): refengine 2, torch 6-10, autograd 4 per complex dtype
    # (full); jax.jit 34 per dtype, eager TensorFlow 35, tf.function 27 (wall, on a loaded
    # machine). The default items (1,578) took 20 s on one idle core. complex128 runs on
    # jax.jit; TensorFlow's complex128 is the smoke set (the kink cases, whose
    # complex_convention records still measure its conjugate convention); the rest is slow.
    ("jax", "jit", "complex128"): "smoke",  # full: ~15 CPU s the 12-minute margin lacks
    ("jax", "jit", "complex64"): "slow",
    ("jax", "eager", "complex128"): "slow",
    ("jax", "eager", "complex64"): "slow",
    ("tensorflow", "eager", "complex128"): "smoke",
    ("tensorflow", "eager", "complex64"): "slow",
    ("tensorflow", "jit", "complex128"): "slow",
    ("tensorflow", "jit", "complex64"): "slow",
    # Half precision (cases.conformance.half): the default run checks the HALF_SMOKE cases
    # (cases.smoke) on every eager adapter and jax.jit, in both half dtypes; these
    # combinations and every other case are --gp-slow.
    **{(name, mode, half): "slow" for half in ("float16", "bfloat16")
       for name, mode in (("jax", "eager"), ("tensorflow", "jit"))},
}
# second_order_nestings on JAX and TensorFlow is slow: of its 528 CPU seconds over the quick
# run's cases, jax.jit took 223 (one XLA compilation per nesting) and eager TensorFlow 172.
# The default run checks the nestings on refengine, torch and autograd; --gp-slow on all.
SLOW_NESTINGS = frozenset({"jax", "tensorflow"})
# The transformation checks (cases.conformance.transforms: a vectorised VJP at 3 points, full
# Jacobians by both modes) in the default run: the smoke cases tagged TRANSFORM_TAGS (the
# conventions at kinks and the nn ops, where batching and forward-mode rules differ most) on
# refengine, HIPS autograd and torch; everything else with --gp-slow. Measured on the shared
# 2-core machine under load (2026-12-07), CPU seconds of the checks over the 58 float64 smoke
# cases: torch 21 (particle's Jacobian alone 12.5: its Euler loop once per column; the models
# with a hundred inputs or more about 1 each), refengine 1.2, autograd 3.7; jax.jit 224 and
# eager TensorFlow compile or trace every transformation. The default selection's 195 items
# cost 1.5 s of checks. inputs_unchanged makes no call of its own, but each pytest item costs
# about 4.6 ms (measured: 518 more items, 2.4 CPU s): one per combination everywhere would be
# 3,481 items, 16 s, so the default run has it on the smoke selection (SMOKE_TAGS) only.
TRANSFORM_CHECKS = frozenset({"vmap_grad", "jacfwd_vs_jacrev"})
TRANSFORM_TAGS = frozenset({"kink", "nn"})
DEFAULT_TRANSFORMS = frozenset({"refengine", "autograd", "torch"})
# Combinations whose checks are right but too costly for the default run's 12-minute margin
# (the quick run still times them; --gp-slow checks them): (case pattern, adapter, mode,
# dtypes, what was measured). CPU seconds of one combination's checks, measured on 2026-12-07
# with per-test CPU time over a whole default run (2-core AMD EPYC, shared machine). The
# float32 halves of refengine and HIPS autograd, which both compute with NumPy's kernels (the
# same rules as in float64), are the smoke selection in DEFAULT_COVERAGE.
DEFAULT_RUN_SLOW: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("particle", "torch", "eager", ("float32",), "12.3 s: ~350 Euler steps, a nested gradient "
     "at each, op by op (float64 stays: 27 s)"),
    ("particle", "autograd", "eager", ("float32",), "10.2 s (float64 stays: 14 s)"),
    ("particle", "refengine", "eager", ("float32",), "4.9 s (float64 stays: 6 s)"),
    ("rk4-lotka-volterra", "tensorflow", "eager", ("float64", "float32"), "29.5 s in float64: "
     "40 RK4 steps, each a chain of eager ops, in every derivative and nesting"),
    ("saddle", "jax", "eager", ("float64", "float32"), "14.3 s: GradBench's ascent, ~48,000 "
     "nested gradients dispatched op by op"),
    ("saddle", "tensorflow", "eager", ("float64", "float32"), "6.8 s in float64, 8.5 s in "
     "float32: the same ascent, op by op"),
    # ht-complicated stays on jax.jit and eager TensorFlow float64, ht-simple everywhere
    ("ht-complicated", "jax", "eager", ("float64",), "10.8 s: skinning and the barycentric "
     "gather, op by op"),
    ("ht-complicated", "tensorflow", "jit", ("float64",), "8.4 s: a tf.function trace per "
     "quantity"),
    ("ht-complicated", "tensorflow", "eager", ("float32",), "5.6 s (float64 stays: 7.9 s)"),
    ("particle", "torch", "eager", ("float64",), "27.3 s (refengine and autograd check it "
     "in the default run: 6 s and 14 s)"),
    # convolution, pooling and segment sums stay on jax.jit, torch, refengine and autograd
    ("conv*", "tensorflow", "eager", ("float64",), "10.3 s with the pooling and segment "
     "cases, op by op"),
    ("*pool*", "tensorflow", "eager", ("float64",), "(with conv*)"),
    ("segment-sum-*", "tensorflow", "eager", ("float64",), "(with conv*)"),
    # tinygrad's and MLX's smoke selections in float64 (seconds of the tests, per case)
    ("lstm", "tinygrad", "eager", ("float64",), "16.7 s: each step's kernels scheduled and "
     "compiled one by one"),
    ("transformer-block", "tinygrad", "eager", ("float64",), "8.8 s"),
    ("ode", "tinygrad", "eager", ("float64",), "6.1 s"),
    ("det-by-minors", "tinygrad", "eager", ("float64",), "5.9 s"),
    ("sort-tie", "tinygrad", "eager", ("float64",), "3.8 s"),
    ("dense-gelu", "tinygrad", "eager", ("float64",), "3.4 s"),
    ("particle", "mlx", "eager", ("float64",), "14.8 s: the nested gradients of GradBench's "
     "descent, op by op"),
    ("saddle", "mlx", "eager", ("float64",), "7.9 s: the same, for the saddle ascent"),
)
# Issue 17's control-flow and derivative-control cases (tag "transform",
# cases/library/transformations.py): the default run checks all of them on refengine, torch and
# HIPS autograd (eager, cheap), and two (tag "transform-smoke": lax.scan/tf.scan, and a custom
# rule over fori_loop) on the other full combinations (jax.jit and eager TensorFlow in float64);
# --gp-slow checks everything. Measured costs are in the README (issue 17 section).
TRANSFORM_TAG, TRANSFORM_SMOKE_TAG = "transform", "transform-smoke"
TRANSFORM_DEFAULT_ADAPTERS = frozenset({"refengine", "torch", "autograd"})


def transform_slow(tags: frozenset[str], adapter: str) -> bool:
    """Whether a case with ``tags`` is left to --gp-slow on ``adapter`` for its cost."""
    return (TRANSFORM_TAG in tags and adapter not in TRANSFORM_DEFAULT_ADAPTERS
            and TRANSFORM_SMOKE_TAG not in tags)


REQUIRE_ENV = "GRADPARITY_REQUIRE"
_RECORD_KEY = "gradparity-record"
_DIVERGENCE_KEY = "gradparity-divergence"
_combos: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_COMBO_CACHE = 8
# Documented divergences and records seen in this session (on the controller under xdist).
_state: dict[str, Any] = {"divergences": {}}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradparity", "gradparity conformance matrix")
    group.addoption("--gp-adapters", default="", help="comma-separated adapters (default: every "
                    "installed AD adapter; refengine-mutant:<op>:<kind> for a negative control)")
    group.addoption("--gp-cases", default="", help="comma-separated case names or globs")
    group.addoption("--gp-tags", default="", help="only cases with any of these tags (comma)")
    group.addoption("--gp-dtypes", default="", help="comma-separated dtypes (float64,float32; "
                    "complex128,complex64 for the cases that opt in; float16,bfloat16 for "
                    "every real case)")
    group.addoption("--gp-modes", default="", help="comma-separated modes (eager,jit)")
    group.addoption("--gp-checks", default="", help="comma-separated check names")
    group.addoption("--gp-seed", type=int, default=0, help="seed of the inputs and directions")
    group.addoption("--gp-slow", action="store_true", help="also collect the slow items: every "
                    "jit combination and the large sizes")
    group.addoption("--gp-records", default="", help="write every record to this JSON-lines file")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: slow tests (gradparity: large sizes and the full "
                                       "jit matrix; collected with --gp-slow)")
    config.addinivalue_line("markers", "gradparity: a conformance-matrix item")
    if not config.pluginmanager.hasplugin("xdist"):
        config.addinivalue_line("markers", "xdist_group(name): pytest-xdist grouping")
    _state["divergences"] = {}


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


@dataclass(frozen=True)
class MatrixItem:
    """One test: a check of a case on an adapter, in a mode, dtype and size."""

    case: Any
    adapter: str
    mode: str
    dtype: str
    check: str
    size: Any = None  # None: the case's check size
    seed: int = 0
    checks: tuple[str, ...] | None = None  # the checks computed together for this combination

    @property
    def id(self) -> str:
        size = "" if self.size is None else f"{self.case.sizes.label(self.size)}-"
        return f"{self.case.name}-{self.adapter}-{self.mode}-{self.dtype}-{size}{self.check}"

    @property
    def combo(self) -> tuple[Any, ...]:
        return (self.case.name, id(self.case), self.adapter, self.mode, self.dtype, self.size,
                self.seed, self.checks)

    def record(self) -> Any:
        """This item's record (the whole combination is computed on first use)."""
        from cases.conformance import run_case

        key = self.combo
        if key not in _combos:
            records = run_case(self.case, self.adapter, self.mode, self.dtype, seed=self.seed,
                               checks=self.checks, size=self.size, run_id="pytest")
            _combos[key] = {r.check: r for r in records}
            while len(_combos) > _COMBO_CACHE:
                _combos.popitem(last=False)
            _release_compiled()
        _combos.move_to_end(key)
        return _combos[key][self.check]


_computed = {"count": 0}
_RELEASE_EVERY = 25


def _release_compiled() -> None:
    """Drop the frameworks' compiled-function caches every few combinations. Each combination
    jits fresh functions and JAX keeps every executable it compiled: without this a worker grew
    to 6.5 GB over the default matrix."""
    _computed["count"] += 1
    if _computed["count"] % _RELEASE_EVERY:
        return
    import gc
    import sys

    if "jax" in sys.modules:
        sys.modules["jax"].clear_caches()
    gc.collect()


class Handle:
    """What a test receives as ``gradparity``: the item and ``verify()`` for a matrix test,
    ``check_grads()`` for a user's own function (in any test)."""

    def __init__(self, item: MatrixItem | None, node: pytest.Item) -> None:
        self.item = item
        self.node = node

    def check_grads(self, f: Any, args: Any, **options: Any) -> Any:
        """``adapters.check_grads(f, args, **options)``; a failure fails the test with the
        worst entry (no traceback into the checker, no Jacobian)."""
        from adapters import check_grads
        from refengine.check import GradientCheckError
        from refengine.numeric import OracleError

        try:
            return check_grads(f, args, **options)
        except GradientCheckError as error:
            message = str(error)
        except OracleError as error:
            message = f"[inconclusive] {error}"
        pytest.fail(message, pytrace=False)  # outside the except: the message once, unchained

    def verify(self) -> Any:
        """Turn the record into the test's outcome (and return it)."""
        item = self.item
        if item is None:
            pytest.fail("this test was not parametrized over the conformance matrix: its code "
                        "does not call gradparity.verify() itself (see cases.pytest_plugin)",
                        pytrace=False)
        required = set(_split(os.environ.get(REQUIRE_ENV, "")))
        if item.adapter in required:
            from cases.conformance import resolve_adapter

            status = resolve_adapter(item.adapter).available()
            if not status:
                pytest.fail(f"{item.adapter} is required ({REQUIRE_ENV}) but not available: "
                            f"{status.reason}", pytrace=False)
        record = item.record()
        if self.node.config.getoption("--gp-records"):
            self.node.user_properties.append((_RECORD_KEY, record.to_dict()))
        if record.status == "pass":
            return record
        if record.status == "divergence-documented":
            self.node.user_properties.append((_DIVERGENCE_KEY, record.message))
            return record
        if record.status == "unsupported":
            pytest.skip(record.message or "unsupported")
        pytest.fail(f"[{record.status}] {record.message}", pytrace=False)
        return record  # unreachable: pytest.fail raises


def _adapter_names(config: pytest.Config) -> list[str]:
    named = _split(config.getoption("--gp-adapters"))
    if named:
        return named
    import adapters

    return [n for n in adapters.names() if getattr(adapters.get(n), "derivatives", True)]


def _slow_wanted(config: pytest.Config) -> bool:
    return bool(config.getoption("--gp-slow")) or "slow" in (config.option.markexpr or "")


def coverage(adapter: str, mode: str, dtype: str) -> str:
    """"full", "smoke" or "slow": what the default run covers for this combination."""
    default = "full" if mode == "eager" else "smoke"
    # An older release side by side ("jax@0.4.38", named explicitly) has its framework's.
    framework = adapter.partition("@")[0]
    return DEFAULT_COVERAGE.get((adapter, mode, dtype),
                                DEFAULT_COVERAGE.get((framework, mode, dtype), default))


def default_run_slow(case: str, adapter: str, mode: str, dtype: str) -> str | None:
    """What was measured, when this combination is left to --gp-slow for its cost
    (``DEFAULT_RUN_SLOW``); None otherwise."""
    import fnmatch

    for pattern, name, entry_mode, dtypes, measured in DEFAULT_RUN_SLOW:
        if (name == adapter and entry_mode == mode and dtype in dtypes
                and fnmatch.fnmatchcase(case, pattern)):
            return measured
    return None


def plan(config: pytest.Config) -> Iterator[tuple[MatrixItem, bool]]:
    """Every (item, slow) the options select, in case-major order."""
    import cases as library
    from cases.conformance import planned, resolve_adapter
    from cases.conformance.half import is_half, matrix_dtypes
    from cases.conventions import costly, unbounded

    names = _split(config.getoption("--gp-cases"))
    tags = _split(config.getoption("--gp-tags")) or None
    chosen = library.select(tags=tags) if tags else library.all()
    if names:
        wanted = {c.name for n in names for c in library.select(pattern=n)}
        missing = [n for n in names if not any(True for _ in library.select(pattern=n))]
        if missing:
            from cases.registry import closest

            every = [c.name for c in library.all()]
            raise pytest.UsageError("--gp-cases: " + "; ".join(
                f"no case matches {n}{closest(n, every)}" for n in missing))
        chosen = [c for c in chosen if c.name in wanted]
    dtypes = _split(config.getoption("--gp-dtypes"))
    modes = _split(config.getoption("--gp-modes"))
    checks = tuple(_split(config.getoption("--gp-checks"))) or None
    seed = config.getoption("--gp-seed")
    slow = _slow_wanted(config)
    resolved = [(n, resolve_adapter(n)) for n in _adapter_names(config)]
    for case in chosen:
        sizes = [(None, False)]
        if case.sizes.sweep and case.sizes.sweep[0] != case.sizes.check:
            sizes.append((case.sizes.sweep[0], True))
        for name, adapter in resolved:
            for mode in adapter.modes:
                if modes and mode not in modes:
                    continue
                # measured not to finish (COSTLY, unbounded): only when named exactly
                if unbounded(case.name, adapter.name, mode) and case.name not in names:
                    continue
                for dtype in matrix_dtypes(case):
                    if dtypes and dtype not in dtypes:
                        continue
                    tier = coverage(adapter.name, mode, dtype)
                    if is_half(dtype):  # half precision: the HALF_SMOKE cases, else slow
                        tier = "full" if case.name in HALF_SMOKE and tier != "slow" else "slow"
                    tier_slow = (tier == "slow" or (tier == "smoke" and not case.tags & SMOKE_TAGS)
                                 or costly(case.name, adapter.name, mode) is not None
                                 or default_run_slow(case.name, adapter.name, mode, dtype)
                                 is not None or transform_slow(case.tags, adapter.name))
                    applicable = planned(case, adapter.name, dtype, mode)
                    selected = tuple(c for c in applicable if checks is None or c in checks)
                    for size, large in sizes:
                        items = [(check, tier_slow or large or (
                                    check == "second_order_nestings" and name in SLOW_NESTINGS)
                                  or (check in TRANSFORM_CHECKS
                                      and (name not in DEFAULT_TRANSFORMS
                                           or not case.tags & TRANSFORM_TAGS))
                                  or (check == "inputs_unchanged"
                                      and not case.tags & SMOKE_TAGS))
                                 for check in selected]
                        items = [(check, is_slow) for check, is_slow in items
                                 if slow or not is_slow]
                        # The combination computes the checks it has items for, and no
                        # more: a check left out of the run is not computed either (the
                        # slow nestings were, unseen: 59 of TensorFlow's 105 s on rk4).
                        computed = tuple(check for check, _ in items)
                        for check, is_slow in items:
                            yield MatrixItem(case, name, mode, dtype, check, size, seed,
                                             computed), is_slow


def matrix_scope(nodeid: str, case_names: Iterable[str]) -> str | None:
    """The group of a matrix item's node id: its case's name (the longest of ``case_names``
    that the parameter id starts with), else the combination (the id without its check);
    None for a node id that is not a matrix item."""
    from cases.conformance import CHECKS

    start, end = nodeid.rfind("["), nodeid.rfind("]")
    if start < 0 or end < start:
        return None
    param = nodeid[start + 1:end]
    combination, _, check = param.rpartition("-")
    if check not in CHECKS:
        return None
    matching = [c for c in case_names if param.startswith(c + "-")]
    return "gradparity:" + (max(matching, key=len) if matching else combination)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist load`` (``-n`` alone) and ``--dist loadgroup``: matrix items grouped by case
    (see the module docstring), since splitting a combination's items computes it on every
    worker that gets one (the default matrix took twice as long); every other item is
    scheduled as xdist's loadgroup does (one at a time unless it has an ``xdist_group``)."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    from xdist.scheduler import LoadGroupScheduling

    import cases as library

    names = frozenset(c.name for c in library.all())

    class CaseGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            if scope != nodeid:  # an xdist_group suffix that survived
                return scope
            return matrix_scope(nodeid, names) or nodeid

    return CaseGroupScheduling(config, log)


def calls_verify(function: Any) -> bool:
    """Whether ``function``'s code (nested functions and lambdas included) names ``verify``:
    a conformance-matrix test; any other test using the fixture runs once."""
    import inspect

    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    pending = [code] if code is not None else []
    while pending:
        code = pending.pop()
        if "verify" in code.co_names:
            return True
        pending.extend(c for c in code.co_consts if inspect.iscode(c))
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "gradparity" not in metafunc.fixturenames or not calls_verify(metafunc.function):
        return
    config = metafunc.config
    grouped = config.pluginmanager.hasplugin("xdist")
    params = []
    for item, slow in plan(config):
        marks = [pytest.mark.gradparity]
        if slow:
            marks.append(pytest.mark.slow)
        if grouped:
            marks.append(pytest.mark.xdist_group(item.case.name))
        params.append(pytest.param(item, id=item.id, marks=marks))
    if not params:
        params = [pytest.param(None, id="no-selection",
                               marks=pytest.mark.skip(reason="the gradparity options select "
                                                             "no conformance item"))]
    metafunc.parametrize("gradparity", params, indirect=True)


@pytest.fixture
def gradparity(request: pytest.FixtureRequest) -> Handle:
    """The conformance item of this test (call ``.verify()``), or, in a test that does not
    call ``verify``, a handle for ``.check_grads(f, args)`` on a user's own function."""
    return Handle(getattr(request, "param", None), request.node)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == _DIVERGENCE_KEY:
            _state["divergences"].setdefault(value.split(". Observed:")[0], []).append(
                report.nodeid)
        elif key == _RECORD_KEY and _state.get("out") is not None:
            # Written as each result arrives (on the controller under xdist), so an
            # interrupted run keeps what it did.
            _state["out"].write(json.dumps(value) + "\n")
            _state["out"].flush()


def pytest_sessionstart(session: pytest.Session) -> None:
    path = session.config.getoption("--gp-records")
    if path and not hasattr(session.config, "workerinput"):  # the controller writes
        _state["out"] = open(path, "w", encoding="utf-8")  # closed in sessionfinish


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = _state.pop("out", None)
    if out is not None:
        out.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    divergences = _state["divergences"]
    if not divergences:
        return
    terminalreporter.section("gradparity: documented divergences (passed)")
    for text, nodes in sorted(divergences.items()):
        terminalreporter.write_line(f"{len(nodes):4d} x {text}")
