"""Naming the convention a framework chose where the derivative does not exist.

At a kink the oracle gives the one-sided derivatives (``left``: from below, ``right``: from
above) of ``<u, f>`` along each kink entry; any subgradient lies between them. A gradient
entry there is classified, first match wins:

- ``nan``: NaN;
- ``inf``: an infinity (the limit where the slope is infinite, e.g. sqrt'(0));
- ``zero``: exactly 0 (even where 0 is also one side or the average: ``abs'(0) = 0``, and
  ``relu'(0) = 0`` is reported as ``zero``, not ``left``);
- ``left`` / ``right``: one of the one-sided derivatives;
- ``average``: their mean (ties split evenly: ``maximum`` at x == y);
- ``inside``: another point of the subdifferential (a tie split unevenly);
- ``other``: outside it.

Where the oracle finds the function differentiable after all, the entry is ``smooth`` (the
gradient must then be the derivative); where no subgradient exists (a jump, an infinite
slope: the oracle is undefined), ``undefined:<class>`` records what the framework returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CONVENTIONS", "KinkEntry", "classify", "summarize"]

CONVENTIONS = ("nan", "inf", "zero", "left", "right", "average", "inside", "other", "smooth")


@dataclass(frozen=True)
class KinkEntry:
    """One kink entry: the framework's gradient entry and the oracle's view there."""

    name: str
    got: float
    left: float
    right: float
    lower: float  # the interval value - error .. value + error (the one-sided values widened
    upper: float  # by their error bounds)
    kink: bool  # the oracle found different one-sided derivatives
    defined: bool  # the oracle has a trustworthy estimate at all
    slack: float  # how close counts as equal (the model's tolerance at this entry)

    @property
    def inside(self) -> bool:
        return self.lower - self.slack <= self.got <= self.upper + self.slack


def _near(a: float, b: float, slack: float) -> bool:
    return math.isfinite(b) and abs(a - b) <= slack


def classify(entry: KinkEntry) -> str:
    """The convention word for one entry (see the module docstring)."""
    g = entry.got
    if math.isnan(g):
        return "nan"
    if math.isinf(g):
        return "inf"
    word = _classify_finite(entry)
    if not entry.defined:
        return f"undefined:{word}"
    return word


def _classify_finite(entry: KinkEntry) -> str:
    g, slack = entry.got, entry.slack
    if g == 0.0:
        return "zero"
    if entry.defined and not entry.kink:
        return "smooth"
    # The one-sided values carry their own error: half the interval's width beyond their gap.
    err = max(0.0, 0.5 * ((entry.upper - entry.lower) - abs(entry.right - entry.left)))
    near = slack + err
    if _near(g, entry.left, near):
        return "left"
    if _near(g, entry.right, near):
        return "right"
    if _near(g, 0.5 * (entry.left + entry.right), near):
        return "average"
    return "inside" if entry.inside else "other"


def summarize(words: list[tuple[str, str]]) -> str:
    """One convention for the record: the common word, or ``name:word`` pairs when they
    differ (``x[1]:right; x[4]:zero`` for a tie broken towards the first index)."""
    distinct = {w for _, w in words}
    if len(distinct) == 1:
        return distinct.pop()
    return "; ".join(f"{name}:{word}" for name, word in words)
