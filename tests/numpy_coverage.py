"""How much of HIPS autograd's and JAX's differentiable NumPy refengine.numpy covers.

Run ``python -m tests.numpy_coverage`` for the README's coverage table and the names still
missing. A name counts as covered when refengine's matching namespace has it.

- autograd: the public NumPy/SciPy names in ``autograd.numpy``, ``.linalg``, ``.fft`` and
  ``autograd.scipy``'s modules (refengine's: ``refengine.numpy``, its ``linalg`` and
  ``special``, and ``refengine.scipy``'s ``linalg``, ``signal``, ``integrate`` and ``stats``)
  that autograd registered a VJP for (its differentiable primitives; autograd's own helpers,
  which NumPy lacks, are not counted). autograd's Python composites (``stack``,
  ``concatenate``, ``mean``, ...) have no VJP of their own and are counted separately.
- JAX: each public function of ``jax.numpy``, ``jax.numpy.linalg`` and ``jax.scipy.special``
  is called on one or two float arrays and differentiated (``jax.jvp``); it counts when its
  output tangent is a non-zero float array. Functions that need other arguments are not probed,
  and are reported as such.
"""

from __future__ import annotations

import importlib
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import refengine.numpy as rnp
import refengine.scipy as rsp

__all__ = [
    "Coverage", "autograd_composites", "autograd_coverage", "jax_coverage", "main", "table_rows",
]

# autograd's namespaces, the library they mirror, and refengine's namespace for them.
_AUTOGRAD = [
    ("autograd.numpy", "numpy", rnp),
    ("autograd.numpy.linalg", "numpy.linalg", rnp.linalg),
    ("autograd.numpy.fft", "numpy.fft", rnp.fft),
    ("autograd.scipy.special", "scipy.special", rnp.special),
    ("autograd.scipy.linalg", "scipy.linalg", rsp.linalg),
    ("autograd.scipy.signal", "scipy.signal", rsp.signal),
    ("autograd.scipy.integrate", "scipy.integrate", rsp.integrate),
    ("autograd.scipy.stats.norm", "scipy.stats.norm", rsp.stats.norm),
    ("autograd.scipy.stats.t", "scipy.stats.t", rsp.stats.t),
    ("autograd.scipy.stats.beta", "scipy.stats.beta", rsp.stats.beta),
    ("autograd.scipy.stats.gamma", "scipy.stats.gamma", rsp.stats.gamma),
    ("autograd.scipy.stats.chi2", "scipy.stats.chi2", rsp.stats.chi2),
    ("autograd.scipy.stats.poisson", "scipy.stats.poisson", rsp.stats.poisson),
    ("autograd.scipy.stats.dirichlet", "scipy.stats.dirichlet", rsp.stats.dirichlet),
    ("autograd.scipy.stats.multivariate_normal", "scipy.stats.multivariate_normal",
     rsp.stats.multivariate_normal),
]
_JAX = [
    ("jax.numpy", rnp),
    ("jax.numpy.linalg", rnp.linalg),
    ("jax.scipy.special", rnp.special),
]


@dataclass
class Coverage:
    """One namespace: the differentiable names found there, and which refengine has."""

    namespace: str
    names: list[str]
    covered: list[str]
    not_probed: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return sorted(set(self.names) - set(self.covered))


def _has(ours: Any, name: str) -> bool:
    return ours is not None and callable(getattr(ours, name, None))


def _mirror(path: str) -> Any:
    """The NumPy or SciPy object a namespace mirrors (scipy.stats.norm is an object)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(path)


def autograd_coverage() -> list[Coverage]:
    from autograd.core import primitive_vjps

    def differentiable(obj: Any) -> bool:
        try:
            return obj in primitive_vjps
        except TypeError:  # unhashable
            return False

    out = []
    for path, mirrors, ours in _AUTOGRAD:
        module = importlib.import_module(path)
        mirror = _mirror(mirrors)
        names = sorted(
            n for n in dir(module)
            if not n.startswith("_") and hasattr(mirror, n) and differentiable(getattr(module, n))
        )
        out.append(Coverage(path, names, [n for n in names if _has(ours, n)]))
    return _stats_as_one(out)


def _stats_as_one(rows: list[Coverage]) -> list[Coverage]:
    """scipy.stats's distributions as one row, their names as ``norm.pdf``."""
    prefix = "autograd.scipy.stats."
    stats = [c for c in rows if c.namespace.startswith(prefix)]
    names = [f"{c.namespace.removeprefix(prefix)}.{n}" for c in stats for n in c.names]
    covered = [f"{c.namespace.removeprefix(prefix)}.{n}" for c in stats for n in c.covered]
    rest = [c for c in rows if not c.namespace.startswith(prefix)]
    return [*rest, Coverage("autograd.scipy.stats", names, covered)]


def autograd_composites() -> Coverage:
    """autograd.numpy's differentiable Python functions (built on its primitives)."""
    import autograd.numpy as anp

    names = sorted(
        n for n in dir(anp)
        if isinstance(getattr(anp, n), types.FunctionType)
        and getattr(anp, n).__module__ == "autograd.numpy.numpy_wrapper" and hasattr(np, n)
    )
    names += ["c_", "r_"]
    return Coverage("autograd.numpy (composites)", names, [n for n in names if hasattr(rnp, n)])


def _probe(jax: Any, fn: Any) -> bool | None:
    """Whether jax differentiates ``fn`` on one or two float arrays (None: not callable so)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 0.8, (3, 3)).astype(np.float32)
    y = rng.uniform(0.2, 0.8, (3, 3)).astype(np.float32)
    for args in ((x,), (x, y)):
        try:
            _, tangent = jax.jvp(fn, args, tuple(np.ones_like(a) for a in args))
            leaves = jax.tree_util.tree_leaves(tangent)
        except Exception:  # any failure means "not callable this way"
            continue
        if not leaves:
            return False
        return any(
            np.issubdtype(np.asarray(t).dtype, np.inexact) and np.any(np.asarray(t) != 0)
            for t in leaves
        )
    return None


def jax_coverage() -> list[Coverage]:
    import jax

    out = []
    for path, ours in _JAX:
        module = importlib.import_module(path)
        names, probed_out = [], []
        for n in sorted(dir(module)):
            obj = getattr(module, n)
            if n.startswith("_") or isinstance(obj, type) or not callable(obj):
                continue
            verdict = _probe(jax, obj)
            if verdict is None:
                probed_out.append(n)
            elif verdict:
                names.append(n)
        out.append(Coverage(path, names, [n for n in names if _has(ours, n)], probed_out))
    return out


def table_rows(rows: list[Coverage]) -> list[str]:
    """The README table's rows (markdown), one per namespace."""
    return [f"| `{c.namespace}` | {len(c.names)} | {len(c.covered)} |" for c in rows]


def _table(rows: list[Coverage]) -> list[str]:
    header = ["| namespace | differentiable names | in refengine |", "|---|---:|---:|"]
    return header + table_rows(rows)


def main() -> int:
    rows = autograd_coverage()
    rows.append(autograd_composites())
    with_jax = "--no-jax" not in sys.argv[1:]
    if with_jax:
        rows += jax_coverage()
    print("\n".join(_table(rows)))
    for c in rows:
        if c.missing:
            print(f"\n{c.namespace} missing ({len(c.missing)}): {', '.join(c.missing)}")
        if c.not_probed:
            print(f"{c.namespace} not probed ({len(c.not_probed)}): {', '.join(c.not_probed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
