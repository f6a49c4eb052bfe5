"""Conformance: is each framework's derivative right, how far off is it, and where do
frameworks disagree, with evidence.

    from cases.conformance import run_case, run_matrix, Record

``run_matrix`` / ``run_case`` are the one code path pytest (``cases.pytest_plugin``), the
CLI and users' scripts share; each returns ``Record`` rows (design.md's conformance schema).
The checks are in ``checks``, the tolerance model in ``tolerance``, the naming of conventions
at kinks in ``kinks``, and the divergence table in ``cases.conventions``.
"""

from cases.conformance.check_record import COLUMNS, Record
from cases.conformance.checks import CHECKS, planned
from cases.conformance.run import resolve_adapter, run_case, run_matrix, skip_reason
from cases.conformance.tolerance import RTOL
from cases.statuses import STATUSES

__all__ = [
    "CHECKS",
    "COLUMNS",
    "RTOL",
    "STATUSES",
    "Record",
    "planned",
    "resolve_adapter",
    "run_case",
    "run_matrix",
    "skip_reason",
]
