"""LogSumExp from primitives, as GradBench's ``evals/lse`` asks: a = max(x), then
a + log(sum(exp(x - a))), not a built-in logsumexp with a hand-written derivative (the
special.logsumexp cases test that one). The shift's two gradient contributions cancel."""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "GRADBENCH_SIZES", "lse_from_primitives"]

# GradBench evals/lse run.py's defaults: n from 2500, doubling, to 1,280,000.
GRADBENCH_SIZES: dict[str, int] = {f"n={2500 * 2**i}": 2500 * 2**i for i in range(10)}


def lse_from_primitives(xp: Any, x: Any) -> Any:
    a = xp.max(x)
    return a + xp.log(xp.sum(xp.exp(x - a)))


CASES = [
    Case(
        "lse",
        lse_from_primitives,
        args=(Arg("x", D.DISTINCT),),
        sizes=Sizes(check=10, sweep=(1_000, *GRADBENCH_SIZES.values()),
                    gradbench=tuple(GRADBENCH_SIZES.items())),
        tags={"model", "gradbench"},
        note="GradBench evals/lse; distinct entries keep the max off a tie (GradBench draws "
             "U(0, 1)); the sweep is 1000, then GradBench's default n from 2500 to 1,280,000",
    ),
]
