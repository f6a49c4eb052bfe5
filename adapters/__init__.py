"""Framework adapters: every AD system behind one interface (``adapters.base.Adapter``).

    import adapters
    torch = adapters.get("torch")
    if torch.available():
        out, grads = torch.vjp(fn, inputs, cotangent)   # fn(xp, *inputs), NumPy in and out

    adapters.check_grads(loss, (w, x))   # your own torch/JAX/TF function, its own AD, vs FD

``check_grads`` (``adapters.user_check``) checks a user's function written in a framework; the
framework is read from the arguments' types (``framework=`` for NumPy arrays).

Importing this package imports no framework: each adapter imports its own on first use
(``available()``, ``xp``, or any computation), after applying the thread settings
(``adapters.threads``).

A third party adds a framework without touching this repository by declaring an entry point
in the ``gradparity.adapters`` group that names an ``Adapter`` class (or any zero-argument
callable returning an adapter), for example in its ``pyproject.toml``::

    [project.entry-points."gradparity.adapters"]
    mlx = "gradparity_mlx:MLXAdapter"

What such a class fills in is typed as ``AdapterHooks`` (``adapters.contract``) and described
in the README's "Writing an adapter". Built-in names win over entry points of the same name.
An entry point that fails to load shows up as an unavailable adapter carrying the error, so
one broken plug-in breaks nothing else.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.metadata
import importlib.util
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from adapters.base import Adapter, BaseAdapter
from adapters.contract import AdapterHooks
from adapters.namespace import COMPOSITE, MISSING, NATIVE
from adapters.outcomes import (
    Availability,
    FrameworkError,
    Outcome,
    Unavailable,
    Unsupported,
    attempt,
)

if TYPE_CHECKING:
    import numpy as np

    from refengine.comparison import Comparison

__all__ = [
    "ENTRY_POINT_GROUP",
    "Adapter",
    "AdapterHooks",
    "Availability",
    "BaseAdapter",
    "FrameworkError",
    "Outcome",
    "UnknownAdapterError",
    "Unavailable",
    "Unsupported",
    "all",
    "attempt",
    "check_grads",
    "coverage_counts",
    "get",
    "names",
]

ENTRY_POINT_GROUP = "gradparity.adapters"

# name -> "module:Class"; modules are imported only when the adapter is asked for.
_BUILTIN = {
    "numpy": "adapters.numpy_adapter:NumpyAdapter",
    "refengine": "adapters.refengine_adapter:RefengineAdapter",
    "torch": "adapters.torch_adapter:TorchAdapter",
    "jax": "adapters.jax_adapter:JaxAdapter",
    "tensorflow": "adapters.tensorflow_adapter:TensorflowAdapter",
    "autograd": "adapters.autograd_adapter:AutogradAdapter",
    "mlx": "adapters.mlx_adapter:MLXAdapter",
    "tinygrad": "adapters.tinygrad_adapter:TinygradAdapter",
    # In its own environment (adapters.environments): a RemoteAdapter stands in for it here.
    "mxnet": "adapters.mxnet_adapter:MXNetAdapter",
}

_instances: dict[tuple[str, str], Adapter] = {}


class UnknownAdapterError(LookupError):
    """``get`` was given a name no adapter has."""


class BrokenAdapter(BaseAdapter):
    """Stands in for a plug-in whose entry point could not be loaded."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__()
        self.name = name
        self._availability = Availability(False, reason)


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    found = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _BUILTIN:
            if ep.value != _BUILTIN[ep.name]:
                warnings.warn(
                    f"entry point {ep.name!r} = {ep.value!r} ignored: {ep.name!r} is built in",
                    stacklevel=3,
                )
            continue
        found[ep.name] = ep
    return found


def names() -> list[str]:
    """Built-in adapter names, then those of installed plug-ins (sorted)."""
    return [*_BUILTIN, *sorted(_entry_points())]


