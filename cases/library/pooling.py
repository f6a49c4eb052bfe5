"""Max and average pooling (``xp.nn.max_pool``, ``xp.nn.avg_pool``), channels first as
PyTorch's: x ``(N, C, L)`` or ``(N, C, H, W)``, stride defaulting to the window, padding at most
half the window (-inf for the maximum, counted zeros for the mean).

Random points (max pooling on pairwise distinct inputs: no ties), boundary points (a single
entry, a stride past the window so some inputs are never read, counted padding) and ties
inside a window, which are kinks: the subdifferential is every split of the window's cotangent
among its tied entries. refengine splits it evenly (``max``'s rule); torch, JAX and TensorFlow
give all of it to the first tied entry in the window (see the divergence table).
"""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Kink, Sizes

__all__ = ["CASES"]

ONE_D = Sizes(check=9, sweep=(64, 1_024, 16_384))
TWO_D = Sizes(check=6, sweep=(16, 64, 256))
FIXED = Sizes(check=1, sweep=())  # the shape (and the tie) is the point


def _out(n: int, k: int, s: int, p: int = 0) -> int:
    return (n + 2 * p - k) // s + 1


def _pool(name: str, op: str, x: Any, out: Any, args: tuple[Any, ...], params: dict[str, Any],
          sizes: Sizes, note: str, domain: D.Domain = D.REAL,
          kinks: tuple[Kink, ...] = ()) -> Case:
    def fn(xp: Any, x: Any) -> Any:
        return getattr(xp.nn, op)(x, *args, **params)

    fn.__name__ = name
    tags = {"pool"} | ({"kink"} if kinks else set())
    # Boundary cases without ties check index arithmetic, which float32 does not change:
    # float64 only, to keep the default run's cost down.
    dtypes = ("float64",) if sizes is FIXED and not kinks else ("float64", "float32")
    return Case(name, fn, args=(Arg("x", domain, x),), output_shape=out, sizes=sizes, tags=tags,
                kinks=kinks, dtypes=dtypes, note=note)


def _ties(points: dict[tuple[int, ...], float], note: str) -> tuple[D.Domain, tuple[Kink, ...]]:
    """Pairwise distinct entries in [-2, 2] but for ``points``, tied above all of them."""
    kinks = tuple(Kink("x", index, value, "pool-tie", note) for index, value in points.items())
    return D.with_points(D.DISTINCT, points), kinks


TIE_PAIR, TIE_PAIR_KINKS = _ties({(0, 0, 2): 3.0, (0, 0, 3): 3.0},
                                 "window 1 holds two equal maxima")
TIE_OVERLAP, TIE_OVERLAP_KINKS = _ties({(0, 0, 2): 3.0, (0, 0, 3): 3.0},
                                       "the tied pair lies in two overlapping windows")
TIE_2D, TIE_2D_KINKS = _ties({(0, 0, 0, 0): 3.0, (0, 0, 0, 1): 3.0, (0, 0, 1, 0): 3.0},
                             "three equal maxima in the first 2x2 window")

CASES = [
    _pool("max-pool1d", "max_pool", lambda n: (2, 3, n), lambda n: (2, 3, _out(n, 3, 2, 1)),
          (3,), {"stride": 2, "padding": 1}, ONE_D, "window 3, stride 2, padding 1 (-inf)",
          D.DISTINCT),
    _pool("max-pool2d", "max_pool", lambda n: (1, 2, n, n),
          lambda n: (1, 2, _out(n, 2, 2), _out(n, 3, 1)), ((2, 3),), {"stride": (2, 1)}, TWO_D,
          "window 2x3, stride (2, 1): windows overlap along the last axis", D.DISTINCT),
    _pool("avg-pool1d", "avg_pool", lambda n: (2, 3, n), lambda n: (2, 3, _out(n, 3, 2, 1)),
          (3,), {"stride": 2, "padding": 1}, ONE_D, "window 3, stride 2, padding 1 counted"),
    _pool("avg-pool2d", "avg_pool", lambda n: (1, 2, n, n),
          lambda n: (1, 2, _out(n, 2, 2, 1), _out(n, 2, 2, 1)), (2,), {"padding": 1}, TWO_D,
          "window 2x2 (stride 2), padding 1 counted in the mean"),
    # --- boundary points ---------------------------------------------------------------------
    _pool("max-pool-single-element", "max_pool", (1, 1, 1), (1, 1, 1), (1,), {}, FIXED,
          "one entry, window 1: the identity"),
    _pool("max-pool-stride-past-window", "max_pool", (1, 2, 8), (1, 2, 3), (2,), {"stride": 3},
          FIXED, "stride 3 > window 2: inputs 2 and 5 are never read", D.DISTINCT),
    _pool("avg-pool-stride-past-window", "avg_pool", (1, 2, 8), (1, 2, 3), (2,), {"stride": 3},
          FIXED, "stride 3 > window 2: inputs 2 and 5 are never read"),
    # --- ties inside a window: kinks -----------------------------------------------------------
    _pool("max-pool-tie", "max_pool", (1, 1, 6), (1, 1, 3), (2,), {}, FIXED,
          "windows (0, 1), (2, 3), (4, 5); entries 2 and 3 tie", TIE_PAIR, TIE_PAIR_KINKS),
    _pool("max-pool-tie-overlapping", "max_pool", (1, 1, 6), (1, 1, 4), (3,), {"stride": 1},
          FIXED, "window 3, stride 1: entries 2 and 3 tie in windows 1 and 2 (and 0 and 3 see "
          "one of them)", TIE_OVERLAP, TIE_OVERLAP_KINKS),
    _pool("max-pool2d-tie", "max_pool", (1, 1, 4, 4), (1, 1, 2, 2), (2,), {}, FIXED,
          "three of the first window's four entries tie", TIE_2D, TIE_2D_KINKS),
]
