"""An opt-in pytest plugin for hub and its plugin authors: `pytest_plugins = ["hub.testing.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..clock import FakeClock
from ..plugins import Plugins, make_plugins


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that never waits: sleeping on it advances it."""
    return FakeClock()


@pytest.fixture
def hub_plugins() -> Iterator[Plugins]:
    """A fresh plugin manager built from the `hub` entry points (no global state shared between tests)."""
    yield make_plugins()