def _create(name: str, device: str) -> Any:
    remote = _out_of_process(name, device)
    if remote is not None:
        return remote
    if name in _BUILTIN:
        module, cls = _BUILTIN[name].split(":")
        return getattr(importlib.import_module(module), cls)(device=device)
    ep = _entry_points()[name]
    try:
        # A plug-in that knows no devices is asked for none (its default is the CPU).
        made = ep.load()() if device == "cpu" else ep.load()(device=device)
    except Exception as exc:
        return BrokenAdapter(name, f"entry point {ep.value!r} failed: {type(exc).__name__}: {exc}")
    if not _has_members(made, ("name", "available", "prepare", "value", "vjp", "jvp")):
        return BrokenAdapter(name, f"entry point {ep.value!r} did not give an Adapter: {made!r}")
    return made


def _out_of_process(name: str, device: str) -> Any:
    """A ``RemoteAdapter`` when ``name`` runs in another environment (``GRADPARITY_ENVS``, or
    an ``OWN_ENVIRONMENT`` adapter whose framework is not importable here); else None."""
    from adapters import environments

    python = environments.interpreter_for(name)
    own = environments.OWN_ENVIRONMENT.get(name)
    versioned = environments.versioned(name)  # "jax@0.4.38": always its own environment
    if python is None and versioned is None and (
            own is None or environments.in_worker() or importlib.util.find_spec(name) is not None):
        return None
    from adapters.remote import RemoteAdapter

    base = versioned[0] if versioned else name
    reason = "" if own is None else (
        f"{name} needs its own environment ({own.why}) and has none: run "
        f"`{own.command}` (makes {own.venv}), or set "
        f"{environments.ENVS_VARIABLE}={name}=/path/to/python")
    return RemoteAdapter(base, python, label=name, device=device, unavailable_reason=reason)


def _has_members(obj: Any, members: tuple[str, ...]) -> bool:
    # Not isinstance(obj, Adapter): on Python 3.11 that evaluates properties such as ``xp``,
    # which raise for an adapter whose framework is missing.
    return builtins.all(m in dir(obj) for m in members)


def get(name: str, device: str = "cpu") -> Adapter:
    """The adapter called ``name`` on ``device`` (one shared instance per name and device;
    ``get("torch", "cuda")``, ``get("jax", "gpu")``: ``available()`` says whether the
    framework sees that device). ``name`` may also be a versioned environment of
    ``adapters.environments`` (``"jax@0.4.38"``, or any ``NAME@VERSION`` that
    ``GRADPARITY_ENVS`` points at an interpreter): that release, out of process."""
    from adapters import environments

    key = (name, device)
    if key not in _instances:
        # A versioned name ("jax@0.4.38") is known by its environment, made or configured.
        versioned = environments.versioned(name) is not None and (
            name in environments.OWN_ENVIRONMENT or name in environments.configured())
        if name not in _BUILTIN and not versioned and name not in _entry_points():
            raise UnknownAdapterError(
                f"no adapter named {name!r}; the adapters are: {', '.join(names())}"
            )
        _instances[key] = _create(name, device)
    return _instances[key]


def all(available_only: bool = False) -> list[Adapter]:  # noqa: A001 - the registry's own name
    """Every adapter, built-in and plug-in; with ``available_only``, those whose framework
    imports (asking imports each framework)."""
    found = [get(n) for n in names()]
    return [a for a in found if a.available()] if available_only else found


def coverage_counts() -> dict[str, dict[str, int]]:
    """``{adapter: {native: n, composite: n, missing: n}}`` over the vocabulary, for every
    available adapter (the README's coverage table)."""
    counts = {}
    for adapter in all(available_only=True):
        words = list(adapter.coverage().values())
        counts[adapter.name] = {w: words.count(w) for w in (NATIVE, COMPOSITE, MISSING)}
    return counts


def check_grads(
    f: Callable[..., Any],
    args: Sequence[Any],
    *,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol: float | None = None,
    rtol: float | None = None,
    rng: np.random.Generator | int | None = None,
    framework: str | None = None,
) -> list[Comparison]:
    """Check your own ``f(*args)``'s derivatives in its own framework (read from the arguments'
    types, or ``framework=``) against finite differences; see ``adapters.user_check``."""
    # Imported here: the checker and the oracle load on the first check, not with adapters.
    from adapters.user_check import check_grads as check

    return check(f, args, order=order, modes=modes, atol=atol, rtol=rtol, rng=rng,
                 framework=framework)
