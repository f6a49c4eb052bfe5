"""tinygrad, in process; modes eager and jit (``TinyJit``).

- VJP and value-and-gradient: ``Tensor.gradient`` (tinygrad's reverse mode, the one its
  ``backward`` calls), with the cotangent as the output's gradient; several outputs are
  joined into the scalar sum of <output, cotangent>.
- Second order: reverse over reverse only (``hvp`` and ``hvp_rev_rev``): the gradient of
  <gradient, v>, as for HIPS autograd and MXNet.
- Forward mode: tinygrad has none, so JVPs and the nestings through forward mode are
  unsupported, with that reason.
- jit: ``TinyJit`` over the whole quantity. TinyJit runs the Python function twice (a warm-up
  and the capture) and then replays the captured kernels with new input buffers, so the
  function must do the same work for every input. Cases that branch on values declare it,
  and the harness makes them unsupported in every jit mode, so no stale capture is replayed.
- Device: tinygrad's ``CPU`` device compiles each kernel with clang (``$CC``). The
  ``tinygrad`` extra installs ``ziglang`` from PyPI, whose ``zig cc`` is clang
  (``adapters.tinygrad_compiler``: ``$CC`` if set, else zig cc, else a clang on the PATH).
  With none, the adapter runs tinygrad's ``PYTHON`` device (its reference emulator: no
  compiler, slower) and its thread report says so; ``GRADPARITY_TINYGRAD_DEVICE`` picks one.
- Float64: both devices compute in float64 where asked (tinygrad's default float is float32;
  the inputs here carry their own dtype).

``xp`` lives in ``adapters.tinygrad_xp``; its docstring lists what tinygrad lacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from adapters.base import BaseAdapter
from adapters.mlx_adapter import masks_as_indices
from adapters.namespace import Table
from adapters.outcomes import Unsupported
from refengine.tree import partial_in, tree_leaves

__all__ = ["DEVICE_VARIABLE", "TinygradAdapter", "device_choice"]

DEVICE_VARIABLE = "GRADPARITY_TINYGRAD_DEVICE"
_NO_FORWARD = "tinygrad has no forward mode (Tensor.gradient is reverse mode only)"


def device_choice() -> tuple[str, str, str | None]:
    """(tinygrad device, why, the ``CC`` to compile with or None): ``GRADPARITY_TINYGRAD_DEVICE``,
    else CPU where a C compiler tinygrad can use exists (``adapters.tinygrad_compiler``), else
    PYTHON."""
    from adapters.tinygrad_compiler import choose

    compiler = choose()
    named = os.environ.get(DEVICE_VARIABLE, "").strip().upper()
    if named:
        return named, f"{DEVICE_VARIABLE}={named}; {compiler.why}", compiler.cc
    if compiler.cc is not None:
        return "CPU", compiler.why, compiler.cc
    return "PYTHON", compiler.why, None


class TinygradAdapter(BaseAdapter):
    name = "tinygrad"
    framework = "tinygrad"
    distributions = ("tinygrad",)
    modes = ("eager", "jit")
    mode_labels: ClassVar[Mapping[str, str]] = {"jit": "TinyJit"}

    def prepare_environment(self) -> None:
        self._tiny_device, self._device_reason, self._cc = device_choice()

    def _load(self) -> Table:
        import tinygrad
        from tinygrad import Device, Tensor
        from tinygrad.helpers import DEV, PARALLEL

        from adapters import tinygrad_xp

        self._tiny, self._Tensor = tinygrad, Tensor
        DEV.value = self._tiny_device  # tinygrad's default device, for every tensor made
        # Compile in this process. tinygrad otherwise compiles a batch of kernels in a pool of
        # spawned processes, which read CC afresh (the environment is put back below, so they
        # would run plain `clang`, absent where zig cc is the compiler) and would add processes
        # beside the one thread every framework gets.
        PARALLEL.value = 0
        # tinygrad reads CC through its cached getenv("CC", "clang") at its first compilation,
        # which may come from its disk cache at any later point: set CC, read it once through
        # that same call so the cache holds it, and put the environment back, so that nothing
        # else in this process (torch's extension builder reads CC) sees the wrapper.
        before = os.environ.get("CC")
        if self._cc is not None:
            os.environ["CC"] = self._cc
        try:
            from tinygrad.helpers import getenv

            getenv("CC", "clang")
            Tensor.empty(1).realize()  # fails here, with the device's reason, if it cannot run
        finally:
            if before is None:
                os.environ.pop("CC", None)
            else:
                os.environ["CC"] = before
        self._thread_report = {"tinygrad_device": Device.DEFAULT,
                               "why": self._device_reason}
        return tinygrad_xp.table()

    def _to_native(self, array: np.ndarray) -> Any:
        from adapters.tinygrad_xp import asarray

        return asarray(array).realize()  # (np.ascontiguousarray would make a 0-d array 1-d)

    def _to_numpy(self, value: Any) -> np.ndarray:
        if isinstance(value, self._Tensor):
            return value.numpy()
        return np.asarray(value)

    def sync(self, value: Any) -> Any:
        leaves = [v for v in tree_leaves(value) if isinstance(v, self._Tensor)]
        if leaves:
            self._Tensor.realize(*leaves)
        return value

    # -- indexing: tinygrad indexes with its own integer tensors, and has no boolean masks --
    def index_types(self) -> tuple[type, ...]:
        return (self._Tensor,)

    def index(self, getitem: Callable[[Any, Any], Any], x: Any, key: Any) -> Any:
        if isinstance(key, self._Tensor) and key.dtype == self._tiny.dtypes.bool:
            raise Unsupported("tinygrad cannot index with a boolean tensor (a shape that "
                              "depends on values)")
        return getitem(x, masks_as_indices(key, self._index_tensor))

    def _index_tensor(self, array: np.ndarray) -> Any:
        return self._Tensor(np.ascontiguousarray(array).astype(np.int32))

    # -- jit --
    def _compile(
        self, call: Callable[..., Any], mode: str
    ) -> tuple[Callable[..., Any], Callable[[], int] | None]:
        if mode == "eager":
            return call, None
        from tinygrad import TinyJit

        count: list[int] = [0]
        shape: list[Any] = []
        # One TinyJit per input signature (shapes and dtypes): a capture replays its kernels
        # for buffers like the ones it was captured with, so a quantity prepared once and
        # called in float64 and then float32 (the matrix's dtypes share the prepared call)
        # needs a capture of each, as jax.jit traces again for a new signature. One TinyJit
        # for all made the first full matrix's float32 items "args mismatch in JIT" errors.
        captures: dict[Any, Any] = {}

        def flat(*arrays: Any) -> Any:
            count[0] += 1  # TinyJit runs the Python function on its first two calls only
            n_inputs, has_direction, treedef = shape[0]
            inputs = tuple(arrays[:n_inputs])
            direction = _unflatten(treedef, arrays[n_inputs:]) if has_direction else None
            out = call(inputs, direction)
            leaves = [v for v in tree_leaves(out) if isinstance(v, self._Tensor)]
            if leaves:
                self._Tensor.realize(*leaves)
            return out

        def run(inputs: tuple[Any, ...], direction: Any = None) -> Any:
            leaves, treedef = _flatten(direction)
            key = (len(inputs), direction is not None, treedef)
            if shape and shape[0] != key:
                raise Unsupported("TinyJit replays one call signature; this quantity was "
                                  "captured with another")
            shape[:] = [key]
            arrays = (*inputs, *leaves)
            signature = tuple((tuple(a.shape), str(a.dtype)) if isinstance(a, self._Tensor)
                              else (type(a).__name__, repr(a)) for a in arrays)
            if signature not in captures:
                captures[signature] = TinyJit(flat)
            return captures[signature](*arrays)

        return run, lambda: count[0]

    def _classify(self, exc: Exception) -> str | None:
        message = str(exc)
        if isinstance(exc, (AssertionError, RuntimeError)) and "jit" in message.lower():
            return f"TinyJit: {message.splitlines()[0]}"
        # TinyJit captures kernels; a function that launches none (the VJP of a reshape is a
        # reshape of the cotangent, a view) is refused on the capturing call.
        if type(exc).__name__ == "JitError" and "didn't JIT anything" in message:
            return ("TinyJit: didn't JIT anything (the function launches no kernels: its "
                    "result is a view of its inputs)")
        # tinygrad tensors are lazy and have no truth value: a case that branches in Python
        # on a value cannot run (tinygrad users call .item() or .numpy() first).
        if isinstance(exc, TypeError) and "__bool__ on Tensor is not defined" in message:
            return ("tinygrad tensors have no truth value (__bool__ on Tensor is not defined): "
                    "the case branches in Python on a tensor's value")
        return super()._classify(exc)

    # -- reverse mode --
    def _reverse(self, f: Callable[..., Any], argnums: tuple[int, ...],
                 inputs: tuple[Any, ...], cotangent: Any) -> tuple[Any, tuple[Any, ...]]:
        g, diff = partial_in(f, inputs, argnums)
        out = g(*diff)
        outs = tree_leaves(out)
        if cotangent is None:
            grads = outs[0].gradient(*diff)
        elif len(outs) == 1:
            grads = outs[0].gradient(*diff, gradient=tree_leaves(cotangent)[0])
        else:
            total = None
            for o, c in zip(outs, tree_leaves(cotangent)):
                if not self._tiny.dtypes.is_float(o.dtype):
                    continue
                term = (o * c).sum()
                total = term if total is None else total + term
            grads = total.gradient(*diff) if total is not None else [d.zeros_like() for d in diff]
        return out, tuple(grads)

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return lambda inputs, cotangent: self._reverse(f, argnums, inputs, cotangent)

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        return lambda inputs, _direction=None: self._reverse(f, argnums, inputs, None)

    def _hvp_rev_rev(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            grads = g(*diff).gradient(*diff)
            inner = None
            for gr, t in zip(grads, tangents):
                term = (gr * t).sum()
                inner = term if inner is None else inner + term
            return tuple(inner.gradient(*diff))

        return call

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return self._hvp_rev_rev(f, argnums)  # no forward mode: reverse over reverse

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise Unsupported(_NO_FORWARD)

    def _hvp_rev_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        raise Unsupported(_NO_FORWARD)

    def _jvp_fwd_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        raise Unsupported(_NO_FORWARD)


def _flatten(tree: Any) -> tuple[list[Any], Any]:
    """Leaves and a hashable description of a direction (None, an array, or tuples)."""
    if tree is None:
        return [], None
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        return [leaf for p in parts for leaf in p[0]], tuple(p[1] for p in parts)
    return [tree], "leaf"


def _unflatten(treedef: Any, leaves: Any) -> Any:
    it = iter(leaves)

    def build(d: Any) -> Any:
        if d == "leaf":
            return next(it)
        return tuple(build(x) for x in d)

    return build(treedef)
