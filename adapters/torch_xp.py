"""The vocabulary in PyTorch's own functions, with NumPy's names and semantics.

Imported by ``adapters.torch_adapter`` on first use only (it imports torch). Each entry is
torch's function for the name; wrappers only translate NumPy's arguments (``axis=None`` means
every axis, ``ddof``, ``keepdims``, pad widths, Python scalars). The one composite is ``cbrt``
(torch has none). ``median`` is ``torch.quantile(x, 0.5)`` (``torch.median`` takes the lower
middle value of an even count; NumPy the mean of the two), ``nn.softmax_cross_entropy`` is
``F.cross_entropy`` with probability targets. Semantics held to NumPy's where torch differs by
default: ``var``/``std`` use ``correction=ddof`` (torch's default is 1), ``sort`` is stable,
``split`` with sections insists on an equal division, ``solve`` reads ``b`` as a vector only
when it is 1-d (NumPy 2), ``take``/``take_along_axis`` wrap negative indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from adapters import conv_xp, transforms_xp
from adapters.namespace import Table, by_name, table_from_names
from adapters.numpy_args import axes_tuple, inserted_axes, over_axes, split_points, wrap_indices

__all__ = ["table"]


# --- argument translation --------------------------------------------------------------------
def _torch_dtype(dtype: Any) -> torch.dtype | None:
    """A torch dtype from a torch dtype, a NumPy dtype or a name."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    return torch.from_numpy(np.empty(0, dtype=np.dtype(dtype))).dtype


def _tensor(a: Any, like: Any) -> torch.Tensor:
    """``a`` as a tensor beside ``like``. A Python number is weak, as in NumPy 2: it takes
    like's dtype when the kinds agree (float32 stays float32); a NumPy array keeps its dtype."""
    if isinstance(a, torch.Tensor):
        return a
    device = like.device if isinstance(like, torch.Tensor) else None
    if isinstance(like, torch.Tensor) and isinstance(a, (int, float)) and like.dtype != torch.bool:
        if like.is_floating_point() or isinstance(a, int):
            return torch.as_tensor(a, dtype=like.dtype, device=device)
    if isinstance(like, torch.Tensor) and isinstance(a, complex):
        # Weak too: 1j beside float32 (or complex64) is complex64, as in NumPy 2.
        if like.is_complex() or like.is_floating_point():
            kind = like.dtype if like.is_complex() else (
                torch.complex64 if like.dtype == torch.float32 else torch.complex128)
            return torch.as_tensor(a, dtype=kind, device=device)
    return torch.as_tensor(np.asarray(a), device=device)


def _is_number(a: Any) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool)


def _binary(op: Any, scalar_first: bool = False) -> Any:
    """``op`` on NumPy-style operands. A Python number stays a number where torch takes one
    (``torch.pow(x, 2)`` runs torch's Tensor-Scalar kernel and derivative, as ``x ** 2`` does);
    elsewhere it becomes a tensor of the other operand's dtype."""
    takes_scalar = op in _SCALAR_SECOND

    def call(x: Any, y: Any) -> torch.Tensor:
        if isinstance(x, torch.Tensor) and _is_number(y) and takes_scalar:
            return op(x, y)
        if scalar_first and _is_number(x) and isinstance(y, torch.Tensor):
            return op(x, y)
        return op(_tensor(x, y), _tensor(y, x))

    call.__name__ = getattr(op, "__name__", "binary")
    return call


# torch functions with a (Tensor, Number) overload.
_SCALAR_SECOND = {torch.add, torch.sub, torch.mul, torch.div, torch.pow, torch.gt, torch.ge,
                  torch.lt, torch.le, torch.eq, torch.ne, torch.special.xlogy}


def _index(indices: Any, x: torch.Tensor, n: int) -> torch.Tensor:
    """Integer indices as a long tensor on x's device, negatives wrapped (as NumPy allows)."""
    idx = _tensor(indices, None).to(device=x.device, dtype=torch.long)
    return wrap_indices(idx, n, torch.remainder)


def _dims(axis: Any, x: torch.Tensor) -> tuple[int, ...]:
    return axes_tuple(axis, x.ndim)


# --- elementwise -----------------------------------------------------------------------------
def cbrt(x: Any) -> torch.Tensor:
    # torch has no cbrt; a real cube root keeps the sign.
    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)


def round(x: Any, decimals: int = 0) -> torch.Tensor:  # noqa: A001 - NumPy's name
    return torch.round(x, decimals=decimals)


