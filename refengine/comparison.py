"""One AD quantity against the finite-difference oracle: the checker's options, the
tolerance rule, and the verdict (``Comparison``; ``GradientCheckError`` when it fails).

An entry passes when ``|ad - fd| <= atol + rtol * |fd| + fd_error``: the oracle's own error
bound is always part of the tolerance. ``rtol`` defaults by dtype (float64 1e-6, float32 2e-3);
``atol`` defaults to ``rtol`` times the largest magnitude in the compared quantity (for
contractions such as ``u^T J``, the sum of the absolute terms), so entries that cancel to nearly
zero are not held to a relative precision that no float computation has. ``atol=0`` means zero.
Where the oracle finds a kink, ``fd +- fd_error`` is the interval of one-sided derivatives, so
any subgradient in it passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from refengine.numeric import Derivative, OracleConfig
from refengine.tolerances import rtol_for

__all__ = [
    "DEFAULT_RTOL",
    "FD",
    "MODE_NAMES",
    "CheckConfig",
    "Comparison",
    "GradientCheckError",
    "ModeUnavailable",
    "NotCheckedWarning",
    "compare_dot_products",
    "compare_entries",
    "lowest_precision",
    "ratio",
]

# The fd family of the one tolerance table (refengine.tolerances), keyed by dtype.
DEFAULT_RTOL = {np.dtype(d): rtol_for("fd", d) for d in ("float32", "float64")}
MODE_NAMES = {"fwd": "JVP", "rev": "VJP"}


@dataclass(frozen=True)
class CheckConfig:
    """Options of ``check_derivatives`` (this module's docstring gives the tolerance rule)."""

    modes: tuple[str, ...] = ("fwd", "rev")
    order: int = 2
    atol: float | None = None
    rtol: float | None = None
    full_jacobian_max: int = 16
    projections: int = 2
    oracle: OracleConfig = field(default_factory=OracleConfig)
    check_dtypes: bool = True

    def __post_init__(self) -> None:
        bad = [m for m in self.modes if m not in MODE_NAMES]
        if bad or not self.modes:
            raise ValueError(
                f"modes must be a non-empty subset of ('fwd', 'rev'), got {self.modes}"
            )
        if not isinstance(self.order, int) or self.order < 1:
            raise ValueError(f"order must be a positive integer, got {self.order!r}")
        for name in ("atol", "rtol"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ValueError(f"{name} must be None or >= 0, got {value!r}")
        if self.projections < 1 or self.full_jacobian_max < 0:
            raise ValueError("projections must be >= 1 and full_jacobian_max >= 0")


@dataclass(frozen=True)
class Comparison:
    """One AD quantity against the oracle, reduced to its worst entry (largest error/tol)."""

    function: str
    check: str  # e.g. "VJP of JVP of f"
    mode: str
    order: int
    passed: bool
    argument: int | None = None  # input argument of the worst entry (None: a projection)
    index: tuple[int, ...] | None = None  # index inside that argument
    output_index: int | None = None  # flat output index, where known
    ad_value: float = float("nan")
    fd_value: float = float("nan")
    fd_error: float = float("nan")
    abs_err: float = float("nan")
    rel_err: float = float("nan")
    tol: float = 0.0
    kink: bool = False
    evaluations: int = 0
    note: str = ""
    checked: bool = True  # False: not run (the AD system cannot do it); ``note`` says why

    def message(self) -> str:
        where = "on a random projection u^T J v"
        if self.argument is not None:
            where = f"at argument {self.argument}, input index {self.index}"
        if self.output_index is not None:
            where += f", output index {self.output_index}"
        kink = " (a kink: FD value +- bound is the interval of one-sided derivatives)"
        return (
            f"{self.check} disagrees with finite differences (function {self.function!r}, "
            f"mode {self.mode}, order {self.order}) {where}: AD value {self.ad_value:.17g}, "
            f"FD value {self.fd_value:.17g} +- {self.fd_error:.3g} (FD error bound)"
            f"{kink if self.kink else ''}; abs error {self.abs_err:.3g}, rel error "
            f"{self.rel_err:.3g}, against tolerance {self.tol:.3g}"
            + (f". {self.note}" if self.note else "")
        )


class GradientCheckError(AssertionError):
    """An AD derivative disagrees with the finite-difference oracle beyond the tolerance."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__(comparison.message())
        self.comparison = comparison


class ModeUnavailable(Exception):  # noqa: N818 (a condition, not a failure)
    """Raised by an AD system's ``jvp``/``vjp`` when it cannot compute that mode for this
    function (forward mode through a ``jax.custom_vjp``, say). The checker records the check as
    not checked, with this reason, and warns: never a silent pass."""


class NotCheckedWarning(UserWarning):
    """A check the caller asked for could not be run (see ``Comparison.checked``)."""


class FD(NamedTuple):
    """The oracle's side of a comparison."""

    value: np.ndarray
    error: np.ndarray
    kink: np.ndarray
    evaluations: int


def compare_entries(
    labels: dict[str, Any],
    config: CheckConfig,
    ad_values: np.ndarray,
    fd: FD,
    magnitude: np.ndarray | float,
    dtype: np.dtype,
    locate: Callable[[tuple[int, ...]], tuple[int | None, Any, int | None]],
) -> Comparison:
    """Compare entry by entry; report the entry with the largest error/tolerance ratio.

    ``labels`` are the Comparison's first fields (function, check, mode, order); ``magnitude``
    (broadcastable) is what the default ``atol`` is relative to; ``locate`` maps an entry's
    position to (argument, index inside it, output index).
    """
    rtol = config.rtol if config.rtol is not None else DEFAULT_RTOL[dtype]
    atol = config.atol if config.atol is not None else rtol * magnitude
    ad_values = np.asarray(ad_values, dtype=np.float64).reshape(fd.value.shape)
    abs_err = np.abs(ad_values - fd.value)
    tol = np.broadcast_to(atol + rtol * np.abs(fd.value) + fd.error, fd.value.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(abs_err <= tol, abs_err / np.where(tol > 0, tol, 1.0), np.inf)
    if ratio.size == 0:
        return Comparison(**labels, passed=True, evaluations=fd.evaluations)
    k = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    argument, index, output = locate(tuple(int(q) for q in k))
    err, ref = float(abs_err[k]), abs(float(fd.value[k]))
    return Comparison(
        **labels,
        passed=bool(np.all(ratio <= 1.0)),
        argument=argument,
        index=index,
        output_index=output,
        ad_value=float(ad_values[k]),
        fd_value=float(fd.value[k]),
        fd_error=float(fd.error[k]),
        abs_err=err,
        rel_err=err / ref if ref > 0 else (0.0 if err == 0 else float("inf")),
        tol=float(tol[k]),
        kink=bool(fd.kink[k]),
        evaluations=fd.evaluations,
    )


def compare_dot_products(
    labels: dict[str, Any],
    config: CheckConfig,
    grad: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    fd_jv: Derivative,
    dtype: np.dtype,
) -> Comparison:
    """The dot-product test: <J^T u, v> from the VJP against u . (J v) from the oracle."""
    fd = FD(
        np.array([u @ fd_jv.value]),
        np.array([np.abs(u) @ fd_jv.error]),
        np.array([bool(np.any(fd_jv.kink[u != 0]))]),
        fd_jv.evaluations,
    )
    # Both sums round relative to their absolute terms.
    mag = max(np.abs(u) @ np.abs(fd_jv.value), np.abs(grad) @ np.abs(v))
    ad_value = np.array([grad @ v])
    return compare_entries(labels, config, ad_value, fd, mag, dtype, lambda k: (None, None, None))


def ratio(c: Comparison) -> float:
    """How far past its tolerance the worst entry is (passing: at most 1)."""
    return c.abs_err / c.tol if c.tol > 0 else (0.0 if c.abs_err == 0 else np.inf)


def lowest_precision(dtypes: Sequence[np.dtype]) -> np.dtype:
    """float32 if any dtype is a float narrower than 64 bits, else float64."""
    low = any(d.kind == "f" and d.itemsize < 8 for d in dtypes)
    return np.dtype(np.float32) if low else np.dtype(np.float64)
