"""The case registry: validation on the way in, lookup and selection on the way out.

Registration checks a case before anyone runs it: a unique, well-formed name; inputs that are
drawn from their own domains in every declared dtype; kink points that really sit where the
case says; and one traced evaluation (``cases.vocabulary_trace``) proving that the function uses
nothing outside the vocabulary and returns the declared shape. Every error names the case.

The built-in library (``cases.library``) and third-party cases (entry-point group
``gradparity.cases``) are loaded on first use, not at import.
"""

from __future__ import annotations

import difflib
import fnmatch
import inspect
import re
import warnings
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any

import numpy as np

from cases.case import COMPLEX_DTYPES, DTYPES, HALF_DTYPES, Arg, Case
from cases.vocabulary import OPTIONAL
from cases.vocabulary_trace import VocabularyError, trace

__all__ = [
    "ENTRY_POINT_GROUP",
    "REGISTRY",
    "CAPABILITIES",
    "PluginWarning",
    "Registry",
    "RegistrationError",
    "UnknownCaseError",
    "closest",
    "hyphenated",
    "matching",
    "trust_registrations",
    "unknown_case",
]

ENTRY_POINT_GROUP = "gradparity.cases"
# Optional capabilities a case may require beyond the array vocabulary ("grad").
CAPABILITIES = OPTIONAL
# The tag a case must carry when Python branches on a traced value (cannot run under jit).
DATA_DEPENDENT = "data-dependent"
STOP_GRADIENT = "stop-gradient"  # cases.conformance.reference.STOP_GRADIENT_TAG
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.+\-]*$")
_SEED = 0  # registration draws its check inputs from this seed


class RegistrationError(ValueError):
    """A case was rejected; the message names the case and what is wrong."""


