"""One zoo entry: a user's function on one framework, its seeded arguments, and what it is.

Entries are cheap to create: the framework is imported only by ``Entry.build()``, so a
machine without TensorFlow (say) skips the TensorFlow entries and nothing else.
"""

from __future__ import annotations

import importlib.util
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["FRAMEWORKS", "KINDS", "Built", "Entry", "Registry", "seeded"]

# The zoo's framework names are the adapters' names; the value is the module to look for.
FRAMEWORKS = {"torch": "torch", "jax": "jax", "tensorflow": "tensorflow", "autograd": "autograd"}
KINDS = ("bug", "hard", "framework-bug")


@dataclass(frozen=True)
class Built:
    """What ``Entry.build()`` returns: the function, its arguments (the framework's own values)
    and the context every call must run in (JAX's float64 values need ``jax.enable_x64``)."""

    f: Callable[..., Any]
    args: tuple[Any, ...]
    context: Callable[[], AbstractContextManager[Any]] = nullcontext


@dataclass(frozen=True)
class Entry:
    """A zoo entry.

    ``kind`` is "bug" (a subtly wrong custom derivative rule: every checker should fail it),
    "hard" (a correct function at a point where finite differences struggle: every checker
    should pass it) or "framework-bug" (a correct user function whose derivative the
    framework's own AD gets wrong: a real framework bug that gradparity found, so every checker
    should fail it; ``what`` gives the evidence). ``category`` is the row of the issue's list it
    stands for; ``what`` says exactly what is wrong (bugs) or why it is hard and right (hard
    functions).
    """

    name: str
    framework: str
    kind: str
    category: str
    what: str
    builder: Callable[[], Built] = field(repr=False)
    order: int = 2

    def __post_init__(self) -> None:
        if self.framework not in FRAMEWORKS:
            raise ValueError(f"{self.name}: framework must be one of {sorted(FRAMEWORKS)}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def should_fail(self) -> bool:
        """A right checker fails this entry: a planted bug or a framework's own bug."""
        return self.kind in ("bug", "framework-bug")

    def available(self) -> bool:
        return importlib.util.find_spec(FRAMEWORKS[self.framework]) is not None

    def build(self) -> Built:
        """A fresh function and fresh arguments (so a checker that mutates them harms no one)."""
        return self.builder()


class Registry:
    """The entries of one framework module, in definition order, added by decorating builders:

        @zoo.bug("0.1 % relative error", "backward is g * sigmoid(x) * 1.001")
        def softplus_1e3() -> Built: ...

    The entry's name is ``<framework>-<builder name with - for _>``.
    """

    def __init__(self, framework: str) -> None:
        self.framework = framework
        self.entries: list[Entry] = []

    def bug(self, category: str, what: str, order: int = 2) -> Callable[..., Any]:
        return self._add("bug", category, what, order)

    def hard(self, category: str, what: str, order: int = 2) -> Callable[..., Any]:
        return self._add("hard", category, what, order)

    def framework_bug(self, category: str, what: str, order: int = 2) -> Callable[..., Any]:
        return self._add("framework-bug", category, what, order)

    def _add(self, kind: str, category: str, what: str, order: int) -> Callable[..., Any]:
        def register(builder: Callable[[], Built]) -> Callable[[], Built]:
            name = f"{self.framework}-{builder.__name__.replace('_', '-')}"
            if any(e.name == name for e in self.entries):
                raise ValueError(f"duplicate zoo entry {name}")
            self.entries.append(Entry(name, self.framework, kind, category, what, builder, order))
            return builder

        return register

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)


def seeded(name: str) -> np.random.Generator:
    """The entry's own random generator: its arguments do not depend on the other entries."""
    return np.random.default_rng(zlib.crc32(name.encode()))
