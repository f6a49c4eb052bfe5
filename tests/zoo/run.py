"""gradparity's verdict on one zoo entry: pass, fail or inconclusive, with the time taken, the
function's evaluations and the checker's message.

The checker is the public ``adapters.check_grads`` (``adapters.get("autograd").check_grads``
for HIPS autograd, whose NumPy arguments name no framework).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

from refengine.check import GradientCheckError, NotCheckedWarning
from refengine.numeric import OracleError
from tests.zoo.counting import Counted
from tests.zoo.entry import Entry

__all__ = ["Verdict", "gradparity_verdict"]


class Verdict(NamedTuple):
    verdict: str  # "pass" | "fail" | "inconclusive"
    seconds: float
    evaluations: int
    message: str


def _checker(framework: str) -> Callable[..., Any]:
    import adapters

    if framework == "autograd":  # NumPy arguments: the framework must be named
        return adapters.get("autograd").check_grads
    return adapters.check_grads


def gradparity_verdict(entry: Entry) -> Verdict:
    """Check ``entry`` with gradparity's defaults (order 2, both modes; only the entry's
    ``order`` is passed). A check that raises anything but ``GradientCheckError`` or
    ``OracleError``, or that checks nothing at all, is "inconclusive": it caught no bug and
    passed no function."""
    built = entry.build()
    f = Counted(built.f, entry.name)
    check = _checker(entry.framework)
    start = time.perf_counter()
    try:
        with built.context(), warnings.catch_warnings():
            warnings.simplefilter("ignore", NotCheckedWarning)  # read from the results below
            comparisons = check(f, built.args, order=entry.order)
    except GradientCheckError as exc:
        return Verdict("fail", time.perf_counter() - start, f.calls, str(exc))
    except OracleError as exc:
        return Verdict("inconclusive", time.perf_counter() - start, f.calls, str(exc))
    except Exception as exc:  # the checker could not run: neither a pass nor a catch
        message = f"the checker raised {type(exc).__name__}: {_first_line(exc)}"
        return Verdict("inconclusive", time.perf_counter() - start, f.calls, message)
    seconds = time.perf_counter() - start
    checked = [c for c in comparisons if c.checked]
    skipped = sorted({f"{c.check}: {c.note}" for c in comparisons if not c.checked})
    if not checked:
        return Verdict("inconclusive", seconds, f.calls,
                       "nothing could be checked: " + "; ".join(skipped))
    message = f"{len(checked)} checks passed"
    if skipped:
        message += f"; {len(skipped)} not checked ({'; '.join(skipped)})"
    return Verdict("pass", seconds, f.calls, message)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)
