"""The array interface of traced values: operators, indexing, attributes, common methods.

Operators call primitives directly (they are the hot path); methods with NumPy's argument
conventions go through ``refengine.numpy``. Every way out of the trace keeps the derivative or
raises: copies are the value itself (traced values are immutable), casts to integer or boolean
dtypes have a zero derivative (as ``floor``), and what would turn a traced value into a plain
number (``np.asarray``, ``float()``, ``.item()``, ``.tolist()``, pickling) raises instead of
silently dropping its derivative (``tests/test_trace_exits.py`` walks them all).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.primitive import Tracer, dtype_of

__all__ = ["ArrayOps", "normalize_index"]


def _rnp():
    # Imported on use: refengine.numpy builds on the modules that import this one.
    import refengine.numpy as rnp

    return rnp


def normalize_index(index: Any) -> Any:
    """Make an index static data: lists become arrays; traced values are refused."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for part in parts:
        if isinstance(part, Tracer):
            raise TypeError(
                "an index may not be a traced (differentiated) value: indices are integer or "
                "boolean data. Compute the index from untraced values, or use rnp.where for a "
                "differentiable selection."
            )
        if isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray) and part.dtype.kind not in "iub":
            raise TypeError(f"array indices must be integers or booleans, got {part.dtype}")
        out.append(part)
    return tuple(out) if isinstance(index, tuple) else out[0]


def _new_axes_shape(shape: tuple[int, ...], index: Any) -> tuple[int, ...] | None:
    """The result's shape if ``index`` only inserts axes (None, with full slices and at most
    one Ellipsis), else None."""
    parts = index if type(index) is tuple else (index,)
    n_slices, n_new, ellipsis = 0, 0, False
    for part in parts:  # (identity tests only: an index may hold arrays)
        if part is None:
            n_new += 1
        elif part is Ellipsis and not ellipsis:
            ellipsis = True
        elif (
            type(part) is slice and part.start is None and part.stop is None
            and part.step is None
        ):
            n_slices += 1
        else:
            return None
    if not n_new:
        return None
    if n_slices > len(shape):
        return None  # let NumPy raise its IndexError
    out: list[int] = []
    dims = iter(shape)
    for part in parts:
        if part is None:
            out.append(1)
        elif part is Ellipsis:
            out.extend(next(dims) for _ in range(len(shape) - n_slices))
        else:
            out.append(next(dims))
    out.extend(dims)
    return tuple(out)


def _no_conversion(what: str, instead: str = "Keep computing with refengine.numpy functions"):
    def refuse(self, *args, **kwargs):
        raise TypeError(
            f"{what} would drop its derivative (it gives a plain number or array). {instead}; "
            "if you really want the value without its derivative, take rf.stop_gradient(x) "
            "first and convert that."
        )

    return refuse


def _ufunc_home(ufunc: Any) -> tuple[str, Any]:
    """Where a ufunc comes from (NumPy or scipy.special; ufuncs do not say) and refengine's
    namespace of the same name (``refengine.numpy`` or ``refengine.numpy.special``)."""
    name = ufunc.__name__
    if getattr(np, name, None) is ufunc:
        return "numpy", _rnp()
    special = sys.modules.get("scipy.special")
    if special is not None and getattr(special, name, None) is ufunc:
        return "scipy.special", _rnp().special
    return getattr(ufunc, "__module__", None) or "ufunc", None