class UnknownCaseError(KeyError):
    """No case by that name; the message lists the closest names."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


class PluginWarning(UserWarning):
    """A ``gradparity.cases`` entry point failed to load; its cases are missing."""


def _fail(case_name: str, message: str) -> RegistrationError:
    return RegistrationError(f"case {case_name!r}: {message}")


class Registry:
    """An ordered set of validated cases.

    ``library`` and ``plugins`` say whether the built-in cases and the entry points are loaded
    (lazily, on the first lookup); a bare ``Registry(library=False, plugins=False)`` is handy
    in tests.
    """

    def __init__(self, *, library: bool = True, plugins: bool = True) -> None:
        self._cases: dict[str, Case] = {}
        self._ops: dict[str, frozenset[str]] = {}
        self._pending = [step for step, on in (("library", library), ("plugins", plugins)) if on]
        self._loading = False

    # --- loading ------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._loading or not self._pending:
            return
        self._loading = True
        try:
            while self._pending:
                if self._pending[0] == "library":
                    self._load_library()
                else:
                    self._load_plugins()
                # Only now: a library that failed to validate stays pending, so every later
                # lookup raises again instead of returning part of the library.
                self._pending.pop(0)
        finally:
            self._loading = False

    def _load_library(self) -> None:
        from cases.library import CASES

        validated = []
        for case in [c for base in CASES for c in (base, *base.boundary_cases())]:
            if case.name in self._cases or case.name in {c.name for c, _ in validated}:
                raise _fail(case.name, "a case with this name is already registered")
            validated.append((case, validate(case)))
        for case, ops in validated:  # all or nothing
            self._cases[case.name] = case
            self._ops[case.name] = ops

    def _load_plugins(self) -> None:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = ep.load()
                for case in _cases_from(loaded):
                    if self._cases.get(case.name) is not case:  # not registered on import
                        self.add(case)
            except Exception as exc:
                warnings.warn(
                    f"{ENTRY_POINT_GROUP} plugin {ep.name!r} ({ep.value}) failed to load and "
                    f"its cases are missing: {type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=3,
                )

    # --- registration -------------------------------------------------------------------------
    def add(self, case: Case) -> Case:
        """Validate ``case`` and add it; raise RegistrationError naming the case if invalid."""
        if not isinstance(case, Case):
            raise TypeError(f"register expects a Case, got {type(case).__name__}")
        self._load()
        if case.name in self._cases:
            raise _fail(case.name, "a case with this name is already registered")
        extra = case.boundary_cases()  # its boundary points, each a case of its own
        taken = [c.name for c in extra if c.name in self._cases]
        if taken:
            raise _fail(taken[0], "a case with this name is already registered")
        checked = [(c, validate(c)) for c in (case, *extra)]
        for c, ops in checked:
            self._ops[c.name] = ops
            self._cases[c.name] = c
        return case

    def register(self, case: Case | Callable[..., Any] | None = None, /, **fields: Any) -> Any:
        """Register a Case; or, as a decorator, turn ``fn(xp, *inputs)`` into one (and return it).

        ``@register`` alone gives every input after ``xp`` a real vector (``Arg(name)``) and
        the function's name with underscores as hyphens (``my_loss`` is the case
        ``my-loss``; lookups accept either spelling); ``@register(args=..., tags=..., ...)``
        sets any Case field (``name="my_loss"`` keeps the underscore).
        """
        if isinstance(case, Case):
            if fields:
                raise TypeError("register(case) takes no other arguments")
            return self.add(case)
        if case is None:
            return lambda fn: self.register(fn, **fields)
        fn = case
        fields.setdefault("name", fn.__name__.replace("_", "-"))
        fields.setdefault("args", tuple(Arg(p) for p in list(inspect.signature(fn).parameters)[1:]))
        fields.setdefault("note", inspect.getdoc(fn) or "")
        # The Case replaces the function; it is still callable as fn(xp, *inputs).
        return self.add(Case(fn=fn, **fields))

    def remove(self, name: str) -> Case:
        """Drop a case and its boundary cases (tests that register a throwaway case clean up
        with this)."""
        self._ops.pop(name, None)
        case = self._cases.pop(name)
        for extra in case.boundary_cases():
            self._ops.pop(extra.name, None)
            self._cases.pop(extra.name, None)
        return case

    # --- lookup -------------------------------------------------------------------------------
    def all(self) -> list[Case]:
        self._load()
        return list(self._cases.values())

    def get(self, name: str) -> Case:
        """The case called ``name``; ``my_loss`` finds ``my-loss`` (``@register``'s spelling
        of a function name) when no case has the underscores itself."""
        self._load()
        for spelling in (name, hyphenated(name)):
            if spelling in self._cases:
                return self._cases[spelling]
        raise unknown_case(name, list(self._cases))

    def ops_used(self, name: str) -> frozenset[str]:
        """The vocabulary names (qualified) the case used when traced at registration."""
        self.get(name)
        return self._ops[name]

    def tags(self) -> frozenset[str]:
        self._load()
        return frozenset(t for c in self._cases.values() for t in c.tags)

    def select(
        self,
        names: Iterable[str] | None = None,
        tags: Iterable[str] | str | None = None,
        pattern: str | None = None,
    ) -> list[Case]:
        """Cases matching every filter given: listed ``names`` (each must exist), carrying any of
        ``tags`` (each must exist), and a name matching the glob ``pattern`` ("gmm*")."""
        chosen = [self.get(n) for n in names] if names is not None else self.all()
        if tags is not None:
            wanted = {tags} if isinstance(tags, str) else set(tags)
            unknown = wanted - self.tags()
            if unknown:
                hints = [
                    f"{t!r} (closest: {', '.join(difflib.get_close_matches(t, self.tags()))})"
                    for t in sorted(unknown)
                ]
                raise UnknownCaseError(f"no case has tag {', '.join(hints)}")
            chosen = [c for c in chosen if c.tags & wanted]
        if pattern is not None:
            picked = set(matching(pattern, [c.name for c in chosen]))
            chosen = [c for c in chosen if c.name in picked]
        return chosen


def hyphenated(name: str) -> str:
    """``name`` as ``@register`` spells a function's name: underscores become hyphens."""
    return name.replace("_", "-")


