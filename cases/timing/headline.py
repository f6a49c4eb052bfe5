"""The sizes of the README's timing results: GradBench's, chosen to fit 15 minutes here.

    gradparity bench --sizes headline --cases gmm,ba,llsq,lse,kmeans \\
        --adapters refengine,autograd,torch,jax,tensorflow --dtypes float64 \\
        --out reports/timings --force --gzip --no-fail --quiet --readme README.md

(``COMMAND``; the README quotes it.) Every size here is one of GradBench's default sizes for
its eval, so each record carries GradBench's label (``gradbench_size``), and each case has at
least two, so that time against size is a line, not a point. Left out, with the reason:

- ``lstm``: GradBench's smallest size has c = 1024 characters; the case's Python loop over
  them costs eager JAX about 16 s and eager TensorFlow about 4.5 s per gradient here, and
  ``jax.jit`` / ``tf.function`` are untimed there (``untimed.UNTIMED``: compiling the unrolled
  loop takes hours);
- ``det-by-minors``: its cost grows as ell!, and taping 7! products per gradient dominates
  the whole budget;
- the larger sizes of each case: the run must fit 15 minutes on this 2-core machine
  (forward, value-and-gradient, JVP, HVP and compile, 8 adapter modes, at least 7 samples
  each).
"""

from __future__ import annotations

from typing import Any

from cases.case import Size

__all__ = ["COMMAND", "HEADLINE_SIZES", "headline_sizes"]

# Two sizes per case, far apart: 10 points. Measured under load (load average 13-14 on the
# 2 cores): lse and llsq at three sizes each on refengine, torch and JAX (eager and jit) took
# 6.5 minutes and 80 CPU seconds; gmm at one size on every adapter, 48 s a point at a load
# of 1-2. Ten points on 8 adapter modes should take 8-10 minutes idle.
HEADLINE_SIZES: dict[str, tuple[Size, ...]] = {
    "gmm": ((2, 5, 1000), (10, 25, 1000)),
    "ba": ((49, 7776, 31843), (21, 11315, 36455)),
    "llsq": ((128, 128), (8196, 128)),
    "lse": (10000, 1280000),
    "kmeans": ((10, 1000, 8), (100, 1000, 16)),
}

COMMAND = ("gradparity bench --sizes headline --cases " + ",".join(HEADLINE_SIZES)
           + " --adapters refengine,autograd,torch,jax,tensorflow --dtypes float64"
           " --out reports/timings --force --gzip --no-fail --quiet --readme README.md")


def headline_sizes(case: Any) -> tuple[Size, ...]:
    """``case``'s headline sizes (none for a case not in ``HEADLINE_SIZES``): the
    ``sizes`` callable ``run_timings`` takes for ``--sizes headline``."""
    return HEADLINE_SIZES.get(case.name, ())
