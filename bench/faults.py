"""The example agency applied against simulators that misbehave: nothing twice, nothing half-made, nothing lost.

Each seed scaffolds the example agency, adds enrolments (a Mailchimp customer journey triggered through its
API, ActiveCampaign automation enrolments, Twilio Studio executions), turns on random faults in every
simulator (429, 500, 503, connections dropped before the vendor acts and after it acted without answering),
then applies as a user would until an apply ends clean: a write whose outcome the vendor cannot show is
settled the way a user would (looking in the vendor's UI: the simulator's own record). Then the faults stop
and the vendor state is checked against the workspace. Prints one JSON line:

- `runs`: seeds run; `converged`: runs whose last plan (faults off) has nothing to write and no drift;
- `duplicates`: objects, texts, enrolments or journey triggers that exist more than once;
- `half_made`: campaigns without their content or schedule, fields not on every list, orphaned messages;
- `lost`: contacts, enrolments, triggers or texts hub recorded (or the workspace wants) that the vendor lacks;
- `max_rounds`: applies a run needed until a plan had nothing left to do; `resolved_by_user`: unknown outcomes
  the user settled; `writes_with_lost_answers` and `other_faults`: what the simulators injected.

    python bench/faults.py --seeds 20 --rate 0.3
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hub.clock import ScaledClock
from hub.errors import HubError
from hub.plugins import default_plugins
from hub.scaffold import init_workspace
from hub.sync.engine import Session, SessionOptions
from hub.sync.plan import build_refs

MAX_ROUNDS = 10
ENROLLED_BY_JOURNEY = "welcome-series"


def prepare(root: Path) -> None:
    """The example agency, with every automation that can enrol contacts enrolling some."""
    init_workspace(root)
    blueprint = root / "blueprints" / "welcome-series.yaml"
    text = blueprint.read_text()
    trigger = '    trigger:\n      joined_list: "{{ vars.list }}"\n'
    assert trigger in text, "the welcome-series blueprint changed: update the benchmark"
    blueprint.write_text(text.replace(trigger, trigger + '    enrol:\n      list: "{{ vars.list }}"\n'))
    club = root / "clients" / "bakery" / "automations" / "text-club.yaml"
    club.write_text(club.read_text() + "\nenrol:\n  list: newsletter\n")


def build_by_hand(root: Path, clock: ScaledClock) -> None:
    """What the consultant builds in the vendors' UIs (the simulators' control actions), then binds."""
    from hub_mailchimp.simulator import MailchimpSimulator as Mc

    with Session(root, default_plugins(), SessionOptions(sandbox=True, clock=clock)) as s:
        sims = s.sandbox.simulators  # type: ignore[union-attr]
        journey = sims[("yoga-studio", "mailchimp")].add_journey(Mc.SANDBOX_ACCOUNT, "Welcome series",
                                                                 Mc.SANDBOX_AUDIENCE)
        sims[("law-firm", "activecampaign")].add_automation("sandbox", "Consultation follow-up")
    client = root / "clients" / "yoga-studio" / "client.yaml"
    client.write_text(client.read_text().replace(
        "    audience_id: 4f2a9c1d7e", "    audience_id: 4f2a9c1d7e\n    journeys:\n      welcome-series:"
        f" {{journey_id: {journey['journey_id']}, step_id: {journey['step_id']}}}", 1))


def one_round(root: Path, clock: ScaledClock, rate: float, seed: int, faults: Counter[str]) -> tuple[bool, int]:
    """One `hub apply --sandbox --yes` under faults: whether there was nothing left to do, and the unknown
    outcomes the user settled. `faults` counts what the simulators injected."""
    with Session(root, default_plugins(), SessionOptions(sandbox=True, clock=clock)) as s:
        sims = list(s.sandbox.simulators.values())  # type: ignore[union-attr]
        for i, sim in enumerate(sims):
            sim.fault_rate(rate, seed=seed * 1000 + i)
        applier = s.applier()
        try:
            applier.reconcile()
            plan = s.plan()
            report = applier.apply(plan)
            clean = not report.failed and not report.unknown and not any(a.error for a in plan.accounts)
        except HubError:
            plan, clean = None, False
        for entry in (e for sim in sims for e in sim.log if e.fault):
            faults["answers lost after the write" if entry.fault == "drop_after" and entry.is_write
                   else "other faults"] += 1
        resolved = settle_unknowns(s)
        return clean and plan is not None and not plan.writes, resolved


def settle_unknowns(s: Session) -> int:
    """The consultant looks at the journey's report in Mailchimp and runs `hub resolve`."""
    sims = s.sandbox.simulators  # type: ignore[union-attr]
    done = 0
    for rec in s.state.items():
        if "unknown" not in rec.data or rec.kind != "enrolment" or rec.provider != "mailchimp":
            continue
        email = rec.neutral_id.split("/", 1)[1]
        triggered = {t["email_address"] for j in sims[(rec.client, rec.account)].journeys()
                     for t in sims[(rec.client, rec.account)].journey_triggers("sandbox", j["id"])}
        s.state.resolve(rec, done=email in triggered)
        done += 1
    return done


