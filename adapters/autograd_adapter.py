"""HIPS autograd (``autograd.numpy``): reverse mode, and its forward mode ``make_jvp``.

``xp`` is ``autograd.numpy`` and ``autograd.scipy.special``; autograd has no ``xlogy``,
``softmax``, ``log_softmax``, ``cummax``, ``topk`` or ``xp.nn``, so those are composites
(``cummax`` and ``topk`` gather by indexing at indices computed from the values; ``median``,
``nanmean`` and ``nansum`` are autograd's wrappers, which have no derivative rule). ``take``,
``take_along_axis`` and ``flip``, which autograd wraps without derivative rules, are written by
indexing, as autograd users write them (``_by_indexing``). A name autograd wraps
without a derivative rule (a VJP, or a JVP in forward mode) is native for values and
``unsupported`` for that derivative: autograd raises NotImplementedError, which the shared
error capture reports as such.

The HVP is reverse-over-reverse (autograd's own ``make_hvp`` construction), because autograd's
forward mode covers fewer primitives than its reverse mode; so autograd's forward over
reverse is not among the quantities. The other nestings: ``grad`` over ``make_jvp`` (reverse
over forward), ``make_vjp`` over ``grad`` (reverse over reverse, the cotangent carrying v) and
``make_jvp`` over ``make_jvp`` (forward over forward).

Known (anchors.md): under NumPy 2 autograd can return float64 cotangents for float32 inputs;
the adapter passes on what autograd returns, so the checks can see it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from adapters import conv_xp, transforms_xp
from adapters.arguments import like_structure
from adapters.base import COMPLEX_DTYPES, DTYPES, NUMPY_HALF_NOTES, BaseAdapter
from adapters.namespace import Table, by_name, table_from_names
from adapters.numpy_adapter import nn_composites, numpy_like_table, order_composites
from adapters.numpy_args import axes_tuple
from refengine.tree import partial_in

__all__ = ["AutogradAdapter"]


def _special_composites(anp: Any, asp: Any) -> dict[str, Any]:
    def xlogy(x: Any, y: Any) -> Any:
        # SciPy's convention: 0 where x == 0, whatever y is.
        return anp.where(x == 0, 0.0, x * anp.log(y))

    def log_softmax(x: Any, axis: Any = None) -> Any:
        return x - asp.logsumexp(x, axis=axis, keepdims=True)

    def softmax(x: Any, axis: Any = None) -> Any:
        return anp.exp(log_softmax(x, axis=axis))

    return by_name(xlogy, softmax, log_softmax)


def _by_indexing(anp: Any) -> dict[str, Any]:
    """``take``, ``take_along_axis``, ``flip`` and ``diagonal`` as autograd users write them,
    by indexing.

    autograd 1.9 wraps NumPy's ``take``, ``take_along_axis`` and ``flip`` with no derivative
    rule (``numpy_vjps.py`` and ``numpy_jvps.py`` define none: "VJP of take wrt argnums (0,)
    not defined"), and ``diagonal``'s VJP (``make_diagonal``) raises unless the diagonal is
    the main one of the last two axes, which NumPy's default axes (0, 1) are not. autograd
    differentiates indexing (``ArrayBox.__getitem__``, whose VJP scatters the cotangent back
    with ``untake``, adding at repeated indices). The indices are NumPy's own definitions:
    ``take`` along an axis "is equivalent to ``arr[:, ..., indices]``" (its documentation),
    ``take_along_axis`` indexes with ``arange`` grids broadcast against ``indices`` (NumPy's
    ``_make_along_axis_idx``), ``flip`` is a ``::-1`` slice (NumPy's ``flip`` builds that
    slice) and ``diagonal`` picks ``[i, i + offset]`` with the two axes moved last.
    """

    def take(x: Any, indices: Any, axis: int | None = None) -> Any:
        if axis is None:
            return anp.ravel(x)[indices]
        return x[(slice(None),) * (axis % x.ndim) + (indices,)]

    def take_along_axis(x: Any, indices: Any, axis: int | None) -> Any:
        if axis is None:
            x, axis = anp.ravel(x), 0
        indices, ndim = np.asarray(indices), x.ndim
        if indices.ndim != ndim:
            raise ValueError("`indices` and `arr` must have the same number of dimensions")
        axis %= ndim
        grid = [np.arange(n).reshape([-1 if d == k else 1 for k in range(ndim)])
                for d, n in enumerate(x.shape)]
        grid[axis] = indices
        return x[tuple(grid)]

    def flip(x: Any, axis: Any = None) -> Any:
        axes = axes_tuple(axis, x.ndim)
        return x[tuple(slice(None, None, -1) if d in axes else slice(None)
                       for d in range(x.ndim))]

    def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        moved = anp.moveaxis(x, (axis1, axis2), (-2, -1))
        rows, cols = moved.shape[-2:]
        first_row, first_col = max(-offset, 0), max(offset, 0)
        steps = np.arange(max(0, min(rows - first_row, cols - first_col)))
        return moved[..., first_row + steps, first_col + steps]

    return by_name(take, take_along_axis, flip, diagonal)


def _traceable(g: Callable[..., Any]) -> Callable[..., Any]:
    """``g`` with tuple and list outputs rebuilt as autograd's own containers: autograd traces
    through ``autograd.builtins.tuple``, and treats a plain tuple of boxes as a constant
    ("Output seems independent of input")."""
    from autograd.builtins import list as ag_list
    from autograd.builtins import tuple as ag_tuple

    def pack(out: Any) -> Any:
        if isinstance(out, tuple):
            return ag_tuple(tuple(pack(o) for o in out))
        if isinstance(out, list):
            return ag_list([pack(o) for o in out])
        return out

    return lambda *args: pack(g(*args))


class AutogradAdapter(BaseAdapter):
    name = "autograd"
    dtypes = DTYPES + COMPLEX_DTYPES + ("float16",)
    dtype_notes = NUMPY_HALF_NOTES
    framework = "autograd"
    distributions = ("autograd",)

    def _load(self) -> Table:
        import autograd
        import autograd.numpy as anp
        import autograd.scipy.special as asp
        from autograd.tracer import getval

        return {
            **numpy_like_table(anp),
            **table_from_names(anp, overrides=_by_indexing(anp)),
            **table_from_names(autograd, "grad"),
            **table_from_names(asp, "expit logit erf erfc gammaln digamma logsumexp", "special.",
                               composites=_special_composites(anp, asp)),
            **table_from_names(anp, composites=order_composites(
                getval, _by_indexing(anp)["take_along_axis"])),
            **table_from_names(anp, prefix="nn.",
                               composites=nn_composites(anp, asp.erf, asp.logsumexp)),
            **conv_xp.numpy_like_table(anp),
            **transforms_xp.autograd_table(),
        }

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import autograd

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], cotangent: Any) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            vjp_fn, out = autograd.make_vjp(_traceable(g), everything)(*diff)
            return out, vjp_fn(like_structure(cotangent, out))

        return call

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import autograd

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return autograd.make_jvp(_traceable(g), everything)(*diff)(tuple(tangents))

        return call

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        import autograd

        vg = autograd.value_and_grad(f, argnums)
        return lambda inputs, _direction=None: vg(*inputs)

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import autograd
        import autograd.numpy as anp

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            grad_g = autograd.grad(g, everything)

            def directional(*xs: Any) -> Any:
                return sum(anp.sum(gx * t) for gx, t in zip(grad_g(*xs), tangents))

            return autograd.grad(directional, everything)(*diff)

        return call

    def _hvp_rev_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        import autograd

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return autograd.make_jvp(_traceable(g), everything)(*xs)(tuple(tangents))[1]

            return autograd.grad(along_v, everything)(*diff)

        return call

    def _hvp_rev_rev(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        import autograd

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            grad_g = _traceable(autograd.grad(g, everything))
            vjp_fn, _ = autograd.make_vjp(grad_g, everything)(*diff)
            return vjp_fn(tuple(tangents))

        return call

    def _jvp_fwd_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        import autograd

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return autograd.make_jvp(_traceable(g), everything)(*xs)(tuple(tangents))[1]

            return autograd.make_jvp(along_v, everything)(*diff)(tuple(tangents))[1]

        return call

    # -- transformations of a derivative (adapters.base.TRANSFORMS) --
    # autograd has no vectorising map: ``_vmap_vjp`` declines (BaseAdapter's default). Its
    # Jacobians: ``autograd.jacobian``'s construction, one VJP per output entry from one
    # ``make_vjp`` (reverse), and one ``make_jvp`` per input entry (forward).
    def _jacrev(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import autograd

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], _direction: Any = None) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            vjp_fn, out = autograd.make_vjp(g, everything)(*diff)
            out = np.asarray(out)
            rows = [vjp_fn(np.eye(out.size, dtype=out.dtype)[k].reshape(out.shape))
                    for k in range(out.size)]
            return tuple(np.reshape(np.stack([np.asarray(r[j]) for r in rows]) if rows
                                    else np.zeros((0, *np.shape(d))), out.shape + np.shape(d))
                         for j, d in enumerate(diff))

        return call

    def _jacfwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import autograd

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], _direction: Any = None) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            jvp = autograd.make_jvp(_traceable(g), everything)(*diff)
            zeros = [np.zeros(np.shape(d), np.asarray(d).dtype) for d in diff]
            out_shape = np.shape(g(*diff))
            jacobians = []
            for k, d in enumerate(diff):
                n = int(np.size(d))
                columns = []
                for j in range(n):
                    basis = np.eye(n, dtype=np.asarray(d).dtype)[j].reshape(np.shape(d))
                    columns.append(np.asarray(jvp(tuple(basis if i == k else z
                                                        for i, z in enumerate(zeros)))[1]))
                stacked = np.stack(columns, axis=-1) if columns else np.zeros((*out_shape, 0))
                jacobians.append(stacked.reshape(out_shape + np.shape(d)))
            return tuple(jacobians)

        return call
