"""A ``UserAD`` for any ``BaseAdapter``, built from the hooks every adapter already has: its
``_jvp``/``_vjp`` builders (``f(*inputs)`` on native arrays -> ``call(inputs, direction)``),
``to_native``/``to_numpy`` and ``_classify``. This is how a third-party adapter gets
``check_grads`` without writing anything new.

First order always works. Second order needs the builders to nest (a builder called inside
another's function must be differentiated by the outer one: torch's ``_vjp`` detaches its
inputs, for one, so it does not). That cannot be seen from outside, so by default a nested call
raises ``ModeUnavailable`` and the second-order checks are listed as not checked, with the way
out: an adapter whose builders nest overrides ``user_ad`` to return ``from_hooks(self,
nests=True)`` (or a ``UserAD`` of its own, as the built-in frameworks have).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from adapters.user_check.detect import is_numpy_like, native_framework
from adapters.user_check.user_ad import Transforms, UserAD
from refengine.comparison import ModeUnavailable

__all__ = ["HooksAD", "from_hooks"]


def from_hooks(adapter: Any, nests: bool = False) -> HooksAD:
    """The ``UserAD`` of ``adapter`` (a ``BaseAdapter``) from its own hooks; ``nests``: its
    ``_jvp``/``_vjp`` builders may be called inside each other (second order)."""
    adapter._require()  # import the framework now: a missing one fails here, not mid-check
    return HooksAD(adapter, nests)


class HooksAD(UserAD):
    def __init__(self, adapter: Any, nests: bool) -> None:
        super().__init__(adapter.device)
        self.adapter = adapter
        self.nests = nests
        self.name = adapter.name

    def owns(self, value: Any) -> bool:
        # NumPy data is converted like any NumPy argument; another known framework's array is
        # not this adapter's.
        return not is_numpy_like(value) and native_framework(value) is None

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(self.adapter.to_numpy(value))

    def from_numpy(self, array: np.ndarray, device: Any) -> Any:
        return self.adapter.to_native(array)  # on the adapter's own device

    def dtype_of(self, value: Any) -> np.dtype:
        try:
            return super().dtype_of(value)
        except TypeError:  # a framework dtype NumPy does not know by name
            return self.to_numpy(value).dtype

    def transforms(self) -> Transforms:
        adapter, depth = self.adapter, [0]
        why = (f"the {adapter.name} adapter does not declare that its _jvp/_vjp builders nest, "
               "and second order needs them to: an adapter whose builders nest overrides "
               "user_ad() to return adapters.user_check.from_hooks(self, nests=True)")

        @contextmanager
        def level() -> Iterator[None]:
            if depth[0] and not self.nests:
                raise ModeUnavailable(why)
            depth[0] += 1
            try:
                yield
            except Exception as exc:
                reason = adapter._classify(exc)  # the adapter's own "cannot do this"
                if reason is None or isinstance(exc, ModeUnavailable):
                    raise
                raise ModeUnavailable(reason) from exc
            finally:
                depth[0] -= 1

        def jvp(fn: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
            with level():
                call = adapter._jvp(fn, tuple(range(len(primals))))
                return call(tuple(primals), tuple(tangents))

        def vjp(fn: Callable[..., Any], *primals: Any) -> Any:
            with level():
                out = fn(*primals)

            def pullback(cotangent: Any) -> tuple[Any, ...]:
                with level():
                    call = adapter._vjp(fn, tuple(range(len(primals))))
                    return tuple(call(tuple(primals), cotangent)[1])

            return out, pullback

        return jvp, vjp
