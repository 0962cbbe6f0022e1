"""hub's runner against the example agency's simulators, end to end through the command line: the bakery's
birthday (an email at MailerLite, then a text through Twilio) and the law firm's guide (an email at
ActiveCampaign, a reminder only for those who did not open it) each reach every contact exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cli_helpers import hub

from hub.state import StateStore
from hub.state.journeys import Journeys
from hub.sync.engine import sandbox_clock, state_path
from hub_activecampaign.simulator import ActiveCampaignSimulator


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("HUB_SANDBOX_TIME_SCALE", "600")
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


def _birthday_tomorrow(root: Path, email: str) -> None:
    """Give `email` (a bakery contact) a birthday tomorrow, so that two simulated days cover it."""
    path = root / "clients" / "bakery" / "audience.yaml"
    doc = yaml.safe_load(path.read_text())
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    for c in doc["contacts"]:
        if c.get("email") == email:
            c["fields"]["birthday"] = f"1990-{tomorrow:%m-%d}"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def _journeys(root: Path) -> tuple[StateStore, Journeys]:
    store = StateStore(state_path(root, sandbox=True))
    return store, Journeys(store)


def _log(j: Journeys, client: str, automation: str, step: str) -> dict[str, int]:
    return j.count_log(client, automation, step)


def test_birthday_and_opened_condition_run_end_to_end_exactly_once(agency: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _birthday_tomorrow(agency, "amelia.hart@example.com")
    plan = hub(capsys, "plan", "-w", str(agency), "--sandbox", "--json")
    assert plan.code == 0, plan.err
    runner_items = [c for cl in plan.json()["clients"] for c in cl["changes"] if c["kind"] == "runner_automation"]
    assert {c["id"]: (c["action"], c["fidelity"]) for c in runner_items} == {
        "birthday": ("create", "exact"), "estate-guide": ("create", "exact")}
    assert "one text each through account 'sms'" in next(c["reason"] for c in runner_items if c["id"] == "birthday")
    applied = hub(capsys, "apply", "-w", str(agency), "--sandbox", "--yes")
    assert applied.code == 0, applied.err
    status = hub(capsys, "status", "-w", str(agency), "--sandbox", "--json")
    assert {r["client"]: r["armed"] for r in status.json()["runner"]} == {"bakery": ["birthday"],
                                                                          "law-firm": ["estate-guide"]}

    ran = hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "5d", "--json")
    assert ran.code == 0, ran.err
    totals = ran.json()["summary"]
    assert totals["started"] >= 3  # margaret's birthday; margaret and rosa's guide

    store, j = _journeys(agency)
    try:
        # the bakery: one email and one text for the birthday, each once
        assert _log(j, "bakery", "birthday", "step-1") == {f"amelia.hart@example.com#{_year()}": 1}
        assert _log(j, "bakery", "birthday", "step-2") == {f"amelia.hart@example.com#{_year()}": 1}
        texts = store.deliveries("bakery", "sms", f"auto:birthday/step-2#{_year()}")
        assert [(to, d.status) for to, d in texts.items()] == [("+441174960101", "sent")]
        # the law firm: the guide to both, the reminder only to whoever did not open it
        assert _log(j, "law-firm", "estate-guide", "guide") == {"margaret.owens@example.com#1": 1,
                                                                "rosa.alvarez@example.com#1": 1}
        [(account, campaign)] = set(j.campaigns_of("law-firm", "estate-guide", "guide",
                                                   [("margaret.owens@example.com", "1"),
                                                    ("rosa.alvarez@example.com", "1")]).values())
        # who opened the guide, as ActiveCampaign's simulator recorded it (not as hub read it)
        sim = ActiveCampaignSimulator(sandbox_clock(agency), state_file=agency / ".hub" / "sandbox" / "law-firm" /
                                      f"{account}.json")
        sim.start()
        try:
            got = {r["email"]: r["opened"] for r in sim.campaign_recipients("sandbox", campaign=campaign)}
        finally:
            sim.stop()
        assert set(got) == {"margaret.owens@example.com", "rosa.alvarez@example.com"}
        opened = {e for e, yes in got.items() if yes}
        reminded = set(_log(j, "law-firm", "estate-guide", "reminder"))
        assert reminded == {f"{e}#1" for e in ("margaret.owens@example.com", "rosa.alvarez@example.com")} - \
            {f"{e}#1" for e in opened}
        statuses = {(r["automation"], r["status"]) for r in j.summary() if r["client"] in ("bakery", "law-firm")}
        assert ("birthday", "waiting") not in statuses and ("estate-guide", "waiting") not in statuses
    finally:
        store.close()

    # nothing overdue: the runner keeps up (a step left due for long would show as lag)
    after = hub(capsys, "status", "-w", str(agency), "--sandbox", "--json").json()["runner"]
    assert [(r["in_flight"], r["failed"], r["lag_s"]) for r in after] == [(0, 0, 0), (0, 0, 0)]
    again = hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "3d", "--json")
    assert again.code == 0, again.err
    assert {k: v for k, v in again.json()["summary"].items() if v} == {}  # nothing more: no step twice


def _year() -> int:
    return (datetime.now(UTC) + timedelta(days=1)).year


def test_an_edit_moves_contacts_at_a_removed_step_on_and_the_plan_says_how_many(
        agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "--yes", "-c", "law-firm").code == 0
    assert hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "1h", "-c", "law-firm").code == 0
    store, j = _journeys(agency)
    try:
        assert {(r["step"], r["status"]): r["n"] for r in j.summary("law-firm")} == {("step-2", "waiting"): 2}
    finally:
        store.close()

    path = agency / "clients" / "law-firm" / "automations" / "estate-guide.yaml"
    text = path.read_text()
    assert "  - wait: {days: 3}\n" in text
    path.write_text(text.replace("  - wait: {days: 3}\n", ""))  # the 3-day wait goes
    plan = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "law-firm", "--json").json()
    [change] = [c for cl in plan["clients"] for c in cl["changes"] if c["kind"] == "runner_automation"]
    assert change["action"] == "update"
    assert "2 contact(s) at removed step 'step-2' move to 'opened-guide'" in change["reason"]
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "--yes", "-c", "law-firm").code == 0
    store, j = _journeys(agency)
    try:
        assert {(r["step"], r["status"]): r["n"] for r in j.summary("law-firm")} == {("opened-guide", "waiting"): 2}
    finally:
        store.close()


def test_someone_who_joins_the_list_at_the_vendor_starts_the_automation(agency: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A signup form adds people to the list at MailerLite, not in the workspace: the runner reads the list there
    (every hour) and starts them; those on it when the automation was armed are not started."""
    from hub_mailerlite.simulator import MailerLiteSimulator

    (agency / "clients" / "bakery" / "automations" / "hello.yaml").write_text(
        "name: Hello\nrun_by: hub\ntrigger: {joined_list: newsletter}\nsteps:\n"
        "  - send_email:\n      subject: Hello\n      body_markdown: \"Hi. [Unsubscribe]({{ unsubscribe_url }})\"\n")
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "--yes", "-c", "bakery").code == 0
    assert hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "10m", "-c", "bakery").code == 0

    sim = MailerLiteSimulator(sandbox_clock(agency), state_file=agency / ".hub" / "sandbox" / "bakery" /
                              "mailerlite.json")
    sim.start()
    try:
        gid = next(g["id"] for g in sim.groups("sandbox") if g["name"] == "Newsletter")
        sim.upsert(sim.account_state("sandbox"), {"email": "new.reader@example.com", "groups": [gid]})
    finally:
        sim.stop()
    assert hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "2h", "-c", "bakery").code == 0

    store, j = _journeys(agency)
    try:
        assert _log(j, "bakery", "hello", "step-1") == {"new.reader@example.com#1": 1}
        held = {r["status"]: r["n"] for r in j.summary("bakery", "hello")}
        assert held.get("skipped", 0) >= 2 and "waiting" not in held  # the members at arming were not started
    finally:
        store.close()
