"""An account's gate: a limit the vendor enforces (it refuses what is over) and one it only queues (a sender's
texts per second), each never exceeded."""

from __future__ import annotations

import threading
from bisect import bisect_left

from hub.clock import FakeClock
from hub.transport.limits import Limits, RateLimit
from hub.transport.ratelimit import AccountGate


def most_in_any_window(starts: list[float], per: float) -> int:
    starts = sorted(starts)
    # (a hair under `per`: starts a whole window apart are in two windows)
    return max(bisect_left(starts, t + per - 1e-6) - i for i, t in enumerate(starts))


def test_a_queued_limit_gives_each_request_its_turn() -> None:
    clock = FakeClock()
    gate = AccountGate(Limits(rate=(RateLimit("send", 10, 1.0, strict=False),), max_concurrency=8), clock)
    starts = []
    for _ in range(25):
        with gate.slot(["send"]):
            starts.append(clock.now())
    assert starts == sorted(starts) and most_in_any_window(starts, 1.0) == 10
    assert starts[10] == 1.0 and starts[20] == 2.0  # each as soon as the window allows
    assert len(clock.slept) == 2  # one sleep for each request that had to wait


def test_a_text_of_three_segments_takes_three_places() -> None:
    clock = FakeClock()
    gate = AccountGate(Limits(rate=(RateLimit("send", 10, 1.0, strict=False),)), clock)
    starts = []
    for _ in range(4):
        with gate.slot(["send"] * 3):
            starts.append(clock.now())
    assert starts == [0.0, 0.0, 0.0, 1.0]


def test_a_strict_limit_counts_requests_in_flight() -> None:
    """The vendor counts arrivals: a request still in flight holds its place until its answer comes."""
    clock = FakeClock()
    gate = AccountGate(Limits(rate=(RateLimit("default", 2, 1.0),), max_concurrency=4), clock)
    with gate.slot(["default"]), gate.slot(["default"]):
        held = threading.Event()

        def third() -> None:
            with gate.slot(["default"]):
                held.set()

        t = threading.Thread(target=third)
        t.start()
        assert not held.wait(0.2)  # (no place while both are in flight)
    t.join(timeout=5)
    assert held.is_set()
