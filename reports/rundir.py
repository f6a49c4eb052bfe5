"""A run folder: records written as they arrive (a crash keeps what was done), read back as
frames, and the rendered reports beside them."""

from __future__ import annotations

import json
import shutil
import tempfile
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
TIMING_NOTES = "timing_notes.json"
# Everything a run writes, so --force clears exactly these and nothing else of the user's.
OWNED = (CONFORMANCE_CSV, TIMING_CSV, f"{CONFORMANCE_CSV}.gz", f"{TIMING_CSV}.gz",
         ENVIRONMENT, TIMING_NOTES, "conformance.parquet", "timing.parquet", "summary.md",
         "report.html", "divergences.md", "plots")


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


def _writable(path: Path) -> None:
    """Make the folder ``path`` if need be, and check that a file can be written in it; else
    a RunFolderError with the system's reason (a file in the way, a read-only place)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise RunFolderError(f"cannot write a run folder at {path}: {e.strerror or e}; "
                             "choose another --out") from e


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # --- creating and opening ---
    @classmethod
    def create(cls, path: str | Path, *, force: bool = False, resume: bool = False) -> RunFolder:
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise RunFolderError(f"{path} exists and is not a folder; choose another --out")
        _writable(path)  # before anything in it is continued or cleared
        present = [name for name in OWNED if (path / name).exists()]
        if present and resume:
            folder = cls.open(path)
            folder.decompress()  # appending continues the plain CSV
            return folder
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
        for name, read in ((ENVIRONMENT, folder.environment),
                           (CONFORMANCE_CSV, folder.conformance), (TIMING_CSV, folder.timing)):
            try:
                read()
            except (OSError, EOFError, ValueError, pd.errors.ParserError) as e:
                raise RunFolderError(f"{folder._csv(name)} cannot be read: {e}") from e
        return folder

    def _csv(self, name: str) -> Path:
        """The records file: ``name``, or its gzipped form once the run was compressed."""
        plain = self.path / name
        packed = self.path / f"{name}.gz"
        return packed if packed.exists() and not plain.exists() else plain

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
        self.decompress()
        target = self.path / name
        frame.to_csv(target, mode="a", header=not target.exists(), index=False)
        return len(rows)

    def add_timing_notes(self, notes: dict[str, Any], process: str = "") -> None:
        """Fold one process's ``RunNotes`` into timing_notes.json: what was not timed and
        why, isolated failures, fairness per adapter and mode, the control per point."""
        merged = self.timing_notes()
        if notes.get("environment") and not merged["environment"]:
            merged["environment"] = notes["environment"]
        for key in ("skipped", "failures", "control"):
            merged[key].extend(notes.get(key, []))
        for column, entry in notes.get("fairness", {}).items():
            mine = merged["fairness"].setdefault(column, {})
            for key, value in entry.items():
                if isinstance(value, list):
                    mine[key] = [*mine.get(key, []), *value]
                elif key.endswith("_max"):
                    mine[key] = max(mine.get(key, 0.0), value)
                else:
                    mine[key] = round(mine.get(key, 0) + value, 6)
        if process:
            merged["processes"] = sorted({*merged.get("processes", []), process})
        (self.path / TIMING_NOTES).write_text(json.dumps(merged, default=str))

    def compress(self) -> list[str]:
        """Gzip the record CSVs (``conformance.csv.gz``; pandas and zcat read them), for a
        run folder kept in a repository. Reading, ``report`` and ``--resume`` accept both."""
        import gzip

        done = []
        for name in (CONFORMANCE_CSV, TIMING_CSV):
            plain = self.path / name
            if plain.exists():
                # mtime=0: the same records give the same bytes (no churn in git)
                with open(plain, "rb") as src, open(self.path / f"{name}.gz", "wb") as raw, \
                        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as dst:
                    shutil.copyfileobj(src, dst)
                plain.unlink()
                done.append(f"{name}.gz")
        return done

    def decompress(self) -> None:
        """Back to plain CSVs (before appending to a compressed run)."""
        import gzip

        for name in (CONFORMANCE_CSV, TIMING_CSV):
            packed = self.path / f"{name}.gz"
            if packed.exists() and not (self.path / name).exists():
                with gzip.open(packed, "rb") as src, open(self.path / name, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                packed.unlink()

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

    def timing_notes(self) -> dict[str, Any]:
        """The merged timing notes (empty lists where nothing was noted)."""
        target = self.path / TIMING_NOTES
        notes = json.loads(target.read_text()) if target.exists() else {}
        for key, empty in (("environment", {}), ("skipped", []), ("failures", []),
                           ("fairness", {}), ("control", [])):
            notes.setdefault(key, empty)
        return notes

    def conformance(self) -> pd.DataFrame:
        target = self._csv(CONFORMANCE_CSV)
        if not target.exists():
            return conformance_frame([])
        return conformance_frame(pd.read_csv(target, keep_default_na=False,
                                             na_values=[""]).to_dict("records"))

    def timing(self) -> pd.DataFrame:
        target = self._csv(TIMING_CSV)
        if not target.exists():
            return timing_frame([])
        return timing_frame(pd.read_csv(target).to_dict("records"))

    def done(self, kind: str) -> set[tuple[str, str, str, str]]:
        """(case, adapter, mode, dtype) combinations already recorded: what --resume skips
        (the timing control, ``case="control..."``, is no combination)."""
        frame = self.conformance() if kind == "conformance" else self.timing()
        frame = frame[~frame["case"].astype(str).str.startswith("control")]
        return set(zip(frame["case"], frame["adapter"], frame["mode"], frame["dtype"]))
