"""The shared case library: every function written once against a NumPy-named ``xp``.

    import cases

    cases.get("gmm")                      # one case (KeyError lists the closest names)
    cases.select(tags={"kink"})           # by tag, by names, by glob pattern
    for case in cases.all(): ...

    @cases.register(tags={"mine"})
    def cube_sum(xp, x):
        return xp.sum(x ** 3)

Third-party packages add cases through the entry-point group ``gradparity.cases`` (a Case, a
list of cases, a function returning them, or a module that registers on import). The built-in
library and the plugins load on first lookup.

Layout, lower layers first; each part imports only those before it (and refengine, adapters):

- the case model, this package's own modules: ``case`` (``Case``, ``Arg``, ``Sizes``,
  ``Kink``), ``domains`` (input domains), ``vocabulary`` (the names a case may use: the
  contract that ``adapters.vocabulary`` holds, the one thing of ``adapters`` read here) and
  ``vocabulary_trace`` (the check that it used only those), ``registry`` (registration and
  lookup), ``statuses`` (a check's statuses, read by the reports too). No framework here.
- ``library``: the built-in cases, one module per theme; the case model only.
- ``conformance``: the checks and their records (``run_case``, ``run_matrix``); with
  ``conventions`` (the divergence table, data that matches its records) and ``pytest_plugin``
  (the same matrix as pytest items; its path is the ``pytest11`` entry point installations
  name). It imports the case model, adapters and refengine, never ``timing``.
- ``timing``: the timing harness and its records; the case model and adapters, never
  ``conformance``.
- ``worker``: an out-of-process adapter's worker (``python -m cases.worker``, started by
  ``adapters.remote`` in another environment): runs the library's cases and the timing harness
  there.

Nothing here imports ``reports``, which reads both harnesses' records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cases import domains
from cases.case import Arg, Case, Kink, Sizes, Tolerance
from cases.registry import (
    REGISTRY,
    PluginWarning,
    RegistrationError,
    Registry,
    UnknownCaseError,
)

__all__ = [
    "Arg",
    "Case",
    "Kink",
    "PluginWarning",
    "RegistrationError",
    "Registry",
    "Sizes",
    "Tolerance",
    "UnknownCaseError",
    "all",
    "domains",
    "get",
    "ops_used",
    "register",
    "select",
]


def all() -> list[Case]:  # noqa: A001 - the issue's name for it
    """Every registered case, in registration order (the library's themes, then plugins)."""
    return REGISTRY.all()


def get(name: str) -> Case:
    """The case called ``name``; an unknown name raises KeyError listing the closest ones."""
    return REGISTRY.get(name)


def select(
    names: Iterable[str] | None = None,
    tags: Iterable[str] | str | None = None,
    pattern: str | None = None,
) -> list[Case]:
    """Cases matching every filter given: ``names`` (each must exist), any of ``tags``, and a
    glob ``pattern`` on the name."""
    return REGISTRY.select(names=names, tags=tags, pattern=pattern)


def register(case: Case | Callable[..., Any] | None = None, /, **fields: Any) -> Any:
    """Register a Case, or decorate ``fn(xp, *inputs)`` to make and register one."""
    return REGISTRY.register(case, **fields)


def ops_used(name: str) -> frozenset[str]:
    """The vocabulary names the case used when it was traced at registration."""
    return REGISTRY.ops_used(name)
