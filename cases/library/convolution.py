"""Convolution (``xp.nn.conv``), channels first: x ``(N, C, L)`` or ``(N, C, H, W)``, kernels
``(O, C // groups, *k)``, at random points and at its boundaries.

conv is bilinear in (x, w), so both inputs are differentiated and its second derivative is the
cross term alone. The boundary cases each exercise one edge of the index arithmetic that
the derivative w.r.t. x (a transposed convolution) and w.r.t. w (a correlation) must mirror:
a single entry; windows made of padding only (outputs that see no input); a stride larger
than the kernel (inputs no window reads: their gradient is exactly 0); one group per channel
(depthwise); strides with dilations together (TensorFlow takes them one at a time).
"""

from __future__ import annotations

from typing import Any

from cases.case import Arg, Case, Sizes

__all__ = ["CASES"]

# n is the spatial length (each spatial side, for 2-d); the sweep times growing inputs.
ONE_D = Sizes(check=9, sweep=(64, 1_024, 16_384))
TWO_D = Sizes(check=6, sweep=(16, 64, 256))
FIXED = Sizes(check=1, sweep=())  # boundary cases: the shape is the point


def _out(n: int, k: int, stride: int = 1, pad: tuple[int, int] = (0, 0), dil: int = 1) -> int:
    return (n + pad[0] + pad[1] - dil * (k - 1) - 1) // stride + 1


def _conv_case(name: str, x: Any, w: tuple[int, ...], out: Any, params: dict[str, Any],
               sizes: Sizes, note: str, wrap: Any = None) -> Case:
    def fn(xp: Any, x: Any, w: Any) -> Any:
        y = xp.nn.conv(x, w, **params)
        return y if wrap is None else wrap(xp, y)

    fn.__name__ = name
    # The boundary cases check the index arithmetic, which float32 does not change: float64
    # only, to keep the default run's cost down (the random cases run in both).
    dtypes = ("float64",) if sizes is FIXED else ("float64", "float32")
    return Case(name, fn, args=(Arg("x", shape=x), Arg("w", shape=lambda _n: w)),
                output_shape=out, sizes=sizes, dtypes=dtypes, tags={"conv"}, note=note)


def _layer(xp: Any, y: Any) -> Any:
    """A layer's nonlinearity after the convolution: second order beyond the cross term."""
    return xp.tanh(y)


P1 = ((1, 2),)
CASES = [
    _conv_case("conv1d", lambda n: (2, 3, n), (4, 3, 3), lambda n: (2, 4, _out(n, 3, 1, (1, 1))),
               {"padding": 1}, ONE_D, "3 -> 4 channels, kernel 3, padding 1"),
    _conv_case("conv1d-strided-dilated", lambda n: (2, 3, n), (2, 3, 3),
               lambda n: (2, 2, _out(n, 3, 2, (1, 2), 2)),
               {"stride": 2, "padding": ((1, 2),), "dilation": 2}, ONE_D,
               "stride 2 with dilation 2 and uneven padding (1, 2)"),
    _conv_case("conv1d-groups-tanh", lambda n: (2, 4, n), (6, 2, 3),
               lambda n: (2, 6, _out(n, 3, 1, (1, 1))), {"padding": 1, "groups": 2}, ONE_D,
               "two groups, then tanh", wrap=_layer),
    _conv_case("conv2d", lambda n: (2, 3, n, n), (4, 3, 3, 2),
               lambda n: (2, 4, _out(n, 3, 2, (1, 0)), _out(n, 2, 1, (1, 1), 2)),
               {"stride": (2, 1), "padding": ((1, 0), (1, 1)), "dilation": (1, 2)}, TWO_D,
               "per-axis stride, uneven padding and dilation"),
    _conv_case("conv2d-tanh", lambda n: (1, 2, n, n), (3, 2, 2, 2),
               lambda n: (1, 3, _out(n, 2, 1, (1, 1)), _out(n, 2, 1, (1, 1))),
               {"padding": 1}, TWO_D, "a convolution layer: tanh(conv(x, w))", wrap=_layer),
    _conv_case("conv2d-depthwise", lambda n: (1, 4, n, n), (4, 1, 2, 2),
               lambda n: (1, 4, n - 1, n - 1), {"groups": 4}, TWO_D,
               "groups == channels: one kernel per channel"),
    # --- boundary points ---------------------------------------------------------------------
    _conv_case("conv-single-element", lambda n: (1, 1, 1), (1, 1, 1), (1, 1, 1), {}, FIXED,
               "one entry each: conv is x * w"),
    _conv_case("conv-padding-only-windows", lambda n: (1, 2, 2), (2, 2, 2), (1, 2, 5),
               {"padding": 2}, FIXED,
               "the first and last windows read only padding: outputs that see no input"),
    _conv_case("conv-stride-past-kernel", lambda n: (1, 2, 8), (3, 2, 2), (1, 3, 3),
               {"stride": 3}, FIXED, "stride 3 > kernel 2: inputs 2 and 5 are never read"),
    _conv_case("conv2d-single-output", lambda n: (2, 2, 3, 3), (2, 2, 3, 3), (2, 2, 1, 1), {},
               FIXED, "the kernel covers the whole input: one output per channel"),
]
