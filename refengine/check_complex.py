"""Complex arguments and outputs for the checker: the same problem over the reals.

A complex argument ``z`` of shape S is handed to the checker as the real array ``x`` of shape
S + (2,), ``x[..., 0] = Re z`` and ``x[..., 1] = Im z``; a complex output ``w`` comes back as
``stack([Re w, Im w], -1)``. The checker then perturbs the real and the imaginary part of each
entry as two real directions, and its finite differences, dot-product tests and second-order
checks are the real ones, unchanged.

The conversions are written in the AD system's own operations (``ComplexView``), so they are
differentiated with the function: a JVP along ``(a, b)`` enters ``f`` as the complex tangent
``a + i b``, and a VJP of ``(u, v)`` enters as the cotangent ``u - i v`` and leaves as the real
pair ``(Re c, -Im c)`` of what ``f`` returns. That is exactly the pairing of autograd's (and
JAX's) convention, ``Re(sum(c * dz))``: a rule that breaks the convention (a missing conjugate)
gives a wrong real derivative, which the checker catches like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from refengine.tree import tree_map

__all__ = ["ComplexView", "NUMPY_VIEW", "REFENGINE_VIEW", "as_pairs", "as_real_problem",
           "complex_positions", "over_reals"]


@dataclass(frozen=True)
class ComplexView:
    """How an AD system writes complex values as real ones, in its own operations.

    ``combine(x)``: the complex value ``x[..., 0] + 1j * x[..., 1]`` of a real ``(..., 2)``
    array; ``split(w)``: the real ``(..., 2)`` array of a complex value; ``dtype_of(w)``: its
    NumPy dtype.
    """

    combine: Callable[[Any], Any]
    split: Callable[[Any], Any]
    dtype_of: Callable[[Any], np.dtype]


def _rnp_split(w: Any) -> Any:
    import refengine.numpy as rnp

    return rnp.stack([rnp.real(w), rnp.imag(w)], axis=-1)


NUMPY_VIEW = ComplexView(
    combine=lambda x: x[..., 0] + 1j * x[..., 1],
    split=lambda w: np.stack([np.real(w), np.imag(w)], axis=-1),
    dtype_of=lambda w: np.asarray(w).dtype,
)
# refengine's traced values index, multiply and add like NumPy's arrays.
REFENGINE_VIEW = ComplexView(
    combine=lambda x: x[..., 0] + 1j * x[..., 1],
    split=_rnp_split,
    dtype_of=lambda w: np.dtype(w.dtype) if hasattr(w, "dtype") else np.asarray(w).dtype,
)


def complex_positions(args: Any) -> tuple[int, ...]:
    """The positions of the complex arguments in ``args``."""
    return tuple(i for i, a in enumerate(args) if np.iscomplexobj(np.asarray(a)))


def as_pairs(z: np.ndarray) -> np.ndarray:
    """A complex array as its real pairs, in the matching real dtype."""
    real_dtype = np.finfo(z.dtype).dtype  # complex64 -> float32, complex128 -> float64
    return np.stack([z.real, z.imag], axis=-1).astype(real_dtype)


def as_real_problem(
    f: Callable[..., Any],
    args: Any,
    f_numpy: Callable[..., Any] | None,
    view: ComplexView,
) -> tuple[Callable[..., Any], tuple[Any, ...], Callable[..., Any] | None, str]:
    """``f`` and its arguments as a real problem (see the module docstring), with the NumPy
    version for the oracle, if any, and a note saying how to read entry indices."""
    where = complex_positions(args)
    real_args = tuple(as_pairs(np.asarray(a)) if i in where else a for i, a in enumerate(args))
    what = (f"complex argument{'s' * (len(where) > 1)} {', '.join(map(str, where))}" if where
            else "complex outputs")
    note = (
        f"{what} checked as real pairs: the last index of an entry is 0 for the real part, 1 "
        "for the imaginary part (complex outputs likewise)"
    )
    real_numpy = None if f_numpy is None else over_reals(f_numpy, where, NUMPY_VIEW)
    return over_reals(f, where, view), real_args, real_numpy, note


def over_reals(
    fn: Callable[..., Any], where: tuple[int, ...], v: ComplexView
) -> Callable[..., Any]:
    """``fn`` over real pairs: the arguments at ``where`` arrive as real ``(..., 2)`` arrays
    and are combined into complex ones; complex outputs leave as real pairs."""
    def f_real(*xs: Any) -> Any:
        for x in xs:
            if v.dtype_of(x).kind == "c":
                # The oracle's complex step would perturb the pairs off the real line, where
                # this is not f: refuse, so that it uses real finite differences.
                raise TypeError("a complex function checked over the reals takes real pairs")
        zs = [v.combine(x) if i in where else x for i, x in enumerate(xs)]
        out = fn(*zs)
        return tree_map(lambda w: v.split(w) if v.dtype_of(w).kind == "c" else w, out)

    f_real.__name__ = getattr(fn, "__name__", "f")
    return f_real
