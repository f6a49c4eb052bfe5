"""Sweep sizes the timing leaves out for one adapter and mode, each measured, with the reason.

The timing run (and the pytest-benchmark grid) skip these points and list them in the run's
notes as ``too-costly`` with the measurement, so a missing row always says why. It is data,
like ``cases.conventions.COSTLY`` (which keeps combinations out of the conformance matrix).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.case import Size
from cases.library.models import lstm

__all__ = ["STATUS", "UNTIMED", "Untimed", "untimed"]

STATUS = "too-costly"


@dataclass(frozen=True)
class Untimed:
    case: str
    adapter: str
    mode: str
    sizes: tuple[Size, ...]
    measured: str
    citation: str

    def matches(self, case: str, adapter: str, mode: str, size: Size) -> bool:
        return (case, adapter, mode) == (self.case, self.adapter, self.mode) and size in self.sizes


UNTIMED: tuple[Untimed, ...] = (
    Untimed(
        case="lstm", adapter="jax", mode="jit", sizes=tuple(lstm.GRADBENCH_SIZES.values()),
        measured="jax.jit unrolls the Python loop over the characters (c - 1 steps of l layers) "
                 "and XLA's CPU compile of the gradient grows faster than c^2: at l = 2 it took "
                 "3.2, 10.9 and 68 s at c = 8, 16, 32 (README, a quiet machine), and 8, 19, 42, "
                 "71 s with 0.32, 0.38, 0.47, 0.58 GB peak at c = 4, 8, 12, 16 (under load; "
                 "~22 MB per character). GradBench's smallest size, c = 1024, extrapolates to "
                 "days of compiling and ~20 GB (float64, jax 0.10.2, this 2-core machine); "
                 "c = 8192 is out of reach. Eager JAX and the other frameworks run the sweep.",
        citation="https://github.com/jax-ml/jax/issues/2777 (slow compile of unrolled loops; "
                 "the advice there: lax.scan, which the case vocabulary has no name for)",
    ),
    Untimed(
        case="lstm", adapter="tensorflow", mode="jit",
        sizes=tuple(lstm.GRADBENCH_SIZES.values()),
        measured="tf.function traces the same unrolled loop into one graph and its first "
                 "value-and-gradient call grows about as c^1.7: 31 s at c = 64 and 328 s "
                 "(1.9 GB peak) at c = 256 (l = 2, float64, TensorFlow 2.21, this 2-core "
                 "machine under load), so about an hour at GradBench's smallest c = 1024 and "
                 "more than a day at c = 8192. Eager TensorFlow runs the sweep.",
        citation="https://www.tensorflow.org/guide/function (a Python loop over a Python range "
                 "is unrolled into the graph; tf.while_loop / AutoGraph over a tensor keeps it "
                 "one loop, which the case vocabulary has no name for)",
    ),
    Untimed(
        case="lstm", adapter="mxnet", mode="jit", sizes=tuple(lstm.GRADBENCH_SIZES.values()),
        measured="MXNet's hybridized mode traces the unrolled loop into one graph; at "
                 "GradBench's smallest size (l = 2, c = 1024) its first call had not finished "
                 "after the worker's 300 s (float64, MXNet 1.9.1, this 2-core machine under "
                 "load). Eager MXNet runs the sweep.",
        citation="gradparity's matrix (lstm at its large size, MXNet jit); as jax.jit and "
                 "tf.function above",
    ),
)


def untimed(case: str, adapter: str, mode: str, size: Size) -> Untimed | None:
    """The ``UNTIMED`` entry for this point, or None."""
    return next((u for u in UNTIMED if u.matches(case, adapter, mode, size)), None)
