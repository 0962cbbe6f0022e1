"""Several clients' contact files read and checked at once, in processes forked from this one, before the loader.

Reading and checking contact files (CSV cells, addresses, phone numbers) is tens of microseconds a row of Python
holding the GIL: 64,000 contacts are seconds on one core, and threads cannot share the work. When the contact
cache misses for several clients with much to read (a new workspace, new files, a new version of hub), forked
workers load those clients first, each leaving its checked contacts in the cache, where the loader then finds
them. A worker gives nothing else back: a client whose files have a problem, or a worker that fails, is left to
the loader, which reads and reports it as it does without workers.

Workers are forked, so that they start at once with the loader as it is (its registry of providers, hub.yaml and
the blueprints read); only where forking is safe: on Linux, from a process that runs no other thread (a fork
copies one thread, and locks another held would stay held). Elsewhere the loader does the work alone.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger(__name__)

PARALLEL_FROM_BYTES = 1 << 20  # of contact files to check: below, a second of work or less is not worth a fork


def cores() -> int:
    """The processors this process may run on (a container's or `taskset`'s limit included)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def workers_for(cold: dict[str, int]) -> int:
    """How many forked processes to check the clients of `cold` (folder -> bytes of contact files) in: 0 when it
    is not worth it (little to check, one processor) or not possible here."""
    workers = min(cores(), len(cold))
    return workers if workers >= 2 and sum(cold.values()) >= PARALLEL_FROM_BYTES and can_fork() else 0


def in_forked_workers(task: Callable[[str], None], cold: dict[str, int], workers: int) -> bool:
    """`task(folder)` for each client folder of `cold`, biggest first, in `workers` forked processes; False when
    they could not run (the caller then does the work itself)."""
    folders = sorted(cold, key=lambda f: -cold[f])  # the longest first, so that no worker is left with one at the end
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for _ in pool.map(task, folders):
                pass
    except (BrokenProcessPool, OSError) as exc:  # (a worker killed, no memory to fork): the loader does it all
        log.info("checking contact files in %d processes failed (%s); checking them here", workers, exc)
        return False
    log.info("checked the contact files of %d clients in %d processes", len(folders), workers)
    return True
