"""``"jax 0.10.2"``: how records and reports name the framework an adapter ran, and its version.

One function for the conformance records' ``framework_version`` column, the divergence table's
version check (``cases.conventions.version_matches`` reads the version after the space) and the
explainer's labels, so the three always agree.
"""

from __future__ import annotations

from typing import Any

__all__ = ["framework_version"]


def framework_version(adapter: Any) -> str:
    """``"jax 0.10.2"``: the adapter's first distribution and its version, read from package
    metadata without importing the framework; "" when the adapter cannot say."""
    try:
        versions = adapter.versions()
    except Exception:  # a broken plug-in: its record still needs a row, its report a label
        return ""
    return ", ".join(f"{k} {v}" for k, v in list(versions.items())[:1])
