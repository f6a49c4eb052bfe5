"""What a run ran on: written as environment.json beside every run's records."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import os
import platform
import socket
import sys
from typing import Any

from cases.timing.environment import cpu_model, git_commit

__all__ = ["HOST_VARIABLE", "collect_environment", "host_environment", "host_name"]

PACKAGES = ("numpy", "scipy", "torch", "jax", "jaxlib", "tensorflow-cpu", "tensorflow",
            "autograd", "pandas", "matplotlib", "gradparity")
THREAD_VARIABLES = ("GRADPARITY_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS", "XLA_FLAGS", "TF_NUM_INTRAOP_THREADS",
                    "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


# A host's name for records is its hostname; this variable names it otherwise (containers and
# CI runners whose hostnames are random: name the machine, so its timings keep one name).
HOST_VARIABLE = "GRADPARITY_HOST"


def host_name() -> str:
    """The name of the machine this process measures on (``GRADPARITY_HOST``, or the
    hostname): every record carries it, and no ratio mixes two of them."""
    return os.environ.get(HOST_VARIABLE) or socket.gethostname()


def host_environment() -> dict[str, Any]:
    """What a host's records were measured with: CPU, versions, thread settings (the
    per-host part of ``collect_environment``; environment.json's ``hosts`` holds one each).
    Read once per process (35 ms: package metadata and /proc/cpuinfo; every task returns
    it, and a quick run has about 90)."""
    return dict(_host_environment())


@functools.cache
def _host_environment() -> dict[str, Any]:
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "versions": _versions(),
        "thread_environment": {k: os.environ[k] for k in THREAD_VARIABLES if k in os.environ},
    }


def _versions() -> dict[str, str]:
    # Read from package metadata: never import a framework just to learn its version.
    found = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def collect_environment(argv: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """Versions of Python and every framework, CPU, thread settings, git commit, date and the
    command line."""
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command_line": list(sys.argv if argv is None else argv),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "versions": _versions(),
        "thread_environment": {k: os.environ[k] for k in THREAD_VARIABLES if k in os.environ},
        "git_commit": git_commit(),
        **extra,
    }
