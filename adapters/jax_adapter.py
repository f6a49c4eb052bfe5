"""JAX: ``jax.numpy``, ``jax.scipy.special`` and ``jax.nn``; modes eager and jit.

Every vocabulary name is a JAX function except ``nn.softmax_cross_entropy`` (a composite:
JAX's is in optax). ``cummax`` and ``topk`` are ``lax.cummax`` and ``lax.top_k``;
``nn.layer_norm`` is ``jax.nn.standardize`` times the weight plus the bias. Thin wrappers only adapt
arguments: ``eigh`` reads the lower triangle as NumPy does (``UPLO="L"``,
``symmetrize_input=False``; JAX's default symmetrizes, which changes the derivative a
non-symmetric perturbation sees), ``svd`` is thin by default, ``clip`` accepts NumPy's
``a_min``/``a_max``, ``gelu`` is exact (JAX's default is the tanh approximation), and
``softmax``/``log_softmax`` take ``axis`` positionally as SciPy does.

Float64 (``x64``): JAX computes in float32 unless x64 is enabled, and enabling it globally
(``jax_enable_x64``) would change every other JAX user in the process. This adapter instead
enters the scoped, thread-local ``jax.enable_x64(True)`` context around everything it does:
conversion, tracing and every call of a prepared function. Nothing outside the adapter sees
x64; the cost is one context switch per call (about 0.5 us measured here, inside timings).

Second order: the HVP is ``jax.jvp`` over ``jax.grad`` (forward over reverse, as JAX's
documentation recommends); the other nestings are ``jax.grad`` over ``jax.jvp``, ``jax.vjp``
over ``jax.grad`` and ``jax.jvp`` over ``jax.jvp``, jitted whole in the jit mode.

Threads: XLA's CPU thread flags are set (``adapters.threads``) but XLA does not honour them;
only the process CPU affinity bounds JAX (``threads.configure(n, pin=True)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from adapters import conv_xp, transforms_xp
from adapters.arguments import like_structure
from adapters.base import COMPLEX_DTYPES, DTYPES, HALF_DTYPES, BaseAdapter
from adapters.namespace import Table, by_name, table_from_names
from adapters.vocabulary import NO_NUMPY_FUNCTION, array_names
from refengine.tree import partial_in

__all__ = ["JaxAdapter"]


def _table() -> Table:
    import jax
    import jax.numpy as jnp
    import jax.scipy.special as jsp

    def clip(x: Any, a_min: Any = None, a_max: Any = None) -> Any:
        return jnp.clip(x, a_min, a_max)

    def eigh(a: Any) -> Any:
        return jnp.linalg.eigh(a, UPLO="L", symmetrize_input=False)

    def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
        return jnp.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)

    def softmax(x: Any, axis: Any = None) -> Any:
        return jsp.softmax(x, axis=axis)

    def log_softmax(x: Any, axis: Any = None) -> Any:
        return jsp.log_softmax(x, axis=axis)

    def gelu(x: Any) -> Any:
        return jax.nn.gelu(x, approximate=False)

    def cummax(x: Any, axis: int = -1) -> Any:
        return jax.lax.cummax(x, axis=axis % x.ndim)

    def topk(x: Any, k: int) -> Any:
        return jax.lax.top_k(x, k)[0]

    def layer_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
        out = jax.nn.standardize(x, axis=-1, epsilon=eps)
        out = out if weight is None else out * weight
        return out if bias is None else out + bias

    def softmax_cross_entropy(logits: Any, labels: Any) -> Any:
        # jax has no cross-entropy function (optax's is outside JAX).
        return -jnp.sum(labels * jax.nn.log_softmax(logits, axis=-1), axis=-1)

    main = [n for n in array_names() if n not in NO_NUMPY_FUNCTION]
    return {
        **table_from_names(jnp, main, overrides=by_name(clip, cummax, topk)),
        **table_from_names(jax, "grad"),
        **table_from_names(jnp.linalg, array_names("linalg"), "linalg.",
                           overrides=by_name(eigh, svd)),
        **table_from_names(jsp, array_names("special"), "special.",
                           overrides=by_name(softmax, log_softmax)),
        **table_from_names(jax.nn, "relu softplus log_sigmoid", "nn.",
                           overrides=by_name(gelu, layer_norm),
                           composites=by_name(softmax_cross_entropy)),
        **conv_xp.jax_table(),
        **table_from_names(jnp.fft, array_names("fft"), "fft."),
        **transforms_xp.jax_table(),
    }


def _experimental_x64() -> Any:
    from jax.experimental import enable_x64

    return enable_x64


class JaxAdapter(BaseAdapter):
    name = "jax"
    dtypes = DTYPES + COMPLEX_DTYPES + HALF_DTYPES
    framework = "jax"
    distributions = ("jax", "jaxlib")
    modes = ("eager", "jit")
    mode_labels: ClassVar[Mapping[str, str]] = {"jit": "jax.jit"}
    immutable_arrays = True  # no in-place writes: inputs_unchanged need not read back

    def _load(self) -> Table:
        import jax

        self._jax = jax
        # The scoped x64 switch: jax.enable_x64 in recent releases, jax.experimental's in
        # older ones (an older release run side by side, adapters.environments).
        x64 = getattr(jax, "enable_x64", None)  # a config object: no truth value
        self._x64 = _experimental_x64() if x64 is None else x64
        self._device = jax.devices(self.device)[0]
        self._thread_report = {
            "xla": "XLA CPU thread flags are set but not honoured; only CPU affinity "
                   "(threads.configure(n, pin=True)) bounds JAX's threads",
        }
        return _table()

    def devices(self) -> list[str]:
        import jax

        return sorted({d.platform for d in jax.devices()} | {"cpu"})

    def _to_native(self, array: np.ndarray) -> Any:
        with self._x64(True):
            return self._jax.device_put(array, self._device)

    def sync(self, value: Any) -> Any:
        return self._jax.block_until_ready(value)

    def _compile(
        self, call: Callable[..., Any], mode: str
    ) -> tuple[Callable[..., Any], Callable[[], int] | None]:
        jax = self._jax
        if mode == "eager":
            def eager(inputs: tuple[Any, ...], direction: Any = None) -> Any:
                with self._x64(True):
                    return call(inputs, direction)

            return eager, None
        count = [0]

        def traced(inputs: tuple[Any, ...], direction: Any) -> Any:
            count[0] += 1  # runs only while JAX traces, so it counts compilations
            return call(inputs, direction)

        jitted = jax.jit(traced)

        def run(inputs: tuple[Any, ...], direction: Any = None) -> Any:
            with self._x64(True):
                return jitted(inputs, direction)

        return run, lambda: count[0]

    def _classify(self, exc: Exception) -> str | None:
        import jax

        if isinstance(exc, (jax.errors.ConcretizationTypeError,
                            jax.errors.NonConcreteBooleanIndexError)):
            # Data-dependent shapes or control flow: jit cannot trace the case.
            return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        return super()._classify(exc)

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        jax = self._jax

        def call(inputs: tuple[Any, ...], cotangent: Any) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            out, vjp_fn = jax.vjp(g, *diff)
            return out, vjp_fn(like_structure(cotangent, out))

        return call

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        jax = self._jax

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return jax.jvp(g, tuple(diff), tuple(tangents))

        return call

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        vg = self._jax.value_and_grad(f, argnums=argnums)
        return lambda inputs, _direction=None: vg(*inputs)

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        jax = self._jax
        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            # Forward over reverse, as JAX's documentation recommends for HVPs.
            return jax.jvp(jax.grad(g, argnums=everything), tuple(diff), tuple(tangents))[1]

        return call

    def _hvp_rev_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        jax = self._jax
        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return jax.jvp(g, xs, tuple(tangents))[1]

            return jax.grad(along_v, argnums=everything)(*diff)

        return call

    def _hvp_rev_rev(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        jax = self._jax
        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            _, vjp_fn = jax.vjp(jax.grad(g, argnums=everything), *diff)
            return vjp_fn(tuple(tangents))

        return call

    def _jvp_fwd_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        jax = self._jax

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return jax.jvp(g, xs, tuple(tangents))[1]

            return jax.jvp(along_v, tuple(diff), tuple(tangents))[1]

        return call

    # -- transformations of a derivative (adapters.base.TRANSFORMS) --
    def _vmap_vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        jax = self._jax

        def call(inputs: tuple[Any, ...], cotangents: Any) -> Any:
            g, diff = partial_in(f, inputs, argnums)  # diff: batched; the rest shared

            def one(xs: tuple[Any, ...], ct: Any) -> Any:
                out, vjp_fn = jax.vjp(g, *xs)
                return vjp_fn(like_structure(ct, out))

            return jax.vmap(one)(tuple(diff), cotangents)

        return call

    def _jacfwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return self._full_jacobian(f, argnums, self._jax.jacfwd)

    def _jacrev(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return self._full_jacobian(f, argnums, self._jax.jacrev)
