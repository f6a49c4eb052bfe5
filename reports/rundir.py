"""A run folder: records written as they arrive (a crash keeps what was done), read back as
frames, and the rendered reports beside them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.schema import CONFORMANCE_COLUMNS, TIMING_COLUMNS, conformance_frame, timing_frame

__all__ = ["RunFolder", "RunFolderError"]

CONFORMANCE_CSV = "conformance.csv"
TIMING_CSV = "timing.csv"
ENVIRONMENT = "environment.json"
# Everything a run writes, so --force clears exactly these and nothing else of the user's.
OWNED = (CONFORMANCE_CSV, TIMING_CSV, ENVIRONMENT, "conformance.parquet", "timing.parquet",
         "summary.md", "report.html", "divergences.md", "plots")


class RunFolderError(Exception):
    """A run folder that cannot be created, read or continued; the message says why."""


def _cell(value: Any) -> Any:
    """Flatten a record value into something a CSV cell holds unambiguously."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray, dict, set, frozenset)):
        if isinstance(value, (set, frozenset)):
            return ",".join(sorted(map(str, value)))
        return json.dumps(np.asarray(value).tolist() if isinstance(value, np.ndarray) else value,
                          default=str)
    return value


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # --- creating and opening ---
    @classmethod
    def create(cls, path: str | Path, *, force: bool = False, resume: bool = False) -> RunFolder:
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise RunFolderError(f"{path} exists and is not a folder; choose another --out")
        present = [name for name in OWNED if (path / name).exists()]
        if present and resume:
            return cls.open(path)
        if present and not force:
            raise RunFolderError(
                f"{path} already holds a run ({', '.join(present)}); pass --force to overwrite "
                "it, --resume to continue it, or choose another --out"
            )
        for name in present:
            target = path / name
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    @classmethod
    def open(cls, path: str | Path) -> RunFolder:
        path = Path(path)
        if not path.is_dir():
            raise RunFolderError(f"{path} is not a folder (expected a gradparity run folder)")
        if not (path / ENVIRONMENT).is_file():
            raise RunFolderError(
                f"{path} is not a gradparity run folder: it has no {ENVIRONMENT} (made by "
                "'gradparity run/check/bench --out ...')"
            )
        folder = cls(path)
        try:
            folder.environment()
            folder.conformance()
            folder.timing()
        except (ValueError, json.JSONDecodeError, pd.errors.ParserError) as e:
            raise RunFolderError(f"{path} cannot be read: {e}") from e
        return folder

    # --- writing ---
    def write_environment(self, environment: dict[str, Any]) -> None:
        (self.path / ENVIRONMENT).write_text(json.dumps(environment, indent=2, default=str))

    def append(self, kind: str, records: Iterable[Any]) -> int:
        """Append records (dicts or objects with ``to_dict``) to the kind's CSV now."""
        name, columns = {
            "conformance": (CONFORMANCE_CSV, CONFORMANCE_COLUMNS),
            "timing": (TIMING_CSV, TIMING_COLUMNS),
        }[kind]
        rows = [r if isinstance(r, dict) else r.to_dict() for r in records]
        if not rows:
            return 0
        frame = pd.DataFrame([{c: _cell(row.get(c)) for c in columns} for row in rows])
        target = self.path / name
        frame.to_csv(target, mode="a", header=not target.exists(), index=False)
        return len(rows)

    def write_parquet(self) -> list[str]:
        """Parquet copies of the records, when pyarrow is installed."""
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return []
        written = []
        for kind, frame in (("conformance", self.conformance()), ("timing", self.timing())):
            if len(frame):
                frame.astype({"worst_index": str} if "worst_index" in frame else {}).to_parquet(
                    self.path / f"{kind}.parquet"
                )
                written.append(f"{kind}.parquet")
        return written

    # --- reading ---
    def environment(self) -> dict[str, Any]:
        return json.loads((self.path / ENVIRONMENT).read_text())

    def conformance(self) -> pd.DataFrame:
        target = self.path / CONFORMANCE_CSV
        if not target.exists():
            return conformance_frame([])
        return conformance_frame(pd.read_csv(target, keep_default_na=False,
                                             na_values=[""]).to_dict("records"))

    def timing(self) -> pd.DataFrame:
        target = self.path / TIMING_CSV
        if not target.exists():
            return timing_frame([])
        return timing_frame(pd.read_csv(target).to_dict("records"))

    def done(self, kind: str) -> set[tuple[str, str, str, str]]:
        """(case, adapter, mode, dtype) combinations already recorded: what --resume skips."""
        frame = self.conformance() if kind == "conformance" else self.timing()
        return set(zip(frame["case"], frame["adapter"], frame["mode"], frame["dtype"]))
