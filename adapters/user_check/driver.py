"""``check_with``: one framework's ``UserAD`` + the user's function and arguments -> the generic
checker (``refengine.check.check_derivatives``).

The arguments may be nested tuples, lists and dicts of arrays; the checker sees their leaves as
a flat tuple of NumPy arrays of the user's dtypes, and the function is called with the
structure rebuilt around framework arrays. "Argument k" in a comparison counts those leaves in
order (dict keys sorted by their repr, as ``refengine.tree`` flattens); a failure's message also
names the leaf by its path (``args[1]['w']``) when the arguments are nested.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from adapters.user_check.detect import is_numpy_like, native_framework, type_name
from adapters.user_check.user_ad import FLOAT_DTYPE_NAMES, UserAD
from refengine.check import CheckConfig, Comparison, GradientCheckError, check_derivatives
from refengine.tree import tree_flatten, tree_unflatten

__all__ = ["check_with", "leaf_paths"]


def check_with(
    ad: UserAD,
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    rng: np.random.Generator | int | None = None,
) -> list[Comparison]:
    """Check ``ad``'s derivatives of ``f(*args)`` (see ``adapters.check_grads``)."""
    if not callable(f):
        raise TypeError(f"f must be a function, got {type_name(f)}")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple of f's arguments, e.g. (x,) or (w, x); got "
                        f"{type_name(args)}")
    leaves, structure = tree_flatten(tuple(args))
    paths = leaf_paths(tuple(args))
    label = getattr(f, "__name__", None) or "f"

    def flat_f(*xs: Any) -> Any:
        return f(*tree_unflatten(structure, list(xs)))

    config = CheckConfig(modes=tuple(modes), order=order, atol=atol, rtol=rtol)
    with ad.scope():
        arrays, device = _as_arrays(ad, leaves, paths)
        functions = ad.ad_functions(device)
        try:
            return check_derivatives(flat_f, arrays, ad=functions, config=config, rng=rng,
                                     name=label)
        except GradientCheckError as error:
            named = _with_path(error.comparison, paths)
            if named is error.comparison:
                raise
            raise GradientCheckError(named).with_traceback(error.__traceback__) from None


def leaf_paths(args: tuple[Any, ...]) -> list[str]:
    """``args[i]...`` for each leaf, in ``refengine.tree.tree_flatten``'s order."""
    paths: list[str] = []

    def walk(tree: Any, path: str) -> None:
        if isinstance(tree, (tuple, list)):
            for i, t in enumerate(tree):
                walk(t, f"{path}[{i}]")
        elif isinstance(tree, dict):
            for k in sorted(tree, key=repr):
                walk(tree[k], f"{path}[{k!r}]")
        else:
            paths.append(path)

    walk(args, "args")
    return paths


def _as_arrays(
    ad: UserAD, leaves: list[Any], paths: list[str]
) -> tuple[tuple[np.ndarray, ...], Any]:
    """The leaves as NumPy arrays of their own dtypes, and the device they share."""
    arrays, devices = [], {}
    for leaf, path in zip(leaves, paths):
        if ad.owns(leaf):
            devices.setdefault(ad.device_of(leaf), path)
            array = np.asarray(ad.to_numpy(leaf))
        elif is_numpy_like(leaf):
            array = np.asarray(leaf)
        else:
            other = native_framework(leaf)
            hint = (f"it is a {other} array: use adapters.check_grads(f, args), which picks the "
                    "framework from the arguments" if other else
                    f"pass {ad.name} arrays or NumPy arrays")
            raise TypeError(f"{path} is a {type_name(leaf)}, not an array {ad.name} checks; "
                            f"{hint}")
        if array.dtype.name not in FLOAT_DTYPE_NAMES:
            raise TypeError(f"{path} has dtype {array.dtype}: finite differences need float "
                            f"arguments ({', '.join(FLOAT_DTYPE_NAMES)}); pass other data by "
                            "closing over it (functools.partial or a lambda)")
        arrays.append(array)
    if len(devices) > 1:
        where = ", ".join(f"{p} on {d}" for d, p in devices.items())
        raise ValueError(f"the arguments are on different devices ({where}); put them on one")
    device = next(iter(devices)) if devices else ad.default_device
    return tuple(arrays), device


def _with_path(comparison: Comparison, paths: list[str]) -> Comparison:
    """The comparison with its argument's path in the note, when the arguments are nested."""
    k = comparison.argument
    if k is None or paths[k] == f"args[{k}]":
        return comparison
    where = f"argument {k} is {paths[k]}"
    return replace(comparison, note=f"{comparison.note}. {where}" if comparison.note else where)
