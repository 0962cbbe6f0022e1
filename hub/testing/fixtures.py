"""An opt-in pytest plugin for hub and its plugin authors: `pytest_plugins = ["hub.testing.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.errors
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


class MemoryKeyring(keyring.backend.KeyringBackend):
    """The OS keyring, in memory: the real `keyring` API end to end, without touching the machine's."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The keyring for the test's duration: secrets (`hub secrets set`, kept sessions) stay in `entries`."""
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)