def final_plan(root: Path, clock: ScaledClock) -> dict[str, Any]:
    with Session(root, default_plugins(), SessionOptions(sandbox=True, clock=clock)) as s:
        for sim in s.sandbox.simulators.values():  # type: ignore[union-attr]
            sim.fault_rate(0)
        plan = s.plan()
        checks = inspect(s)
    writes = [c for c in plan.changes if c.writes or c.drift]
    checks["converged"] = not writes and not any(a.error for a in plan.accounts)
    checks["left"] = [f"{c.client}/{c.kind}/{c.id}: {c.action} {c.reason}" for c in writes][:5]
    return checks


def inspect(s: Session) -> dict[str, Any]:
    """Count what the simulated vendors hold twice, half-made, or not at all."""
    sims = s.sandbox.simulators  # type: ignore[union-attr]
    clients = s.workspace.clients
    dup: Counter[str] = Counter()
    half: Counter[str] = Counter()
    lost: Counter[str] = Counter()

    def twice(what: str, names: list[Any]) -> None:
        dup[what] += sum(n - 1 for n in Counter(names).values() if n > 1)

    def missing(what: str, want: set[str], have: set[str]) -> None:
        lost[what] += len(want - have)

    # bakery: MailerLite + Twilio
    ml, tw = sims[("bakery", "mailerlite")], sims[("bakery", "sms")]
    bakery = clients["bakery"]
    twice("mailerlite groups", [g["name"] for g in ml.groups()])
    twice("mailerlite fields", [f["name"] for f in ml.fields()])
    twice("mailerlite campaigns", [c["name"] for c in ml.campaigns()])
    half["mailerlite campaigns not ready"] += sum(1 for c in ml.campaigns() if c["status"] == "draft"
                                                  and _scheduled(bakery, c["name"]))
    missing("mailerlite contacts", {c.email for c in bakery.audience.contacts if c.email},
            {x["email"] for x in ml.subscribers()})
    texts = [(m["to"], m["body"]) for m in tw.messages() if m["status"] != "canceled"]
    twice("texts", texts)
    twice("studio executions", [(e["flow_sid"], e["contact_channel_address"]) for e in tw.executions()])
    sent = {m["sid"] for m in tw.messages()}
    for campaign in bakery.campaigns:
        rows = s.state.deliveries("bakery", "sms", campaign.id)
        missing("texts", {d.message_id for d in rows.values() if d.message_id}, sent)
    executed = {e["contact_channel_address"] for e in tw.executions()}
    missing("studio executions", {r.natural_key for r in s.state.items("bakery", "sms", "enrolment")}, executed)

    # yoga-studio: Mailchimp
    mc = sims[("yoga-studio", "mailchimp")]
    yoga = clients["yoga-studio"]
    twice("mailchimp segments and tags", [x["name"] for x in mc.segments()])
    twice("mailchimp merge fields", [f["tag"] for f in mc.merge_fields()])
    twice("mailchimp campaigns", [c["settings"]["title"] for c in mc.campaigns()])
    for c in mc.campaigns():
        if not c["content"]["html"] or (_scheduled(yoga, c["settings"]["title"]) and c["status"] == "save"):
            half["mailchimp campaigns without content or schedule"] += 1
    missing("mailchimp members", {c.email.lower() for c in yoga.audience.contacts if c.email},
            {m["email_address"] for m in mc.members()})
    triggers = [t["email_address"] for j in mc.journeys() for t in mc.journey_triggers("sandbox", j["id"])]
    twice("journey triggers", triggers)
    automation = next(a for a in yoga.automations if a.id == ENROLLED_BY_JOURNEY)
    missing("journey triggers", set(yoga.enrolled(automation)), set(triggers))

    # law-firm: ActiveCampaign
    ac = sims[("law-firm", "activecampaign")]
    law = clients["law-firm"]
    twice("activecampaign lists", [x["name"] for x in ac.lists()])
    twice("activecampaign tags", [t["tag"].lower() for t in ac.tags()])
    twice("activecampaign fields", [f["perstag"] for f in ac.fields()])
    twice("activecampaign campaigns", [c["name"] for c in ac.campaigns()])
    account = next(a for a in s.accounts if a.key == ("law-firm", "activecampaign"))
    fields = account.provider.resource("field").read_live(build_refs(s.state, account))
    half["activecampaign fields not on every list"] += sum(1 for f in fields.values() if not f.payload["all_lists"])
    used = {m for c in ac.campaigns() for m in c["messages"]}
    half["activecampaign orphaned messages"] += sum(1 for m in ac.messages() if m["id"] not in used)
    twice("activecampaign enrolments", [(e["email"], e["automation"]) for e in ac.enrolments()])
    follow_up = next(a for a in law.automations if a.enrol is not None)
    missing("activecampaign enrolments", set(law.enrolled(follow_up)), {e["email"] for e in ac.enrolments()})
    missing("activecampaign contacts", {c.email for c in law.audience.contacts if c.email},
            {c["email"] for c in ac.contacts()})
    return {"duplicates": dup, "half_made": half, "lost": lost}


