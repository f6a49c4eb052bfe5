"""Shared shapes, size presets and small case factories for the library modules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from cases.case import Arg, Case, Shape, Sizes, vector
from cases.domains import Domain

__all__ = [
    "BROADCAST",
    "ELEMENTWISE",
    "MATRIX",
    "REDUCE",
    "STRUCTURE",
    "calls",
    "const",
    "elementwise",
    "reduced_shape",
    "rows",
    "square",
    "tags",
]

# Check sizes keep every input at a few dozen entries (checks run fast); sweeps are for timing.
ELEMENTWISE = Sizes(check=6, sweep=(100, 10_000, 1_000_000))
BROADCAST = Sizes(check=4, sweep=(100, 10_000, 300_000))  # inputs (3, n)
REDUCE = Sizes(check=4, sweep=(100, 10_000, 100_000))  # inputs (2, 3, n)
STRUCTURE = Sizes(check=4, sweep=(100, 1_000, 100_000))
MATRIX = Sizes(check=3, sweep=(10, 100, 300))  # inputs (n, n)


def rows(n: int) -> Shape:
    return (3, n)


def square(n: int) -> Shape:
    return (n, n)


def tags(*names: str) -> frozenset[str]:
    return frozenset(names)


def calls(qualified: str) -> Callable[..., Any]:
    """``fn(xp, *args)`` that calls the vocabulary name ``qualified`` (``"exp"``,
    ``"special.expit"``) on the framework's namespace."""
    *modules, name = qualified.split(".")

    def fn(xp: Any, *args: Any) -> Any:
        namespace = xp
        for module in modules:
            namespace = getattr(namespace, module)
        return getattr(namespace, name)(*args)

    fn.__name__ = qualified
    return fn


def const(xp: Any, like: Any, value: Any) -> Any:
    """A NumPy constant as an array of ``like``'s dtype (keeps float32 cases float32)."""
    return xp.asarray(np.asarray(value, dtype=np.float64), dtype=like.dtype)


def reduced_shape(shape: Shape, axis: int | tuple[int, ...] | None, keepdims: bool) -> Shape:
    axes = range(len(shape)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    axes = {a % len(shape) for a in axes}
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def elementwise(
    name: str,
    fn: Callable[..., Any],
    domains: Domain | Iterable[Domain],
    *,
    theme: Iterable[str] = ("elementwise",),
    **fields: Any,
) -> Case:
    """A case mapping vectors of length n to a vector of length n."""
    domains = [domains] if isinstance(domains, Domain) else list(domains)
    names = ["x", "y", "z"][: len(domains)]
    return Case(
        name,
        fn,
        args=tuple(Arg(n, d, vector) for n, d in zip(names, domains, strict=True)),
        output_shape=vector,
        sizes=fields.pop("sizes", ELEMENTWISE),
        tags=frozenset(theme) | frozenset(fields.pop("tags", ())),
        **fields,
    )
