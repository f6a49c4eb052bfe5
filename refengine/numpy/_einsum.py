"""einsum: NumPy's subscripts normalised to one explicit form the derivative rule can read.

The normal form has explicit output subscripts, no ellipsis (it is expanded to capital letters,
right-aligned as NumPy broadcasts them) and no spaces, e.g. ``"ij,jk->ik"``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine.primitive import Tracer

__all__ = ["einsum", "parse_einsum"]

_ELLIPSIS_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_einsum(subscripts: str, ndims: list[int]) -> str:
    """Return the explicit normal form of ``subscripts`` for operands of the given ranks."""
    return _parse_einsum(subscripts, tuple(ndims))


@functools.lru_cache(maxsize=512)
def _parse_einsum(subscripts: str, ndims: tuple[int, ...]) -> str:
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        lhs, rhs = spec.split("->")
    else:
        lhs, rhs = spec, None
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise ValueError(
            f"einsum subscripts {subscripts!r} name {len(inputs)} operands, got {len(ndims)}"
        )
    if any(c.isupper() for c in spec):
        raise ValueError("rnp.einsum reserves capital letters for '...'; use lower case")
    widest = 0
    expanded = []
    for sub, nd in zip(inputs, ndims):
        if "..." in sub:
            n_ell = nd - (len(sub) - 3)
            widest = max(widest, n_ell)
            # Ellipsis axes take the last capital letters, so they line up from the right
            # exactly as NumPy broadcasts them.
            sub = sub.replace("...", _ELLIPSIS_LETTERS[len(_ELLIPSIS_LETTERS) - n_ell :])
        elif len(sub) != nd:
            raise ValueError(f"einsum operand with subscripts {sub!r} has {nd} dimensions")
        expanded.append(sub)
    ell_out = _ELLIPSIS_LETTERS[len(_ELLIPSIS_LETTERS) - widest :]
    if rhs is None:
        counts: dict[str, int] = {}
        for sub in expanded:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell_out + "".join(sorted(c for c, n in counts.items() if n == 1 and c.islower()))
    else:
        rhs = rhs.replace("...", ell_out)
    return ",".join(expanded) + "->" + rhs


def _interleaved(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """NumPy's other form, einsum(op0, sublist0, op1, sublist1, ..., [sublistout]), as
    subscripts and operands: axis labels 0-25 become letters a-z, Ellipsis becomes '...'."""

    def letters(sublist: Any) -> str:
        out = []
        for label in sublist:
            if label is Ellipsis:
                out.append("...")
            elif isinstance(label, (int, np.integer)) and 0 <= label < 26:
                out.append(chr(ord("a") + int(label)))
            else:
                raise ValueError(
                    f"rnp.einsum's sublists take axis labels 0 to 25 and Ellipsis, not {label!r}"
                )
        return "".join(out)

    operands = args[0::2][: len(args) // 2]
    inputs = ",".join(letters(sub) for sub in args[1::2][: len(args) // 2])
    out = "->" + letters(args[-1]) if len(args) % 2 else ""
    return inputs + out, operands


def einsum(subscripts: Any, *operands: Any) -> Any:
    """``np.einsum`` with explicit or implicit output and ellipses, differentiable; also in the
    interleaved form ``einsum(op0, sublist0, op1, sublist1, ..., [sublistout])``."""
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved((subscripts, *operands))
    shapes = tuple(
        np.shape(x._value) if isinstance(x, Tracer) else np.shape(x) for x in operands
    )
    spec, targets = _plan(subscripts, shapes)
    if targets is None:
        return P.einsum(*operands, spec=spec)
    stretched = [
        x if target == shape else P.broadcast_to(x, shape=target)
        for x, target, shape in zip(operands, targets, shapes)
    ]
    return P.einsum(*stretched, spec=spec)


@functools.lru_cache(maxsize=512)
def _plan(subscripts: str, shapes: tuple[tuple[int, ...], ...]) -> tuple[str, Any]:
    """The normal form, and the shapes to stretch the operands to (None: as they are)."""
    spec = _parse_einsum(subscripts, tuple(len(s) for s in shapes))
    # The normal form names broadcast (ellipsis) axes with letters, which np.einsum does not
    # broadcast: stretch size-1 axes explicitly (broadcast_to is differentiable).
    sizes: dict[str, int] = {}
    subs = spec.split("->")[0].split(",")
    for sub, shape in zip(subs, shapes):
        for c, n in zip(sub, shape):
            sizes[c] = max(sizes.get(c, 1), n)
    targets = tuple(tuple(sizes[c] for c in sub) for sub in subs)
    return spec, (None if targets == shapes else targets)
