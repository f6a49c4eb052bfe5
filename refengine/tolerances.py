"""The one tolerance table: how close an AD number must be to its reference, by what is
compared (the family) and the dtype the AD computed in.

``rf.check_grads``, ``adapters.check_grads`` and the conformance matrix all read their relative
tolerances here (``rtol_for``); the rule that turns an ``rtol`` into each entry's tolerance is
stated where it is applied (``refengine.comparison`` and ``cases.conformance.tolerance``).

============  ==========================================  =======  =======  =======  ========
family        checks                                      float64  float32  float16  bfloat16
============  ==========================================  =======  =======  =======  ========
value         value vs NumPy float64                      1e-10    1e-4     2e-3     1.6e-2
exact         VJP/JVP/HVP vs refengine, adjoint identity  1e-10    1e-4     2e-3     1.6e-2
fd            VJP/JVP/HVP vs the finite-difference oracle 1e-6     2e-3     4e-3     3.1e-2
precision     low precision vs the same adapter's float64 --       1e-4     2e-3     1.6e-2
determinism   the same call twice                         0        0        0        0
============  ==========================================  =======  =======  =======  ========

float64's 1e-10 leaves ~10^6 ulps for the different orders of operations, formulas and library
kernels of two correct implementations; float32's 1e-4 is ~800 ulps of float32. The fd family
adds to the oracle's own error bound. Determinism is bitwise.

How the rows follow from each dtype's eps (the spacing of floats at 1: ``EPS``)
--------------------------------------------------------------------------------
float64 and float32 budget bits. The fd rows keep the same fraction, 3/8, of the significand:
float32 2e-3 ~ 2^-9 keeps 9 of 24 bits (eps32^(3/8) = 2.5e-3) and float64 1e-6 ~ 2^-20 keeps
20 of 53 (eps64^(3/8) = 1.3e-6); value and exact keep a little over half (1e-4 ~ 840 eps32,
1e-10 ~ 4.5e5 eps64). That budget pays for rounding growth over the thousands of operations of
a computation and for the conditioning of a derivative, and it is affordable because 24 and 53
bits leave many to spend.

Half precision cannot pay it: float16 has 11 significand bits (eps 2^-10 = 9.8e-4) and
bfloat16 8 (eps 2^-7 = 7.8e-3). Keeping 3/8 of them would set fd to 2^-4 = 6 % and 2^-3 =
12.5 %, which passes a derivative that is several percent wrong: no check at all. Half precision
is also computed differently: frameworks evaluate a half op in float32 and round its result
once (CPU PyTorch, XLA, NumPy's float16 loops), so a correct half result is a few roundings
(each at most eps/2 relative) from the exact one, not thousands. The half rows therefore count
roundings in units of eps instead of bits:

- value, exact and precision: 2 eps (float16 2.0e-3, bfloat16 1.6e-2): the final rounding of
  each of the two results compared (eps/2 each) and one rounded intermediate (eps);
- fd: 4 eps (float16 3.9e-3, bfloat16 3.1e-2): twice exact, as in every dtype fd >= exact
  (the reference is the true derivative, not a second half-precision computation with
  correlated rounding). With the default ``atol`` (rtol times the largest magnitude compared,
  ``refengine.comparison``) the largest entry may be off by 2 rtol, 8 eps: a 1 % error fails in
  float16 (8 eps = 0.8 %), a 10 % error in bfloat16 (8 eps = 6.25 %);
- determinism: bitwise, as everywhere.

``EPS`` holds the four spacings as powers of two, so nothing here imports ``ml_dtypes``
(bfloat16 is ``ml_dtypes.bfloat16``, a NumPy dtype); ``eps_of`` asks ``ml_dtypes`` only for a
narrow float it does not know.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["EPS", "FAMILIES", "RTOL", "dtype_name", "eps_of", "rtol_for"]

FAMILIES = ("value", "exact", "fd", "precision", "determinism")

# The spacing of floats at 1 (np.finfo(dtype).eps; ml_dtypes.finfo for bfloat16).
EPS: dict[str, float] = {
    "float64": 2.0**-52,
    "float32": 2.0**-23,
    "float16": 2.0**-10,
    "bfloat16": 2.0**-7,
}

# Half precision in units of its eps (derivation in the module docstring).
_HALF_EPS_UNITS = {"value": 2.0, "exact": 2.0, "fd": 4.0, "precision": 2.0, "determinism": 0.0}

RTOL: dict[tuple[str, str], float] = {
    ("value", "float64"): 1e-10,
    ("value", "float32"): 1e-4,
    ("exact", "float64"): 1e-10,
    ("exact", "float32"): 1e-4,
    ("fd", "float64"): 1e-6,
    ("fd", "float32"): 2e-3,
    ("precision", "float64"): 1e-10,  # unused: the check runs on float32 and narrower only
    ("precision", "float32"): 1e-4,
    ("determinism", "float64"): 0.0,
    ("determinism", "float32"): 0.0,
    **{
        (family, half): units * EPS[half]
        for half in ("float16", "bfloat16")
        for family, units in _HALF_EPS_UNITS.items()
    },
}


def dtype_name(dtype: Any) -> str:
    """'float64', 'float32', 'bfloat16', ... for a NumPy dtype, a dtype name or a type."""
    return dtype if isinstance(dtype, str) else np.dtype(dtype).name


def eps_of(dtype: Any) -> float:
    """The spacing of ``dtype``'s floats at 1 (2^-52 for float64, 2^-7 for bfloat16)."""
    name = dtype_name(dtype)
    if name in EPS:
        return EPS[name]
    try:
        return float(np.finfo(dtype).eps)
    except (TypeError, ValueError):
        import ml_dtypes  # only for a narrow float NumPy's finfo does not know (float8_*)

        return float(ml_dtypes.finfo(dtype).eps)


def rtol_for(family: str, dtype: Any) -> float:
    """The table's rtol for ``family`` in ``dtype``; a clear error for a pair it lacks."""
    key = (family, dtype_name(dtype))
    if key not in RTOL:
        known = sorted({d for _, d in RTOL})
        raise ValueError(f"no tolerance for {key[0]!r} in {key[1]!r}; the table has "
                         f"families {FAMILIES} and dtypes {known}")
    return RTOL[key]
