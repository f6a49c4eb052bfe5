"""``check_grads`` for your own function, written in your own framework: its derivatives
against the finite-difference oracle, through that framework's own AD.

    import adapters
    adapters.check_grads(loss, (w, x))                  # torch tensors: torch.func
    adapters.check_grads(f, (x,), framework="autograd") # NumPy arrays: say which framework
    adapters.get("jax").check_grads(f, (x,))            # one adapter

The framework is read from the arguments' types (``torch.Tensor``, ``jax.Array``,
``tf.Tensor``/``tf.Variable``); NumPy arrays alone do not say whether ``f`` is written with
``autograd.numpy`` or ``refengine.numpy``, so then ``framework=`` (or ``adapters.get(name)``)
must. NumPy arguments beside framework arrays, or given to one adapter's ``check_grads``, are
converted to that framework's arrays (on the device of the others, else the adapter's).

What each framework runs, and what it cannot do (recorded as not checked, with the reason,
never passed): ``torch_ad``, ``jax_ad``, ``tensorflow_ad``, ``autograd_ad``, ``refengine_ad``.
Each is a ``UserAD`` (``user_ad.py``), the pieces the generic checker
(``refengine.check.check_derivatives``) needs; ``driver.check_with`` takes the arguments apart
and calls the checker. ``BaseAdapter.check_grads`` asks the adapter for its ``UserAD`` with
``adapter.user_ad()``: the built-in frameworks' come from this package (``for_adapter``), and any
other adapter's is built from its own ``_jvp``/``_vjp`` hooks (``hooks_ad``), so a third-party
adapter gets ``check_grads`` without writing anything; it overrides ``user_ad()`` to do more.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adapters.outcomes import Unavailable, Unsupported
from adapters.user_check.detect import is_numpy_like, native_framework, type_name
from adapters.user_check.driver import check_with, leaf_paths
from adapters.user_check.hooks_ad import from_hooks
from adapters.user_check.user_ad import UserAD
from refengine.check import Comparison
from refengine.tree import tree_flatten

__all__ = [
    "FrameworkChoiceError",
    "UserAD",
    "check_grads",
    "check_with",
    "for_adapter",
    "framework_of",
    "from_hooks",
]

# framework (an adapter's ``framework`` attribute) -> the module with its ``user_ad(device)``.
_BUILT_IN = {
    "torch": "adapters.user_check.torch_ad",
    "jax": "adapters.user_check.jax_ad",
    "tensorflow": "adapters.user_check.tensorflow_ad",
    "autograd": "adapters.user_check.autograd_ad",
    "refengine": "adapters.user_check.refengine_ad",
}

_NUMPY_ONLY = (
    "NumPy arrays do not say which framework f is written for: HIPS autograd (autograd.numpy) "
    "and refengine (refengine.numpy) both take them. Say which: "
    "adapters.check_grads(f, args, framework='autograd') or "
    "adapters.get('autograd').check_grads(f, args) ('refengine' likewise)"
)


class FrameworkChoiceError(TypeError):
    """The arguments do not tell which framework to check with (NumPy arrays only), or name
    several."""


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    rng: np.random.Generator | int | None = None,
    framework: str | None = None,
) -> list[Comparison]:
    """Check the derivatives of your ``f(*args)`` in its own framework against finite
    differences, up to ``order``, in ``modes``; see ``refengine.check`` for what is compared.

    ``args`` is a tuple of f's arguments: arrays of the framework (float64, float32, float16 or
    bfloat16, kept as they are, on their device), or tuples/lists/dicts of them; ``f`` returns
    an array, a scalar or a tuple/list/dict of them. ``framework`` is an adapter name
    (``adapters.names()``); by default it is read from the arguments' types.

    Raises ``GradientCheckError`` (an ``AssertionError``) naming the worst entry on a failure,
    ``OracleError`` when finite differences cannot be trusted at this point, and
    ``FrameworkChoiceError`` when the framework cannot be told. Returns every comparison;
    a mode the framework cannot do for ``f`` is one with ``checked=False`` and its reason
    (and a ``NotCheckedWarning``).
    """
    import adapters

    adapter = adapters.get(framework or framework_of(args))
    if not hasattr(adapter, "check_grads"):
        raise Unsupported(f"the {adapter.name} adapter implements the Adapter protocol only; "
                          "check_grads needs a subclass of adapters.base.BaseAdapter")
    return adapter.check_grads(f, args, order=order, modes=modes, atol=atol, rtol=rtol, rng=rng)


def framework_of(args: Sequence[Any]) -> str:
    """The framework the arguments' arrays belong to (the adapter name)."""
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple of f's arguments, e.g. (x,) or (w, x); got "
                        f"{type_name(args)}")
    found: dict[str, str] = {}
    leaves = tree_flatten(tuple(args))[0]
    for leaf, path in zip(leaves, leaf_paths(tuple(args))):
        name = native_framework(leaf)
        if name is not None:
            found.setdefault(name, path)
        elif not is_numpy_like(leaf):
            raise TypeError(f"{path} is a {type_name(leaf)}: check_grads takes torch, JAX, "
                            "TensorFlow or NumPy arrays (or tuples, lists and dicts of them)")
    if len(found) > 1:
        mixed = ", ".join(f"{path} is a {name} array" for name, path in found.items())
        raise FrameworkChoiceError(f"the arguments mix frameworks ({mixed}); f is checked in "
                                   "one framework")
    if not found:
        raise FrameworkChoiceError(_NUMPY_ONLY)
    return next(iter(found))


def for_adapter(adapter: Any) -> UserAD:
    """The ``UserAD`` of a ``BaseAdapter``: this package's for the built-in frameworks, else
    one built from the adapter's hooks (``from_hooks``, first order)."""
    if not getattr(adapter, "derivatives", True):
        raise Unsupported(f"the {adapter.name} adapter computes values only, no derivatives; "
                          "check a NumPy function with framework='autograd' (autograd.numpy) "
                          "or 'refengine' (refengine.numpy)")
    module_name = _BUILT_IN.get(adapter.framework)
    if module_name is None:
        return from_hooks(adapter)
    # Not adapter.available(): that applies the adapters' thread settings (one thread, for
    # timing), which a user's own program should not get as a side effect of a check.
    try:
        return importlib.import_module(module_name).user_ad(adapter.device)
    except ImportError as exc:
        raise Unavailable(f"{adapter.name} is not available: {exc}") from exc
