"""Turn the command line's --cases/--tags/--adapters/--modes/--dtypes into objects, with an
error that lists the valid choices and the closest match for anything unknown."""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Selection", "SelectionError", "select"]

DTYPES = ("float32", "float64")


class SelectionError(ValueError):
    """An unknown case, tag, adapter, mode or dtype on the command line."""


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()] if text else []


def _unknown(kind: str, name: str, valid: list[str]) -> SelectionError:
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(valid[:40]) + (f", ... ({len(valid)} in all)" if len(valid) > 40 else "")
    return SelectionError(f"unknown {kind} {name!r}{hint} Valid {kind}s: {shown}")


@dataclass(frozen=True)
class Selection:
    cases: list[Any]
    adapters: list[Any]
    modes: list[str] | None  # None: every mode of each adapter
    dtypes: list[str] | None  # None: each case's own dtypes
    # Per adapter, the modes to run where --modes was not given (--quick: JAX's jit only),
    # and tags of cases that then run eager only (--quick: loops a jit would unroll).
    adapter_modes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    eager_tags: frozenset[str] = frozenset()

    def modes_of(self, adapter: Any, case: Any = None) -> list[str]:
        """The modes ``adapter`` runs in this selection (for ``case``, when given)."""
        if self.modes is not None:
            return [m for m in adapter.modes if m in self.modes]
        wanted = self.adapter_modes.get(adapter.name)
        if case is not None and self.eager_tags & set(case.tags) and wanted is not None:
            wanted = ("eager",)
        return [m for m in adapter.modes if wanted is None or m in wanted]

    def combinations(self) -> list[tuple[Any, Any, str, str]]:
        """(case, adapter, mode, dtype) in a fixed order."""
        out = []
        for case in self.cases:
            for adapter in self.adapters:
                for mode in self.modes_of(adapter, case):
                    for dtype in case.dtypes:
                        if self.dtypes is None or dtype in self.dtypes:
                            out.append((case, adapter, mode, dtype))
        return out


def select(args: Any) -> Selection:
    import adapters
    import cases

    every_case = cases.all()
    names = [c.name for c in every_case]
    chosen = every_case
    patterns = _split(getattr(args, "cases", None))
    if patterns:
        keep = set()
        for pattern in patterns:
            matched = {n for n in names if fnmatch.fnmatchcase(n, pattern)}
            if not matched:
                raise _unknown("case", pattern, names)
            keep |= matched
        chosen = [c for c in chosen if c.name in keep]
    tags = _split(getattr(args, "tags", None))
    if tags:
        valid_tags = sorted({t for c in every_case for t in c.tags})
        for tag in tags:
            if tag not in valid_tags:
                raise _unknown("tag", tag, valid_tags)
        chosen = [c for c in chosen if set(tags) & set(c.tags)]
    adapter_names = _split(getattr(args, "adapters", None))
    if adapter_names:
        valid = adapters.names()
        for name in adapter_names:
            if name not in valid:
                raise _unknown("adapter", name, valid)
        chosen_adapters = [adapters.get(n) for n in adapter_names]
        missing = [a for a in chosen_adapters if not a.available()]
        if missing:
            reasons = "; ".join(f"{a.name}: {a.available().reason}" for a in missing)
            raise SelectionError(f"adapter not available here: {reasons}")
    else:
        chosen_adapters = [a for a in adapters.all() if a.available() and a.name != "numpy"]
    valid_modes = sorted({m for a in adapters.all() for m in a.modes})
    modes = _split(getattr(args, "modes", None)) or None
    for mode in modes or []:
        if mode not in valid_modes:
            raise _unknown("mode", mode, valid_modes)
    dtypes = _split(getattr(args, "dtypes", None)) or None
    for dtype in dtypes or []:
        if dtype not in DTYPES:
            raise _unknown("dtype", dtype, list(DTYPES))
    return Selection(chosen, chosen_adapters, modes, dtypes)
