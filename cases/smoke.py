"""The smoke selection: the cases a cheap run covers on a costly combination (the default
pytest run's smoke tiers, a quick run's out-of-process adapters). Its own module, with no
imports, so that the pytest plugin and the command line share it at no cost."""

__all__ = ["SMOKE_TAGS", "is_smoke"]

SMOKE_TAGS = frozenset({"model", "kink", "nn"})


def is_smoke(tags: object) -> bool:
    """Whether a case with these tags is in the smoke selection."""
    return bool(SMOKE_TAGS & set(tags))  # type: ignore[call-overload]
