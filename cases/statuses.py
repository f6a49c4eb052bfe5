"""A conformance check's statuses, said once: the conformance record (``cases.conformance``)
writes them and the reports (``reports``) read them, without loading the harness."""

__all__ = [
    "DIVERGENCE_DOCUMENTED",
    "ERROR",
    "FAIL",
    "FAILING",
    "NONFINITE",
    "PASS",
    "STATUSES",
    "UNSUPPORTED",
]

PASS = "pass"
FAIL = "fail"
ERROR = "error"
UNSUPPORTED = "unsupported"
NONFINITE = "nonfinite"
DIVERGENCE_DOCUMENTED = "divergence-documented"
STATUSES = (PASS, FAIL, ERROR, UNSUPPORTED, NONFINITE, DIVERGENCE_DOCUMENTED)
# What a run is judged by: these need a person (or an entry in the divergence table).
FAILING = frozenset({FAIL, ERROR, NONFINITE})
