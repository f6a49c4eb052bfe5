"""``gradparity explain``: explain how a case, or your own function, is differentiated.

    gradparity explain abs-at-zero                         # a case from the library
    gradparity explain mymodule:loss --shape 3 --shape 3x2 # your function, N(0, 1) inputs
    gradparity explain path/to/file.py:loss --positive --format html --out explain/

A function named as ``module:function`` (or ``file.py:function``) takes its inputs as arrays
and computes with ``refengine.numpy``, or is written case-style as ``f(xp, *inputs)`` (its
first parameter named ``xp``), in which case every framework runs it too. Inputs are drawn
from N(0, 1) with the shapes given (one ``--shape`` per input, in order; an input without one
is a scalar), their absolute values with ``--positive``, from ``--seed``. At an operation
that sits at a non-differentiable point, the report shows what each framework returns there
beside what the divergence table (``cases.conventions``) documents, with its citation.

Exit status: 0 on success; 2 for an unknown case, a module or function that cannot be found,
a bad shape, or an ``--out`` that cannot be written; 1 when the function itself fails.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from reports.option_types import count

__all__ = ["TargetError", "add_explain_parser", "parse_shape", "resolve_target", "run_explain"]


class TargetError(ValueError):
    """The case or ``module:function`` cannot be found or used: exit status 2."""


def add_explain_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``explain`` sub-command to ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "explain", help="show how a function is differentiated, step by step",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="CASE_OR_MODULE:FUNCTION",
                   help="a case name (gradparity list cases), or module:function or "
                        "file.py:function")
    p.add_argument("--shape", action="append", default=[], metavar="SHAPE",
                   help="shape of the next input of a module:function target: 3, 3x2, or "
                        "scalar (repeat once per input; default scalar)")
    p.add_argument("--positive", action="store_true",
                   help="draw positive inputs (|N(0, 1)|), for log, sqrt, ...")
    p.add_argument("--seed", type=count(0), default=0, help="seed for the inputs and directions")
    p.add_argument("--format", choices=("text", "md", "html"), default="text",
                   help="text (printed), md (Markdown with pictures) or html (one page)")
    p.add_argument("--out", type=Path, default=None,
                   help="folder to write the report to (default for md/html: ./explain-NAME)")
    p.add_argument("--frameworks", default=None, metavar="NAMES",
                   help="comma-separated adapters to compare (default: every available one; "
                        "'none' for none)")
    p.add_argument("--max-nodes", type=count(2), default=40,
                   help="operations listed and drawn one by one before the rest is grouped")
    return p


_SHAPE = re.compile(r"^\d+([x,]\d+)*$")


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3x2"`` or ``"3,2"`` -> (3, 2); ``"scalar"`` or ``"()"`` -> ()."""
    t = text.strip().lower().replace(" ", "")
    if t in ("scalar", "()", ""):
        return ()
    if not _SHAPE.match(t):
        raise TargetError(f"bad --shape {text!r}: write it as 3, 3x2 (or 3,2), or scalar")
    return tuple(int(n) for n in re.split("[x,]", t))


def _load_module(spec: str) -> Any:
    if spec.endswith(".py"):
        path = Path(spec)
        if not path.is_file():
            raise TargetError(f"no file {spec!r}")
        mod_spec = importlib.util.spec_from_file_location(path.stem, path)
        if mod_spec is None or mod_spec.loader is None:
            raise TargetError(f"cannot load {spec!r} as a Python module")
        module = importlib.util.module_from_spec(mod_spec)
        try:
            mod_spec.loader.exec_module(module)
        except Exception as exc:
            raise TargetError(f"running {spec!r} failed: {type(exc).__name__}: {exc}") from exc
        return module
    # The console script does not put the working directory on sys.path; a user naming
    # their own module expects it to be found there, as with `python -m`.
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        raise TargetError(f"cannot import module {spec!r}: {exc}") from exc
    except Exception as exc:  # the module exists but fails on import
        raise TargetError(f"importing {spec!r} failed: {type(exc).__name__}: {exc}") from exc


