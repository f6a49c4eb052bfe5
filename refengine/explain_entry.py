"""``rf.explain``: the way in to the explainer, which lives above refengine.

The explainer compares refengine with the other frameworks, reads the divergence table and
draws pictures: it is built on refengine, so refengine does not import it. The distribution that
provides it declares an entry point in the ``refengine.explain`` group (gradparity's names
``reports.explain:explain``); the first call of ``rf.explain`` loads it. An explainer that is not
installed as a distribution is handed over with ``use_explainer``. What refengine itself
contributes, the recording of its own passes, is ``refengine.tape_recording``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ENTRY_POINT_GROUP", "ExplainerNotFoundError", "explain", "use_explainer"]

ENTRY_POINT_GROUP = "refengine.explain"

_explainer: Callable[..., Any] | None = None


class ExplainerNotFoundError(ImportError):
    """No explainer is installed, or more than one and none chosen; the message says the fix."""


def use_explainer(implementation: Callable[..., Any] | None) -> None:
    """Make ``rf.explain`` call ``implementation`` (None: look the entry point up again)."""
    global _explainer
    _explainer = implementation


def explain(f: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """Explain how ``f`` is differentiated at ``args``: the tape, each rule as a formula, the
    backward and forward passes with their numbers, finite differences and the complex step,
    every available framework side by side, and what each does at a non-differentiable point.

    Returns an ``Explanation``: ``.text``, ``.to_html(path)``, ``.to_markdown(path)``. The
    options (``argnums``, ``cotangent``, ``tangents``, ``frameworks``, ``divergences``,
    ``max_nodes``, ``renderer``, ...) are the installed explainer's; gradparity's documents
    them in ``reports.explain.explain``. The explainer is found on the first call (see the
    module docstring); ``ExplainerNotFoundError`` says how to install one when there is none.
    """
    global _explainer
    if _explainer is None:
        _explainer = _installed_explainer()
    return _explainer(f, *args, **options)


def _installed_explainer() -> Callable[..., Any]:
    from importlib.metadata import entry_points  # on first call: it takes tens of milliseconds

    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    if not found:
        raise ExplainerNotFoundError(
            f"rf.explain needs an explainer, and no installed distribution declares one (entry "
            f"point group {ENTRY_POINT_GROUP!r}). gradparity provides it: install or reinstall "
            "it (pip install -e . in a checkout registers its entry points), or hand an "
            "explainer over with refengine.explain_entry.use_explainer(fn)."
        )
    if len({ep.value for ep in found}) > 1:
        listed = ", ".join(f"{ep.name} = {ep.value}" for ep in found)
        raise ExplainerNotFoundError(
            f"more than one explainer is installed ({listed}): choose one with "
            "refengine.explain_entry.use_explainer(fn)"
        )
    return found[0].load()
