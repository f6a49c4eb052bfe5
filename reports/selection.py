"""Turn the command line's --cases/--tags/--adapters/--modes/--dtypes into objects, with an
error that lists the valid choices and the closest match for anything unknown."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Selection", "SelectionError", "names_given", "select", "some_names"]

DTYPES = ("float32", "float64", "complex64", "complex128", "float16", "bfloat16")
# complex: the cases that opt in; float16/bfloat16: every real case, on request only
# (cases.conformance.half.matrix_dtypes: the pytest matrix runs them too)


class SelectionError(ValueError):
    """An unknown case, tag, adapter, mode or dtype on the command line."""


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()] if text else []


def some_names(names: list[str], limit: int) -> str:
    """The first ``limit`` names, and how many there are in all when that is more."""
    return ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit
                                       else "")


def _unknown(kind: str, name: str, valid: list[str]) -> SelectionError:
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return SelectionError(f"unknown {kind} {name!r}{hint} Valid {kind}s: {some_names(valid, 40)}")


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
    # Adapters that run only the smoke selection's cases (cases.smoke; --quick: MXNet), less
    # their combinations measured as too costly (cases.conventions.COSTLY, which says why).
    smoke_only: frozenset[str] = frozenset()
    # Time only the smoke selection's cases (--quick over the whole library; cases.smoke).
    time_smoke_only: bool = False
    # What an option left out (adapters without a --modes mode, ...), said before the run.
    notes: tuple[str, ...] = ()
    # Cases named exactly by --cases: only they run a combination measured not to finish
    # (cases.conventions.COSTLY, unbounded).
    named: frozenset[str] = frozenset()

    def modes_of(self, adapter: Any, case: Any = None) -> list[str]:
        """The modes ``adapter`` runs in this selection (for ``case``, when given)."""
        modes = self._modes_of(adapter, case)
        if case is None or case.name in self.named:
            return modes
        from cases.conventions import unbounded

        return [m for m in modes if unbounded(case.name, adapter.name, m) is None]

    def _modes_of(self, adapter: Any, case: Any = None) -> list[str]:
        if case is not None and adapter.name in self.smoke_only:
            from cases.smoke import is_smoke

            if not is_smoke(case.tags):
                return []
            from cases.conventions import costly

            every = replace(self, smoke_only=frozenset()).modes_of(adapter, case)
            return [m for m in every if costly(case.name, adapter.name, m) is None]
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
                    for dtype in _dtypes_of(case, self.dtypes):
                        if self.dtypes is None or dtype in self.dtypes:
                            out.append((case, adapter, mode, dtype))
        return out


def names_given(args: Any, name: str) -> list[str] | None:
    """The names given to ``--name`` (None when it was not given); given but empty, as in
    ``--cases ''``, is an error rather than every name."""
    text = getattr(args, name, None)
    if text is None:
        return None
    names = _split(text)
    if not names:
        raise SelectionError(f"--{name} {text!r} names nothing; give at least one name, or "
                             f"leave --{name} out for all of them")
    return names


def _chosen_cases(args: Any, every_case: list[Any]) -> list[Any]:
    names = [c.name for c in every_case]
    chosen = every_case
    patterns = names_given(args, "cases")
    if patterns:
        from cases.registry import matching

        keep = set()
        for pattern in patterns:
            matched = set(matching(pattern, names))  # my_loss finds my-loss too
            if not matched:
                raise _unknown("case", pattern, names)
            keep |= matched
        chosen = [c for c in chosen if c.name in keep]
    tags = names_given(args, "tags")
    if tags:
        valid_tags = sorted({t for c in every_case for t in c.tags})
        for tag in tags:
            if tag not in valid_tags:
                raise _unknown("tag", tag, valid_tags)
        chosen = [c for c in chosen if set(tags) & set(c.tags)]
        if not chosen:
            raise SelectionError(f"no case named by --cases {args.cases!r} has any of the "
                                 f"tags {', '.join(tags)}; 'gradparity list cases --tags "
                                 f"{','.join(tags)}' lists the cases that have")
    return chosen


def _chosen_adapters(args: Any) -> list[Any]:
    import adapters

    adapter_names = names_given(args, "adapters")
    if not adapter_names:
        return [a for a in adapters.all() if a.available() and a.name != "numpy"]
    valid = adapters.names()
    for name in adapter_names:
        if name not in valid:
            raise _unknown("adapter", name, valid)
    chosen = [adapters.get(n) for n in adapter_names]
    missing = [a for a in chosen if not a.available()]
    if missing:
        reasons = "; ".join(f"{a.name}: {a.available().reason}" for a in missing)
        raise SelectionError(f"adapter not available here: {reasons}")
    return chosen


def _with_modes(chosen: list[Any], modes: list[str], notes: list[str]) -> list[Any]:
    """The adapters that have any of ``modes`` (``--modes``); the others are left out, and
    the notes say so. None left is an error that says which adapter has which modes."""
    having = [a for a in chosen if set(a.modes) & set(modes)]
    without = [a for a in chosen if a not in having]
    has = "; ".join(f"{a.name} has {', '.join(a.modes)}" for a in without)
    if not having:
        raise SelectionError(f"--modes {','.join(modes)} leaves nothing to run: {has}")
    if without:
        notes.append(f"--modes {','.join(modes)}: left out {', '.join(a.name for a in without)}"
                     f" ({has})")
    return having


def _dtypes_of(case: Any, asked: list[str] | None) -> tuple[str, ...]:
    """A case's dtypes: its own, and float16/bfloat16 for a real case when ``--dtypes`` asks
    for them (never by default: half precision is a check of its own, not a default)."""
    if not asked:
        return tuple(case.dtypes)
    from cases.conformance.half import matrix_dtypes

    return matrix_dtypes(case)


def _with_dtypes(chosen: list[Any], dtypes: list[str], notes: list[str]) -> list[Any]:
    """The cases that have any of ``dtypes`` (``--dtypes``), saying which are left out."""
    having = [c for c in chosen if set(_dtypes_of(c, dtypes)) & set(dtypes)]
    without = [c.name for c in chosen if c not in having]
    if not having:
        theirs = sorted({d for c in chosen for d in _dtypes_of(c, dtypes)})
        raise SelectionError(f"--dtypes {','.join(dtypes)} leaves nothing to run: the selected "
                             f"cases have {', '.join(theirs)} only")
    if without:
        notes.append(f"--dtypes {','.join(dtypes)}: left out the cases that have none of "
                     f"them: {some_names(without, 5)}")
    return having


def select(args: Any) -> Selection:
    """The selection the command line's options name, or a SelectionError that says what is
    wrong and what the valid choices are; what an option leaves out is in ``notes``."""
    import adapters
    import cases

    chosen = _chosen_cases(args, cases.all())
    chosen_adapters = _chosen_adapters(args)
    notes: list[str] = []
    valid_modes = sorted({m for a in adapters.all() for m in a.modes})
    modes = names_given(args, "modes")
    for mode in modes or []:
        if mode not in valid_modes:
            raise _unknown("mode", mode, valid_modes)
    if modes:
        chosen_adapters = _with_modes(chosen_adapters, modes, notes)
    dtypes = names_given(args, "dtypes")
    for dtype in dtypes or []:
        if dtype not in DTYPES:
            raise _unknown("dtype", dtype, list(DTYPES))
    if dtypes:
        chosen = _with_dtypes(chosen, dtypes, notes)
    half = [d for d in dtypes or [] if d in ("float16", "bfloat16")]
    if half and getattr(args, "command", "check") != "check":
        notes.append(f"--dtypes {','.join(half)}: checked, not timed (the timing harness times "
                     "each case in its own dtypes)")
    named = frozenset(names_given(args, "cases") or ()) & {c.name for c in chosen}
    notes += _unbounded_notes(chosen, chosen_adapters, modes, named)
    return Selection(chosen, chosen_adapters, modes, dtypes, notes=tuple(notes), named=named)


def _unbounded_notes(chosen: list[Any], chosen_adapters: list[Any], modes: list[str] | None,
                     named: frozenset[str]) -> list[str]:
    """One note per combination left out because it is measured not to finish."""
    from cases.conventions import unbounded

    notes = []
    for case in chosen:
        if case.name in named:
            continue
        for adapter in chosen_adapters:
            for mode in adapter.modes:
                entry = unbounded(case.name, adapter.name, mode)
                if entry is not None and (not modes or mode in modes):
                    notes.append(f"left out {case.name} on {adapter.name} {mode}: measured not "
                                 f"to finish ({entry.measured.split(':')[0]}); name it in "
                                 f"--cases to run it anyway")
    return notes
