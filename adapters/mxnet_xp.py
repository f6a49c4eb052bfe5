"""The vocabulary in MXNet's own operators, with NumPy's names and semantics.

Imported by ``adapters.mxnet_adapter`` on first use only (it imports MXNet), in MXNet's own
environment (``adapters.environments``). MXNet runs with ``set_np_shape(True)``, so 0-d
arrays exist; reductions over every axis still return shape (1,) there and are reshaped to ().
Wrappers translate NumPy's arguments only (``axis=None``, ``keepdims``, Python numbers and
NumPy arrays beside an NDArray, ``where``'s broadcasting); each calls one MXNet operator,
whose own backward is what gets tested.

Two operator sets, one array type. The cases' arrays are classic ``mx.nd.NDArray``s; most names
are ``mx.nd`` operators. Where ``mx.nd`` has none, MXNet's NumPy-compatible interface
(``mx.np``, since 1.6) has: ``matmul``, ``einsum``, ``tensordot``, ``outer``, ``trace``,
``diagonal``, ``tril``, ``roll``, ``pad``, ``arctan2``, ``hypot``, ``linalg.solve`` and
``linalg.svd`` are those ``mx.np`` operators (``_npi_*``, each with
its own backward), called on zero-copy views (``as_np_ndarray``/``as_nd_ndarray``, which
autograd records through), as an MXNet user mixing the two interfaces writes. The ``@``
operator, which ``mx.nd.NDArray`` lacks, is the same ``mx.np.matmul`` (the adapter installs it,
``install_matmul_operator``). ``nn.conv`` is ``mx.nd.Convolution`` (NCW/NCHW, ``stride``,
``dilate``, ``num_group``; uneven padding an ``mx.np.pad`` first), the poolings
``mx.nd.Pooling`` (``count_include_pad=True``, as PyTorch's default), ``topk``
``mx.nd.topk``, ``nansum`` ``mx.nd.nansum``, ``nn.gelu`` ``mx.nd.LeakyReLU(act_type="gelu")``
(the erf form), ``exp2`` ``2 ** x`` (``_rpower_scalar``), and ``grad`` ``autograd.grad`` with
``create_graph=True`` (see ``grad``).

Composites, where MXNet 1.9.1 has no operator at all: ``std`` (the square root of
``nd.moments``' variance), ``special.logsumexp`` (the max-shifted log of a sum of exponentials,
as ``scipy.special.logsumexp`` computes it), ``triu`` (``x - tril(x, k - 1)``) and
``nn.segment_sum`` (a one-hot matrix product). Names MXNet has no operator for and no
composite here (cumprod, logaddexp, digamma, erfc, cummax, median, the complex names, ...) are
missing: the cases that call them are unsupported on MXNet rather than tested on a composite;
those that ``mx.np`` spells but cannot serve say why (``MISSING_REASONS``).

Its length (about 550 lines, as ``tensorflow_xp``'s) is one short function per vocabulary name
MXNet spells otherwise, read against one table (``table``); the hybridized mode's constants
(``constant``) live here because every function that makes an array from data calls it.
"""

from __future__ import annotations

from typing import Any

import mxnet as mx
import numpy as np

from adapters.namespace import Table, by_name, table_from_names
from adapters.outcomes import Unsupported
from refengine.conv_args import conv_params, pool_params
from refengine.conv_args import segment_ids as segment_ids_checked

__all__ = ["TRACES", "constant", "install_matmul_operator", "table"]

nd = mx.nd


# The hybridized mode's trace (``mxnet_adapter``): while one runs, every array the namespace
# makes from data (NumPy constants, index arrays, eye, arange) is listed here and made a graph
# variable (attach_grad), so that the traced graph can be fed its value again.
TRACES: list[list[Any]] = []


def constant(arr: Any) -> Any:
    """``arr``, an array made from data; listed (and made a variable) while a trace runs."""
    if TRACES:
        arr.attach_grad()
        TRACES[-1].append(arr)
    return arr


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
    return constant(nd.array(arr, dtype=arr.dtype))


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
    return nd.where(_cast(c.broadcast_to(shape), x.dtype), x.broadcast_to(shape),
                    y.broadcast_to(shape))