def argmax(x: Any, axis: int | None = None) -> torch.Tensor:
    return torch.argmax(x, dim=axis)


def argmin(x: Any, axis: int | None = None) -> torch.Tensor:
    return torch.argmin(x, dim=axis)


def where(condition: Any, x: Any, y: Any) -> torch.Tensor:
    x, y = _tensor(x, y), _tensor(y, x)
    return torch.where(_tensor(condition, x).to(device=x.device, dtype=torch.bool), x, y)


def clip(x: Any, a_min: Any = None, a_max: Any = None) -> torch.Tensor:
    if isinstance(a_min, torch.Tensor) or isinstance(a_max, torch.Tensor):
        a_min = None if a_min is None else _tensor(a_min, x)
        a_max = None if a_max is None else _tensor(a_max, x)
    return torch.clamp(x, a_min, a_max)


# --- reductions ------------------------------------------------------------------------------
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    return torch.sum(x, dim=_dims(axis, x), keepdim=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return torch.mean(x, dim=_dims(axis, x), keepdim=keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    dims = _dims(axis, x)
    if len(dims) == x.ndim and not keepdims:
        return torch.prod(x)
    out = x
    for d in dims:  # torch.prod reduces one dim at a time
        out = torch.prod(out, dim=d, keepdim=True)
    return out if keepdims else out.squeeze(dims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    # amax, not max(dim): amax splits the gradient among ties like max() without dim.
    return torch.amax(x, dim=_dims(axis, x), keepdim=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    return torch.amin(x, dim=_dims(axis, x), keepdim=keepdims)


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> torch.Tensor:
    return torch.var(x, dim=_dims(axis, x), correction=ddof, keepdim=keepdims)


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> torch.Tensor:
    return torch.std(x, dim=_dims(axis, x), correction=ddof, keepdim=keepdims)


def cumsum(x: Any, axis: int | None = None) -> torch.Tensor:
    return torch.cumsum(x.reshape(-1), 0) if axis is None else torch.cumsum(x, dim=axis)


def cumprod(x: Any, axis: int | None = None) -> torch.Tensor:
    return torch.cumprod(x.reshape(-1), 0) if axis is None else torch.cumprod(x, dim=axis)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    if x.ndim == 2 and offset == 0:
        return torch.trace(x)
    return torch.diagonal(x, offset, axis1, axis2).sum(-1)


# --- shape and indexing ----------------------------------------------------------------------
def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)


def reshape(x: Any, shape: Any) -> torch.Tensor:
    return torch.reshape(x, _shape(shape))


def transpose(x: Any, axes: Any = None) -> torch.Tensor:
    return torch.permute(x, tuple(range(x.ndim))[::-1] if axes is None else tuple(axes))


def expand_dims(x: Any, axis: Any) -> torch.Tensor:
    for a in inserted_axes(axis, x.ndim):
        x = torch.unsqueeze(x, a)
    return x


def squeeze(x: Any, axis: Any = None) -> torch.Tensor:
    return torch.squeeze(x) if axis is None else torch.squeeze(x, _dims(axis, x))


def broadcast_to(x: Any, shape: Any) -> torch.Tensor:
    return torch.broadcast_to(x, _shape(shape))


def concatenate(arrays: Any, axis: int | None = 0) -> torch.Tensor:
    if axis is None:
        return torch.cat([a.reshape(-1) for a in arrays])
    return torch.cat(list(arrays), dim=axis)


def stack(arrays: Any, axis: int = 0) -> torch.Tensor:
    return torch.stack(list(arrays), dim=axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[torch.Tensor]:
    points = split_points(x.shape[axis], indices_or_sections)
    return list(torch.tensor_split(x, points, dim=axis))


def tile(x: Any, reps: Any) -> torch.Tensor:
    return torch.tile(x, _shape(reps))


def repeat(x: Any, repeats: Any, axis: int | None = None) -> torch.Tensor:
    if not isinstance(repeats, (int, np.integer)):
        repeats = _index(repeats, x, 0)
    return torch.repeat_interleave(x, repeats, dim=axis)


def flip(x: Any, axis: Any = None) -> torch.Tensor:
    return torch.flip(x, _dims(axis, x))


def roll(x: Any, shift: Any, axis: Any = None) -> torch.Tensor:
    return torch.roll(x, shift, axis)  # axis=None rolls the flattened array, as NumPy


def tril(x: Any, k: int = 0) -> torch.Tensor:
    return torch.tril(x, k)


def triu(x: Any, k: int = 0) -> torch.Tensor:
    return torch.triu(x, k)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    return torch.diagonal(x, offset, axis1, axis2)


def diag(v: Any, k: int = 0) -> torch.Tensor:
    return torch.diag(v, k)


def pad(x: Any, pad_width: Any, constant_values: float = 0) -> torch.Tensor:
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    # F.pad lists (before, after) from the last dimension backwards.
    flat = [int(w) for before_after in widths[::-1] for w in before_after]
    return F.pad(x, flat, mode="constant", value=constant_values)


def take(x: Any, indices: Any, axis: int | None = None) -> torch.Tensor:
    if axis is None:
        return torch.take(x, _index(indices, x, x.numel()))
    axis = axis % x.ndim
    idx = _index(indices, x, x.shape[axis])
    picked = torch.index_select(x, axis, idx.reshape(-1))
    return picked.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])


def take_along_axis(x: Any, indices: Any, axis: int | None) -> torch.Tensor:
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.take_along_dim(x, _index(indices, x, x.shape[axis]), dim=axis)


def sort(x: Any, axis: int | None = -1) -> torch.Tensor:
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.sort(x, dim=axis, stable=True).values


def outer(a: Any, b: Any) -> torch.Tensor:
    return torch.outer(a.reshape(-1), b.reshape(-1))


def dot(a: Any, b: Any) -> torch.Tensor:
    if a.ndim == 0 or b.ndim == 0:
        return torch.mul(a, b)
    if a.ndim == 1 and b.ndim == 1:
        return torch.dot(a, b)
    if b.ndim <= 2:
        return torch.matmul(a, b)
    return torch.tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 2]))


