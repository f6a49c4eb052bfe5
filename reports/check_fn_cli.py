"""``gradparity check-fn``: check your own function's derivatives in its own framework.

    gradparity check-fn mymodule:loss --framework torch --shape 3x4 --shape 4
    gradparity check-fn path/to/file.py:f --framework jax --dtype float32 --order 1
    gradparity check-fn mymodule:f --framework autograd --shape 5 --modes rev --positive

``module:function`` (or ``file.py:function``) takes the framework's arrays, one per
``--shape`` (in order; ``scalar`` for a 0-d input), and returns an array, a scalar or a
tuple/list/dict of them. Inputs are drawn from N(0, 1) (their absolute values with
``--positive``) with ``--seed``, in ``--dtype``, and handed to ``adapters.check_grads``
through the adapter named by ``--framework``: forward and reverse mode (``--modes``) up to
``--order``, against finite differences. A summary line per check follows; a mode the
framework cannot do for the function is listed as not checked, with the reason.

Exit status: 0 every check that ran passed; 1 a derivative disagrees with finite differences
(the worst entry is printed) or differentiating raised; 2 bad input (an unknown framework or
one that computes values only or is not installed, a module or function that cannot be
found, a bad option, or a function that fails on the drawn inputs); 4 inconclusive: finite
differences cannot be trusted at the drawn point (the function is not finite or not smooth
there; try another --seed, or --positive).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from reports.exit_codes import EXIT_FAILURES, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE
from reports.option_types import count

__all__ = ["add_check_fn_parser", "run_check_fn"]

_DTYPES = ("float64", "float32", "float16", "bfloat16")  # adapters.user_check's, unimported
_MODES = ("fwd", "rev")


def add_check_fn_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``check-fn`` sub-command to ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "check-fn", help="check your own function's derivatives in its framework",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="MODULE:FUNCTION",
                   help="module:function or file.py:function")
    p.add_argument("--framework", required=True, metavar="NAME",
                   help="the adapter whose AD to check: torch, jax, tensorflow, autograd, "
                        "refengine (or a plug-in's name)")
    p.add_argument("--shape", action="append", default=[], metavar="SHAPE",
                   help="shape of the next input: 3, 3x4 (or 3,4), or scalar (once per input)")
    p.add_argument("--dtype", choices=_DTYPES, default="float64", help="dtype of every input")
    p.add_argument("--order", type=count(1), default=2, help="highest order checked (2)")
    p.add_argument("--modes", default="fwd,rev",
                   help="comma-separated: fwd (JVPs), rev (VJPs); default both")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the inputs and directions")
    p.add_argument("--positive", action="store_true",
                   help="draw positive inputs (|N(0, 1)|), for log, sqrt, ...")
    p.add_argument("--atol", type=float, default=None, help="absolute tolerance (default: "
                   "rtol times the magnitude of what is compared)")
    p.add_argument("--rtol", type=float, default=None, help="relative tolerance (default by "
                   "dtype, refengine.tolerances)")
    return p


class _BadInputError(ValueError):
    """Exit status 2, with this message."""


def run_check_fn(args: argparse.Namespace) -> int:
    """Run ``gradparity check-fn`` with parsed ``args``; return the exit status."""
    try:
        f, adapter, inputs, modes = _prepare(args)
    except _BadInputError as exc:
        print(f"gradparity check-fn: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from refengine.check import GradientCheckError, NotCheckedWarning
    from refengine.numeric import OracleError

    shapes = ", ".join("x".join(map(str, x.shape)) or "scalar" for x in inputs) or "none"
    print(f"check-fn {args.target} on {adapter.name} ({args.dtype}; inputs {shapes}; order "
          f"{args.order}, modes {','.join(modes)}, seed {args.seed})")
    try:
        with warnings.catch_warnings():  # each not-checked mode is in the summary instead
            warnings.simplefilter("ignore", NotCheckedWarning)
            results = adapter.check_grads(f, tuple(inputs), order=args.order, modes=modes,
                                          atol=args.atol, rtol=args.rtol, rng=args.seed)
    except GradientCheckError as error:
        print(f"FAIL: {error}")
        return EXIT_FAILURES
    except OracleError as error:
        print(f"INCONCLUSIVE: {error}")
        return EXIT_INCONCLUSIVE
    except Exception as exc:  # the framework raised while differentiating
        print(f"FAIL: differentiating {args.target} raised {type(exc).__name__}: {exc}")
        return EXIT_FAILURES
    _summary(results)
    return EXIT_OK


def _prepare(args: argparse.Namespace) -> tuple[Any, Any, list[Any], tuple[str, ...]]:
    """The function, the adapter, the inputs and the modes; ``_BadInputError`` for bad input."""
    import numpy as np

    from reports.explain_cli import TargetError, parse_shape, resolve_target

    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    if not modes or any(m not in _MODES for m in modes):
        raise _BadInputError(f"--modes {args.modes!r}: write fwd, rev or fwd,rev")
    if ":" not in args.target:
        raise _BadInputError(f"{args.target!r}: name the function as module:function or "
                        "file.py:function")
    try:
        _, f = resolve_target(args.target)
        shapes = [parse_shape(s) for s in args.shape]
    except TargetError as exc:
        raise _BadInputError(str(exc)) from exc
    _check_arity(f, len(shapes))
    adapter, ad = _framework(args.framework)
    from adapters.user_check.user_ad import numpy_dtype

    rng = np.random.default_rng(args.seed)
    drawn = [rng.standard_normal(s) for s in shapes]
    inputs = [(np.abs(x) if args.positive else x).astype(numpy_dtype(args.dtype))
              for x in drawn]
    try:  # once, plainly: a function that cannot run on these inputs is bad input
        with ad.scope():
            f(*[ad.from_numpy(x, ad.default_device) for x in inputs])
    except Exception as exc:
        raise _BadInputError(f"{args.target} fails on the drawn inputs (shapes "
                        f"{[tuple(x.shape) for x in inputs]}, {args.dtype}): "
                        f"{type(exc).__name__}: {exc}") from exc
    return f, adapter, inputs, modes


def _check_arity(f: Any, n: int) -> None:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: let the call decide
        return
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in params)
    if n < len(required) or (n > len(positional) and not variadic):
        raise _BadInputError(f"{n} --shape option(s) for a function of {len(required)} required "
                        "input(s): give one --shape per input")


def _framework(name: str) -> tuple[Any, Any]:
    import adapters
    from adapters import UnknownAdapterError, Unsupported

    try:
        adapter = adapters.get(name)
    except UnknownAdapterError as exc:
        raise _BadInputError(str(exc)) from exc
    if not hasattr(adapter, "user_ad"):
        raise _BadInputError(f"the {name} adapter implements the Adapter protocol only; check-fn "
                        "needs a subclass of adapters.base.BaseAdapter")
    try:
        return adapter, adapter.user_ad()
    except Unsupported as exc:  # values only (numpy), or not installed
        raise _BadInputError(str(exc)) from exc


def _summary(results: Sequence[Any]) -> None:
    from refengine.comparison import ratio

    width = max([len(c.check) for c in results] + [5])
    print(f"  {'check':<{width}}  order  result       error / tolerance (worst entry)")
    for c in results:
        if not c.checked:
            verdict, detail = "not checked", c.note.removeprefix("not checked: ")
        else:
            verdict, detail = "pass", f"{ratio(c):.3g}"
        print(f"  {c.check:<{width}}  {c.order:>5}  {verdict:<11}  {detail}")
    skipped = sum(not c.checked for c in results)
    note = f", {skipped} not checked (see above)" if skipped else ""
    print(f"passed: {len(results) - skipped} checks{note}")
