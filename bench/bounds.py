"""The least time a vendor's documented limits allow for a sequence of requests, all limits at once.

Each request carries the rate-limit buckets it counts against (the provider's `bucket_for`, which mirrors the
vendor's rules). It starts as early as every limit allows: no bucket over `requests` starts in any `per_seconds`
window, and no more than `connections` requests in flight, each taking `latency` (the simulated round trip).
A request that can only follow another (a retry after a fault, a batch job's results) starts no sooner than that
one's answer plus the wait the vendor imposes: `Retry-After` after a 429, the job's processing time. Waits of the
client's own choosing (backoff after a 5xx or a dropped connection, polling) count for nothing.
Taking the requests in the order they reached the vendor, each as early as allowed, gives the earliest finish of
that order; for requests alike (contacts in batches) no other order finishes sooner. The figure is vendor seconds.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from remote_sim import RETRY_AFTER, Served

# A vendor's asynchronous jobs: the request that starts one (answered with its id), and the path that fetches a job's
# results (the job's id in group 1). Every job started takes the simulator's processing time, in the account's
# queue, whether or not its results are fetched (a job whose start's answer was lost still runs).
JOB_STARTS = {"mailchimp": ("POST", "/3.0/batches")}
JOB_RESULTS = {"mailchimp": re.compile(r"/mailchimp-api-batch/(\w+)-response")}
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class _Window:
    """No more than `most` requests start within any `per` seconds. A connection limit is one too: when every
    request takes `latency`, no more than `connections` are in flight at once iff no more start within `latency`."""

    def __init__(self, most: int, per: float) -> None:
        self.most, self.per = most, per
        self.starts: list[float] = []  # sorted

    def later(self, t: float) -> float | None:
        """None when one more start at `t` keeps the limit, else a later time to try."""
        s, per, most = self.starts, self.per, self.most
        if not s or t >= s[-1]:  # (the usual case: no start after t)
            n = len(s) - bisect_right(s, t - per)
            return None if n < most else s[len(s) - most] + per
        # t among starts (it follows a request that waited): every window of `per` that holds t, the fullest
        # beginning at a start in (t - per, t] or at t
        for y in s[bisect_right(s, t - per):bisect_right(s, t)]:
            if bisect_left(s, y + per) - bisect_left(s, y) >= most:
                return y + per
        if bisect_left(s, t + per) - bisect_left(s, t) >= most:
            return s[bisect_right(s, t)]
        return None

    def add(self, t: float) -> None:
        insort(self.starts, t)


def schedule_seconds(buckets: Iterable[Sequence[str]], rate: Iterable[Any], *, latency: float = 0.0,
                     connections: int | None = None, after: Mapping[int, tuple[int, float]] | None = None,
                     owners: Sequence[str | None] | None = None, jobs: Mapping[int, float] | None = None) -> float:
    """When the last of `buckets` (each request's buckets, in order) finishes at the earliest, in vendor seconds:
    `rate` are the vendor's windows (`bucket`, `requests`, `per_seconds`, as `hub.plugin.RateLimit`), `connections`
    how many requests one account has served at once (None: no limit), `owners` each request's account where
    they differ (a file on the vendor's CDN is no account's), `after` maps a request's index to the earlier
    request it follows and the vendor seconds it must wait after that one's answer, or after the end of the job
    that one made: `jobs` maps the requests that made a job to its processing time (an account runs its jobs one
    at a time, in order, each from when the vendor took the request)."""
    windows = {limit.bucket: _Window(limit.requests, limit.per_seconds) for limit in rate}
    in_flight: dict[str | None, _Window] = {}
    ends: list[float] = []
    job_ends: dict[int, float] = {}
    jobs_free: dict[str | None, float] = {}  # when an account's last job ends
    for i, tags in enumerate(buckets):
        owner = owners[i] if owners else None
        start = 0.0
        if after and i in after:
            earlier, wait = after[i]
            start = job_ends.get(earlier, ends[earlier]) + wait
        limits = [windows[b] for b in tags if b in windows]
        if connections is not None and latency > 0:
            limits.append(in_flight.setdefault(owner, _Window(connections, latency)))
        moved = True
        while moved:  # until no limit moves it later
            moved = False
            for w in limits:
                if (t := w.later(start)) is not None:
                    start, moved = t, True
        for w in limits:
            w.add(start)
        ends.append(start + latency)
        if jobs and i in jobs:
            job_ends[i] = jobs_free[owner] = max(start, jobs_free.get(owner, 0.0)) + jobs[i]
    return max(ends, default=0.0)


def follow_ups(served: Sequence[Served], provider: str,
               job_seconds: float) -> tuple[dict[int, tuple[int, float]], dict[int, float]]:
    """Which of `served` (in the order they reached the vendor) can only follow an earlier one, and the vendor
    seconds it must wait after that one's answer: a retry (the same request again) follows its faulted attempt,
    `RETRY_AFTER` after a 429; a job's results follow the end of the job, which the request that made it started;
    another write of a contact follows the last one (what it writes depends on that one's answer: a member found
    to exist is updated). With them, the requests that made a job (each `job_seconds` long)."""
    after: dict[int, tuple[int, float]] = {}
    faulted: dict[tuple[str, str, str], tuple[int, float]] = {}  # attempts whose retry is still to come
    made: dict[str, int] = {}  # an id the vendor gave -> the request it answered
    jobs: dict[int, float] = {}
    written: dict[str, int] = {}  # address -> the last write naming it
    results, starts = JOB_RESULTS.get(provider), JOB_STARTS.get(provider)
    for i, e in enumerate(served):
        body = json.dumps(e.body, sort_keys=True, default=str)
        key = (e.method, e.path, body)
        addresses = set(ADDRESS.findall(body)) if e.method not in ("GET", "HEAD") else set()
        if key in faulted:
            after[i] = faulted.pop(key)
        elif results and (found := results.search(e.path)) and found.group(1) in made:
            after[i] = (made[found.group(1)], 0.0)
        elif addresses & written.keys():  # a write of contacts whose last write's answer it needed
            after[i] = (max(written[a] for a in addresses & written.keys()), 0.0)
        written.update(dict.fromkeys(addresses, i))
        if e.fault and not e.fault.startswith("latency"):
            faulted[key] = (i, RETRY_AFTER if e.status == 429 else 0.0)
        if e.made:  # (the first answer naming the id made it; polls of the job name it too)
            made.setdefault(e.made, i)
            if (e.method, e.path) == starts:
                jobs[i] = job_seconds
    return after, jobs
