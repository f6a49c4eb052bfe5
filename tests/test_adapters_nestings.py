"""The three second-order nestings beside the HVP (``adapters.base.SECOND_ORDER``): right on a
function whose derivatives are known in closed form, 'unsupported' (never a number) where an
adapter cannot build one, and torch 2.13's cumprod bug reproduced through the adapter.

Agreement with refengine on more functions, in every mode, is in test_adapters_derivatives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import adapters
from adapters.base import QUANTITIES, SECOND_ORDER, BaseAdapter
from adapters.outcomes import Unsupported, attempt

from .adapter_support import require

X = np.array([0.7, -1.3, 0.4, 1.9])
W = np.array([0.5, -1.2, 0.8, 1.5])
V = np.array([0.3, 1.1, -0.6, 0.9])


def cubic(xp: Any, x: Any, w: Any) -> Any:
    """f(x) = sum(w x**3 + sin(x)): H = diag(6 w x - sin x)."""
    return xp.sum(w * x**3 + xp.sin(x))


def elementwise(xp: Any, x: Any) -> Any:
    """f(x) = exp(x) * x: f''(x)[v, v] = (2 + x) exp(x) v**2, entry by entry."""
    return xp.exp(x) * x


HV = (6 * W * X - np.sin(X)) * V
FWD_FWD = (2 + X) * np.exp(X) * V**2


@pytest.mark.parametrize("name", ["refengine", "torch", "jax", "tensorflow", "autograd"])
def test_every_nesting_matches_the_closed_form(name: str) -> None:
    adapter = require(name)
    for mode in adapter.modes:
        for quantity in ("hvp", "hvp_rev_fwd", "hvp_rev_rev"):
            got = getattr(adapter, quantity)(cubic, (X, W), (V,), mode, argnums=(0,))
            np.testing.assert_allclose(got[0], HV, rtol=1e-12, err_msg=f"{name} {mode} {quantity}")
        got = adapter.jvp_fwd_fwd(elementwise, (X,), (V,), mode)
        np.testing.assert_allclose(got, FWD_FWD, rtol=1e-12, err_msg=f"{name} {mode} fwd-fwd")


def test_the_quantities_are_named_and_preparable() -> None:
    assert set(SECOND_ORDER) == {"hvp_rev_fwd", "hvp_rev_rev", "jvp_fwd_fwd"}
    assert set(SECOND_ORDER) <= set(QUANTITIES)
    engine = adapters.get("refengine")
    for quantity in SECOND_ORDER:
        prepared = engine.prepare(elementwise, quantity)
        assert prepared.quantity == quantity
    with pytest.raises(ValueError, match="unknown quantity"):
        engine.prepare(elementwise, "hvp_fwd_fwd")


def test_an_adapter_without_a_nesting_says_unsupported() -> None:
    class FirstOrderOnly(BaseAdapter):  # a plug-in written before the nestings existed
        name = "first-order-only"
        framework = "numpy"

        def _load(self) -> Any:
            return dict(adapters.get("numpy")._load())

    plugin = FirstOrderOnly()
    for quantity in SECOND_ORDER:
        out = attempt(getattr(plugin, quantity), elementwise, (X,), (V,))
        assert out.status == "unsupported", (quantity, out)
        assert "builds no" in out.message
    with pytest.raises(Unsupported, match="values only"):
        adapters.get("numpy").jvp_fwd_fwd(elementwise, (X,), (V,))


# --- torch 2.13's cumprod at a zero entry --------------------------------------------------
def weighted_cumprod(xp: Any, x: Any, w: Any) -> Any:
    return xp.sum(xp.cumprod(x) * w)


def test_torch_cumprod_at_a_zero_entry_is_wrong_only_through_its_jvp_rule() -> None:
    """Forward over forward gives half the truth and reverse over forward NaN (both
    differentiate torch's forward-mode cumprod formula); reverse over reverse and the HVP are
    right. The truth is refengine's, and finite differences of torch's own JVP agree."""
    torch_adapter = require("torch")
    engine = adapters.get("refengine")
    x = np.array([0.7, 0.0, -1.3, 0.9, 1.1])
    args = (x, np.array([0.5, -1.2, 0.8, 1.5, -0.3]))
    tangent = (np.array([0.3, 1.1, -0.6, 0.4, 0.9]),)
    truth = engine.jvp_fwd_fwd(weighted_cumprod, args, tangent, argnums=(0,))
    h = 1e-5
    fd = (torch_adapter.jvp(weighted_cumprod, (x + h * tangent[0], args[1]), tangent,
                            argnums=(0,))[1]
          - torch_adapter.jvp(weighted_cumprod, (x - h * tangent[0], args[1]), tangent,
                              argnums=(0,))[1]) / (2 * h)
    np.testing.assert_allclose(fd, truth, rtol=1e-7)
    fwd_fwd = torch_adapter.jvp_fwd_fwd(weighted_cumprod, args, tangent, argnums=(0,))
    if np.isclose(fwd_fwd, truth, rtol=1e-10):
        pytest.fail("torch's forward over forward of cumprod is right now: remove the "
                    "divergence entry (cases.conventions) and this test's expectation")
    np.testing.assert_allclose(fwd_fwd, truth / 2, rtol=1e-10)
    assert np.isnan(torch_adapter.hvp_rev_fwd(weighted_cumprod, args, tangent,
                                              argnums=(0,))[0]).all()
    for quantity in ("hvp", "hvp_rev_rev"):
        np.testing.assert_allclose(
            getattr(torch_adapter, quantity)(weighted_cumprod, args, tangent, argnums=(0,))[0],
            engine.hvp(weighted_cumprod, args, tangent, argnums=(0,))[0], rtol=1e-12)
