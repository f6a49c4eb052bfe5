"""refengine: a small, readable reference AD engine over NumPy.

Reverse mode records primitive calls on a tape and walks it backwards; forward mode carries a
tangent with every value (dual numbers). Both read their rules from one table,
``refengine/derivatives.py``. Usage, JAX style::

    import refengine as rf
    import refengine.numpy as rnp

    df = rf.grad(lambda x: rnp.sum(rnp.sin(x) ** 2))

complex64/complex128 inputs are differentiated with HIPS autograd's (and JAX's) convention,
stated in ``refengine/derivatives_complex.py``.

``import refengine`` loads the engine only: the gradient checker's finite-difference oracle
(``check_grads``), SciPy's special functions and the explainer (``explain``) are loaded on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refengine import derivatives  # noqa: F401 - loads the rules into the primitives
from refengine.api import grad, hessian, hvp, jacfwd, jacobian, jvp, value_and_grad, vjp
from refengine.control import checkpoint, custom_vjp, fori_loop, scan, while_loop
from refengine.explain_entry import explain  # the explainer itself is loaded on first call
from refengine.primitive import Primitive, Tracer
from refengine.primitives import stop_gradient
from refengine.traces import EscapedTracerError

if TYPE_CHECKING:
    from refengine.check import GradientCheckError, check_grads

__all__ = [
    "EscapedTracerError",
    "GradientCheckError",
    "Primitive",
    "Tracer",
    "check_grads",
    "checkpoint",
    "custom_vjp",
    "explain",
    "fori_loop",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jvp",
    "scan",
    "stop_gradient",
    "value_and_grad",
    "vjp",
    "while_loop",
]

__version__ = "0.1.0"

# The checker brings the finite-difference oracle (refengine.numeric), a sixth of refengine's
# import time, which grad, vjp and the rest never need: it is imported on first use.
_FROM_CHECK = ("GradientCheckError", "check_grads")


def __getattr__(name: str) -> Any:
    if name in _FROM_CHECK:
        from refengine import check

        return getattr(check, name)
    raise AttributeError(f"module 'refengine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_CHECK})
