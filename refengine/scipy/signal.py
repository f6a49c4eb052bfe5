"""``refengine.scipy.signal``: ``convolve``, SciPy's N-dimensional convolution (modes 'full',
'valid' and 'same'), as a composite of refengine's primitives: a gather of the zero-padded
larger operand at every (output, offset) pair, contracted with the smaller one. It costs
memory in proportion to (output size) x (smaller operand's size): for small signals and
kernels; its derivative in either operand is the convolution's, through the table's rules.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import refengine.numpy as rnp

__all__ = ["convolve"]


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """The convolution of in1 and in2 (SciPy's; ``method`` is accepted and ignored: the
    direct and FFT methods give the same values to rounding)."""
    if method not in ("auto", "direct", "fft"):
        raise ValueError(f"acceptable method flags are 'auto', 'direct', or 'fft', not {method!r}")
    if mode not in ("full", "valid", "same"):
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'.")
    nd = rnp.ndim(in1)
    if nd != rnp.ndim(in2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if nd == 0:
        return in1 * in2
    s1, s2 = rnp.shape(in1), rnp.shape(in2)
    if mode == "valid" and not (all(a >= b for a, b in zip(s1, s2))
                                or all(b >= a for a, b in zip(s1, s2))):
        raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                         "every dimension")
    full = _full(in1, in2) if math.prod(s1) <= math.prod(s2) else _full(in2, in1)
    if mode == "full":
        return full
    if mode == "valid":
        starts = [min(a, b) - 1 for a, b in zip(s1, s2)]
        sizes = [abs(a - b) + 1 for a, b in zip(s1, s2)]
    else:  # same: in1's shape, centred in the full result
        starts = [(b - 1) // 2 for b in s2]
        sizes = list(s1)
    return full[tuple(slice(s, s + n) for s, n in zip(starts, sizes))]


def _full(small: Any, large: Any) -> Any:
    """out[k] = sum over i of small[i] * large[k - i] (zero outside large), for every k."""
    nd = rnp.ndim(small)
    ns, nl = rnp.shape(small), rnp.shape(large)
    padded = rnp.pad(large, [(n - 1, n - 1) for n in ns])
    index = []
    for d, (n, m) in enumerate(zip(ns, nl)):
        k = np.arange(n + m - 1)[:, None]
        i = np.arange(n)[None, :]
        shape = [1] * (2 * nd)
        shape[d], shape[nd + d] = n + m - 1, n
        index.append((k - i + n - 1).reshape(shape))
    gathered = padded[tuple(index)]  # (output axes..., offset axes...)
    return rnp.tensordot(gathered, small, axes=(list(range(nd, 2 * nd)), list(range(nd))))
