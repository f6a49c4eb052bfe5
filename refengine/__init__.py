"""refengine: a small, readable reference AD engine over NumPy.

Reverse mode records primitive calls on a tape and walks it backwards; forward mode carries a
tangent with every value (dual numbers). Both read their rules from one table,
``refengine/derivatives.py``. Usage, JAX style::

    import refengine as rf
    import refengine.numpy as rnp

    df = rf.grad(lambda x: rnp.sum(rnp.sin(x) ** 2))
"""

from __future__ import annotations

from refengine import derivatives  # noqa: F401 - loads the rules into the primitives
from refengine.api import grad, hessian, hvp, jacfwd, jacobian, jvp, value_and_grad, vjp
from refengine.check import GradientCheckError, check_grads
from refengine.explain_entry import explain  # the explainer itself is loaded on first call
from refengine.primitive import Primitive, Tracer
from refengine.primitives import stop_gradient
from refengine.traces import EscapedTracerError

__all__ = [
    "EscapedTracerError",
    "GradientCheckError",
    "Primitive",
    "Tracer",
    "check_grads",
    "explain",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jvp",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]

__version__ = "0.1.0"
