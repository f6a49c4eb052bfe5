"""Evaluating ``f`` for the oracle: float64 inputs in, one flat output vector out.

The oracle works on one flat vector ``x`` (all arguments concatenated) and one flat output
vector; ``Flattener`` maps between that and ``f``'s own arguments, ``FlatFunction`` wraps ``f``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refengine.numeric.result import OracleError

__all__ = ["FlatFunction", "Flattener", "as_float64_args", "flatten_output"]

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def as_float64_args(args: Sequence[Any], what: str = "argument") -> tuple[np.ndarray, ...]:
    """Check that every argument is a finite real float array and return float64 copies.

    float16/float32 values convert to float64 exactly, so the oracle differentiates at the very
    same point as a low-precision AD computation.
    """
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple of arrays (one per argument), got {type(args)}")
    out = []
    for i, a in enumerate(args):
        arr = np.asarray(a)
        if arr.dtype not in _FLOAT_DTYPES:
            raise TypeError(
                f"{what} {i} has dtype {arr.dtype}; finite differences need real float inputs "
                "(float16, float32 or float64). Pass non-differentiable data by closing over it."
            )
        arr = arr.astype(np.float64)
        bad = ~np.isfinite(arr)
        if bad.any():
            where = tuple(int(k) for k in np.argwhere(bad)[0])
            raise OracleError(f"{what} {i} is not finite at index {where}: {arr[where]}")
        out.append(arr)
    return tuple(out)


class Flattener:
    """Maps a tuple of arrays to one flat vector and back; names flat indices."""

    def __init__(self, arrays: Sequence[np.ndarray]) -> None:
        self.shapes = tuple(np.shape(a) for a in arrays)
        self.sizes = tuple(int(np.prod(s, dtype=np.int64)) for s in self.shapes)
        self.offsets = tuple(int(o) for o in np.cumsum((0, *self.sizes)))
        self.size = self.offsets[-1]

    def flatten(self, arrays: Sequence[Any], dtype: Any = np.float64) -> np.ndarray:
        parts = [np.asarray(a, dtype=dtype).ravel() for a in arrays]
        if [p.size for p in parts] != list(self.sizes):
            raise ValueError(f"expected arrays of shapes {self.shapes}")
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    def unflatten(self, flat: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(
            flat[lo:hi].reshape(shape)
            for lo, hi, shape in zip(self.offsets[:-1], self.offsets[1:], self.shapes)
        )

    def locate(self, j: int) -> tuple[int, tuple[int, ...]]:
        """Flat index -> (argument number, index inside that argument)."""
        arg = int(np.searchsorted(self.offsets, j, side="right") - 1)
        inner = np.unravel_index(j - self.offsets[arg], self.shapes[arg])
        return arg, tuple(int(k) for k in inner)


def flatten_output(out: Any) -> np.ndarray:
    """An output of any shape, or a tuple/list/dict of them, as one flat vector.

    Dict entries come in the order of their keys' repr (the order refengine.tree uses).
    """
    if isinstance(out, dict):
        out = [out[k] for k in sorted(out, key=repr)]
    if isinstance(out, (tuple, list)):
        parts = [flatten_output(o) for o in out]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.asarray(out).ravel()


class FlatFunction:
    """``f`` as a function of one flat vector, returning one flat vector; counts evaluations.

    ``__call__`` evaluates on real float64 input and returns float64. ``complex`` evaluates on
    complex input and returns the raw complex output, or None when ``f`` refuses it (raises,
    returns a real result or a different size). Exceptions at perturbed points become NaN (a
    large step may leave the domain, e.g. a Cholesky factorization of a matrix that is no longer
    positive definite); at the point itself they propagate.
    """

    def __init__(self, f: Callable[..., Any], flattener: Flattener) -> None:
        self.f = f
        self.flattener = flattener
        self.count = 0
        self.out_size: int | None = None

    def _call(self, x: np.ndarray) -> np.ndarray:
        self.count += 1
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return flatten_output(self.f(*self.flattener.unflatten(x)))

    def at_point(self, x: np.ndarray) -> np.ndarray:
        """Evaluate at the point itself; errors propagate, the output size is recorded."""
        y = self._call(x)
        if y.dtype.kind not in "fiub":
            raise OracleError(
                f"f returned dtype {y.dtype} for real float64 input; the oracle differentiates "
                "real-valued functions"
            )
        self.out_size = y.size
        return y.astype(np.float64)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        try:
            y = self._call(x)
        except Exception:
            return np.full(self._size(), np.nan)
        if y.size != self._size() or y.dtype.kind not in "fiub":
            return np.full(self._size(), np.nan)
        return y.astype(np.float64)

    def complex(self, z: np.ndarray) -> np.ndarray | None:
        try:
            y = self._call(z)
        except Exception:
            return None
        if y.dtype.kind != "c" or y.size != self._size():
            return None
        return y

    def _size(self) -> int:
        if self.out_size is None:
            raise RuntimeError("evaluate f at the point (at_point) before perturbing it")
        return self.out_size
