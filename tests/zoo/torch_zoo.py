"""The zoo's PyTorch entries: ``torch.autograd.Function`` rules (setup_context style, which
``torch.func`` needs, and the older ``forward(ctx, ...)`` style most user code has) and plain
torch functions at hard points.

torch is imported inside each builder, so importing this module costs nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.zoo.entry import Built, Registry, seeded
from tests.zoo.models import conditioned_matrix, mlp_data

__all__ = ["ZOO"]

ZOO = Registry("torch")


def _tensors(*arrays: Any, dtype: Any = None) -> tuple[Any, ...]:
    import torch

    dtype = dtype or torch.float64
    return tuple(torch.tensor(np.asarray(a), dtype=dtype) for a in arrays)


def _elementwise(value: Any, backward: Any, jvp: Any = None) -> Any:
    """A setup_context-style Function y = value(x) with the given backward (and jvp) rules,
    ``backward(x, y, g)`` and ``jvp(x, y, t)``; x and y are saved for both modes."""
    import torch

    class Elementwise(torch.autograd.Function):
        @staticmethod
        def forward(x: Any) -> Any:
            return value(x)

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            ctx.save_for_backward(inputs[0], output)
            ctx.save_for_forward(inputs[0], output)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, y = ctx.saved_tensors
            return backward(x, y, g)

    if jvp is not None:
        def jvp_rule(ctx: Any, t: Any) -> Any:
            x, y = ctx.saved_tensors
            return jvp(x, y, t)

        Elementwise.jvp = staticmethod(jvp_rule)
    return Elementwise


def _summed(fn: Any, weights: Any) -> Any:
    """x -> sum(w * fn(x)): a scalar loss, so every entry of the gradient is looked at."""
    return lambda *xs: (weights * fn(*xs)).sum()


# ----------------------------------------------------------------------------------------------
# Bugs
# ----------------------------------------------------------------------------------------------


@ZOO.bug("0.1 % relative error", "softplus backward is g * sigmoid(x) * 1.001")
def softplus_rel_1e_3() -> Built:
    import torch

    fn = _elementwise(torch.nn.functional.softplus,
                      lambda x, y, g: g * torch.sigmoid(x) * 1.001)
    (x,) = _tensors(seeded("softplus").standard_normal(5))
    return Built(fn.apply, (x,))


@ZOO.bug("1e-5 relative error", "exp backward is g * exp(x) * (1 + 1e-5)")
def exp_rel_1e_5() -> Built:
    import torch

    fn = _elementwise(torch.exp, lambda x, y, g: g * y * (1 + 1e-5))
    (x,) = _tensors(seeded("exp").uniform(-1, 1, 4))
    return Built(fn.apply, (x,))


@ZOO.bug("one wrong entry among 10^4",
         "100x100 input, sum(log cosh X); backward g * tanh(X), but entry (37, 81) is 10 % high "
         "(a special case for one position)")
def one_entry_of_10k() -> Built:
    import torch

    def backward(x: Any, y: Any, g: Any) -> Any:
        grad = g * torch.tanh(x)
        scale = torch.ones_like(x)
        scale[37, 81] = 1.1
        return grad * scale

    fn = _elementwise(lambda x: torch.log(torch.cosh(x)), backward)
    (x,) = _tensors(seeded("10k").standard_normal((100, 100)))
    return Built(lambda x: fn.apply(x).sum(), (x,))


@ZOO.bug("one wrong row of a batch",
         "row-wise logsumexp of an 8x5 batch; backward uses row 6's normalizer for row 7 "
         "(an off-by-one over the batch)")
def batch_last_row() -> Built:
    import torch

    class RowLogSumExp(torch.autograd.Function):
        @staticmethod
        def forward(x: Any) -> Any:
            return torch.logsumexp(x, dim=1)

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            ctx.save_for_backward(inputs[0], output)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, lse = ctx.saved_tensors
            shifted = torch.cat([lse[:-1], lse[-2:-1]])  # the bug: the last row's lse is row 6's
            return g[:, None] * torch.exp(x - shifted[:, None])

    (x,) = _tensors(seeded("batch").standard_normal((8, 5)) * 0.01)
    x = x + torch.arange(8, dtype=torch.float64)[:, None] * 1e-3  # rows differ a little
    return Built(RowLogSumExp.apply, (x,))


@ZOO.bug("transposed matrix gradient",
         "y = A @ x for a square A; backward gives grad_A = outer(x, g), the transpose of "
         "outer(g, x) (shapes agree, so nothing complains)")
def matvec_transposed() -> Built:
    import torch

    class MatVec(torch.autograd.Function):
        @staticmethod
        def forward(a: Any, x: Any) -> Any:
            return a @ x

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            a, x = ctx.saved_tensors
            return torch.outer(x, g), a.T @ g

    rng = seeded("matvec")
    return Built(MatVec.apply, _tensors(rng.standard_normal((4, 4)), rng.standard_normal(4)))


@ZOO.bug("error only at second order (reverse over reverse)",
         "sin's backward g * cos(x) is right, but it calls a cos Function whose backward has the "
         "wrong sign (+sin), so the derivative of the derivative is wrong")
def second_order_rev() -> Built:
    import torch

    cos = _elementwise(torch.cos, lambda x, y, g: g * torch.sin(x))  # the bug: truth -sin
    sin = _elementwise(torch.sin, lambda x, y, g: g * cos.apply(x))
    (x,) = _tensors(seeded("2nd-rev").uniform(-2, 2, 3))
    return Built(sin.apply, (x,))


@ZOO.bug("error only at second order (a detached backward)",
         "x^3 with backward g * 3 * x.detach()^2: right at first order, but the detach (meant "
         "to save memory) cuts the backward's own dependence on x, so the second derivative "
         "is 0 where the truth is 6 x")
def detached_backward() -> Built:

    fn = _elementwise(lambda x: x**3, lambda x, y, g: g * 3 * x.detach() ** 2)
    (x,) = _tensors(seeded("detach").uniform(0.5, 1.5, 3))
    return Built(fn.apply, (x,))


@ZOO.bug("error only in forward mode",
         "tanh with a right backward g * (1 - y^2) and a jvp staticmethod t * (1 - y^2) * 1.001")
def forward_only() -> Built:
    import torch

    fn = _elementwise(torch.tanh, lambda x, y, g: g * (1 - y * y),
                      lambda x, y, t: t * (1 - y * y) * 1.001)
    (x,) = _tensors(seeded("fwd-only").standard_normal(4))
    return Built(fn.apply, (x,))


@ZOO.bug("error only in the second argument",
         "f(x, y) = x * exp(-y^2); grad_y forgets the factor x (x is within 2 % of 1, so the "
         "error is about 1 %); grad_x is right")
def second_argument() -> Built:
    import torch

    class Gauss(torch.autograd.Function):
        @staticmethod
        def forward(x: Any, y: Any) -> Any:
            return x * torch.exp(-y * y)

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            _x, y = ctx.saved_tensors  # the bug: grad_y below forgets the factor x
            e = torch.exp(-y * y)
            return g * e, g * (-2 * y * e)

    rng = seeded("second-arg")
    return Built(Gauss.apply, _tensors(1 + 0.01 * rng.standard_normal(3), rng.uniform(-1, 1, 3)))


@ZOO.bug("error only near 0",
         "sinc(x) = sin(x)/x with a series branch for |x| < 1e-3 whose derivative is -x/6 (the "
         "truth: -x/3); at x = 2e-5 that is 3.3e-6 off, below gradcheck's atol")
def sinc_near_zero() -> Built:
    import torch

    def value(x: Any) -> Any:
        small = x.abs() < 1e-3
        safe = torch.where(small, torch.ones_like(x), x)
        return torch.where(small, 1 - x * x / 6, torch.sin(safe) / safe)

    def backward(x: Any, y: Any, g: Any) -> Any:
        small = x.abs() < 1e-3
        safe = torch.where(small, torch.ones_like(x), x)
        far = (safe * torch.cos(safe) - torch.sin(safe)) / (safe * safe)
        return g * torch.where(small, -x / 6, far)  # the bug: -x/6 instead of -x/3

    fn = _elementwise(value, backward)
    (x,) = _tensors([2e-5, 0.4, -1.1, 2.3])
    return Built(fn.apply, (x,))


@ZOO.bug("error only in float32",
         "sigmoid with a float32 'fast path' in backward: g * (1/4 - x^2/16), the Taylor "
         "polynomial, 0.6 % to 9 % off on [0.6, 1.4]; the float64 path is exact")
def float32_only() -> Built:
    import torch

    def backward(x: Any, y: Any, g: Any) -> Any:
        if x.dtype == torch.float32:
            return g * (0.25 - x * x / 16)
        return g * y * (1 - y)

    fn = _elementwise(torch.sigmoid, backward)
    (x,) = _tensors(seeded("f32").uniform(0.6, 1.4, 4), dtype=torch.float32)
    return Built(fn.apply, (x,))


@ZOO.bug("0.1 % relative error",
         "log1p in the older forward(ctx, x) style: backward g / (1 + x) * 1.001")
def old_style_rel_1e_3() -> Built:
    import torch

    class Log1p(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return torch.log1p(x)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g / (1 + x) * 1.001

    (x,) = _tensors(seeded("old-style").uniform(0, 2, 3))
    return Built(Log1p.apply, (x,))


@ZOO.bug("20 % error in a bfloat16 model",
         "the bfloat16 MLP loss (torch-mlp-bfloat16) with tanh as a Function whose backward is "
         "g * (1 - y^2) * 1.2; bfloat16's rtol is 3.1e-2 (4 of its eps), so errors of a few % "
         "are within its rounding, and 20 % is what the projections see clearly")
def mlp_bfloat16_rel_2e_1() -> Built:
    import torch

    tanh = _elementwise(torch.tanh, lambda x, y, g: g * (1 - y * y) * 1.2)
    return _torch_mlp("bfloat16", tanh.apply)


# ----------------------------------------------------------------------------------------------
# Hard but correct
# ----------------------------------------------------------------------------------------------


@ZOO.hard("kink: relu at 0", "sum(w * relu(x)) with three entries of x exactly 0; torch's "
          "derivative 0 there is a subgradient")
def relu_at_zero() -> Built:
    import torch

    w, x = _tensors(seeded("relu").uniform(0.5, 2, 5), [0.0, 1.3, 0.0, -0.7, 0.0])
    return Built(_summed(torch.relu, w), (x,))


@ZOO.hard("kink: max with ties", "max(x) with a tie between entries 1 and 2; torch splits the "
          "gradient 1/2, 1/2: a subgradient")
def max_ties() -> Built:
    import torch

    (x,) = _tensors([1.0, 3.0, 3.0, 2.0])
    return Built(torch.max, (x,))


@ZOO.hard("kink: sort with ties", "sum(w * sort(x)) with x[0] == x[2]; the derivative along a "
          "tied entry is 2 or 3 depending on the side: either is a subgradient")
def sort_ties() -> Built:
    import torch

    w, x = _tensors([1.0, 2.0, 3.0, 4.0], [0.5, 0.2, 0.5, 0.9])
    return Built(lambda x: (w * torch.sort(x).values).sum(), (x,))


@ZOO.hard("kink: clamp at its bounds", "sum(w * clamp(x, -1, 1)) with x exactly at -1 and 1")
def clamp_at_bounds() -> Built:
    import torch

    w, x = _tensors([0.7, 1.3, 2.1], [-1.0, 1.0, 0.3])
    return Built(_summed(lambda v: torch.clamp(v, -1.0, 1.0), w), (x,))


@ZOO.hard("stiff exponential", "sum(exp(50 x)) on [-0.3, 0.3]: the second derivative is "
          "2500 exp(50 x), up to 8e9")
def stiff_exp() -> Built:
    import torch

    (x,) = _tensors(np.linspace(-0.3, 0.3, 5))
    return Built(lambda x: torch.exp(50 * x).sum(), (x,))


@ZOO.hard("pole nearby", "sum(1 / (x - 1 + 1e-4)) at x = 1 (the pole is 1e-4 away) and near it")
def pole_nearby() -> Built:

    (x,) = _tensors([1.0, 1.00005, 2.0])
    return Built(lambda x: (1 / (x - 1 + 1e-4)).sum(), (x,))


@ZOO.hard("logsumexp with spread inputs", "logsumexp(z) - z[0] with z spread over 60: most "
          "gradient entries are below 1e-11 while the value is about 30")
def logsumexp_spread() -> Built:
    import torch

    (z,) = _tensors(seeded("lse").permutation(np.linspace(-30.0, 30.0, 8)))
    return Built(lambda z: torch.logsumexp(z, 0) - z[0], (z,))


@ZOO.hard("narrow bump", "sum(tanh(1e4 x)) near x = 1e-5: the derivative is a bump of width "
          "1e-4, far narrower than a default difference step")
def tanh_narrow_bump() -> Built:
    import torch

    (x,) = _tensors([1e-5, -2e-5, 3e-5])
    return Built(lambda x: torch.tanh(1e4 * x).sum(), (x,))


@ZOO.hard("inputs from 1e-8 to 1e8", "sum(x log x) at x = 1e-8, 1e-4, 1, 1e4, 1e8: second "
          "derivative 1/x from 1e8 to 1e-8")
def wide_range() -> Built:
    import torch

    (x,) = _tensors(np.logspace(-8, 8, 5))
    return Built(lambda x: (x * torch.log(x)).sum(), (x,))


@ZOO.hard("ill-conditioned matrix", "sum(w * (inv(A) @ b)) with cond(A) = 1e6 (the matrix "
          "of torch-solve-cond-1e6, whose torch.linalg.solve has a second-order bug: "
          "tests/zoo/framework_bugs.py)")
def inv_cond_1e6() -> Built:
    import torch

    a, b, w = solve_problem()
    return Built(lambda a, b: (w * (torch.linalg.inv(a) @ b)).sum(), (a, b))


def solve_problem() -> tuple[Any, Any, Any]:
    """A (4x4, cond 1e6), b and the weights w as float64 tensors (torch-solve-cond-1e6's)."""
    rng = seeded("solve")
    return _tensors(conditioned_matrix(rng, 4, 1e6), rng.standard_normal(4),
                    rng.standard_normal(4))


@ZOO.hard("float32 constants inside", "float32 input, sum(tanh(x @ W)) with W a float32 "
          "constant: the function cannot take float64 input as it is")
def float32_constants() -> Built:
    import torch

    rng = seeded("f32-const")
    x, w = _tensors(rng.standard_normal(5), rng.standard_normal((5, 3)) / 2, dtype=torch.float32)
    return Built(lambda x: torch.tanh(x @ w).sum(), (x,))


def _torch_mlp(dtype_name: str, tanh: Any = None) -> Built:
    import torch

    dtype = getattr(torch, dtype_name)
    tanh = tanh or torch.tanh
    data = mlp_data(seeded("mlp"))
    x, y = _tensors(data.x, data.y, dtype=dtype)  # the data: constants of the model's dtype
    params = _tensors(*data.params, dtype=dtype)

    def loss(w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
        h = tanh(x @ w1 + b1)
        return ((h @ w2 + b2 - y) ** 2).mean()

    return Built(loss, params)


@ZOO.hard("float32 model", "a 3-6-1 tanh MLP's mean squared error over its 31 weights, "
          "weights and data in float32")
def mlp_float32() -> Built:
    return _torch_mlp("float32")


@ZOO.hard("bfloat16 model", "the same MLP loss with weights and data in bfloat16")
def mlp_bfloat16() -> Built:
    return _torch_mlp("bfloat16")


@ZOO.hard("correct custom Function, spread inputs",
          "softplus as a setup_context Function with the right backward g * sigmoid(x) (no jvp "
          "staticmethod: forward mode cannot be checked and must be reported so) at x from -40 "
          "to 40")
def custom_softplus_correct() -> Built:
    import torch

    fn = _elementwise(torch.nn.functional.softplus, lambda x, y, g: g * torch.sigmoid(x))
    (x,) = _tensors([-40.0, -5.0, 0.0, 5.0, 40.0])
    return Built(fn.apply, (x,))


@ZOO.hard("correct custom Function, forward(ctx, x) style",
          "x * tanh(x) in the older ctx style, backward g * (tanh x + x (1 - tanh^2 x)), right")
def old_style_correct() -> Built:
    import torch

    class XTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * torch.tanh(x)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            t = torch.tanh(x)
            return g * (t + x * (1 - t * t))

    (x,) = _tensors(seeded("old-ok").standard_normal(4))
    return Built(XTanh.apply, (x,))
