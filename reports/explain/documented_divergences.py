"""What the divergence table says about an operation at a non-differentiable point.

The divergence table (gradparity's ``cases.conventions.TABLE``) lists where frameworks
knowingly differ from refengine: an operation at a point, the adapters concerned, the observed
behaviour and a citation. The table is passed in (``rf.explain(..., divergences=TABLE)``, as
``gradparity explain`` does) or, when it is not, read from ``cases.conventions`` on first need
if that package can be imported; without it the report says so and shows what each framework
does by running it only. refengine never needs ``cases``: only this package, above both, reads
it.

An entry is any object with ``op``, ``point``, ``adapters``, ``behaviour`` and ``citation``
attributes; the optional ``cases``, ``dtypes``, ``modes`` and ``versions`` narrow it as in the
table (explain runs each framework eagerly, at the operands' dtype; a version specifier is
checked with ``cases.conventions.version_matches`` when that can be imported, and otherwise
shown as unchecked). An entry applies to a node at a kink when

- its ``op`` names the node's operation: ``"abs"``, ``"jnp.abs"``, ``"maximum / minimum"``,
  ``"norm"`` (refengine's ``norm2``), ``"x ** y"`` (``power``), ...;
- every equality its ``point`` states about an operand holds at one of the node's kink
  entries: ``"x = 0"``, ``"|x| = 1"``, ``"y == 0.5"`` (``x`` is the operation's first operand
  and ``y`` its second, or the operand names of its formula). A point that states none
  (``"a tie x == y"``, ``"(0, 0)"``) applies wherever the operation sits at a kink.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from reports.explain.formulas import FORMULAS

__all__ = ["EVERY", "applies_to_run", "covers_adapter", "describe", "entries_at",
           "entries_for_case", "load_divergences", "op_names", "point_holds"]

MODE = "eager"  # how explain runs every framework

# Other spellings of refengine's primitive names that a table entry may use.
_ALIASES = {"absolute": "abs", "norm": "norm2", "amax": "max", "amin": "min", "pow": "power",
            "clamp": "clip", "atan2": "arctan2"}


def load_divergences(divergences: Iterable[Any] | None) -> tuple[list[Any] | None, list[str]]:
    """The entries to consult, and notes: ``divergences`` itself, or (None) gradparity's
    ``cases.conventions.TABLE`` when ``cases`` can be imported; None with a note if not."""
    if divergences is not None:
        return list(divergences), []
    try:
        from cases.conventions import table
    except ImportError as exc:
        return None, [f"divergence table not read: the cases package cannot be imported "
                      f"({exc}); each framework's convention at a kink is shown by running it "
                      "only (pass divergences= to rf.explain to give a table)"]
    return list(table()), []  # the built-in entries and those of installed plug-ins


def op_names(op: str) -> set[str]:
    """The primitive names an entry's ``op`` text stands for (``"jnp.maximum / minimum"`` ->
    {"maximum", "minimum"}; ``"norm"`` -> {"norm2"}; ``"x ** y"`` -> {"power"})."""
    names = set()
    for part in re.split(r"\s*(?:/|,|\bor\b|\band\b)\s*", op.strip().lower()):
        if "**" in part:
            names.add("power")
            continue
        word = part.split("(", 1)[0].strip().rsplit(".", 1)[-1].strip()
        if word:
            names.add(_ALIASES.get(word, word))
    return names


_NUMBER = r"[-+]?(?:inf|\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)"
# "x = 0", "y == -0.5", "|x| = 1", "x = ±1": an operand (optionally in bars) equal to a number
_EQUALITY = re.compile(rf"(\|?)\b([a-z]\w*)\b\|?\s*==?\s*(±?)({_NUMBER})(?!\w)",
                       re.IGNORECASE)


def _operand_position(name: str, node: Any) -> int | None:
    formula = FORMULAS.get(node.name)
    if formula is not None and not formula.variadic and name in formula.operands:
        position = formula.operands.index(name)
    else:
        position = {"x": 0, "y": 1}.get(name, -1)
    return position if 0 <= position < len(node.operands) else None


def point_holds(point: str, node: Any, mask: np.ndarray) -> bool:
    """Does every equality ``point`` states about an operand hold at one kink entry of
    ``node`` (``mask``: the kink entries, over the first operand)? True when it states none."""
    ok = np.asarray(mask, bool)
    for bars, name, plus_minus, number in _EQUALITY.findall(point):
        position = _operand_position(name.lower(), node)
        if position is None:
            continue  # not an operand of this operation: a word of the description
        try:
            value = np.broadcast_to(np.asarray(node.operands[position].value), ok.shape)
        except ValueError:
            continue
        value = np.abs(value) if bars or plus_minus else value
        ok = ok & (value == float(number))
    return bool(ok.any())


def entries_at(table: Sequence[Any], node: Any, mask: np.ndarray) -> list[Any]:
    """The entries of ``table`` about ``node``'s operation at its kink (any adapter)."""
    return [e for e in table
            if node.name in op_names(str(e.op)) and point_holds(str(e.point), node, mask)]


def _covers(entry: Any, field: str, value: str) -> bool:
    wanted = tuple(getattr(entry, field, ()) or ())
    return not wanted or value in wanted


def _version_ok(entry: Any, framework: str) -> bool | None:
    """Does ``framework`` ("jax 0.10.2") satisfy the entry's version specifier (None: unknown)."""
    spec = str(getattr(entry, "versions", "") or "")
    if not spec.strip():
        return True
    if " " not in framework.strip():
        return None  # no version known ("jax", or not run here): nothing to check
    try:
        from cases.conventions import version_matches
    except ImportError:
        return None
    try:
        return bool(version_matches(framework, spec))
    except ValueError:
        return None


def applies_to_run(entry: Any, adapter: str, framework: str, dtype: str) -> bool:
    """Does ``entry`` cover ``adapter`` (its framework ``"jax 0.10.2"``) run eagerly in
    ``dtype``? An entry for other versions does not; an unchecked version specifier does."""
    return (covers_adapter(entry, adapter) and _covers(entry, "dtypes", dtype)
            and _covers(entry, "modes", MODE) and _version_ok(entry, framework) is not False)


# The divergence table's ``EVERY``: an entry for a behaviour every framework shows.
EVERY = ("*",)


def covers_adapter(entry: Any, adapter: str) -> bool:
    """Does ``entry`` name ``adapter``, or every framework?"""
    names = tuple(entry.adapters)
    return names == EVERY or adapter in names


def entries_for_case(table: Sequence[Any], case: str) -> list[Any]:
    """The entries whose ``cases`` (names or glob patterns) name ``case``."""
    return [e for e in table
            if any(fnmatch.fnmatchcase(case, str(p)) for p in getattr(e, "cases", ()) or ())]


def describe(entry: Any, *, adapters: bool = False, framework: str = "") -> str:
    """``abs at x = 0: <behaviour> [<citation>]``, with what narrows the entry."""
    narrow = []
    if adapters:
        names = tuple(entry.adapters)
        narrow.append("every framework" if names == EVERY else ", ".join(names))
    for field, word in (("dtypes", "dtypes"), ("modes", "modes")):
        values = tuple(getattr(entry, field, ()) or ())
        if values:
            narrow.append(f"{word} {', '.join(values)}")
    spec = str(getattr(entry, "versions", "") or "")
    if spec.strip():
        checked = _version_ok(entry, framework) if framework else None
        narrow.append(f"versions {spec}" + ("" if checked else ", not checked"))
    where = f" ({'; '.join(narrow)})" if narrow else ""
    return f"{entry.op} at {entry.point}{where}: {entry.behaviour} [{entry.citation}]"
