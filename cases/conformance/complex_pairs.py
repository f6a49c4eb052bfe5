"""A complex case as a real one: what every check of a complex dtype runs on.

A case that opts in to complex64/complex128 takes complex inputs. The checks run on its real
pair view (``refengine.check_complex``): each complex input of shape S is handed over as the
real array of shape S + (2,) (real part, imaginary part), the function combines it into a
complex value in the framework's own operations (``xp.add``, ``xp.multiply`` by ``1j``),
calls the case, and a complex output leaves as ``xp.stack([xp.real(w), xp.imag(w)], -1)``.
So the framework differentiates through its own complex arithmetic, and what the checks
compare is a real function of real inputs: the oracle perturbs the real and the imaginary
part of each entry as two real directions, and every check (value, VJP, JVP, adjoint, HVP,
the nestings, float32 against float64, determinism, finite, kink) is the real one,
unchanged. That derivative does not depend on a framework's complex-gradient convention;
the convention itself is measured separately (``complex_convention``).

complex128 runs as float64 pairs, complex64 as float32 pairs (the complex64 point is the
complex128 point rounded, as float32 is float64's). A kink declared at entry ``i`` of a
complex input is at both parts of it, ``i + (0,)`` and ``i + (1,)``.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import numpy as np

from cases.case import Arg, Case, Kink, Size, Tolerance, _shape
from refengine.check_complex import ComplexView, as_pairs, over_reals

__all__ = ["REAL_DTYPE", "is_complex", "numpy_dtype", "real_pair_case", "xp_view"]

REAL_DTYPE = {"complex128": "float64", "complex64": "float32"}
_views: dict[int, tuple[Any, ComplexView]] = {}
_cases: dict[int, tuple[Case, Case]] = {}


def is_complex(dtype: str) -> bool:
    return dtype in REAL_DTYPE


def numpy_dtype(value: Any) -> np.dtype:
    """The NumPy dtype of an array of any framework (TensorFlow's and torch's dtypes are not
    NumPy's)."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return np.asarray(value).dtype
    if hasattr(dtype, "as_numpy_dtype"):  # TensorFlow
        return np.dtype(dtype.as_numpy_dtype)
    try:
        return np.dtype(dtype)
    except TypeError:  # torch.complex128
        return np.dtype(str(dtype).rsplit(".", 1)[-1])


def xp_view(xp: Any) -> ComplexView:
    """The real pair view written in ``xp``'s vocabulary (one per namespace)."""
    key = id(xp)
    if key not in _views or _views[key][0] is not xp:
        view = ComplexView(
            combine=lambda x: xp.add(x[..., 0], xp.multiply(x[..., 1], 1j)),
            split=lambda w: xp.stack([xp.real(w), xp.imag(w)], axis=-1),
            dtype_of=numpy_dtype,
        )
        _views[key] = (xp, view)
    return _views[key][1]


def real_pair_case(case: Case, dtype: str) -> tuple[Case, str]:
    """``(the real pair view of case, its real dtype)`` for a complex ``dtype``; the case and
    dtype unchanged otherwise. One view object per case (adapters cache compiled functions by
    function object)."""
    if not is_complex(dtype):
        return case, dtype
    key = id(case)
    if key not in _cases or _cases[key][0] is not case:
        _cases[key] = (case, _build(case))
    return _cases[key][1], REAL_DTYPE[dtype]


def _build(case: Case) -> Case:
    probe = case.sample(np.random.default_rng(0), dtype="complex128")
    where = tuple(i for i, x in enumerate(probe) if np.iscomplexobj(x))
    complex_out = np.iscomplexobj(case.fn(np, *probe))

    def fn(xp: Any, *inputs: Any) -> Any:
        return over_reals(functools.partial(case.fn, xp), where, xp_view(xp))(*inputs)

    fn.__name__ = f"{getattr(case.fn, '__name__', case.name)}_over_real_pairs"

    def sampler(rng: np.random.Generator, size: Size) -> tuple[np.ndarray, ...]:
        drawn = case.sample(rng, size, "complex128")
        return tuple(as_pairs(x) if i in where else x for i, x in enumerate(drawn))

    def pair_arg(i: int, arg: Arg) -> Arg:
        if i not in where:
            return arg
        return replace(arg, shape=lambda size, s=arg.shape: (*_shape(s, size), 2))

    out = case.output_shape
    return replace(
        case,
        fn=fn,
        args=tuple(pair_arg(i, a) for i, a in enumerate(case.args)),
        output_shape=(lambda size: (*_shape(out, size), 2)) if complex_out else out,
        sampler=sampler,
        dtypes=tuple(REAL_DTYPE[d] for d in case.dtypes if d in REAL_DTYPE),
        tolerances=tuple(_real_tolerance(t) for t in case.tolerances),
        kinks=tuple(k for kink in case.kinks for k in _pair_kinks(kink, case, where)),
    )


def _real_tolerance(t: Tolerance) -> Tolerance:
    return replace(t, dtype=REAL_DTYPE.get(t.dtype, t.dtype) if t.dtype else None)


def _pair_kinks(kink: Kink, case: Case, where: tuple[int, ...]) -> tuple[Kink, ...]:
    if case.arg_index(kink.variable) not in where or kink.index is None:
        return (kink,)
    value = None if kink.value is None else complex(kink.value)
    parts = (None, None) if value is None else (value.real, value.imag)
    return tuple(replace(kink, index=(*kink.index, part), value=parts[part]) for part in (0, 1))
