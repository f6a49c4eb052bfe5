"""A clock that moves only when a test says so, for checking the timing harness exactly.

The harness reads ``time.perf_counter``/``perf_counter_ns`` (wall) and
``time.process_time``/``thread_time`` (CPU) through its modules' ``time`` attribute; a test
puts a ``VirtualClock`` there with ``monkeypatch`` and makes the timed calls ``spend`` known
amounts. What the harness reports can then be compared with what was spent, to the
nanosecond, whatever else the machine is doing: real clocks on a shared 2-core CI runner (two
pytest workers) drift by 10 % and more.
"""

from __future__ import annotations

__all__ = ["VirtualClock"]


class VirtualClock:
    """Wall and CPU time, in integer nanoseconds, advanced only by ``spend`` and ``wait``."""

    def __init__(self) -> None:
        self.wall_ns = 0
        self.cpu_ns = 0

    def spend(self, seconds: float) -> None:
        """Work on the CPU: wall and CPU time both advance."""
        step = round(seconds * 1e9)
        self.wall_ns += step
        self.cpu_ns += step

    def wait(self, seconds: float) -> None:
        """Off the CPU (descheduled, sleeping): only the wall clock advances."""
        self.wall_ns += round(seconds * 1e9)

    # -- what the harness reads (the names of the ``time`` module) --
    def perf_counter(self) -> float:
        return self.wall_ns * 1e-9

    def perf_counter_ns(self) -> int:
        return self.wall_ns

    def process_time(self) -> float:
        return self.cpu_ns * 1e-9

    def thread_time(self) -> float:  # every virtual CPU second is the calling thread's
        return self.cpu_ns * 1e-9

    def sleep(self, seconds: float) -> None:
        self.wait(seconds)
