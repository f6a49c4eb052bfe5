"""A short demonstration of refengine: one function, its derivatives in every mode."""

from __future__ import annotations

import numpy as np

import refengine as rf
import refengine.numpy as rnp

__all__ = ["run_demo"]


def _loss(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return rnp.sum(rnp.log(1.0 + rnp.exp(-(x @ w)))) + 0.1 * rnp.sum(rnp.tanh(w) ** 2)


def run_demo() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    w = rng.standard_normal(3)
    value, g_rev = rf.value_and_grad(_loss)(w, x)
    g_fwd = rf.jacfwd(_loss)(w, x)
    eps = 1e-6
    g_fd = np.array(
        [(_loss(w + eps * e, x) - _loss(w - eps * e, x)) / (2 * eps) for e in np.eye(3)]
    )
    hess = rf.hessian(_loss)(w, x)
    print("f(w) = sum(log(1 + exp(-x @ w))) + 0.1 sum(tanh(w)^2)")
    print(f"value                    {value: .12f}")
    print(f"reverse mode (tape)      {np.array2string(g_rev, precision=12)}")
    print(f"forward mode (duals)     {np.array2string(g_fwd, precision=12)}")
    print(f"central differences      {np.array2string(g_fd, precision=12)}")
    print(f"max |reverse - forward|  {np.max(np.abs(g_rev - g_fwd)):.2e}")
    print(f"max |reverse - FD|       {np.max(np.abs(g_rev - g_fd)):.2e}")
    print("Hessian (forward over reverse):")
    print(np.array2string(hess, precision=6))
