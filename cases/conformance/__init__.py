"""Conformance: is each framework's derivative right, how far off is it, and where do
frameworks disagree, with evidence.

    from cases.conformance import run_case, run_matrix, Record

``run_matrix`` / ``run_case`` are the one code path pytest (``cases.pytest_plugin``), the
CLI and users' scripts share; each returns ``Record`` rows (design.md's conformance schema).
Modules: ``checks`` (the eighteen checks), ``nestings`` (the second-order nestings check),
``transforms`` (vectorised gradients, forward vs reverse Jacobians, inputs unchanged), ``run``
(a case's checks into records),
``check_record`` (the ``Record``), ``verdict`` (entry-by-entry comparison down to the worst
entry), ``tolerance`` and ``scales`` (which tolerance and magnitude each check uses; the rule
and the judging are ``refengine.judging``'s, shared with ``rf.check_grads``), ``reference`` and
``context`` (the references a check compares with, computed once per case), ``localise``
(pinning a failure to one Jacobian entry), ``finite``, ``kink_conventions`` (naming the
convention at a kink) and ``mutation`` (the mutation score). The divergence table is
``cases.conventions``.

It may import the case model (``cases``), adapters, refengine (its oracle, its rules for the
mutants) and ``cases.conventions``; never ``cases.timing`` or ``reports``.
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
