"""Copy a run's headline tables into the README, between two marker comments, so the numbers a
reader sees there are the ones the sample run produced, never typed by hand.

    gradparity report reports/sample --readme README.md     # or run ... --readme README.md
    python -m reports.readme --check                         # exit 1 if the README is stale

A ``gradparity bench`` run (timings only) has its own block, between the
``gradparity:timings`` markers: the README shows the conformance headline of the quick sample
run and the timings of a bench run at realistic sizes (``reports/timings``), side by side.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from reports.render import HEADLINE_END, HEADLINE_START
from reports.rundir import RunFolder

__all__ = ["END", "START", "TIMINGS", "TIMINGS_END", "TIMINGS_START", "ReadmeError",
           "check_readme", "command_of", "markers", "readme_block", "sync_readme"]

START = "<!-- gradparity:results:start -->"
END = "<!-- gradparity:results:end -->"
TIMINGS_START = "<!-- gradparity:timings:start -->"
TIMINGS_END = "<!-- gradparity:timings:end -->"
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "reports" / "sample"
TIMINGS = ROOT / "reports" / "timings"


def markers(command: str) -> tuple[str, str]:
    """The README markers a run of ``command`` (run, check, bench) writes between."""
    return (TIMINGS_START, TIMINGS_END) if command == "bench" else (START, END)


def command_of(folder: RunFolder) -> str:
    """The sub-command that made ``folder`` (``run`` for folders that do not say)."""
    return str((folder.environment().get("run") or {}).get("command", "run"))


class ReadmeError(ValueError):
    """The README cannot be read or written, or it or the run's summary lacks its marker
    comments."""


def _between(text: str, start: str, end: str, where: str) -> tuple[int, int]:
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ReadmeError(f"{where} has no '{start}' ... '{end}' markers")
    return i + len(start), j


def readme_block(folder: RunFolder, readme: Path) -> str:
    """What goes between the README's markers: the headline of ``folder``'s summary.md."""
    summary = (folder.path / "summary.md").read_text()
    a, b = _between(summary, HEADLINE_START, HEADLINE_END, f"{folder.path / 'summary.md'}")
    link = Path(os.path.relpath(folder.path.resolve(), readme.resolve().parent)).as_posix()
    return (f"\n<!-- copied from {link}/summary.md by `gradparity report {link} --readme "
            f"{readme.name}`; do not edit by hand -->\n{summary[a:b].strip()}\n")


def check_readme(readme: Path | str, command: str = "run") -> str:
    """The README's text, once it is known to exist, to be writable and to have its markers
    (a run checks this before it starts, not after an hour's work)."""
    readme = Path(readme)
    try:
        with open(readme, "r+", encoding="utf-8") as f:  # r+: writable, and left unchanged
            text = f.read()
    except OSError as e:
        raise ReadmeError(f"--readme {readme}: {e.strerror or e}") from e
    _between(text, *markers(command), str(readme))
    return text


def sync_readme(readme: Path | str, folder: RunFolder) -> bool:
    """Replace the README's block with the run's headline; True when it changed."""
    readme = Path(readme)
    command = command_of(folder)
    text = check_readme(readme, command)
    a, b = _between(text, *markers(command), str(readme))
    new = text[:a] + readme_block(folder, readme) + text[b:]
    if new != text:
        try:
            readme.write_text(new, encoding="utf-8")
        except OSError as e:
            raise ReadmeError(f"--readme {readme}: {e.strerror or e}") from e
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.readme", description=__doc__)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--run", type=Path, default=SAMPLE, help="the run folder")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when the README differs from the run")
    args = parser.parse_args(argv)
    folder = RunFolder.open(args.run)
    if args.check:
        text = args.readme.read_text()
        a, b = _between(text, *markers(command_of(folder)), str(args.readme))
        stale = text[a:b] != readme_block(folder, args.readme)
        print(f"{args.readme} is {'stale' if stale else 'up to date'} ({args.run})")
        return 1 if stale else 0
    changed = sync_readme(args.readme, folder)
    print(f"{args.readme}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
