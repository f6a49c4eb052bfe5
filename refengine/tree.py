"""Nested containers of arrays: tuples, lists and dicts (with any leaves inside); and a function
seen as a function of some of its arguments only (what every derivative transformation
differentiates)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["partial_in", "tree_flatten", "tree_leaves", "tree_map", "tree_unflatten"]


def tree_flatten(tree: Any) -> tuple[list[Any], Any]:
    """Leaves in a fixed order, and a structure to rebuild the container from them."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list[Any]) -> Any:
    if isinstance(tree, (tuple, list)):
        return (type(tree), [_flatten(t, leaves) for t in tree])
    if isinstance(tree, dict):
        keys = sorted(tree, key=repr)
        return (dict, keys, [_flatten(tree[k], leaves) for k in keys])
    leaves.append(tree)
    return None


def tree_leaves(tree: Any) -> list[Any]:
    """The leaves alone, in ``tree_flatten``'s order."""
    return tree_flatten(tree)[0]


def tree_unflatten(structure: Any, leaves: list[Any]) -> Any:
    it = iter(leaves)
    return _unflatten(structure, it)


def _unflatten(structure: Any, it: Any) -> Any:
    if structure is None:
        return next(it)
    if structure[0] is dict:
        _, keys, children = structure
        return {k: _unflatten(c, it) for k, c in zip(keys, children)}
    kind, children = structure
    values = [_unflatten(c, it) for c in children]
    return kind(*values) if hasattr(kind, "_fields") else kind(values)  # namedtuples


def tree_map(fn: Callable[..., Any], tree: Any, *others: Any) -> Any:
    leaves, structure = tree_flatten(tree)
    other_leaves = [tree_flatten(o)[0] for o in others]
    return tree_unflatten(structure, [fn(*xs) for xs in zip(leaves, *other_leaves)])


def partial_in(
    f: Callable[..., Any], args: Sequence[Any], argnums: Sequence[int],
    kwargs: Mapping[str, Any] | None = None,
) -> tuple[Callable[..., Any], list[Any]]:
    """``(g, diff)``: ``g(*diff)`` is ``f(*args, **kwargs)``, with the arguments at ``argnums``
    taken from ``g``'s own and the others held fixed; ``diff`` is those arguments.

    The form every ``grad``/``vjp``/``jvp`` takes: a function of the inputs it differentiates.
    """
    fixed = list(args)
    keywords = dict(kwargs or {})

    def g(*diff: Any) -> Any:
        full = list(fixed)
        for i, value in zip(argnums, diff, strict=True):
            full[i] = value
        return f(*full, **keywords)

    return g, [fixed[i] for i in argnums]
