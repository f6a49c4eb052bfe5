"""A run folder: records written as each unit of work ends (a crash keeps what was done), read
back as frames, and the rendered reports beside them.

What survives a crash, and how:

- **Units.** A run's work is done in units: the checks of one (case, adapter, mode, dtype);
  the timings of one case (every adapter, mode, dtype and size of it, with the NumPy control
  measured alongside, ``case="control@<case>"``); with ``--quick``, everything one worker task
  did (a few cases' checks and timings). A unit's records reach the folder together or not at
  all.
- **Commits.** ``commit`` appends a unit's records to the CSVs, then one line to
  ``commits.jsonl`` naming the unit, with the length of each CSV after it and the unit's
  timing notes. The line is one write ending in a newline: a line without its newline was cut
  short and commits nothing. The committed records are the first ``length`` bytes of each CSV,
  always whole rows.
- **Reading** takes each CSV up to its committed length: a torn row, or the rows of a unit cut
  short, are left out, and a message says so. ``--resume`` cuts the files back to those
  lengths (appends start on a fresh line) and redoes exactly the units not committed: no
  record is lost and none is written twice. A commit that raises (a full disk, Ctrl-C) takes
  its partial rows back out before the error goes on.
- **One writer.** A command that writes holds an OS lock (``flock``) on the folder's ``.lock``
  file; a second one is refused, naming the holder. The OS drops the lock when the process
  ends, however it ends, so a killed run leaves no stale lock.
- **One selection.** ``environment.json`` records what the run selected (its ``selection``);
  ``--resume`` with other cases, adapters, modes, dtypes, sizes or seed is refused.

A folder written before commits existed (no ``record_commits`` in environment.json) is read
whole, less a last row without its newline; it cannot be resumed.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import io
import json
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.schema import CONFORMANCE_COLUMNS, TIMING_COLUMNS, conformance_frame, timing_frame

__all__ = ["ResumeMismatchError", "RunFolder", "RunFolderBusyError", "RunFolderError"]

CONFORMANCE_CSV = "conformance.csv"
TIMING_CSV = "timing.csv"
RECORDS = {"conformance": (CONFORMANCE_CSV, CONFORMANCE_COLUMNS),
           "timing": (TIMING_CSV, TIMING_COLUMNS)}
ENVIRONMENT = "environment.json"
TIMING_NOTES = "timing_notes.json"
COMMITS = "commits.jsonl"
LOCK = ".lock"  # never removed: a lock on a file that --force deleted would guard nothing
# environment.json's mark of a folder whose records are committed (see the module docstring)
COMMITTED_MARK = "record_commits"
# Everything a run writes, so --force clears exactly these and nothing else of the user's.
OWNED = (CONFORMANCE_CSV, TIMING_CSV, f"{CONFORMANCE_CSV}.gz", f"{TIMING_CSV}.gz",
         ENVIRONMENT, TIMING_NOTES, COMMITS, "conformance.parquet", "timing.parquet",
         "summary.md", "report.html", "divergences.md", "plots")
NOTE_LISTS = ("skipped", "failures", "control")

CheckUnit = tuple[str, str, str, str]  # case, adapter, mode, dtype


class RunFolderError(Exception):
    """A run folder that cannot be created, read or continued; the message says why."""


class RunFolderBusyError(RunFolderError):
    """Another command is writing the folder."""


class ResumeMismatchError(RunFolderError):
    """``--resume`` asked for another selection than the run it would continue."""


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


def _tell(message: str) -> None:
    """A message about the folder's state for whoever runs the command (stderr)."""
    print(f"gradparity: {message}", file=sys.stderr)


def _check_header(target: Path, columns: tuple[str, ...]) -> None:
    """Rows are appended under the header already there: it must name the same columns (a
    folder written before a column was added, e.g. timing's gradbench_size, cannot take
    rows with it)."""
    with open(target, "rb") as file:
        found = file.readline().decode().strip().split(",")
    if found != list(columns):
        missing = [c for c in columns if c not in found]
        raise ValueError(f"{target} has the columns of an older gradparity (missing: "
                         f"{', '.join(missing) or 'none'}; order differs otherwise): "
                         "--resume cannot add to it; write a new folder or use --force")

def _replace_text(target: Path, text: str) -> None:
    """Write a whole file so that a crash leaves the old one or the new one, never half."""
    part = target.with_name(f"{target.name}.part")
    part.write_text(text)
    os.replace(part, target)


def _append_bytes(target: Path, data: bytes) -> None:
    with open(target, "ab") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())  # the records are on disk before the commit that names them


