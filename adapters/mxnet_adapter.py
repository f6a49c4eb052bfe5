"""MXNet 1.9 (``mx.nd`` with ``mxnet.autograd``), eager, in its own environment.

MXNet 1.9.1, its last release, needs NumPy < 1.24, so it runs out of process
(``adapters.environments``, ``adapters.remote``): ``python -m adapters.environments mxnet``
makes its environment, and the harness talks to this adapter in a worker there.

- VJP and value-and-gradient: ``autograd.record`` and ``autograd.backward`` with the cotangent
  as head gradient, what MXNet users run; the gradient buffers are fresh per call
  (``attach_grad`` on copies of the inputs).
- Second order, reverse over reverse (``hvp_rev_rev``, and ``hvp`` too, as in the HIPS
  autograd adapter, for MXNet has no forward mode): ``autograd.grad`` with
  ``create_graph=True``, then backward of <grad, v>. Many of MXNet's backward operators have
  no gradient of their own (``_backward_mul`` ...): MXNet then says "non-differentiable
  because it didn't register FGradient", and the quantity is unsupported, in its words.
- Forward mode: MXNet has none; JVPs and the nestings through forward mode are unsupported.
- Modes: eager only. Hybridized blocks (MXNet's graph compilation) are not wired in yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from adapters import threads
from adapters.base import BaseAdapter
from adapters.namespace import Table
from refengine.tree import tree_leaves

__all__ = ["MXNetAdapter"]


class MXNetAdapter(BaseAdapter):
    name = "mxnet"
    framework = "mxnet"
    distributions = ("mxnet",)
    modes = ("eager",)

    def prepare_environment(self) -> None:
        import os

        os.environ.setdefault("MXNET_ENGINE_TYPE", "NaiveEngine")  # synchronous, one thread
        os.environ.setdefault("OMP_NUM_THREADS", str(threads.requested()))

    def _load(self) -> Table:
        import mxnet as mx

        from adapters import mxnet_xp

        self._mx = mx
        mx.util.set_np_shape(True)  # 0-d arrays, as NumPy has
        mxnet_xp.install_matmul_operator()  # `@` in the cases: mx.np.matmul
        self._thread_report = {"engine": "NaiveEngine (synchronous)"}
        return mxnet_xp.table()

    def _to_native(self, array: np.ndarray) -> Any:
        nd = self._mx.nd
        if array.dtype == np.bool_:
            array = array.astype(np.float32)
        return nd.array(array, dtype=array.dtype)

    def _to_numpy(self, value: Any) -> np.ndarray:
        if isinstance(value, self._mx.nd.NDArray):
            return value.asnumpy()
        return np.asarray(value)

    def sync(self, value: Any) -> Any:
        for leaf in tree_leaves(value):
            if isinstance(leaf, self._mx.nd.NDArray):
                leaf.wait_to_read()
        return value

    # -- indexing (adapters.indexing) --
    def index_types(self) -> tuple[type, ...]:
        return (self._mx.nd.NDArray,)

    def index(self, getitem: Callable[[Any, Any], Any], x: Any, key: Any) -> Any:
        """NumPy's index arrays as NDArrays: a boolean mask as the integer indices of its
        True entries (NumPy's meaning; mx.nd has no bool arrays), an NDArray mask computed
        from values (``x[x > 0]``) through ``contrib.boolean_mask``."""
        nd = self._mx.nd
        if isinstance(key, nd.NDArray) and key.shape == x.shape and np.dtype(key.dtype).kind == "f":
            return nd.contrib.boolean_mask(x.reshape((-1,)), key.reshape((-1,)))
        parts = key if isinstance(key, tuple) else (key,)
        out: list[Any] = []
        for part in parts:
            if isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype == np.bool_:
                out.extend(nd.array(i, dtype=np.int64) for i in np.nonzero(part))
            elif isinstance(part, (list, np.ndarray)) and np.ndim(part) >= 1:
                out.append(nd.array(np.asarray(part), dtype=np.int64))
            else:
                out.append(part)
        return getitem(x, tuple(out) if isinstance(key, tuple) or len(out) > 1 else out[0])

    def _classify(self, exc: Exception) -> str | None:
        message = str(exc)
        if "non-differentiable because it didn't register FGradient" in message:
            line = next((ln for ln in message.splitlines() if "FGradient" in ln), message)
            return line.strip()
        return super()._classify(exc)

    # -- reverse mode --
    def _watched(self, inputs: tuple[Any, ...], argnums: tuple[int, ...]) -> list[Any]:
        full = list(inputs)
        for i in argnums:
            full[i] = inputs[i].copy()
            full[i].attach_grad()
        return full

    def _reverse(self, f: Callable[..., Any], argnums: tuple[int, ...],
                 inputs: tuple[Any, ...], cotangent: Any) -> tuple[Any, tuple[Any, ...]]:
        autograd = self._mx.autograd
        full = self._watched(inputs, argnums)
        with autograd.record():
            out = f(*full)
        outs = tree_leaves(out)
        cts = None if cotangent is None else tree_leaves(cotangent)
        try:
            autograd.backward(outs, head_grads=cts)
        except self._mx.base.MXNetError as exc:
            if "not in a computational graph" not in str(exc):
                raise
            # No output depends on a watched input (argmax, comparisons): zero gradients.
            return out, tuple(self._mx.nd.zeros_like(full[i]) for i in argnums)
        return out, tuple(full[i].grad for i in argnums)

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return lambda inputs, cotangent: self._reverse(f, argnums, inputs, cotangent)

    def _value_and_grad(self, f: Callable[..., Any],
                        argnums: tuple[int, ...]) -> Callable[..., Any]:
        return lambda inputs, _direction=None: self._reverse(f, argnums, inputs, None)

    # -- second order: reverse over reverse --
    def _hvp_rev_rev(self, f: Callable[..., Any],
                     argnums: tuple[int, ...]) -> Callable[..., Any]:
        autograd, nd = self._mx.autograd, self._mx.nd

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            full = self._watched(inputs, argnums)
            diff = [full[i] for i in argnums]
            with autograd.record():
                out = f(*full)
                grads = autograd.grad(out, diff, create_graph=True, retain_graph=True)
                inner = nd.add_n(*[nd.sum(g * t) for g, t in zip(grads, tangents)])
            try:
                inner.backward()
            except self._mx.base.MXNetError as exc:
                if "no inputs in computation graph that require gradients" not in str(exc):
                    raise
                # The gradient does not depend on the inputs (f is linear): H v = 0.
                return tuple(nd.zeros_like(d) for d in diff)
            return tuple(d.grad for d in diff)

        return call

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        # MXNet has no forward mode: its HVP is reverse over reverse, as HIPS autograd's is.
        return self._hvp_rev_rev(f, argnums)