def _scheduled(client: Any, name: str) -> bool:
    return any(c.name == name and c.schedule.mode in ("at", "now") for c in client.campaigns)


def run(seed: int, rate: float, scale: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "agency"
        clock = ScaledClock(scale)
        prepare(root)
        build_by_hand(root, clock)
        rounds = resolved = 0
        faults: Counter[str] = Counter()
        for rounds in range(1, MAX_ROUNDS + 1):
            clean, settled = one_round(root, clock, rate, seed * 100 + rounds, faults)
            resolved += settled
            if clean:
                break
        result = final_plan(root, clock)
    result.update(rounds=rounds, resolved_by_user=resolved, faults=faults)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--rate", type=float, default=0.3, help="fraction of requests answered with a fault")
    ap.add_argument("--time-scale", type=float, default=600.0, help="vendor seconds per real second")
    ap.add_argument("--verbose", action="store_true", help="print each run's findings on stderr")
    args = ap.parse_args()
    started = time.monotonic()
    totals: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    converged = rounds = resolved = 0
    for seed in range(1, args.seeds + 1):
        r = run(seed, args.rate, args.time_scale)
        faults += r["faults"]
        converged += r["converged"]
        rounds = max(rounds, r["rounds"])
        resolved += r["resolved_by_user"]
        for key in ("duplicates", "half_made", "lost"):
            totals[key] += sum(r[key].values())
        if args.verbose or not r["converged"] or any(sum(r[k].values()) for k in ("duplicates", "half_made", "lost")):
            print(json.dumps({"seed": seed, **{k: {n: v for n, v in r[k].items() if v}
                                               for k in ("duplicates", "half_made", "lost")},
                              "converged": r["converged"], "left": r["left"], "rounds": r["rounds"]}), file=sys.stderr)
    print(json.dumps({"runs": args.seeds, "converged": converged, "duplicates": totals["duplicates"],
                      "half_made": totals["half_made"], "lost": totals["lost"], "rate": args.rate,
                      "max_rounds": rounds, "resolved_by_user": resolved,
                      "writes_with_lost_answers": faults["answers lost after the write"],
                      "other_faults": faults["other faults"],
                      "wall_s": round(time.monotonic() - started, 1)}))


if __name__ == "__main__":
    main()
