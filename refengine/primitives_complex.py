"""The primitives that exist for complex numbers: real and imaginary parts, the conjugate, and
the discrete Fourier transforms (``numpy.fft``) in the forms their rules need.

Their derivative rules are in ``refengine/derivatives_complex.py``; ``refengine.numpy`` builds
``real``/``imag``/``conj``/``angle`` and ``rnp.fft`` from them.

The transforms are reduced to four primitives on arrays already of the transform's size (the
``s``/``n`` padding or truncation is done before, with ``pad`` and ``getitem``):

- ``fftn``/``ifftn``: the complex-to-complex transforms over ``axes``;
- ``rfft``/``irfft``: the one-axis real transforms (``rfftn``/``irfftn`` are ``rfft``/``irfft``
  along the last axis and ``fftn``/``ifftn`` along the others, as NumPy computes them).
"""

from __future__ import annotations

import numpy as np

from refengine.primitive import Primitive

__all__ = ["conj", "fftn", "ifftn", "imag", "irfft", "real", "rfft"]


def _real(x):
    return np.real(x).copy() if np.iscomplexobj(x) else np.asarray(x)


def _imag(x):
    x = np.asarray(x)
    return np.imag(x).copy() if x.dtype.kind == "c" else np.zeros_like(x)


real = Primitive("real", _real, elementwise=True)
imag = Primitive("imag", _imag, elementwise=True)
conj = Primitive("conj", np.conj, elementwise=True)


def _complex_dtype(x) -> np.dtype:
    # NumPy 2 transforms float32/complex64 in single precision; everything else in double.
    dtype = np.asarray(x).dtype
    single = dtype in (np.float32, np.complex64)
    return np.dtype(np.complex64) if single else np.dtype(np.complex128)


fftn = Primitive(
    "fftn", lambda x, *, axes, norm: np.fft.fftn(x, axes=axes, norm=norm).astype(
        _complex_dtype(x), copy=False))
ifftn = Primitive(
    "ifftn", lambda x, *, axes, norm: np.fft.ifftn(x, axes=axes, norm=norm).astype(
        _complex_dtype(x), copy=False))


def _rfft(x, *, axis, norm):
    if np.iscomplexobj(x):
        raise TypeError("rfft of a complex array: its imaginary part would be dropped; take "
                        "rnp.real first, or use rnp.fft.fft")
    return np.fft.rfft(x, axis=axis, norm=norm).astype(_complex_dtype(x), copy=False)


def _irfft(x, *, n, axis, norm):
    out = np.fft.irfft(x, n=n, axis=axis, norm=norm)
    return out.astype(np.float32 if np.asarray(x).dtype == np.complex64 else np.float64,
                      copy=False)


rfft = Primitive("rfft", _rfft)
irfft = Primitive("irfft", _irfft)
