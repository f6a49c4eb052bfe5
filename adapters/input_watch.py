"""Did a derivative change its inputs? The comparison behind the ``inputs_unchanged`` check.

A framework's derivative must leave the arrays it is given as they were: a rule that writes
into its input (an in-place ``add_`` on a tensor that shares memory with the caller's, a
NumPy ``out=`` aimed at an argument) corrupts the user's data silently, and every later
computation with it. Two levels are watched, at no extra framework call:

- the framework's own arrays: while ``BaseAdapter.watching_inputs()`` is on, ``_run`` reads
  back the native inputs (and cotangent or tangents) it made for a call once the call has
  returned, and compares them with the NumPy arrays they were made from (``changes``);
- the caller's NumPy arrays: the conformance harness keeps pristine copies of the reference
  point and compares after the checks (``cases.conformance.transforms``).

Comparisons are bit for bit (a NaN equals a NaN in the same place).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Change", "InputWatching", "changes", "describe", "differ"]


@dataclass(frozen=True)
class Change:
    """One array a call changed: which (``what``, e.g. "input 0"), how many entries, the first
    changed entry's flat index and its values before and after."""

    quantity: str
    what: str
    n_changed: int
    size: int
    first: int
    before: float
    after: float
    note: str = ""  # a shape or dtype change, said in words

    def message(self) -> str:
        if self.note:
            return f"{self.quantity} changed its {self.what}: {self.note}"
        return (f"{self.quantity} changed its {self.what} in place: {self.n_changed} of "
                f"{self.size} entries differ, the first at flat index {self.first} "
                f"({self.before!r} before, {self.after!r} after)")


def describe(changes_: Sequence[Change]) -> str:
    return "; ".join(c.message() for c in changes_)


def differ(before: np.ndarray, after: np.ndarray) -> tuple[int, int, float, float, str]:
    """(entries changed, first changed flat index, its value before, after, note): 0 changed
    when ``after`` equals ``before`` bit for bit (NaN equal to NaN)."""
    b, a = np.asarray(before), np.asarray(after)
    if b.shape != a.shape:
        return b.size, 0, float("nan"), float("nan"), f"shape {b.shape} became {a.shape}"
    if b.dtype.kind in "fc" and a.dtype.kind in "fc":
        same = (b == a) | (np.isnan(b) & np.isnan(a))
    else:
        same = b == a
    bad = np.flatnonzero(~np.asarray(same).reshape(-1))
    if bad.size == 0:
        return 0, 0, 0.0, 0.0, ""
    k = int(bad[0])
    return int(bad.size), k, _number(b.reshape(-1)[k]), _number(a.reshape(-1)[k]), ""


def _number(x: Any) -> float:
    try:
        return float(np.real(x))
    except (TypeError, ValueError):
        return float("nan")


def changes(
    quantity: str, originals: Sequence[Any], natives: Sequence[Any],
    to_numpy: Callable[[Any], Any], label: str,
) -> list[Change]:
    """The native arrays (read back with ``to_numpy``) that no longer equal the NumPy arrays
    they were made from; ``label`` names them ("input", "tangent")."""
    out = []
    for i, (original, native) in enumerate(zip(originals, natives)):
        if original is None or native is None:
            continue
        try:
            now = np.asarray(to_numpy(native))
        except Exception:  # a native array that cannot be read back is not judged
            continue
        n, k, before, after, note = differ(np.asarray(original), now)
        if n:
            out.append(Change(quantity, f"{label} {i}", n, int(np.size(original)), k, before,
                              after, note))
    return out


class InputWatching:
    """The ``watching_inputs`` switch, for in-process adapters (``BaseAdapter``, whose calls
    fill the list) and out-of-process ones (``adapters.remote.RemoteAdapter``, whose worker
    sends what it found with each reply) alike. Nested watches see their own calls, and the
    outer one sees them too."""

    _input_changes: list[Change] | None = None  # a list while a watch is on

    @contextmanager
    def watching_inputs(self) -> Iterator[list[Change]]:
        """While on, every NumPy-level call (``vjp``, ``jvp``, ...) reads back the native
        inputs and directions it made once it has returned, and appends a ``Change`` to the
        yielded list for each one it changed (the ``inputs_unchanged`` check; a read-back per
        array, no framework call)."""
        outer, self._input_changes = self._input_changes, []
        try:
            yield self._input_changes
        finally:
            if outer is not None:
                outer.extend(self._input_changes)
            self._input_changes = outer
