"""JAX: ``jax.jvp`` and ``jax.vjp`` (they nest, and run ``jax.custom_jvp`` and
``jax.custom_vjp`` rules).

JAX refuses forward mode through a ``jax.custom_vjp`` function ("can't apply forward-mode
autodiff (jvp) to a custom_vjp function"): that TypeError becomes ``ModeUnavailable``, so the
JVP checks (and their derivatives) are listed as not checked, with JAX's reason; reverse over
reverse and forward over reverse still run the custom rule.

Float64: the oracle evaluates the function at float64 points, which JAX keeps only with x64
on. The whole check runs inside ``jax.enable_x64(True)``, a scoped, thread-local switch that is
restored when the check ends, so the user's global ``jax_enable_x64`` setting is never changed
(the JAX adapter does the same). Arguments keep their own dtypes inside it (a float32 array
stays float32, Python scalars stay weakly typed); only a constant the function itself makes
without a dtype (``jnp.array(2.0)``) is float64 there, as it would be under x64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from adapters.user_check.detect import native_framework
from adapters.user_check.user_ad import Transforms, UserAD
from refengine.comparison import ModeUnavailable

__all__ = ["JaxAD", "user_ad"]


def user_ad(device: str = "cpu") -> JaxAD:
    import jax

    return JaxAD(jax.devices(device)[0])


class JaxAD(UserAD):
    name = "jax"

    def owns(self, value: Any) -> bool:
        return native_framework(value) == "jax"

    def device_of(self, value: Any) -> Any:
        devices = value.devices()
        if len(devices) != 1:
            raise ValueError(f"a JAX argument is sharded over {len(devices)} devices; "
                             "check_grads takes arrays on one device (jax.device_put)")
        return next(iter(devices))

    def from_numpy(self, array: np.ndarray, device: Any) -> Any:
        import jax

        return jax.device_put(np.asarray(array), device)

    def scope(self) -> AbstractContextManager[Any]:
        import jax

        return jax.enable_x64(True)

    def transforms(self) -> Transforms:
        return _jvp, _vjp


def _jvp(fn: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    import jax

    try:
        return jax.jvp(fn, tuple(primals), tuple(tangents))
    except TypeError as exc:
        if "custom_vjp" not in str(exc):
            raise
        raise ModeUnavailable(
            f"JAX has no forward mode through a jax.custom_vjp function (JAX: {exc})"
        ) from exc


def _vjp(fn: Callable[..., Any], *primals: Any) -> Any:
    import jax

    return jax.vjp(fn, *primals)
