"""``gradparity`` for the fault-injection test (test only): ``python tests/crash_cli.py ARGS``.

Three changes to the real command, all here and none in the package: a full run's timing
budget is the quick one and no report is rendered (the test counts records; it does not need
seconds of sampling or plotting), and with ``TEAR_AT=k`` in the environment the k-th write
into the run folder (a CSV's rows or a commit line) puts half its bytes on disk and then the
process kills itself with SIGKILL: a crash inside a write, exactly where the test asks.
"""

from __future__ import annotations

import os
import signal
import sys

import cases.timing.run as timing_run
from cases.timing.sampler import QUICK
from reports import commands, rundir
from reports.cli import main

timing_run.DEFAULT = QUICK
commands.render = lambda folder: {}

_TEAR_AT = int(os.environ.get("TEAR_AT", "0"))
_writes = [0]
_append = rundir._append_bytes


def _tearing_append(target, data: bytes) -> None:
    _writes[0] += 1
    if _writes[0] == _TEAR_AT:
        _append(target, data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    _append(target, data)


rundir._append_bytes = _tearing_append

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
