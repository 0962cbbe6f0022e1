"""The command line as a user and a script see it: exit codes, JSON keys, files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_helpers import hub

from hub.clock import SYSTEM_CLOCK, FakeClock
from hub.plugins import make_plugins


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


def test_init_then_validate_exits_0(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "validate", "-w", str(agency), "--json")
    assert result.code == 0, result.err
    assert result.json()["valid"] is True


def test_validate_finds_the_workspace_from_a_subdirectory(agency: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(agency / "clients" / "bakery")
    assert hub(capsys, "validate").code == 0


def test_invalid_workspace_exits_4_with_every_problem_located(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    campaign = agency / "clients" / "bakery" / "campaigns" / "spring-launch.yaml"
    campaign.write_text(campaign.read_text().replace("subject:", "subjet:", 1))
    client = agency / "clients" / "bakery" / "client.yaml"
    literal = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.abc"
    client.write_text(client.read_text().replace("env:BAKERY_MAILERLITE_KEY", literal))
    result = hub(capsys, "validate", "-w", str(agency))
    assert result.code == 4
    assert "clients/bakery/campaigns/spring-launch.yaml:" in result.err and "did you mean 'subject'" in result.err
    assert "clients/bakery/client.yaml:" in result.err and "env:" in result.err
    assert "eyJ0eXAiOiJKV1Qi" not in result.err + result.out  # the refused secret is not echoed back
    assert hub(capsys, "plan", "-w", str(agency), "--sandbox").code == 4  # nothing is planned or sent


def test_plan_apply_plan_again_in_the_sandbox(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "bakery", "--json")
    assert plan.code == 0, plan.err
    doc = plan.json()
    assert doc["summary"]["create"] > 0
    [bakery] = doc["clients"]
    assert bakery["client"] == "bakery"
    for change in bakery["changes"]:
        assert {"client", "provider", "kind", "id", "action", "fidelity"} <= set(change)
        assert change["fidelity"] == "exact" or change["reason"]
    kinds = {c["kind"] for c in bakery["changes"] if c["action"] == "create"}
    assert {"list", "field", "contact", "email_campaign"} <= kinds

    applied = hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", "bakery", "--yes", "--json")
    assert applied.code == 0, applied.err
    created = [c for c in applied.json()["clients"][0]["changes"] if c["action"] == "create"]
    assert {c["result"] for c in created} == {"ok"}
    assert all(c.get("vendor_id") for c in created if c["id"] != "*")
    # the contacts are one entry: how many, a sample of them, and each outcome counted
    [contacts] = [c for c in created if c["kind"] == "contact"]
    assert contacts["id"] == "*" and contacts["results"] == {"ok": contacts["count"]} and contacts["failed"] == []
    assert "amelia.hart@example.com" in contacts["sample"] and contacts["count"] >= 5

    again = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "bakery", "--json").json()
    assert [again["summary"][a] for a in ("create", "update", "delete")] == [0, 0, 0]

    # someone renames a group in the vendor's UI: the next plan shows it as drift
    from hub_mailerlite.simulator import MailerLiteSimulator

    state_file = agency / ".hub" / "sandbox" / "bakery" / "mailerlite.json"
    sim = MailerLiteSimulator(SYSTEM_CLOCK, state_file=state_file)
    sim.start()
    gid = next(g["id"] for g in sim.groups("sandbox") if g["name"] == "Newsletter")
    sim.call("PUT", f"/api/groups/{gid}", {"name": "Newsletter (old)"}, account="sandbox")
    sim.stop()
    drift = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "bakery", "--json").json()
    [change] = [c for c in drift["clients"][0]["changes"] if c["drift"]]
    assert (change["kind"], change["id"], change["action"]) == ("list", "newsletter", "update")
    assert "Newsletter (old)" in change["reason"]
    assert drift["summary"]["drift"] == 1

    status = hub(capsys, "status", "-w", str(agency), "--sandbox", "-c", "bakery", "--json").json()
    rows = {r["account"]: r for r in status["clients"]}  # one row per client and account
    assert rows["mailerlite"]["drift"] == 1 and rows["mailerlite"]["last_apply"]
    assert rows["sms"]["drift"] == 0 and rows["sms"]["pending"] == 0


def test_saved_plan_applies_exactly_and_refuses_when_stale(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_file = agency / "plan.json"
    assert hub(capsys, "plan", "-w", str(agency), "--sandbox", "--out", str(plan_file)).code == 0
    stale_copy = agency / "stale.json"
    shutil.copy(plan_file, stale_copy)
    result = hub(capsys, "apply", "-w", str(agency), "--sandbox", "--plan", str(plan_file), "--yes", "--json")
    assert result.code == 0, result.err
    refused = hub(capsys, "apply", "-w", str(agency), "--sandbox", "--plan", str(stale_copy), "--yes")
    assert refused.code == 4 and "stale" in refused.err
    # editing the workspace also makes a plan stale
    assert hub(capsys, "plan", "-w", str(agency), "--sandbox", "--out", str(plan_file)).code == 0
    audience = agency / "clients" / "bakery" / "audience.yaml"
    audience.write_text(audience.read_text() + "\n# edited\n")
    refused = hub(capsys, "apply", "-w", str(agency), "--sandbox", "--plan", str(plan_file), "--yes")
    assert refused.code == 4 and "workspace files changed" in refused.err


def test_apply_without_yes_refuses_when_not_interactive(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "apply", "-w", str(agency), "--sandbox")
    assert result.code == 2 and "--yes" in result.err


def test_unknown_client_is_a_usage_problem(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "bakry")
    assert result.code == 2 and "bakery" in result.err


def test_providers_list_and_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    listed = hub(capsys, "providers", "list", "--json").json()
    names = [p["name"] for p in listed["providers"]]
    assert "mailerlite" in names
    ml = next(p for p in listed["providers"] if p["name"] == "mailerlite")
    assert ml["capabilities"]["segments"]["fidelity"] == "manual"
    assert ml["capabilities"]["tags"]["fidelity"] == "approximated"
    assert ml["capabilities"]["sms_campaigns"]["fidelity"] == "unsupported"
    shown = hub(capsys, "providers", "show", "mailerlite", "--json").json()
    assert shown["settings"]["api_key"]["secret"] is True
    assert {"bucket": "default", "requests": 120, "per_seconds": 60.0} in shown["limits"]["rate"]
    missing = hub(capsys, "providers", "show", "nope")
    assert missing.code == 2 and "mailerlite" in missing.err  # a usage error, listing what is installed


def test_plan_with_no_stdout_noise_in_json(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "plan", "-w", str(agency), "--sandbox", "--json")
    json.loads(result.out)  # stdout is exactly one JSON document


def test_vendor_down_exits_5_and_names_the_client(agency: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BAKERY_MAILERLITE_KEY", "not-a-real-key")
    monkeypatch.setenv("BAKERY_TWILIO_TOKEN", "not-a-real-token")
    monkeypatch.setattr("hub.sync.engine.SYSTEM_CLOCK", FakeClock())  # retries back off without waiting
    client = agency / "clients" / "bakery" / "client.yaml"
    client.write_text(client.read_text().replace("provider: mailerlite",
                                                 "provider: mailerlite\n    base_url: http://127.0.0.1:9/api")
                      .replace("provider: sms ", "provider: sms\n    base_url: http://127.0.0.1:9\n   "))
    result = hub(capsys, "plan", "-w", str(agency), "-c", "bakery", "--json")
    assert result.code == 5
    assert "bakery/mailerlite" in result.err


def test_registry_has_what_the_cli_lists() -> None:
    assert "mailerlite" in make_plugins().registry.names()


def test_partial_failure_exits_3_naming_each_failed_item(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import yaml_writer

    from hub.simulator import Fault
    from hub_testvendor.simulator import TestvendorSimulator

    sim = TestvendorSimulator(FakeClock())
    base_url = sim.start()
    monkeypatch.setenv("ACME_KEY", "test-key")
    monkeypatch.setattr("hub.sync.engine.SYSTEM_CLOCK", FakeClock())
    yaml_writer.write(tmp_path / "hub.yaml", {"version": 1})
    client = tmp_path / "clients" / "acme"
    yaml_writer.write(client / "client.yaml", {
        "name": "Acme", "brand": {"sender_name": "Acme", "sender_email": "a@acme.example"},
        "accounts": {"main": {"provider": "testvendor", "api_key": "env:ACME_KEY", "base_url": base_url}}})
    yaml_writer.write(client / "audience.yaml", {"lists": [{"id": "news", "name": "News"}]})
    for name in ("first", "second"):
        yaml_writer.write(client / "campaigns" / f"{name}.yaml", {
            "name": name.title(), "audience": {"list": "news"},
            "email": {"subject": "Hi", "body_markdown": "[unsubscribe]({{ unsubscribe_url }})"}})
    sim.inject(Fault("status", status=422, count=1, method="POST", path_prefix="/campaigns"))
    try:
        result = hub(capsys, "apply", "-w", str(tmp_path), "--yes", "--json")
        assert result.code == 3
        failed = [c for c in result.json()["clients"][0]["changes"] if c["result"] == "failed"]
        assert [(c["kind"], c["result"]) for c in failed] == [("email_campaign", "failed")]
        assert f"email_campaign {failed[0]['id']}" in result.err
        assert hub(capsys, "apply", "-w", str(tmp_path), "--yes").code == 0  # the rerun finishes the job
        assert sorted(c["name"] for c in sim.items("campaigns")) == ["First", "Second"]
    finally:
        sim.stop()


def test_a_past_schedule_is_fine_once_the_campaign_was_sent(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hub.state import StateStore

    campaign = agency / "clients" / "bakery" / "campaigns" / "spring-launch.yaml"
    text = campaign.read_text()
    import re

    campaign.write_text(re.sub(r"at: \"?[0-9-]+ [0-9:]+\"?", 'at: "2020-01-06 09:00"', text))
    result = hub(capsys, "validate", "-w", str(agency))
    assert result.code == 4 and "spring-launch.yaml" in result.err and "past" in result.err
    state = StateStore(agency / ".hub" / "state.db")  # what an apply records when it schedules the campaign
    [jid] = state.begin("r", "bakery", "mailerlite", "mailerlite", "email_campaign",
                        [("spring-launch", "create", "Spring launch", "fp")])
    from hub.state.store import Settlement

    state.settle([Settlement(jid, "ok", "123", data={"send_at": "2020-01-06T09:00:00Z"})])
    state.close()
    assert hub(capsys, "validate", "-w", str(agency)).code == 0


def test_yoga_studio_on_mailchimp_converges_in_the_sandbox(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "yoga-studio", "--json").json()
    creates = {c["kind"] for c in plan["clients"][0]["changes"] if c["action"] == "create"}
    assert {"list", "tag", "field", "segment", "contact", "email_campaign"} <= creates
    social = next(c for c in plan["clients"][0]["changes"] if c["kind"] == "email_campaign")
    assert social["fidelity"] == "approximated" and "social card" in social["reason"]
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", "yoga-studio", "--yes").code == 0
    again = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "yoga-studio", "--json").json()
    assert [again["summary"][a] for a in ("create", "update", "delete")] == [0, 0, 0]


# -- issue 9 ---------------------------------------------------------------------------------------------


def _break_law_firm_phone(agency: Path) -> tuple[str, int]:
    """Give one law-firm contact a phone that is not a number; returns where the problem is."""
    rel = "clients/law-firm/audience.yaml"
    audience = agency / rel
    text = audience.read_text().replace("    first_name: David\n", "    first_name: David\n    phone: '12345'\n", 1)
    audience.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "'12345'" in row)
    return rel, line


def test_one_clients_problems_do_not_block_the_other_clients(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel, line = _break_law_firm_phone(agency)
    where = f"{rel}:{line}"

    validated = hub(capsys, "validate", "-w", str(agency))
    assert validated.code == 4 and where in validated.err and "law-firm" in validated.err

    plan = hub(capsys, "plan", "-w", str(agency), "--sandbox", "--json")
    assert plan.code == 4, plan.err
    doc = plan.json()
    assert sorted(c["client"] for c in doc["clients"]) == ["bakery", "yoga-studio"]
    [refused] = [e for e in doc["errors"] if e["client"] == "law-firm"]
    assert refused["exit_code"] == 4 and where in refused["error"]
    assert "law-firm" in plan.err and where in plan.err

    applied = hub(capsys, "apply", "-w", str(agency), "--sandbox", "--yes", "--json")
    assert applied.code == 4, applied.err
    doc = applied.json()
    bakery = next(c for c in doc["clients"] if c["client"] == "bakery")
    assert {c["result"] for c in bakery["changes"] if c["action"] == "create"} == {"ok"}
    assert [e["client"] for e in doc["errors"]] == ["law-firm"]

    assert hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "bakery").code == 0  # a clean client alone
    alone = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "law-firm")
    assert alone.code == 4 and where in alone.out and "law-firm" in alone.err  # in the report, summed up on stderr


def test_a_workspace_level_problem_still_blocks_every_client(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (agency / "hub.yaml").write_text("version: 1\ntimezone: Europe/Lundon\n")
    result = hub(capsys, "plan", "-w", str(agency), "--sandbox", "--json")
    assert result.code == 4 and result.out == "" and "hub.yaml:2" in result.err


def test_warnings_are_printed_by_validate_and_plan_without_blocking(agency: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import re

    campaign = agency / "clients" / "bakery" / "campaigns" / "spring-launch.yaml"
    text = re.sub(r"at: \"?[0-9-]+ [0-9:]+\"?", 'at: "2099-10-25 01:30"', campaign.read_text())
    campaign.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if row.startswith("schedule:"))
    where = f"clients/bakery/campaigns/spring-launch.yaml:{line}"
    validated = hub(capsys, "validate", "-w", str(agency))
    assert validated.code == 0 and f"warning: {where}: 2099-10-25 01:30 happens twice" in validated.err
    planned = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "bakery", "--json")
    assert planned.code == 0 and f"warning: {where}" in planned.err
    json.loads(planned.out)  # stdout is still exactly the plan
