"""The ``gradparity`` command line. For now it runs the refengine demo; the conformance and
timing commands arrive with the reports issue."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradparity", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="show refengine's derivatives of a small function")
    for name in ("run", "check", "bench", "list", "report", "compare", "explain"):
        sub.add_parser(name, help="not yet implemented")
    args = parser.parse_args(argv)
    if args.command in (None, "demo"):
        from reports.demo import run_demo

        run_demo()
        return 0
    print(f"gradparity {args.command}: not yet implemented", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