def matching(pattern: str, names: Iterable[str]) -> list[str]:
    """The ``names`` that ``pattern`` (a case name or a glob) picks, in order; when it picks
    none, those its hyphenated spelling picks (``my_loss`` -> ``my-loss``, the name
    ``@register`` gave the function ``my_loss``)."""
    names = list(names)
    for spelling in dict.fromkeys((pattern, hyphenated(pattern))):
        found = [n for n in names if fnmatch.fnmatchcase(n, spelling)]
        if found:
            return found
    return []


def closest(pattern: str, names: Iterable[str]) -> str:
    """The hint every lookup of a case name gives for one that picks nothing: the closest
    names (``; closest: a, b``), or nothing when none is close."""
    close = difflib.get_close_matches(hyphenated(pattern), list(names), n=5, cutoff=0.5)
    return f"; closest: {', '.join(close)}" if close else ""


def unknown_case(name: str, names: Iterable[str]) -> UnknownCaseError:
    """The error for a case name that is not registered, with the closest names."""
    return UnknownCaseError(f"no case named {name!r}{closest(name, names)}")


def _cases_from(loaded: Any) -> list[Case]:
    """What an entry point may point at: a Case, an iterable of them, a function returning
    either, or a module that registered its cases on import (nothing more to add)."""
    if inspect.ismodule(loaded):
        return []
    if callable(loaded) and not isinstance(loaded, Case):
        loaded = loaded()
    if isinstance(loaded, Case):
        return [loaded]
    out = list(loaded)
    bad = [type(c).__name__ for c in out if not isinstance(c, Case)]
    if bad:
        raise TypeError(f"expected Case objects, got {', '.join(bad)}")
    return out


# --- validation ---------------------------------------------------------------------------------
_trusted = False


def trust_registrations() -> None:
    """From now on check cases' declarations only, not their inputs, kinks and trace: for an
    out-of-process adapter's worker (``cases.worker``), whose harness validated the same
    cases already and whose NumPy may be too old to trace them (MXNet's: 1.23)."""
    global _trusted
    _trusted = True


def validate(case: Case) -> frozenset[str]:
    """Check everything about ``case`` that can be checked without a framework; return the
    vocabulary names its function used. Raises RegistrationError naming the case."""
    _check_declarations(case)
    if _trusted:
        return frozenset()
    inputs = {dtype: _check_inputs(case, dtype) for dtype in case.dtypes}
    _check_kinks(case, inputs[case.dtypes[0]])
    first = next((d for d in ("float64", "complex128") if d in case.dtypes), case.dtypes[0])
    return _check_trace(case, inputs[first])


def _check_declarations(case: Case) -> None:
    name = case.name
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(name, "names are lowercase letters, digits and . _ + - (e.g. 'sum-axis0')")
    if not callable(case.fn):
        raise _fail(name, "fn is not callable")
    if not case.args or not all(isinstance(a, Arg) for a in case.args):
        raise _fail(name, "args must be a non-empty sequence of Arg")
    if len(set(case.arg_names)) != len(case.args):
        raise _fail(name, f"input names repeat: {case.arg_names}")
    if not case.argnums:
        raise _fail(name, "no input is differentiated (every Arg has diff=False)")
    allowed = DTYPES + COMPLEX_DTYPES
    if not case.dtypes or set(case.dtypes) - set(allowed):
        raise _fail(name, f"dtypes must be a non-empty subset of {allowed}, got {case.dtypes}")
    for tol in case.tolerances:
        if not tol.reason.strip():
            raise _fail(name, f"tolerance override {tol} gives no reason")
        # half dtypes: every real case runs in them (cases.conformance.half)
        if tol.rtol < 0 or tol.atol < 0 or tol.dtype not in (None, *DTYPES, *COMPLEX_DTYPES,
                                                             *HALF_DTYPES):
            raise _fail(name, f"tolerance override {tol} is malformed")
    unknown = case.requires - CAPABILITIES
    if unknown:
        raise _fail(name, f"requires unknown capabilities {sorted(unknown)} "
                          f"(known: {sorted(CAPABILITIES)})")
    for tag in case.tags:
        if not _NAME.match(tag):
            raise _fail(name, f"tag {tag!r} is not lowercase-with-hyphens")


