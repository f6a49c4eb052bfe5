"""The one interface every AD system sits behind (``Adapter``) and what all adapters share
(``BaseAdapter``).

An adapter is a thin translator. It owns three things:

- ``xp``: the op vocabulary (``adapters/vocabulary.py``) mapped to the framework's own
  functions, with NumPy names and semantics, so that a case written once as
  ``fn(xp, *inputs)`` runs on every framework and the framework's own derivative formulas are
  what gets tested (``adapters/namespace.py`` builds it and defines the coverage words);
- conversion between NumPy arrays and the framework's arrays (never inside a timed region);
- the derivative transformations: value, VJP, JVP, value-and-gradient and HVP, the three
  other second-order nestings (``SECOND_ORDER``), and the transformations of a derivative
  (``TRANSFORMS``: a vectorised VJP, full Jacobians by forward and by reverse mode).

Two layers serve two callers. ``prepare`` returns a callable on framework-native arrays, for
timing (conversion stays outside; a jit mode compiles once per function and quantity and says
when it traced). ``value``/``vjp``/``jvp``/``grad``/``value_and_grad``/``hvp`` take and return
NumPy arrays and turn a framework's exception into ``Unsupported`` or ``FrameworkError``, for
checking; ``adapters.outcomes.attempt`` turns either into an ``Outcome`` so a run goes on after
a failure.

What a plug-in's adapter builds on stays importable from here: the table builder and coverage
words, the argument helpers, ``partial_in`` and the errors.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from adapters import threads
from adapters.arguments import (
    check_argnums,
    check_tangent_count,
    floating_argnums,
    like_structure,
    map_to_tuples,
)
from adapters.input_watch import InputWatching, changes
from adapters.namespace import (
    COMPOSITE,
    MISSING,
    NATIVE,
    Namespace,
    Table,
    by_name,
    table_from_names,
)
from adapters.numpy_args import axes_tuple
from adapters.outcomes import Availability, FrameworkError, Unavailable, Unsupported
from adapters.vocabulary import qualified_names
from refengine.tree import partial_in, tree_leaves

__all__ = [
    "COMPOSITE",
    "COMPLEX_DTYPES",
    "DTYPES",
    "HALF_DTYPES",
    "NUMPY_HALF_NOTES",
    "MISSING",
    "NATIVE",
    "QUANTITIES",
    "SECOND_ORDER",
    "TRANSFORMS",
    "Adapter",
    "Availability",
    "BaseAdapter",
    "FrameworkError",
    "Namespace",
    "Prepared",
    "Table",
    "Unavailable",
    "Unsupported",
    "axes_tuple",
    "by_name",
    "floating_argnums",
    "like_structure",
    "map_to_tuples",
    "partial_in",
    "table_from_names",
    "tree_leaves",
]

DTYPES = ("float32", "float64")
# Adapters that take complex cases list these too (cases opt in to them): the checks run on
# the case's real pair view, and ``complex_convention`` names the adapter's gradient
# convention, "refengine" (dL/dx - i dL/dy, HIPS autograd's and JAX's) or "conjugate"
# (dL/dx + i dL/dy, PyTorch's and TensorFlow's), which the matrix measures.
COMPLEX_DTYPES = ("complex64", "complex128")
# Half precision: the matrix runs every real case in these on adapters that list them
# (``cases.conformance.half``); bfloat16 arrays are ``ml_dtypes.bfloat16`` NumPy arrays. An
# adapter says in ``dtype_notes`` why it leaves one out.
HALF_DTYPES = ("float16", "bfloat16")
# NumPy computes float16 (its ufuncs round each result; linalg refuses it: unsupported), so
# the NumPy-based adapters (refengine, HIPS autograd) list it. bfloat16 (ml_dtypes) has
# elementwise loops only: matmul and dot return float32 and scipy.special float64, so a case
# would not be computed in bfloat16 at all.
NUMPY_HALF_NOTES: Mapping[str, str] = MappingProxyType({
    "bfloat16": "NumPy has bfloat16 (ml_dtypes) elementwise loops only: matmul/dot return "
                "float32 and scipy.special float64"})
# A framework refusing an op in a half dtype: its words for the dtype, and for refusing
# (torch "linalg.inv: Low precision dtypes not supported. Got Half", "... not implemented for
# 'BFloat16'"; NumPy "array type float16 is unsupported in linalg"; TensorFlow "Value for attr
# 'T' of bfloat16 is not in the list of allowed values", "Could not find device for node ...
# T=DT_HALF", "No OpKernel was registered to support Op 'MatrixTriangularSolve' ... T=DT_HALF").
# The op is then unsupported in that dtype, with the framework's message.
_HALF_WORDS = re.compile(r"float16|bfloat16|\bhalf\b|'Half'|Got Half|BFloat16|DT_HALF|"
                         r"DT_BFLOAT16|Low precision", re.IGNORECASE)
_REFUSAL_WORDS = re.compile(r"not supported|unsupported|not implemented|not in the list of "
                            r"allowed|could not find device|no opkernel was registered|"
                            r"no kernel", re.IGNORECASE)


def _declined_inside(exc: BaseException) -> Unsupported | None:
    """The ``Unsupported`` an adapter raised while a framework traced or vectorised its code,
    found along the exception chain: TensorFlow re-raises it as a ``StagingError`` whose
    ``__context__`` is the original (measured, TensorFlow 2.21, under ``tf.function`` and
    ``tf.vectorized_map``). Without this a decline inside a trace became an error record. Only
    a wrapper that quotes the decline counts: an error raised while some code handled an
    ``Unsupported`` (a fallback that then failed) has it as context too, and stays an error."""
    seen: set[int] = set()
    text = str(exc)
    link = exc.__cause__ or exc.__context__
    while link is not None and id(link) not in seen:
        if isinstance(link, Unsupported) and str(link) and str(link) in text:
            return link
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return None


# The second-order quantities beside ``hvp`` (forward over reverse), one per other nesting of
# the two modes, named <outer>_<inner>. A framework's rules can be right in one nesting and
# wrong in another (torch 2.13's cumprod at a zero entry: wrong forward over forward, right
# reverse over reverse), so each is its own quantity:
# - ``hvp_rev_fwd``: reverse over forward, the gradient of x -> J(x) v (scalar f): H v;
# - ``hvp_rev_rev``: reverse over reverse, the VJP with cotangent v of x -> grad f(x): H v;
# - ``jvp_fwd_fwd``: forward over forward, the JVP along v of x -> J(x) v: f''(x)[v, v],
#   shaped like the output (any f, not only scalar ones).
SECOND_ORDER = ("hvp_rev_fwd", "hvp_rev_rev", "jvp_fwd_fwd")
# What ``prepare`` can build. Directions: vjp takes a cotangent (one per output), jvp, hvp and
# the SECOND_ORDER quantities a tuple of tangents (one per differentiated input); value and
# value_and_grad take none.
# Transformations of a derivative, each checked against the plain derivative
# (``cases.conformance.transforms``):
# - ``vmap_vjp``: the framework's vectorising map over its VJP (jax.vmap, torch.func.vmap,
#   tf.vectorized_map): the differentiated inputs and the cotangent carry a leading batch
#   axis (the other inputs do not); one batched cotangent per differentiated input;
# - ``jacfwd`` and ``jacrev``: the full Jacobian by forward and by reverse mode, one array
#   per differentiated input, shaped ``out.shape + input.shape``; direction None.
TRANSFORMS = ("vmap_vjp", "jacfwd", "jacrev")
QUANTITIES = ("value", "vjp", "jvp", "value_and_grad", "hvp", *SECOND_ORDER, *TRANSFORMS)


@dataclass(frozen=True)
class Prepared:
    """A derivative quantity as a callable on framework-native arrays, for timing.

    ``prepared(inputs, direction)``: ``inputs`` is a tuple of native arrays, ``direction`` the
    cotangent (vjp), the tangents (jvp, hvp) or None. Returns native arrays: value -> out;
    vjp -> (out, cotangents); jvp -> (out, tangent_out); value_and_grad -> (value, grads);
    hvp, hvp_rev_fwd, hvp_rev_rev -> a tuple, one entry per differentiated input;
    jvp_fwd_fwd -> the second-order output tangent (shaped like the output); vmap_vjp -> a
    tuple of batched cotangents; jacfwd, jacrev -> a tuple of Jacobians (``TRANSFORMS``).

    ``traces()`` counts how often a jit mode has traced the Python function so far (None in
    eager modes): a call that raises it included tracing and compiling.
    """

    call: Callable[[tuple[Any, ...], Any], Any]
    quantity: str
    mode: str
    argnums: tuple[int, ...]
    traces: Callable[[], int] | None = None

    def __call__(self, inputs: tuple[Any, ...], direction: Any = None) -> Any:
        return self.call(inputs, direction)


# --- the protocol ----------------------------------------------------------------------------
@runtime_checkable
class Adapter(Protocol):
    """What the harness may rely on. ``BaseAdapter`` implements all of it from a few hooks."""

    name: str
    modes: tuple[str, ...]
    dtypes: tuple[str, ...]
    device: str

    def available(self) -> Availability: ...
    def versions(self) -> dict[str, str]: ...
    def threads(self) -> dict[str, Any]: ...
    @property
    def xp(self) -> Any: ...
    def coverage(self) -> dict[str, str]: ...
    def to_native(self, array: Any) -> Any: ...
    def to_numpy(self, value: Any) -> Any: ...
    def sync(self, value: Any) -> Any: ...
    def prepare(
        self, fn: Callable[..., Any], quantity: str, mode: str = "eager",
        argnums: Sequence[int] = (0,),
    ) -> Prepared: ...
    def value(self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager") -> Any: ...
    def vjp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], cotangent: Any, mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[Any, tuple[np.ndarray, ...]]: ...
    def jvp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> tuple[Any, Any]: ...
    def value_and_grad(
        self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]: ...
    def grad(
        self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]: ...
    def hvp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]: ...


# --- the shared implementation ---------------------------------------------------------------
class BaseAdapter(InputWatching):
    """Everything but the translation. A framework module subclasses it and fills in:

    ``framework`` (the module to import), ``distributions`` (for versions without importing),
    ``_load`` (import, apply thread settings, return the xp table), ``_to_native``/``_to_numpy``
    (one array), and ``_vjp``/``_jvp``/``_value_and_grad``/``_hvp`` (eager builders that take
    ``f(*inputs)`` and argnums and return ``call(inputs, direction)``). Jit modes override
    ``_compile``; frameworks with special failure messages override ``_classify``. Optional
    hooks: ``prepare_environment`` (before the framework's import) and ``index_types``/
    ``index`` (NumPy's index arrays in a case). A builder that cannot build its quantity
    raises ``Unsupported``. ``adapters.contract.AdapterHooks`` types all of it.
    """

    name: str = ""
    framework: str = ""
    distributions: tuple[str, ...] = ()
    # Report the imported framework's own ``__version__`` once it is loaded (TensorFlow ships
    # under several distribution names); else read the distributions' metadata.
    imported_version: bool = False
    modes: tuple[str, ...] = ("eager",)
    # How reports may name a mode ("jit" is tf.function in TensorFlow); default: the mode.
    mode_labels: ClassVar[Mapping[str, str]] = {}
    dtypes: tuple[str, ...] = DTYPES
    # Why a dtype the matrix runs (float16, bfloat16) is not in ``dtypes``: the record's reason.
    dtype_notes: ClassVar[Mapping[str, str]] = {}
    complex_convention: str = "refengine"
    derivatives: bool = True
    # The framework's arrays cannot be written in place (jax.Array, tf.Tensor): the
    # ``inputs_unchanged`` watch need not read them back (it costs JAX ~4 ms a call).
    immutable_arrays: bool = False

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._availability: Availability | None = None
        self._module: ModuleType | None = None
        self._table: dict[str, tuple[Any, str]] = {}
        self._xp: Namespace | None = None
        self._thread_report: dict[str, Any] = {}
        # fn -> {(quantity, mode, argnums): Prepared}; weak, so cases can be garbage-collected.
        self._cache: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Prepared]] = (
            weakref.WeakKeyDictionary()
        )
        # While ``watching_inputs`` is on: what the NumPy-level calls changed in their inputs.

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} device={self.device!r}>"

    # -- availability and lazy loading --
    def available(self) -> Availability:
        """Import the framework (first use) and say whether that worked, and why not."""
        if self._availability is None:
            try:
                threads.prepare_environment()  # thread settings must precede the import
                self.prepare_environment()  # the adapter's own: compilers, devices, threads
                self._module = importlib.import_module(self.framework)
                self._table = dict(self._load())
                self._xp = Namespace(self.name, self._table)
                self._availability = Availability(True)
            except Exception as exc:  # an ImportError, or a broken install failing otherwise
                self._availability = Availability(False, f"{type(exc).__name__}: {exc}")
        return self._availability

    def prepare_environment(self) -> None:
        """Called once, just before the framework is first imported, with the thread settings
        already in the environment (``adapters.threads.requested()`` is the count): set what
        the framework reads when it is imported (its own thread variable, a compiler, a
        device). Default: nothing. The adapter's module must import its framework lazily (in
        ``_load``) for this to come first."""

    def _require(self) -> None:
        status = self.available()
        if not status:
            raise Unavailable(f"{self.name} is not available: {status.reason}")

    def _load(self) -> Table:
        raise NotImplementedError

    @property
    def xp(self) -> Namespace:
        self._require()
        assert self._xp is not None
        return self._xp

    def coverage(self) -> dict[str, str]:
        """``{qualified vocabulary name: native | composite | missing}``; empty when the
        framework is not available (the table is built from the framework's functions)."""
        if not self.available():
            return {}
        words = {name: word for name, (_, word) in self._table.items()}
        return {name: words.get(name, MISSING) for name in qualified_names()}

    def versions(self) -> dict[str, str]:
        """Installed versions, read from package metadata (imports nothing), or with
        ``imported_version`` the framework's own ``__version__`` when it imports."""
        if self.imported_version and self.available():
            return {self.framework: self._module.__version__}
        out = {}
        for dist in self.distributions:
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
        return out

    def threads(self) -> dict[str, Any]:
        """The thread settings in effect for this framework (after first use)."""
        self.available()
        return {"requested": threads.requested(), **threads.process_report(),
                **self._thread_report}

    def devices(self) -> list[str]:
        return ["cpu"]

    # -- conversion --
    def to_native(self, array: Any) -> Any:
        self._require()
        return self._to_native(np.asarray(array))

    def to_numpy(self, value: Any) -> Any:
        """Native arrays (or tuples of them) as NumPy arrays; 0-d results stay 0-d arrays."""
        return map_to_tuples(lambda v: np.asarray(self._to_numpy(v)), value)

    def _natives(self, arrays: Any) -> Any:
        return map_to_tuples(self.to_native, arrays)

    def _to_native(self, array: np.ndarray) -> Any:
        return np.array(array, copy=True)

    def _to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value)

    def sync(self, value: Any) -> Any:
        """Wait until ``value`` is computed (asynchronous dispatch); a no-op by default."""
        return value

    # -- prepared callables --
    def prepare(
        self,
        fn: Callable[..., Any],
        quantity: str,
        mode: str = "eager",
        argnums: Sequence[int] = (0,),
    ) -> Prepared:
        """``quantity`` of ``fn(xp, *inputs)`` as a callable on native arrays (cached)."""
        if quantity not in QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r}; choose from {QUANTITIES}")
        if mode not in self.modes:
            raise Unsupported(f"{self.name} has no mode {mode!r}; its modes are {self.modes}")
        if quantity != "value" and not self.derivatives:
            raise Unsupported(f"{self.name} computes values only, not {quantity}")
        self._require()
        argnums = tuple(argnums)
        key = (quantity, mode, argnums)
        try:
            per_fn = self._cache.setdefault(fn, {})
        except TypeError:  # not weak-referenceable: build afresh each time
            per_fn = {}
        if key not in per_fn:
            xp = self.xp

            def f(*args: Any) -> Any:
                return fn(xp, *args)

            build = {"value": self._value, "vjp": self._vjp, "jvp": self._jvp,
                     "value_and_grad": self._value_and_grad, "hvp": self._hvp,
                     "hvp_rev_fwd": self._hvp_rev_fwd, "hvp_rev_rev": self._hvp_rev_rev,
                     "jvp_fwd_fwd": self._jvp_fwd_fwd, "vmap_vjp": self._vmap_vjp,
                     "jacfwd": self._jacfwd, "jacrev": self._jacrev}[quantity]
            # Inside the error classification: a builder that declines (``Unsupported``, or
            # NotImplementedError) makes the quantity ``unsupported``, never an ``error``.
            with self._errors(quantity):
                call, traces = self._compile(self._indexed(build(f, argnums)), mode)
            per_fn[key] = Prepared(call, quantity, mode, argnums, traces)
        return per_fn[key]

    def _compile(
        self, call: Callable[..., Any], mode: str
    ) -> tuple[Callable[..., Any], Callable[[], int] | None]:
        return call, None

    # -- the indexing hook (adapters.indexing) --
    def index_types(self) -> tuple[type, ...]:
        """The framework's array classes whose ``x[key]`` goes through ``index`` while this
        adapter runs a case (called after the framework is loaded). Default: none, for a
        framework whose arrays take NumPy's index arrays as they are."""
        return ()

    def index(self, getitem: Callable[[Any, Any], Any], x: Any, key: Any) -> Any:
        """``x[key]`` for a case, ``key`` spelled as NumPy spells it (index arrays are NumPy
        arrays or lists); ``getitem`` is the class's own ``__getitem__``. Default: every index
        array becomes the framework's own array (``_to_native``), for frameworks that index
        with their own tensors; override to spell indexing otherwise (TensorFlow's adapter
        writes ``tf.gather``/``tf.gather_nd``)."""
        from adapters.indexing import index_arrays

        return getitem(x, index_arrays(key, self._to_native))

    def _indexed(self, call: Callable[..., Any]) -> Callable[..., Any]:
        """``call`` with the indexing hook on (before ``_compile``, so a jit mode traces
        with it on)."""
        types = self.index_types()
        if not types:
            return call
        from adapters.indexing import indexing_hook

        hook = self.index

        def indexed(inputs: tuple[Any, ...], direction: Any = None) -> Any:
            with indexing_hook(types, hook):
                return call(inputs, direction)

        return indexed

    def _value(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return lambda inputs, _direction=None: f(*inputs)

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no VJP (reverse mode)")

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no JVP (forward mode)")

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no value-and-gradient")

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no HVP (forward over reverse)")

    # The other nestings: an adapter that does not build one says so (the checks record
    # 'unsupported' with this reason, never a pass).
    def _hvp_rev_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no reverse-over-forward HVP")

    def _hvp_rev_rev(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no reverse-over-reverse HVP")

    def _jvp_fwd_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no forward-over-forward JVP")

    # The transformations of a derivative (``TRANSFORMS``): an adapter whose framework has
    # none says so ('unsupported' with this reason, never a pass).
    def _vmap_vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no vectorised VJP (the framework "
                          f"has no vectorising map over its derivatives, or the adapter does not "
                          f"use it)")

    def _jacfwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no forward-mode Jacobian")

    def _jacrev(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise Unsupported(f"{self.name}: the adapter builds no reverse-mode Jacobian")

    @staticmethod
    def _full_jacobian(f: Callable[..., Any], argnums: tuple[int, ...],
                       transform: Callable[..., Any]) -> Callable[..., Any]:
        """A ``_jacfwd``/``_jacrev`` body for a framework whose Jacobian transform takes
        ``(g, argnums=...)`` as ``jax.jacfwd`` does (JAX, ``torch.func``, refengine): one
        Jacobian per differentiated input, of ``f`` with the other inputs held fixed."""
        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], _direction: Any = None) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return tuple(transform(g, argnums=everything)(*diff))

        return call

    # -- error capture --
    def _classify(self, exc: Exception) -> str | None:
        """A reason when ``exc`` means "the framework cannot do this" (unsupported) rather
        than "it failed" (error). ``Unsupported`` (an adapter declining) and
        NotImplementedError mean that in every framework."""
        if isinstance(exc, (Unsupported, NotImplementedError)):
            return str(exc) or "not implemented"
        declined = _declined_inside(exc)
        if declined is not None:  # raised under a framework's tracer, which wrapped it
            return str(declined) or "not implemented"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if _HALF_WORDS.search(first) and _REFUSAL_WORDS.search(first):
            return f"no half-precision kernel: {type(exc).__name__}: {first[:300]}"
        return None

    @contextmanager
    def _errors(self, quantity: str) -> Iterator[None]:
        try:
            yield
        except (Unsupported, FrameworkError):
            raise
        except Exception as exc:
            reason = self._classify(exc)
            if reason is not None:
                raise Unsupported(f"{self.name} {quantity}: {reason}") from exc
            raise FrameworkError(self.name, quantity, exc) from exc

    def _run(
        self, fn: Callable[..., Any], quantity: str, mode: str, argnums: tuple[int, ...],
        inputs: Sequence[Any], direction: Any,
    ) -> Any:
        native_inputs: tuple[Any, ...] | None = None
        native_direction = None
        try:
            with self._errors(quantity):
                prepared = self.prepare(fn, quantity, mode, argnums)
                native_inputs = tuple(self.to_native(x) for x in inputs)
                native_direction = None if direction is None else self._natives(direction)
                return self.to_numpy(self.sync(prepared(native_inputs, native_direction)))
        finally:  # a call that raised may have changed its inputs too
            if (self._input_changes is not None and native_inputs is not None
                    and not self.immutable_arrays):
                self._watch(quantity, inputs, native_inputs, direction, native_direction)

    # -- did a call change its inputs? (adapters.input_watch; watching_inputs is inherited) --
    def _watch(self, quantity: str, inputs: Sequence[Any], natives: tuple[Any, ...],
               direction: Any, native_direction: Any) -> None:
        assert self._input_changes is not None
        found = changes(quantity, list(inputs), list(natives), self._to_numpy, "input")
        if direction is not None:
            leaves, native_leaves = tree_leaves(direction), tree_leaves(native_direction)
            label = "cotangent" if quantity in ("vjp", "vmap_vjp") else "tangent"
            found += changes(quantity, leaves, native_leaves, self._to_numpy, label)
        self._input_changes.extend(found)

    # -- checking a user's own function --
    def user_ad(self) -> Any:
        """How ``check_grads`` reaches this framework's AD on its own values (an
        ``adapters.user_check.UserAD``). The built-in frameworks' are in ``adapters.user_check``;
        any other adapter gets one built from its ``_jvp``/``_vjp`` hooks (first order; second
        order once it overrides this to return ``adapters.user_check.from_hooks(self,
        nests=True)``, for builders that nest), or returns a ``UserAD`` of its own."""
        from adapters.user_check import for_adapter

        return for_adapter(self)

    def check_grads(
        self, f: Callable[..., Any], args: Sequence[Any], *, order: int = 2,
        modes: Sequence[str] = ("fwd", "rev"), atol: float | None = None,
        rtol: float | None = None, rng: Any = None,
    ) -> list[Any]:
        """``adapters.check_grads`` in this framework: ``f`` takes and returns its arrays
        (NumPy arguments are converted to them, on this adapter's device)."""
        from adapters.user_check import check_with

        return check_with(self.user_ad(), f, args, order=order, modes=modes, atol=atol,
                          rtol=rtol, rng=rng)

    # -- the NumPy-level convenience layer, for checks --
    def value(self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager") -> Any:
        """``fn(xp, *inputs)`` as NumPy arrays (a tuple when ``fn`` returns several)."""
        return self._run(fn, "value", mode, (), inputs, None)

    def vjp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], cotangent: Any, mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[Any, tuple[np.ndarray, ...]]:
        """(output, cotangents for the inputs at ``argnums``; default the floating ones)."""
        nums = check_argnums(argnums, inputs)
        return self._run(fn, "vjp", mode, nums, inputs, cotangent)

    def jvp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> tuple[Any, Any]:
        """(output, output tangent); one tangent per input at ``argnums``."""
        nums = check_argnums(argnums, inputs)
        check_tangent_count(tangents, nums, "jvp")
        return self._run(fn, "jvp", mode, nums, inputs, tuple(tangents))

    def value_and_grad(
        self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """(scalar value, gradients for the inputs at ``argnums``), from one call."""
        nums = check_argnums(argnums, inputs)
        return self._run(fn, "value_and_grad", mode, nums, inputs, None)

    def grad(
        self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]:
        return self.value_and_grad(fn, inputs, mode, argnums)[1]

    def hvp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]:
        """Hessian of scalar ``fn`` times the tangents, one entry per input at ``argnums``."""
        nums = check_argnums(argnums, inputs)
        check_tangent_count(tangents, nums, "hvp")
        return self._run(fn, "hvp", mode, nums, inputs, tuple(tangents))

    def hvp_rev_fwd(
        self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]:
        """H v of scalar ``fn`` by reverse over forward: the gradient of x -> J(x) v."""
        nums = check_argnums(argnums, inputs)
        check_tangent_count(tangents, nums, "hvp_rev_fwd")
        return self._run(fn, "hvp_rev_fwd", mode, nums, inputs, tuple(tangents))

    def hvp_rev_rev(
        self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]:
        """H v of scalar ``fn`` by reverse over reverse: the VJP, with cotangent v, of the
        gradient."""
        nums = check_argnums(argnums, inputs)
        check_tangent_count(tangents, nums, "hvp_rev_rev")
        return self._run(fn, "hvp_rev_rev", mode, nums, inputs, tuple(tangents))

    def jvp_fwd_fwd(
        self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> Any:
        """f''(x)[v, v] by forward over forward (the JVP along v of x -> J(x) v), shaped
        like ``fn``'s output; ``fn`` need not be scalar."""
        nums = check_argnums(argnums, inputs)
        check_tangent_count(tangents, nums, "jvp_fwd_fwd")
        return self._run(fn, "jvp_fwd_fwd", mode, nums, inputs, tuple(tangents))

    def vmap_vjp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], cotangents: Any,
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]:
        """The VJP vectorised by the framework's own map: the inputs at ``argnums`` and
        ``cotangents`` carry a leading batch axis (the other inputs are shared); returns one
        batched cotangent per input at ``argnums`` (default the floating ones)."""
        nums = check_argnums(argnums, inputs)
        return self._run(fn, "vmap_vjp", mode, nums, inputs, cotangents)

    def jacfwd(
        self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]:
        """The full Jacobian by forward mode, one array per input at ``argnums``, shaped
        ``out.shape + input.shape``."""
        nums = check_argnums(argnums, inputs)
        return self._run(fn, "jacfwd", mode, nums, inputs, None)

    def jacrev(
        self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, ...]:
        """The full Jacobian by reverse mode (as ``jacfwd``)."""
        nums = check_argnums(argnums, inputs)
        return self._run(fn, "jacrev", mode, nums, inputs, None)
