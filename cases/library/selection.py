"""Selection: where, clip, the comparisons (non-differentiable, used to choose), and
argmax/argmin (integer results, used to gather). Inputs stay away from every switch point so
finite differences never cross one; the switch points themselves are in kinks.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes
from cases.library._helpers import BROADCAST, rows

__all__ = ["CASES"]


def _choose(name: str, compare: str) -> Case:
    """where(compare(x, y), f(x, y), g(x, y)): both branches depend on both inputs."""

    def fn(xp: Any, x: Any, y: Any) -> Any:
        return xp.where(getattr(xp, compare)(x, y), xp.sin(x) * y, x - xp.cos(y))

    return Case(
        name,
        fn,
        args=(Arg("x", D.LATTICE_LOW, rows), Arg("y", D.LATTICE_HIGH, rows)),
        output_shape=rows,
        sizes=BROADCAST,
        tags={"selection", "comparison"},
    )


COMPARISON_CASES = [
    _choose(f"where-{op}", op) for op in ("greater", "greater_equal", "less", "less_equal")
]


def _where_equal_floor(xp: Any, x: Any, y: Any) -> Any:
    # equal/not_equal on floats only make sense on data with repeats: compare floors.
    same = xp.equal(xp.floor(x), xp.floor(y))
    differ = xp.not_equal(xp.floor(x), xp.floor(y))
    return xp.where(same, x * y, x + y) + xp.where(differ, xp.square(x), xp.zeros_like(y))


def _clip_arrays_sampler(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    # Shifting a lattice by whole numbers keeps it on the lattice: lo < hi everywhere, and x
    # (low lattice) lands below, inside and above [lo, hi] without touching either bound.
    x = rng.integers(-6, 6, size=(3, n)) + rng.uniform(0.05, 0.45, size=(3, n))
    lo = rng.integers(-4, -2, size=(3, n)) + rng.uniform(0.55, 0.95, size=(3, n))
    hi = rng.integers(1, 3, size=(n,)) + rng.uniform(0.55, 0.95, size=(n,))
    return x, lo, hi


def _gather_argmax(xp: Any, x: Any) -> Any:
    index = xp.expand_dims(xp.argmax(x, axis=1), 1)
    return xp.take_along_axis(x, index, axis=1)


def _gather_argmin(xp: Any, x: Any) -> Any:
    index = xp.expand_dims(xp.argmin(x, axis=0), 0)
    return xp.take_along_axis(x, index, axis=0)


OTHER_CASES = [
    Case(
        "where",
        lambda xp, c, x, y: xp.where(c, x, y),
        args=(Arg("c", D.booleans(), rows, diff=False), Arg("x", D.REAL, rows),
              Arg("y", D.REAL, rows)),
        output_shape=rows,
        sizes=BROADCAST,
        tags={"selection"},
        note="the condition is boolean data; each branch gets the cotangent where chosen",
    ),
    Case(
        "where-broadcast",
        lambda xp, c, x, y: xp.where(c, x, y),
        args=(Arg("c", D.booleans(), lambda n: (n,), diff=False),
              Arg("x", D.REAL, lambda n: (3, 1)), Arg("y", D.REAL, lambda n: ())),
        output_shape=rows,
        sizes=BROADCAST,
        tags={"selection", "broadcasting"},
    ),
    Case(
        "where-operator-compare",
        lambda xp, x: xp.where(x > 0.5, x * x, -x) + xp.where(x <= -0.5, xp.exp(x), x),
        args=(Arg("x", D.AWAY_FROM_HALF_INTEGERS, rows),),
        output_shape=rows,
        sizes=BROADCAST,
        tags={"selection", "comparison", "operator"},
        note="comparison operators against Python scalars instead of xp.greater",
    ),
    Case(
        "where-equal-floor",
        _where_equal_floor,
        args=(Arg("x", D.AWAY_FROM_INTEGERS, rows), Arg("y", D.AWAY_FROM_INTEGERS, rows)),
        output_shape=rows,
        sizes=BROADCAST,
        tags={"selection", "comparison"},
    ),
    Case(
        "clip",
        lambda xp, x: xp.clip(x, -1.5, 0.5),
        args=(Arg("x", D.AWAY_FROM_HALF_INTEGERS, rows),),
        output_shape=rows,
        sizes=BROADCAST,
        tags={"selection"},
        note="bounds at half-integers, inputs at least 0.1 from any half-integer",
    ),
    Case(
        "clip-array-bounds",
        lambda xp, x, lo, hi: xp.clip(x, lo, hi),
        args=(Arg("x", D.LATTICE_LOW, rows), Arg("lo", D.LATTICE_HIGH, rows),
              Arg("hi", D.LATTICE_HIGH, lambda n: (n,))),
        output_shape=rows,
        sampler=_clip_arrays_sampler,
        sizes=BROADCAST,
        tags={"selection", "broadcasting"},
        note="the bounds are differentiated too: clip(x, lo, hi) = minimum(maximum(x, lo), hi)",
    ),
    Case(
        "argmax-gather",
        _gather_argmax,
        args=(Arg("x", D.DISTINCT, rows),),
        output_shape=lambda n: (3, 1),
        sizes=BROADCAST,
        tags={"selection", "indexing"},
    ),
    Case(
        "argmin-gather",
        _gather_argmin,
        args=(Arg("x", D.DISTINCT, rows),),
        output_shape=lambda n: (1, n),
        sizes=BROADCAST,
        tags={"selection", "indexing"},
    ),
    Case(
        "argmax-flat-take",
        lambda xp, x: xp.take(x, xp.argmax(x)) * xp.sum(x),
        args=(Arg("x", D.DISTINCT, rows),),
        sizes=Sizes(check=4, sweep=(100, 10_000)),
        tags={"selection", "indexing"},
        note="argmax over the flattened array indexes take(x, i) (flat when axis is None)",
    ),
]

CASES = COMPARISON_CASES + OTHER_CASES
