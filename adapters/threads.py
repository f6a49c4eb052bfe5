"""One thread count for every framework (default 1), set before each framework's first use.

Call ``configure(n, pin=...)`` once, early (the CLI does it before anything is imported);
without it, the first adapter to load applies the default: ``$GRADPARITY_THREADS`` or 1.
Two layers hold the setting:

- the environment, which most runtimes read once, at import: ``OMP_NUM_THREADS``,
  ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` (BLAS inside torch, NumPy, SciPy),
  ``TF_NUM_INTRAOP_THREADS``/``TF_NUM_INTEROP_THREADS`` and XLA's ``XLA_FLAGS``;
- each framework's own call, made by its adapter right after import (``torch.set_num_threads``,
  ``tf.config.threading``), and reported back as the effective setting.

Two facts measured here (anchors.md) shape this module. XLA's CPU thread flags are not
honoured, so JAX can only be held to n threads by pinning the process to n cores
(``pin=True``: ``os.sched_setaffinity``), which binds every framework in the process alike.
And NumPy's BLAS reads its thread count when NumPy is imported, which is before any adapter
runs: set ``OPENBLAS_NUM_THREADS`` before Python starts, or pin.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["configure", "prepare_environment", "process_report", "requested"]

_ENV_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
_XLA_FLAGS = ("--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads={n}")
_FRAMEWORKS = ("torch", "jax", "tensorflow")

_state: dict[str, Any] = {"n": None, "pinned": None, "late": []}


def requested() -> int:
    """The thread count every adapter applies."""
    if _state["n"] is None:
        _state["n"] = int(os.environ.get("GRADPARITY_THREADS", "1"))
    return _state["n"]


def configure(n: int = 1, *, pin: bool = False) -> dict[str, Any]:
    """Use ``n`` threads in every framework; with ``pin``, also bind the process to ``n`` CPUs.

    Returns ``process_report()``. Frameworks imported before this call keep the thread count
    their runtime started with; they are named under ``imported_too_early``.
    """
    if n < 1:
        raise ValueError(f"thread count must be at least 1, not {n}")
    _state["n"] = n
    _state["late"] = [m for m in _FRAMEWORKS if m in sys.modules]
    _set_environment(n)
    if pin:
        cpus = sorted(os.sched_getaffinity(0))[:n]
        os.sched_setaffinity(0, cpus)
        _state["pinned"] = cpus
    return process_report()


def prepare_environment() -> None:
    """Called by every adapter just before it imports its framework."""
    _set_environment(requested())


def _set_environment(n: int) -> None:
    for var in _ENV_VARS:
        os.environ[var] = str(n)
    flags = os.environ.get("XLA_FLAGS", "").split()
    # Replace our own flags, keep whatever else the user put there.
    flags = [f for f in flags if not f.startswith(("--xla_cpu_multi_thread_eigen",
                                                    "intra_op_parallelism_threads"))]
    os.environ["XLA_FLAGS"] = " ".join([*flags, *(f.format(n=n) for f in _XLA_FLAGS)])


def process_report() -> dict[str, Any]:
    """What holds for the whole process: CPU affinity, the environment, early imports."""
    return {
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "pinned_cpus": _state["pinned"],
        "environment": {v: os.environ.get(v) for v in (*_ENV_VARS, "XLA_FLAGS")},
        "imported_too_early": list(_state["late"]),
    }
