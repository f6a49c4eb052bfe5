"""The vocabulary in MXNet's own ``mx.nd`` operators, with NumPy's names and semantics.

Imported by ``adapters.mxnet_adapter`` on first use only (it imports MXNet), in MXNet's own
environment (``adapters.environments``). MXNet runs with ``set_np_shape(True)``, so 0-d
arrays exist; reductions over every axis still return shape (1,) there and are reshaped to ().
Wrappers translate NumPy's arguments only (``axis=None``, ``keepdims``, Python numbers and
NumPy arrays beside an NDArray, ``where``'s broadcasting); each calls one ``mx.nd`` operator,
whose own backward is what gets tested. Names ``mx.nd`` has no operator for (exp2, arctan2,
hypot, logaddexp, cumprod, trace, roll, tril, triu, diagonal, take_along_axis,
outer, einsum, matmul, tensordot, digamma, solve, eigh, qr, svd, ...) are missing: the cases
that call them are unsupported on MXNet rather than tested on a composite. The one composite
is ``std`` (the square root of ``nd.moments``' variance).
"""

from __future__ import annotations

from typing import Any

import mxnet as mx
import numpy as np

from adapters.namespace import Table, by_name, table_from_names
from adapters.outcomes import Unsupported

__all__ = ["table"]

nd = mx.nd


def _nd(a: Any, like: Any = None) -> Any:
    """``a`` as an NDArray. A Python number or float NumPy array takes ``like``'s dtype (MXNet's
    broadcasting operators want equal dtypes); booleans become numbers (mx.nd has no bool)."""
    if isinstance(a, nd.NDArray):
        return a
    arr = np.asarray(a)
    # NDArray.dtype is a NumPy scalar type (np.float32), not a dtype.
    floating = isinstance(like, nd.NDArray) and np.dtype(like.dtype).kind == "f"
    if arr.dtype == np.bool_ or (floating and (arr.dtype.kind == "f"
                                               or isinstance(a, (int, float)))):
        arr = arr.astype(like.dtype if floating else np.float32)
    return nd.array(arr, dtype=arr.dtype)


def _binary(op: Any) -> Any:
    """``op`` (an ``mx.nd`` helper that broadcasts and takes Python numbers) on operands
    spelled as NumPy spells them."""

    def call(x: Any, y: Any) -> Any:
        if isinstance(x, (int, float)) and isinstance(y, nd.NDArray):
            return op(x, y)
        if isinstance(y, (int, float)) and isinstance(x, nd.NDArray):
            return op(x, y)
        return op(_nd(x, y), _nd(y, x))

    call.__name__ = getattr(op, "__name__", "binary")
    return call


def _whole(x: Any) -> Any:
    return x.reshape(())


