"""The NumPy-only control measurement, timed in every run.

A fixed workload (a 96 x 96 matrix product and elementwise functions on 10,000 entries, about
0.3 ms) that no framework touches. It joins every point's rounds, in the same random order as
the frameworks, so its samples span the whole run: when the control is slow or spread out, the
machine was noisy; when it is steady and a framework is slow, the framework is slow. Its
samples are pooled into one record per process (``case="control"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases.timing.sampler import Budget, Measurement, Stats, warm_up
from cases.timing.timing_record import CONTROL_CASE, TimingRecord

__all__ = ["Control"]

_N = 96
_ELEMENTS = 10_000


class Control:
    def __init__(self, budget: Budget, name: str = CONTROL_CASE) -> None:
        rng = np.random.default_rng(12345)
        self._a = rng.standard_normal((_N, _N)) / _N
        self._x = rng.standard_normal(_ELEMENTS)
        self._budget = budget
        self._n: int | None = None
        self.name = name
        self.samples: list[float] = []

    def _call(self) -> Any:
        return float(np.tanh(self._a @ self._a).sum() + np.exp(np.sin(self._x)).sum())

    def measurement(self) -> Measurement:
        """A fresh measurement for one point's rounds (calibrated once per run)."""
        m = Measurement(("numpy", self.name), self._call)
        if self._n is None:
            warm_up(m, self._budget)
            self._n = m.n
        m.n = self._n
        return m

    def add(self, m: Measurement) -> None:
        self.samples.extend(m.samples)

    def record(self, run_id: str, threads: int) -> TimingRecord | None:
        if not self.samples:
            return None
        stats = Stats.of(self.samples)
        return TimingRecord(
            run_id=run_id, case=self.name, adapter="numpy", mode="eager", device="cpu",
            dtype="float64", size=f"n={_N},elements={_ELEMENTS}",
            n_inputs=_N * _N + _ELEMENTS, quantity="forward", median_s=stats.median_s,
            min_s=stats.min_s, iqr_s=stats.iqr_s, n_samples=stats.n_samples, threads=threads,
            ci_low_s=stats.ci_low_s if stats.ci_low_s == stats.ci_low_s else None,
            ci_high_s=stats.ci_high_s if stats.ci_high_s == stats.ci_high_s else None,
            vs_control=1.0,
        )
