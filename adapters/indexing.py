"""The indexing hook: ``x[key]`` in a case, seen by the adapter that runs it.

Cases index as NumPy does (``x[:, idx]``, ``x[rows, cols]``, masks), with the index arrays as
NumPy arrays. A framework whose arrays take those as they are (torch, JAX, autograd) needs
nothing. One whose arrays take only their own kind of index (tinygrad's tensors) or spell
integer-array indexing with other ops (TensorFlow: ``tf.gather``, ``tf.gather_nd``) declares
its array classes in ``BaseAdapter.index_types()`` and translates in ``BaseAdapter.index``;
while the adapter runs a case (and while a jit mode traces it), ``x[key]`` on those classes
goes through the hook. Outside the adapter's calls, and in other threads, the framework's own
``__getitem__`` answers as always, so a user's own code never sees the hook.

The dispatcher is put in front of each class's ``__getitem__`` once per process; the hook is
given the class's own ``__getitem__`` to call, and while it runs the dispatcher is off, so
the framework's own indexing inside the hook is never routed back to it.
"""

from __future__ import annotations

import contextvars
import threading
import types as _types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["IndexHook", "index_arrays", "indexing_hook"]

# hook(getitem, x, key) -> x[key]: ``getitem`` is the class's own __getitem__.
IndexHook = Callable[[Callable[[Any, Any], Any], Any, Any], Any]

_ACTIVE: contextvars.ContextVar[Mapping[type, IndexHook]] = contextvars.ContextVar(
    "gradparity_indexing", default=_types.MappingProxyType({}))
_INSTALL_LOCK = threading.Lock()
_MARK = "_gradparity_indexing"
_NONE: Mapping[type, IndexHook] = _types.MappingProxyType({})


@contextmanager
def indexing_hook(types: tuple[type, ...], hook: IndexHook) -> Iterator[None]:
    """Within: ``x[key]`` for ``x`` an instance of one of ``types`` is ``hook(getitem, x,
    key)`` (this thread and task only)."""
    for cls in types:
        _install(cls)
    token = _ACTIVE.set({**_ACTIVE.get(), **dict.fromkeys(types, hook)})
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _install(cls: type) -> None:
    with _INSTALL_LOCK:
        current = cls.__getitem__  # type: ignore[attr-defined]
        if getattr(current, _MARK, None) is cls:
            return

        def getitem(x: Any, key: Any) -> Any:
            hook = _ACTIVE.get().get(cls)
            if hook is None:
                return current(x, key)
            token = _ACTIVE.set(_NONE)  # the hook's own indexing is the framework's
            try:
                return hook(current, x, key)
            finally:
                _ACTIVE.reset(token)

        setattr(getitem, _MARK, cls)
        getitem.__doc__ = current.__doc__
        cls.__getitem__ = getitem  # type: ignore[attr-defined]


def index_arrays(key: Any, convert: Callable[[np.ndarray], Any]) -> Any:
    """``key`` with every NumPy array (and list) of one or more dimensions in it converted by
    ``convert`` (to the framework's own array); integers, slices, ``None`` and ``...`` stay."""

    def one(part: Any) -> Any:
        if isinstance(part, list) or (isinstance(part, np.ndarray) and part.ndim >= 1):
            return convert(np.asarray(part))
        return part

    return tuple(one(p) for p in key) if isinstance(key, tuple) else one(key)
