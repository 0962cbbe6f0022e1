"""`hub import` of an ActiveCampaign account (the law firm): lists by their stringid, tags, fields, a segment and an
automation built in the UI (verified by name), a scheduled and a draft campaign; the next plan has nothing to do."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
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
from hub_activecampaign.simulator import ActiveCampaignSimulator


def test_import_law_firm_activecampaign_then_nothing_to_do(agency: Path,  # noqa: F811
                                                          capsys: pytest.CaptureFixture[str],
                                                          vendor_log: list[LogEntry]) -> None:  # noqa: F811
    apply(capsys, agency, "law-firm")
    with simulator(agency, ActiveCampaignSimulator, "law-firm", "activecampaign") as sim:  # built in the UI
        sim.add_segment("sandbox", "Estate planning clients")
        sim.add_automation("sandbox", "Consultation follow-up")
    wipe(agency, "law-firm")
    vendor_log.clear()
    done = import_(capsys, agency, "law-firm", "activecampaign")
    assert done.code == 0, done.err
    assert [e for e in vendor_log if e.is_write] == []

    after = plan(capsys, agency, "law-firm")
    assert_nothing_to_do(after)
    kinds = {(c["kind"], c["id"]) for c in changes(after)}
    assert {("list", "client-updates"), ("list", "webinars"), ("tag", "estate-planning"), ("field", "practice_area"),
            ("segment", "estate-planning-clients"), ("automation", "consultation-follow-up"),
            ("email_campaign", "estate-planning-update"), ("email_campaign", "small-business-webinar-invitation"),
            } <= kinds
    folder = agency / "clients" / "law-firm"
    rows = {r["email"]: r for r in csv.DictReader((folder / "contacts.csv").open(encoding="utf-8"))}
    assert rows["former.client@example.com"]["email_consent"] == "unsubscribed"
    assert rows["david.kim@example.com"]["tags"].split(";") == ["business-law", "consultation-booked"]
    draft = (folder / "campaigns" / "small-business-webinar-invitation.yaml").read_text()
    assert "schedule: draft" in draft and "{{ first_name }}" in draft
    assert "placeholder" in (folder / "automations" / "consultation-follow-up.yaml").read_text()