def _check_inputs(case: Case, dtype: str) -> tuple[np.ndarray, ...]:
    try:
        inputs = case.sample(np.random.default_rng(_SEED), dtype=dtype)
    except Exception as exc:
        raise _fail(case.name, f"sampling {dtype} inputs failed: {exc}") from exc
    for arg, x, shape in zip(case.args, inputs, case.input_shapes(), strict=True):
        if x.shape != shape:
            raise _fail(case.name, f"input {arg.name!r} was drawn with shape {x.shape}, "
                                   f"but its Arg declares {shape}")
        if arg.diff and x.dtype != np.dtype(dtype):
            raise _fail(case.name, f"differentiated input {arg.name!r} has dtype {x.dtype}, "
                                   f"not {dtype}")
    problems = case.violations(inputs)
    if problems:
        raise _fail(case.name, f"the sampler violates its own domain ({dtype}): {problems[0]}")
    return inputs


def _check_kinks(case: Case, inputs: tuple[np.ndarray, ...]) -> None:
    for kink in case.kinks:
        if kink.variable not in case.arg_names:
            raise _fail(case.name, f"kink names input {kink.variable!r}, which does not exist")
        x = inputs[case.arg_index(kink.variable)]
        if kink.index is None:
            continue
        try:
            got = x[kink.index]
        except IndexError:
            raise _fail(case.name, f"kink index {kink.index} is outside input "
                                   f"{kink.variable!r} of shape {x.shape}") from None
        if kink.value is not None and not got == np.asarray(kink.value, dtype=x.dtype):
            raise _fail(case.name, f"kink says {kink.variable}[{kink.index}] = {kink.value}, "
                                   f"but the check inputs have {got!r} there")


def _check_trace(case: Case, inputs: tuple[np.ndarray, ...]) -> frozenset[str]:
    try:
        result = trace(case.fn, inputs)
    except VocabularyError as exc:
        raise _fail(case.name, f"uses {exc.op!r}, which is outside the vocabulary: {exc}") from exc
    except Exception as exc:
        raise _fail(case.name, f"evaluating under NumPy failed: {type(exc).__name__}: {exc}") \
            from exc
    out = np.asarray(result.output)
    if isinstance(result.output, (tuple, list)) or out.dtype == object:
        raise _fail(case.name, "fn must return one array (or scalar), not a tuple or list")
    if out.shape != case.expected_shape():
        raise _fail(case.name, f"fn returned shape {out.shape}, but output_shape declares "
                               f"{case.expected_shape()}")
    complex_case = bool(set(case.dtypes) & set(COMPLEX_DTYPES))
    if out.dtype.kind != "f" and not (complex_case and out.dtype.kind == "c"):
        raise _fail(case.name, f"fn returned dtype {out.dtype}; a differentiable output is "
                               "floating point (or complex, in a case with complex dtypes)")
    if "grad" in result.ops and "grad" not in case.requires:
        raise _fail(case.name, "uses xp.grad but does not declare requires={'grad'}")
    if "stop_gradient" in result.ops and STOP_GRADIENT not in case.tags:
        raise _fail(case.name, f"uses xp.stop_gradient but is not tagged {STOP_GRADIENT!r} "
                               "(the tag makes the finite-difference oracle hold the stopped "
                               "values fixed at the point)")
    if result.branched and DATA_DEPENDENT not in case.tags:
        raise _fail(case.name, f"branches in Python on a traced value; tag it "
                               f"{DATA_DEPENDENT!r} so jit adapters can skip it")
    return result.ops


REGISTRY = Registry()
