"""The adapter contract, typed: what a ``BaseAdapter`` subclass provides (``AdapterHooks``).

``adapters.base.Adapter`` is what the harness calls; ``BaseAdapter`` implements all of it
(caching, conversion, error classification, the NumPy-level methods) from the hooks below, so
an adapter, built in or a plug-in, writes only these. The README's "Writing an adapter" walks
through them with an example.

Shapes. A builder (``_vjp``, ``_jvp``, ``_value_and_grad``, ``_hvp``, the three other
nestings and the transformations) takes ``f`` and ``argnums``: ``f(*inputs)`` computes the
case on the framework's own arrays (``xp`` is already bound), ``argnums`` says which inputs
are differentiated. It returns a ``Call``, ``call(inputs, direction)``, where ``inputs`` is
the tuple of native arrays (every input, differentiated or not) and ``direction``:

=================  ======================================  ===================================
quantity           direction                               call returns
=================  ======================================  ===================================
value              None                                    out
vjp                cotangent (shaped like out)             (out, (one cotangent per argnum,))
jvp                (one tangent per argnum,)               (out, tangent of out)
value_and_grad     None (f is scalar)                      (value, (one gradient per argnum,))
hvp, hvp_rev_fwd,  (one tangent per argnum,) (f scalar)    (one H v entry per argnum,)
hvp_rev_rev
jvp_fwd_fwd        (one tangent per argnum,)               f''(x)[v, v], shaped like out
vmap_vjp           cotangents, batched (B, *out.shape);    (one batched cotangent per argnum,
                   the inputs at argnums are batched too   each (B, *input.shape))
jacfwd, jacrev     None                                    (one Jacobian per argnum, each
                                                           out.shape + input.shape)
=================  ======================================  ===================================

``vmap_vjp`` is the framework's own vectorising map over its VJP (``jax.vmap``,
``torch.func.vmap``, ``tf.vectorized_map``); a framework without one leaves the default, which
declines. ``jacfwd``/``jacrev`` are the full Jacobian by forward and by reverse mode (the
``TRANSFORMS`` of ``adapters.base``; the checks ``vmap_grad`` and ``jacfwd_vs_jacrev``).

Everything returned is native arrays; ``BaseAdapter`` converts with ``_to_numpy`` outside any
timed region. Inputs an output does not reach get zeros, never None.

Declining: a builder (or ``prepare``) that cannot build a quantity raises
``adapters.Unsupported`` with the reason; the checks record ``unsupported`` and the timings
leave it out, never ``error``. NotImplementedError counts the same; the default builders
decline. ``_classify`` names the framework's own exceptions that mean "cannot do this".

The op table (``_load``): ``{qualified vocabulary name: (function, coverage word)}``, the
names those of ``adapters.vocabulary`` (``"sin"``, ``"linalg.solve"``, ``"special.erf"``,
``"nn.relu"``, ``"grad"``), the words ``native``/``composite``/``missing``; build it with
``adapters.base.table_from_names`` and ``by_name``. A name left out is ``missing``: a case
that calls it is ``unsupported`` on this adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["AdapterHooks", "Builder", "Call"]

# call(inputs, direction) -> native results (the table above).
Call = Callable[[tuple[Any, ...], Any], Any]
# builder(f, argnums) -> Call, where f(*inputs) computes the case on native arrays.
Builder = Callable[[Callable[..., Any], tuple[int, ...]], Call]


@runtime_checkable
class AdapterHooks(Protocol):
    """What an adapter subclassing ``adapters.base.BaseAdapter`` fills in; ``BaseAdapter``
    has a default for every method, so a minimal adapter writes ``_load``, the conversions and
    the builders its framework has."""

    name: str  # the adapter's name in reports and on the command line
    framework: str  # the module ``available()`` imports, lazily
    distributions: tuple[str, ...]  # read for versions() without importing the framework
    modes: tuple[str, ...]  # "eager", and "jit" where the framework compiles
    dtypes: tuple[str, ...]
    derivatives: bool  # False: values only (the NumPy adapter)
    mode_labels: Mapping[str, str]  # how reports name a mode ({"jit": "tf.function"})

    def prepare_environment(self) -> None:
        """Before the framework's first import: set what it reads at import."""

    def _load(self) -> Mapping[str, tuple[Callable[..., Any] | None, str]]:
        """Once the framework is imported: its op table (the module docstring)."""
        ...

    def _to_native(self, array: np.ndarray) -> Any:
        """One NumPy array as the framework's array, on the adapter's device."""
        ...

    def _to_numpy(self, value: Any) -> np.ndarray:
        """One framework array as a NumPy array."""
        ...

    def sync(self, value: Any) -> Any:
        """Return ``value`` once it is computed: block on asynchronous dispatch
        (``block_until_ready``, ``torch.cuda.synchronize``) so that a timed call includes
        the work; a no-op for a synchronous framework."""
        ...

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _value_and_grad(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _hvp_rev_fwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _hvp_rev_rev(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _jvp_fwd_fwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _vmap_vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _jacfwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...
    def _jacrev(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Call: ...

    def _compile(self, call: Call, mode: str) -> tuple[Call, Callable[[], int] | None]:
        """``call`` for ``mode`` (a jit mode compiles it) and a trace counter (None in eager
        modes), which lets the timings tell compile time apart."""
        ...

    def _classify(self, exc: Exception) -> str | None:
        """A reason when the framework's ``exc`` means "cannot do this" (unsupported)."""
        ...

    def index_types(self) -> tuple[type, ...]:
        """The array classes whose ``x[key]`` goes through ``index`` (default none)."""
        ...

    def index(self, getitem: Callable[[Any, Any], Any], x: Any, key: Any) -> Any:
        """``x[key]`` with NumPy's index arrays (``adapters.indexing``)."""
        ...

    def versions(self) -> dict[str, str]:
        """``{distribution or framework: version}`` for the reports."""
        ...
