"""The zoo's results as Markdown: per framework, gradparity beside that framework's own checker
(bugs caught, false alarms, seconds, function evaluations), then every entry's verdicts, then
what gradparity gets wrong, with its messages.

A competitor's "error" (it could not run on the function as given) counts as a catch on a bug
and as a false alarm on a hard function, as the issue asks, and the table says how many of each
were errors. gradparity's "inconclusive" counts as a miss on a bug and as a false alarm on a
hard function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tests.zoo.entry import FRAMEWORKS, Entry

__all__ = ["GRADPARITY", "RERUN", "Result", "gradparity_failures", "markdown"]

GRADPARITY = "gradparity"
# Appended to a competitor's name for its rerun with modes=["rev"] where forward mode was refused.
RERUN = ", rerun with modes=['rev'] where forward mode was refused"


@dataclass(frozen=True)
class Result:
    entry: Entry
    checker: str  # GRADPARITY or the competitor's name
    outcome: str  # gradparity: pass/fail/inconclusive; competitors: pass/fail/error
    seconds: float
    evaluations: int
    message: str

    @property
    def right(self) -> bool:
        """Caught (a bug) or passed (a hard function)."""
        if self.entry.should_fail:
            return self.outcome in ("fail", "error")
        return self.outcome == "pass"


def _summary_rows(results: Sequence[Result]) -> list[str]:
    rows = []
    for framework in FRAMEWORKS:
        for checker in _checkers(results, framework):
            mine = [r for r in results if r.entry.framework == framework and r.checker == checker]
            rows.append(_row(framework, checker, mine))
    reruns = {r.entry.name for r in results if r.checker.endswith(RERUN)}
    theirs = [r for r in results if r.checker != GRADPARITY]
    rows += [
        _row("all", GRADPARITY, [r for r in results if r.checker == GRADPARITY]),
        _row("all", "the frameworks' own checkers",
             [r for r in theirs if not r.checker.endswith(RERUN)]),
    ]
    if reruns:
        rows.append(_row("all", "the frameworks' own checkers, with the reruns",
                         [r for r in theirs
                          if r.checker.endswith(RERUN) or r.entry.name not in reruns]))
    return rows


def _row(framework: str, checker: str, mine: Sequence[Result]) -> str:
    bugs = [r for r in mine if r.entry.should_fail]  # framework bugs count as bugs
    hard = [r for r in mine if r.entry.kind == "hard"]
    caught = [r for r in bugs if r.right]
    alarms = [r for r in hard if not r.right]
    return (
        f"| {framework} | {checker} | {len(caught)} / {len(bugs)}"
        f"{_by(caught, 'error', 'by an error')} | {len(alarms)} / {len(hard)}"
        f"{_by(alarms, 'error', 'by an error')}"
        f"{_by(alarms, 'inconclusive', 'inconclusive')} "
        f"| {_total(mine, 'seconds'):.1f} | {_total(mine, 'evaluations'):,} |"
    )


def _checkers(results: Sequence[Result], framework: str) -> list[str]:
    names = []
    for r in results:
        if r.entry.framework == framework and r.checker not in names:
            names.append(r.checker)
    return sorted(names, key=lambda n: n != GRADPARITY)


def _by(results: Sequence[Result], outcome: str, words: str) -> str:
    n = sum(r.outcome == outcome for r in results)
    return f" ({n} {words})" if n else ""


def _total(results: Sequence[Result], field: str) -> float:
    return sum(getattr(r, field) for r in results)


def markdown(results: Sequence[Result], *, header: str = "") -> str:
    """The summary table, the per-entry table and gradparity's wrong verdicts."""
    lines = [header.rstrip(), ""] if header else []
    lines += [
        "| framework | checker | bugs caught | false alarms on hard functions | seconds "
        "| function evaluations |",
        "|---|---|---|---|---|---|",
        *_summary_rows(results),
        "",
        "Every entry (verdict, seconds, evaluations):",
        "",
        "| entry | kind | category | gradparity | the framework's checker |",
        "|---|---|---|---|---|",
    ]
    by_entry: dict[str, dict[str, Result]] = {}
    for r in results:
        by_entry.setdefault(r.entry.name, {})[r.checker] = r
    for name, checks in by_entry.items():
        entry = next(iter(checks.values())).entry
        lines.append(f"| {name} | {entry.kind} | {entry.category} | "
                     f"{_cell(checks.get(GRADPARITY))} | {_competitor_cell(checks)} |")
    wrong = gradparity_failures(results)
    lines += ["", f"What gradparity gets wrong ({len(wrong)} entries):", ""]
    lines += [f"- **{r.entry.name}** ({r.entry.kind}, {r.outcome}): {_one_line(r.message)}"
              for r in wrong]
    return "\n".join(lines) + "\n"


def gradparity_failures(results: Sequence[Result]) -> list[Result]:
    return [r for r in results if r.checker == GRADPARITY and not r.right]


def _competitor_cell(checks: dict[str, Result]) -> str:
    """The competitor's default verdict, and its rerun where that one differs."""
    default = [r for c, r in checks.items() if c != GRADPARITY and not c.endswith(RERUN)]
    rerun = [r for c, r in checks.items() if c.endswith(RERUN)]
    cell = "; ".join(_cell(r) for r in default) or "-"
    verdict = lambda r: (r.outcome, r.seconds, r.evaluations)
    if rerun and default and verdict(rerun[0]) != verdict(default[0]):
        cell += f"; rerun with modes=['rev']: {_cell(rerun[0])}"
    return cell


def _cell(r: Result | None) -> str:
    if r is None:
        return "-"
    mark = "" if r.right else " **wrong**"
    return f"{r.outcome}{mark}, {r.seconds:.2f} s, {r.evaluations:,}"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
