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
- Modes: eager, and ``jit`` (labelled "hybridize"): MXNet's graph compilation. MXNet 1.9.1
  has no deferred compute, and a ``HybridBlock`` traces ``hybrid_forward`` with shapeless
  ``Symbol``s that the cases cannot run on (README, "MXNet's hybridized mode"); so the case
  runs once eagerly under ``autograd.record`` on leaf copies of the inputs, the recorded graph
  is read back (``autograd.get_symbol``) into a ``gluon.SymbolBlock`` and ``hybridize()``d, and
  every later call runs that block (a ``CachedOp``) with the inputs and the constants the
  trace made (``mxnet_xp.constant`` makes each a named variable). The derivatives are MXNet's
  autograd through the block. As under ``jax.jit``, a value read back into Python during the
  trace (``bool``, ``asnumpy``: data-dependent control flow) makes the case unsupported, and
  so does a nested ``xp.grad``. The first call (trace, graph, ``CachedOp``) is the compile.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np

from adapters import threads
from adapters.base import BaseAdapter, Prepared
from adapters.namespace import Table
from adapters.outcomes import Unsupported
from refengine.tree import tree_flatten, tree_leaves, tree_unflatten

__all__ = ["MXNetAdapter"]


class MXNetAdapter(BaseAdapter):
    name = "mxnet"
    framework = "mxnet"
    distributions = ("mxnet",)
    modes = ("eager", "jit")
    mode_labels: ClassVar[Mapping[str, str]] = {"jit": "hybridize"}

    def prepare_environment(self) -> None:
        import os

        os.environ.setdefault("MXNET_ENGINE_TYPE", "NaiveEngine")  # synchronous, one thread
        os.environ.setdefault("OMP_NUM_THREADS", str(threads.requested()))

    def _load(self) -> Table:
        import mxnet as mx

        from adapters import mxnet_xp

        self._mx = mx
        self._xpmod = mxnet_xp
        self._hybrid: weakref.WeakKeyDictionary[Any, Callable[..., Any]] = (
            weakref.WeakKeyDictionary())
        self._traces = 0
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
            if self._xpmod.TRACES:
                raise Unsupported("data-dependent: a mask computed from values gives a shape "
                                  "that depends on them, which a hybridized graph fixes once")
            return nd.contrib.boolean_mask(x.reshape((-1,)), key.reshape((-1,)))
        parts = key if isinstance(key, tuple) else (key,)
        out: list[Any] = []
        for part in parts:
            if isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype == np.bool_:
                out.extend(self._xpmod.constant(nd.array(i, dtype=np.int64))
                           for i in np.nonzero(part))
            elif isinstance(part, (list, np.ndarray)) and np.ndim(part) >= 1:
                out.append(self._xpmod.constant(nd.array(np.asarray(part), dtype=np.int64)))
            else:
                out.append(part)
        return getitem(x, tuple(out) if isinstance(key, tuple) or len(out) > 1 else out[0])

    def _classify(self, exc: Exception) -> str | None:
        message = str(exc)
        if "non-differentiable because it didn't register FGradient" in message:
            line = next((ln for ln in message.splitlines() if "FGradient" in ln), message)
            return line.strip()
        # mx.autograd.Function (xp.custom_vjp) records its backward through the custom-function
        # C API, which a hybridized block's symbolic graph cannot hold: MXNet stops with
        # "Not reached" there (c_api_function.cc; the full matrix, custom-vjp-* under jit).
        if "c_api_function.cc" in message and "Not reached" in message:
            return ("mx.autograd.Function cannot run inside a hybridized block (MXNet: 'Not "
                    "reached' in src/c_api/c_api_function.cc)")
        if "CachedOp does not support higher order gradients" in message:
            return ("CachedOp does not support higher order gradients (MXNet: \"please do not "
                    "use hybridize\" for backward with create_graph=True)")
        return super()._classify(exc)

    # -- the hybridized mode --
    def prepare(self, fn: Callable[..., Any], quantity: str, mode: str = "eager",
                argnums: Sequence[int] = (0,)) -> Prepared:
        if mode == "jit":
            self._require()
            if fn not in self._hybrid:
                self._hybrid[fn] = self._hybridized(fn)
            fn = self._hybrid[fn]
        return super().prepare(fn, quantity, mode, argnums)

    def _compile(self, call: Callable[..., Any],
                 mode: str) -> tuple[Callable[..., Any], Callable[[], int] | None]:
        return call, (lambda: self._traces) if mode == "jit" else None

    def _hybridized(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn(xp, *args)`` run as a hybridized block, traced once per input shapes."""
        blocks: dict[tuple[Any, ...], Any] = {}

        def hybrid(xp: Any, *args: Any) -> Any:
            key = tuple((a.shape, np.dtype(a.dtype).str) for a in args)
            if key not in blocks:
                blocks[key] = self._trace(fn, xp, args)
            block, feeds, structure = blocks[key]
            outs = block(*[args[i] if isinstance(i, int) else i[0] for i in feeds])
            return tree_unflatten(structure, list(outs) if isinstance(outs, (list, tuple))
                                  else [outs])

        hybrid.__name__ = getattr(fn, "__name__", "case")
        return hybrid

    def _trace(self, fn: Callable[..., Any], xp: Any,
               args: tuple[Any, ...]) -> tuple[Any, list[Any], Any]:
        mx, autograd = self._mx, self._mx.autograd
        self._traces += 1
        leaves = [a.copy() for a in args]
        for leaf in leaves:
            leaf.attach_grad()
        constants: list[Any] = []
        self._xpmod.TRACES.append(constants)
        try:
            with self._no_readback(), autograd.record():
                out = fn(xp, *leaves)
                # get_symbol of one output of a multi-output operator (nd.moments' variance)
                # names the operator, whose first output a SymbolBlock then returns: a copy
                # of each output makes it the one output of its own node.
                flat, structure = tree_flatten(out)
                flat = [self._mx.nd.identity(o) for o in flat]
        finally:
            self._xpmod.TRACES.pop()
        try:
            symbols = [autograd.get_symbol(o) for o in flat]
        except mx.base.MXNetError as exc:
            raise Unsupported("an output depends on no input: a hybridized MXNet graph has "
                              "nothing to compute it from") from exc
        graph = symbols[0] if len(symbols) == 1 else mx.sym.Group(symbols)
        names = {self._name(leaf): i for i, leaf in enumerate(leaves)}
        names.update({self._name(c): (c,) for c in constants})
        feeds = []
        for name in graph.list_inputs():
            if name not in names:
                raise Unsupported(f"the traced graph reads an array the trace did not make "
                                  f"({name}, read by {self._reader(graph, name)}): it cannot "
                                  f"be fed again")
            feeds.append(names[name])
        block = mx.gluon.SymbolBlock(graph, [mx.sym.var(n) for n in graph.list_inputs()])
        block.hybridize()
        return block, feeds, structure

    @staticmethod
    def _reader(graph: Any, name: str) -> str:
        """The operator of ``graph`` that reads the variable ``name``."""
        import json

        nodes = json.loads(graph.tojson())["nodes"]
        index = next(i for i, n in enumerate(nodes) if n["name"] == name)
        return next((n["op"] for n in nodes if any(e[0] == index for e in n["inputs"])), "?")

    def _name(self, leaf: Any) -> str:
        return self._mx.autograd.get_symbol(leaf).list_inputs()[0]

    @contextmanager
    def _no_readback(self) -> Iterator[None]:
        """While a trace runs, reading an array back into Python (data-dependent control flow)
        is unsupported, as a jit's tracer refuses it; the index arrays NDArray's indexing
        makes are constants of the trace."""
        cls = self._mx.nd.NDArray
        saved = {name: cls.__dict__[name] for name in ("__bool__", "asnumpy", "asscalar")}

        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise Unsupported("data-dependent: the hybridized mode traces the graph once, and "
                              "this case reads an array's value back into Python (control "
                              "flow on values)")

        # NDArray's advanced indexing turns integers and slices into index arrays of its own:
        # made from data, so constants of the trace too.
        to_array = cls.__dict__["_advanced_index_to_array"]
        constant = self._xpmod.constant

        def index_array(idx: Any, ax_len: int, ctx: Any) -> Any:
            return constant(to_array.__func__(idx, ax_len, ctx))

        for name in saved:
            setattr(cls, name, refuse)
        cls._advanced_index_to_array = staticmethod(index_array)
        try:
            yield
        finally:
            for name, method in saved.items():
                setattr(cls, name, method)
            cls._advanced_index_to_array = to_array

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
