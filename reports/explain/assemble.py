"""``explain(f, *args)``: record, walk, compare, and wrap it all in an ``Explanation``."""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import textwrap
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine.tape_recording import ExplainError, record
from reports.explain.derivative_methods import compare
from reports.explain.display_graph import build_graph
from reports.explain.documented_divergences import describe, entries_for_case, load_divergences
from reports.explain.explanation import Explanation
from reports.explain.framework_runs import load_adapters
from reports.explain.kink_answers import find_kinks
from reports.explain.pictures import RENDERERS

__all__ = ["explain", "explain_case", "is_case_style"]


def is_case_style(f: Callable[..., Any]) -> bool:
    """True when ``f``'s first parameter is named ``xp``: f is written once against a
    NumPy-named namespace, as gradparity's cases are, and runs on every framework."""
    try:
        params = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] == "xp"


def explain(
    f: Callable[..., Any],
    *args: Any,
    argnums: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    cotangent: Any = None,
    tangents: Sequence[Any] | None = None,
    seed: int = 0,
    frameworks: Sequence[str] | None = None,
    max_nodes: int = 40,
    renderer: str = "auto",
    title: str | None = None,
    divergences: Iterable[Any] | None = None,
    case_name: str | None = None,
) -> Explanation:
    """Explain how refengine, and every framework asked, differentiates ``f`` at ``args``.

    ``f`` takes arrays and computes with ``refengine.numpy`` (``f(*args)``), or is written
    case-style, ``f(xp, *args)`` with a NumPy-named ``xp`` (its first parameter is called
    ``xp``): then the frameworks run it too. ``argnums`` picks the differentiated arguments
    (default: every float one; the rest are data). The backward pass starts from
    ``cotangent`` (default 1 for a scalar output, else a seeded random array rounded to one
    decimal); forward mode follows ``tangents`` (default 1 for each scalar input, a seeded
    random array rounded to one decimal for each array input: easy to follow by hand).
    ``frameworks`` names the adapters to compare (None: every available one; (): none).
    ``max_nodes`` caps the operations listed and drawn one by one. ``renderer`` is "auto"
    (Graphviz if its ``dot`` program is installed, else matplotlib), "graphviz",
    "matplotlib" or "text".

    At an operation that sits exactly at a non-differentiable point, the report shows what
    each framework returns there and what the divergence table ``divergences`` documents
    (entries with ``op``, ``point``, ``adapters``, ``behaviour`` and ``citation``, as in
    gradparity's ``cases.conventions.TABLE``; None: that table, read on first need when the
    ``cases`` package can be imported, else a note), flagging a run that differs from refengine
    without an entry and an entry this run does not bear out. ``case_name`` (set by
    ``explain_case``) also lists the table's entries for that case.
    """
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {RENDERERS}, got {renderer!r}")
    if max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2, got {max_nodes}")
    case_style = is_case_style(f)
    f_rnp = functools.partial(f, rnp) if case_style else f
    values = [np.asarray(a) for a in args]
    if argnums is None:
        argnums = tuple(i for i, a in enumerate(values) if a.dtype.kind == "f")
    argnums = tuple(int(i) % len(values) if values else int(i) for i in argnums)
    if not argnums:
        raise ExplainError("no float argument to differentiate: pass float arrays, or argnums")
    names = list(names) if names is not None else _arg_names(f, len(values), case_style)
    rng = np.random.default_rng(seed)
    if tangents is None:
        tangents = _default_tangents([values[i] for i in argnums], rng)
    notes: list[str] = []
    loaded: list[Any] | None = None

    def adapters() -> list[Any]:  # imported on first need: a kink, or a case-style f
        nonlocal loaded
        if loaded is None:
            loaded, skipped = load_adapters(frameworks) if frameworks != () else ([], [])
            notes.extend(f"framework {s}" for s in skipped)
        return loaded

    table: list[Any] | None = None
    table_read = False

    def documented() -> list[Any] | None:  # read on first need: a kink, or a named case
        nonlocal table, table_read
        if not table_read:
            table, skipped = load_divergences(divergences)
            notes.extend(skipped)
            table_read = True
        return table

    with _quiet():
        if cotangent is None:
            out = np.asarray(f_rnp(*values))
            cotangent = None if out.shape == () else _rounded(rng, out.shape, out.dtype)
        rec = record(f_rnp, values, argnums=argnums, names=names, cotangent=cotangent,
                     tangents=tangents)
        kinks = find_kinks(rec.nodes, adapters, documented)
        comparison = compare(rec, f_rnp, values, xp_fn=f if case_style else None,
                             adapters=adapters() if case_style else [])
    case_entries = _case_entries(documented(), case_name, kinks) if case_name else []
    if not case_style and frameworks != ():
        notes.append("frameworks not compared on f itself: f is written against "
                     "refengine.numpy; write it as f(xp, *inputs) to run it on every framework")
    return Explanation(
        title=title or _title(f, names, case_style),
        recording=rec,
        graph=build_graph(rec, max_nodes),
        comparison=comparison,
        kinks=kinks,
        notes=notes,
        source=_shown_source(f, title),
        max_nodes=max_nodes,
        renderer=renderer,
        case_entries=case_entries,
    )


