"""refengine: ``rf.jvp`` and ``rf.vjp`` on NumPy arrays, exactly what ``rf.check_grads`` uses
(so both give the same comparisons for the same function, arguments and seed)."""

from __future__ import annotations

from typing import Any

import numpy as np

from adapters.user_check.detect import is_numpy_like
from adapters.user_check.user_ad import Transforms, UserAD

__all__ = ["RefengineAD", "user_ad"]


def user_ad(device: str = "cpu") -> RefengineAD:
    return RefengineAD(None)


class RefengineAD(UserAD):
    name = "refengine"

    def owns(self, value: Any) -> bool:
        return is_numpy_like(value)

    def from_numpy(self, array: np.ndarray, device: Any) -> Any:
        return np.asarray(array)  # as rf.check_grads: the checker never writes to its arrays

    def transforms(self) -> Transforms:
        from refengine.api import jvp, vjp

        return jvp, vjp
