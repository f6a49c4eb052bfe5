"""The frameworks' own gradient checkers on the zoo, each with its defaults, used the way its
documentation shows:

- torch: ``torch.autograd.gradcheck`` then ``torch.autograd.gradgradcheck``; both need float64
  inputs that require grad, so the entry's tensors are converted so (as a user must);
- JAX: ``jax.test_util.check_grads(f, args, order=2)`` (modes fwd and rev);
- TensorFlow: ``tf.test.compute_gradient(f, args)`` and, as its docstring's example does,
  ``assertAllClose(theoretical, numerical)`` (``tf.test.TestCase``'s rtol = atol = 1e-6);
- HIPS autograd: ``autograd.test_util.check_grads(f, argnum, order=2)(*args)`` with every
  argument in ``argnum`` (the default is the first argument only; a user checks them all).

``forward_mode_refused`` tells where JAX or autograd stopped because forward mode is impossible
for the function; the benchmark then also reports the rerun a user would do, ``modes=["rev"]``.

Each returns an ``Outcome``: "pass"; "fail", the checker reported a mismatch (an assertion,
``GradcheckError`` or False); or "error", it raised anything else (it could not check the
function as given, e.g. JAX's forward mode through a ``custom_vjp``). The table counts an
error on a bug as caught and on a hard function as a false alarm, and says how many were errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from tests.zoo.counting import Counted
from tests.zoo.entry import Entry

__all__ = ["CHECKERS", "Modes", "Outcome", "competitor_verdict", "forward_mode_refused"]


Modes = tuple[str, ...] | None  # None: the checker's default modes


class Outcome(NamedTuple):
    outcome: str  # "pass" | "fail" | "error"
    seconds: float
    evaluations: int
    message: str


def _torch(f: Counted, args: tuple[Any, ...], modes: Modes) -> str:
    import torch

    inputs = tuple(a.detach().to(torch.float64).requires_grad_(True) for a in args)
    ok = torch.autograd.gradcheck(f, inputs) and torch.autograd.gradgradcheck(f, inputs)
    return "" if ok else "gradcheck or gradgradcheck returned False"


def _jax(f: Counted, args: tuple[Any, ...], modes: Modes) -> str:
    from jax.test_util import check_grads

    if modes is None:
        check_grads(f, args, order=2)
    else:
        check_grads(f, args, order=2, modes=list(modes))
    return ""


def _tensorflow(f: Counted, args: tuple[Any, ...], modes: Modes) -> str:
    import tensorflow as tf

    theoretical, numerical = tf.test.compute_gradient(f, list(args))
    tf.test.TestCase().assertAllClose(theoretical, numerical)
    return ""


def _autograd(f: Counted, args: tuple[Any, ...], modes: Modes) -> str:
    from autograd.test_util import check_grads

    argnum = tuple(range(len(args))) if len(args) > 1 else 0
    if modes is None:
        check_grads(f, argnum, order=2)(*args)
    else:
        check_grads(f, argnum, modes=list(modes), order=2)(*args)
    return ""


# framework -> (the checker's name in the table, how to run it)
CHECKERS: dict[str, tuple[str, Callable[[Counted, tuple[Any, ...], Modes], str]]] = {
    "torch": ("gradcheck + gradgradcheck", _torch),
    "jax": ("jax.test_util.check_grads(order=2)", _jax),
    "tensorflow": ("tf.test.compute_gradient + assertAllClose", _tensorflow),
    "autograd": ("autograd.test_util.check_grads", _autograd),
}


def _is_mismatch(exc: BaseException) -> bool:
    """A reported mismatch, as opposed to a checker that could not run."""
    if isinstance(exc, AssertionError):
        return True
    try:
        from torch.autograd.gradcheck import GradcheckError
    except ImportError:
        return False
    return isinstance(exc, GradcheckError)


def forward_mode_refused(entry: Entry, outcome: Outcome) -> bool:
    """The checker stopped because forward mode is impossible for this function (JAX's
    ``custom_vjp``, an autograd primitive without ``defjvp``): a user would rerun it with
    ``modes=["rev"]``."""
    if outcome.outcome != "error" or entry.framework not in ("jax", "autograd"):
        return False
    return "custom_vjp" in outcome.message or "JVP of" in outcome.message


def competitor_verdict(entry: Entry, modes: Modes = None) -> Outcome:
    """The framework's own checker on ``entry``, with its defaults (``modes``: only where the
    checker has modes, JAX and autograd; None keeps their default, fwd and rev)."""
    built = entry.build()
    f = Counted(built.f, entry.name.replace("-", "_"))
    run = CHECKERS[entry.framework][1]
    np.random.seed(0)  # autograd's random directions come from NumPy's global generator
    start = time.perf_counter()
    try:
        with built.context():
            problem = run(f, built.args, modes)
    except Exception as exc:
        outcome = "fail" if _is_mismatch(exc) else "error"
        text = str(exc).strip().splitlines()
        message = f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
        return Outcome(outcome, time.perf_counter() - start, f.calls, message)
    seconds = time.perf_counter() - start
    return Outcome("fail" if problem else "pass", seconds, f.calls, problem or "passed")
