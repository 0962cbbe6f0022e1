"""`hub report sync` and `hub report` as a consultant and a script see them: figures read from the vendors into hub's
state, one vendor down named (exit 5) while the others are stored, the table, --json, --csv, usage errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml_writer
from cli_helpers import closed_port, hub

from hub.clock import FakeClock
from hub.state import StateStore
from hub_testvendor.simulator import TestvendorSimulator

SECRET = "test-key"  # the simulator's key: never in any output


def _client(root: Path, name: str, base_url: str, campaigns: int = 2) -> None:
    yaml_writer.write(root / "clients" / name / "client.yaml", {
        "name": name.title(), "brand": {"sender_name": name.title(), "sender_email": f"hi@{name}.example"},
        "accounts": {"main": {"provider": "testvendor", "api_key": "env:GOOD_KEY", "base_url": base_url}}})
    yaml_writer.write(root / "clients" / name / "audience.yaml", {"lists": [{"id": "news", "name": "News"}]})
    for i in range(campaigns):
        yaml_writer.write(root / "clients" / name / "campaigns" / f"news-{i}.yaml", {
            "name": f"News {i}", "audience": {"list": "news"}, "schedule": "draft",
            "email": {"subject": f"News {i}", "body_markdown": "Hi!\n\n[Unsubscribe]({{ unsubscribe_url }})"}})


@pytest.fixture
def vendor(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestvendorSimulator]:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr("hub.sync.engine.SYSTEM_CLOCK", FakeClock())  # retries wait on a clock that never waits
    monkeypatch.setenv("GOOD_KEY", SECRET)
    sim = TestvendorSimulator(FakeClock(), rate=10_000)  # its clock stands still: no window ever ends
    sim.start()
    yield sim
    sim.stop()


def _campaign_ids(root: Path, client: str) -> dict[str, str]:
    store = StateStore(root / ".hub" / "state.db")
    try:
        return {r.neutral_id: r.vendor_id for r in store.items(client, kind="email_campaign")}
    finally:
        store.close()


@pytest.fixture
def agency(tmp_path: Path, vendor: TestvendorSimulator, capsys: pytest.CaptureFixture[str]) -> Path:
    yaml_writer.write(tmp_path / "hub.yaml", {"version": 1})
    for name in ("acme", "beta"):
        _client(tmp_path, name, vendor.base_url)
    applied = hub(capsys, "apply", "-w", str(tmp_path), "--yes")
    assert applied.code == 0, applied.err
    # acme: a big campaign with a low open rate and a small one with a high rate; beta: one campaign
    for name, figures in (("acme", ({"sent": 1000, "delivered": 1000, "unique_opens": 100, "unique_clicks": 20},
                                    {"sent": 10, "delivered": 10, "unique_opens": 10, "unique_clicks": 1})),
                          ("beta", ({"sent": 200, "delivered": 190, "unique_opens": 95, "hard_bounces": 10},
                                    {}))):
        ids = _campaign_ids(tmp_path, name)
        for i, stats in enumerate(figures):
            vendor.set_stats(ids[f"news-{i}"], day="2026-11-20", **stats)
    return tmp_path


def test_sync_then_report_as_table_json_and_csv(agency: Path, vendor: TestvendorSimulator,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    synced = hub(capsys, "report", "sync", "-w", str(agency), "--json")
    assert synced.code == 0, synced.err
    doc = synced.json()
    assert [(a["client"], a["account"], a["read"], a["results"], a["failures"]) for a in doc["accounts"]] == \
        [("acme", "main", 2, 2, []), ("beta", "main", 2, 2, [])]
    assert doc["summary"] == {"read": 4, "results": 4, "settled": 0, "skipped_settled": 0, "failed": 0}
    assert "acme/main (testvendor): 2 sent item(s) read, 2 result(s) stored" in synced.err
    reads = len(vendor.log)

    table = hub(capsys, "report", "-w", str(agency))
    assert table.code == 0, table.err
    assert len(vendor.log) == reads, "showing the report called the vendor"
    acme = next(line for line in table.out.splitlines() if "acme" in line)
    assert "10.9%" in acme  # 110 opens of 1010 delivered: summed, not the average of 10% and 100%
    assert "n/a" in acme  # complaints: the test vendor does not give them
    assert "directional" in table.out and "UTC" in table.out

    report = hub(capsys, "report", "-w", str(agency), "--json", "--by", "client").json()
    assert report["by"] == ["client"] and report["timezone"] == "UTC"
    rows = {r["group"]["client"]: r for r in report["rows"]}
    assert rows["acme"]["counts"]["opens"] == 110 and rows["acme"]["counts"]["complaints"] is None
    assert rows["acme"]["rates"]["open_rate"] == pytest.approx(110 / 1010)
    assert rows["beta"]["rates"]["bounce_rate"] == pytest.approx(10 / 200)
    assert rows["acme"]["fields"]["testvendor"]["opens"] == "stats[].unique_opens"
    assert report["total"]["counts"]["sent"] == 1210
    assert {"generated_at", "since", "clients", "rows", "total", "notes"} <= set(report)

    lines = list(csv.reader(io.StringIO(hub(capsys, "report", "-w", str(agency), "--csv", "-c", "beta").out)))
    header, [beta] = lines[0], lines[1:]
    row = dict(zip(header, beta, strict=True))
    assert header[:2] == ["client", "channel"] and row["client"] == "beta" and row["sent"] == "200"
    assert row["complaints"] == "n/a" and float(row["delivery_rate"]) == pytest.approx(0.95)

    later = hub(capsys, "report", "-w", str(agency), "--json", "--since", "2026-11-21").json()
    assert later["rows"] == [] and later["since"] == "2026-11-21"
    assert SECRET not in synced.out + synced.err + table.out + table.err


def test_a_vendor_down_is_named_exit_5_and_the_others_are_stored(agency: Path, vendor: TestvendorSimulator,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    client = agency / "clients" / "beta" / "client.yaml"
    client.write_text(client.read_text().replace(vendor.base_url, f"http://127.0.0.1:{closed_port()}/v1"))
    synced = hub(capsys, "report", "sync", "-w", str(agency), "--json")
    assert synced.code == 5, synced.err
    doc = synced.json()
    beta = next(a for a in doc["accounts"] if a["client"] == "beta")
    assert beta["read"] == 0 and beta["failures"][0]["kind"] == "email_campaign"
    assert "refused" in beta["failures"][0]["error"]
    assert "beta/main (testvendor): could not read the results of email_campaign" in synced.err
    assert "1 could not be read (beta/main), the others were stored" in synced.err
    shown: Any = hub(capsys, "report", "-w", str(agency), "--json").json()
    assert [r["group"]["client"] for r in shown["rows"]] == ["acme"]  # acme's figures were stored all the same
    assert SECRET not in synced.out + synced.err


def test_usage_errors_say_what_would_be_right(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    since = hub(capsys, "report", "-w", str(agency), "--since", "last month")
    assert since.code == 2 and "30d, 12w" in since.err
    by = hub(capsys, "report", "-w", str(agency), "--by", "vendor")
    assert by.code == 2 and "client, campaign, channel, month" in by.err
    unknown = hub(capsys, "report", "-w", str(agency), "-c", "gamma")
    assert unknown.code == 2 and "unknown client(s) gamma" in unknown.err and "acme, beta" in unknown.err
    both = hub(capsys, "report", "-w", str(agency), "--json", "--csv")
    assert both.code == 2 and "choose one" in both.err
    nothing = hub(capsys, "report", "-w", str(agency))
    assert nothing.code == 0 and "no figures yet" in nothing.err and "hub report sync" in nothing.err
