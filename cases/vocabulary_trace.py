"""A recording namespace: run a case once under NumPy and list the vocabulary it used.

:func:`trace` calls ``fn(xp, *inputs)`` with ``xp`` a :class:`RecordingNamespace` that
exposes exactly the vocabulary of ``cases/vocabulary.py`` and computes with a real NumPy
namespace underneath, so the trace also checks that shapes fit. The inputs are wrapped in
:class:`Traced`, which allows only the array interface every framework shares (operators,
comparisons, indexing, ``.shape``, ``.ndim``, ``.dtype``, ``.T``): a method call such as
``x.sum()`` or a NumPy function applied to a traced value is reported like any other name
outside the vocabulary, because it would bypass the framework under test.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.vocabulary import TAKES_FUNCTIONS
from cases.vocabulary import VOCABULARY

__all__ = ["RecordingNamespace", "Trace", "Traced", "VocabularyError", "numpy_base", "trace"]

_QUALIFIED = frozenset(op.qualified for op in VOCABULARY)
_MODULES = frozenset(op.module for op in VOCABULARY if op.module)
_ALLOWED_ATTRIBUTES = ("shape", "ndim", "dtype", "T")
# The NumPy ufuncs behind the array operators (for ndarray (op) Traced).
_OPERATOR_UFUNCS = {
    "add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**",
    "matmul": "@", "less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">=",
    "equal": "==", "not_equal": "!=",
}


class VocabularyError(Exception):
    """A case used something outside the vocabulary; ``op`` says what."""

    def __init__(self, op: str, message: str) -> None:
        super().__init__(message)
        self.op = op


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, sorted(_QUALIFIED), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


class _Log:
    def __init__(self) -> None:
        self.ops: set[str] = set()
        self.operators: set[str] = set()
        self.branched = False  # a traced value was converted to a Python bool


# --- values ------------------------------------------------------------------------------------
def _wrap(value: Any, log: _Log) -> Any:
    if isinstance(value, list):
        return [_wrap(v, log) for v in value]
    if isinstance(value, tuple):
        # A NamedTuple result (NumPy's EighResult) becomes a plain tuple: cases unpack by
        # position, since field names differ between frameworks.
        return tuple(_wrap(v, log) for v in value)
    # Exact Python types only: np.float64 subclasses float, and a reduction's NumPy scalar is
    # an array value that must stay traced.
    if type(value) in (bool, int, float, complex, str, type(None)):
        return value
    return Traced(value, log)


def _unwrap(value: Any) -> Any:
    if isinstance(value, Traced):
        return value.raw
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _operator(symbol: str, fn: Callable[[Any, Any], Any], reflected: bool = False):
    def method(self: Traced, other: Any) -> Any:
        self._log.operators.add(symbol)
        a, b = (_unwrap(other), self.raw) if reflected else (self.raw, _unwrap(other))
        return _wrap(fn(a, b), self._log)

    return method


def _refuse(what: str, hint: str):
    def method(self: Traced, *args: Any, **kwargs: Any) -> Any:
        raise VocabularyError(what, f"{what} is outside the array interface; {hint}")

    return method


class Traced:
    """An array value during a trace; only the interface shared by every framework."""

    __slots__ = ("_log", "raw")
    __hash__ = None  # type: ignore[assignment] - elementwise == makes arrays unhashable

    def __init__(self, raw: Any, log: _Log) -> None:
        self.raw = raw
        self._log = log

    # the attributes every framework's arrays have
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in np.shape(self.raw))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dtype(self) -> Any:
        return self.raw.dtype

    @property
    def T(self) -> Traced:  # noqa: N802 - NumPy's name
        self._log.operators.add(".T")
        return _wrap(self.raw.T, self._log)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"Traced({self.raw!r})"

    def __bool__(self) -> bool:
        # Python control flow on a value: fine eagerly, impossible under jit; the registry
        # requires such cases to carry the "data-dependent" tag.
        self._log.branched = True
        return bool(self.raw)

    def __getitem__(self, index: Any) -> Traced:
        self._log.operators.add("[]")
        return _wrap(self.raw[_unwrap(index)], self._log)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise VocabularyError(
            f".{name}",
            f"array attribute/method .{name} is outside the array interface (only "
            f"{', '.join('.' + a for a in _ALLOWED_ATTRIBUTES)}); use xp.{name}(x){_suggest(name)}",
        )

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise VocabularyError(
            "numpy conversion",
            "a traced value reached NumPy (np.asarray, a NumPy function, or indexing a NumPy "
            "array with it); compute with xp.* instead (xp.take to index a constant)",
        )

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # ndarray (op) Traced arrives here as the ufunc; so would np.add(ndarray, traced), which
        # cannot be told apart and is let through as the operator. Any other ufunc (np.sin) on
        # a traced value would bypass the framework: refuse it by name.
        symbol = _OPERATOR_UFUNCS.get(ufunc.__name__)
        if symbol is None or method != "__call__" or kwargs or len(inputs) != 2:
            raise VocabularyError(
                f"numpy.{ufunc.__name__}",
                f"numpy.{ufunc.__name__} was applied to a traced value; use "
                f"xp.{ufunc.__name__}{_suggest(ufunc.__name__)}",
            )
        self._log.operators.add(symbol)
        a, b = (_unwrap(x) for x in inputs)
        return _wrap(ufunc(a, b), self._log)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise VocabularyError(
            f"numpy.{func.__name__}",
            f"numpy.{func.__name__} was applied to a traced value; use xp.{func.__name__}"
            f"{_suggest(func.__name__)}",
        )

    __add__ = _operator("+", lambda a, b: a + b)
    __radd__ = _operator("+", lambda a, b: a + b, reflected=True)
    __sub__ = _operator("-", lambda a, b: a - b)
    __rsub__ = _operator("-", lambda a, b: a - b, reflected=True)
    __mul__ = _operator("*", lambda a, b: a * b)
    __rmul__ = _operator("*", lambda a, b: a * b, reflected=True)
    __truediv__ = _operator("/", lambda a, b: a / b)
    __rtruediv__ = _operator("/", lambda a, b: a / b, reflected=True)
    __pow__ = _operator("**", lambda a, b: a**b)
    __rpow__ = _operator("**", lambda a, b: a**b, reflected=True)
    __matmul__ = _operator("@", lambda a, b: a @ b)
    __rmatmul__ = _operator("@", lambda a, b: a @ b, reflected=True)
    __lt__ = _operator("<", lambda a, b: a < b)
    __le__ = _operator("<=", lambda a, b: a <= b)
    __gt__ = _operator(">", lambda a, b: a > b)
    __ge__ = _operator(">=", lambda a, b: a >= b)
    __eq__ = _operator("==", lambda a, b: a == b)  # type: ignore[assignment]
    __ne__ = _operator("!=", lambda a, b: a != b)  # type: ignore[assignment]

    def __neg__(self) -> Traced:
        self._log.operators.add("unary -")
        return _wrap(-self.raw, self._log)

    # Outside the shared interface: say what to use instead of failing somewhere deeper.
    __pos__ = _refuse("unary +", "drop it")
    __abs__ = _refuse("abs()", "use xp.abs(x)")
    __and__ = __rand__ = _refuse("operator &", "combine conditions with nested xp.where")
    __or__ = __ror__ = _refuse("operator |", "combine conditions with nested xp.where")
    __xor__ = __rxor__ = _refuse("operator ^", "combine conditions with nested xp.where")
    __invert__ = _refuse("operator ~", "swap the branches of xp.where")
    __floordiv__ = __rfloordiv__ = _refuse("operator //", "use xp.floor(a / b)")
    __mod__ = __rmod__ = _refuse("operator %", "use a - b * xp.floor(a / b)")
    __iter__ = _refuse("iteration", "index explicitly (x[i]) or use xp.split")
    __float__ = _refuse("float()", "keep the value an array (compare and branch with bool())")
    __int__ = _refuse("int()", "take sizes from .shape")
    __index__ = _refuse("use as a Python index", "use xp.take or xp.take_along_axis")
    __setitem__ = _refuse("item assignment", "build the result with xp.where or concatenate")


# --- the namespace -----------------------------------------------------------------------------
class RecordingNamespace:
    """``xp`` during a trace: the vocabulary's names, each call recorded and computed by
    ``base`` (a NumPy-semantics namespace); ``grad`` serves the optional ``xp.grad``."""

    def __init__(self, base: Any, grad: Callable[..., Any] | None, log: _Log,
                 module: str = "") -> None:
        self._base = base
        self._grad = grad
        self._log = log
        self._module = module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if not self._module and name in _MODULES:
            return RecordingNamespace(getattr(self._base, name), None, self._log, name)
        qualified = f"{self._module}.{name}" if self._module else name
        if qualified not in _QUALIFIED:
            raise VocabularyError(
                qualified, f"xp.{qualified} is not in the vocabulary{_suggest(qualified)}"
            )
        self._log.ops.add(qualified)
        if qualified == "grad":
            return self._nested_grad
        fn = getattr(self._base, name)
        log = self._log
        if qualified in TAKES_FUNCTIONS:
            return _lifted(fn, log, qualified)

        def call(*args: Any, **kwargs: Any) -> Any:
            return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)), log)

        call.__name__ = qualified
        return call

    def _nested_grad(self, f: Callable[[Any], Any]) -> Callable[[Any], Any]:
        if self._grad is None:
            raise VocabularyError("grad", "this recording namespace was given no grad")
        log, grad = self._log, self._grad

        def inner(raw: Any) -> Any:
            return _unwrap(f(_wrap(raw, log)))

        def df(x: Any) -> Any:
            return _wrap(grad(inner)(_unwrap(x)), log)

        return df


def _lifted(fn: Callable[..., Any], log: _Log, qualified: str) -> Callable[..., Any]:
    """``xp.scan``, ``xp.checkpoint``, ...: the base runs the loop on plain arrays, so the
    case's functions get recorded values in and give plain ones back; a function that comes
    back (``checkpoint(f)``, ``custom_vjp(f, fwd, bwd)``) is lifted the other way."""

    def inward(f: Any) -> Any:
        if not callable(f):
            return _unwrap(f)
        return lambda *a: _unwrap(f(*(_wrap(v, log) for v in a)))

    def call(*args: Any, **kwargs: Any) -> Any:
        out = fn(*(inward(a) for a in args), **{k: inward(v) for k, v in kwargs.items()})
        if callable(out):
            return lambda *a: _wrap(out(*_unwrap(a)), log)
        return _wrap(out, log)

    call.__name__ = qualified
    return call


@dataclass(frozen=True)
class Trace:
    """What one evaluation used: vocabulary names (qualified: "sin", "linalg.inv"), array
    operators, whether Python branched on a traced value, and the output (a NumPy value)."""

    ops: frozenset[str]
    operators: frozenset[str]
    branched: bool
    output: Any


def numpy_base() -> tuple[Any, Callable[..., Any]]:
    """The namespace a trace computes with: ``refengine.numpy`` evaluates every vocabulary name
    with NumPy/SciPy on plain arrays (and its ``grad`` serves nested cases)."""
    import refengine.numpy as rnp

    return rnp, rnp.grad


def trace(
    fn: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    *,
    base: Any = None,
    grad: Callable[..., Any] | None = None,
) -> Trace:
    """Run ``fn(xp, *inputs)`` once with a recording ``xp``; raise VocabularyError on the first
    name outside the vocabulary."""
    if base is None:
        base, default_grad = numpy_base()
        grad = grad or default_grad
    log = _Log()
    xp = RecordingNamespace(base, grad, log)
    # Traps and kinks produce inf and NaN on purpose (in unselected branches): not news here.
    with np.errstate(all="ignore"):
        out = fn(xp, *(_wrap(np.asarray(x), log) for x in inputs))
    return Trace(frozenset(log.ops), frozenset(log.operators), log.branched, _unwrap(out))
