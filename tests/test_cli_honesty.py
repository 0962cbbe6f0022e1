"""What the command line tells a consultant: every reason visible, failures isolated per account and named,
summaries that count what the table shows, exit codes that mean what they say, tables that fit 80 columns."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
import yaml_writer
from cli_helpers import closed_port, hub

from hub.clock import FakeClock
from hub.simulator import Fault
from hub_testvendor.simulator import TestvendorSimulator


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


def _client(root: Path, name: str, key: str, base_url: str) -> None:
    yaml_writer.write(root / "clients" / name / "client.yaml", {
        "name": name.title(), "brand": {"sender_name": name.title(), "sender_email": f"hi@{name}.example"},
        "accounts": {"main": {"provider": "testvendor", "api_key": key, "base_url": base_url}}})
    yaml_writer.write(root / "clients" / name / "audience.yaml", {"lists": [{"id": "news", "name": "News"}]})


@pytest.fixture
def vendor(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestvendorSimulator]:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr("hub.sync.engine.SYSTEM_CLOCK", FakeClock())  # retries wait on a clock that never waits
    monkeypatch.setenv("GOOD_KEY", "test-key")
    sim = TestvendorSimulator(FakeClock())
    sim.start()
    yield sim
    sim.stop()


# 1. every distinct reason of a grouped row is visible
def test_a_grouped_row_shows_every_distinct_reason(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "law-firm")
    assert result.code == 0, result.err
    assert "other reasons" not in result.out
    flat = " ".join(result.out.split())
    assert "1 of 6: ActiveCampaign's API cannot mark a contact bounced" in flat


# 2. credentials: all missing ones at once; the other accounts go on; exit 3, each failed account named
def test_missing_and_refused_credentials_fail_only_their_accounts(tmp_path: Path, vendor: TestvendorSimulator,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BETA_KEY", raising=False)
    monkeypatch.delenv("DELTA_KEY", raising=False)
    monkeypatch.setenv("GAMMA_KEY", "a-wrong-key-123")
    yaml_writer.write(tmp_path / "hub.yaml", {"version": 1})
    for name, key in (("acme", "env:GOOD_KEY"), ("beta", "env:BETA_KEY"), ("delta", "env:DELTA_KEY"),
                      ("gamma", "env:GAMMA_KEY")):
        _client(tmp_path, name, key, vendor.base_url)

    table = hub(capsys, "plan", "-w", str(tmp_path))
    assert table.code == 3
    assert "client acme" in table.out and "news" in table.out  # the good account was planned
    assert "beta/main (testvendor) could not be planned" in table.out and "BETA_KEY" in table.out
    assert "gamma/main (testvendor) could not be planned: HTTP 401" in table.out
    assert "3 of 4 could not be planned (beta/main, delta/main, gamma/main)" in table.err
    assert "Missing credentials: set BETA_KEY, DELTA_KEY in the environment" in table.err  # all at once
    assert "a-wrong-key-123" not in table.out + table.err

    doc = hub(capsys, "plan", "-w", str(tmp_path), "--json")
    assert doc.code == 3
    plan = doc.json()
    errors = {e["client"]: e for e in plan["errors"]}
    assert set(errors) == {"beta", "delta", "gamma"}
    assert errors["beta"]["missing"] == ["env:BETA_KEY"] and errors["gamma"]["exit_code"] == 3
    assert [c["client"] for c in plan["clients"] if c["changes"]] == ["acme"]
    assert "beta/main" in doc.err and "BETA_KEY" in doc.err  # stderr says what failed, stdout stays JSON

    alone = hub(capsys, "plan", "-w", str(tmp_path), "-c", "acme")  # another client's missing key is no concern
    assert alone.code == 0, alone.err

    applied = hub(capsys, "apply", "-w", str(tmp_path), "--yes")
    assert applied.code == 3 and "the others were applied" in applied.err
    assert [item["name"] for item in vendor.items("lists")] == ["News"]  # acme's list, made despite the others


# 3. an unreachable vendor: said as such, never "no changes", status exits non-zero
def test_an_unreachable_vendor_is_named_and_never_reads_as_no_changes(tmp_path: Path, vendor: TestvendorSimulator,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    yaml_writer.write(tmp_path / "hub.yaml", {"version": 1})
    _client(tmp_path, "acme", "env:GOOD_KEY", vendor.base_url)
    port = closed_port()
    _client(tmp_path, "beta", "env:GOOD_KEY", f"http://127.0.0.1:{port}/v1")

    plan = hub(capsys, "plan", "-w", str(tmp_path))
    assert plan.code == 5, plan.err
    assert "client beta: no changes" not in plan.out
    assert re.search(rf"beta/main \(testvendor\) could not be planned: .*refused.*127\.0\.0\.1:{port}", plan.out)
    assert re.search(r"beta/main: .*refused.*retrying in", plan.err)  # progress while it retries

    applied = hub(capsys, "apply", "-w", str(tmp_path), "--yes")
    assert applied.code == 5 and "1 of 2 could not be planned (beta/main); the others were applied" in applied.err

    status = hub(capsys, "status", "-w", str(tmp_path))
    assert status.code == 5
    row = next(cells for line in status.out.splitlines() if (cells := line.replace("│", " ").split())[:2]
               == ["beta", "main"])
    assert "?" in row  # not "0 pending": nobody knows
    assert "beta/main: could not be read" in status.out
    doc = hub(capsys, "status", "-w", str(tmp_path), "--json")
    beta = next(r for r in doc.json()["clients"] if r["client"] == "beta")
    assert doc.code == 5 and beta["pending"] is None and "refused" in beta["error"]


# 4. -v is hub's request log; -vv adds the libraries'; both accepted after the subcommand
def test_verbosity_levels_and_flags_after_the_subcommand(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quiet = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "yoga-studio")
    assert quiet.code == 0 and " GET " not in quiet.err
    one = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "yoga-studio", "-v")
    assert one.code == 0, one.err
    lines = [line for line in one.err.splitlines() if line.strip()]
    assert lines and all(re.match(r"yoga-studio/(mailchimp|mastodon|bluesky) (GET|POST|PUT|PATCH|DELETE) /\S* -> ", ln)
                         for ln in lines)
    two = hub(capsys, "plan", "--sandbox", "-vv", "-w", str(agency), "-c", "yoga-studio", "--debug")
    assert two.code == 0, two.err
    assert len(two.err.splitlines()) > len(lines)  # library logs too
    assert "yoga-studio/mailchimp GET" in two.err


# 6. the summary counts what the table shows; each message names its source once
def test_apply_summary_counts_the_rows_shown(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", "bakery", "--yes")
    assert result.code == 0, result.err
    table = result.out[result.out.rindex("client bakery"):]
    rows = [line for line in table.splitlines() if line.startswith("│")]
    skipped = sum(1 for line in rows if "skipped" in line)
    summary = re.search(r"Applied: (\d+) ok, (\d+) failed, (\d+) skipped", result.out)
    # the segment and the welcome series, built by hand (hub's runner carries out the birthday automation)
    assert summary and int(summary[3]) == skipped == 2
    assert "2 of the skipped are yours to build by hand" in result.out


def test_a_failed_item_names_its_source_once(tmp_path: Path, vendor: TestvendorSimulator,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    yaml_writer.write(tmp_path / "hub.yaml", {"version": 1})
    _client(tmp_path, "acme", "env:GOOD_KEY", vendor.base_url)
    vendor.inject(Fault("status", status=422, count=1, method="POST", path_prefix="/lists"))
    result = hub(capsys, "apply", "-w", str(tmp_path), "--yes")
    assert result.code == 3
    assert "failed: HTTP 422" in result.out and "testvendor: HTTP" not in result.out + result.err
    assert "Applied: 0 ok, 1 failed, 0 skipped" in result.out
    assert "acme/testvendor list news: HTTP 422" in result.err


# 7. exit codes
def test_usage_errors_exit_2(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(capsys, "providers", "show", "nope").code == 2
    unknown = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "nosuch")
    assert unknown.code == 2 and "bakery" in unknown.err


def _spawn(agency: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "hub", *args, "-w", str(agency)], encoding="utf-8", timeout=60,
                         dimensions=(50, 120), env={"PATH": "/usr/bin:/bin", "HUB_SANDBOX_TIME_SCALE": "600"})


def test_the_apply_prompt_no_applies_nothing_and_yes_applies(agency: Path) -> None:
    no = _spawn(agency, "apply", "--sandbox", "-c", "bakery")
    no.expect(r"Apply (\d+) change\(s\)\? \[y/N\]")
    no.sendline("n")
    no.expect("Nothing applied.")
    no.expect(pexpect.EOF)
    no.close()
    assert no.exitstatus == 1

    yes = _spawn(agency, "apply", "--sandbox", "-c", "bakery")
    yes.expect(r"Apply (\d+) change\(s\)\? \[y/N\]")
    asked = int(yes.match.group(1))
    yes.sendline("y")
    yes.expect(r"Applied: (\d+) ok, 0 failed")
    assert int(yes.match.group(1)) == asked
    yes.expect(pexpect.EOF)
    yes.close()
    assert yes.exitstatus == 0


# 9. status explains itself
def test_status_has_a_legend_and_says_what_unsettled_items_wait_for(agency: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", "law-firm", "--yes").code == 0
    result = hub(capsys, "status", "-w", str(agency), "--sandbox", "-c", "law-firm")
    assert result.code == 0, result.err
    for column in ("last apply", "pending", "drift", "unsettled"):
        assert re.search(rf"^{column}: \w", result.out, re.M), column
    flat = " ".join(result.out.split())
    assert re.search(r"law-firm/activecampaign: contact .* wait for the vendor since .*queued import.*"
                     r"hub looks again at the start of the next `hub apply`", flat)
    doc = hub(capsys, "status", "-w", str(agency), "--sandbox", "-c", "law-firm", "--json").json()
    [row] = doc["clients"]
    assert row["unsettled"] == sum(w["count"] for w in row["waiting"]) > 0
    assert {w["next_check"] for w in row["waiting"]} == {"at the start of the next `hub apply`"}
    [imports] = row["waiting"]  # the contacts of queued imports are one entry: how many, and a sample
    assert imports["kind"] == "contact" and len(imports["ids"]) == min(imports["count"], 10)


# 10. narrow terminals: nothing wider than the terminal, no word broken in the short columns
def test_tables_fit_80_columns_without_breaking_words(agency: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for args in (("plan", "--sandbox"), ("status", "--sandbox")):
        result = hub(capsys, *args, "-w", str(agency))
        assert result.code == 0, result.err
        assert max(len(line) for line in result.out.splitlines()) <= 80
        for word in ("activecampaign", "email_campaign", "mailerlite", "yoga-studio", "approximated"):
            assert result.out.count(word[:-2]) == result.out.count(word), (args, word)


# the README's promise: `hub --help` lists every command, one line each
def test_help_lists_every_command_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from hub.cli import cli

    result = hub(capsys, "--help")
    assert result.code == 0
    section = result.out.split("Commands:\n", 1)[1]
    listed = [line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.strip()]
    assert sorted(listed) == sorted(cli.commands)
    assert all(not line.startswith("    ") for line in section.splitlines())  # no wrapped continuation lines
    assert "..." not in section  # no truncated descriptions
