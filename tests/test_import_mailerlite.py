"""`hub import` of a MailerLite account (the bakery): groups, fields, segments verified by name, contacts with their
consent, the scheduled campaign, the automation built in MailerLite's UI; the next plan has nothing to do."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from cli_helpers import hub, simulator
from test_import_common import (
    agency,  # noqa: F401  (a fixture)
    apply,
    assert_nothing_to_do,
    changes,
    import_,
    plan,
    vendor_log,  # noqa: F401  (a fixture)
    wipe,
)

from hub.simulator.request_log import LogEntry
from hub_mailerlite.simulator import MailerLiteSimulator

MESSY = """
  - email: zoe.angstrom@example.com
    first_name: Zoë
    last_name: Ångström-Núñez
    lists: [newsletter]
    fields: {favourite_loaf: "pain de campagne, bien cuit"}
"""


def build_by_hand(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    """What the bakery's consultant built in MailerLite's UI after hub's build sheets: the segment, and the
    welcome series exactly as the plan describes it."""
    saved = root / "plan.json"
    assert plan(capsys, root, "bakery", "--out", str(saved))
    import json

    doc = json.loads(saved.read_text())
    [auto] = [c for c in changes(doc) if c["kind"] == "automation" and c["account"] == "mailerlite"]
    with simulator(root, MailerLiteSimulator, "bakery", "mailerlite") as sim:
        groups = {g["name"]: g["id"] for g in sim.call("GET", "/api/groups?limit=100", account="sandbox").body["data"]}
        sim.add_automation("sandbox", auto["natural_key"], groups["Newsletter"], auto["payload"]["steps"])
        sim.add_segment("sandbox", "Sourdough fans")


def test_import_bakery_mailerlite_then_nothing_to_do(agency: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
                                                    vendor_log: list[LogEntry]) -> None:  # noqa: F811
    audience = agency / "clients" / "bakery" / "audience.yaml"
    audience.write_text(audience.read_text().rstrip() + "\n" + MESSY)
    apply(capsys, agency, "bakery")
    build_by_hand(capsys, agency)
    before = plan(capsys, agency, "bakery")
    assert [c for c in changes(before) if c["action"] != "noop"] == []  # built as described: all verified
    wipe(agency, "bakery")
    vendor_log.clear()

    done = import_(capsys, agency, "bakery", "mailerlite")
    assert done.code == 0, done.err
    assert [e for e in vendor_log if e.is_write] == []  # import only reads the vendor
    assert "The next `hub plan` shows no changes" in done.err

    after = plan(capsys, agency, "bakery")
    assert_nothing_to_do(after)
    kinds = {(c["kind"], c["id"]) for c in changes(after)}
    assert {("segment", "sourdough-fans"), ("automation", "welcome-series"), ("list", "newsletter"),
            ("email_campaign", "spring-sourdough-launch"), ("field", "favourite_loaf")} <= kinds

    folder = agency / "clients" / "bakery"
    rows = {r["email"]: r for r in csv.DictReader((folder / "contacts.csv").open(encoding="utf-8"))}
    assert rows["former.customer@example.com"]["email_consent"] == "unsubscribed"
    assert rows["bounced.address@example.com"]["email_consent"] == "bounced"
    assert rows["amelia.hart@example.com"]["sms_consent"] == "subscribed"  # MailerLite's SMS consent field
    assert (rows["zoe.angstrom@example.com"]["first_name"], rows["zoe.angstrom@example.com"]["last_name"]) == (
        "Zoë", "Ångström-Núñez")
    assert rows["zoe.angstrom@example.com"]["favourite_loaf"] == "pain de campagne, bien cuit"
    # the blueprint's welcome series is not written again; the built automation is verified through it
    assert not (folder / "automations" / "welcome-series.yaml").exists()
    campaign = (folder / "campaigns" / "spring-sourdough-launch.yaml").read_text()
    assert '{{ first_name | default("friend") }}' in campaign and "{{ unsubscribe_url }}" in campaign
    # a second apply writes nothing at MailerLite
    vendor_log.clear()
    assert hub_apply_writes(capsys, agency) == 0
    assert [e for e in vendor_log if e.is_write] == []


def hub_apply_writes(capsys: pytest.CaptureFixture[str], root: Path) -> int:
    done = hub(capsys, "apply", "-w", str(root), "--sandbox", "-c", "bakery", "--yes", "--json")
    assert done.code == 0, done.err
    return sum(1 for c in changes(done.json()) if c["action"] in ("create", "update", "delete"))


def test_subscribers_in_no_group_are_imported_too(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    """A new client's account often holds only subscribers (no group, no custom field): they are its audience."""
    folder = agency / "clients" / "shop"
    folder.mkdir()
    (folder / "client.yaml").write_text("name: Shop\nbrand: {sender_name: Shop, sender_email: hi@shop.example}\n"
                                        "accounts:\n  mailerlite: {provider: mailerlite, api_key: env:SHOP_KEY}\n")
    with simulator(agency, MailerLiteSimulator, "shop", "mailerlite") as sim:
        state = sim.account_state("sandbox")
        sim.upsert(state, {"email": "ana@example.com", "fields": {"name": "Ana"}})
        sim.upsert(state, {"email": "ben@example.com", "status": "unsubscribed"})
    done = import_(capsys, agency, "shop", "mailerlite")
    assert done.code == 0, done.err
    with (folder / "contacts.csv").open() as fh:
        rows = {r["email"]: r for r in csv.DictReader(fh)}
    assert (rows["ana@example.com"]["first_name"], rows["ben@example.com"]["email_consent"]) == ("Ana", "unsubscribed")
    assert_nothing_to_do(plan(capsys, agency, "shop"))
