"""GradBench's ``evals/hello``: its ``square`` function, f(x) = x * x; its ``double`` function is
this case's gradient, 2x. GradBench uses it only to test a tool's protocol; here it is the
smallest model case."""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "square"]


def square(xp: Any, x: Any) -> Any:
    return x * x


CASES = [
    Case("hello", square, args=(Arg("x", D.REAL, ()),), sizes=Sizes(check=1, sweep=(1,)),
         tags={"model", "gradbench"},
         note="GradBench evals/hello: square(x) = x * x, and its gradient is GradBench's "
              "double(x) = 2x; a scalar in, a scalar out"),
]
