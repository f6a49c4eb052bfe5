"""``refengine.scipy.integrate``: ``odeint``, SciPy's ODE solver (LSODA), differentiable in
the initial state, the times and the extra arguments (HIPS autograd's adjoint method in reverse
mode, forward sensitivities in forward mode; ``refengine/derivatives_special.py``).

``func(y, t, *args)`` must be written in refengine's functions (``rnp``), as any function
refengine differentiates: the rules differentiate it. Derivatives are as accurate as the
solver's tolerances (``rtol``, ``atol``, passed to SciPy), not as rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import refengine.numpy as rnp
from refengine import primitives_special as S
from refengine.primitive import holds_tracer

__all__ = ["odeint"]

_UNSUPPORTED = ("Dfun", "col_deriv", "full_output", "tfirst", "ml", "mu")


def odeint(func: Callable[..., Any], y0: Any, t: Any, args: tuple[Any, ...] = (),
           **options: Any) -> Any:
    """The solution y(t) of y' = func(y, t, *args), y(t[0]) = y0, at each time in t: an array
    of shape (len(t), len(y0)), as SciPy's."""
    given = sorted(k for k in options if k in _UNSUPPORTED)
    if given:
        raise TypeError(f"odeint: {', '.join(given)} not supported by refengine (func(y, t, "
                        "*args) with y first, and no Jacobian or full output)")
    if not isinstance(args, tuple):
        args = (args,)
    if not holds_tracer((y0, t, *args)):
        import scipy.integrate

        return scipy.integrate.odeint(func, y0, t, args=args, **options)
    if len(rnp.shape(y0)) != 1 or len(rnp.shape(t)) != 1:
        raise ValueError(f"odeint: y0 and t must be one-dimensional, not of shapes "
                         f"{rnp.shape(y0)} and {rnp.shape(t)}")
    return S.odeint(y0, t, *args, func=func, options=tuple(sorted(options.items())))
