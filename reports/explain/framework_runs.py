"""The other AD systems, reached through ``adapters`` only when asked, and never at import.

``adapters`` is imported inside functions, so an explanation that compares no framework loads
none of them, and every failure becomes a note: an explanation without frameworks is still a
complete explanation of refengine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FrameworkRun", "load_adapters", "run_vjp"]

# Adapters that are not independent AD systems: numpy computes values only, refengine is
# what is being explained (its reverse and forward mode have their own rows).
_NOT_COMPARED = ("numpy", "refengine")


@dataclass(frozen=True)
class FrameworkRun:
    """One framework's VJP: ``grads`` per differentiated input, or why there are none."""

    framework: str
    status: str  # "ok", "error", "unsupported"
    grads: tuple[np.ndarray, ...] | None = None
    message: str = ""


def load_adapters(names: Sequence[str] | None) -> tuple[list[Any], list[str]]:
    """The adapters to compare (``None``: every available one), and a note for each left out."""
    try:
        import adapters
    except ImportError as exc:
        return [], [f"frameworks not compared: the adapters package cannot be imported ({exc})"]
    notes = []
    try:
        wanted = list(names) if names is not None else [
            n for n in adapters.names() if n not in _NOT_COMPARED
        ]
    except Exception as exc:  # a broken plug-in registry must not stop an explanation
        return [], [f"frameworks not compared: listing adapters failed ({exc})"]
    found = []
    for name in wanted:
        try:
            adapter = adapters.get(name)
        except Exception as exc:
            notes.append(f"{name}: {exc}")
            continue
        if not getattr(adapter, "derivatives", True):
            notes.append(f"{name}: computes values only")
            continue
        status = adapter.available()
        if not status:
            notes.append(f"{name}: not available ({getattr(status, 'reason', '')})")
            continue
        found.append(adapter)
    return found, notes


def run_vjp(
    adapter: Any,
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    cotangent: np.ndarray,
    argnums: Sequence[int],
) -> FrameworkRun:
    """``adapter.vjp`` of case-style ``fn(xp, *inputs)``, as a FrameworkRun (never raises)."""
    from adapters.version_label import framework_version

    label = framework_version(adapter) or adapter.name  # as the records name it: "torch 2.13.0"
    try:
        _, grads = adapter.vjp(fn, tuple(inputs), cotangent, argnums=tuple(argnums))
    except Exception as exc:
        kind = "unsupported" if type(exc).__name__ in ("Unsupported", "Unavailable") else "error"
        return FrameworkRun(label, kind, message=_short(f"{type(exc).__name__}: {exc}"))
    grads = tuple(np.asarray(g) for g in (grads if isinstance(grads, tuple) else (grads,)))
    return FrameworkRun(label, "ok", grads)


def _short(message: str, limit: int = 200) -> str:
    first = message.strip().splitlines()[0] if message.strip() else message
    return first if len(first) <= limit else first[: limit - 3] + "..."
