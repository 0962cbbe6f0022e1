"""hub's automation runner on N contacts: a 4-step automation (wait 1 hour, an email at MailerLite, wait 1 day,
a text through Twilio) carried out by `hub run`'s engine with DBOS workflows, against the two simulators
running in a process of their own (so that `peak_rss_mb` is hub's alone), on a simulated clock that jumps
over the waits.

Prints one JSON line: `contacts`, `steps_done` (steps carried out, waits included), `duplicates` (emails and
texts beyond one per contact), `skipped` (contacts without their email or text), `wall_s` (the run, waits
jumped over), `steps_per_s`, `peak_rss_mb` (hub's process), `bound_s` (what the vendors' limits force at the
time scale: the email's group assignments at MailerLite's 120 requests a minute, 50 to a `/batch`, then the
texts at the Messaging Service's throughput), `rss_before_run_mb` (the workspace and its contacts, loaded
before the run starts), `ratio`, `time_scale`, `refused_429` (answers the simulators
refused for a limit: the simulators' clock does not jump over the waits with hub's), `ticks`, and the CPU
seconds of hub (`hub_cpu_s`, during the run) and of the simulators (`simulators_cpu_s`, set-up included): a
wall time over the bound with the simulators' CPU near it is the simulators' limit, not hub's.

    python bench/runner.py --contacts 100000
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ML_PER_MINUTE, ML_BATCH = 120, 50  # MailerLite: requests a minute; requests in one /batch


def serve_vendors(conn: Connection, contacts: int, scale: float) -> None:
    """The simulators, in their own process: MailerLite holding the contacts already, and Twilio."""
    from hub.clock import ScaledClock
    from hub.memory import collect_seldom
    from hub_mailerlite.simulator import MailerLiteSimulator
    from hub_sms.simulator import TwilioSimulator

    clock = ScaledClock(scale)
    ml, sms = MailerLiteSimulator(clock), TwilioSimulator(clock)
    state = ml.account_state("sandbox")
    for i in range(contacts):
        ml.upsert(state, {"email": email(i)})
    gc.freeze()  # the seeded subscribers live to the end: the collector's full runs need not scan them each time
    collect_seldom()  # as in `hub run --sandbox`, where the simulators run inside hub's command
    conn.send((ml.start(), sms.start()))
    conn.recv()  # the run is over: count what each vendor did
    emailed = Counter(r["email"] for c in ml.campaigns("sandbox")
                      for r in ml.campaign_recipients("sandbox", campaign_id=c["id"]))
    texted = Counter(m["to"] for m in sms.messages())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send({"emailed": dict(emailed), "texted": dict(texted), "cpu_s": usage.ru_utime + usage.ru_stime,
               "refused_429": sum(e.status == 429 for s in (ml, sms) for e in s.log.entries())})
    ml.stop()
    sms.stop()


def email(i: int) -> str:
    return f"p{i}@example.com"


def phone(i: int) -> str:
    return f"+1202{i:07d}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--throughput", type=int, default=100, help="texts a second the Messaging Service sends")
    ap.add_argument("--time-scale", type=float, default=10.0, help="vendor seconds per real second")
    ap.add_argument("--profile", action="store_true", help="print where hub's time goes (stderr)")
    args = ap.parse_args()

    parent, child = mp.Pipe()
    vendors = mp.get_context("spawn").Process(target=serve_vendors, args=(child, args.contacts, args.time_scale))
    vendors.start()
    ml_url, sms_url = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(Path(tmp), args, ml_url, sms_url)
    parent.send("report")
    seen = parent.recv()
    vendors.join()

    wanted = {email(i) for i in range(args.contacts)}
    phones = {phone(i) for i in range(args.contacts)}
    emailed, texted = Counter(seen["emailed"]), Counter(seen["texted"])
    # each limit is a window that lets its first requests through at once: n requests take (ceil(n/limit)-1)
    # windows. The email's /batch requests at MailerLite's 120 a minute, then the texts at the throughput
    # (Twilio limits requests in flight, not their rate)
    email_s = (math.ceil(math.ceil(args.contacts / ML_BATCH) / ML_PER_MINUTE) - 1) * 60
    sms_s = math.ceil(args.contacts / args.throughput) - 1
    bound = (email_s + sms_s) / args.time_scale
    wall = result["wall_s"]
    print(json.dumps({
        "contacts": args.contacts, "steps_done": result["steps_done"],
        "duplicates": sum(n - 1 for n in emailed.values()) + sum(n - 1 for n in texted.values()),
        "skipped": len(wanted - set(emailed)) + len(phones - set(texted)),
        "wall_s": round(wall, 2), "steps_per_s": round(result["steps_done"] / wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_run_mb": round(result["rss_before_mb"], 1),
        "bound_s": round(bound, 2), "ratio": round(wall / bound, 3) if bound else None, "time_scale": args.time_scale,
        "refused_429": seen["refused_429"], "ticks": result["ticks"], "hub_cpu_s": round(result["cpu_s"], 1),
        "simulators_cpu_s": round(seen["cpu_s"], 1)}))


def run(root: Path, args: argparse.Namespace, ml_url: str, sms_url: str) -> dict[str, Any]:
    from hub.clock import SandboxClock, ScaledClock
    from hub.memory import collect_seldom, collector_paused
    from hub.model import Automation, Contact
    from hub.plugins import make_plugins
    from hub.runner.durable import DurableExecutor
    from hub.runner.engine import Runner
    from hub.runner.resource import KIND
    from hub.runner.timing import parse_stamp
    from hub.state import StateStore
    from hub.state.journeys import Journeys
    from hub.sync.accounts import Account, HttpFactory, open_provider
    from hub.sync.services import bind_services
    from hub.testing import make_client
    from hub_sms.simulator import TwilioSimulator

    collect_seldom()  # as every `hub` command does
    (root / "hub.yaml").write_text("version: 1\n")
    (root / ".hub").mkdir()
    clock = SandboxClock(ScaledClock(args.time_scale), root / ".hub" / "clock.json")
    client = make_client("mailerlite", name="shop", timezone="UTC",
                         audience={"lists": [{"id": "club", "name": "Club"}],
                                   "tags": [{"id": "member", "name": "Member"}]})
    # one contact at a time, not a list of dicts first, and with the collector paused, as a workspace loads them
    with collector_paused():
        client.audience.contacts = [Contact.model_validate({
            "email": email(i), "phone": phone(i), "first_name": f"P{i}", "lists": ["club"],
            "consent": {"email": "subscribed", "sms": "subscribed"}}) for i in range(args.contacts)]
    automation = Automation.model_validate({
        # enrolled by `enrol` (a list trigger would also read the whole list at the vendor every hour)
        "id": "club", "name": "Club", "trigger": {"tag_added": "member"}, "enrol": {"list": "club"},
        "steps": [{"wait": {"hours": 1}},
                  {"send_email": {"subject": "Welcome, {{ first_name }}",
                                  "from": {"name": "Shop", "email": "hi@shop.example"},
                                  "body_html": "Hi <a href='{{ unsubscribe_url }}'>unsubscribe</a>"}},
                  {"wait": {"days": 1}},
                  {"send_sms": {"body": "{{ first_name }}, your club card is ready."}}]})
    client = client.model_copy(update={"automations": [automation]})
    plugins = make_plugins()
    http = HttpFactory(clock)
    settings = {
        "email": ("mailerlite", {"base_url": ml_url, "api_key": "sandbox-token"}),
        "text": ("sms", {"base_url": sms_url, "account_sid": TwilioSimulator.SANDBOX_ACCOUNT_SID,
                         "auth_token": TwilioSimulator.SANDBOX_AUTH_TOKEN, "throughput": args.throughput,
                         "messaging_service_sid": TwilioSimulator.SANDBOX_MESSAGING_SERVICE_SID}),
    }
    accounts = []
    for name, (provider, values) in settings.items():
        cls = plugins.registry.get(provider)
        accounts.append(Account(client, name, open_provider(cls, cls.Settings.model_validate(values), client.name,
                                                            name, clock, http)))
    state = StateStore(root / ".hub" / "state.db", clock)
    bind_services(accounts, state, plugins.registry, __import__("threading").Event())
    definition = automation.model_dump(mode="json", by_alias=True, exclude_none=True)
    state.record("bench", "shop", "email", "mailerlite", KIND, "club", "Club", "armed", "runner/club",
                 {"definition": definition, "order": [s.id for s in automation.steps], "email_account": "email",
                  "sms_account": "text"})
    session = SimpleNamespace(root=root, options=SimpleNamespace(sandbox=False), state=state, clock=clock,
                              accounts=accounts, client_names=["shop"],
                              workspace=SimpleNamespace(clients={"shop": client}))
    ticks = 0
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the workspace's contacts, loaded
    start, cpu = time.perf_counter(), time.process_time()
    with DurableExecutor(session) as executor:  # type: ignore[arg-type]
        runner = Runner(session, executor)  # type: ignore[arg-type]
        while True:
            began = time.perf_counter()
            report = runner.tick()
            ticks += 1
            if args.profile:
                print(f"tick {ticks}: {time.perf_counter() - began:.2f} s {dict(report.outcomes)}", file=sys.stderr)
            if not report.next_due:
                break
            ahead = (parse_stamp(report.next_due) - clock.utcnow()).total_seconds()
            clock.advance(max(ahead, 0.0))  # the waits cost no wall time
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    steps = sum(sum(Journeys(state).count_log("shop", "club", s.id or "").values()) for s in automation.steps)
    state.close()
    http.close()
    return {"wall_s": wall, "steps_done": steps, "ticks": ticks, "cpu_s": cpu, "rss_before_mb": before}


if __name__ == "__main__":
    main()
