"""Fanning out one SMS campaign to N recipients through a Messaging Service, against the simulator.

Prints one JSON line: `sent` (recipients with a text), `duplicates` (texts beyond one per recipient),
`skipped` (consenting recipients without a text), `wall_s` (time of the apply), `bound_s` (the time
the senders' throughput forces: N segments at `senders` x 1 segment/s, at the simulator's time scale) and
`texts_per_cpu_s` (texts sent per second of hub's own CPU: the simulator runs in a process of its own), with
`hub_cpu_s` and `simulator_cpu_s` (on 2 cores, their sum over the wall time says whether the machine was the limit).

    python bench/sms_fanout.py --n 10000
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

from remote_sim import GearedClock, RemoteSimulator

from hub.memory import collect_seldom, collector_paused
from hub.plugins import make_plugins
from hub.testing import Harness, make_client
from hub_sms.simulator import TwilioSimulator


def main() -> None:
    logging.getLogger("hub").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--senders", type=int, default=10, help="long-code numbers in the Messaging Service")
    ap.add_argument("--time-scale", type=float, default=20.0, help="vendor seconds per real second")
    args = ap.parse_args()

    numbers = [f"+1415555{i:04d}" for i in range(args.senders)]
    config = TwilioSimulator.sandbox_config()
    config["numbers"] = numbers
    config["messaging_services"] = {TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID: {
        "friendly_name": "Bench", "numbers": numbers}}
    clock = GearedClock(args.time_scale)
    sim = RemoteSimulator("sms", clock, accounts={TwilioSimulator.SANDBOX_ACCOUNT_SID: config})
    contacts = [{"phone": f"+1202{i:07d}", "first_name": f"P{i}", "lists": ["all"], "consent": {"sms": "subscribed"}}
                for i in range(args.n)]
    collect_seldom()  # as every `hub` command does
    with collector_paused():  # as the workspace loader builds a client's contacts
        client = make_client("sms", audience={"lists": [{"id": "all", "name": "All"}], "contacts": contacts},
                             campaigns=[{"id": "promo", "name": "Promo", "audience": {"list": "all"},
                                         "schedule": "now", "sms": {"body": "Hi {{ first_name }}, 10% off today."
                                                                    " Reply STOP to opt out."}}])
    provider_cls = make_plugins().registry.get("sms")
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(provider_cls, client, Path(tmp), clock, simulator=sim)  # type: ignore[arg-type]
        try:
            plan = h.plan()
            [change] = [c for c in plan.changes if c.kind == "sms_campaign"]
            segments = change.details["segments"]
            start, cpu, sim_cpu = time.perf_counter(), time.process_time(), sim.cpu_s()
            report = h.apply(plan)
            wall, cpu, sim_cpu = time.perf_counter() - start, time.process_time() - cpu, sim.cpu_s() - sim_cpu
            counts = Counter(m["to"] for m in sim.call("messages"))
        finally:
            h.close()
            sim.stop()
    wanted = {c["phone"] for c in contacts}
    bound = (math.ceil(segments / args.senders) - 1) / args.time_scale  # 1 segment/s per long code
    print(json.dumps({"n": args.n, "senders": args.senders, "sent": len(set(counts) & wanted),
                      "duplicates": sum(n - 1 for n in counts.values()), "skipped": len(wanted - set(counts)),
                      "failed": len(report.failed), "segments": segments, "wall_s": round(wall, 2),
                      "bound_s": round(bound, 2), "ratio": round(wall / bound, 3) if bound else None,
                      "texts_per_cpu_s": round(len(set(counts) & wanted) / cpu) if cpu else None,
                      "hub_cpu_s": round(cpu, 2), "simulator_cpu_s": round(sim_cpu, 2),
                      "time_scale": args.time_scale}))


if __name__ == "__main__":
    main()
