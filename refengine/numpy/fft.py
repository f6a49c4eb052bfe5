"""``rnp.fft``: NumPy's discrete Fourier transforms, as HIPS autograd's ``autograd.numpy.fft``
wraps them (and with odd lengths and repeated ``s`` too).

Each transform is a primitive of ``refengine/primitives_complex.py`` on an array already of the
transform's size: the ``n``/``s`` zero-padding or truncation is done first with ``pad`` and
indexing, whose derivatives are their own. ``rfftn``/``irfftn`` are the one-axis real transform
along the last axis and the complex ones along the others, in NumPy's order. The shifts are
rolls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from refengine import primitives as P
from refengine import primitives_complex as PC
from refengine.numpy._axes import ndim, shape_of

__all__ = [
    "fft", "fft2", "fftfreq", "fftn", "fftshift", "ifft", "ifft2", "ifftn", "ifftshift", "irfft",
    "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn",
]

fftfreq = np.fft.fftfreq  # sample frequencies: constants
rfftfreq = np.fft.rfftfreq


def _axis(a: Any, axis: int) -> int:
    nd = ndim(a)
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(axis, nd)
    return axis % nd


def _fit(a: Any, sizes: Sequence[int | None], axes: Sequence[int]) -> Any:
    """``a`` zero-padded or truncated to ``sizes`` along ``axes``, as NumPy's ``n``/``s``."""
    for n, axis in zip(sizes, axes):
        if n is None:
            continue
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
        m = shape_of(a)[axis]
        if m > n:
            index = [slice(None)] * ndim(a)
            index[axis] = slice(0, n)
            a = a[tuple(index)]
        elif m < n:
            widths = [(0, 0)] * ndim(a)
            widths[axis] = (0, n - m)
            a = P.pad(a, pad_width=tuple(widths), value=0.0)
    return a


def _nd_args(a: Any, s: Any, axes: Any) -> tuple[list[int | None], tuple[int, ...]]:
    """NumPy's defaults: every axis when both are None, else the last len(s) axes."""
    if axes is None:
        axes = range(ndim(a)) if s is None else range(ndim(a) - len(s), ndim(a))
    axes = tuple(_axis(a, ax) for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"rnp.fft: repeated axes {axes} are not supported")
    sizes = [None] * len(axes) if s is None else list(s)
    if len(sizes) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return sizes, axes


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    axis = _axis(a, axis)
    return PC.fftn(_fit(a, [n], [axis]), axes=(axis,), norm=norm)


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    axis = _axis(a, axis)
    return PC.ifftn(_fit(a, [n], [axis]), axes=(axis,), norm=norm)


def fftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
    sizes, axes = _nd_args(a, s, axes)
    return PC.fftn(_fit(a, sizes, axes), axes=axes, norm=norm)


def ifftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
    sizes, axes = _nd_args(a, s, axes)
    return PC.ifftn(_fit(a, sizes, axes), axes=axes, norm=norm)


def fft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None) -> Any:
    return fftn(a, s, axes, norm)


def ifft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None) -> Any:
    return ifftn(a, s, axes, norm)


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    axis = _axis(a, axis)
    return PC.rfft(_fit(a, [n], [axis]), axis=axis, norm=norm)


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
    axis = _axis(a, axis)
    n = 2 * (shape_of(a)[axis] - 1) if n is None else n
    if n < 1:
        raise ValueError(f"Invalid number of data points ({n}) specified")
    return PC.irfft(a, n=n, axis=axis, norm=norm)


def rfftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
    sizes, axes = _nd_args(a, s, axes)
    out = rfft(a, sizes[-1], axes[-1], norm)
    if len(axes) == 1:
        return out
    return PC.fftn(_fit(out, sizes[:-1], axes[:-1]), axes=axes[:-1], norm=norm)


def irfftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
    sizes, axes = _nd_args(a, s, axes)
    if len(axes) > 1:
        a = PC.ifftn(_fit(a, sizes[:-1], axes[:-1]), axes=axes[:-1], norm=norm)
    return irfft(a, sizes[-1], axes[-1], norm)


def rfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None) -> Any:
    return rfftn(a, s, axes, norm)


def irfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None) -> Any:
    return irfftn(a, s, axes, norm)


def _shifted(x: Any, axes: Any, sign: int) -> Any:
    if axes is None:
        axes = tuple(range(ndim(x)))
    elif isinstance(axes, int):
        axes = (axes,)
    axes = tuple(_axis(x, ax) for ax in axes)
    shift = tuple(sign * (shape_of(x)[ax] // 2) for ax in axes)
    return P.roll(x, shift=shift, axis=axes)


def fftshift(x: Any, axes: Any = None) -> Any:
    """The zero frequency moved to the centre: a roll by n // 2 along each axis."""
    return _shifted(x, axes, 1)


def ifftshift(x: Any, axes: Any = None) -> Any:
    """fftshift's inverse: a roll by -(n // 2) along each axis."""
    return _shifted(x, axes, -1)
