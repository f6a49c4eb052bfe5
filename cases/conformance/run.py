"""The one code path that checks: pytest, the CLI and users' scripts all call these.

    from cases.conformance import run_case, run_matrix

    records = run_case(cases.get("gmm"), "jax", "jit", "float64")
    for record in run_matrix(cases.select(tags={"kink"}), ["torch", "jax"]):
        print(record.check, record.status, record.message)

``run_case`` returns one record per applicable check (``checks.planned``), whatever happens:
an unavailable framework, an unsupported mode or a framework exception becomes the record's
status and message, never an exception. Each record is then looked up in the divergence
table (``cases.conventions``): a fail, error or nonfinite that the table documents becomes
``divergence-documented``, with the citation in the message.
"""

from __future__ import annotations

import importlib
import time
import traceback
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

import adapters
from adapters.version_label import framework_version
from cases.case import Case, Size
from cases.conformance.check_record import Record
from cases.conformance.checks import CHECKS, planned, run_check
from cases.conformance.complex_pairs import is_complex, real_pair_case
from cases.conformance.context import Context
from cases.conformance.half import matrix_dtypes
from cases.conformance.reference import reference
from cases.conformance.verdict import Verdict
from cases.statuses import ERROR, UNSUPPORTED

__all__ = ["framework_version", "resolve_adapter", "run_case", "run_matrix", "skip_reason"]

MUTANT_PREFIX = "refengine-mutant:"
BROKEN_PREFIX = "refengine-broken:"  # a transformation broken (adapters.mutant_adapter)
DATA_DEPENDENT = "data-dependent"


def resolve_adapter(adapter: Any) -> Any:
    """An adapter object from a registered name (``"torch"``), a negative control
    (``"refengine-mutant:sin:scale"``, ``"refengine-broken:vmap-wrong-element"``) or an import
    path (``"mypkg.adapters:MyAdapter"``, a
    class or zero-argument callable, for an adapter that is not installed as a plug-in), or
    the object itself."""
    if not isinstance(adapter, str):
        return adapter
    if adapter.startswith((MUTANT_PREFIX, BROKEN_PREFIX)):
        from adapters.mutant_adapter import from_name

        return from_name(adapter)
    if ":" in adapter:
        if adapter not in _imported:
            module, attr = adapter.split(":", 1)
            _imported[adapter] = getattr(importlib.import_module(module), attr)()
        return _imported[adapter]
    return adapters.get(adapter)


_imported: dict[str, Any] = {}


def skip_reason(case: Case, adapter: Any, mode: str, dtype: str) -> str:
    """Why nothing can run for this combination ("" when it can)."""
    status = adapter.available()
    if not status:
        return f"{adapter.name} is not available: {status.reason}"
    if mode not in adapter.modes:
        return f"{adapter.name} has no mode {mode!r} (its modes: {', '.join(adapter.modes)})"
    if dtype not in matrix_dtypes(case):
        return f"case {case.name} runs in {', '.join(matrix_dtypes(case))} only"
    if dtype not in adapter.dtypes:
        why = getattr(adapter, "dtype_notes", {}).get(dtype, "")
        return f"{adapter.name} does not compute in {dtype}" + (f": {why}" if why else "")
    if not getattr(adapter, "derivatives", True):
        return f"{adapter.name} computes values only"
    if mode != "eager" and DATA_DEPENDENT in case.tags:
        return (f"case {case.name} branches in Python on traced values ({DATA_DEPENDENT}): "
                f"{mode} cannot trace it")
    return ""