def _case_entries(table: list[Any] | None, case: str, kinks: list[Any]) -> list[str]:
    """The table's entries naming ``case`` that no kink shows (its op is not on the tape)."""
    shown = [e for k in kinks for e in k.entries]
    return [describe(e, adapters=True) for e in entries_for_case(table or [], case)
            if not any(e is s for s in shown)]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # inf and NaN at a kink (sqrt'(0), 0/0) are results the report shows and explains; the
    # engine's and the frameworks' floating-point warnings about them would only be noise.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def explain_case(case: Any, *, seed: int = 0, **options: Any) -> Explanation:
    """Explain a gradparity case (anything with ``fn(xp, *inputs)``, ``sample(rng)``,
    ``argnums``, ``arg_names`` and ``name``) at inputs drawn with ``seed``."""
    inputs = case.sample(np.random.default_rng(seed))
    options.setdefault("title", f"case {case.name}")
    options.setdefault("case_name", case.name)
    return explain(case.fn, *inputs, argnums=tuple(case.argnums), names=list(case.arg_names),
                   seed=seed, **options)


def _rounded(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    # One decimal keeps hand-checking easy; zeros would hide a term, so they become 1.
    r = np.round(rng.standard_normal(shape), 1)
    return np.where(r == 0, 1.0, r).astype(dtype)


def _default_tangents(xs: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    # 1 for a scalar input (forward mode then adds up plain partial derivatives); a random
    # direction for an array, since all-ones is degenerate for shift-invariant functions
    # (softmax, var: their derivative along ones is 0).
    return [np.ones((), x.dtype) if x.shape == () else _rounded(rng, x.shape, x.dtype)
            for x in xs]


def _arg_names(f: Callable[..., Any], n: int, case_style: bool) -> list[str]:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    params = params[1:] if case_style else params
    named = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = named[:n] + [f"x{i}" for i in range(len(named), n)]
    if len(set(names)) != n:  # a clash with the generated names: number them all
        names = [f"x{i}" for i in range(n)]
    return names


def _is_lambda(f: Callable[..., Any]) -> bool:
    return getattr(f, "__name__", "") == "<lambda>"


def _shown_source(f: Callable[..., Any], title: str | None) -> str | None:
    # A lambda is its own title unless the caller named it (a case): then show it as source.
    if _is_lambda(f):
        return _lambda_text(f) if title else None
    return _source(f)


def _source(f: Callable[..., Any]) -> str | None:
    try:
        return textwrap.dedent(inspect.getsource(f))
    except (OSError, TypeError):
        return None


def _lambda_text(f: Callable[..., Any]) -> str | None:
    """``lambda x, w: rnp.log(x * w)``: the lambda's own text from its source line."""
    source = _source(f)
    if source is None:
        return None
    try:
        tree = ast.parse(source.strip())
    except SyntaxError:
        return None
    wanted = list(inspect.signature(f).parameters)
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and [a.arg for a in node.args.args] == wanted:
            return ast.get_source_segment(source.strip(), node)
    return None


def _title(f: Callable[..., Any], names: list[str], case_style: bool) -> str:
    if _is_lambda(f):
        text = _lambda_text(f)
        if text:
            return text
    name = getattr(f, "__name__", type(f).__name__)
    return f"{name}({', '.join((['xp'] if case_style else []) + names)})"
