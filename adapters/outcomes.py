"""What a call through an adapter can come to: a value, ``Unsupported`` (the framework cannot
do this: the case is ``unsupported`` for it, never an error), or ``FrameworkError`` (the
framework raised); ``attempt`` turns any of them into an ``Outcome`` so a run goes on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Availability", "FrameworkError", "Outcome", "Unavailable", "Unsupported", "attempt"]


class Unsupported(AttributeError):  # noqa: N818 - the status it stands for
    """The adapter (or the framework in this mode) cannot do what a case asks: the case is
    ``unsupported`` for it, never an error. An ``AttributeError`` so that ``hasattr(xp, name)``
    answers False for a name the adapter lacks."""


class Unavailable(Unsupported):
    """The framework itself cannot be imported (the reason says why)."""


class FrameworkError(RuntimeError):
    """A framework raised while running a case; carries the framework's own message."""

    def __init__(self, adapter: str, quantity: str, error: BaseException) -> None:
        self.adapter = adapter
        self.quantity = quantity
        self.error_type = type(error).__name__
        self.framework_message = str(error)
        super().__init__(f"{adapter} {quantity}: {self.error_type}: {error}")


@dataclass(frozen=True)
class Outcome:
    """What ``attempt`` returns: ``status`` is ``ok``, ``error`` or ``unsupported``."""

    status: str
    value: Any = None
    message: str = ""
    error_type: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def attempt(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Run ``call``; a failure becomes an ``Outcome`` instead of stopping the run.

    Only ``Exception`` is caught: KeyboardInterrupt still stops a run.
    """
    try:
        return Outcome("ok", call(*args, **kwargs))
    except Unsupported as exc:
        return Outcome("unsupported", message=str(exc), error_type=type(exc).__name__)
    except FrameworkError as exc:
        return Outcome("error", message=str(exc), error_type=exc.error_type)
    except Exception as exc:
        kind = type(exc).__name__
        return Outcome("error", message=f"{kind}: {exc}", error_type=kind)


@dataclass(frozen=True)
class Availability:
    """Whether an adapter's framework imports; ``reason`` is the import error when not."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok
