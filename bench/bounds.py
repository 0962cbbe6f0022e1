"""The least time a vendor's documented limits allow for a sequence of requests, all limits at once.

Each request carries the rate-limit buckets it counts against (the provider's `bucket_for`, which mirrors the
vendor's rules). It starts as early as every limit allows: no bucket over `requests` starts in any `per_seconds`
window, and no more than `connections` requests in flight, each taking `latency` (the simulated round trip).
Taking the requests in the order they were made and each as early as allowed gives the earliest finish of that
order; for requests alike (contacts in batches) no other order finishes sooner. The figure is vendor seconds.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any


def schedule_seconds(buckets: Iterable[Sequence[str]], rate: Iterable[Any], *, latency: float = 0.0,
                     connections: int | None = None) -> float:
    """When the last of `buckets` (each request's buckets, in order) finishes at the earliest, in vendor seconds:
    `rate` are the vendor's windows (`bucket`, `requests`, `per_seconds`, as `hub.plugin.RateLimit`), `connections`
    how many requests it serves at once (None: no limit)."""
    windows = {limit.bucket: (limit.requests, limit.per_seconds) for limit in rate}
    started: dict[str, deque[float]] = {bucket: deque() for bucket in windows}
    in_flight: list[float] = []  # finish times of the requests still being served (a heap)
    end = 0.0
    for tags in buckets:
        start = 0.0
        for bucket in tags:
            if bucket in windows:
                most, per = windows[bucket]
                if len(started[bucket]) >= most:
                    start = max(start, started[bucket][-most] + per)
        if connections is not None and len(in_flight) >= connections:
            start = max(start, heapq.heappop(in_flight))
        for bucket in tags:
            if bucket in windows:
                started[bucket].append(start)
                if len(started[bucket]) > windows[bucket][0]:
                    started[bucket].popleft()
        heapq.heappush(in_flight, start + latency)
        end = max(end, start + latency)
    return end
