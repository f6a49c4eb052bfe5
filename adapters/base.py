"""The one interface every AD system sits behind, and what all adapters share.

An adapter is a thin translator. It owns three things:

- ``xp``: the op vocabulary (``cases/vocabulary.py``) mapped to the framework's own functions,
  with NumPy names and semantics, so that a case written once as ``fn(xp, *inputs)`` runs on
  every framework and the framework's own derivative formulas are what gets tested;
- conversion between NumPy arrays and the framework's arrays (never inside a timed region);
- the derivative transformations: value, VJP, JVP, value-and-gradient and HVP.

Two layers serve two callers. ``prepare`` returns a callable on framework-native arrays, for
timing (conversion stays outside; a jit mode compiles once per function and quantity and says
when it traced). ``value``/``vjp``/``jvp``/``grad``/``value_and_grad``/``hvp`` take and return
NumPy arrays and turn a framework's exception into ``Unsupported`` or ``FrameworkError``, for
checking. ``attempt`` turns either into an ``Outcome`` so a run goes on after a failure.

Coverage words, per vocabulary name: ``native`` - the adapter calls a function the framework
itself provides (whatever that function does inside); ``composite`` - the framework has no such
function and the adapter builds one from several of its functions; ``missing`` - the adapter
cannot serve the name, and a case that calls it is ``unsupported``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from adapters import threads

__all__ = [
    "COMPOSITE",
    "VOCABULARY_NAMES",
    "DTYPES",
    "MISSING",
    "NATIVE",
    "QUANTITIES",
    "Adapter",
    "Availability",
    "BaseAdapter",
    "FrameworkError",
    "Namespace",
    "Outcome",
    "Prepared",
    "Unavailable",
    "Unsupported",
    "attempt",
    "axes_tuple",
    "floating_argnums",
    "like_structure",
    "table_from_names",
    "tree_leaves",
    "tree_map",
]

NATIVE, COMPOSITE, MISSING = "native", "composite", "missing"
DTYPES = ("float32", "float64")
# What ``prepare`` can build. Directions: vjp takes a cotangent (one per output), jvp and hvp a
# tuple of tangents (one per differentiated input); value and value_and_grad take none.
QUANTITIES = ("value", "vjp", "jvp", "value_and_grad", "hvp")

# The vocabulary as the adapters know it: they may not import ``cases`` (dependencies point one
# way), so they keep this copy, and tests/test_adapters_coverage.py checks it against
# cases/vocabulary.py. A name here that an adapter's table lacks is ``missing`` for it.
MAIN_NAMES = """
negative abs sign exp exp2 expm1 log log2 log10 log1p sqrt cbrt square reciprocal sin cos tan
arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh floor ceil round
greater greater_equal less less_equal equal not_equal argmax argmin
add subtract multiply divide power maximum minimum arctan2 hypot logaddexp where clip
sum mean prod max min var std cumsum cumprod trace
reshape transpose swapaxes moveaxis expand_dims squeeze broadcast_to concatenate stack split
tile repeat flip roll tril triu diagonal diag pad take take_along_axis sort outer einsum matmul
dot tensordot asarray zeros_like ones_like eye arange
"""
LINALG_NAMES = "inv solve det slogdet cholesky eigh qr svd norm"
SPECIAL_NAMES = "expit logit erf erfc gammaln digamma xlogy logsumexp softmax log_softmax"
NN_NAMES = "relu softplus gelu log_sigmoid"
# ``xp.grad(f)(x)``: nested derivatives, an optional capability (the value-only NumPy adapter
# lacks it).
NESTED_NAMES = "grad"
VOCABULARY_NAMES: tuple[str, ...] = (
    *MAIN_NAMES.split(),
    *NESTED_NAMES.split(),
    *(f"linalg.{n}" for n in LINALG_NAMES.split()),
    *(f"special.{n}" for n in SPECIAL_NAMES.split()),
    *(f"nn.{n}" for n in NN_NAMES.split()),
)


# --- errors and outcomes ---------------------------------------------------------------------
class Unsupported(AttributeError):  # noqa: N818 - the status it stands for
    """The adapter (or the framework in this mode) cannot do what a case asks: the case is
    ``unsupported`` for it, never an error. An ``AttributeError`` so that ``hasattr(xp, name)``
    answers False for a name the adapter lacks."""


class Unavailable(Unsupported):
    """The framework itself cannot be imported (the reason says why)."""


class FrameworkError(RuntimeError):
    """A framework raised while running a case; carries the framework's own message."""

    def __init__(self, adapter: str, quantity: str, error: BaseException) -> None:
        self.adapter = adapter
        self.quantity = quantity
        self.error_type = type(error).__name__
        self.framework_message = str(error)
        super().__init__(f"{adapter} {quantity}: {self.error_type}: {error}")


