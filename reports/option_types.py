"""argparse ``type`` functions shared by the parsers of ``gradparity`` and its ``explain``
sub-command (which ``reports.cli`` imports, so they cannot live there)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["count"]


def count(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number of at least ``minimum``: anything else is a
    usage error (exit 2) that names the option, before any run folder is made."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = "count"  # argparse names the type in its fallback message
    return parse
