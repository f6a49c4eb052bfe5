"""Framework adapters: every AD system behind one interface (filled in by the adapters issue)."""

__all__: list[str] = []
