"""`hub import` of a Mailchimp account (the yoga studio): tags as lists, merge fields, a saved segment with its
conditions, the scheduled campaign with its social card, cleaned members kept bounced; the next plan has nothing
to do."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from cli_helpers import simulator
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
from hub_mailchimp.simulator import MailchimpSimulator


def test_import_yoga_studio_mailchimp_then_nothing_to_do(agency: Path,  # noqa: F811
                                                        capsys: pytest.CaptureFixture[str],
                                                        vendor_log: list[LogEntry]) -> None:  # noqa: F811
    apply(capsys, agency, "yoga-studio")
    with simulator(agency, MailchimpSimulator, "yoga-studio", "mailchimp") as sim:  # the welcome series, by hand
        sim.add_classic_automation("sandbox", sim.SANDBOX_AUDIENCE, title="Welcome series")
    wipe(agency, "yoga-studio")
    vendor_log.clear()
    done = import_(capsys, agency, "yoga-studio", "mailchimp")
    assert done.code == 0, done.err
    assert [e for e in vendor_log if e.is_write] == []

    after = plan(capsys, agency, "yoga-studio")
    assert_nothing_to_do(after)
    kinds = {(c["kind"], c["id"]) for c in changes(after)}
    assert {("list", "members"), ("field", "level"), ("segment", "advanced-members"),
            ("email_campaign", "summer-retreat"), ("automation", "welcome-series")} <= kinds
    folder = agency / "clients" / "yoga-studio"
    audience = yaml.safe_load((folder / "audience.yaml").read_text())
    [segment] = audience["segments"]
    assert segment["rules"] == [{"list": "members"}, {"field": "level", "op": "equals", "value": "advanced"}]
    rows = {r["email"]: r for r in csv.DictReader((folder / "contacts.csv").open(encoding="utf-8"))}
    assert rows["ines.costa@example.com"]["first_name"] == "Inês"  # accents kept
    assert rows["moved.away@example.com"]["email_consent"] == "unsubscribed"
    assert rows["old.inbox@example.com"]["email_consent"] == "bounced"  # Mailchimp's "cleaned"
    campaign = yaml.safe_load((folder / "campaigns" / "summer-retreat.yaml").read_text())
    assert campaign["social"]["accounts"] == ["mailchimp"] and campaign["audience"] == {"list": "members"}
