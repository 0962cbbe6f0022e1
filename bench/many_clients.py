"""Planning many clients at once: time for N clients against the time for one (target: within 1.5x).

Every client has its own simulated vendor account (one simulator, one token per account, in a process of its
own as a vendor is) and every request carries simulated latency, so the figure shows how well hub overlaps
clients' reads.

    python bench/many_clients.py --clients 50 --latency 0.2

MailerLite's simulator is told one token per account (`tokens=`); the clients are the sample client.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from remote_sim import GearedClock, RemoteSimulator

from hub.plugins import make_plugins
from hub.state import StateStore
from hub.sync.accounts import Account, HttpFactory, open_provider
from hub.sync.plan import compute_plan
from hub.testing import sample_client


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    # 0.2 s is a typical round trip to a vendor API; much lower and the figure measures the simulators'
    # own CPU (they share this machine's cores with hub) rather than how well hub overlaps clients
    ap.add_argument("--latency", type=float, default=0.2, help="vendor seconds each request takes")
    args = ap.parse_args()

    provider_cls = make_plugins().registry.get("mailerlite")
    clock = GearedClock(1.0)
    secret = provider_cls.Settings.secret_fields()[0]
    tokens = {f"bench-token-{i:04d}": f"account-{i:04d}" for i in range(args.clients)}
    sim = RemoteSimulator("mailerlite", clock, tokens=tokens, latency=args.latency)  # each client its own account
    base_url = sim.start()
    sandbox = provider_cls.sandbox_settings(base_url)
    http = HttpFactory(clock)
    accounts = []
    for i, token in enumerate(tokens):
        client = sample_client("mailerlite").model_copy(update={"name": f"client{i:03d}"})
        settings = provider_cls.Settings.model_validate({**sandbox, secret: token})
        provider = open_provider(provider_cls, settings, client.name, "main", clock, http)
        accounts.append(Account(client, "main", provider))
    with tempfile.TemporaryDirectory() as tmp:
        state = StateStore(Path(tmp) / "state.db")

        def plan_time(accs: list[Account]) -> float:
            start = time.perf_counter()
            plan = compute_plan(accs, state, workspace_digest="x", sandbox=True, prune=False,
                                clients=[a.client.name for a in accs])
            assert not any(a.error for a in plan.accounts), [a.error for a in plan.accounts]
            return time.perf_counter() - start

        single = max(plan_time([acc]) for acc in accounts[:3])
        everyone = plan_time(accounts)
        state.close()
    http.close()
    sim.stop()
    print(json.dumps({"provider": "mailerlite", "clients": args.clients, "latency_s": args.latency,
                      "slowest_single_s": round(single, 3), "all_s": round(everyone, 3),
                      "ratio": round(everyone / single, 2)}))


if __name__ == "__main__":
    main()
