"""Mutation testing: perturb each rule of refengine's derivative table in turn and count how
many of these mutants the conformance suite catches.

    python -m cases.conformance.mutation                 # every mutant: prints the score
    python -m cases.conformance.mutation --primitives sin,matmul --kinds scale,order2

A mutant (``adapters.mutant_adapter``) is refengine with one rule scaled by 1.001,
sign-flipped or with two arguments' rules swapped (``order2``: right first derivatives, wrong
second ones; ``order2fwd``: wrong forward over forward only; both on request). Which cases
exercise which rule is measured, not guessed: every rule is wrapped with a recorder while
refengine computes each case's VJP, JVP, HVP and other second-order nestings. A mutant is
"covered" when it changes (bit
for bit) the float64 value, VJP, JVP, HVP or another second-order nesting of at least one
case that exercises its rule; a mutant that changes nothing any case computes is left out of
the score (the score is over ops the library covers). A covered mutant is caught when some
check of some case it changes is ``fail``, ``error`` or ``nonfinite`` where unmutated
refengine passes that check on that case (float64, the default seed). "Independent" counts
mutants caught by a check that does not compare with refengine (the oracle, the adjoint
identity, finite, kink), or by ``second_order_nestings`` where its comparison with finite
differences failed: the suite's verdict without the reference engine.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adapters.base import SECOND_ORDER
from adapters.mutant_adapter import KINDS, Mutation, mutations
from cases.case import Case
from cases.conformance.check_record import Record
from cases.conformance.checks import CHECKS
from cases.conformance.complex_pairs import real_pair_case
from cases.conformance.nestings import CHECK as NESTINGS_CHECK
from cases.conformance.nestings import judged_by_oracle
from cases.conformance.reference import compute, flat, reference
from cases.conformance.run import resolve_adapter, run_case

__all__ = ["INDEPENDENT", "RULE_CHECKS", "TRANSFORM_CONTROLS", "TRANSFORM_ONLY", "MutantResult",
           "MutationReport", "difference", "independent", "main", "outputs", "precision", "run",
           "transform_controls", "usage"]

INDEPENDENT = frozenset({"value", "adjoint", "vjp_vs_oracle", "jvp_vs_oracle", "hvp_vs_oracle",
                         "finite", "kink", "determinism"})
RuleKey = tuple[str, int]  # (primitive, argument position)


@dataclass
class MutantResult:
    mutation: Mutation
    covered: bool = False
    caught: bool = False
    independent: bool = False
    caught_by: set[str] = field(default_factory=set)
    first_case: str = ""
    cases_run: int = 0


@dataclass
class MutationReport:
    results: list[MutantResult]
    seconds: float = 0.0

    @property
    def covered(self) -> list[MutantResult]:
        return [r for r in self.results if r.covered]

    @property
    def score(self) -> float:
        """Caught / covered (1.0 when nothing is covered)."""
        covered = self.covered
        return sum(r.caught for r in covered) / len(covered) if covered else 1.0

    @property
    def independent_score(self) -> float:
        covered = self.covered
        return sum(r.independent for r in covered) / len(covered) if covered else 1.0

    def survivors(self) -> list[MutantResult]:
        return [r for r in self.covered if not r.caught]

    def summary(self) -> str:
        covered = self.covered
        kinds = defaultdict(lambda: [0, 0])
        for r in covered:
            kinds[r.mutation.kind][0] += r.caught
            kinds[r.mutation.kind][1] += 1
        lines = [
            f"mutants: {len(self.results)}; observable on at least one case: {len(covered)}",
            f"caught: {sum(r.caught for r in covered)} of {len(covered)} = {100 * self.score:.1f} %"
            f" (by a check independent of refengine: {100 * self.independent_score:.1f} %)",
            "by kind: " + ", ".join(f"{k} {c}/{n}" for k, (c, n) in sorted(kinds.items())),
            f"seconds: {self.seconds:.0f}",
        ]
        uncovered = [r.mutation.name for r in self.results if not r.covered]
        if uncovered:
            lines.append(f"changing nothing any case computes ({len(uncovered)}): "
                         f"{', '.join(uncovered)}")
        for r in self.survivors():
            lines.append(f"SURVIVED: {r.mutation.name} ({r.cases_run} cases)")
        return "\n".join(lines)


# --- which cases exercise which rule ----------------------------------------------------------
@contextmanager
def _recording(used: set[RuleKey]) -> Iterator[None]:
    from refengine.derivatives import TABLE

    saved = {name: (p.vjp, p.jvp) for name, p in TABLE.items() if p.vjp}

    def spy(name: str, i: int, rule: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*a: Any, **k: Any) -> Any:
            used.add((name, i))
            return rule(*a, **k)

        return recorded

    def wrap(name: str, rules: Any) -> Any:
        if callable(rules):
            return lambda i: spy(name, i, rules(i))
        return tuple(None if r is None else spy(name, i, r) for i, r in enumerate(rules))

    try:
        for name, (vjp, jvp) in saved.items():
            TABLE[name].vjp, TABLE[name].jvp = wrap(name, vjp), wrap(name, jvp)
        yield
    finally:
        for name, (vjp, jvp) in saved.items():
            TABLE[name].vjp, TABLE[name].jvp = vjp, jvp


def usage(cases: Iterable[Case], seed: int = 0) -> dict[RuleKey, list[str]]:
    """(primitive, argument) -> the cases whose refengine VJP, JVP, HVP or other nesting
    applies that rule (a nesting differentiates the rules inside other rules: slogdet's JVP
    rule solves)."""
    import adapters

    engine = adapters.get("refengine")
    out: dict[RuleKey, list[str]] = defaultdict(list)
    for case in cases:
        used: set[RuleKey] = set()
        ref = _reference(case, seed)
        with _recording(used), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for quantity in ("vjp", "jvp", "hvp", *SECOND_ORDER):
                compute(engine, ref, quantity, "eager")
        for key in used:
            out[key].append(case.name)
    return dict(out)


def independent(record: Record) -> bool:
    """Is this failed record a catch without refengine (see the module docstring)?"""
    if record.check == NESTINGS_CHECK:
        return judged_by_oracle(record.message)
    return record.check in INDEPENDENT


# --- running the suite on every mutant ---------------------------------------------------------
_QUANTITIES = ("value", "vjp", "jvp", "hvp", *SECOND_ORDER)


def outputs(adapter: Any, case: Case, seed: int = 0) -> dict[str, Any]:
    """The raw float64 value, VJP, JVP, HVP and other second-order nestings of ``case``
    (Outcomes), at the check point."""
    ref = _reference(case, seed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return {q: compute(adapter, ref, q, "eager") for q in _QUANTITIES}


def precision(case: Case) -> str:
    """The dtype the mutants are run in: float64, or complex128 for a complex-only case."""
    return "float64" if "float64" in case.dtypes else "complex128"


def _reference(case: Case, seed: int) -> Any:
    """The float64 reference (for a complex case, of its real pair view)."""
    return reference(*real_pair_case(case, precision(case)), seed=seed)


def difference(a: dict[str, Any], b: dict[str, Any]) -> float:
    """How far two sets of outputs are apart: 0 when bit for bit equal, inf when one failed or
    a non-finite entry moved, else the largest difference relative to the quantity's scale."""
    worst = 0.0
    for q in _QUANTITIES:
        x, y = a[q], b[q]
        if x.status != y.status:
            return float("inf")
        if not x.ok:
            continue
        fx, fy = flat(x.value), flat(y.value)
        if fx.size != fy.size:
            return float("inf")
        same = (fx == fy) | (np.isnan(fx) & np.isnan(fy))
        if same.all():
            continue
        if not (np.isfinite(fx[~same]).all() and np.isfinite(fy[~same]).all()):
            return float("inf")
        scale = max(float(np.max(np.abs(fy[np.isfinite(fy)]), initial=0.0)), 1e-300)
        worst = max(worst, float(np.max(np.abs(fx - fy)[~same])) / scale)
    return worst