@dataclass(frozen=True)
class Outcome:
    """What ``attempt`` returns: ``status`` is ``ok``, ``error`` or ``unsupported``."""

    status: str
    value: Any = None
    message: str = ""
    error_type: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def attempt(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Run ``call``; a failure becomes an ``Outcome`` instead of stopping the run.

    Only ``Exception`` is caught: KeyboardInterrupt still stops a run.
    """
    try:
        return Outcome("ok", call(*args, **kwargs))
    except Unsupported as exc:
        return Outcome("unsupported", message=str(exc), error_type=type(exc).__name__)
    except FrameworkError as exc:
        return Outcome("error", message=str(exc), error_type=exc.error_type)
    except Exception as exc:
        kind = type(exc).__name__
        return Outcome("error", message=f"{kind}: {exc}", error_type=kind)


@dataclass(frozen=True)
class Availability:
    """Whether an adapter's framework imports; ``reason`` is the import error when not."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


# --- the xp namespace ------------------------------------------------------------------------
Table = Mapping[str, tuple[Callable[..., Any] | None, str]]


def table_from_names(module: Any, names: str, prefix: str = "") -> dict[str, tuple[Any, str]]:
    """``{prefix + name: (module.name, native)}`` for names the framework spells as NumPy does."""
    return {prefix + n: (getattr(module, n), NATIVE) for n in names.split()}


class Namespace:
    """``xp``: vocabulary names as attributes, with ``linalg``, ``special`` and ``nn`` inside.

    Built from a table ``{qualified name: (function, coverage word)}``; a ``missing`` entry (or
    any name not in the table) raises ``Unsupported`` when a case reaches for it.
    """

    def __init__(self, framework: str, table: Table, prefix: str = "") -> None:
        self._framework = framework
        self._prefix = prefix
        subs: dict[str, dict[str, tuple[Any, str]]] = {}
        for qualified, (fn, word) in table.items():
            if qualified.startswith(prefix):
                rest = qualified[len(prefix):]
                if "." in rest:
                    subs.setdefault(rest.split(".", 1)[0], {})[qualified] = (fn, word)
                elif word != MISSING:
                    setattr(self, rest, fn)
        for sub, sub_table in subs.items():
            setattr(self, sub, Namespace(framework, sub_table, f"{prefix}{sub}."))

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: the name is missing for this framework.
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unsupported(f"{self._framework} adapter has no xp.{self._prefix}{name}")

    def __repr__(self) -> str:
        return f"<xp namespace for {self._framework}{': ' + self._prefix if self._prefix else ''}>"


# --- prepared callables ----------------------------------------------------------------------
@dataclass(frozen=True)
class Prepared:
    """A derivative quantity as a callable on framework-native arrays, for timing.

    ``prepared(inputs, direction)``: ``inputs`` is a tuple of native arrays, ``direction`` the
    cotangent (vjp), the tangents (jvp, hvp) or None. Returns native arrays: value -> out;
    vjp -> (out, cotangents); jvp -> (out, tangent_out); value_and_grad -> (value, grads);
    hvp -> a tuple, one entry per differentiated input.

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


def partial_in(
    f: Callable[..., Any], inputs: Sequence[Any], argnums: tuple[int, ...]
) -> tuple[Callable[..., Any], list[Any]]:
    """``f`` as a function of the inputs at ``argnums`` only, and those inputs."""

    def g(*diff: Any) -> Any:
        full = list(inputs)
        for i, x in zip(argnums, diff):
            full[i] = x
        return f(*full)

    return g, [inputs[i] for i in argnums]


def floating_argnums(inputs: Sequence[Any]) -> tuple[int, ...]:
    """The default inputs to differentiate: the floating-point ones (indices and masks are data)."""
    return tuple(i for i, x in enumerate(inputs) if np.result_type(x).kind == "f")


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """Map over a case output: an array, or a (named) tuple or list of them."""
    if isinstance(tree, (tuple, list)):
        return tuple(tree_map(fn, t) for t in tree)
    return fn(tree)


def tree_leaves(tree: Any) -> list[Any]:
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in tree_leaves(t)]
    return [tree]


def like_structure(tree: Any, template: Any) -> Any:
    """``tree`` (tuples, from NumPy) rebuilt with ``template``'s containers: JAX and autograd
    insist that a cotangent has exactly its output's structure (list, tuple, named tuple)."""
    if not isinstance(template, (tuple, list)):
        return tree
    children = [like_structure(t, s) for t, s in zip(tree, template)]
    if hasattr(template, "_fields"):
        return type(template)(*children)
    return type(template)(children)


def axes_tuple(axis: Any, ndim: int) -> tuple[int, ...]:
    """NumPy's ``axis`` (None, an int or a tuple; negative allowed) as a tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(int(a) % ndim if ndim else 0 for a in axes)


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
class BaseAdapter:
    """Everything but the translation. A framework module subclasses it and fills in:

    ``framework`` (the module to import), ``distributions`` (for versions without importing),
    ``_load`` (import, apply thread settings, return the xp table), ``_to_native``/``_to_numpy``
    (one array), and ``_vjp``/``_jvp``/``_value_and_grad``/``_hvp`` (eager builders that take
    ``f(*inputs)`` and argnums and return ``call(inputs, direction)``). Jit modes override
    ``_compile``; frameworks with special failure messages override ``_classify``.
    """

    name: str = ""
    framework: str = ""
    distributions: tuple[str, ...] = ()
    modes: tuple[str, ...] = ("eager",)
    # How reports may name a mode ("jit" is tf.function in TensorFlow); default: the mode.
    mode_labels: ClassVar[Mapping[str, str]] = {}
    dtypes: tuple[str, ...] = DTYPES
    derivatives: bool = True

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

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} device={self.device!r}>"

    # -- availability and lazy loading --
    def available(self) -> Availability:
        """Import the framework (first use) and say whether that worked, and why not."""
        if self._availability is None:
            try:
                threads.prepare_environment()  # thread settings must precede the import
                self._module = importlib.import_module(self.framework)
                self._table = dict(self._load())
                self._xp = Namespace(self.name, self._table)
                self._availability = Availability(True)
            except Exception as exc:  # an ImportError, or a broken install failing otherwise
                self._availability = Availability(False, f"{type(exc).__name__}: {exc}")
        return self._availability

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
        return {name: words.get(name, MISSING) for name in VOCABULARY_NAMES}

    def versions(self) -> dict[str, str]:
        """Installed versions, read from package metadata (imports nothing)."""
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
        return tree_map(lambda v: np.asarray(self._to_numpy(v)), value)

    def _natives(self, arrays: Any) -> Any:
        return tree_map(self.to_native, arrays)

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
                     "value_and_grad": self._value_and_grad, "hvp": self._hvp}[quantity]
            call, traces = self._compile(build(f, argnums), mode)
            per_fn[key] = Prepared(call, quantity, mode, argnums, traces)
        return per_fn[key]

    def _compile(
        self, call: Callable[..., Any], mode: str
    ) -> tuple[Callable[..., Any], Callable[[], int] | None]:
        return call, None

    def _value(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return lambda inputs, _direction=None: f(*inputs)

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise NotImplementedError

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise NotImplementedError

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        raise NotImplementedError

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise NotImplementedError

    # -- error capture --
    def _classify(self, exc: Exception) -> str | None:
        """A reason when ``exc`` means "the framework cannot do this" (unsupported) rather
        than "it failed" (error). NotImplementedError means that in every framework."""
        if isinstance(exc, NotImplementedError):
            return str(exc) or "not implemented"
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
        prepared = self.prepare(fn, quantity, mode, argnums)
        with self._errors(quantity):
            native_inputs = tuple(self.to_native(x) for x in inputs)
            native_direction = None if direction is None else self._natives(direction)
            return self.to_numpy(self.sync(prepared(native_inputs, native_direction)))

    # -- the NumPy-level convenience layer, for checks --
    def value(self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager") -> Any:
        """``fn(xp, *inputs)`` as NumPy arrays (a tuple when ``fn`` returns several)."""
        return self._run(fn, "value", mode, (), inputs, None)

    def vjp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], cotangent: Any, mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[Any, tuple[np.ndarray, ...]]:
        """(output, cotangents for the inputs at ``argnums``; default the floating ones)."""
        nums = _argnums(argnums, inputs)
        return self._run(fn, "vjp", mode, nums, inputs, cotangent)

    def jvp(
        self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
        mode: str = "eager", argnums: Sequence[int] | None = None,
    ) -> tuple[Any, Any]:
        """(output, output tangent); one tangent per input at ``argnums``."""
        nums = _argnums(argnums, inputs)
        _check_count(tangents, nums, "jvp")
        return self._run(fn, "jvp", mode, nums, inputs, tuple(tangents))

    def value_and_grad(
        self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
        argnums: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """(scalar value, gradients for the inputs at ``argnums``), from one call."""
        nums = _argnums(argnums, inputs)
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
        nums = _argnums(argnums, inputs)
        _check_count(tangents, nums, "hvp")
        return self._run(fn, "hvp", mode, nums, inputs, tuple(tangents))


def _argnums(argnums: Sequence[int] | None, inputs: Sequence[Any]) -> tuple[int, ...]:
    nums = floating_argnums(inputs) if argnums is None else tuple(argnums)
    n = len(inputs)
    bad = [a for a in nums if not -n <= a < n]
    if bad:
        raise ValueError(f"argnums {bad} out of range for {n} inputs")
    return tuple(a % n for a in nums)


def _check_count(tangents: Sequence[Any], nums: tuple[int, ...], what: str) -> None:
    if len(tangents) != len(nums):
        raise ValueError(
            f"{what}: {len(tangents)} tangents for {len(nums)} differentiated inputs "
            f"(argnums={nums}); give one tangent per differentiated input"
        )
