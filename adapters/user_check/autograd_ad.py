"""HIPS autograd: ``autograd.make_vjp`` for reverse mode and ``autograd.make_jvp`` for forward
mode, on NumPy arrays; both nest. Custom rules (``autograd.extend.primitive`` with ``defvjp``,
and ``defjvp`` where given) are what they run.

autograd's forward mode covers fewer functions than its reverse mode: a primitive without a JVP
rule makes ``make_jvp`` raise "JVP of ... not defined", which becomes ``ModeUnavailable`` (the
forward checks are listed as not checked, with that reason); the same for a missing VJP.

autograd traces through its own containers only, and has no forward rule for dicts: the
function's outputs are handed to autograd as one flat ``autograd.builtins.tuple`` of its
leaves and put back into the function's own structure afterwards.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from adapters.user_check.detect import is_numpy_like
from adapters.user_check.user_ad import Transforms, UserAD
from refengine.comparison import ModeUnavailable
from refengine.tree import tree_flatten, tree_leaves, tree_unflatten

__all__ = ["AutogradAD", "user_ad"]


def user_ad(device: str = "cpu") -> AutogradAD:
    import autograd  # noqa: F401 - fails here, not mid-check, where autograd is missing

    return AutogradAD(None)


class AutogradAD(UserAD):
    name = "autograd"

    def owns(self, value: Any) -> bool:
        return is_numpy_like(value)

    def from_numpy(self, array: np.ndarray, device: Any) -> Any:
        return np.array(array, copy=True)

    def transforms(self) -> Transforms:
        return _jvp, _vjp


class _Flat:
    """``fn`` with its outputs as one autograd tuple of leaves (a single array as itself);
    ``structure`` is the output structure of the last call, to rebuild results with."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.structure: Any = None
        self.single = False

    def __call__(self, *xs: Any) -> Any:
        from autograd.builtins import tuple as ag_tuple

        leaves, self.structure = tree_flatten(self.fn(*xs))
        self.single = self.structure is None  # the output is one array, not a container
        return leaves[0] if self.single else ag_tuple(tuple(leaves))

    def rebuild(self, flat: Any) -> Any:
        return tree_unflatten(self.structure, [flat] if self.single else list(flat))


def _jvp(fn: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    import autograd

    flat = _Flat(fn)
    argnums = tuple(range(len(primals)))
    with _missing_rule_as_unavailable(), _quiet_constant_output():
        out, tangent = autograd.make_jvp(flat, argnums)(*primals)(tuple(tangents))
    return flat.rebuild(out), flat.rebuild(tangent)


def _vjp(fn: Callable[..., Any], *primals: Any) -> Any:
    import autograd

    flat = _Flat(fn)
    with _missing_rule_as_unavailable(), _quiet_constant_output():
        pullback, out = autograd.make_vjp(flat, tuple(range(len(primals))))(*primals)
    structure, single = flat.structure, flat.single

    def flat_pullback(cotangent: Any) -> tuple[Any, ...]:
        leaves = tree_leaves(cotangent)
        with _missing_rule_as_unavailable():
            return tuple(pullback(leaves[0] if single else tuple(leaves)))

    return tree_unflatten(structure, [out] if single else list(out)), flat_pullback


@contextmanager
def _missing_rule_as_unavailable() -> Iterator[None]:
    try:
        yield
    except NotImplementedError as exc:
        message = str(exc)
        if not (message.startswith(("JVP of", "VJP of")) and " not defined" in message):
            raise
        raise ModeUnavailable(f"autograd has no rule for this mode here ({message})") from exc


@contextmanager
def _quiet_constant_output() -> Iterator[None]:
    """autograd warns "Output seems independent of input" for a constant output; the checker
    compares the zero derivative it then returns like any other, so the warning says nothing."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Output seems independent of input")
        yield
