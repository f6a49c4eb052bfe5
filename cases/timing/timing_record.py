"""The timing record: one row per case x adapter x mode x dtype x size x quantity.

The columns are exactly design.md's, in its order; reports, the CLI and the pytest-benchmark
converter all produce this one shape, so a frame from any of them concatenates with the others.

- ``size`` is the case's readable size label (``"d=10,K=25,N=1000"``, ``Sizes.label``);
  ``gradbench_size`` GradBench's own label where the size is one of GradBench's default sizes
  (``"ba2"``, ``"10_25_1000"``, ``Sizes.gradbench_label``), else empty; it is the last
  column, after design.md's, so records written before it existed still read;
  ``n_inputs`` the number of scalar entries in the differentiated inputs (the gradient's
  length), the common x axis when cost is drawn against size across cases.
- ``quantity``: ``forward`` (the function alone), ``value_and_grad`` (the value and the
  reverse-mode derivative: a gradient for a scalar output, a VJP with a random cotangent for a
  vector output such as bundle adjustment's residuals), ``jvp``, ``hvp`` (scalar outputs only),
  and ``compile`` for jit modes: the first call of ``value_and_grad`` (trace, compile and run),
  one sample, never part of the steady-state rows.
- ``median_s``, ``min_s``, ``iqr_s`` are seconds per call over ``n_samples`` samples (each
  sample is the mean of N back-to-back calls).
- ``ci_low_s``, ``ci_high_s``: the median's 95 % interval (the sign test's order statistics,
  ``intervals``), so a reader sees how far a second run's median may fall;
- ``vs_control`` (with ``vs_control_low``, ``vs_control_high``, its 95 % interval): the median
  over the rounds of this measurement's sample over the NumPy control's sample of the same
  round. The machine's drift is in both and cancels: two frameworks at the same point compare
  as ``vs_control`` over ``vs_control`` (``reports.tables``), and two runs of one framework
  as well (``gradparity compare``). These five follow ``gradbench_size``; records written
  before them read with them empty.
- ``peak_bytes`` is the peak memory one call needed above what existed before it, measured by
  ``memory_method`` (``tracemalloc``, ``rss-hwm``, an allocator's statistics); ``none`` with
  ``peak_bytes`` None where nothing was measured (jvp, hvp, compile rows).
- The NumPy-only control measurement is a row with ``case="control"`` and ``adapter="numpy"``;
  measured in an isolated subprocess it is ``control@<adapter>``, naming the process.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import IO, Any

__all__ = [
    "COLUMNS",
    "CONTROL_CASE",
    "INTERVAL_COLUMNS",
    "NOT_MEASURED",
    "QUANTITIES",
    "TimingRecord",
    "new_run_id",
    "read_jsonl",
    "to_frame",
    "write_jsonl",
]

QUANTITIES = ("forward", "value_and_grad", "jvp", "hvp", "compile")
NOT_MEASURED = "none"
CONTROL_CASE = "control"
# The median's interval and the paired ratio to the control: float columns, empty when unknown.
INTERVAL_COLUMNS = ("ci_low_s", "ci_high_s", "vs_control", "vs_control_low", "vs_control_high")


@dataclass(frozen=True)
class TimingRecord:
    run_id: str
    case: str
    adapter: str
    mode: str
    device: str
    dtype: str
    size: str
    n_inputs: int
    quantity: str
    median_s: float
    min_s: float
    iqr_s: float
    n_samples: int
    threads: int
    peak_bytes: int | None = None
    memory_method: str = NOT_MEASURED
    gradbench_size: str = ""
    ci_low_s: float | None = None
    ci_high_s: float | None = None
    vs_control: float | None = None
    vs_control_low: float | None = None
    vs_control_high: float | None = None

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES:
            raise ValueError(f"unknown quantity {self.quantity!r}; choose from {QUANTITIES}")

    def to_dict(self) -> dict[str, Any]:
        """The row as a plain dict, keys in column order (JSON- and pandas-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> TimingRecord:
        """The inverse of ``to_dict``; unknown keys are an error, not silently dropped."""
        extra = set(row) - set(COLUMNS)
        if extra:
            raise ValueError(f"not timing-record columns: {sorted(extra)}")
        return cls(**{k: row[k] for k in COLUMNS if k in row})


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(TimingRecord))


def new_run_id() -> str:
    """A sortable, unique id: UTC time to the second plus random hex."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def to_frame(records: Iterable[TimingRecord | Mapping[str, Any]]) -> Any:
    """A pandas DataFrame with exactly ``COLUMNS`` (pandas is imported here, on use only)."""
    import pandas as pd

    rows = [r.to_dict() if isinstance(r, TimingRecord) else dict(r) for r in records]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # Nullable integers: peak_bytes is missing on rows where memory was not measured.
    return frame.astype({"n_inputs": "int64", "n_samples": "int64", "threads": "int64",
                         "peak_bytes": "Int64", **{c: "float64" for c in INTERVAL_COLUMNS}})


def write_jsonl(records: Iterable[TimingRecord], file: IO[str]) -> int:
    """Write each record as one JSON line as soon as it comes (a run that stops midway
    keeps what it measured); return how many were written."""
    count = 0
    for record in records:
        file.write(json.dumps(record.to_dict()) + "\n")
        file.flush()
        count += 1
    return count


def read_jsonl(path: str | Path) -> Iterator[TimingRecord]:
    with open(path) as file:
        for line in file:
            if line.strip():
                yield TimingRecord.from_dict(json.loads(line))
