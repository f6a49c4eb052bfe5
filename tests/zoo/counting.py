"""Counting a function's evaluations: every checker gets the entry's function wrapped in
``Counted``, and its calls (by the checker, through AD or not) are the evaluations reported."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["Counted"]


class Counted:
    """``f`` that counts its calls; keeps ``f``'s name for the checkers' messages."""

    def __init__(self, f: Callable[..., Any], name: str | None = None) -> None:
        functools.update_wrapper(self, f, updated=())
        if name is not None:
            self.__name__ = name
        self.f = f
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.f(*args, **kwargs)
