"""The ``gradparity`` command line: the parser, and ``main`` handing each sub-command to
``reports.commands``. Its exit statuses are ``reports.exit_codes``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports.check_fn_cli import add_check_fn_parser
from reports.exit_codes import (
    EXIT_FAILURES,
    EXIT_INCONCLUSIVE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUN_FOLDER,
    EXIT_USAGE,
)
from reports.explain_cli import add_explain_parser
from reports.option_types import count

__all__ = ["EXIT_FAILURES", "EXIT_INCONCLUSIVE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_RUN_FOLDER",
           "EXIT_USAGE", "build_parser", "count", "main"]


def _selection_options(parser: argparse.ArgumentParser, *, timing: bool) -> None:
    parser.add_argument("--adapters", help="comma-separated adapter names (default: all "
                        "available)")
    parser.add_argument("--cases", help="comma-separated case names or glob patterns")
    parser.add_argument("--tags", help="comma-separated tags; a case matches any of them")
    parser.add_argument("--dtypes", help="float32, float64, complex64, complex128, float16, "
                        "bfloat16 (default: each case's own; complex only where a case opts "
                        "in; float16/bfloat16: every real case, only when named)")
    parser.add_argument("--modes", help="eager, jit (default: every mode of each adapter)")
    parser.add_argument("--threads", type=count(1), default=1,
                        help="threads for every framework (default 1)")
    parser.add_argument("--out", type=Path, help="run folder (default: runs/<date-time>)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: first-order checks, float64, one mode per adapter "
                        "(JAX: jit), timings at the check size with a short budget (over the whole "
                        "library: the smoke selection's cases)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out with the same selection: every unit of "
                        "work not committed there is redone, from its start")
    parser.add_argument("--force", action="store_true", help="overwrite an existing run folder")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar and no summary; a run that exits non-zero "
                        "still prints its folder and failure count")
    parser.add_argument("--no-fail", action="store_true",
                        help="exit 0 even when undocumented failures are found")
    parser.add_argument("--seed", type=count(0), default=0,
                        help="seed for every sampled input (0 or more)")
    parser.add_argument("--jobs", type=count(1), default=None,
                        help="worker processes for the checks (default: one per CPU); a full "
                        "run times in the main process afterwards, --quick in each worker")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="send the tasks to a Dask cluster: a scheduler's address "
                        "(tcp://host:8786) or local:N (a LocalCluster of N worker processes); "
                        'needs pip install "gradparity[distributed]" (default: the local '
                        "process pool)")
    parser.add_argument("--shard", metavar="K/N",
                        help="run the K-th of N cost-balanced shares of the cases (CI jobs "
                        "side by side; join their folders with gradparity merge)")
    parser.add_argument("--costs", type=Path, metavar="RUN_DIR",
                        help="the run folder whose measured seconds balance --shard "
                        "(default: the sample run shipped with gradparity)")
    parser.add_argument("--gzip", action="store_true",
                        help="gzip the record CSVs when the run ends (a folder kept in git)")
    parser.add_argument("--readme", type=Path, metavar="README",
                        help="copy the summary's headline tables into this file, between its "
                        "'gradparity:results' marker comments")
    if timing:
        parser.add_argument("--sizes", default=None,
                            help="'check' (default with --quick), 'sweep' (default), "
                            "'smallest', 'headline' (GradBench's sizes the README's timing "
                            "results use: cases/timing/headline.py), or sweep indices such "
                            "as 0,2")
        parser.add_argument("--isolate", action="store_true",
                            help="time each adapter in its own subprocess")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradparity",
        description="Do PyTorch, JAX, TensorFlow, autograd and refengine compute the same "
        "derivatives, and how fast? Checks, timings and reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="conformance checks and timings, then the reports")
    _selection_options(run, timing=True)
    check = sub.add_parser("check", help="conformance checks only")
    _selection_options(check, timing=False)
    bench = sub.add_parser("bench", help="timings only")
    _selection_options(bench, timing=True)
    listing = sub.add_parser("list", help="list cases, adapters or ops")
    listing.add_argument("what", choices=["cases", "adapters", "ops"])
    listing.add_argument("--tags", help="only cases with any of these tags")
    report = sub.add_parser("report", help="re-render a run folder's reports")
    report.add_argument("run_dir", type=Path)
    report.add_argument("--readme", type=Path, metavar="README",
                        help="also copy the headline tables into this file (see run --readme)")
    report.add_argument("--quiet", action="store_true", help="print nothing when it worked")
    compare = sub.add_parser("compare", help="compare two run folders")
    compare.add_argument("run_a", type=Path)
    compare.add_argument("run_b", type=Path)
    compare.add_argument("--out", type=Path, help="also write the comparison to this file")
    compare.add_argument("--no-fail", action="store_true",
                         help="exit 0 even when B has new failures")
    compare.add_argument("--across-hosts", action="store_true",
                         help="compare timings measured on different hosts (two machines); "
                         "by default timings are paired host by host")
    merge = sub.add_parser("merge", help="join run folders (such as --shard jobs') into one")
    merge.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    merge.add_argument("--out", type=Path, required=True, help="the merged run folder")
    merge.add_argument("--force", action="store_true", help="overwrite --out")
    merge.add_argument("--allow-mixed-versions", action="store_true",
                       help="merge folders measured with different suite or framework versions")
    merge.add_argument("--quiet", action="store_true", help="print nothing when it worked")
    sub.add_parser("demo", help="refengine's derivatives of a small function, every mode")
    add_explain_parser(sub)
    add_check_fn_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv``; return the exit status (reports.exit_codes)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: 2 after printing a usage error, 0 after --help
        return int(e.code or 0)
    from reports import commands
    from reports.cluster import ClusterError
    from reports.commands import HarnessMissingError, OutputError
    from reports.readme import ReadmeError
    from reports.rundir import RunFolderError
    from reports.selection import SelectionError

    try:
        if args.command in (None, "demo"):
            from reports.demo import run_demo

            run_demo()
            return EXIT_OK
        if args.command == "explain":
            from reports.explain_cli import run_explain

            return run_explain(args)
        if args.command == "check-fn":
            from reports.check_fn_cli import run_check_fn

            return run_check_fn(args)
        handler = {
            "run": commands.run, "check": commands.check, "bench": commands.bench,
            "list": commands.listing, "report": commands.report, "compare": commands.compare,
            "merge": commands.merge,
        }[args.command]
        return handler(args)
    except (SelectionError, HarnessMissingError, ReadmeError, OutputError, ClusterError) as e:
        print(f"gradparity: {e}", file=sys.stderr)
        return EXIT_USAGE
    except RunFolderError as e:
        print(f"gradparity: {e}", file=sys.stderr)
        return EXIT_RUN_FOLDER


if __name__ == "__main__":
    raise SystemExit(main())
