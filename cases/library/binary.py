"""Binary elementwise ops, each in five broadcasting forms.

With x of shape (3, n), y is (3, n) (same shape), (n,) (a row, broadcast down), (3, 1) (a
column, broadcast across), (1, n) against an x of (3, 1) (both broadcast: an outer product
shape), or () (a 0-d array). A broadcast input's gradient must be summed back to its shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Shape
from cases.library._helpers import BROADCAST, rows

__all__ = ["CASES"]

# op -> (x domain, y domain): where the op is smooth in both arguments
BINARY = {
    "add": (D.REAL, D.REAL),
    "subtract": (D.REAL, D.REAL),
    "multiply": (D.REAL, D.REAL),
    "divide": (D.REAL, D.AWAY_FROM_ZERO),
    "power": (D.POSITIVE, D.REAL),
    # x and y from interleaved lattices never tie, wherever they meet after broadcasting
    "maximum": (D.LATTICE_LOW, D.LATTICE_HIGH),
    "minimum": (D.LATTICE_LOW, D.LATTICE_HIGH),
    # arctan2(y, x) jumps across the negative x axis: keep its first argument off zero
    "arctan2": (D.AWAY_FROM_ZERO, D.REAL),
    "hypot": (D.AWAY_FROM_ZERO, D.REAL),
    "logaddexp": (D.REAL, D.REAL),
}

# suffix -> (x shape, y shape) at size n; the output is always (3, n)
FORMS: dict[str, tuple[Callable[[int], Shape], Callable[[int], Shape]]] = {
    "": (rows, rows),
    "-row": (rows, lambda n: (n,)),
    "-column": (rows, lambda n: (3, 1)),
    "-outer": (lambda n: (3, 1), lambda n: (1, n)),
    "-scalar": (rows, lambda n: ()),
}


def _binary(op: str) -> Callable[..., Any]:
    def fn(xp: Any, x: Any, y: Any) -> Any:
        return getattr(xp, op)(x, y)

    fn.__name__ = op
    return fn


def _case(op: str, suffix: str) -> Case:
    x_domain, y_domain = BINARY[op]
    x_shape, y_shape = FORMS[suffix]
    return Case(
        f"{op}{suffix}",
        _binary(op),
        args=(Arg("x", x_domain, x_shape), Arg("y", y_domain, y_shape)),
        output_shape=rows,
        sizes=BROADCAST,
        tags={"binary"} | ({"broadcasting"} if suffix else set()),
    )


CASES = [_case(op, suffix) for op in BINARY for suffix in FORMS]
