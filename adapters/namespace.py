"""``xp``: the vocabulary mapped to one framework's functions, and the one way to build it.

Every adapter builds its table the same way: per sub-namespace, ``table_from_names`` takes
the names the framework spells as NumPy does from one module, ``renames`` for the names it
spells otherwise, and ``overrides`` and ``composites`` for the functions the adapter writes.
(autograd's ``numpy_wrapper.py`` builds its namespace from a list of names plus overrides.)

Coverage words, per vocabulary name: ``native`` - the adapter calls a function the framework
itself provides (whatever that function does inside); ``composite`` - the framework has no such
function and the adapter builds one from several of its functions; ``missing`` - the adapter
cannot serve the name, and a case that calls it is ``unsupported``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from adapters.outcomes import Unsupported

__all__ = [
    "COMPOSITE",
    "MISSING",
    "NATIVE",
    "Namespace",
    "Table",
    "by_name",
    "table_from_names",
]

NATIVE, COMPOSITE, MISSING = "native", "composite", "missing"

Table = Mapping[str, tuple[Callable[..., Any] | None, str]]


def table_from_names(
    module: Any,
    names: str | Iterable[str] = "",
    prefix: str = "",
    *,
    renames: Mapping[str, str] | None = None,
    overrides: Mapping[str, Callable[..., Any]] | None = None,
    composites: Mapping[str, Callable[..., Any]] | None = None,
    missing: Mapping[str, str] | None = None,
) -> dict[str, tuple[Any, str]]:
    """``{prefix + name: (function, coverage word)}`` for one sub-namespace.

    ``names`` (a string of names or the names): ``module.name``, native. ``renames``:
    vocabulary name -> the module's own name for it, native. ``overrides``: vocabulary name ->
    a function the adapter writes around the framework's own (NumPy's arguments), native; it
    wins over ``names``. ``composites``: vocabulary name -> a function built from several of
    the framework's functions. ``missing``: vocabulary name -> why the framework cannot serve
    it although something of that name exists (a case that calls it is unsupported with
    that reason).
    """
    listed = names.split() if isinstance(names, str) else names
    native = {n: getattr(module, n) for n in listed}
    native.update({ours: getattr(module, theirs) for ours, theirs in (renames or {}).items()})
    native.update(overrides or {})
    return {
        **{prefix + n: (f, NATIVE) for n, f in native.items()},
        **{prefix + n: (f, COMPOSITE) for n, f in (composites or {}).items()},
        **{prefix + n: (reason, MISSING) for n, reason in (missing or {}).items()},
    }


def by_name(*functions: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """``{f.__name__: f}``, for functions written under the vocabulary's own names."""
    return {f.__name__: f for f in functions}


class Namespace:
    """``xp``: vocabulary names as attributes, with ``linalg``, ``special`` and ``nn`` inside.

    Built from a table ``{qualified name: (function, coverage word)}``; a ``missing`` entry (or
    any name not in the table) raises ``Unsupported`` when a case reaches for it, with the
    entry's reason where it has one (a string in place of the function).
    """

    def __init__(self, framework: str, table: Table, prefix: str = "") -> None:
        self._framework = framework
        self._prefix = prefix
        self._reasons: dict[str, str] = {}
        subs: dict[str, dict[str, tuple[Any, str]]] = {}
        for qualified, (fn, word) in table.items():
            if qualified.startswith(prefix):
                rest = qualified[len(prefix):]
                if "." in rest:
                    subs.setdefault(rest.split(".", 1)[0], {})[qualified] = (fn, word)
                elif word != MISSING:
                    setattr(self, rest, fn)
                elif isinstance(fn, str):
                    self._reasons[rest] = fn
        for sub, sub_table in subs.items():
            setattr(self, sub, Namespace(framework, sub_table, f"{prefix}{sub}."))

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: the name is missing for this framework.
        if name.startswith("__"):
            raise AttributeError(name)
        reason = self.__dict__.get("_reasons", {}).get(name)
        raise Unsupported(f"{self._framework} adapter has no xp.{self._prefix}{name}"
                          + (f": {reason}" if reason else ""))

    def __repr__(self) -> str:
        return f"<xp namespace for {self._framework}{': ' + self._prefix if self._prefix else ''}>"
