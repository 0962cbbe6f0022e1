"""Building many long-lived objects at once (a workspace's contacts, a plan's items) with the cycle collector paused.

Python's collector runs each time enough new objects have piled up, and each full run scans everything built so
far: loading 64,000 contacts spent more time there (seconds) than reading them. What is garbage is collected once
the collector runs again afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    if not gc.isenabled():  # paused already (nested, or by another thread doing the same)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
