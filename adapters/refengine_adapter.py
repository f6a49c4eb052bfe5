"""refengine, this project's reference engine: eager reverse and forward mode over NumPy.

``xp`` is ``refengine.numpy`` itself (and ``refengine.grad`` for nested ``xp.grad``), so every
name is native (refengine implements the whole vocabulary; tests/test_vocabulary.py holds it
to that); only ``svd`` is wrapped, to make it thin by default as the vocabulary says. The
HVP is refengine's own forward-over-reverse ``rf.hvp``; the other nestings compose
``rf.jvp``, ``rf.vjp`` and ``rf.grad`` the JAX way (refengine's traces nest in any order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.base import COMPLEX_DTYPES, DTYPES, NUMPY_HALF_NOTES, BaseAdapter
from adapters.namespace import Table, table_from_names
from adapters.numpy_adapter import numpy_like_table
from adapters.vocabulary import NO_NUMPY_FUNCTION, array_names
from refengine.tree import partial_in

__all__ = ["RefengineAdapter"]


class RefengineAdapter(BaseAdapter):
    name = "refengine"
    dtypes = DTYPES + COMPLEX_DTYPES + ("float16",)
    dtype_notes = NUMPY_HALF_NOTES
    framework = "refengine"
    distributions = ("gradparity",)

    def _load(self) -> Table:
        import refengine as rf
        import refengine.numpy as rnp

        return {
            **numpy_like_table(rnp),
            **table_from_names(rnp, NO_NUMPY_FUNCTION),
            **table_from_names(rf, "grad"),
            **table_from_names(rnp.special, array_names("special"), "special."),
            **table_from_names(rnp.nn, array_names("nn"), "nn."),
            **table_from_names(rnp, "scan fori_loop while_loop checkpoint stop_gradient "
                                    "custom_vjp"),
        }

    def versions(self) -> dict[str, str]:
        import numpy as np

        import refengine

        return {"refengine": refengine.__version__, "numpy": np.__version__}

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import refengine as rf

        def call(inputs: tuple[Any, ...], cotangent: Any) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            out, vjp_fn = rf.vjp(g, *diff)
            return out, vjp_fn(cotangent)

        return call

    def _jvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import refengine as rf

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return rf.jvp(g, tuple(diff), tuple(tangents))

        return call

    def _value_and_grad(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        import refengine as rf

        vg = rf.value_and_grad(f, argnums=argnums)
        return lambda inputs, _direction=None: vg(*inputs)

    def _hvp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import refengine as rf

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            return rf.hvp(g, tuple(diff), tuple(tangents))

        return call

    def _hvp_rev_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        import refengine as rf

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return rf.jvp(g, xs, tuple(tangents))[1]

            return rf.grad(along_v, everything)(*diff)

        return call

    def _hvp_rev_rev(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        import refengine as rf

        everything = tuple(range(len(argnums)))

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)
            _, vjp_fn = rf.vjp(rf.grad(g, everything), *diff)
            return vjp_fn(tuple(tangents))

        return call

    def _jvp_fwd_fwd(
        self, f: Callable[..., Any], argnums: tuple[int, ...]
    ) -> Callable[..., Any]:
        import refengine as rf

        def call(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
            g, diff = partial_in(f, inputs, argnums)

            def along_v(*xs: Any) -> Any:
                return rf.jvp(g, xs, tuple(tangents))[1]

            return rf.jvp(along_v, tuple(diff), tuple(tangents))[1]

        return call

    # -- transformations of a derivative (adapters.base.TRANSFORMS) --
    # refengine has no vectorising map: ``_vmap_vjp`` declines (BaseAdapter's default).
    def _jacfwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import refengine as rf

        return self._full_jacobian(f, argnums, rf.jacfwd)

    def _jacrev(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import refengine as rf

        return self._full_jacobian(f, argnums, rf.jacobian)
