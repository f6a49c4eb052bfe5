"""torch functions holding float32/float16/bfloat16 constants: the oracle evaluates them with
the constants promoted to float64 (``TorchAD.promote_constants``, a TorchFunctionMode), while
the AD runs at the arguments' own dtype; where promotion does not give float64 values the
oracle falls back to the arguments' dtype. Planted errors in such models still fail."""

from __future__ import annotations

import numpy as np
import pytest

import adapters
from refengine.check import GradientCheckError

torch = pytest.importorskip("torch")

PROMOTED = "narrower constants promoted to float64"


def _mlp(dtype: object, tanh_scale: float = 1.0) -> tuple[object, tuple[object, ...]]:
    """The zoo's 3-6-1 tanh MLP loss, data and weights in ``dtype``; tanh is a Function whose
    backward is ``tanh_scale`` times right."""
    from tests.zoo.torch_zoo import _elementwise, _torch_mlp

    tanh = _elementwise(torch.tanh, lambda x, y, g: g * (1 - y * y) * tanh_scale)
    built = _torch_mlp(str(dtype).removeprefix("torch."), tanh.apply)
    return built.f, built.args


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_a_model_with_narrow_constants_is_checked_against_a_float64_oracle(dtype: str) -> None:
    f, args = _mlp(getattr(torch, dtype))
    results = adapters.check_grads(f, args)
    checked = [c for c in results if c.checked]
    assert checked and all(c.passed for c in checked)
    assert all(PROMOTED in c.note for c in checked)
    assert {c.dtype for c in checked} == {dtype}  # the AD ran at the model's dtype


def test_promotion_covers_dtype_arguments_and_downcasts() -> None:
    w = torch.ones(3, dtype=torch.float32)

    def f(x: object) -> object:
        scale = torch.tensor(0.5, dtype=torch.float16)
        return (torch.sin(x).float() * w + scale).to(torch.bfloat16).sum()

    from adapters.user_check.torch_ad import user_ad

    with user_ad().promote_constants():
        out = f(torch.ones(3, dtype=torch.float64))
    assert out.dtype == torch.float64
    results = adapters.check_grads(f, (torch.ones(3, dtype=torch.float32),), order=1)
    assert all(c.passed and PROMOTED in c.note for c in results)


@pytest.mark.parametrize(("dtype", "scale"), [("float32", 1.01), ("bfloat16", 1.2)])
def test_a_wrong_backward_in_a_narrow_model_fails(dtype: str, scale: float) -> None:
    """1 % is caught in float32 (rtol 2e-3); bfloat16's rtol is 3.1e-2 (4 of its eps), and a
    20 % error is caught (at second order), 10 % is within what its projections allow."""
    f, args = _mlp(getattr(torch, dtype), scale)
    with pytest.raises(GradientCheckError) as info:
        adapters.check_grads(f, args)
    assert info.value.comparison.rel_err == pytest.approx(scale - 1, rel=0.1)


def test_where_promotion_does_not_help_the_oracle_uses_the_arguments_dtype() -> None:
    w = torch.ones(3, dtype=torch.float32)

    def f(x: object) -> object:
        if x.dtype != torch.float32:  # refuses anything else, promoted or not
            raise TypeError("float32 only")
        return torch.tanh(x * w).sum()

    results = adapters.check_grads(f, (torch.from_numpy(np.linspace(-1, 1, 3)).float(),),
                                   order=1)
    assert all(c.passed for c in results)
    assert all("evaluated f in float32, not float64" in c.note for c in results)
    assert not any(PROMOTED in c.note for c in results)


def test_a_float64_function_is_not_promoted() -> None:
    results = adapters.check_grads(lambda x: torch.sin(x).sum(),
                                   (torch.linspace(0, 1, 3, dtype=torch.float64),), order=1)
    assert all(c.passed and not c.note for c in results)
