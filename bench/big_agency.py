"""A big agency through the real CLI: N contacts, in CSV contact files, spread over C clients on MailerLite,
Mailchimp and ActiveCampaign (in turn), each client with a simulated vendor account of its own.

The simulators run in a process of their own (as vendors do), so every figure is hub's alone. The contacts are
messy on purpose: accented and non-Latin names, internationalised domains, households sharing a phone, every
consent status, number and date fields, lists and tags. Each command is a process of its own, timed from outside:

- `validate_s`: `hub validate` on the new workspace, and `warm_validate_s` again (its checked contacts kept);
- `plan_s`: the first `hub plan --out` (everything to create), and `plan_file_mb` the size of what it wrote (the
  plan file and its side file of contact details);
- `noop_plan_s`: `hub plan` after the apply (nothing changed), and `noop_reads`, the requests it made (hub's
  request log);
- `status_s`: `hub status`;
- `peak_rss_mb`: the largest resident memory of those processes;
- `apply_s` for information: the apply runs on a clock `--time-scale` times faster than the vendors' limits
  (hub's and the simulators' alike), in a process of its own.

    python bench/big_agency.py --contacts 64000 --clients 12
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

PROVIDERS = ("mailerlite", "mailchimp", "activecampaign")
BENCH = Path(__file__).resolve().parent
FIRST = ["Zoé", "Ana", "José", "Łukasz", "Søren", "Chloë", "Mañuel", "Yūki", "李", "Олег", "Grace", "Tom", "Amelia",
         "Noor", "Siobhán", "Björn", "Ümit", "Renée", "O'Neil", "Mary-Jane"]
LAST = ["Ångström", "Müller", "García", "Ó Briain", "Nguyễn", "Smith", "Okafor", "Dvořák", "Øvergaard", "王",
        "Hart", "Bennett", "Shah", "D'Arcy", "van der Berg", "Señor", "Kowalczyk", "Lefèvre", "Ivanova", "Brown"]
STATUSES = ["subscribed"] * 85 + ["unsubscribed"] * 8 + ["bounced"] * 4 + ["complained"] * 2 + ["pending"]
LOAVES = ["sourdough", "rye", "baguette", "spelt, seeded", "focaccia \"al rosmarino\"", "pain de mie"]
AUDIENCE = """\
lists:
  - {id: newsletter, name: Newsletter}
  - {id: customers, name: Customers}
  - {id: events, name: Events}
tags:
  - {id: vip, name: VIP}
  - {id: wholesale, name: Wholesale}
fields:
  - {id: favourite, name: Favourite, type: text}
  - {id: visits, name: Visits, type: number}
  - {id: born, name: Born, type: date}
contact_files:
  - contacts.csv
"""
CAMPAIGN = """\
name: Winter news
audience: {list: newsletter}
schedule: {at: "2031-01-15 10:00"}
email:
  subject: "Winter news, {{ first_name }}"
  body_markdown: |
    Hello {{ first_name }}, our winter hours are here.

    [Unsubscribe]({{ unsubscribe_url }})
