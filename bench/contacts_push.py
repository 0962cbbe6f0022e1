"""Pushing N contacts through a provider against its simulator at the vendor's (time-scaled) limits.

Prints one JSON line: `requests` (write requests the simulator received), `lower_bound` (fewest the
vendor allows: ceil(N / batch maximum) plus one list, plus one for each write a fault spoiled), `wall_s` (time of
the apply), `bound_s` (the least time the vendor's limits allow the requests it served at this time scale: every
rate window and the vendor's connection limit at once, each request taking the simulated `latency_s`; see
bounds.py), `repush_writes` (writes of a second apply with no edits), `peak_rss_mb` (hub's process: the simulator
runs in another), `hub_cpu_s` and `simulator_cpu_s` (CPU each process used during the apply: on 2 cores,
their sum over the wall time says whether the machine was the limit), and with --faults the correctness figures
(`missing`, `duplicates`, `status_changed`, `runs`).
With --update the contacts are pushed, every one's first name changed, and pushed again: the figures are the
second push's.

    python bench/contacts_push.py --provider mailerlite --n 10000
    python bench/contacts_push.py --provider mailerlite --n 10000 --faults 0.2
    python bench/contacts_push.py --provider mailerlite --n 10000 --update
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bounds import follow_ups, schedule_seconds
from remote_sim import GearedClock, RemoteSimulator

from hub.memory import collect_seldom, collector_paused
from hub.plugins import make_plugins
from hub.testing import Harness, make_client

STATUSES = ["subscribed"] * 8 + ["unsubscribed", "bounced"]
# Vendor words for hub's consent statuses, and the documented approximations (the plan marks them so)
HELD_AS = {"subscribed": ("active", "subscribed"), "unsubscribed": ("unsubscribed",), "bounced": ("bounced", "cleaned")}
APPROXIMATED = {"activecampaign": {"bounced": ("unsubscribed",)}}  # its API cannot mark a contact bounced
# Time scales at which each vendor's limits force a few real seconds for 10,000 contacts
TIME_SCALES = {"mailerlite": 200.0, "activecampaign": 2.0, "mailchimp": 1.0}
UPDATE_TIME_SCALES = {"mailerlite": 5.0}  # updates go outside MailerLite's import limit: 20 times quicker
SET_UP_SCALE = 5000.0  # the first push of --update, which is not measured
# the vendor's batch jobs take their time, whoever polls them (the simulator's default moves one on at each poll)
SIM_OPTIONS: dict[str, dict[str, Any]] = {"mailchimp": {"batch_seconds": 4.0, "batch_poll_advance": False}}
LATENCY = 0.25  # vendor seconds each request takes (a batch of 500 members is no quicker at the vendor: unverified)


def build_client(provider: str, n: int, name: str = "P") -> Any:
    with collector_paused():  # as the workspace loader builds a client's contacts
        return _client(provider, n, name)


def _client(provider: str, n: int, name: str) -> Any:
    contacts = [{"email": f"person{i:06d}@example.com", "first_name": f"{name}{i}", "lists": ["customers"],
                 "consent": {"email": STATUSES[i % len(STATUSES)]}} for i in range(n)]
    return make_client(provider, audience={"lists": [{"id": "customers", "name": "Customers"}], "contacts": contacts})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--provider", required=True)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--time-scale", type=float, default=None,
                    help="vendor seconds per real second (default: one that makes the rate limit take seconds)")
    ap.add_argument("--faults", type=float, default=0.0, help="fraction of requests answered with a fault")
    ap.add_argument("--latency", type=float, default=LATENCY, help="vendor seconds each request takes")
    ap.add_argument("--update", action="store_true", help="push, change every contact's first name, push again")
    args = ap.parse_args()

    logging.getLogger("hub").setLevel(logging.ERROR)  # (retries under --faults: each would be a line)
    collect_seldom()  # as every `hub` command does
    provider_cls = make_plugins().registry.get(args.provider)
    args.time_scale = args.time_scale or (UPDATE_TIME_SCALES if args.update else TIME_SCALES).get(args.provider, 100.0)
    contacts_res = next(r for r in provider_cls.resource_types if r.kind == "contact")
    clock = GearedClock(SET_UP_SCALE if args.update else args.time_scale)
    client = build_client(args.provider, args.n)
    with tempfile.TemporaryDirectory() as tmp:
        options = SIM_OPTIONS.get(args.provider, {})
        sim = RemoteSimulator(args.provider, clock, latency=args.latency, **options)
        h = Harness(provider_cls, client, Path(tmp), clock, simulator=sim)  # type: ignore[arg-type]
        try:
            if args.update:
                h.apply()
                h.account.client = client = build_client(args.provider, args.n, name="Q")
                sim.shift(args.time_scale)
            plan = h.plan()
            sim.take_log()
            if args.faults:
                sim.fault_rate(args.faults)
            start, cpu, sim_cpu = time.perf_counter(), time.process_time(), sim.cpu_s()
            report = h.apply(plan)
            wall = time.perf_counter() - start
            cpu, sim_cpu = time.process_time() - cpu, sim.cpu_s() - sim_cpu
            runs = 1
            while report.failed and runs < 5:  # under faults a rerun converges what exhausted its retries
                runs += 1
                report = h.apply()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # (before the re-push's own plan)
            log = sim.take_log()
            writes = [e for e in log if e.method not in ("GET", "HEAD", "OPTIONS")]
            # what the vendor served, faults it was told to answer included (they count against its limits as
            # they come): not what it refused for being over a limit, which hub's own gate should have kept
            served = sorted((e for e in log if e.fault or 0 < e.status < 400), key=lambda e: e.time)
            buckets = [h.provider.api.bucket_for(e.method, e.path.split("/", 2)[-1], e.body) for e in served]
            faulted_writes = sum(1 for e in writes if e.fault and not e.fault.startswith("latency"))
            after, jobs = follow_ups(served, args.provider, options.get("batch_seconds", 0.0))
            bound = schedule_seconds(buckets, provider_cls.limits.rate, latency=args.latency,
                                     connections=sim.max_concurrent, after=after, jobs=jobs,
                                     owners=[e.account for e in served]) / args.time_scale
            sim.fault_rate(0)
            h.apply()
            repush = sum(1 for e in sim.take_log() if e.method not in ("GET", "HEAD", "OPTIONS"))
            held = sim.contacts()
        finally:
            h.close()
            sim.stop()
    counts = Counter(c["email"] for c in held)
    want = {c.email.lower(): c.consent.email.value for c in client.audience.contacts if c.email}
    allowed = {k: (*v, *APPROXIMATED.get(args.provider, {}).get(k, ())) for k, v in HELD_AS.items()}
    status_changed = sum(1 for c in held if c["email"] in want and str(c["status"]) not in allowed[want[c["email"]]])
    # + the list they join; each write a fault spoiled must be made again
    lower = math.ceil(args.n / contacts_res.batch_size) + (0 if args.update else 1) + faulted_writes
    result = {
        "provider": args.provider, "n": args.n, "requests": len(writes), "lower_bound": lower,
        "faulted_writes": faulted_writes, "ratio": round(len(writes) / lower, 3), "wall_s": round(wall, 3),
        "bound_s": round(bound, 3), "wall_ratio": round(wall / bound, 3) if bound else None,
        "time_scale": args.time_scale, "latency_s": args.latency, "update": args.update, "repush_writes": repush,
        "peak_rss_mb": round(peak_mb, 1), "hub_cpu_s": round(cpu, 2), "simulator_cpu_s": round(sim_cpu, 2),
    }
    if args.faults:
        result.update({"faults": args.faults, "runs": runs, "failed": len(report.failed),
                       "missing": len(set(want) - set(counts)), "duplicates": sum(n - 1 for n in counts.values()),
                       "status_changed": status_changed})
    print(json.dumps(result))
    sys.exit(0)


if __name__ == "__main__":
    main()
