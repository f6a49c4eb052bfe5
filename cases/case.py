"""The :class:`Case`: one function written once against ``xp``, with how to feed it.

A case is plain data: the function, its inputs (name, domain, shape, differentiated or not),
sizes, dtypes, tags, tolerance overrides with their reasons, and the points where it is not
differentiable on purpose. It imports no framework; the harness hands it an ``xp``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from cases.domains import REAL, Domain
from refengine.tree import partial_in

__all__ = [
    "Arg",
    "Boundary",
    "COMPLEX_DTYPES",
    "HALF_DTYPES",
    "Case",
    "Kink",
    "Sampler",
    "Shape",
    "ShapeSpec",
    "Size",
    "Sizes",
    "Tolerance",
    "matrix",
    "numpy_dtype",
    "scalar",
    "vector",
]

Size = int | tuple[int, ...]
Shape = tuple[int, ...]
ShapeSpec = Shape | Callable[[Any], Shape]
# A custom sampler: (rng, size) -> one float64 (or integer/bool data) array per input; the case
# casts floating arrays to the dtype under test (see Case.sample).
Sampler = Callable[[np.random.Generator, Any], Sequence[np.ndarray]]

DTYPES = ("float64", "float32")
# Opt-in only (``dtypes=COMPLEX_DTYPES``): every floating input becomes complex, its real and
# imaginary parts drawn independently from the input's domain.
COMPLEX_DTYPES = ("complex128", "complex64")
# Not a case's own dtypes: the matrix runs every real case in these too
# (``cases.conformance.half``). bfloat16 is ``ml_dtypes.bfloat16`` (``numpy_dtype``).
HALF_DTYPES = ("float16", "bfloat16")


def numpy_dtype(name: str) -> np.dtype:
    """NumPy's dtype called ``name``; ``bfloat16`` is ``ml_dtypes.bfloat16`` (JAX and
    TensorFlow install ml_dtypes), with a clear error when it is missing."""
    if name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError as exc:
            raise ImportError("bfloat16 needs the ml_dtypes package (pip install ml_dtypes; "
                              "JAX and TensorFlow install it)") from exc
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def vector(n: int) -> Shape:
    return (n,)


def matrix(n: int) -> Shape:
    return (n, n)


def scalar(_size: Any = None) -> Shape:
    return ()


def _shape(spec: ShapeSpec, size: Any) -> Shape:
    return tuple(int(n) for n in (spec(size) if callable(spec) else spec))


@dataclass(frozen=True)
class Arg:
    """One input: its name, the domain it is drawn from, its shape at a size, and whether the
    case differentiates with respect to it (data such as indices or fixed points is not)."""

    name: str
    domain: Domain = REAL
    shape: ShapeSpec = vector
    diff: bool = True

    def shape_at(self, size: Any) -> Shape:
        return _shape(self.shape, size)


@dataclass(frozen=True)
class Sizes:
    """The small size every check runs at, and the sweep the timing runs over.

    A size is an int (``n``) or a tuple of ints named by ``names`` (a model's ``(d, K, N)``).
    ``gradbench`` names GradBench's default sizes as GradBench labels them (``("ba2", (21,
    11315, 36455))``): timing records at such a size carry that label too.
    """

    check: Size = 6
    sweep: tuple[Size, ...] = (100, 10_000, 1_000_000)
    names: tuple[str, ...] = ("n",)
    gradbench: tuple[tuple[str, Size], ...] = ()

    def label(self, size: Size) -> str:
        """``"n=100"`` or ``"d=2,K=5,N=100"``: a readable size for records and test ids."""
        values = size if isinstance(size, tuple) else (size,)
        return ",".join(f"{k}={v}" for k, v in zip(self.names, values, strict=True))

    def gradbench_label(self, size: Size) -> str:
        """GradBench's label for ``size`` (``"ba2"``, ``"2_5_1000"``) where it is one of
        GradBench's default sizes, else ``""``."""
        return next((name for name, known in self.gradbench if known == size), "")


