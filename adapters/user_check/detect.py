"""Which framework a value belongs to, read from its type without importing any framework: a
value can only be a torch tensor if torch is already imported, and so on."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["is_numpy_like", "native_framework", "type_name"]


def native_framework(value: Any) -> str | None:
    """"torch", "jax" or "tensorflow" for those frameworks' arrays (``tf.Variable`` too);
    None for anything else (NumPy arrays included: they say nothing about the framework)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return "torch"
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(value, getattr(jax, "Array", ())):
        return "jax"
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(value, (getattr(tf, "Tensor", ()),
                                             getattr(tf, "Variable", ()))):
        return "tensorflow"
    return None


def is_numpy_like(value: Any) -> bool:
    """A NumPy array or scalar, or a Python number: data any framework can be given."""
    return isinstance(value, (np.ndarray, np.generic, float, int)) and not isinstance(value, bool)


def type_name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"
