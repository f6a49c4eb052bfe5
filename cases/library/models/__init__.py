"""Model cases: GradBench's evals (gmm, lstm, ba, ht, llsq, det, ode, lse, kmeans, saddle,
particle, hello) and everyday models (logistic regression, MLP, transformer block, Rosenbrock)."""

from __future__ import annotations

from cases.case import Case
from cases.library.models import (
    ba,
    classic,
    det,
    gmm,
    hello,
    ht,
    kmeans,
    llsq,
    lse,
    lstm,
    nested,
    ode,
)

__all__ = ["CASES"]

CASES: list[Case] = [
    *gmm.CASES,
    *lstm.CASES,
    *ba.CASES,
    *ht.CASES,
    *llsq.CASES,
    *det.CASES,
    *ode.CASES,
    *lse.CASES,
    *kmeans.CASES,
    *classic.CASES,
    *nested.CASES,
    *hello.CASES,
]