@dataclass(frozen=True)
class Tolerance:
    """A tolerance override, and why the default is not right here.

    ``dtype`` and ``check`` narrow where it applies (None: every dtype / every check). Check
    names are the harness's: "value" (against NumPy), "fd" (against the finite-difference
    oracle), and the names of the other checks in design.md.
    """

    rtol: float
    atol: float
    reason: str
    dtype: str | None = None
    check: str | None = None


@dataclass(frozen=True)
class Kink:
    """A point where the case is not differentiable, on purpose.

    ``variable`` names the input; ``index`` is the entry (None: the input as a whole, e.g. a
    zero vector or a singular matrix); ``value`` is that entry's exact value at the check
    inputs (registration verifies it); ``kind`` is a short label ("abs-at-zero", "tie",
    "clip-bound", ...) the conformance checks group by.
    """

    variable: str
    index: tuple[int, ...] | None
    value: float | None = None
    kind: str = ""
    note: str = ""


@dataclass(frozen=True)
class Boundary:
    """An extra sample point on the edge of a case's domain, checked beside the random one.

    Constant input to ``std``, ties to ``max`` or ``sort``, zeros to ``prod``, the origin to
    ``hypot``: ``domains`` replaces the named inputs' domains (``with_points`` to place exact
    values, ``constant``), or ``sampler`` draws every input. ``kinks`` lists the points where
    the function is not differentiable there (the matrix then runs the kink check on them);
    with none, the point is a smooth one (prod at one zero) and every ordinary check applies.
    ``Case.boundary_cases`` turns each into a case named ``<case>-at-<label>``.
    """

    label: str
    domains: tuple[tuple[str, Domain], ...] = ()
    kinks: tuple[Kink, ...] = ()
    sampler: Sampler | None = None
    note: str = ""

    def __post_init__(self) -> None:
        domains = self.domains.items() if isinstance(self.domains, dict) else self.domains
        object.__setattr__(self, "domains", tuple(domains))
        object.__setattr__(self, "kinks", tuple(self.kinks))


def _frozen(items: Iterable[str] | str) -> frozenset[str]:
    return frozenset([items] if isinstance(items, str) else items)


