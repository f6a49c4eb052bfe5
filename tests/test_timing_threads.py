"""The thread setting takes effect: a one-thread run keeps one core busy, no more.

Measured in a fresh process (thread counts are fixed when a framework loads), on matrix
products that torch and XLA would spread over every core they were allowed: the harness
records, per adapter and mode, the process's CPU time per wall second while sampling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json
from cases.case import Arg, Case, Sizes
from cases.timing import Budget, RunNotes, run_timings

def products(xp, a):
    return xp.sum(xp.tanh(a @ a) @ a)

case = Case("timing-threads", products, args=(Arg("a", shape=lambda n: (n, n)),),
            sizes=Sizes(check=3, sweep=(300,)))
notes = RunNotes()
records = list(run_timings([case], {adapters}, threads=1, quantities=["forward",
               "value_and_grad"], budget=Budget(seconds=0.15), memory=False, notes=notes))
print("RESULT " + json.dumps({{"fairness": notes.fairness, "cpus": notes.environment[
    "cpu_affinity"], "adapters": notes.environment["adapters"], "records": len(records)}}))
"""


def test_one_thread_runs_use_one_core() -> None:
    adapters = ["numpy", "torch", "jax"]
    code = SCRIPT.format(adapters=adapters)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    if not result["adapters"]:
        pytest.skip("no framework available")
    assert len(result["cpus"]) == 1  # pinned while timing
    for name, info in result["adapters"].items():
        assert info["requested"] == 1
        if "intra_op" in info:
            assert info["intra_op"] == 1, (name, info)
    ratios = {k: v["cpu_per_wall_max"] for k, v in result["fairness"].items()}
    assert set(ratios) >= {"numpy/eager"}
    assert all(r <= 1.1 for r in ratios.values()), ratios
