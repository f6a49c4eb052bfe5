"""The one tolerance table: how close an AD number must be to its reference, by what is
compared (the family) and the dtype the AD computed in.

``rf.check_grads``, ``adapters.check_grads`` and the conformance matrix all read their relative
tolerances here (``rtol_for``); the rule that turns an ``rtol`` into each entry's tolerance is
stated where it is applied (``refengine.comparison`` and ``cases.conformance.tolerance``).

============  ==========================================  =========  =========
family        checks                                      float64    float32
============  ==========================================  =========  =========
value         value vs NumPy float64                      1e-10      1e-4
exact         VJP/JVP/HVP vs refengine, adjoint identity  1e-10      1e-4
fd            VJP/JVP/HVP vs the finite-difference oracle 1e-6       2e-3
precision     float32 vs the same adapter's float64       --         1e-4
determinism   the same call twice                         0          0
============  ==========================================  =========  =========

float64's 1e-10 leaves ~10^6 ulps for the different orders of operations, formulas and library
kernels of two correct implementations; float32's 1e-4 is ~800 ulps of float32. The fd family
adds to the oracle's own error bound. Determinism is bitwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FAMILIES", "RTOL", "dtype_name", "rtol_for"]

FAMILIES = ("value", "exact", "fd", "precision", "determinism")

RTOL: dict[tuple[str, str], float] = {
    ("value", "float64"): 1e-10,
    ("value", "float32"): 1e-4,
    ("exact", "float64"): 1e-10,
    ("exact", "float32"): 1e-4,
    ("fd", "float64"): 1e-6,
    ("fd", "float32"): 2e-3,
    ("precision", "float64"): 1e-10,  # unused: the check runs on float32 only
    ("precision", "float32"): 1e-4,
    ("determinism", "float64"): 0.0,
    ("determinism", "float32"): 0.0,
}


def dtype_name(dtype: Any) -> str:
    """'float64', 'float32', ... for a NumPy dtype, a dtype name or a type."""
    return dtype if isinstance(dtype, str) else np.dtype(dtype).name


def rtol_for(family: str, dtype: Any) -> float:
    """The table's rtol for ``family`` in ``dtype``; a clear error for a pair it lacks."""
    key = (family, dtype_name(dtype))
    if key not in RTOL:
        known = sorted({d for _, d in RTOL})
        raise ValueError(f"no tolerance for {key[0]!r} in {key[1]!r}; the table has "
                         f"families {FAMILIES} and dtypes {known}")
    return RTOL[key]
