"""Reports and the gradparity command line."""

__all__: list[str] = []
