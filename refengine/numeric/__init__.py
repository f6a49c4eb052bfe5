"""The finite-difference oracle: derivatives of plain NumPy functions, with error bounds.

Everything here evaluates ``f`` on float64 NumPy arrays (complex128 for the complex step) and
imports nothing from refengine's tape or from any framework, so every AD system, refengine
included, is judged against the same independent reference.

- ``directional(f, args, tangents)``: J v.
- ``jacobian(f, args)``: the full (outputs x inputs) Jacobian, for small inputs.
- ``gradient(f, args, argnum=0)``: the gradient of a scalar function.
- ``projection(f, args, u, tangents)``: u^T J v; ``bisect`` locates a failing input block.
- ``taylor_test(f, args, tangents, jv)``: a second, step-free opinion on a claimed J v, from the
  slope of the Taylor remainder |f(x + h v) - f(x) - h jv| over many steps (``TaylorResult``).

Each returns a ``Derivative``: value, error bound, method, kinks with the one-sided values,
validity and the reason when invalid. Options live in ``OracleConfig``.
"""

from refengine.numeric.config import METHODS, OracleConfig
from refengine.numeric.differences import directional
from refengine.numeric.evaluate import Flattener, flatten_output
from refengine.numeric.jacobians import gradient, jacobian
from refengine.numeric.projections import bisect, project, projection
from refengine.numeric.result import Derivative, OracleError
from refengine.numeric.taylor import VERDICTS, TaylorResult, taylor_test

__all__ = [
    "METHODS",
    "Derivative",
    "Flattener",
    "OracleConfig",
    "OracleError",
    "TaylorResult",
    "VERDICTS",
    "bisect",
    "directional",
    "flatten_output",
    "gradient",
    "jacobian",
    "project",
    "projection",
    "taylor_test",
]