"""


def serve_vendors(conn: Connection, clients: int, scale: float) -> None:
    """One simulated vendor account per client, in this process of its own, until told to stop."""
    from hub.clock import ScaledClock
    from hub.plugins import make_plugins

    registry = make_plugins().registry
    clock = ScaledClock(scale)
    sims, vendors = [], []
    for i in range(clients):
        provider = registry.get(PROVIDERS[i % len(PROVIDERS)])
        sim = provider.create_simulator(clock)
        sims.append(sim)
        vendors.append({"provider": provider.name, "settings": provider.sandbox_settings(sim.start())})
    conn.send(vendors)
    conn.recv()
    for sim in sims:
        sim.stop()


def apply_all(root: str, scale: float) -> None:
    """`hub apply` on a clock `scale` times faster (what the simulators run on too)."""
    from hub.clock import ScaledClock
    from hub.plugins import default_plugins
    from hub.sync.engine import Session, SessionOptions

    with Session(Path(root), default_plugins(), SessionOptions(clock=ScaledClock(scale))) as session:
        applier = session.applier()
        applier.reconcile()
        report = applier.apply(session.plan())
    if report.failed or report.unknown:
        raise SystemExit(f"{len(report.failed)} failed, {len(report.unknown)} unknown: {report.failed[:3]}")


def write_workspace(root: Path, contacts: int, clients: int, seed: int, vendors: list[dict[str, Any]]) -> None:
    rnd = random.Random(seed)
    (root / "hub.yaml").write_text("version: 1\ntimezone: Europe/London\n")
    per = [contacts // clients + (1 if i < contacts % clients else 0) for i in range(clients)]
    serial = 0
    for i in range(clients):
        provider = PROVIDERS[i % len(PROVIDERS)]
        folder = root / "clients" / f"client-{i:02d}"
        (folder / "campaigns").mkdir(parents=True)
        settings = "".join(f"    {k}: {v}\n" for k, v in vendors[i]["settings"].items() if k != "api_key")
        (folder / "client.yaml").write_text(
            f"name: Client {i}\ncountry: GB\nbrand:\n  sender_name: Client {i}\n"
            f"  sender_email: hello@client{i}.example\n  footer_address: 1 High St, Bristol\n"
            f"accounts:\n  email:\n    provider: {provider}\n    api_key: env:BENCH_KEY_{i}\n{settings}")
        (folder / "audience.yaml").write_text(AUDIENCE)
        (folder / "campaigns" / "winter-news.yaml").write_text(CAMPAIGN)
        lines = ["email,phone,first_name,last_name,lists,tags,email_consent,sms_consent,favourite,visits,born"]
        household = ""
        for _ in range(per[i]):
            serial += 1
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            phone = ""
            if rnd.random() < 0.3:  # some households share one phone
                phone = household if household and rnd.random() < 0.2 else f"+447912{rnd.randrange(10**6):06d}"
                household = phone
            lists = ";".join(rnd.sample(["newsletter", "customers", "events"], rnd.randint(1, 2)))
            tags = rnd.choice(["", "", "vip", "wholesale", "vip;wholesale"])
            sms = rnd.choice(["subscribed", "unsubscribed"]) if phone else ""
            birthday = f"19{rnd.randint(40, 99)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}" \
                if rnd.random() < 0.5 else ""
            cells = [_address(serial, last, rnd), phone, first, last, lists, tags,
                     rnd.choice(STATUSES), sms, rnd.choice(LOAVES), str(rnd.randint(0, 300)), birthday]
            lines.append(",".join(_csv_cell(c) for c in cells))
        (folder / "contacts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _address(serial: int, last: str, rnd: random.Random) -> str:
    """ASCII before the '@' (as vendors require), sometimes capitals or an internationalised domain."""
    local = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode().lower()
    local = "".join(c for c in local if c.isalnum()) or "x"
    domain = rnd.choice(["example.com", "example.com", "example.org", "bäckerei.example"])
    address = f"p{serial:06d}.{local}@{domain}"
    return address.upper() if rnd.random() < 0.05 else address


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


PROFILES: Path | None = None  # --profile DIR: each hub command also writes DIR/<command>.prof (cProfile)


def hub(root: Path, *args: str, env: dict[str, str]) -> tuple[float, float, str, str]:
    """Run `hub ARGS` in a process of its own: (seconds, its peak RSS in MB, stdout, stderr)."""
    profile = ["-m", "cProfile", "-o", str(PROFILES / f"{'-'.join(a.strip('-') for a in args[:2])}.prof")] \
        if PROFILES else []
    return run([sys.executable, *profile, "-m", "hub", *args, "-w", str(root)], env)


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, str, str]:
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, text=True, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this process's own figures, not every child's so far
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[2:])} exited {proc.returncode}:\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout, stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contacts", type=int, default=64_000)
    ap.add_argument("--clients", type=int, default=12)
    ap.add_argument("--time-scale", type=float, default=5000.0, help="vendor seconds per real second (the apply)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, default=None, help="build the workspace here and keep it")
    ap.add_argument("--profile", type=Path, default=None, help="write a cProfile of each hub command here")
    ap.add_argument("--hold", action="store_true",
                    help="after the figures, keep the simulators up (Enter stops them): time commands by hand")
    args = ap.parse_args()
    global PROFILES
    PROFILES = args.profile

    tmp = Path(tempfile.mkdtemp(prefix="big-agency-"))
    root = args.keep or tmp
    if args.keep and args.keep.exists():
        shutil.rmtree(args.keep)
    root.mkdir(parents=True, exist_ok=True)
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=serve_vendors, args=(child, args.clients, args.time_scale))
    server.start()
    try:
        vendors = parent.recv()
        write_workspace(root, args.contacts, args.clients, args.seed, vendors)
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
        env.update({f"BENCH_KEY_{i}": v["settings"]["api_key"] for i, v in enumerate(vendors)})
        validate_s, rss_validate, _, _ = hub(root, "validate", env=env)
        warm_validate_s, _, _, _ = hub(root, "validate", env=env)  # the checked contacts kept by the first
        plan_file = root / "first.plan"
        plan_s, rss_plan, _, _ = hub(root, "plan", "--out", str(plan_file), env=env)
        plan_bytes = sum(p.stat().st_size for p in root.glob("first.plan*"))
        apply_s, rss_apply, _, _ = run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(BENCH)!r});"
                                        f" import big_agency; big_agency.apply_all({str(root)!r}, {args.time_scale})"],
                                       env)
        noop_plan_s, rss_noop, noop, _ = hub(root, "plan", "--json", env=env)
        doc = json.loads(noop)
        summary = doc["summary"]
        left = [f"{c['client']} {c['kind']}:{c['id']} {c['action']} ({c.get('reason', '')[:120]})"
                for client in doc["clients"] for c in client["changes"] if c["action"] != "noop"]
        _, _, _, logged = hub(root, "-v", "plan", env=env)  # hub's request log: what a plan reads
        noop_reads = sum(1 for line in logged.splitlines() if " -> " in line)
        status_s, rss_status, _, _ = hub(root, "status", "--json", env=env)
        if args.hold:
            (root / "bench.env").write_text("".join(f"export BENCH_KEY_{i}={v['settings']['api_key']}\n"
                                                    for i, v in enumerate(vendors)))
            print(f"simulators up; workspace {root} (source its bench.env); Enter stops them", file=sys.stderr)
            sys.stdin.readline()
    finally:
        parent.send("stop")
        server.join()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({
        "contacts": args.contacts, "clients": args.clients,
        "validate_s": round(validate_s, 2), "warm_validate_s": round(warm_validate_s, 2),
        "plan_s": round(plan_s, 2), "noop_plan_s": round(noop_plan_s, 2),
        "status_s": round(status_s, 2), "plan_file_mb": round(plan_bytes / 2**20, 2),
        "peak_rss_mb": round(max(rss_validate, rss_plan, rss_noop, rss_status), 1),
        "noop_changes": {k: v for k, v in summary.items() if k != "noop" and v}, "noop_left": left[:5],
        "noop_reads": noop_reads,
        "apply_s": round(apply_s, 1), "apply_rss_mb": round(rss_apply, 1), "time_scale": args.time_scale}))


if __name__ == "__main__":
    main()