def resolve_target(target: str) -> tuple[str, Any]:
    """``("case", Case)`` for a case name, ``("function", f)`` for ``module:function``."""
    if ":" not in target:
        try:
            import cases
        except ImportError as exc:
            raise TargetError(f"the case library cannot be imported ({exc}); name a function "
                              "as module:function instead") from exc
        try:
            return "case", cases.get(target)
        except KeyError as exc:
            raise TargetError(f"unknown case: {exc}. Run 'gradparity list cases' for the "
                              "cases, or name your own function as module:function") from exc
    module_name, _, func_name = target.rpartition(":")
    if not module_name or not func_name:
        raise TargetError(f"bad target {target!r}: write module:function or file.py:function")
    module = _load_module(module_name)
    f = getattr(module, func_name, None)
    if f is None:
        raise TargetError(f"module {module_name!r} has no attribute {func_name!r}")
    if not callable(f):
        raise TargetError(f"{target!r} is not a function (it is a {type(f).__name__})")
    return "function", f


def _inputs(f: Any, shapes: list[tuple[int, ...]], positive: bool, seed: int) -> list[Any]:
    from reports.explain import is_case_style

    params = list(inspect.signature(f).parameters.values())
    if is_case_style(f):
        params = params[1:]
    fixed = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
             and p.default is p.empty]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in params)
    n = max(len(fixed), len(shapes))
    if len(shapes) > len(fixed) and not variadic:
        raise TargetError(f"{len(shapes)} --shape options for a function of {len(fixed)} "
                          "input(s)")
    shapes = shapes + [()] * (n - len(shapes))
    rng = np.random.default_rng(seed)
    drawn = [rng.standard_normal(s) for s in shapes]
    return [np.abs(x) if positive else x for x in drawn]


def run_explain(args: argparse.Namespace) -> int:
    """Run ``gradparity explain`` with parsed ``args``; return the exit status."""
    from reports.explain import ExplainError, explain, explain_case

    frameworks = None
    if args.frameworks is not None:
        names = [n.strip() for n in args.frameworks.split(",") if n.strip()]
        frameworks = () if names in ([], ["none"]) else tuple(names)
    try:
        kind, obj = resolve_target(args.target)
        shapes = [parse_shape(s) for s in args.shape]
        if kind == "case" and (shapes or args.positive):
            raise TargetError("--shape and --positive are for module:function targets; a case "
                              "draws its own inputs from its domains")
        options = {"frameworks": frameworks, "max_nodes": args.max_nodes,
                   "divergences": _divergence_table()}
        inputs = _inputs(obj, shapes, args.positive, args.seed) if kind == "function" else []
    except (TargetError, ValueError, SyntaxError, ImportError) as exc:
        print(f"gradparity explain: {exc}", file=sys.stderr)
        return 2
    try:
        if kind == "case":
            result = explain_case(obj, seed=args.seed, **options)
        else:
            result = explain(obj, *inputs, seed=args.seed, **options)
    except ExplainError as exc:
        print(f"gradparity explain: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the user's function failed: say so, with its own message
        print(f"gradparity explain: {args.target} failed: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1
    try:
        return _write(result, args)
    except OSError as exc:  # a file in the way, a read-only place
        print(f"gradparity explain: --out {exc.filename or args.out}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2


def _divergence_table() -> Any:
    """The divergence table, for what each framework is documented to do at a kink (None when
    ``cases`` cannot be imported: the report then says the table was not read)."""
    try:
        from cases.conventions import table
    except ImportError:
        return None
    return table()  # the built-in entries and those of installed plug-ins


def _slug(target: str) -> str:
    target = target.replace(".py:", ":")
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", target.rsplit("/", 1)[-1]).strip("-") or "f"


def _write(result: Any, args: argparse.Namespace) -> int:
    if args.format == "text":
        sys.stdout.write(result.text)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "explain.txt").write_text(result.text, encoding="utf-8")
        return 0
    out = args.out if args.out is not None else Path(f"explain-{_slug(args.target)}")
    if args.format == "md":
        path = out / "explain.md"
        result.to_markdown(path)
    else:
        path = result.to_html(out / "explain.html")
    print(f"wrote {path}")
    return 0
