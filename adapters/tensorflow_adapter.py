"""TensorFlow: modes eager and jit (``tf.function``).

- VJP and value-and-gradient: ``tf.GradientTape`` with ``output_gradients``; inputs an output
  does not reach get zeros (``UnconnectedGradients.ZERO``).
- JVP: ``tf.autodiff.ForwardAccumulator``.
- HVP: a ForwardAccumulator around a GradientTape (forward over reverse, as TensorFlow's
  documentation does it). The other nestings: a GradientTape around a ForwardAccumulator
  (reverse over forward), two GradientTapes (reverse over reverse, the tape's
  ``output_gradients`` carrying v) and two ForwardAccumulators (forward over forward: the
  outer one watches the inner one's JVP computation).

Nested forward mode runs on TensorFlow's exact-shape JVP functions: after 32 traces of an op in
one process TensorFlow switches to relaxed-shape ones, and nested ForwardAccumulators through
those gave wrong values or raised (``__forward___forward__jvp_relaxed_shapes``) for some cases
late in a long matrix run, never in a fresh process; so each nested forward call starts with
TensorFlow's per-op trace counter reset (``_exact_jvp_traces``), and a result never depends on
what the process ran before. The divergence table records the behaviour.

``xp`` lives in ``adapters.tensorflow_xp``. Indexing with integer arrays (``x[:, idx]``), which
TensorFlow tensors refuse, runs as TensorFlow users write it, ``tf.gather`` and
``tf.gather_nd`` (``adapters.tensorflow_indexing``), inside the adapter's calls only (the
indexing hook, ``index_types``/``index``).

Threads: ``tf.config.threading`` is set right after import, before TensorFlow's runtime starts
(afterwards it cannot change). Devices: ``cpu``, or ``gpu`` where TensorFlow sees one; every
call then runs under ``tf.device``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from adapters import threads
from adapters.base import COMPLEX_DTYPES, DTYPES, HALF_DTYPES, BaseAdapter, Unsupported
from adapters.namespace import Table
from refengine.tree import partial_in, tree_leaves

__all__ = ["TensorflowAdapter"]


class TensorflowAdapter(BaseAdapter):
    name = "tensorflow"
    framework = "tensorflow"
    distributions = ("tensorflow", "tensorflow-cpu")
    imported_version = True
    dtypes = DTYPES + COMPLEX_DTYPES + HALF_DTYPES
    complex_convention = "conjugate"  # measured by the matrix's complex_convention check
    modes = ("eager", "jit")
    mode_labels: ClassVar[Mapping[str, str]] = {"jit": "tf.function"}
    immutable_arrays = True  # no in-place writes: inputs_unchanged need not read back

    def _load(self) -> Table:
        # TensorFlow's C++ INFO lines (oneDNN notices) would drown the CLI's output; warnings
        # and errors still show. A user's own setting wins.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
        import tensorflow as tf

        self._tf = tf
        self._apply_threads(tf)  # first: it must precede TensorFlow's first op
        if self.device == "gpu" and not tf.config.list_physical_devices("GPU"):
            raise RuntimeError(f"TensorFlow {tf.__version__} sees no GPU")
        self._device_name = "/GPU:0" if self.device == "gpu" else "/CPU:0"
        from adapters import tensorflow_xp

        return tensorflow_xp.table()

    def _apply_threads(self, tf: Any) -> None:
        n = threads.requested()
        notes = []
        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
        except RuntimeError as exc:  # TensorFlow's runtime had already started
            notes.append(f"unchanged: {exc}")
        self._thread_report = {
            "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            "notes": notes,
        }

    def devices(self) -> list[str]:
        import tensorflow as tf

        return ["cpu", "gpu"] if tf.config.list_physical_devices("GPU") else ["cpu"]

    def _to_native(self, array: np.ndarray) -> Any:
        with self._tf.device(self._device_name):
            return self._tf.convert_to_tensor(array)

    def _to_numpy(self, value: Any) -> np.ndarray:
        return value.numpy() if hasattr(value, "numpy") else np.asarray(value)

    def sync(self, value: Any) -> Any:
        if self.device == "gpu":
            self._tf.test.experimental.sync_devices()
        return value

    def _classify(self, exc: Exception) -> str | None:
        message = str(exc)
        if isinstance(exc, LookupError) and "No gradient defined" in message:
            return message.splitlines()[0]
        if isinstance(exc, TypeError) and "are valid indices" in message:
            return "TensorFlow tensors take no such index: " + message
        # tf.vectorized_map (pfor) without its while-loop fallback: an op with no vectorised
        # form, or Python control flow on a tensor's value inside the traced function.
        if isinstance(exc, ValueError) and "No pfor vectorization defined" in message:
            found = re.search(r"No pfor vectorization defined for [^\s:]+", message)
            return ("tf.vectorized_map (pfor, no while-loop fallback): "
                    + (found.group(0) if found else "no vectorization of an op"))
        # pfor's other refusal: an op whose argument it can only take unbatched (the filter
        # of a convolution and of its input gradient, when the filter is what is mapped).
        if isinstance(exc, ValueError) and "expected to be loop invariant" in message:
            found = re.search(r'Input "[^"]+" of op \'[^\']+\' expected to be loop invariant',
                              message)
            return ("tf.vectorized_map (pfor, no while-loop fallback): "
                    + (found.group(0) if found else "an input must be loop invariant"))
        if type(exc).__name__ == "OperatorNotAllowedInGraphError":
            found = re.search(r"Using a symbolic `tf.Tensor` as a Python `bool` is not allowed",
                              message)
            return ("tf.vectorized_map traces the function, which branches in Python on a "
                    "tensor's value: " + (found.group(0) if found else message.splitlines()[-1]))
        if isinstance(exc, AttributeError) and "Tensor" in message and "no attribute" in message:
            return "TensorFlow tensors lack this array attribute (.T, ...): " + message
        # Grouped convolutions: CPU kernels compute the value, not the gradients. Eager mode
        # says so; tf.function fails in Conv2DBackpropFilter with a size mismatch instead.
        if "Gradients for grouped convolutions are not supported" in message or (
                "Conv2DBackprop" in message and "filter_size does not have enough" in message):
            return "TensorFlow computes grouped convolutions on CPU but not their gradients"
        return super()._classify(exc)

    def index_types(self) -> tuple[type, ...]:
        return (self._tf.Tensor,)

    def index(self, getitem: Callable[[Any, Any], Any], x: Any, key: Any) -> Any:
        """NumPy's integer-array indices as ``tf.gather``/``tf.gather_nd``
        (``adapters.tensorflow_indexing``); any other index is TensorFlow's own."""
        from adapters.tensorflow_indexing import numpy_getitem

        return numpy_getitem(getitem, x, key)

    def _compile(
        self, call: Callable[..., Any], mode: str
    ) -> tuple[Callable[..., Any], Callable[[], int] | None]:
        tf, device = self._tf, self._device_name
        count = [0]
        if mode == "jit":
            inner = call

            def traced(inputs: tuple[Any, ...], direction: Any) -> Any:
                count[0] += 1  # runs only while tf.function traces
                return inner(inputs, direction)

            call = tf.function(traced)

        traces = (lambda: count[0]) if mode == "jit" else None
        if self.device == "cpu":  # TensorFlow's default placement: no scope to pay for
            return call, traces

        def run(inputs: tuple[Any, ...], direction: Any = None) -> Any:
            with tf.device(device):
                return call(inputs, direction)

        return run, traces

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        tf = self._tf

        def call(inputs: tuple[Any, ...], cotangent: Any) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            with tf.GradientTape() as tape:
                tape.watch(diff)
                out = g(*diff)
            pairs = [(o, c) for o, c in zip(tree_leaves(out), tree_leaves(cotangent))
                     if o.dtype.is_floating or o.dtype.is_complex]  # integers carry none
            grads = tape.gradient(
                [o for o, _ in pairs], diff, output_gradients=[c for _, c in pairs],
                unconnected_gradients=tf.UnconnectedGradients.ZERO,
            )
            return out, _dense(tf, grads)

        return call

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        tf = self._tf

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            with tf.autodiff.ForwardAccumulator(diff, list(tangents)) as acc:
                out = g(*diff)
            tangent = acc.jvp(out, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            return out, _dense_tangent(tf, tangent)

        return call

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        tf = self._tf

        def call(inputs: tuple[Any, ...], _direction: Any = None) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            with tf.GradientTape() as tape:
                tape.watch(diff)
                out = g(*diff)
            grads = tape.gradient(out, diff, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            return out, _dense(tf, grads)

        return call

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        tf = self._tf
        zero = tf.UnconnectedGradients.ZERO

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            _exact_jvp_traces()
            g, diff = partial_in(f, inputs, argnums)
            with tf.autodiff.ForwardAccumulator(diff, list(tangents)) as acc:
                with tf.GradientTape() as tape:
                    tape.watch(diff)
                    out = g(*diff)
                grads = _dense(tf, tape.gradient(out, diff, unconnected_gradients=zero))
            return _dense(tf, acc.jvp(list(grads), unconnected_gradients=zero))

        return call

    def _hvp_rev_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        tf = self._tf
        zero = tf.UnconnectedGradients.ZERO

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            _exact_jvp_traces()
            g, diff = partial_in(f, inputs, argnums)
            with tf.GradientTape() as tape:
                tape.watch(diff)
                with tf.autodiff.ForwardAccumulator(diff, list(tangents)) as acc:
                    out = g(*diff)
                along_v = acc.jvp(out, unconnected_gradients=zero)
            return _dense(tf, tape.gradient(along_v, diff, unconnected_gradients=zero))

        return call

    def _hvp_rev_rev(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        tf = self._tf
        zero = tf.UnconnectedGradients.ZERO

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            with tf.GradientTape() as outer:
                outer.watch(diff)
                with tf.GradientTape() as inner:
                    inner.watch(diff)
                    out = g(*diff)
                grads = _dense(tf, inner.gradient(out, diff, unconnected_gradients=zero))
            return _dense(tf, outer.gradient(list(grads), diff, output_gradients=list(tangents),
                                             unconnected_gradients=zero))

        return call

    def _jvp_fwd_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        tf = self._tf
        zero = tf.UnconnectedGradients.ZERO

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            _exact_jvp_traces()
            g, diff = partial_in(f, inputs, argnums)
            with tf.autodiff.ForwardAccumulator(diff, list(tangents)) as outer:
                with tf.autodiff.ForwardAccumulator(diff, list(tangents)) as inner:
                    out = g(*diff)
                along_v = inner.jvp(out, unconnected_gradients=zero)
            return outer.jvp(along_v, unconnected_gradients=zero)

        return call


    # -- transformations of a derivative (adapters.base.TRANSFORMS) --
    def _vmap_vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        tf = self._tf
        zero = tf.UnconnectedGradients.ZERO

        def call(inputs: tuple[Any, ...], cotangents: Any) -> Any:
            g, diff = partial_in(f, inputs, argnums)  # diff: batched; the rest shared

            def one(elems: tuple[Any, ...]) -> Any:
                *xs, ct = elems
                with tf.GradientTape() as tape:
                    tape.watch(xs)
                    out = g(*xs)
                return _dense(tf, tape.gradient(out, xs, output_gradients=ct,
                                                unconnected_gradients=zero))

            # No fallback to a while loop: an op pfor cannot vectorise is reported as such
            # (unsupported, with TensorFlow's message), not silently run one by one.
            return tuple(tf.vectorized_map(one, (*diff, cotangents),
                                           fallback_to_while_loop=False))

        return call

    def _jacrev(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        tf = self._tf

        def call(inputs: tuple[Any, ...], _direction: Any = None) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            with tf.GradientTape() as tape:
                tape.watch(diff)
                out = g(*diff)
            # TensorFlow's reverse-mode Jacobian, vectorised with pfor as by default.
            return tuple(tape.jacobian(out, diff,
                                       unconnected_gradients=tf.UnconnectedGradients.ZERO))

        return call

    def _jacfwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        tf = self._tf
        zero = tf.UnconnectedGradients.ZERO

        def call(inputs: tuple[Any, ...], _direction: Any = None) -> Any:
            # TensorFlow has no forward-mode Jacobian function: a ForwardAccumulator JVP per
            # basis tangent, vectorised over the basis with tf.vectorized_map as TensorFlow's
            # own forward-mode Jacobian tests do (pfor, falling back to a loop for an op it
            # cannot vectorise: the Jacobian, not the map, is what this checks).
            g, diff = partial_in(f, inputs, argnums)
            sizes = [d.shape.num_elements() for d in diff]  # static: the shapes are known
            if not sum(sizes):
                raise Unsupported(f"{self.name} jacfwd: no input entries to differentiate")
            basis = tf.eye(sum(sizes), dtype=diff[0].dtype)

            def column(e: Any) -> Any:
                parts = tf.split(e, sizes) if len(sizes) > 1 else [e]
                tangents = [tf.reshape(p, d.shape) for p, d in zip(parts, diff)]
                with tf.autodiff.ForwardAccumulator(diff, tangents) as acc:
                    out = g(*diff)
                return _dense_tangent(tf, acc.jvp(out, unconnected_gradients=zero))

            _exact_jvp_traces()
            try:
                columns = tf.vectorized_map(column, basis)  # (n_in, *out.shape)
            except Exception as exc:
                if type(exc).__name__ != "OperatorNotAllowedInGraphError":
                    raise
                # The case branches in Python on a tensor's value, which a traced map cannot
                # do: one eager JVP per basis tangent instead, as a TensorFlow user would.
                columns = tf.stack([column(basis[j]) for j in range(sum(sizes))])
            out_shape = columns.shape.as_list()[1:]
            moved = tf.reshape(tf.transpose(tf.reshape(columns, [sum(sizes), -1])),
                               [*out_shape, sum(sizes)])
            pieces = tf.split(moved, sizes, axis=-1) if len(sizes) > 1 else [moved]
            return tuple(tf.reshape(p, [*out_shape, *d.shape.as_list()])
                         for p, d in zip(pieces, diff))

        return call


def _dense_tangent(tf: Any, tangent: Any) -> Any:
    """A JVP as dense tensors: the tangent of ``unsorted_segment_sum`` comes back as
    ``tf.IndexedSlices`` (its JVP is built from the gather that is its gradient); densified,
    as gradients are (``_dense``)."""
    return tf.nest.map_structure(
        lambda t: tf.convert_to_tensor(t) if isinstance(t, tf.IndexedSlices) else t, tangent)

def _exact_jvp_traces() -> None:
    """Reset TensorFlow's count of JVP traces per op (module docstring: past 32 it switches to
    relaxed-shape JVP functions, which nested forward mode does not survive)."""
    from tensorflow.python.eager import forwardprop

    counts = getattr(forwardprop, "_TRACE_COUNT", None)
    if isinstance(counts, dict):
        with forwardprop._TRACE_COUNT_CONSISTENCY_LOCK:
            counts.clear()


def _dense(tf: Any, grads: Any) -> tuple[Any, ...]:
    """Gradients as dense tensors: TensorFlow returns the gradient of a gather as
    ``tf.IndexedSlices`` (rows and indices), which users densify with ``convert_to_tensor``."""
    return tuple(tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
                 for g in grads)

