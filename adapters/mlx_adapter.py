"""MLX (Apple's array framework; its Linux CPU build, ``mlx[cpu]``), in process; modes eager
and jit (``mx.compile``).

- VJP: ``mx.vjp``; value-and-gradient: ``mx.value_and_grad``; JVP: ``mx.jvp`` (MLX has a
  forward mode of its own).
- Second order: the HVP is ``mx.jvp`` over ``mx.grad`` (forward over reverse), and the other
  nestings nest the same transformations: ``mx.grad`` over ``mx.jvp``, ``mx.vjp`` over
  ``mx.grad``, ``mx.jvp`` over ``mx.jvp``.
- jit: the whole quantity (the transformation included) through ``mx.compile``, which traces
  the Python function once per input signature; the trace counter counts those traces.
- Float64 runs on MLX's CPU device (the only one of this build; MLX has float64 on the CPU
  only).
- Evaluation is lazy: ``sync`` is ``mx.eval``, so a timed call includes the work.

``xp`` lives in ``adapters.mlx_xp``; its docstring lists what MLX lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from adapters import threads
from adapters.arguments import like_structure
from adapters.base import BaseAdapter
from adapters.namespace import Table
from refengine.tree import partial_in, tree_leaves

__all__ = ["MLXAdapter", "masks_as_indices"]


def masks_as_indices(key: Any, convert: Callable[[np.ndarray], Any]) -> Any:
    """NumPy's index ``key`` for a framework without boolean-mask indexing: each boolean
    array becomes the integer indices of its True entries (NumPy's meaning), each integer
    array ``convert``-ed to the framework's own array; integers, slices, None, ... stay."""
    parts = key if isinstance(key, tuple) else (key,)
    out: list[Any] = []
    for part in parts:
        if isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype == np.bool_:
            out.extend(convert(i) for i in np.nonzero(np.asarray(part)))
        elif isinstance(part, (list, np.ndarray)) and np.ndim(part) >= 1:
            out.append(convert(np.asarray(part)))
        else:
            out.append(part)
    return tuple(out) if isinstance(key, tuple) or len(out) > 1 else out[0]


def _rebuild(leaves: list[Any], template: Any) -> Any:
    """MLX's list of output leaves in the structure of the case's output ``template``."""
    if isinstance(template, (tuple, list)):
        return like_structure(tuple(leaves), template)
    return leaves[0]


class MLXAdapter(BaseAdapter):
    name = "mlx"
    framework = "mlx.core"
    distributions = ("mlx",)
    modes = ("eager", "jit")
    mode_labels: ClassVar[Mapping[str, str]] = {"jit": "mx.compile"}

    def _load(self) -> Table:
        import mlx.core as mx

        from adapters import mlx_xp

        self._mx = mx
        mx.set_default_device(mx.cpu)
        self._thread_report = {"mlx": "MLX's CPU backend; threads: "
                                      f"{threads.requested()} requested (OMP/BLAS variables)"}
        return mlx_xp.table()

    def _to_native(self, array: np.ndarray) -> Any:
        mx = self._mx
        kind = {np.dtype(np.float32): mx.float32, np.dtype(np.float64): mx.float64,
                np.dtype(np.bool_): mx.bool_, np.dtype(np.int64): mx.int64,
                np.dtype(np.int32): mx.int32}.get(array.dtype)
        if kind is None:
            return mx.array(array)
        return mx.array(array, dtype=kind)

    def _to_numpy(self, value: Any) -> np.ndarray:
        if isinstance(value, self._mx.array):
            return np.array(value)
        return np.asarray(value)

    def sync(self, value: Any) -> Any:
        leaves = [v for v in tree_leaves(value) if isinstance(v, self._mx.array)]
        if leaves:
            self._mx.eval(*leaves)
        return value

    # -- indexing: MLX takes its own integer arrays, and no boolean masks --
    def index_types(self) -> tuple[type, ...]:
        return (self._mx.array,)

    def index(self, getitem: Callable[[Any, Any], Any], x: Any, key: Any) -> Any:
        return getitem(x, masks_as_indices(key, self._to_native))

    # -- jit --
    def _compile(
        self, call: Callable[..., Any], mode: str
    ) -> tuple[Callable[..., Any], Callable[[], int] | None]:
        if mode == "eager":
            return call, None
        mx, count = self._mx, [0]

        def without(inputs: Any) -> Any:
            count[0] += 1  # runs only while MLX traces
            return call(tuple(inputs), None)

        def with_direction(inputs: Any, direction: Any) -> Any:
            count[0] += 1
            return call(tuple(inputs), direction)

        compiled_without, compiled_with = mx.compile(without), mx.compile(with_direction)

        def run(inputs: tuple[Any, ...], direction: Any = None) -> Any:
            if direction is None:
                return compiled_without(list(inputs))
            return compiled_with(list(inputs), direction)

        return run, lambda: count[0]

    def _classify(self, exc: Exception) -> str | None:
        message = str(exc)
        for marker in ("not supported", "Not supported", "not implemented", "Not implemented",
                       "does not support", "cannot be compiled", "only supported",
                       "not yet implemented", "not yet supported"):
            if marker in message:
                return message.splitlines()[0]
        return super()._classify(exc)

    # -- first order --
    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        mx = self._mx

        def call(inputs: tuple[Any, ...], cotangent: Any) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            holder: list[Any] = []

            def flat(*xs: Any) -> Any:
                out = g(*xs)
                holder.append(out)
                return tree_leaves(out)

            _, cts = mx.vjp(flat, list(diff), tree_leaves(cotangent))
            return holder[0], tuple(cts)

        return call

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        mx = self._mx

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            holder: list[Any] = []

            def flat(*xs: Any) -> Any:
                out = g(*xs)
                holder.append(out)
                return tree_leaves(out)

            outs, touts = mx.jvp(flat, list(diff), list(tangents))
            return _rebuild(outs, holder[0]), _rebuild(touts, holder[0])

        return call

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        mx = self._mx

        def call(inputs: tuple[Any, ...], _direction: Any = None) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            value, grads = mx.value_and_grad(g, argnums=list(range(len(argnums))))(*diff)
            return value, tuple(grads) if isinstance(grads, (list, tuple)) else (grads,)

        return call

    # -- second order --
    def _grad_of(self, g: Callable[..., Any], n: int) -> Callable[..., Any]:
        grad = self._mx.grad(g, argnums=list(range(n)))

        def all_grads(*xs: Any) -> list[Any]:
            out = grad(*xs)
            return list(out) if isinstance(out, (list, tuple)) else [out]

        return all_grads

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        mx = self._mx

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return tuple(mx.jvp(self._grad_of(g, len(diff)), list(diff), list(tangents))[1])

        return call

    def _hvp_rev_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        mx = self._mx

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return mx.jvp(lambda *ys: [g(*ys)], list(xs), list(tangents))[1][0]

            return tuple(self._grad_of(along_v, len(diff))(*diff))

        return call

    def _hvp_rev_rev(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        mx = self._mx

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return tuple(mx.vjp(self._grad_of(g, len(diff)), list(diff), list(tangents))[1])

        return call

    def _jvp_fwd_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        mx = self._mx

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return mx.jvp(lambda *ys: tree_leaves(g(*ys)), list(xs), list(tangents))[1]

            return _rebuild(mx.jvp(along_v, list(diff), list(tangents))[1], g(*diff))

        return call