def _cast(x: Any, dtype: Any) -> Any:
    # The Cast operator, where the dtype changes: NDArray.astype copies into a new array
    # (_copyto), which a hybridized graph cannot type.
    return x if np.dtype(x.dtype) == np.dtype(dtype) else nd.cast(x, dtype=np.dtype(dtype))


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
        return a if dtype is None else _cast(a, dtype)
    arr = np.asarray(a, dtype=None if dtype is None else np.dtype(dtype))
    return constant(nd.array(arr, dtype=arr.dtype))


def eye(n: int, dtype: Any = None) -> Any:
    return constant(nd.eye(n, dtype=np.dtype(dtype or np.float64)))  # NumPy's: float64


def arange(n: int) -> Any:
    return constant(nd.arange(n, dtype=np.int64))



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


# --- mx.np's operators on the same arrays ---------------------------------------------------
def _as_np(a: Any, like: Any = None) -> Any:
    """``a`` as an ``mx.np`` array: an NDArray's zero-copy view (autograd records through
    it), a NumPy array an NDArray first; Python numbers and other arguments as they are."""
    if isinstance(a, nd.NDArray):
        return a.as_np_ndarray()
    if isinstance(a, np.ndarray):
        return _nd(a, like).as_np_ndarray()
    return a


def _as_nd(out: Any) -> Any:
    if isinstance(out, (tuple, list)):
        return tuple(_as_nd(o) for o in out)
    return out.as_nd_ndarray() if isinstance(out, mx.np.ndarray) else out


def _via_np(op: Any, name: str) -> Any:
    """``op`` (an ``mx.np`` function) on NDArrays, returning NDArrays."""

    def call(*args: Any, **kwargs: Any) -> Any:
        like = next((a for a in args if isinstance(a, nd.NDArray)), None)
        return _as_nd(op(*(_as_np(a, like) for a in args), **kwargs))

    call.__name__ = name
    return call


VIA_NP = "matmul tensordot outer trace diagonal tril roll arctan2 hypot"
# Names mx.np spells but cannot serve here, with the evidence (found by gradparity).
_FALLBACK = ("in MXNet 1.9.1 mx.np.{0} is a fallback to NumPy's own (mxnet.numpy.fallback), "
             "which autograd refuses (\"Falling back to NumPy operator ... with autograd active "
             "is not supported\"): no MXNet operator, no gradient")
MISSING_REASONS = {
    "take_along_axis": _FALLBACK.format("take_along_axis"),
    "linalg.qr": _FALLBACK.format("linalg.qr"),
    "linalg.eigh": "MXNet 1.9.1's mx.np.linalg.eigh (_npi_eigh) has a wrong backward: all-zero "
                   "gradients for sum(eigenvalues), whose gradient is the identity, and a "
                   "segmentation fault in the worker for eigh-values' VJP (found by gradparity, "
                   "reproduced outside gradparity with mx.np alone; README, MXNet section)",
}


def einsum(subscripts: str, *operands: Any) -> Any:
    like = next((a for a in operands if isinstance(a, nd.NDArray)), None)
    return _as_nd(mx.np.einsum(subscripts, *(_as_np(a, like) for a in operands)))


def pad(x: Any, pad_width: Any, constant_values: Any = 0) -> Any:
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    return _as_nd(mx.np.pad(_as_np(x), tuple(tuple(int(v) for v in w) for w in widths),
                            mode="constant", constant_values=constant_values))


def solve(a: Any, b: Any) -> Any:
    # NumPy's 1-d right-hand side as a column: mx.np.linalg.solve's backward fails for a 1-d
    # b in MXNet 1.9.1 ("Non compatible matrix dimensions between inputs A and C for gemm";
    # found by gradparity with solve-vector), the forward does not.
    if b.ndim == 1:
        return _as_nd(mx.np.linalg.solve(_as_np(a), _as_np(b, a)[:, None]))[:, 0]
    return _as_nd(mx.np.linalg.solve(_as_np(a), _as_np(b, a)))


