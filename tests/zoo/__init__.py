"""The bug zoo of issue 16: subtly wrong custom derivative rules and correct but hard functions,
on torch, JAX, TensorFlow and HIPS autograd, for measuring gradient checkers.

    from tests.zoo import ENTRIES, entries
    for entry in entries(kind="bug", framework="jax"):
        built = entry.build()            # imports JAX now, not before
        with built.context():
            built.f(*built.args)

``tests/test_zoo.py`` holds gradparity to it (every bug fails, every hard function passes);
``framework_bugs.py`` lists the frameworks' own bugs that gradparity found (they fail too);
``tests/benchmarks/test_bench_zoo.py`` puts the other checkers beside it (``RESULTS.md``).
"""

from __future__ import annotations

from tests.zoo import autograd_zoo, framework_bugs, jax_zoo, tf_zoo, torch_zoo
from tests.zoo.entry import FRAMEWORKS, KINDS, Built, Entry, seeded

__all__ = ["ENTRIES", "FRAMEWORKS", "KINDS", "Built", "Entry", "entries", "seeded"]

ENTRIES: tuple[Entry, ...] = (
    *torch_zoo.ZOO, *jax_zoo.ZOO, *tf_zoo.ZOO, *autograd_zoo.ZOO, *framework_bugs.FOUND,
)


def entries(kind: str | None = None, framework: str | None = None) -> list[Entry]:
    """The zoo's entries of that kind and framework (None: all)."""
    for value, allowed in ((kind, KINDS), (framework, tuple(FRAMEWORKS))):
        if value is not None and value not in allowed:
            raise ValueError(f"{value!r} is not one of {allowed}")
    return [e for e in ENTRIES
            if kind in (None, e.kind) and framework in (None, e.framework)]