class ArrayOps:
    """Mixin giving tracers the NumPy array interface."""

    __slots__ = ()

    # --- attributes ---
    @property
    def shape(self) -> tuple[int, ...]:
        v = self._value
        try:
            return v.shape  # arrays, NumPy scalars and tracers
        except AttributeError:
            return np.shape(v)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.size(self._value))

    @property
    def dtype(self) -> np.dtype:
        return dtype_of(self._value)

    @property
    def real(self) -> Any:
        return _rnp().real(self)

    @property
    def imag(self) -> Any:
        return _rnp().imag(self)

    def conj(self) -> Any:
        return _rnp().conj(self)

    conjugate = conj

    @property
    def T(self) -> Any:  # noqa: N802 - NumPy's name
        return P.transpose(self, axes=tuple(range(self.ndim))[::-1])

    @property
    def mT(self) -> Any:  # noqa: N802 - NumPy's name
        return _rnp().swapaxes(self, -1, -2)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._value!r})"

    def __format__(self, spec: str) -> str:
        # Text for reading (print(f"{loss:.4f}") while debugging): no number leaves the trace.
        return format(self._value, spec) if spec else str(self)

    def __bool__(self) -> bool:
        # Truth is piecewise constant: branching on it loses no derivative.
        return bool(self._value)

    # Traced values are immutable, so a copy is the value itself, still traced: copying a dict
    # of parameters (copy.deepcopy) keeps their derivatives.
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce_ex__(self, protocol):
        return self.__reduce__()

    def __reduce__(self):
        raise TypeError(
            "pickling a traced value would drop its derivative: a pickled value cannot carry "
            "the transformation that traces it. Pickle the result of rf.grad/rf.vjp, or "
            "rf.stop_gradient(x) if you want the value without its derivative."
        )

    __array__ = _no_conversion(
        "np.asarray()/np.array() of a traced value (or of a list holding one)",
        "Build arrays of traced values with rnp.asarray, rnp.array or rnp.stack",
    )
    __float__ = _no_conversion("float() of a traced value (also math functions, '%f' % x)")
    __int__ = _no_conversion("int() of a traced value")
    __complex__ = _no_conversion("complex() of a traced value")
    __index__ = _no_conversion(
        "using a traced value as an index, a count or a size",
        "Index with untraced integers; for a differentiable selection use rnp.where",
    )
    tolist = _no_conversion("x.tolist() of a traced value")
    item = _no_conversion("x.item() of a traced value")

    def __round__(self, ndigits=None):
        # round(x) as NumPy arrays do: rnp.round, piecewise constant (a zero derivative).
        return _rnp().round(self, 0 if ndigits is None else ndigits)

    def __setitem__(self, index, value):
        raise TypeError(
            "in-place assignment into a traced array is not supported (the overwritten "
            "entries' derivatives would be lost silently). Build the result instead: "
            "rnp.where(mask, new, x), rnp.concatenate, or indexing."
        )

    # --- arithmetic ---
    def __add__(self, other):
        return P.add(self, other)

    def __radd__(self, other):
        return P.add(other, self)

    def __sub__(self, other):
        return P.subtract(self, other)

    def __rsub__(self, other):
        return P.subtract(other, self)

    def __mul__(self, other):
        return P.multiply(self, other)

    def __rmul__(self, other):
        return P.multiply(other, self)

    def __truediv__(self, other):
        return P.divide(self, other)

    def __rtruediv__(self, other):
        return P.divide(other, self)

    def __pow__(self, other):
        return P.power(self, other)

    def __rpow__(self, other):
        return P.power(other, self)

    def __mod__(self, other):
        return _rnp().remainder(self, other)

    def __rmod__(self, other):
        return _rnp().remainder(other, self)

    def __matmul__(self, other):
        return P.matmul(self, other)

    def __rmatmul__(self, other):
        return P.matmul(other, self)

    def __neg__(self):
        return P.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return P.abs(self)

    # --- comparisons: untraced boolean arrays ---
    def __lt__(self, other):
        return P.less(self, other)

    def __le__(self, other):
        return P.less_equal(self, other)

    def __gt__(self, other):
        return P.greater(self, other)

    def __ge__(self, other):
        return P.greater_equal(self, other)

    def __eq__(self, other):  # type: ignore[override]
        return P.equal(self, other)

    def __ne__(self, other):  # type: ignore[override]
        return P.not_equal(self, other)

    __hash__ = None  # type: ignore[assignment] - elementwise == makes tracers unhashable

    # --- indexing ---
    def __getitem__(self, index):
        shape = _new_axes_shape(self.shape, index)
        if shape is not None:  # x[:, None] and the like only insert axes: a reshape
            return P.reshape(self, shape=shape)
        return P.getitem(self, index=normalize_index(index))

    # --- NumPy protocols: np.sin(tracer), np.sum(tracer) route to refengine.numpy ---
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        home, namespace = _ufunc_home(ufunc)
        fn = getattr(namespace, name, None) if namespace is not None else None
        if method == "__call__" and not kwargs and fn is not None:
            return fn(*inputs)
        ours = "refengine.numpy.special" if home == "scipy.special" else "refengine.numpy"
        instead = (
            f"use {ours}.{name} without out=/where= arguments" if fn is not None
            else f"refengine has no {name}: see {ours} for the functions it differentiates"
        )
        raise TypeError(
            f"{home}.{name} (method {method!r}"
            f"{', with ' + str(sorted(kwargs)) if kwargs else ''}) is not supported on traced "
            f"values; {instead}."
        )

    def __array_function__(self, func, types, args, kwargs):
        module = func.__module__.replace("numpy.", "").replace("numpy", "")
        target: Any = _rnp()
        for part in [p for p in module.split(".") if p and p not in ("_core", "core")]:
            target = getattr(target, part, None)
        fn = getattr(target, func.__name__, None) if target is not None else None
        if fn is None:
            raise TypeError(
                f"numpy.{func.__name__} is not supported on traced values by refengine; it "
                "would return an untraced result and lose the derivative. See "
                "refengine.numpy for the supported functions."
            )
        return fn(*args, **kwargs)

    # --- methods with NumPy's signatures ---
    def sum(self, axis=None, keepdims=False):
        return _rnp().sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _rnp().mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return _rnp().prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _rnp().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _rnp().min(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False):
        return _rnp().var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        return _rnp().std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis=None):
        return _rnp().cumsum(self, axis=axis)

    def cumprod(self, axis=None):
        return _rnp().cumprod(self, axis=axis)

    def argmax(self, axis=None, keepdims=False):
        return _rnp().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _rnp().argmin(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _rnp().reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _rnp().transpose(self, axes or None)

    def swapaxes(self, axis1, axis2):
        return _rnp().swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return _rnp().squeeze(self, axis=axis)

    def ravel(self):
        return _rnp().ravel(self)

    def flatten(self):
        return _rnp().ravel(self)

    def dot(self, other):
        return _rnp().dot(self, other)

    def clip(self, min=None, max=None):  # noqa: A002 - NumPy's names
        return _rnp().clip(self, min, max)

    def round(self, decimals=0):
        return _rnp().round(self, decimals)

    def trace(self, offset=0, axis1=0, axis2=1):
        return _rnp().trace(self, offset, axis1, axis2)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _rnp().diagonal(self, offset, axis1, axis2)

    def astype(self, dtype):
        return _rnp().astype(self, dtype)

    def copy(self):
        return self
