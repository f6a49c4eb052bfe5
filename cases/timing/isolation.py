"""Isolation: each adapter timed in its own subprocess.

One framework's imports, thread pools and allocator state then cannot disturb another's
timings, its memory peak is that of a process holding nothing else, and a crash (a segfault
in a native library, an abort, a timeout) ends that adapter's part only: the run goes on and
``RunNotes.failures`` says what happened, with the tail of the child's stderr.

The child is ``python -m cases.timing.isolation``: it reads a JSON spec on stdin, calls
``run_timings`` (not isolated) for its one adapter, and writes one line per record on stdout,
prefixed so that nothing a framework prints can be mistaken for one (the child also points
its own fd 1 at stderr, keeping the original stdout for records only). Its thread variables
and malloc thresholds are in its environment from the interpreter's start
(``environment.child_environment``).

Cases travel by name; a case that is not in the registry is found again in the child by
importing the module its function was defined in (a registering module, or a module-level
``Case``), so test-local and third-party cases work too.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cases as case_registry
from adapters.environments import WORKER_VARIABLE
from cases.case import Case, Size
from cases.timing import environment
from cases.timing.grid import SizesSpec, sizes_for
from cases.timing.sampler import Budget
from cases.timing.timing_record import CONTROL_CASE, TimingRecord

__all__ = ["jsonable_size", "main", "resolve_case", "run_isolated"]

RECORD = "GRADPARITY-TIMING-RECORD "
NOTES = "GRADPARITY-TIMING-NOTES "
_ROOT = Path(__file__).resolve().parents[2]
_STDERR_TAIL = 4000


def run_isolated(
    case_list: list[Case], adapters: Sequence[Any], *, modes: Sequence[str] | None,
    dtypes: Sequence[str] | None, sizes: SizesSpec, threads: int, seed: int,
    quantities: tuple[str, ...], budget: Budget, memory: bool, pin: bool, run_id: str,
    notes: Any, timeout_s: float | None = None,
) -> Iterator[TimingRecord]:
    """``run_timings`` with one subprocess per adapter, one after the other."""
    specs = [{"name": c.name, "module": c.fn.__module__,
              "sizes": [jsonable_size(s) for s in sizes_for(c, sizes)]} for c in case_list]
    for adapter in adapters:
        name = adapter if isinstance(adapter, str) else adapter.name
        device = "cpu" if isinstance(adapter, str) else adapter.device
        # An out-of-process adapter (adapters.remote) is timed by its own environment's
        # interpreter, where the child runs the adapter in process.
        python = getattr(adapter, "python", None) or sys.executable
        name = getattr(adapter, "adapter", name)
        spec = {"adapter": name, "python": python, "device": device, "cases": specs,
                "modes": None if modes is None else list(modes),
                "dtypes": None if dtypes is None else list(dtypes),
                "threads": threads, "seed": seed, "quantities": list(quantities),
                "budget": dataclasses.asdict(budget), "memory": memory, "pin": pin,
                "run_id": run_id}
        yield from _run_child(spec, notes, timeout_s)


def jsonable_size(size: Size) -> Any:
    """A size as JSON holds it (a tuple becomes a list)."""
    return list(size) if isinstance(size, tuple) else size


def _size(value: Any) -> Size:
    return tuple(value) if isinstance(value, list) else value


def _run_child(spec: dict[str, Any], notes: Any, timeout_s: float | None) -> Iterator[TimingRecord]:
    env = environment.child_environment(spec["threads"])
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    python = spec.get("python", sys.executable)
    if python != sys.executable:
        env[WORKER_VARIABLE] = "1"  # the adapter runs in process there, cases as validated here
    name = spec["adapter"]
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: chatty frameworks cannot block
        proc = subprocess.Popen(
            [python, "-m", "cases.timing.isolation"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=err, env=env, cwd=str(_ROOT), text=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout_s, kill) if timeout_s else None
        got_notes = False
        try:
            if timer is not None:
                timer.start()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(spec))
            proc.stdin.close()
            for line in proc.stdout:
                if line.startswith(RECORD):
                    yield TimingRecord.from_dict(json.loads(line[len(RECORD):]))
                elif line.startswith(NOTES):
                    notes.merge(json.loads(line[len(NOTES):]), process=name)
                    got_notes = True
            returncode = proc.wait()
        finally:
            if timer is not None:
                timer.cancel()
            if proc.poll() is None:  # the consumer stopped early: do not leave it running
                proc.kill()
                proc.wait()
        if returncode != 0 or not got_notes:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-_STDERR_TAIL:]
            notes.failures.append({
                "adapter": name, "returncode": returncode,
                "timed_out": killed.is_set(),
                "stderr_tail": tail})


def resolve_case(name: str, module: str) -> Case:
    """The case called ``name``: from the registry, else from ``module`` (imported)."""
    try:
        return case_registry.get(name)
    except case_registry.UnknownCaseError:
        pass
    mod = importlib.import_module(module)
    try:
        return case_registry.get(name)  # the module registered it on import
    except case_registry.UnknownCaseError:
        pass
    for value in vars(mod).values():
        found = value if isinstance(value, (list, tuple)) else [value]
        for item in found:
            if isinstance(item, Case) and item.name == name:
                return item
    raise case_registry.UnknownCaseError(f"case {name!r} is neither registered nor in {module}")


def main() -> int:
    """The child: spec on stdin, records on (the original) stdout."""
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever else writes to stdout now goes to stderr
    spec = json.loads(sys.stdin.read())
    import adapters
    from adapters.environments import in_worker

    if in_worker():  # another environment's interpreter: the harness validated the cases
        from cases.registry import trust_registrations

        trust_registrations()
    from cases.timing.run import RunNotes, run_timings

    case_list = [resolve_case(c["name"], c["module"]) for c in spec["cases"]]
    sizes = {c["name"]: [_size(s) for s in c["sizes"]] for c in spec["cases"]}
    notes = RunNotes()
    records = run_timings(
        case_list, [adapters.get(spec["adapter"], spec["device"])], modes=spec["modes"],
        dtypes=spec["dtypes"], sizes=sizes, threads=spec["threads"], seed=spec["seed"],
        quantities=spec["quantities"], budget=Budget(**spec["budget"]), memory=spec["memory"],
        pin=spec["pin"], run_id=spec["run_id"], notes=notes,
        control_name=f"{CONTROL_CASE}@{spec['adapter']}")
    for record in records:
        channel.write(RECORD + json.dumps(record.to_dict()) + "\n")
    channel.write(NOTES + json.dumps(notes.to_dict(), default=str) + "\n")
    channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
