"""Building many long-lived objects at once (a workspace's contacts, a plan's items) with the cycle collector paused.

Python's collector runs each time enough new objects have piled up, and each full run scans everything built so
far: loading 64,000 contacts spent more time there (seconds) than reading them. What is garbage is collected once
the collector runs again afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FREEZE_OVER = 200_000  # objects built while paused


@contextmanager
def collector_paused() -> Iterator[None]:
    if not gc.isenabled():  # paused already (nested, or by another thread doing the same)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] > FREEZE_OVER:
            # so many built at once are kept to the end: set aside, the collector never scans them again (a scan
            # of a 64,000-contact plan's objects on the way out took a quarter of a second)
            gc.freeze()
        gc.enable()


def collect_seldom() -> None:
    """A command builds tens of thousands of long-lived objects (contacts, plan items) and keeps them to the end:
    the cycle collector, run each 700 new objects by default, would scan them again and again. Each 50,000 is
    plenty for what a command leaves as garbage."""
    gc.set_threshold(50_000, 20, 20)


def release_frozen() -> None:
    """Let the collector see again what `collector_paused` set aside (at the end of a command)."""
    gc.unfreeze()