def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
    """NumPy's ``svd`` from ``mx.np.linalg.svd``, which takes M <= N only and returns
    ``(ut, s, v)`` with ``a = ut @ diag(s) @ v``: NumPy's ``u`` and ``vh`` for a wide ``a``;
    for a tall one, the factors of ``a.T`` transposed."""
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        raise Unsupported("mx.np.linalg.svd computes the reduced decomposition only "
                          "(full_matrices=True of a non-square matrix)")
    tall = m > n
    ut, s, v = _as_nd(mx.np.linalg.svd(_as_np(swapaxes(a, -1, -2) if tall else a)))
    if not compute_uv:
        return s
    if tall:
        return swapaxes(v, -1, -2), s, swapaxes(ut, -1, -2)
    return ut, s, v


def triu(x: Any, k: int = 0) -> Any:
    # mx.np has tril but no triu: the upper part is what tril(x, k - 1) leaves out.
    return x - _as_nd(mx.np.tril(_as_np(x), k - 1))


def install_matmul_operator() -> None:
    """Give ``mx.nd.NDArray`` the ``@`` operator (it has none) as ``mx.np.matmul``, the
    operator an MXNet user's ``@`` runs on ``mx.np`` arrays. Only where MXNet defines none."""
    if getattr(nd.NDArray, "__matmul__", None) is None:
        matmul = _via_np(mx.np.matmul, "matmul")
        nd.NDArray.__matmul__ = lambda a, b: matmul(a, b)  # type: ignore[attr-defined]
        nd.NDArray.__rmatmul__ = lambda a, b: matmul(b, a)  # type: ignore[attr-defined]


# --- nested derivatives ----------------------------------------------------------------------
def grad(f: Any) -> Any:
    """``xp.grad(f)(x)`` for scalar ``f``: ``autograd.grad``, with ``create_graph=True``
    inside an outer derivative. MXNet differentiates with respect to leaf variables only
    (``attach_grad``): ``x`` is made one when it is outside any graph (a constant, or no outer
    derivative is being taken); an ``x`` computed from the outer inputs cannot be, for
    detaching it would drop its dependence on them and give a wrong outer derivative without a
    word, so that case is unsupported, in MXNet's words."""
    autograd = mx.autograd

    def df(x: Any) -> Any:
        if TRACES:
            raise Unsupported("a hybridized MXNet graph cannot hold autograd.grad (a nested "
                              "derivative is taken eagerly, outside any graph)")
        x = _nd(x)
        recording = autograd.is_recording()
        if recording and _is_leaf_variable(x):
            leaf = x
        elif recording and _in_graph(x):
            raise Unsupported(
                "MXNet 1.9's autograd.grad differentiates with respect to leaf variables "
                "(attach_grad) only (\"Cannot differentiate with respect to the variable "
                "because it does not require gradient\"): this nested gradient's argument is "
                "computed from the outer inputs")
        else:
            leaf = x.copy()
            leaf.attach_grad()
        with autograd.record():
            y = f(leaf)
        try:
            (g,) = autograd.grad(y, [leaf], create_graph=recording, retain_graph=recording)
        except mx.base.MXNetError as exc:
            if "not in a computational graph" not in str(exc) and "no inputs" not in str(exc):
                raise
            return nd.zeros_like(leaf)  # f does not depend on x
        return g

    return df


def _graph_ops(x: Any) -> list[str] | None:
    """The operators of the graph that recorded ``x`` (None: ``x`` is in no graph)."""
    import json

    try:
        symbol = mx.autograd.get_symbol(x)
    except mx.base.MXNetError:
        return None
    return [node["op"] for node in json.loads(symbol.tojson())["nodes"]]


def _is_leaf_variable(x: Any) -> bool:
    return _graph_ops(x) == ["null"]


def _in_graph(x: Any) -> bool:
    return _graph_ops(x) is not None


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


