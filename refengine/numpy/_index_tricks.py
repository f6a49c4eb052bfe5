"""``rnp.r_`` and ``rnp.c_``: NumPy's index tricks that concatenate, over traced values too."""

from __future__ import annotations

from typing import Any

import numpy as np

from refengine.numpy._axes import ndim
from refengine.numpy._shape import concatenate, reshape

__all__ = ["c_", "r_"]


def _range(s: slice) -> np.ndarray:
    """A slice as NumPy's r_ reads it: a range, or with a complex step, that many points."""
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
        return np.linspace(start, s.stop, int(abs(step)))
    return np.arange(start, s.stop, step)


class _Concatenator:
    """``r_[...]`` (``columns=False``): entries joined along the first axis, scalars and ranges
    as 1-d arrays. ``c_[...]``: 1-d entries as columns, joined along the last axis."""

    def __init__(self, name: str, columns: bool) -> None:
        self._name = name
        self._columns = columns

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if items and isinstance(items[0], str):
            raise NotImplementedError(
                f"rnp.{self._name} takes no directive string ({items[0]!r}): call "
                "rnp.concatenate, rnp.stack or rnp.column_stack with the axis you want"
            )
        parts = []
        for item in items:
            part = _range(item) if isinstance(item, slice) else item
            part = reshape(part, (1,)) if ndim(part) == 0 else part
            if self._columns:
                part = reshape(part, (-1, 1)) if ndim(part) == 1 else part
            parts.append(part)
        return concatenate(parts, axis=-1 if self._columns else 0)

    def __len__(self) -> int:
        return 0


r_ = _Concatenator("r_", columns=False)
c_ = _Concatenator("c_", columns=True)