def run_case(
    case: Case,
    adapter: Any,
    mode: str = "eager",
    dtype: str = "float64",
    *,
    seed: int = 0,
    rng: np.random.Generator | None = None,
    checks: Sequence[str] | None = None,
    size: Size | None = None,
    run_id: str = "",
    conventions: Any = None,
) -> list[Record]:
    """Every applicable check of ``case`` on ``adapter`` in ``mode`` and ``dtype``.

    The point, cotangent and tangents come from ``seed`` (or one integer drawn from ``rng``)
    and the case name, so every adapter sees the same numbers. ``checks`` narrows the list
    (names from ``CHECKS``); ``size`` defaults to the case's check size; ``conventions`` is
    the divergence table (default ``cases.conventions.table()``: ``TABLE`` and the entries of
    installed plug-ins; pass ``()`` for none).
    """
    adapter = resolve_adapter(adapter)
    if rng is not None:
        seed = int(rng.integers(2**31))
    names = _select(planned(case, adapter.name, dtype, mode), checks)
    base = {
        "run_id": run_id, "case": case.name, "tags": ",".join(sorted(case.tags)),
        "adapter": adapter.name, "framework_version": framework_version(adapter),
        "mode": mode, "device": getattr(adapter, "device", "cpu"), "dtype": dtype,
    }
    table = _table(conventions)
    reason = skip_reason(case, adapter, mode, dtype)
    if reason:
        return [Record(**base, check=c, status=UNSUPPORTED, message=reason) for c in names]
    # A complex dtype runs every check on the case's real pair view (complex_pairs); the
    # records keep the complex dtype, and complex_convention sees the complex case itself.
    real_case, real_dtype = real_pair_case(case, dtype)
    ctx = Context(reference(real_case, real_dtype, size, seed), adapter, mode,
                  complex_case=case if is_complex(dtype) else None)
    records = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # kinks and traps warn on purpose
        for check in names:
            start = time.perf_counter()
            verdict = _safely(ctx, check)
            record = Record(**base, check=check, seconds=time.perf_counter() - start,
                            **_fields(verdict))
            records.append(_documented(record, table))
        if "inputs_unchanged" not in names:
            # Unchecked, but never passed on: an adapter that wrote into the shared point or
            # directions must not change the next adapter's (Reference.changed_arrays restores).
            ctx.ref.changed_arrays()
    return records


def run_matrix(
    cases: Iterable[Case | str],
    adapters: Iterable[Any],
    modes: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
    *,
    seed: int = 0,
    checks: Sequence[str] | None = None,
    size: Size | None = None,
    run_id: str | None = None,
    conventions: Any = None,
) -> Iterator[Record]:
    """Records for every case x adapter x mode x dtype, one combination at a time (so a
    caller can write them as they come). ``modes``/``dtypes`` of None mean each adapter's
    modes and each case's dtypes; cases come first, so the shared oracle is computed once
    per case and dtype. A real case also runs in float16 and bfloat16 when ``dtypes`` names
    them (``half.matrix_dtypes``). ``run_id`` defaults to a fresh random id."""
    from cases import get

    run_id = uuid.uuid4().hex[:12] if run_id is None else run_id
    resolved = [resolve_adapter(a) for a in adapters]
    for item in cases:
        case = get(item) if isinstance(item, str) else item
        for adapter in resolved:
            for mode in (adapter.modes if modes is None else modes):
                for dtype in (case.dtypes if dtypes is None else dtypes):
                    if dtype not in matrix_dtypes(case):
                        continue
                    yield from run_case(case, adapter, mode, dtype, seed=seed, checks=checks,
                                        size=size, run_id=run_id, conventions=conventions)


def _select(applicable: tuple[str, ...], checks: Sequence[str] | None) -> list[str]:
    if checks is None:
        return list(applicable)
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; the checks are {', '.join(CHECKS)}")
    return [c for c in applicable if c in checks]


def _safely(ctx: Context, check: str) -> Verdict:
    try:
        return run_check(ctx, check)
    except Exception as exc:  # a bug in gradparity itself, not in the framework: say so
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Verdict(ERROR, message=f"gradparity's {check} check failed internally "
                                      f"({type(exc).__name__}: {exc}, at {where.filename}:"
                                      f"{where.lineno}); please report it")


def _fields(verdict: Verdict) -> dict[str, Any]:
    keys = ("status", "max_abs_err", "max_rel_err", "tol", "oracle_err", "worst_index", "got",
            "expected", "convention", "message")
    return {k: getattr(verdict, k) for k in keys}


def _table(conventions: Any) -> Any:
    if conventions is None:
        from cases.conventions import table

        return table()
    return conventions


def _documented(record: Record, table: Any) -> Record:
    if not record.bad:
        return record
    from cases.conventions import document

    return document(record, table)
