"""Pushing N contacts through a provider against its simulator at the vendor's (time-scaled) limits.

Prints one JSON line: `requests` (write requests the simulator received), `lower_bound` (fewest the
vendor allows: ceil(N / batch maximum) plus one list), `wall_s` (time of the apply), `bound_s` (time
the vendor's rate limits force at this time scale), `repush_writes` (writes of a second apply with no
edits), and with --faults the correctness figures (`missing`, `duplicates`, `status_changed`, `runs`).

    python bench/contacts_push.py --provider mailerlite --n 10000
    python bench/contacts_push.py --provider mailerlite --n 10000 --faults 0.2
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hub.clock import ScaledClock
from hub.plugins import make_plugins
from hub.testing import Harness, make_client

STATUSES = ["subscribed"] * 8 + ["unsubscribed", "bounced"]
# Vendor words for hub's consent statuses, and the documented approximations (the plan marks them so)
HELD_AS = {"subscribed": ("active", "subscribed"), "unsubscribed": ("unsubscribed",), "bounced": ("bounced", "cleaned")}
APPROXIMATED = {"activecampaign": {"bounced": ("unsubscribed",)}}  # its API cannot mark a contact bounced
# Time scales at which each vendor's rate limit forces a few real seconds for 10,000 contacts
TIME_SCALES = {"mailerlite": 200.0, "activecampaign": 2.0}


def build_client(provider: str, n: int) -> Any:
    contacts = [{"email": f"person{i:06d}@example.com", "first_name": f"P{i}", "lists": ["customers"],
                 "consent": {"email": STATUSES[i % len(STATUSES)]}} for i in range(n)]
    return make_client(provider, audience={"lists": [{"id": "customers", "name": "Customers"}], "contacts": contacts})


def simulator_contacts(sim: Any) -> list[dict[str, Any]]:
    """(email, status) of every contact the simulated vendor holds, whatever its vendor."""
    for name in ("subscribers", "members", "contacts"):
        fn = getattr(sim, name, None)
        if callable(fn):
            return [{"email": c["email"].lower(), "status": c.get("status")} for c in fn()]
    raise SystemExit(f"{type(sim).__name__} exposes no contact listing for the benchmark")


def bound_seconds(provider_cls: Any, writes_by_bucket: Counter[str], scale: float) -> float:
    """Vendor time forced by sliding-window limits: ceil(n / L) - 1 full windows per bucket."""
    worst = 0.0
    for limit in provider_cls.limits.rate:
        n = writes_by_bucket.get(limit.bucket, 0)
        if n:
            worst = max(worst, (math.ceil(n / limit.requests) - 1) * limit.per_seconds)
    return worst / scale


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--provider", required=True)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--time-scale", type=float, default=None,
                    help="vendor seconds per real second (default: one that makes the rate limit take seconds)")
    ap.add_argument("--faults", type=float, default=0.0, help="fraction of requests answered with a fault")
    args = ap.parse_args()

    provider_cls = make_plugins().registry.get(args.provider)
    args.time_scale = args.time_scale or TIME_SCALES.get(args.provider, 100.0)
    contacts_res = next(r for r in provider_cls.resource_types if r.kind == "contact")
    clock = ScaledClock(args.time_scale)
    client = build_client(args.provider, args.n)
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(provider_cls, client, Path(tmp), clock)
        try:
            plan = h.plan()
            h.simulator.log.clear()
            if args.faults:
                h.simulator.fault_rate(args.faults, seed=7)
            start = time.perf_counter()
            report = h.apply(plan)
            wall = time.perf_counter() - start
            runs = 1
            while report.failed and runs < 5:  # under faults a rerun converges what exhausted its retries
                runs += 1
                report = h.apply()
            writes = h.simulator.log.writes()
            by_bucket: Counter[str] = Counter()
            for e in writes:
                if e.status < 400:
                    for bucket in h.provider.api.bucket_for(e.method, e.path.split("/", 2)[-1], e.body):
                        by_bucket[bucket] += 1
            h.simulator.fault_rate(0)
            h.simulator.log.clear()
            h.apply()
            repush = len(h.simulator.log.writes())
            held = simulator_contacts(h.simulator)
        finally:
            h.close()
    counts = Counter(c["email"] for c in held)
    want = {c.email.lower(): c.consent.email.value for c in client.audience.contacts if c.email}
    allowed = {k: (*v, *APPROXIMATED.get(args.provider, {}).get(k, ())) for k, v in HELD_AS.items()}
    status_changed = sum(1 for c in held if c["email"] in want and str(c["status"]) not in allowed[want[c["email"]]])
    lower = math.ceil(args.n / contacts_res.batch_size) + 1  # + the list the contacts join
    result = {
        "provider": args.provider, "n": args.n, "requests": len(writes), "lower_bound": lower,
        "ratio": round(len(writes) / lower, 3), "wall_s": round(wall, 3),
        "bound_s": round(bound_seconds(provider_cls, by_bucket, args.time_scale), 3),
        "time_scale": args.time_scale, "repush_writes": repush,
    }
    if args.faults:
        result.update({"faults": args.faults, "runs": runs, "failed": len(report.failed),
                       "missing": len(set(want) - set(counts)), "duplicates": sum(n - 1 for n in counts.values()),
                       "status_changed": status_changed})
    print(json.dumps(result))
    sys.exit(0)


if __name__ == "__main__":
    main()
