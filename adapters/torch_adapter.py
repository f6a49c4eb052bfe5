"""PyTorch, eager: ``torch.autograd`` for reverse mode, ``torch.func`` for forward mode.

- VJP and value-and-gradient: the tape (``torch.autograd.grad``), what torch users run;
  inputs an output does not depend on get zero cotangents (``materialize_grads``).
- JVP: ``torch.func.jvp`` (forward-mode AD with dual tensors).
- HVP: ``torch.func.jvp`` over ``torch.func.grad`` (forward over reverse); the other
  nestings nest ``torch.func`` too: ``grad`` over ``jvp`` (reverse over forward), ``vjp`` over
  ``grad`` (reverse over reverse) and ``jvp`` over ``jvp`` (forward over forward).

``xp`` lives in ``adapters.torch_xp``. Devices: ``cpu``, or ``cuda`` where torch sees one
(``TorchAdapter(device="cuda")``); ``sync`` then calls ``torch.cuda.synchronize``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from adapters import threads
from adapters.arguments import map_to_tuples
from adapters.base import COMPLEX_DTYPES, DTYPES, HALF_DTYPES, BaseAdapter
from adapters.namespace import Table
from refengine.tree import partial_in, tree_leaves

__all__ = ["TorchAdapter"]


class TorchAdapter(BaseAdapter):
    name = "torch"
    framework = "torch"
    distributions = ("torch",)
    imported_version = True
    dtypes = DTYPES + COMPLEX_DTYPES + HALF_DTYPES
    complex_convention = "conjugate"  # measured by the matrix's complex_convention check

    def _load(self) -> Table:
        import torch

        from adapters import torch_xp

        self._torch = torch
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"torch {torch.__version__} sees no CUDA device")
        self._apply_threads(torch)
        return torch_xp.table(torch.device(self.device))

    def _apply_threads(self, torch: Any) -> None:
        n = threads.requested()
        torch.set_num_threads(n)
        notes = []
        try:
            torch.set_num_interop_threads(n)
        except RuntimeError as exc:  # allowed only before torch's first parallel work
            notes.append(f"interop threads unchanged: {exc}")
        self._thread_report = {
            "intra_op": torch.get_num_threads(),
            "inter_op": torch.get_num_interop_threads(),
            "notes": notes,
        }

    def devices(self) -> list[str]:
        import torch

        return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]

    def _to_native(self, array: np.ndarray) -> Any:
        if array.dtype.name == "bfloat16":  # NumPy's is ml_dtypes': through float32, exactly
            return self._torch.from_numpy(array.astype(np.float32)).to(
                self.device, self._torch.bfloat16)
        # A copy: torch.from_numpy would share memory with the caller's array.
        return self._torch.from_numpy(np.array(array, copy=True)).to(self.device)

    def _to_numpy(self, value: Any) -> np.ndarray:
        if isinstance(value, self._torch.Tensor):
            if value._is_zerotensor():
                # A derivative that is identically zero can come back from nested torch.func
                # transforms as an "efficient zero tensor", which has no memory: .numpy()
                # refuses it and .numpy(force=True) can crash the process (a segmentation
                # fault, torch 2.13, the second of two such tensors): build the zeros here.
                return np.zeros(tuple(value.shape), dtype=self._numpy_dtype(value.dtype))
            if value.dtype == self._torch.bfloat16:  # through float32, exactly
                wide = value.detach().cpu().float().numpy()
                return wide.astype(self._numpy_dtype(value.dtype))
            # torch.conj is lazy (a conjugate bit), which .numpy() refuses: resolve it.
            return value.detach().cpu().resolve_conj().numpy()
        return np.asarray(value)

    def _numpy_dtype(self, dtype: Any) -> np.dtype:
        if dtype == self._torch.bfloat16:
            import ml_dtypes

            return np.dtype(ml_dtypes.bfloat16)
        return self._torch.empty((), dtype=dtype).numpy().dtype

    def sync(self, value: Any) -> Any:
        if self.device.startswith("cuda"):
            self._torch.cuda.synchronize()
        return value

    def _classify(self, exc: Exception) -> str | None:
        message = str(exc)
        # torch says so in words when an op has no forward-mode or no backward formula.
        if isinstance(exc, RuntimeError) and (
            ("forward AD" in message and "not" in message and "implemented" in message)
            or ("derivative for" in message and "is not implemented" in message)
        ):
            return message.splitlines()[0]
        # torch.func.vmap (and jacfwd/jacrev, built on it) cannot batch Python control flow
        # on a tensor's value or .item(): torch.func's documented limit ("UX limitations").
        if isinstance(exc, RuntimeError) and message.startswith("vmap:"):
            return message.splitlines()[0]
        # A documented limit of torch tensors, not a failure: x[::-1] has no torch equivalent
        # (torch.flip copies instead).
        if isinstance(exc, ValueError) and "step must be greater than zero" in message:
            return "torch tensors do not support negative slice steps (x[::-1]; use torch.flip)"
        # torch.quantile (the median's composite) has no half-precision kernel.
        if isinstance(exc, RuntimeError) and "must be either float or double dtype" in message:
            return "no half-precision kernel: " + message.splitlines()[0]
        return super()._classify(exc)

    def _reverse(
        self, f: Callable[..., Any], argnums: tuple[int, ...], inputs: tuple[Any, ...],
        cotangent: Any,
    ) -> tuple[Any, tuple[Any, ...]]:
        torch = self._torch
        diff = [inputs[i].detach().requires_grad_(True) for i in argnums]
        g, _ = partial_in(f, inputs, argnums)
        with torch.enable_grad():
            out = g(*diff)
        outs = tree_leaves(out)
        cts = [None] * len(outs) if cotangent is None else tree_leaves(cotangent)
        pairs = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        if pairs:
            grads = torch.autograd.grad(
                [o for o, _ in pairs], diff, [c for _, c in pairs], materialize_grads=True
            )
        else:  # no output depends on the inputs (argmax, comparisons)
            grads = tuple(torch.zeros_like(d) for d in diff)
        return map_to_tuples(lambda t: t.detach(), out), tuple(grads)

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return lambda inputs, cotangent: self._reverse(f, argnums, inputs, cotangent)

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        return lambda inputs, _direction=None: self._reverse(f, argnums, inputs, None)

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        func = self._torch.func

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return func.jvp(g, tuple(diff), tuple(tangents))

        return call

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        func = self._torch.func
        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return func.jvp(func.grad(g, argnums=everything), tuple(diff), tuple(tangents))[1]

        return call

    def _hvp_rev_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        func = self._torch.func
        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return func.jvp(g, xs, tuple(tangents))[1]

            return func.grad(along_v, argnums=everything)(*diff)

        return call

    def _hvp_rev_rev(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        func = self._torch.func
        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            _, vjp_fn = func.vjp(func.grad(g, argnums=everything), *diff)
            return vjp_fn(tuple(tangents))

        return call

    def _jvp_fwd_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        func = self._torch.func

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return func.jvp(g, xs, tuple(tangents))[1]

            return func.jvp(along_v, tuple(diff), tuple(tangents))[1]

        return call

    # -- transformations of a derivative (adapters.base.TRANSFORMS): torch.func --
    def _vmap_vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        func = self._torch.func

        def call(inputs: tuple[Any, ...], cotangents: Any) -> Any:
            g, diff = partial_in(f, inputs, argnums)  # diff: batched; the rest shared

            def one(xs: tuple[Any, ...], ct: Any) -> Any:
                _, vjp_fn = func.vjp(g, *xs)
                return tuple(vjp_fn(ct))

            return func.vmap(one)(tuple(diff), cotangents)

        return call

    def _jacfwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return self._full_jacobian(f, argnums, self._torch.func.jacfwd)

    def _jacrev(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        return self._full_jacobian(f, argnums, self._torch.func.jacrev)
