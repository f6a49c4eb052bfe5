"""Adapters that run in another Python environment, and how to find or make that environment.

Some frameworks cannot live beside the rest of the stack: MXNet 1.9.1 (its last release) needs
NumPy < 1.24, the harness NumPy 2. Such an adapter runs in a worker process started from its
own environment's interpreter (``adapters.remote``); the harness sends it NumPy arrays and gets
NumPy arrays back.

Where the interpreter is, in this order:

1. ``GRADPARITY_ENVS``: comma-separated ``adapter=/path/to/python`` entries
   (``GRADPARITY_ENVS=mxnet=/opt/mx/bin/python``); any adapter may be named, a built-in one
   then runs out of process too;
2. for an adapter listed in ``OWN_ENVIRONMENT``, the virtual environment
   ``python -m adapters.environments NAME`` makes: ``.venv-NAME`` in the repository root.

An adapter of ``OWN_ENVIRONMENT`` whose framework is neither importable here nor has an
environment is "unavailable", and the reason gives the command that prepares one.

    python -m adapters.environments mxnet      # make .venv-mxnet (about 30 s, 50 MB download)
    python -m adapters.environments jax@0.4.38 # an older JAX beside the installed one

Two versions of one framework side by side: an entry named ``FRAMEWORK@VERSION`` (``jax@0.4.38``)
is that release in its own environment, run by the framework's own adapter in a worker and
labelled ``jax@0.4.38`` in the records (its ``framework_version`` says ``jax 0.4.38``), beside
the in-process ``jax``. Such adapters are not in ``adapters.names()`` (a default run does not
pay for them): name them (``--adapters jax,jax@0.4.38``, ``--gp-adapters``), and
``reports.version_changes`` lists what changed between the two.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ENVS_VARIABLE",
    "OWN_ENVIRONMENT",
    "WORKER_VARIABLE",
    "Environment",
    "configured",
    "in_worker",
    "interpreter_for",
    "prepare",
    "versioned",
]

ENVS_VARIABLE = "GRADPARITY_ENVS"
# Set in a worker's environment: there every adapter runs in process, and cases are not
# validated again (the harness did; the worker's NumPy may be too old to trace them).
WORKER_VARIABLE = "GRADPARITY_WORKER"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Environment:
    """What an adapter's own environment holds: pip requirements (what the worker path
    itself needs, NumPy, comes with them)."""

    adapter: str
    requirements: tuple[str, ...]
    why: str

    @property
    def venv(self) -> Path:
        return ROOT / f".venv-{self.adapter}"

    @property
    def command(self) -> str:
        return f"python -m adapters.environments {self.adapter}"


# Frameworks that need an environment of their own, and why.
OWN_ENVIRONMENT = {
    "mxnet": Environment(
        "mxnet", ("mxnet==1.9.1", "numpy<1.24"),
        "MXNet 1.9.1, its last release, uses NumPy aliases (np.bool) removed in NumPy 1.24"),
    # JAX's last 0.4 release (2024-12), beside the installed one: 634 MB and 64 s to make on
    # the shared 2-core machine (2026-12-07). .ci/run makes it (tests/test_version_changes.py);
    # elsewhere that test skips saying how to make it.
    "jax@0.4.38": Environment(
        "jax@0.4.38", ("jax==0.4.38", "jaxlib==0.4.38"),
        "an older JAX release, run beside the installed one (two versions side by side)"),
}


def versioned(name: str) -> tuple[str, str] | None:
    """``("jax", "0.4.38")`` for ``"jax@0.4.38"``; None for a plain adapter name."""
    framework, sep, version = name.partition("@")
    return (framework, version) if sep and framework and version else None


def in_worker() -> bool:
    return bool(os.environ.get(WORKER_VARIABLE))


def configured() -> dict[str, str]:
    """``{adapter: interpreter}`` from ``GRADPARITY_ENVS``."""
    out = {}
    for entry in filter(None, (e.strip() for e in os.environ.get(ENVS_VARIABLE, "").split(","))):
        name, sep, python = entry.partition("=")
        if not sep or not name.strip() or not python.strip():
            raise ValueError(f"{ENVS_VARIABLE} entry {entry!r} is not adapter=/path/to/python")
        out[name.strip()] = python.strip()
    return out


def interpreter_for(adapter: str) -> str | None:
    """The interpreter ``adapter`` runs under out of process, or None (in process). Inside a
    worker every adapter runs in process."""
    if in_worker():
        return None
    named = configured().get(adapter)
    if named:
        return named
    env = OWN_ENVIRONMENT.get(adapter)
    if env is not None:
        python = env.venv / "bin" / "python"
        return str(python) if python.exists() else None
    return None


def prepare(adapter: str, python: str = sys.executable, quiet: bool = True) -> Path:
    """Make ``adapter``'s virtual environment (``.venv-ADAPTER``) with ``python``'s ``venv``
    and pip; return its interpreter. Raises CalledProcessError when pip fails."""
    env = OWN_ENVIRONMENT[adapter]
    subprocess.run([python, "-m", "venv", str(env.venv)], check=True)
    pip = [str(env.venv / "bin" / "python"), "-m", "pip", "install", *(["-q"] if quiet else [])]
    subprocess.run([*pip, *env.requirements], check=True)
    return env.venv / "bin" / "python"


def main(argv: list[str] | None = None) -> int:
    """``python -m adapters.environments [--strict] NAME...``: make each environment. A
    failure leaves that adapter unavailable and is said so; it ends the command with status 1
    only with ``--strict`` (so that the README's first command and CI go on without it)."""
    args = sys.argv[1:] if argv is None else argv
    strict = "--strict" in args
    names = [a for a in args if a != "--strict"]
    unknown = [n for n in names if n not in OWN_ENVIRONMENT]
    if not names or unknown:
        print(f"usage: python -m adapters.environments [--strict] NAME...; NAME one of "
              f"{', '.join(OWN_ENVIRONMENT)}" + (f" (not {', '.join(unknown)})" if unknown else ""),
              file=sys.stderr)
        return 2
    failed = False
    for name in names:
        env = OWN_ENVIRONMENT[name]
        print(f"{name}: {env.why}; making {env.venv} ({', '.join(env.requirements)})")
        try:
            print(f"{name}: ready: {prepare(name)}")
        except (subprocess.CalledProcessError, OSError) as exc:
            failed = True
            print(f"{name}: its environment could not be made ({exc}); {name} is unavailable "
                  f"until `{env.command}` succeeds", file=sys.stderr)
    return 1 if failed and strict else 0


if __name__ == "__main__":
    sys.exit(main())
