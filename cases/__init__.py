"""The shared case library and the check/timing harness (filled in by the cases issue)."""

__all__: list[str] = []
