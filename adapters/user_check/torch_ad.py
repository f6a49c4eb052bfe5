"""PyTorch: ``torch.func.jvp``/``torch.func.vjp`` (they nest, so every second-order check runs),
and the tape for ``torch.autograd.Function`` s written the old way.

``torch.func`` accepts an ``autograd.Function`` only in the ``setup_context`` style (its
``forward`` takes no ``ctx``); it uses ``backward`` for reverse mode and the ``jvp``
staticmethod for forward mode. An old-style Function (``forward(ctx, ...)``) makes torch.func
raise; from then on this check runs on the tape instead: ``torch.autograd.grad(...,
create_graph=True)`` for reverse mode and ``torch.autograd.forward_ad`` dual tensors for forward
mode. The tape nests except forward over forward (torch: "Nested forward mode AD is not
supported"), so that check is recorded as not checked, with the reason.

Whatever torch cannot do for the function (no ``jvp`` staticmethod, an op without a forward
derivative, a ``once_differentiable`` backward differentiated again) raises ``ModeUnavailable``
with torch's own words: the check is listed as not checked, never passed. Every other torch
error (a dtype mismatch, a shape error) propagates as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adapters.user_check.detect import native_framework
from adapters.user_check.user_ad import Transforms, UserAD, numpy_dtype
from refengine.comparison import ModeUnavailable
from refengine.tree import tree_flatten, tree_leaves, tree_unflatten

__all__ = ["TorchAD", "user_ad"]

# torch's messages for "this mode cannot be done for this function" (all the words of one
# entry must appear) -> our reason.
_UNAVAILABLE = (
    (("You must implement the jvp function",),
     "forward mode through a torch.autograd.Function needs its jvp staticmethod"),
    (("Nested forward mode AD is not supported",),
     "torch.autograd.forward_ad does not nest (forward over forward); it is used for an "
     "old-style autograd.Function (forward(ctx, ...)): write it with setup_context so that "
     "torch.func can run it"),
    (("once_differentiable",), "the backward is marked @once_differentiable"),
    (("derivative for", "is not implemented"), "torch has no derivative formula for an op"),
    (("forward AD", "not", "implemented"), "torch has no forward-mode formula for an op"),
)
_NEEDS_TAPE = "must override the setup_context staticmethod"


def user_ad(device: str = "cpu") -> TorchAD:
    import torch

    return TorchAD(torch.device(device))


class TorchAD(UserAD):
    name = "torch"

    def owns(self, value: Any) -> bool:
        return native_framework(value) == "torch"

    def device_of(self, value: Any) -> Any:
        return value.device

    def to_numpy(self, value: Any) -> np.ndarray:
        import torch

        if not isinstance(value, torch.Tensor):
            return np.asarray(value)
        # force=True: also for torch.func's ZeroTensors (a derivative known to be zero).
        if value.dtype == torch.bfloat16:  # NumPy has no bfloat16: through float32, exactly
            return value.float().numpy(force=True).astype(numpy_dtype("bfloat16"))
        return value.numpy(force=True)

    def from_numpy(self, array: np.ndarray, device: Any) -> Any:
        import torch

        array = np.asarray(array)
        if array.dtype.name == "bfloat16":
            return torch.from_numpy(array.astype(np.float32)).to(device, torch.bfloat16)
        # A copy: torch.from_numpy shares memory, and the checker reuses its arrays.
        return torch.from_numpy(np.array(array, copy=True)).to(device)

    def dtype_of(self, value: Any) -> np.dtype:
        import torch

        if isinstance(value, torch.Tensor):
            name = str(value.dtype).removeprefix("torch.")
            return numpy_dtype(name) if name == "bfloat16" else np.dtype(name)
        return np.asarray(value).dtype

    def transforms(self) -> Transforms:
        return _Transforms().pair()

    def promote_constants(self) -> Any:
        return _promoting_mode()


class _Transforms:
    """jvp and vjp for one check: torch.func until an old-style Function needs the tape."""

    def __init__(self) -> None:
        self.tape = False

    def pair(self) -> Transforms:
        return self.jvp, self.vjp

    def jvp(self, fn: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
        import torch

        if not self.tape:
            try:
                return _unavailable_as_such(
                    lambda: torch.func.jvp(fn, tuple(primals), tuple(tangents)))
            except RuntimeError as exc:
                if _NEEDS_TAPE not in str(exc):
                    raise
                self.tape = True
        return _unavailable_as_such(lambda: _tape_jvp(fn, primals, tangents))

    def vjp(self, fn: Callable[..., Any], *primals: Any) -> Any:
        import torch

        if not self.tape:
            try:
                out, pullback = _unavailable_as_such(lambda: torch.func.vjp(fn, *primals))
                # torch's pytrees tell dicts apart by key order; the checker's sorts them.
                return out, lambda ct: _unavailable_as_such(
                    lambda: pullback(_in_order_of(out, ct)))
            except RuntimeError as exc:
                if _NEEDS_TAPE not in str(exc):
                    raise
                self.tape = True
        out, pullback = _unavailable_as_such(lambda: _tape_vjp(fn, primals))
        return out, lambda ct: _unavailable_as_such(lambda: pullback(ct))


def _promoting_mode() -> Any:
    """A ``TorchFunctionMode`` in which every torch op gets its floating tensor arguments in
    float64 (complex in complex128), and every narrower floating dtype it is asked for
    (``dtype=torch.float32``, ``x.to(torch.bfloat16)``, ``x.float()``) is float64 too: a
    function holding float32/float16/bfloat16 constants (a model's weights, data) computes in
    float64, for the oracle's evaluations only. The constants' values are exact in float64, so
    it is the same function, rounded less. Ops on promoted copies do not write into the
    narrower originals (an in-place update of a closed-over buffer is lost, harmlessly: the
    oracle's evaluations should not change state)."""
    import torch
    from torch.overrides import TorchFunctionMode
    from torch.utils._pytree import tree_map

    narrow = {torch.float32: torch.float64, torch.float16: torch.float64,
              torch.bfloat16: torch.float64, torch.complex64: torch.complex128}
    downcasts = {torch.Tensor.float, torch.Tensor.half, torch.Tensor.bfloat16}

    def promote(value: Any) -> Any:
        if isinstance(value, torch.Tensor) and value.dtype in narrow:
            return value.to(narrow[value.dtype])
        if isinstance(value, torch.dtype):
            return narrow.get(value, value)
        return value

    class PromoteToFloat64(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            args, kwargs = tree_map(promote, (tuple(args), dict(kwargs or {})))
            if func in downcasts:
                return args[0]
            return func(*args, **kwargs)

    return PromoteToFloat64()


def _unavailable_as_such(call: Callable[[], Any]) -> Any:
    """Run ``call``; torch's "cannot do this mode here" errors become ModeUnavailable."""
    try:
        return call()
    except (RuntimeError, NotImplementedError) as exc:
        message = str(exc)
        for words, reason in _UNAVAILABLE:
            if all(w in message for w in words):
                first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
                raise ModeUnavailable(f"{reason} (torch: {first})") from exc
        raise


def _in_order_of(template: Any, tree: Any) -> Any:
    """``tree`` with every dict's keys in ``template``'s order."""
    if isinstance(template, dict):
        return {k: _in_order_of(v, tree[k]) for k, v in template.items()}
    if isinstance(template, (tuple, list)) and not hasattr(template, "_fields"):
        return type(template)(_in_order_of(t, c) for t, c in zip(template, tree))
    return tree


def _tape_jvp(fn: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    import torch.autograd.forward_ad as fwad

    with fwad.dual_level():
        duals = [fwad.make_dual(p, t) for p, t in zip(primals, tangents)]
        leaves, structure = tree_flatten(fn(*duals))
        unpacked = [fwad.unpack_dual(o) for o in leaves]
        # An output that does not depend on the inputs has no tangent: its tangent is zero.
        tangents_out = [u.tangent if u.tangent is not None else _zeros(u.primal)
                        for u in unpacked]
    return (tree_unflatten(structure, [u.primal for u in unpacked]),
            tree_unflatten(structure, tangents_out))


def _tape_vjp(fn: Callable[..., Any], primals: Sequence[Any]) -> Any:
    import torch

    # A fresh node per input, so the gradient is this call's alone: a view of an input the
    # tape already follows (an outer derivative), else a copy that starts following (a copy
    # and not detach(): detach would drop a dual tangent of an outer forward derivative).
    xs = [p.view_as(p) if p.requires_grad else p.clone().requires_grad_(True) for p in primals]
    with torch.enable_grad():
        out = fn(*xs)

    def pullback(cotangent: Any) -> tuple[Any, ...]:
        pairs = [(o, c) for o, c in zip(tree_leaves(out), tree_leaves(cotangent))
                 if o.requires_grad]
        if not pairs:  # no output depends on the inputs
            return tuple(_zeros(x) for x in xs)
        grads = torch.autograd.grad([o for o, _ in pairs], xs, [c for _, c in pairs],
                                    create_graph=True, retain_graph=True,
                                    materialize_grads=True)
        return tuple(grads)

    return out, pullback


def _zeros(like: Any) -> Any:
    import torch

    return torch.zeros_like(like)
