"""An adapter that runs in another Python environment: ``RemoteAdapter``.

It stands in the harness for an adapter whose framework lives in its own environment
(``adapters.environments``): the NumPy-level methods the checks call (``value``, ``vjp``,
``jvp``, ``value_and_grad``, ``hvp`` and the other nestings) send the function's name, the
inputs and directions as NumPy arrays to one worker process (``python -m cases.worker``,
beside the case library it runs), started from that environment's interpreter on first use
and reused for the run, and return its NumPy answers. The worker runs the very same adapter
class in process, so records are those an in-process adapter would give. Timings run there
too: ``cases.timing.run_timings`` sends a ``RemoteAdapter`` its timing request (``time``), and
the worker runs the same timing harness with the same fairness rules on its adapter (with
``isolate``, a child process of the environment's interpreter does, as for any isolated
adapter).

A worker that dies (a crash, a kill) or does not answer within ``timeout_s`` makes that call
an error whose message says so, with the end of the worker's stderr; the next call starts a
fresh worker, so a run goes on. Functions travel by name (``reference``): a registered case,
a module-level function, or the conformance harness's scalarised HVP function; anything else
is unsupported out of process, said so.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import tempfile
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adapters.arguments import check_argnums, check_tangent_count
from adapters.environments import OWN_ENVIRONMENT, ROOT, WORKER_VARIABLE
from adapters.input_watch import InputWatching
from adapters.outcomes import Availability, FrameworkError, Unavailable, Unsupported

__all__ = ["DEFAULT_TIMEOUT_S", "NAMERS", "RemoteAdapter", "WorkerDiedError", "reference"]

# Seconds one call may take in the worker before it counts as hung (GRADPARITY_WORKER_TIMEOUT).
DEFAULT_TIMEOUT_S = 300.0
# Starting the worker imports the framework (MXNet: about 3 s, more on a busy machine).
_START_TIMEOUT_S = 180.0
_STDERR_TAIL = 2000
# A whole timing request (every case's sweep) may take long; a worker silent for this long is
# taken as hung.
_TIMING_TIMEOUT_S = 4 * 3600.0
_workers: weakref.WeakSet[_Worker] = weakref.WeakSet()


class WorkerDiedError(RuntimeError):
    """The worker exited, was killed or did not answer in time."""


# Functions that name a function to a worker, or return None: the conformance harness adds
# one for the registered cases (adapters import nothing of cases).
NAMERS: list[Callable[[Callable[..., Any]], tuple[Any, ...] | None]] = []


def reference(fn: Callable[..., Any]) -> tuple[Any, ...]:
    """How a worker finds ``fn`` again (``cases.worker.function_for``); Unsupported when
    it cannot (a lambda, a closure that is not a case's)."""
    ref = getattr(fn, "gradparity_reference", None)
    if ref is not None:
        return tuple(ref)
    for namer in NAMERS:
        named = namer(fn)
        if named is not None:
            return named
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if module and qualname and "<" not in qualname:
        return ("module", module, qualname)
    raise Unsupported(f"{fn!r} cannot be named to another process: an out-of-process adapter "
                      f"runs registered cases and module-level functions only")


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.err = tempfile.TemporaryFile()  # a file, not a pipe: a chatty framework cannot block
        env = dict(os.environ)
        env[WORKER_VARIABLE] = "1"
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(
            [python, "-m", "cases.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.err, env=env, cwd=str(ROOT))
        assert self.proc.stdin is not None and self.proc.stdout is not None
        os.set_blocking(self.proc.stdin.fileno(), False)  # a hung worker cannot block a write
        _workers.add(self)

    def ask(self, request: dict[str, Any], timeout_s: float) -> Any:
        from adapters import wire

        assert self.proc.stdin is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        try:
            wire.write_frame(self.proc.stdin.fileno(), request, deadline)
            reply = wire.read_frame(self.proc.stdout.fileno(), deadline)
        except wire.WireError as exc:
            hung = isinstance(exc, wire.WireTimeoutError)
            raise WorkerDiedError(self._obituary(hung, timeout_s)) from None
        if reply is None:
            raise WorkerDiedError(self._obituary(False, timeout_s))
        return reply

    def _obituary(self, hung: bool, timeout_s: float) -> str:
        if hung and self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait(timeout=30)
        self.err.seek(0)  # read before close(), which closes the file
        tail = self.err.read().decode(errors="replace")[-_STDERR_TAIL:].strip()
        cause = (f"did not answer within {timeout_s:g} s and was killed" if hung
                 else f"exited with status {code}"
                 + (f" (signal {-code})" if code is not None and code < 0 else ""))
        self.close()
        return (f"the worker ({self.python}, pid {self.proc.pid}) {cause}"
                + (f"; its stderr ends: {tail}" if tail else "; its stderr is empty"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.err):
            if stream is not None and not stream.closed:
                stream.close()


@atexit.register
def _close_all() -> None:
    for worker in list(_workers):
        worker.close()


class RemoteAdapter(InputWatching):
    """``adapter`` run by ``python`` in a worker process; named ``label`` in records
    (default the adapter's name). The harness's ``Adapter`` protocol, computing through the
    worker; ``prepare`` (native callables) has no meaning across processes and declines."""

    remote = True

    def __init__(self, adapter: str, python: str | None, *, label: str | None = None,
                 device: str = "cpu", unavailable_reason: str = "",
                 timeout_s: float | None = None) -> None:
        self.adapter = adapter
        self.name = label or adapter
        self.python = python
        self.device = device
        self.timeout_s = timeout_s if timeout_s is not None else float(
            os.environ.get("GRADPARITY_WORKER_TIMEOUT", DEFAULT_TIMEOUT_S))
        self._unavailable = unavailable_reason
        self._info: dict[str, Any] | None = None
        self._worker: _Worker | None = None
        self.starts = 0  # workers started so far (a crash or hang makes the next call restart)

    def __repr__(self) -> str:
        return f"<RemoteAdapter {self.name!r} in {self.python}>"

    # -- the worker --
    def _ask(self, request: dict[str, Any], timeout_s: float) -> Any:
        if self._worker is not None and not self._worker.alive():
            # Killed between calls (the OOM killer, a signal): say so once, then start anew.
            dead, self._worker = self._worker, None
            raise WorkerDiedError(dead._obituary(False, timeout_s) + ", before this call")
        if self._worker is None:
            if self.python is None:
                raise Unavailable(self._unavailable)
            self._worker = _Worker(self.python)
            self.starts += 1
            timeout_s = max(timeout_s, _START_TIMEOUT_S)
        return self._worker.ask({**request, "adapter": self.adapter, "device": self.device},
                                timeout_s)

    def close(self) -> None:
        """End the worker (the next call starts another)."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def _hello(self) -> dict[str, Any]:
        if self._info is None:
            if self.python is None:
                self._info = {"available": False, "reason": self._unavailable}
            else:
                try:
                    self._info = self._ask({"op": "hello"}, _START_TIMEOUT_S)
                except (WorkerDiedError, OSError) as exc:
                    self._info = {"available": False, "reason": f"{self.adapter} runs in "
                                  f"{self.python}, whose worker failed to start: {exc}"}
            own = OWN_ENVIRONMENT.get(self.adapter)
            if not self._info["available"] and own is not None and self.python is not None:
                self._info["reason"] += f" (in {self.python}; `{own.command}` prepares it)"
        return self._info

    # -- what the harness asks without computing --
    def available(self) -> Availability:
        info = self._hello()
        return Availability(bool(info["available"]), info.get("reason", ""))

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(self._hello().get("modes", ("eager",)))

    @property
    def dtypes(self) -> tuple[str, ...]:
        return tuple(self._hello().get("dtypes", ("float32", "float64")))

    @property
    def derivatives(self) -> bool:
        return bool(self._hello().get("derivatives", True))

    @property
    def mode_labels(self) -> dict[str, str]:
        return dict(self._hello().get("mode_labels", {}))

    def versions(self) -> dict[str, str]:
        return dict(self._hello().get("versions", {}))

    def threads(self) -> dict[str, Any]:
        return {**self._hello().get("threads", {}), "process": f"worker ({self.python})"}

    def coverage(self) -> dict[str, str]:
        return dict(self._hello().get("coverage", {}))

    def devices(self) -> list[str]:
        return [self.device]

    @property
    def xp(self) -> Any:
        raise Unsupported(f"{self.name} runs out of process ({self.python}): its xp lives there")

    def to_native(self, array: Any) -> Any:
        raise Unsupported(f"{self.name} runs out of process: no native arrays here")

    def to_numpy(self, value: Any) -> Any:
        return value

    def sync(self, value: Any) -> Any:
        return value

    def prepare(self, fn: Callable[..., Any], quantity: str, mode: str = "eager",
                argnums: Sequence[int] = (0,)) -> Any:
        raise Unsupported(f"{self.name} runs out of process: it is timed in a child process "
                          f"of {self.python} (cases.timing.run_timings does so)")

    def time(self, spec: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
        """Run the timing harness in the worker (``cases.worker``'s ``time`` request):
        ``{"records": [...], "notes": {...}}`` as plain dicts. A dead or hung worker raises
        ``WorkerDiedError``."""
        info = self._hello()
        if not info["available"]:
            raise Unavailable(f"{self.name} is not available: {info.get('reason', '')}")
        try:
            reply = self._ask({"op": "time", "spec": spec}, timeout_s or _TIMING_TIMEOUT_S)
        except WorkerDiedError:
            self._worker = None
            raise
        if "ok" not in reply:
            kind, message = reply["error"]
            raise WorkerDiedError(f"timing in the worker failed: {kind}: {message}")
        return reply["ok"]

    # -- computing --
    def _call(self, method: str, fn: Callable[..., Any], inputs: Sequence[Any],
              direction: Any, mode: str, argnums: tuple[int, ...]) -> Any:
        info = self._hello()
        if not info["available"]:
            raise Unavailable(f"{self.name} is not available: {info.get('reason', '')}")
        request = {"op": "call", "method": method, "fn": reference(fn),
                   "inputs": tuple(np.asarray(x) for x in inputs), "direction": direction,
                   "mode": mode, "argnums": argnums}
        try:
            reply = self._ask(request, self.timeout_s)
        except WorkerDiedError as exc:
            self._worker = None
            raise FrameworkError(self.name, method, exc) from None
        if self._input_changes is not None and reply.get("changed"):
            from adapters.input_watch import Change

            self._input_changes.extend(Change(**c) for c in reply["changed"])
        if "ok" in reply:
            return reply["ok"]
        if "unsupported" in reply:
            raise Unsupported(reply["unsupported"])
        kind, message = reply["error"]
        # The worker's exception, rebuilt under its own type's name for the record.
        raise FrameworkError(self.name, method, type(kind, (Exception,), {})(message))

    def value(self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager") -> Any:
        return self._call("value", fn, inputs, None, mode, ())

    def vjp(self, fn: Callable[..., Any], inputs: Sequence[Any], cotangent: Any,
            mode: str = "eager", argnums: Sequence[int] | None = None) -> Any:
        nums = check_argnums(argnums, inputs)
        return self._call("vjp", fn, inputs, np.asarray(cotangent), mode, nums)

    def value_and_grad(self, fn: Callable[..., Any], inputs: Sequence[Any],
                       mode: str = "eager", argnums: Sequence[int] | None = None) -> Any:
        nums = check_argnums(argnums, inputs)
        return self._call("value_and_grad", fn, inputs, None, mode, nums)

    def grad(self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
             argnums: Sequence[int] | None = None) -> Any:
        return self.value_and_grad(fn, inputs, mode, argnums)[1]

    def _with_tangents(self, method: str, fn: Callable[..., Any], inputs: Sequence[Any],
                       tangents: Sequence[Any], mode: str,
                       argnums: Sequence[int] | None) -> Any:
        nums = check_argnums(argnums, inputs)
        check_tangent_count(tangents, nums, method)
        return self._call(method, fn, inputs, tuple(np.asarray(t) for t in tangents), mode,
                          nums)

    def jvp(self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
            mode: str = "eager", argnums: Sequence[int] | None = None) -> Any:
        return self._with_tangents("jvp", fn, inputs, tangents, mode, argnums)

    def hvp(self, fn: Callable[..., Any], inputs: Sequence[Any], tangents: Sequence[Any],
            mode: str = "eager", argnums: Sequence[int] | None = None) -> Any:
        return self._with_tangents("hvp", fn, inputs, tangents, mode, argnums)

    def hvp_rev_fwd(self, fn: Callable[..., Any], inputs: Sequence[Any],
                    tangents: Sequence[Any], mode: str = "eager",
                    argnums: Sequence[int] | None = None) -> Any:
        return self._with_tangents("hvp_rev_fwd", fn, inputs, tangents, mode, argnums)

    def hvp_rev_rev(self, fn: Callable[..., Any], inputs: Sequence[Any],
                    tangents: Sequence[Any], mode: str = "eager",
                    argnums: Sequence[int] | None = None) -> Any:
        return self._with_tangents("hvp_rev_rev", fn, inputs, tangents, mode, argnums)

    def jvp_fwd_fwd(self, fn: Callable[..., Any], inputs: Sequence[Any],
                    tangents: Sequence[Any], mode: str = "eager",
                    argnums: Sequence[int] | None = None) -> Any:
        return self._with_tangents("jvp_fwd_fwd", fn, inputs, tangents, mode, argnums)

    def vmap_vjp(self, fn: Callable[..., Any], inputs: Sequence[Any], cotangents: Any,
                 mode: str = "eager", argnums: Sequence[int] | None = None) -> Any:
        nums = check_argnums(argnums, inputs)
        return self._call("vmap_vjp", fn, inputs, np.asarray(cotangents), mode, nums)

    def jacfwd(self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
               argnums: Sequence[int] | None = None) -> Any:
        return self._call("jacfwd", fn, inputs, None, mode, check_argnums(argnums, inputs))

    def jacrev(self, fn: Callable[..., Any], inputs: Sequence[Any], mode: str = "eager",
               argnums: Sequence[int] | None = None) -> Any:
        return self._call("jacrev", fn, inputs, None, mode, check_argnums(argnums, inputs))

