"""Bluesky tests: a fresh session cache for every test (each logs in to its own simulator)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub_bluesky.api import forget_sessions


@pytest.fixture(autouse=True)
def _fresh_sessions() -> Iterator[None]:
    forget_sessions()
    yield
    forget_sessions()