def _fold_notes(merged: dict[str, Any], notes: Mapping[str, Any], process: str) -> None:
    """Fold one process's ``RunNotes`` into ``merged``: what was not timed and why, isolated
    failures, fairness per adapter and mode, the control per point."""
    if notes.get("environment") and not merged["environment"]:
        merged["environment"] = notes["environment"]
    for key in NOTE_LISTS:
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


def _empty_notes() -> dict[str, Any]:
    return {"environment": {}, "skipped": [], "failures": [], "fairness": {}, "control": []}


def _differences(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """Each entry of two selections that differs, as 'name: the folder's ...; this ...'."""
    lines = []
    for key in sorted({*before, *now}):
        old, new = before.get(key), now.get(key)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            added = [x for x in new if x not in old]
            missing = [x for x in old if x not in new]
            parts = [f"this command adds {', '.join(map(str, added))}" if added else "",
                     f"leaves out {', '.join(map(str, missing))}" if missing else ""]
            lines.append(f"  {key}: " + ("; ".join(p for p in parts if p) or
                                         f"the folder's run has {old}, this command {new}"))
        else:
            lines.append(f"  {key}: the folder's run has {old!r}, this command {new!r}")
    return lines


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock: Any = None  # the open lock file while this object may write
        self._told: set[str] = set()
        self._parsed: dict[str, tuple[Any, pd.DataFrame]] = {}  # kind -> (content key, frame)
        self._hosts: set[str] | None = None  # hosts already in environment.json (add_host)

    # --- creating and opening ---
    @classmethod
    def create(cls, path: str | Path, *, force: bool = False, resume: bool = False,
               selection: Mapping[str, Any] | None = None) -> RunFolder:
        """A folder to write a run into, locked until ``close`` (or the process ends).
        ``resume``: continue the run there (refused when ``selection`` differs from the one
        it recorded); ``force``: clear it first."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise RunFolderError(f"{path} exists and is not a folder; choose another --out")
        _writable(path)  # before anything in it is locked, continued or cleared
        folder = cls(path)
        folder._take_lock()
        try:
            present = [name for name in OWNED if (path / name).exists()]
            if present and resume:
                folder._continue(selection)
                return folder
            if present and not force:
                raise RunFolderError(
                    f"{path} already holds a run ({', '.join(present)}); pass --force to "
                    "overwrite it, --resume to continue it, or choose another --out"
                )
            for name in present:
                target = path / name
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            return folder
        except BaseException:
            folder.close()
            raise

    @classmethod
    def open(cls, path: str | Path) -> RunFolder:
        """A folder to read (no lock: reading takes only committed records)."""
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

    def close(self) -> None:
        """Give the folder's lock back (the OS does it too when the process ends)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take_lock(self) -> None:
        handle = open(self.path / LOCK, "a+")  # held until close()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "a process that has not said which"
            handle.close()
            raise RunFolderBusyError(
                f"{self.path} is in use by another gradparity command ({holder}); two commands "
                "writing one folder would mix their records. Wait for it to end (the folder is "
                "free as soon as it does, even if it is killed), or choose another --out"
            ) from None
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}: {shlex.join(sys.argv)}\n")
        handle.flush()
        self._lock = handle

    def _continue(self, selection: Mapping[str, Any] | None) -> None:
        """--resume: check the folder can be continued with ``selection``, then cut it back
        to its committed records."""
        try:
            env = self.environment()
        except (OSError, json.JSONDecodeError) as e:
            raise RunFolderError(f"{self.path} cannot be resumed: {ENVIRONMENT}: {e}") from e
        if env.get(COMMITTED_MARK) != COMMITS:
            raise RunFolderError(
                f"{self.path} was written by an earlier gradparity that did not commit its "
                "records, so --resume cannot tell finished work from a write cut short; start "
                "the run again (--force, or another --out)"
            )
        if selection is not None:
            recorded = env.get("selection")
            wanted = json.loads(json.dumps(selection, default=str))
            if recorded != wanted:
                raise ResumeMismatchError(
                    f"--resume continues a run with the selection it was started with, and "
                    f"{self.path} was started with another:\n"
                    + "\n".join(_differences(recorded or {}, wanted))
                    + f"\nrepeat its flags with --resume (it was started as: "
                    f"{shlex.join(env.get('command_line', [])) or 'unknown'}), or give this "
                    "selection a new --out"
                )
        self.decompress()  # appending continues the plain CSV
        self._cut_to_commits()

    def _cut_to_commits(self) -> None:
        """Drop whatever is past the last commit (a torn row, a unit cut short, a torn
        commit line), saying so, and rewrite the timing notes from the commits."""
        commits, torn = self._read_commits()
        if torn:
            _tell(f"{self.path / COMMITS}: dropped a commit line cut short ({torn} bytes); its "
                  "unit is redone")
            journal = self.path / COMMITS
            os.truncate(journal, journal.stat().st_size - torn)
        lengths = commits[-1]["lengths"] if commits else {}
        for name, _ in RECORDS.values():
            target = self.path / name
            if not target.exists():
                continue
            data = target.read_bytes()
            committed = self._check_length(name, len(data), lengths.get(name, 0))
            if len(data) > committed:
                _tell(f"{target}: dropped {self._tail(data, committed)} past the last commit "
                      "(a unit cut short by a crash or a full disk); it is redone now")
                os.truncate(target, committed)
        self._write_notes(commits)

    # --- writing ---
    def write_environment(self, environment: dict[str, Any]) -> None:
        """environment.json, marked as a folder whose records are committed."""
        _replace_text(self.path / ENVIRONMENT, json.dumps(
            {**environment, COMMITTED_MARK: COMMITS}, indent=2, default=str))

    def add_host(self, name: str, environment: Mapping[str, Any]) -> None:
        """Record the environment a host measured with (environment.json's ``hosts``), the
        first time one of its units is committed; the records name it in ``host``."""
        known = self._hosts
        if known is None:
            known = self._hosts = set(self.environment().get("hosts", {}))
        if name in known:
            return
        env = self.environment()
        env.setdefault("hosts", {})[name] = dict(environment)
        _replace_text(self.path / ENVIRONMENT, json.dumps(env, indent=2, default=str))
        known.add(name)

    def hosts(self) -> dict[str, Any]:
        """Each host's environment, by name (empty for a run from before hosts were kept)."""
        return dict(self.environment().get("hosts", {}))

    def commit(self, *, conformance: Iterable[Any] = (), timing: Iterable[Any] = (),
               checks: Iterable[CheckUnit] = (), timed: Iterable[str] = (),
               notes: Mapping[str, Any] | None = None, process: str = "") -> None:
        """Append one unit's records (dicts or objects with ``to_dict``), then the commit that
        names it: the ``checks`` (case, adapter, mode, dtype) and ``timed`` cases it finished,
        and its timing ``notes``. Until the commit line is written, none of it counts."""
        self.decompress()
        chunks = {}
        for kind, records in (("conformance", conformance), ("timing", timing)):
            name, columns = RECORDS[kind]
            rows = [r if isinstance(r, Mapping) else r.to_dict() for r in records]
            if rows:
                target = self.path / name
                frame = pd.DataFrame([{c: _cell(row.get(c)) for c in columns} for row in rows])
                header = not target.exists() or target.stat().st_size == 0
                if not header:
                    _check_header(target, columns)
                chunks[name] = frame.to_csv(header=header, index=False).encode()
        line = {"checks": [list(unit) for unit in checks], "timed": list(timed),
                "notes": dict(notes or {}), "process": process}
        self.commit_rows(chunks, line)

    def commit_rows(self, chunks: Mapping[str, bytes], line: dict[str, Any]) -> None:
        """Append CSV rows (``chunks``: file name -> bytes, a header only where the file is
        new) and then the commit ``line`` naming them (its ``lengths`` are set here); a
        failure takes the rows back out. ``commit`` and ``gradparity merge`` write so."""
        notes = line.get("notes")
        targets = [self.path / name for name in chunks] + [self.path / COMMITS]
        before = {t: t.stat().st_size if t.exists() else 0 for t in targets}
        try:
            for name, data in chunks.items():
                _append_bytes(self.path / name, data)
            line["lengths"] = {name: (self.path / name).stat().st_size
                               for name, _ in RECORDS.values() if (self.path / name).exists()}
            _append_bytes(self.path / COMMITS, (json.dumps(line, default=str) + "\n").encode())
        except BaseException:
            for target, size in before.items():  # take a partial unit back out
                with contextlib.suppress(OSError):
                    os.truncate(target, size)
            raise
        if notes:
            self._write_notes(self._read_commits()[0])

    def append(self, kind: str, records: Iterable[Any]) -> int:
        """Commit records that belong to no unit of a run (tools and tests)."""
        rows = list(records)
        self.commit(**{kind: rows})
        return len(rows)

    def add_timing_notes(self, notes: dict[str, Any], process: str = "") -> None:
        """Commit timing notes on their own (they are folded into timing_notes.json)."""
        self.commit(notes=notes, process=process)

    def _write_notes(self, commits: list[dict[str, Any]]) -> None:
        if any(c.get("notes") for c in commits):
            _replace_text(self.path / TIMING_NOTES, json.dumps(self._notes_of(commits),
                                                               default=str))

    def compress(self) -> list[str]:
        """Gzip the record CSVs (``conformance.csv.gz``; pandas and zcat read them), for a
        run folder kept in a repository. Reading, ``report`` and ``--resume`` accept both."""
        done = []
        for name, _ in RECORDS.values():
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
        for name, _ in RECORDS.values():
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

    def _committed(self) -> bool:
        try:
            return self.environment().get(COMMITTED_MARK) == COMMITS
        except (OSError, json.JSONDecodeError):
            return False

    def _read_commits(self) -> tuple[list[dict[str, Any]], int]:
        """The commit lines, and the length of a last line cut short (0 when none)."""
        target = self.path / COMMITS
        data = target.read_bytes() if target.exists() else b""
        whole, _, torn = data.rpartition(b"\n")
        commits = []
        for number, line in enumerate(whole.split(b"\n") if whole else [], 1):
            try:
                commits.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise RunFolderError(
                    f"{target} line {number} is not a commit ({e}); the file was changed by "
                    "hand: the folder's records cannot be trusted, start the run again"
                ) from e
        return commits, len(torn)

    def _notes_of(self, commits: list[dict[str, Any]]) -> dict[str, Any]:
        merged = _empty_notes()
        for commit in commits:
            if commit.get("notes"):
                _fold_notes(merged, commit["notes"], commit.get("process", ""))
        return merged

    def timing_notes(self) -> dict[str, Any]:
        """The merged timing notes of the committed units (empty lists where nothing was
        noted)."""
        if self._committed():
            return self._notes_of(self._read_commits()[0])
        target = self.path / TIMING_NOTES
        notes = json.loads(target.read_text()) if target.exists() else {}
        for key, empty in _empty_notes().items():
            notes.setdefault(key, empty)
        return notes

    def checks_done(self) -> set[CheckUnit]:
        """The (case, adapter, mode, dtype) whose checks are committed: what --resume skips."""
        return {tuple(unit) for c in self._read_commits()[0] for unit in c["checks"]}

    def timings_done(self) -> set[str]:
        """The cases whose timings are committed: what --resume does not time again."""
        return {case for c in self._read_commits()[0] for case in c["timed"]}

    def _csv(self, name: str) -> Path:
        """The records file: ``name``, or its gzipped form once the run was compressed."""
        plain = self.path / name
        packed = self.path / f"{name}.gz"
        return packed if packed.exists() and not plain.exists() else plain

    def _check_length(self, name: str, size: int, committed: int) -> int:
        if size < committed:
            raise RunFolderError(
                f"{self.path / name} holds {size} bytes but its commits say {committed}: "
                "committed records were lost (the file was cut or replaced); start the run "
                "again (--force, or another --out)"
            )
        return committed

    @staticmethod
    def _tail(data: bytes, committed: int) -> str:
        rows = data[committed:].count(b"\n")
        return f"{len(data) - committed} bytes ({rows} whole row(s) and a part)" if \
            not data.endswith(b"\n") else f"{rows} row(s)"

    def _records(self, kind: str) -> bytes:
        """The kind's committed CSV bytes (b"" when none), telling once about anything
        left out."""
        name, _ = RECORDS[kind]
        target = self._csv(name)
        if not target.exists():
            return b""
        data = gzip.decompress(target.read_bytes()) if target.suffix == ".gz" else \
            target.read_bytes()
        if self._committed():
            commits, _ = self._read_commits()
            committed = self._check_length(
                name, len(data), commits[-1]["lengths"].get(name, 0) if commits else 0)
            why = "not committed: a unit still being written, or cut short by a crash"
        else:  # an older folder: every whole row counts
            committed = data.rfind(b"\n") + 1
            why = "a last row without its newline, cut short by a crash"
        if len(data) > committed and name not in self._told:
            self._told.add(name)
            _tell(f"{target}: left out {self._tail(data, committed)} ({why}); --resume "
                  "drops them and does that work again")
        return data[:committed]

    def _frame(self, kind: str) -> pd.DataFrame:
        data = self._records(kind)
        # A report reads the same records a dozen times (each table and picture): parse them
        # once per content (a folder still being written has new bytes, so a new key), and
        # give each caller its own copy.
        key = (kind, len(data), hash(data))
        cached = self._parsed.get(kind)
        if cached is None or cached[0] != key:
            cached = (key, self._parse(kind, data))
            self._parsed[kind] = cached
        return cached[1].copy()

    def _parse(self, kind: str, data: bytes) -> pd.DataFrame:
        if kind == "conformance":
            rows = pd.read_csv(io.BytesIO(data), keep_default_na=False,
                               na_values=[""]).to_dict("records") if data else []
            return conformance_frame(rows)
        return timing_frame(pd.read_csv(io.BytesIO(data)).to_dict("records") if data else [])

    def conformance(self) -> pd.DataFrame:
        return self._frame("conformance")

    def timing(self) -> pd.DataFrame:
        return self._frame("timing")
