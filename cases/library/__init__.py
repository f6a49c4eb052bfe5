"""The built-in case library, one module per theme (``kinks`` is the theme of cases placed
where the derivative does not exist). Each module defines ``CASES``; the registry loads this
list on first use (``cases.all()``), validating every case. ``boundaries`` attaches
boundary points (``Boundary``) to existing cases by name; each becomes a case of its own.

A case is a plain function of a NumPy-named ``xp``: these modules import the case model
(``cases.case``, ``cases.domains``, ``_helpers``) and NumPy/SciPy for constants only, never a
framework, an adapter or a harness."""

from __future__ import annotations

from cases.case import Case
from cases.library import (
    binary,
    boundaries,
    complex_numbers,
    control_flow,
    convolution,
    delicate,
    elementwise,
    indexing,
    kinks,
    linalg,
    models,
    order,
    pooling,
    reductions,
    segments,
    selection,
    special,
    structure,
    transformations,
    traps,
)

__all__ = ["CASES"]

CASES: list[Case] = boundaries.with_boundaries([
    *elementwise.CASES,
    *binary.CASES,
    *selection.CASES,
    *reductions.CASES,
    *structure.CASES,
    *indexing.CASES,
    *linalg.CASES,
    *special.CASES,
    *control_flow.CASES,
    *transformations.CASES,
    *delicate.CASES,
    *traps.CASES,
    *kinks.CASES,
    *models.CASES,
    *convolution.CASES,
    *pooling.CASES,
    *segments.CASES,
    *complex_numbers.CASES,
    *order.CASES,
])