def gelu(x: Any) -> Any:
    return nd.LeakyReLU(x, act_type="gelu")


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # MXNet has no logsumexp operator: scipy.special.logsumexp's computation, the maximum
    # shifted out (held constant: its gradient cancels).
    axes = tuple(range(x.ndim)) if axis is None else axis
    m = nd.stop_gradient(nd.max(x, axis=axes, keepdims=True))
    m = nd.where((m - m) == 0, m, nd.zeros_like(m))  # an infinite max shifts by 0, as SciPy
    out = nd.log(nd.sum(nd.exp(x - m), axis=axes, keepdims=True)) + m
    if keepdims:
        return out
    return _whole(out) if axis is None else nd.squeeze(out, axis=axes)


def topk(x: Any, k: int) -> Any:
    return nd.topk(x, axis=-1, k=k, ret_typ="value", is_ascend=False)


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return _reduction(nd.nansum)(x, axis, keepdims)


def exp2(x: Any) -> Any:
    return 2.0 ** x  # mx.nd's _rpower_scalar


# --- convolution and pooling (layout: adapters.conv_xp) --------------------------------------
def conv(x: Any, w: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
         groups: int = 1) -> Any:
    p = conv_params(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    pads = p["padding"]
    if not all(lo == hi for lo, hi in pads):  # Convolution pads both sides alike
        x = pad(x, ((0, 0), (0, 0), *pads))
        pads = tuple((0, 0) for _ in pads)
    return nd.Convolution(x, w, kernel=tuple(w.shape[2:]), stride=p["stride"],
                          dilate=p["dilation"], pad=tuple(lo for lo, _ in pads),
                          num_filter=w.shape[0], num_group=groups, no_bias=True)


def _pool(kind: str) -> Any:
    def pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
        p = pool_params(x, kernel_size, stride, padding)
        return nd.Pooling(x, kernel=p["kernel_size"], pool_type=kind, stride=p["stride"],
                          pad=tuple(lo for lo, _ in p["padding"]), count_include_pad=True,
                          pooling_convention="valid")

    pool.__name__ = f"{kind}_pool"
    return pool


def segment_sum(data: Any, segment_ids: Any, num_segments: int) -> Any:
    # MXNet has no scatter-add (scatter_nd leaves repeated ids undefined): the one-hot matrix
    # product an MXNet user writes, onehot(ids).T @ data.
    if not isinstance(segment_ids, nd.NDArray):
        segment_ids = constant(nd.array(segment_ids_checked(data, segment_ids, num_segments),
                                        dtype=np.int64))
    onehot = nd.one_hot(segment_ids, depth=num_segments, dtype=data.dtype)
    flat = data.reshape((data.shape[0], -1))
    return nd.dot(onehot, flat, transpose_a=True).reshape((num_segments, *data.shape[1:]))


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
                       diag, dot, asarray, eye, arange, einsum, pad, topk, nansum, exp2, grad)
    via_np = {name: _via_np(getattr(mx.np, name), name) for name in VIA_NP.split()}
    return {
        **table_from_names(nd, SAME_NAMES + " zeros_like ones_like", renames={"round": "rint"},
                           overrides={**binary, **wrappers, **via_np},
                           composites=by_name(std, triu),
                           missing={n: r for n, r in MISSING_REASONS.items() if "." not in n}),
        **table_from_names(nd.linalg, "det", "linalg.", renames={"inv": "inverse"},
                           overrides=by_name(slogdet, cholesky, norm, solve, svd),
                           missing={n[7:]: r for n, r in MISSING_REASONS.items()
                                    if n.startswith("linalg.")}),
        **table_from_names(nd, "erf gammaln", "special.", renames={"expit": "sigmoid"},
                           overrides=by_name(softmax, log_softmax), composites=by_name(logsumexp)),
        **table_from_names(nd, "relu", "nn.", overrides={
            **by_name(softplus, gelu, conv), "max_pool": _pool("max"),
            "avg_pool": _pool("avg")}, composites=by_name(segment_sum)),
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
