"""``UserAD``: how ``check_grads`` reaches one framework's AD for functions on that framework's
own values (torch tensors, JAX arrays, TensorFlow tensors, NumPy arrays).

The checker (``refengine.check.check_derivatives``) speaks NumPy at its edges and the
framework's language in between: it converts each point it evaluates with ``from_numpy``,
calls the user's function and the framework's ``jvp``/``vjp`` on framework values, and reads
results back with ``to_numpy``. A ``UserAD`` supplies those pieces for one framework, plus what
the entry point needs to take the user's arguments apart: which values are the framework's
(``owns``), where they live (``device_of``) and a scope to run the whole check in (JAX's x64).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from refengine.check import ADFunctions

__all__ = ["FLOAT_DTYPE_NAMES", "Transforms", "UserAD", "numpy_dtype"]

# The dtypes a user's argument may have: finite differences need real floats. bfloat16 is
# NumPy's through ml_dtypes (which JAX and TensorFlow already use for it).
FLOAT_DTYPE_NAMES = ("float64", "float32", "float16", "bfloat16")

# (jvp, vjp) in JAX's calling convention; see refengine.check.ADFunctions.
Transforms = tuple[Callable[..., Any], Callable[..., Any]]


def numpy_dtype(name: str) -> np.dtype:
    """The NumPy dtype called ``name``; ``bfloat16`` is ``ml_dtypes.bfloat16``."""
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


class UserAD:
    """One framework's AD for user functions. Subclasses fill in ``owns``, ``from_numpy`` and
    ``transforms``, and override the rest where the framework's values need it.

    ``default_device`` is where NumPy arguments go when no argument is the framework's own.
    """

    name: str = ""

    def __init__(self, default_device: Any = None) -> None:
        self.default_device = default_device

    def owns(self, value: Any) -> bool:
        """Whether ``value`` is one of this framework's arrays."""
        raise NotImplementedError

    def device_of(self, value: Any) -> Any:
        """The device an owned value lives on (None: the framework has one place)."""
        return None

    def to_numpy(self, value: Any) -> np.ndarray:
        """A framework value as a NumPy array of the same dtype (bfloat16 included)."""
        return np.asarray(value)

    def from_numpy(self, array: np.ndarray, device: Any) -> Any:
        """A framework array with ``array``'s values and dtype, on ``device``."""
        raise NotImplementedError

    def dtype_of(self, value: Any) -> np.dtype:
        dtype = getattr(value, "dtype", None)
        return np.dtype(dtype) if dtype is not None else np.asarray(value).dtype

    def scope(self) -> AbstractContextManager[Any]:
        """Entered around the whole check (JAX: float64 on, for the oracle's evaluations)."""
        return nullcontext()

    def promote_constants(self) -> AbstractContextManager[Any] | None:
        """A context in which the user's function computes in float64 even where it holds
        narrower constants, for the oracle's evaluations (``ADFunctions.promote_constants``);
        None where the framework has none (the oracle then falls back to the arguments'
        dtype)."""
        return None

    def transforms(self) -> Transforms:
        """``(jvp, vjp)`` for one check. Fresh for each check: they may keep state (torch
        switches to its tape for old-style ``autograd.Function`` s once it meets one)."""
        raise NotImplementedError

    def ad_functions(self, device: Any) -> ADFunctions:
        """The checker's view of this framework, with new arrays made on ``device``."""
        jvp, vjp = self.transforms()
        return ADFunctions(
            jvp=jvp,
            vjp=vjp,
            from_numpy=lambda array: self.from_numpy(array, device),
            to_numpy=self.to_numpy,
            dtype_of=self.dtype_of,
            promote_constants=self._promotion(),
        )

    def _promotion(self) -> Callable[[], AbstractContextManager[Any]] | None:
        """``promote_constants`` as a factory of contexts, or None where there is none."""
        if type(self).promote_constants is UserAD.promote_constants:
            return None
        return lambda: self.promote_constants() or nullcontext()
