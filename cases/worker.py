"""The worker process of an out-of-process adapter: ``python -m cases.worker``.

Started by ``adapters.remote`` from the adapter's own environment's interpreter, with the
repository on ``PYTHONPATH`` and ``GRADPARITY_WORKER=1`` (so ``adapters.get`` gives the
in-process adapter here). It reads requests from stdin and writes one reply per request on
the original stdout, framed by ``adapters.wire``; its own fd 1 points at stderr, so whatever a
framework prints cannot corrupt a reply. End of file on stdin ends it.

Requests (dicts): ``{"op": "hello", "adapter", "device"}`` -> what the harness asks an adapter
without computing (availability, versions, modes, dtypes, coverage, threads);
``{"op": "call", "adapter", "device", "method", "fn", "inputs", "direction", "mode",
"argnums"}`` -> ``{"ok": result}``, ``{"unsupported": reason}`` or ``{"error": (type,
message)}``. ``fn`` names the function, never pickles it (``function_for``).
``{"op": "time", "adapter", "device", "spec"}`` -> ``{"ok": {"records", "notes"}}``: the
timing harness run here (``_time``), records and notes as plain dicts.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["function_for", "main"]

# The NumPy-level methods a request may call, with the arguments each takes after fn.
METHODS = ("value", "vjp", "jvp", "value_and_grad", "hvp", "hvp_rev_fwd", "hvp_rev_rev",
           "jvp_fwd_fwd", "vmap_vjp", "jacfwd", "jacrev")
_NO_DIRECTION = ("value", "value_and_grad", "jacfwd", "jacrev")
_functions: dict[Any, Callable[..., Any]] = {}


def function_for(ref: Any) -> Callable[..., Any]:
    """The function a reference names (``adapters.remote.reference`` makes them, with
    ``cases.conformance.reference`` naming the cases):
    ``("case", name)``: a registered case's function; ``("module", module, qualname)``: a
    module-level function; ``("sum-times-last", inner)``: ``xp.sum(inner(xp, *args[:-1]) *
    args[-1])``, the conformance harness's scalarised function for the HVP of a non-scalar
    case. One function object per reference, so the adapter's caches (jit) hold."""
    if ref not in _functions:
        kind = ref[0]
        if kind == "case":
            import cases

            _functions[ref] = cases.get(ref[1]).fn
        elif kind == "module":
            target: Any = importlib.import_module(ref[1])
            for part in ref[2].split("."):
                target = getattr(target, part)
            _functions[ref] = target
        elif kind == "sum-times-last":
            inner = function_for(ref[1])

            def scalarised(xp: Any, *args: Any) -> Any:
                return xp.sum(inner(xp, *args[:-1]) * args[-1])

            _functions[ref] = scalarised
        else:
            raise ValueError(f"unknown function reference {ref!r}")
    return _functions[ref]


def _hello(request: dict[str, Any]) -> dict[str, Any]:
    import adapters

    adapter = adapters.get(request["adapter"], request["device"])
    status = adapter.available()
    info = {"available": bool(status), "reason": status.reason,
            "versions": adapter.versions(), "modes": tuple(adapter.modes),
            "dtypes": tuple(adapter.dtypes),
            "derivatives": bool(getattr(adapter, "derivatives", True)),
            "mode_labels": dict(getattr(adapter, "mode_labels", {}) or {}),
            "python": sys.executable, "pid": os.getpid()}
    if status:
        info["coverage"] = adapter.coverage()
        info["threads"] = adapter.threads()
    return info


def _call(request: dict[str, Any]) -> dict[str, Any]:
    import adapters
    from adapters.outcomes import FrameworkError, Unsupported

    adapter = adapters.get(request["adapter"], request["device"])
    method = request["method"]
    if method not in METHODS:
        return {"error": ("ValueError", f"the worker has no method {method!r}")}
    try:
        fn = function_for(request["fn"])
    except Exception as exc:
        return {"unsupported": f"{adapter.name} runs out of process and cannot find the "
                               f"function {request['fn']!r} there: {type(exc).__name__}: {exc}"}
    args: list[Any] = [fn, tuple(request["inputs"])]
    if method not in _NO_DIRECTION:
        args.append(request["direction"])
    args.append(request["mode"])
    if method != "value":
        args.append(request["argnums"])
    # Every call is watched for changes to its inputs (adapters.input_watch); the changes
    # travel with the reply, for the inputs_unchanged check on the caller's side.
    changed: list[Any] = []
    try:
        with adapter.watching_inputs() as changed:
            result = getattr(adapter, method)(*args)
        return {"ok": result, "changed": [vars(c) for c in changed]}
    except Unsupported as exc:
        return {"unsupported": str(exc), "changed": [vars(c) for c in changed]}
    except FrameworkError as exc:
        return {"error": (exc.error_type, exc.framework_message),
                "changed": [vars(c) for c in changed]}
    except Exception as exc:
        return {"error": (type(exc).__name__, str(exc)), "changed": [vars(c) for c in changed]}


def _time(request: dict[str, Any]) -> dict[str, Any]:
    """``cases.timing.run_timings`` for this adapter, here: the same harness and fairness
    rules as in the harness's process, with the worker's own control measurement."""
    import adapters
    from cases.timing.isolation import resolve_case
    from cases.timing.run import RunNotes, run_timings
    from cases.timing.sampler import Budget

    spec = request["spec"]
    case_list = [resolve_case(c["name"], c["module"]) for c in spec["cases"]]
    sizes = {c["name"]: [tuple(s) if isinstance(s, list) else s for s in c["sizes"]]
             for c in spec["cases"]}
    notes = RunNotes()
    records = run_timings(
        case_list, [adapters.get(request["adapter"], request["device"])], modes=spec["modes"],
        dtypes=spec["dtypes"], sizes=sizes, threads=spec["threads"], seed=spec["seed"],
        quantities=spec["quantities"], budget=Budget(**spec["budget"]),
        memory=spec["memory"], pin=spec["pin"], run_id=spec["run_id"], notes=notes,
        control_name=spec["control_name"])
    return {"ok": {"records": [r.to_dict() for r in records], "notes": notes.to_dict()}}


def main() -> int:
    from adapters import wire
    from cases.registry import trust_registrations

    # The harness validated the cases; this interpreter's NumPy may be too old to trace them.
    trust_registrations()

    requests = sys.stdin.fileno()
    replies = os.dup(1)
    os.dup2(2, 1)  # a framework printing to stdout now writes to stderr
    sys.stdout = sys.stderr
    while True:
        request = wire.read_frame(requests)
        if request is None:
            return 0
        try:
            op = request.get("op")
            reply = (_hello(request) if op == "hello" else _time(request) if op == "time"
                     else _call(request))
        except Exception as exc:  # a bug here, not in the framework: say where
            reply = {"error": (type(exc).__name__, f"{exc} (in the worker: "
                               f"{traceback.format_exc(limit=-2).strip()})")}
        wire.write_frame(replies, reply)


if __name__ == "__main__":
    sys.exit(main())
