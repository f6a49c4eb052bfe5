"""Shared by the adapter tests: an adapter, or a skip when its framework is missing."""

from __future__ import annotations

import os
from typing import Any

import pytest

import adapters


def require(name: str) -> Any:
    """The adapter, or a skip when its framework is missing (a failure in CI, where
    GRADPARITY_REQUIRE_FRAMEWORKS=1 says every framework must be there)."""
    adapter = adapters.get(name)
    status = adapter.available()
    if not status:
        if os.environ.get("GRADPARITY_REQUIRE_FRAMEWORKS"):
            pytest.fail(f"{name} is required but unavailable: {status.reason}")
        pytest.skip(f"{name} unavailable: {status.reason}")
    return adapter