def _reduction(op: Any) -> Any:
    def call(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        if axis is None:
            out = op(x, keepdims=keepdims)
            return out if keepdims else _whole(out)
        return op(x, axis=axis, keepdims=keepdims)

    call.__name__ = getattr(op, "__name__", "reduction")
    return call


def _arg(op: Any) -> Any:
    def call(x: Any, axis: int | None = None) -> Any:
        if axis is None:
            return _whole(op(x.reshape((-1,)), axis=0))
        return op(x, axis=axis)

    call.__name__ = getattr(op, "__name__", "arg")
    return call


# --- selection -------------------------------------------------------------------------------
def where(condition: Any, x: Any, y: Any) -> Any:
    # nd.where takes equal shapes only: broadcast NumPy's way first.
    x, y = _nd(x, y), _nd(y, x)
    c = _nd(condition, x)
    shape = np.broadcast_shapes(c.shape, x.shape, y.shape)
    return nd.where(c.broadcast_to(shape).astype(x.dtype), x.broadcast_to(shape),
                    y.broadcast_to(shape))


def clip(x: Any, a_min: Any = None, a_max: Any = None) -> Any:
    if all(isinstance(b, (int, float, type(None))) for b in (a_min, a_max)):
        return nd.clip(x, -np.inf if a_min is None else a_min,
                       np.inf if a_max is None else a_max)
    raise Unsupported("mx.nd.clip takes number bounds only (array bounds: none)")


# --- reductions ------------------------------------------------------------------------------
sum = _reduction(nd.sum)  # noqa: A001 - NumPy's name
mean = _reduction(nd.mean)
prod = _reduction(nd.prod)
max = _reduction(nd.max)  # noqa: A001
min = _reduction(nd.min)  # noqa: A001
argmax = _arg(nd.argmax)
argmin = _arg(nd.argmin)


def cumsum(x: Any, axis: int | None = None) -> Any:
    return nd.cumsum(x.reshape((-1,)) if axis is None else x, axis=0 if axis is None else axis)


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    if ddof != 0:
        raise Unsupported("mx.nd.moments computes the population variance only (ddof=0)")
    axes = tuple(range(x.ndim)) if axis is None else axis
    out = nd.moments(x, axes=axes if isinstance(axes, tuple) else (axes,),
                     keepdims=keepdims)[1]
    return _whole(out) if axis is None and not keepdims else out


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    return nd.sqrt(var(x, axis, ddof, keepdims))


# --- structure -------------------------------------------------------------------------------
def moveaxis(x: Any, source: int, destination: int) -> Any:
    return nd.moveaxis(x, source, destination)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    if not isinstance(indices_or_sections, int):
        raise Unsupported("mx.nd.split divides into equal sections only (no split points)")
    if x.shape[axis] % indices_or_sections:
        raise ValueError("array split does not result in an equal division")
    out = nd.split(x, num_outputs=indices_or_sections, axis=axis)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def sort(x: Any, axis: int = -1) -> Any:
    return nd.sort(x, axis=axis)


def diag(v: Any, k: int = 0) -> Any:
    return nd.diag(v, k=k)


def asarray(a: Any, dtype: Any = None) -> Any:
    if isinstance(a, nd.NDArray):
        return a if dtype is None else a.astype(np.dtype(dtype))
    arr = np.asarray(a, dtype=None if dtype is None else np.dtype(dtype))
    return nd.array(arr, dtype=arr.dtype)


def eye(n: int, dtype: Any = None) -> Any:
    return nd.eye(n, dtype=np.dtype(dtype or np.float64))  # NumPy's default: float64


def arange(n: int) -> Any:
    return nd.arange(n, dtype=np.int64)



def reshape(x: Any, shape: Any) -> Any:
    return x.reshape(tuple(shape) if isinstance(shape, (tuple, list)) else (shape,))


def transpose(x: Any, axes: Any = None) -> Any:
    return nd.transpose(x, axes=() if axes is None else tuple(axes))


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    return nd.swapaxes(x, dim1=axis1, dim2=axis2)


def expand_dims(x: Any, axis: int) -> Any:
    return nd.expand_dims(x, axis=axis)


def squeeze(x: Any, axis: Any = None) -> Any:
    return nd.squeeze(x, axis=axis)


def broadcast_to(x: Any, shape: Any) -> Any:
    shape = tuple(shape)  # NumPy prepends the missing axes; nd.broadcast_to wants them there
    return nd.broadcast_to(x.reshape((1,) * (len(shape) - x.ndim) + x.shape), shape=shape)


def concatenate(arrays: Any, axis: int = 0) -> Any:
    return nd.concat(*arrays, dim=axis)


def stack(arrays: Any, axis: int = 0) -> Any:
    return nd.stack(*arrays, axis=axis)


def tile(x: Any, reps: Any) -> Any:
    return nd.tile(x, reps=tuple(reps) if isinstance(reps, (tuple, list)) else (reps,))


def repeat(x: Any, repeats: int, axis: int | None = None) -> Any:
    if not isinstance(repeats, (int, np.integer)):
        raise Unsupported("mx.nd.repeat takes one repeat count (no per-entry counts)")
    return nd.repeat(x, repeats=int(repeats), axis=axis)


def flip(x: Any, axis: Any = None) -> Any:
    axes = tuple(range(x.ndim)) if axis is None else axis
    return nd.flip(x, axis=axes)


def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    # mode="wrap": NumPy's negative indices (out-of-range ones NumPy rejects never occur).
    return nd.take(x.reshape((-1,)) if axis is None else x, _nd(indices), mode="wrap",
                   axis=0 if axis is None else axis)


def dot(a: Any, b: Any) -> Any:
    out = nd.dot(a, b)
    return _whole(out) if a.ndim == 1 and b.ndim == 1 else out


# --- linalg, special, nn ---------------------------------------------------------------------
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    if ord not in (None, 2, "fro") or (ord == 2 and (axis is None and x.ndim != 1)):
        raise Unsupported(f"mx.nd.norm computes 2-norms of vectors and Frobenius norms only "
                          f"(ord={ord!r})")
    if axis is None:
        out = nd.norm(x, ord=2, keepdims=keepdims)
        return out if keepdims else _whole(out)
    return nd.norm(x, ord=2, axis=axis, keepdims=keepdims)


def slogdet(a: Any) -> tuple[Any, Any]:
    return tuple(nd.linalg.slogdet(a))


def cholesky(a: Any) -> Any:
    return nd.linalg.potrf(a)  # the lower factor, as NumPy's


def softmax(x: Any, axis: Any = None) -> Any:
    if axis is None:
        return nd.softmax(x.reshape((-1,)), axis=0).reshape(x.shape)
    return nd.softmax(x, axis=axis)


def log_softmax(x: Any, axis: Any = None) -> Any:
    if axis is None:
        return nd.log_softmax(x.reshape((-1,)), axis=0).reshape(x.shape)
    return nd.log_softmax(x, axis=axis)


def softplus(x: Any) -> Any:
    return nd.Activation(x, act_type="softrelu")


SAME_NAMES = """
negative abs sign exp expm1 log log2 log10 log1p sqrt cbrt square reciprocal sin cos tan
arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh floor ceil
"""


def table() -> Table:
    """``{qualified name: (function, native)}`` for the MXNet adapter."""
    binary = {name: _binary(getattr(nd, name)) for name in
              ("add", "subtract", "multiply", "divide", "power", "maximum", "minimum")}
    binary.update({"greater": _binary(nd.greater), "greater_equal": _binary(nd.greater_equal),
                   "less": _binary(nd.lesser), "less_equal": _binary(nd.lesser_equal),
                   "equal": _binary(nd.equal), "not_equal": _binary(nd.not_equal)})
    wrappers = by_name(where, clip, sum, mean, prod, max, min, var, argmax, argmin, cumsum,
                       reshape, transpose, swapaxes, moveaxis, expand_dims, squeeze,
                       broadcast_to, concatenate, stack, split, tile, repeat, flip, take, sort,
                       diag, dot, asarray, eye, arange)
    return {
        **table_from_names(nd, SAME_NAMES + " zeros_like ones_like", renames={"round": "rint"},
                           overrides={**binary, **wrappers}, composites=by_name(std)),
        **table_from_names(nd.linalg, "det", "linalg.", renames={"inv": "inverse"},
                           overrides=by_name(slogdet, cholesky, norm)),
        **table_from_names(nd, "erf gammaln", "special.", renames={"expit": "sigmoid"},
                           overrides=by_name(softmax, log_softmax)),
        **table_from_names(nd, "relu", "nn.", overrides=by_name(softplus)),
        **transforms(),
    }


def _custom_vjp(f: Any, fwd: Any, bwd: Any) -> Any:
    """``mx.autograd.Function``: MXNet's own custom-rule mechanism (forward computes, the
    residuals are kept on the instance, backward applies the rule)."""

    class Custom(mx.autograd.Function):
        def forward(self, *args: Any) -> Any:
            out, self.residuals = fwd(*args)
            return out

        def backward(self, g: Any) -> Any:
            cts = tuple(bwd(self.residuals, g))
            return cts[0] if len(cts) == 1 else cts

    return lambda *args: Custom()(*args)


def transforms() -> Table:
    """The vocabulary's transforms: MXNet's ``stop_gradient`` and ``autograd.Function``; the
    loops in Python (mx.nd's ``contrib.foreach`` is for symbolic graphs) and ``checkpoint``
    the plain function (MXNet's imperative autograd has no rematerialisation)."""
    from adapters.transforms_xp import python_table

    return python_table(lambda arrays: stack(list(arrays)), stop_gradient=nd.stop_gradient,
                        custom_vjp=_custom_vjp)
