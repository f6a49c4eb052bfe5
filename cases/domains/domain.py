"""What a domain is: a sampler paired with a membership test; and the pieces the domains in
``entries`` and ``matrices`` are built from: membership tests that name the first offending
entry, and ``spread`` for distinct values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Domain",
    "Draw",
    "Shape",
    "Test",
    "dtype_eps",
    "entrywise_test",
    "first_bad",
    "not_finite",
    "not_floats",
    "spread",
]

Shape = tuple[int, ...]
Draw = Callable[[np.random.Generator, Shape], np.ndarray]
Test = Callable[[np.ndarray], "str | None"]


@dataclass(frozen=True)
class Domain:
    """A set of admissible inputs: ``sample`` draws from it, ``violation`` tests membership."""

    name: str
    description: str
    draw: Draw
    test: Test

    def sample(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        out = np.asarray(self.draw(rng, tuple(shape)))
        if out.shape != tuple(shape):
            raise ValueError(f"domain {self.name!r} drew shape {out.shape}, asked for {shape}")
        return out

    def violation(self, x: np.ndarray) -> str | None:
        """None when ``x`` lies in the domain, else what is wrong (for error messages)."""
        return self.test(np.asarray(x))

    def contains(self, x: np.ndarray) -> bool:
        return self.violation(x) is None

    def __repr__(self) -> str:
        return f"Domain({self.name!r})"


# --- helpers -----------------------------------------------------------------------------------
def dtype_eps(x: np.ndarray) -> float:
    return float(np.finfo(x.dtype).eps) if x.dtype.kind == "f" else 0.0


def first_bad(x: np.ndarray, bad: np.ndarray, what: str) -> str | None:
    """Name the first offending entry: 'x[1, 2] = -0.3 is not positive'."""
    if not np.any(bad):
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"entry {list(where)} = {x[where]!r} {what}"


def not_floats(x: np.ndarray) -> str | None:
    if x.dtype.kind != "f":
        return f"dtype {x.dtype} is not floating point"
    return None


def not_finite(x: np.ndarray) -> str | None:
    return not_floats(x) or first_bad(x, ~np.isfinite(x), "is not finite")


def entrywise_test(pred: Callable[[np.ndarray], np.ndarray], what: str) -> Test:
    def test(x: np.ndarray) -> str | None:
        return not_finite(x) or first_bad(x, ~pred(x), what)

    return test


def spread(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """n values in [lo, hi], one per cell of an even grid, in random order: distinct, with a
    gap of at least half a cell between any two."""
    cell = (hi - lo) / max(n, 1)
    return lo + (rng.permutation(n) + rng.uniform(0.25, 0.75, size=n)) * cell
