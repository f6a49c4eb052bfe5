"""What the adapters do to a case's arguments and results, whatever the framework: which inputs
to differentiate, and the containers of a case's output on the way in and out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refengine.tree import tree_flatten, tree_leaves, tree_unflatten

__all__ = [
    "check_argnums",
    "check_tangent_count",
    "floating_argnums",
    "like_structure",
    "map_to_tuples",
]


def floating_argnums(inputs: Sequence[Any]) -> tuple[int, ...]:
    """The default inputs to differentiate: the floating-point ones (indices and masks are data)."""
    return tuple(i for i, x in enumerate(inputs) if np.result_type(x).kind == "f")


def check_argnums(argnums: Sequence[int] | None, inputs: Sequence[Any]) -> tuple[int, ...]:
    """``argnums`` (default: the floating inputs) as non-negative positions, or a ValueError."""
    nums = floating_argnums(inputs) if argnums is None else tuple(argnums)
    n = len(inputs)
    bad = [a for a in nums if not -n <= a < n]
    if bad:
        raise ValueError(f"argnums {bad} out of range for {n} inputs")
    return tuple(a % n for a in nums)


def check_tangent_count(tangents: Sequence[Any], nums: tuple[int, ...], what: str) -> None:
    if len(tangents) != len(nums):
        raise ValueError(
            f"{what}: {len(tangents)} tangents for {len(nums)} differentiated inputs "
            f"(argnums={nums}); give one tangent per differentiated input"
        )


def map_to_tuples(fn: Callable[[Any], Any], tree: Any) -> Any:
    """Map over a case output (an array, or a (named) tuple or list of them), giving plain
    tuples for its containers: the NumPy-level layer promises a tuple when a case returns
    several arrays, whichever container the framework used."""
    if isinstance(tree, (tuple, list)):
        return tuple(map_to_tuples(fn, t) for t in tree)
    return fn(tree)


def like_structure(tree: Any, template: Any) -> Any:
    """``tree`` (tuples, from NumPy) rebuilt with ``template``'s containers: JAX and autograd
    insist that a cotangent has exactly its output's structure (list, tuple, named tuple)."""
    if not isinstance(template, (tuple, list)):
        return tree
    return tree_unflatten(tree_flatten(template)[1], tree_leaves(tree))