def tensordot(a: Any, b: Any, axes: Any = 2) -> torch.Tensor:
    if not isinstance(axes, (int, np.integer)):
        axes = tuple([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
    return torch.tensordot(a, b, dims=axes)


# --- construction ----------------------------------------------------------------------------
def constructors(device: torch.device) -> dict[str, Any]:
    """The names that create arrays from nothing need the adapter's device."""

    def asarray(a: Any, dtype: Any = None) -> torch.Tensor:
        if isinstance(a, torch.Tensor):
            return a if dtype is None else a.to(_torch_dtype(dtype))
        return torch.as_tensor(np.asarray(a), dtype=_torch_dtype(dtype), device=device)

    def eye(n: int, dtype: Any = None) -> torch.Tensor:
        return torch.eye(n, dtype=_torch_dtype(dtype) or torch.float64, device=device)  # NumPy: f64

    def arange(n: int) -> torch.Tensor:
        return torch.arange(n, device=device)

    return {"asarray": asarray, "eye": eye, "arange": arange}


# --- linalg ----------------------------------------------------------------------------------
def solve(a: Any, b: Any) -> torch.Tensor:
    if b.ndim == 1:  # NumPy 2: b is a vector only when it is 1-d
        return torch.linalg.solve(a, b.unsqueeze(-1)).squeeze(-1)
    # Give b a's batch dimensions so that torch cannot read it as a batch of vectors.
    batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return torch.linalg.solve(a.expand(*batch, *a.shape[-2:]), b.expand(*batch, *b.shape[-2:]))


def slogdet(a: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return tuple(torch.linalg.slogdet(a))


def eigh(a: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return tuple(torch.linalg.eigh(a, UPLO="L"))


def qr(a: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return tuple(torch.linalg.qr(a, mode="reduced"))


def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
    if not compute_uv:
        return torch.linalg.svdvals(a)
    return tuple(torch.linalg.svd(a, full_matrices=full_matrices))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A002
    return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)


# --- special and nn --------------------------------------------------------------------------
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return torch.logsumexp(x, dim=_dims(axis, x), keepdim=keepdims)


# torch's softmax normalizes over one dim; SciPy's over ``axis`` (None: all of them).
def softmax(x: Any, axis: Any = None) -> torch.Tensor:
    return over_axes(torch.softmax, x, axis, moveaxis=torch.movedim, reshape=torch.reshape)


def log_softmax(x: Any, axis: Any = None) -> torch.Tensor:
    return over_axes(torch.log_softmax, x, axis, moveaxis=torch.movedim, reshape=torch.reshape)


def gelu(x: Any) -> torch.Tensor:
    return F.gelu(x, approximate="none")


# --- issue 17: order statistics, NaN-ignoring reductions, nn composites ----------------------
def cummax(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.cummax(x, dim=axis).values


def topk(x: Any, k: int) -> torch.Tensor:
    return torch.topk(x, k, dim=-1, largest=True, sorted=True).values


def median(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    # torch.median returns the lower of the two middle values for an even count; NumPy's is
    # their mean, which is torch.quantile's linear interpolation at 0.5.
    if isinstance(axis, (tuple, list)):
        end = tuple(range(x.ndim - len(axis), x.ndim))
        moved = torch.movedim(x, tuple(axis), end)
        out = torch.quantile(moved.reshape(*moved.shape[: x.ndim - len(axis)], -1), 0.5, dim=-1)
        return out.reshape(reduced_shape(x.shape, axis)) if keepdims else out
    return torch.quantile(x, 0.5, dim=axis, keepdim=keepdims)


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return torch.nanmean(x, dim=_dims(axis, x), keepdim=keepdims)


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> torch.Tensor:
    return torch.nansum(x, dim=_dims(axis, x), keepdim=keepdims)


def layer_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> torch.Tensor:
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def softmax_cross_entropy(logits: Any, labels: Any) -> torch.Tensor:
    # F.cross_entropy takes the classes on dim 1 (probability targets: the soft-label form).
    if logits.ndim < 2:
        return F.cross_entropy(logits, labels)
    return F.cross_entropy(torch.movedim(logits, -1, 1), torch.movedim(labels, -1, 1),
                           reduction="none")


def reduced_shape(shape: Any, axis: Any) -> tuple[int, ...]:
    axes = _dims(axis, torch.empty(shape, device="meta"))
    return tuple(1 if d in axes else n for d, n in enumerate(shape))


# Names torch spells as NumPy does, and those it spells otherwise (NumPy's name -> torch's).
SAME_NAMES = """
abs sign exp exp2 expm1 log log2 log10 log1p sqrt square reciprocal sin cos tan sinh cosh tanh
floor ceil swapaxes einsum matmul zeros_like ones_like real imag conj angle sinc
"""
RENAMES = {"negative": "neg", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
           "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "moveaxis": "movedim"}


def fft(x: Any, n: int | None = None, axis: int = -1) -> torch.Tensor:
    return torch.fft.fft(x, n=n, dim=axis)


def ifft(x: Any, n: int | None = None, axis: int = -1) -> torch.Tensor:
    return torch.fft.ifft(x, n=n, dim=axis)


def table(device: torch.device) -> Table:
    """``{qualified name: (function, native | composite)}`` for the torch adapter."""
    binary = {
        "greater": _binary(torch.gt), "greater_equal": _binary(torch.ge),
        "less": _binary(torch.lt), "less_equal": _binary(torch.le),
        "equal": _binary(torch.eq), "not_equal": _binary(torch.ne),
        "add": _binary(torch.add), "subtract": _binary(torch.sub),
        "multiply": _binary(torch.mul), "divide": _binary(torch.div),
        "power": _binary(torch.pow, scalar_first=True), "maximum": _binary(torch.maximum),
        "minimum": _binary(torch.minimum), "arctan2": _binary(torch.atan2),
        "hypot": _binary(torch.hypot), "logaddexp": _binary(torch.logaddexp),
    }
    wrappers = by_name(
        round, argmax, argmin, where, clip,
        sum, mean, prod, max, min, var, std, cumsum, cumprod, trace,
        reshape, transpose, expand_dims, squeeze, broadcast_to, concatenate, stack, split, tile,
        repeat, flip, roll, tril, triu, diagonal, diag, pad, take, take_along_axis, sort, outer,
        dot, tensordot, cummax, topk, median, nanmean, nansum,
    )
    return {
        **table_from_names(torch, SAME_NAMES, renames=RENAMES,
                           overrides={**binary, **wrappers, **constructors(device)},
                           composites=by_name(cbrt)),
        **table_from_names(torch.func, "grad"),
        **table_from_names(torch.linalg, "inv det cholesky", "linalg.",
                           overrides=by_name(solve, slogdet, eigh, qr, svd, norm)),
        **table_from_names(torch.special, "expit logit erf erfc gammaln digamma", "special.",
                           overrides={
                               "xlogy": _binary(torch.special.xlogy, scalar_first=True),
                               **by_name(logsumexp, softmax, log_softmax),
                           }),
        **table_from_names(F, "softplus", "nn.", renames={"log_sigmoid": "logsigmoid"},
                           overrides={"relu": torch.relu, "gelu": gelu,
                                      **by_name(layer_norm, softmax_cross_entropy)}),
        **conv_xp.torch_table(),
        **table_from_names(torch.fft, prefix="fft.", overrides=by_name(fft, ifft)),
        **transforms_xp.torch_table(),
    }