def run(
    selected: Sequence[Mutation] | None = None,
    cases: Sequence[Case] | None = None,
    *,
    seed: int = 0,
    max_cases: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> MutationReport:
    """Run the conformance checks on each mutant over the cases that exercise its rule.

    A mutant is *observable* on a case when its float64 value, VJP, JVP or HVP differs from
    refengine's at all (bit for bit); only such cases are checked, and a mutant observable on
    no case is left out of the score. The search for a mutant stops once an independent check
    has caught it (``max_cases`` caps the observable cases tried per mutant).
    """
    import adapters
    import cases as library

    start = time.perf_counter()
    cases = list(library.all() if cases is None else cases)
    selected = list(mutations() if selected is None else selected)
    uses = usage(cases, seed)
    results = {m: MutantResult(m) for m in selected}
    exercised = {m: {c for arg in m.args for c in uses.get((m.primitive, arg), [])}
                 for m in selected}
    engine = adapters.get("refengine")
    for case in cases:
        todo = [m for m in selected if case.name in exercised[m] and not results[m].independent
                and (max_cases is None or results[m].cases_run < max_cases)]
        if not todo:
            continue
        genuine = outputs(engine, case, seed)
        baseline = None
        for m in todo:
            if difference(outputs(resolve_adapter(m.name), case, seed), genuine) == 0.0:
                continue  # the mutation changes nothing this case computes
            res = results[m]
            res.covered = True
            res.cases_run += 1
            if baseline is None:
                baseline = {r.check: r.bad for r in run_case(
                    case, "refengine", seed=seed, dtype=precision(case), conventions=(),
                    checks=RULE_CHECKS)}
            records = run_case(case, m.name, seed=seed, dtype=precision(case), conventions=(),
                               checks=RULE_CHECKS)
            new = [r for r in records if r.bad and not baseline.get(r.check, False)]
            if new:
                res.first_case = res.first_case or case.name
                res.caught = True
                res.caught_by |= {r.check for r in new}
                res.independent = res.independent or any(independent(r) for r in new)
        if progress:
            progress(f"{case.name}: {len(todo)} mutants")
    return MutationReport(list(results.values()), time.perf_counter() - start)


# The checks a wrong derivative rule is scored against: all but the two that re-derive whole
# Jacobians or batches through the framework's own transformations (they would catch a wrong
# rule too, at many times the cost, and have negative controls of their own below).
TRANSFORM_ONLY = frozenset({"vmap_grad", "jacfwd_vs_jacrev"})
RULE_CHECKS: tuple[str, ...] = tuple(c for c in CHECKS if c not in TRANSFORM_ONLY)


# The transformation checks' negative controls (adapters.mutant_adapter.TransformMutant): the
# broken transformation, and the one check that must catch it.
TRANSFORM_CONTROLS: dict[str, str] = {
    "vmap-wrong-element": "vmap_grad",
    "jacfwd-scaled": "jacfwd_vs_jacrev",
    "mutates-input": "inputs_unchanged",
    "mutates-caller-input": "inputs_unchanged",
}


def transform_controls(case: str = "sin", seed: int = 0) -> dict[str, set[str]]:
    """``{broken transformation: the checks that failed on it}`` for each of
    ``TRANSFORM_CONTROLS`` on ``case`` (float64): each is caught when its check is among them."""
    import cases as library

    out = {}
    for kind in TRANSFORM_CONTROLS:
        records = run_case(library.get(case), f"refengine-broken:{kind}", seed=seed,
                           conventions=())
        out[kind] = {r.check for r in records if r.bad}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cases.conformance.mutation",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default="scale,sign,swap",
                        help=f"comma-separated mutation kinds ({', '.join(KINDS)})")
    parser.add_argument("--primitives", default="", help="only these primitives (comma list)")
    parser.add_argument("--cases", default="", help="only cases matching this glob")
    parser.add_argument("--max-cases", type=int, default=None,
                        help="try at most this many cases per mutant")
    parser.add_argument("--verbose", action="store_true", help="print progress per case")
    args = parser.parse_args(argv)
    import cases as library

    kinds = tuple(k for k in args.kinds.split(",") if k)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}; kinds are {', '.join(KINDS)}")
    chosen = mutations(kinds)
    if args.primitives:
        wanted = set(args.primitives.split(","))
        chosen = [m for m in chosen if m.primitive in wanted]
    selected_cases = library.select(pattern=args.cases) if args.cases else None
    report = run(chosen, selected_cases, max_cases=args.max_cases,
                 progress=(lambda s: print(s, file=sys.stderr)) if args.verbose else None)
    print(report.summary())
    controls = transform_controls()
    missed = [k for k, check in TRANSFORM_CONTROLS.items() if check not in controls[k]]
    print("transformation controls: " + ", ".join(
        f"{k} {'caught by ' + TRANSFORM_CONTROLS[k] if k not in missed else 'SURVIVED'}"
        for k in TRANSFORM_CONTROLS))
    return 0 if not report.survivors() and not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
