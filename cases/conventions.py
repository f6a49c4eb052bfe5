"""The divergence table: where frameworks knowingly differ from the reference, as data.

Each entry names where (the cases, i.e. the op at a point), who (adapters and a version
range), what is affected (checks, statuses, dtypes, modes), what happens (``behaviour``) and
where that is documented (``citation``: an issue, a documentation page or a source file; for a
behaviour no public source describes, the reproducing case and "found by gradparity, no
public issue found"). A conformance record whose status is ``fail``, ``error`` or
``nonfinite`` and that an entry matches becomes ``divergence-documented`` with the citation
in its message; one that no entry matches stays a failure. Entries are kept narrow on
purpose: a new failure in the same case but another check, status or framework version is
not silently absorbed.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from typing import Any

from cases.conformance.records import DIVERGENCE_DOCUMENTED, Record

__all__ = ["TABLE", "Divergence", "document", "find", "version_matches"]


@dataclass(frozen=True)
class Divergence:
    """One documented divergence.

    ``cases`` are case names or glob patterns; ``adapters`` adapter names; ``versions`` a
    specifier on the framework's version (``">=0.4"``, ``">=2.0,<3"``; empty: any);
    ``checks``, ``statuses``, ``dtypes`` and ``modes`` narrow the records it covers (empty:
    any). ``op`` and ``point`` say what and where in words.
    """

    op: str
    point: str
    cases: tuple[str, ...]
    adapters: tuple[str, ...]
    behaviour: str
    citation: str
    checks: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("fail", "nonfinite")
    dtypes: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    versions: str = ""

    def matches(self, record: Record) -> bool:
        return (
            any(fnmatch.fnmatchcase(record.case, pattern) for pattern in self.cases)
            and record.adapter in self.adapters
            and (not self.checks or record.check in self.checks)
            and record.status in self.statuses
            and (not self.dtypes or record.dtype in self.dtypes)
            and (not self.modes or record.mode in self.modes)
            and version_matches(record.framework_version, self.versions)
        )

    def summary(self) -> str:
        return f"{self.op} at {self.point}: {self.behaviour} [{self.citation}]"


def _version(text: str) -> tuple[int, ...]:
    """The leading release numbers of a version string ("2.13.0+cpu" -> (2, 13, 0))."""
    found = re.search(r"\d+(?:\.\d+)*", text)
    return tuple(int(p) for p in found.group(0).split(".")) if found else ()


def version_matches(framework_version: str, spec: str) -> bool:
    """Does ``framework_version`` ("jax 0.10.2") satisfy ``spec`` (">=0.4,<1")?"""
    if not spec.strip():
        return True
    have = _version(framework_version.split(" ", 1)[-1])
    ops = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
           "<": lambda a, b: a < b, "==": lambda a, b: a[:len(b)] == b}
    for part in spec.split(","):
        m = re.fullmatch(r"\s*(>=|<=|==|>|<)\s*([\d.]+)\s*", part)
        if not m:
            raise ValueError(f"bad version specifier {part!r} in {spec!r}")
        want = _version(m.group(2))
        width = max(len(have), len(want))
        if not ops[m.group(1)](_pad(have, width), _pad(want, width)):
            return False
    return True


def _pad(v: tuple[int, ...], n: int) -> tuple[int, ...]:
    return v + (0,) * (n - len(v))


def find(record: Record, table: Any = None) -> Divergence | None:
    """The first entry of ``table`` (default ``TABLE``) that documents ``record``."""
    for entry in TABLE if table is None else table:
        if entry.matches(record):
            return entry
    return None


def document(record: Record, table: Any = None) -> Record:
    """``record`` as ``divergence-documented`` when an entry covers it, else unchanged."""
    entry = find(record, table)
    if entry is None:
        return record
    return replace(record, status=DIVERGENCE_DOCUMENTED,
                   message=f"documented divergence: {entry.summary()}. Observed: "
                           f"{record.status}: {record.message}")


TABLE: tuple[Divergence, ...] = ()