@dataclass(frozen=True)
class Case:
    """A function written once against ``xp``, evaluated on every framework.

    ``fn(xp, *inputs)`` returns one array (or scalar) of shape ``output_shape`` at the given
    size. Inputs come from ``args`` (each from its domain) unless ``sampler`` draws them
    together (ties, data with structure). ``requires`` names optional capabilities beyond the
    array vocabulary (``"grad"`` for nested derivatives); an adapter without them reports the
    case unsupported. ``boundary`` lists extra sample points on the edge of the domain
    (``Boundary``); the registry registers each as a case of its own (``boundary_cases``).
    """

    name: str
    fn: Callable[..., Any]
    args: tuple[Arg, ...] = (Arg("x"),)
    output_shape: ShapeSpec = ()
    sampler: Sampler | None = None
    sizes: Sizes = field(default_factory=Sizes)
    dtypes: tuple[str, ...] = DTYPES
    tags: frozenset[str] = frozenset()
    tolerances: tuple[Tolerance, ...] = ()
    kinks: tuple[Kink, ...] = ()
    requires: frozenset[str] = frozenset()
    note: str = ""
    boundary: tuple[Boundary, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists, sets and single strings for convenience; store immutable forms.
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "dtypes", tuple(self.dtypes))
        object.__setattr__(self, "tags", _frozen(self.tags))
        object.__setattr__(self, "tolerances", tuple(self.tolerances))
        object.__setattr__(self, "kinks", tuple(self.kinks))
        object.__setattr__(self, "requires", _frozen(self.requires))
        object.__setattr__(self, "boundary", tuple(self.boundary))

    def boundary_cases(self) -> list[Case]:
        """One case per ``boundary`` point: the same function at that point (the check size
        only: the points are fixed entries, so there is no sweep), tagged ``boundary``."""
        out = []
        for b in self.boundary:
            replaced = dict(b.domains)
            unknown = set(replaced) - set(self.arg_names)
            if unknown:
                raise ValueError(f"case {self.name!r}: boundary {b.label!r} names inputs "
                                 f"{sorted(unknown)}, which do not exist")
            args = tuple(replace(a, domain=replaced.get(a.name, a.domain)) for a in self.args)
            out.append(replace(
                self, name=f"{self.name}-at-{b.label}", args=args,
                sampler=b.sampler if b.sampler is not None or replaced else self.sampler,
                sizes=replace(self.sizes, sweep=()), tags=self.tags | {"boundary"},
                kinks=b.kinks, note=b.note or self.note, boundary=()))
        return out

    # --- inputs ---------------------------------------------------------------------------
    @property
    def argnums(self) -> tuple[int, ...]:
        """Positions (in ``inputs``, not counting ``xp``) of the differentiated inputs."""
        return tuple(i for i, a in enumerate(self.args) if a.diff)

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)

    def arg_index(self, name: str) -> int:
        try:
            return self.arg_names.index(name)
        except ValueError:
            raise KeyError(f"case {self.name!r} has no input {name!r} "
                           f"(inputs: {', '.join(self.arg_names)})") from None

    def input_shapes(self, size: Size | None = None) -> tuple[Shape, ...]:
        size = self.sizes.check if size is None else size
        return tuple(a.shape_at(size) for a in self.args)

    def expected_shape(self, size: Size | None = None) -> Shape:
        return _shape(self.output_shape, self.sizes.check if size is None else size)

    def sample(
        self, rng: np.random.Generator, size: Size | None = None, dtype: str = "float64"
    ) -> tuple[np.ndarray, ...]:
        """Draw the inputs at ``size`` (default: the check size) in ``dtype``.

        Floating arrays are cast to ``dtype``; integer and boolean data are left alone. For a
        complex ``dtype`` a second draw gives the imaginary parts (so both parts lie in the
        domain, and the real parts are the float draw's).
        """
        size = self.sizes.check if size is None else size
        raw = self._draw(rng, size)
        target = numpy_dtype(dtype)
        if target.kind == "c":
            imag = self._draw(rng, size)
            raw = tuple(x + 1j * y if x.dtype.kind == "f" else x for x, y in zip(raw, imag))
        kinds = "fc" if target.kind == "c" else "f"
        return tuple(x.astype(target) if x.dtype.kind in kinds else x for x in raw)

    def _draw(self, rng: np.random.Generator, size: Size) -> tuple[np.ndarray, ...]:
        if self.sampler is not None:
            raw = tuple(np.asarray(x) for x in self.sampler(rng, size))
        else:
            raw = tuple(a.domain.sample(rng, a.shape_at(size)) for a in self.args)
        if len(raw) != len(self.args):
            raise ValueError(
                f"case {self.name!r}: sampler returned {len(raw)} inputs for "
                f"{len(self.args)} args ({', '.join(self.arg_names)})"
            )
        return raw

    def violations(self, inputs: Sequence[np.ndarray]) -> list[str]:
        """What is wrong with ``inputs`` against the declared domains (empty: nothing)."""
        problems = []
        for arg, x in zip(self.args, inputs, strict=True):
            x = np.asarray(x)
            parts = (x.real, x.imag) if x.dtype.kind == "c" else (x,)
            problem = next(filter(None, (arg.domain.violation(p) for p in parts)), "")
            if problem:
                problems.append(f"input {arg.name!r} is outside {arg.domain.name!r}: {problem}")
        return problems

    # --- evaluation -----------------------------------------------------------------------
    def __call__(self, xp: Any, *inputs: Any) -> Any:
        return self.fn(xp, *inputs)

    def bind(self, xp: Any, inputs: Sequence[Any]) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """``(f, diff_inputs)``: ``f(*diff_inputs)`` is ``fn(xp, *inputs)`` with the data
        inputs held fixed, the form every framework's ``grad``/``vjp`` expects."""
        f, diff = partial_in(functools.partial(self.fn, xp), inputs, self.argnums)
        return f, tuple(diff)

    def tolerance(self, dtype: str, check: str) -> Tolerance | None:
        """The override for this dtype and check, the most specific one first."""
        matches = [
            t for t in self.tolerances
            if t.dtype in (None, dtype) and t.check in (None, check)
        ]
        matches.sort(key=lambda t: (t.dtype is None, t.check is None))
        return matches[0] if matches else None
