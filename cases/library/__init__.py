"""The built-in case library, one module per theme. Each module defines ``CASES``; the
registry loads this list on first use (``cases.all()``), validating every case."""

from __future__ import annotations

from cases.case import Case
from cases.library import (
    binary,
    control_flow,
    delicate,
    elementwise,
    indexing,
    kinks,
    linalg,
    models,
    reductions,
    selection,
    special,
    structure,
    traps,
)

__all__ = ["CASES"]

CASES: list[Case] = [
    *elementwise.CASES,
    *binary.CASES,
    *selection.CASES,
    *reductions.CASES,
    *structure.CASES,
    *indexing.CASES,
    *linalg.CASES,
    *special.CASES,
    *control_flow.CASES,
    *delicate.CASES,
    *traps.CASES,
    *kinks.CASES,
    *models.CASES,
]
