"""Build sheets as files (`hub sheets`, hub/sheets.py): what the consultant builds by hand, ready to paste."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import hub

from hub.clock import SYSTEM_CLOCK
from hub.sheets import email_path, email_step_reference, safe_name, sheet_path, write_sheets
from hub.sync.plan import AccountPlan, Change, Plan

REFERENCE = re.compile(r"email (\d+) of this sheet \(`hub sheets[^`]*` writes it as a file\)")


def change(kind: str = "automation", id: str = "welcome", action: str = "manual", *, client: str = "bakery",
           emails: list[dict[str, str]] | None = None, sheet: str | None = None, **kw: Any) -> Change:
    details: dict[str, Any] = {}
    if sheet is None and action == "manual" and kind != "enrolment":
        n = len(emails or [])
        sheet = "\n".join(["In Vendor: create it, name it exactly 'Welcome'.", "1. Trigger: joins 'News'."]
                          + [f"{i + 2}. Email: subject 's{i + 1}'; HTML content: {email_step_reference(i + 1, client)}."
                             for i in range(n)] + ["Then enable it."])
    if sheet:
        details["build_sheet"] = sheet
    if emails is not None:
        details["emails"] = emails
    return Change(client, "mailerlite", "mailerlite", kind, id, action, natural_key="Welcome",
                  reason="the API cannot create automations" if action == "manual" else "", details=details, **kw)


def plan_of(*changes: Change) -> Plan:
    clients = sorted({c.client for c in changes})
    accounts = [AccountPlan(c, "mailerlite", "mailerlite") for c in clients]
    return Plan(list(changes), accounts, "digest", 0, True, False, clients)


def two_emails() -> list[dict[str, str]]:
    return [{"subject": "Hi {$name}", "html": "<p>first ·</p>"}, {"subject": "Offer", "html": "<p>second</p>"}]


# -- the pure module ------------------------------------------------------------------------------------------


def test_email_reference_names_the_email_and_the_command_never_json() -> None:
    assert email_step_reference(1, "bakery") == "email 1 of this sheet (`hub sheets bakery` writes it as a file)"
    assert "`hub sheets`" in email_step_reference(2)
    with pytest.raises(ValueError):
        email_step_reference(0, "bakery")


def test_sheet_and_email_files_per_item_with_safe_names(tmp_path: Path) -> None:
    c = change(emails=two_emails())
    assert sheet_path(tmp_path, c) == tmp_path / "bakery" / "mailerlite" / "automation-welcome.md"
    assert email_path(tmp_path, c, 2) == tmp_path / "bakery" / "mailerlite" / "automation-welcome.email-2.html"
    enrolment = change("enrolment", "consultation-follow-up/david.kim@example.com")
    path = sheet_path(tmp_path, enrolment)
    assert path.parent == tmp_path / "bakery" / "mailerlite" and "/" not in path.name
    assert path.name.startswith("enrolment-consultation-follow-up_david.kim@example.com")
    # two ids that differ only where they were unsafe do not share a file
    assert safe_name("a/b") != safe_name("a_b") and safe_name("a_b") == "a_b"
    assert safe_name("../../etc") != "../../etc" and "/" not in safe_name("../../etc")


def test_write_sheets_writes_markdown_and_html_idempotently(tmp_path: Path) -> None:
    c = change(emails=two_emails())
    other = tmp_path / "bakery" / "mailerlite" / "notes.txt"  # the user's own file: never touched
    other.parent.mkdir(parents=True)
    other.write_text("mine")
    plan = plan_of(c, change("enrolment", "welcome/a@x.com"), change("list", "news", "create"))

    [md] = write_sheets(plan, tmp_path)  # the enrolment (no build sheet) and the list get none
    assert md == sheet_path(tmp_path, c)
    text = md.read_text()
    assert "bakery" in text and "mailerlite" in text and "the API cannot create automations" in text
    assert "1. Trigger: joins 'News'." in text
    assert "(automation-welcome.email-1.html)" in text and "(automation-welcome.email-2.html)" in text
    assert "details.emails" not in text and "hub plan --json" not in text
    assert "`Hi {$name}`" in text  # the exact subject, to copy
    assert email_path(tmp_path, c, 1).read_text(encoding="utf-8") == "<p>first ·</p>"
    assert email_path(tmp_path, c, 2).read_text() == "<p>second</p>"

    def files() -> dict[Path, tuple[bytes, int]]:
        return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*") if p.is_file()}

    before = files()
    assert write_sheets(plan, tmp_path) == [md]
    assert files() == before  # the same files, not even rewritten


def test_only_the_items_own_stale_files_are_removed(tmp_path: Path) -> None:
    write_sheets(plan_of(change(emails=two_emails()), change("segment", "fans", emails=[])), tmp_path)
    folder = tmp_path / "bakery" / "mailerlite"
    (folder / "automation-welcome-2.md").write_text("another item's name")
    (folder / "automation-welcome.email-x.html").write_text("not one of hub's names")

    # one email fewer: its file goes, the sheet stays
    removed: list[Path] = []
    write_sheets(plan_of(change(emails=two_emails()[:1]), change("segment", "fans", emails=[])), tmp_path,
                 removed=removed)
    assert removed == [folder / "automation-welcome.email-2.html"]
    assert (folder / "automation-welcome.email-1.html").exists()
    # built and verified (noop): its sheet and emails go; another client's plan leaves it alone
    write_sheets(plan_of(change(action="noop"), change("segment", "fans", emails=[])), tmp_path, clients=["law-firm"])
    assert (folder / "automation-welcome.md").exists()
    assert write_sheets(plan_of(change(action="noop"), change("segment", "fans", emails=[])), tmp_path) == [
        folder / "segment-fans.md"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "automation-welcome-2.md", "automation-welcome.email-x.html", "segment-fans.md"]


def test_a_reference_without_html_in_the_plan_says_so(tmp_path: Path) -> None:
    sheet = f"Build it.\n1. Email: subject 'x'; HTML content: {email_step_reference(1, 'bakery')}."
    [md] = write_sheets(plan_of(change(sheet=sheet)), tmp_path)
    assert "no HTML for email(s) 1" in md.read_text()


# -- the plugins' sheets: email n of the sheet is details["emails"][n - 1] ---------------------------------------


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


@pytest.mark.parametrize("client", ["bakery", "law-firm", "yoga-studio"])
def test_each_email_reference_has_its_html(agency: Path, capsys: pytest.CaptureFixture[str], client: str) -> None:
    doc = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", client, "--json").json()
    automations = [c for cl in doc["clients"] for c in cl["changes"]
                   if c["kind"] == "automation" and c["action"] == "manual"]
    assert automations
    for c in automations:
        sheet = c["details"]["build_sheet"]
        assert "details.emails" not in sheet and "hub plan --json" not in sheet
        numbers = [int(n) for n in REFERENCE.findall(sheet)]
        assert numbers == list(range(1, len(numbers) + 1)) and numbers
        emails = c["details"].get("emails") or []
        assert len(emails) == len(numbers)
        for n, email in enumerate(emails, start=1):  # the line naming email n carries email n's subject
            line = next(x for x in sheet.splitlines() if f"email {n} of this sheet" in x)
            assert f"subject '{email['subject']}'" in line


# -- hub sheets ------------------------------------------------------------------------------------------------


def test_hub_sheets_writes_files_then_drops_what_was_built(agency: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sheets"
    out.mkdir()
    (out / "todo.txt").write_text("the consultant's own notes")
    result = hub(capsys, "sheets", "bakery", "--sandbox", "--dir", str(out), "-w", str(agency))
    assert result.code == 0, result.err
    folder = out / "bakery" / "mailerlite"
    welcome, segment = folder / "automation-welcome-series.md", folder / "segment-sourdough-fans.md"
    assert welcome.is_file() and segment.is_file()
    assert not (folder / "automation-birthday.md").exists()  # hub's runner carries it out: nothing to build
    for path in (welcome, segment):
        assert path.name in result.err
    text = welcome.read_text()
    assert "Welcome series" in text and "bakery" in text
    assert "automation-welcome-series.email-1.html" in text and "automation-welcome-series.email-2.html" in text
    assert "10% off your first order" in text
    html = (folder / "automation-welcome-series.email-2.html").read_text()
    assert "WELCOME10" in html and "{$unsubscribe}" in html  # the real email, in MailerLite's merge tags
    assert "Sourdough fans" in segment.read_text()
    assert not list(folder.glob("enrolment-*"))
    assert result.out == ""  # stdout carries data only

    # the consultant builds the welcome series and the segment in MailerLite's UI
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", "bakery", "--yes").code == 0
    from hub_mailerlite.simulator import MailerLiteSimulator

    sim = MailerLiteSimulator(SYSTEM_CLOCK, state_file=agency / ".hub" / "sandbox" / "bakery" / "mailerlite.json")
    sim.start()
    try:
        gid = next(g["id"] for g in sim.groups("sandbox") if g["name"] == "Newsletter")
        sim.add_automation("sandbox", "Welcome series", gid, [
            {"type": "email", "subject": "Welcome to Rise & Shine Bakery, {$name|default('friend')}!"},
            {"type": "delay", "value": 2, "unit": "days"}, {"type": "condition"},
            {"type": "email", "subject": "10% off your first order"}])
        sim.add_segment("sandbox", "Sourdough fans")
    finally:
        sim.stop()

    doc = hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "bakery", "--json").json()
    actions = {(c["kind"], c["id"]): c["action"] for c in doc["clients"][0]["changes"]}
    assert actions[("automation", "welcome-series")] == "noop" and actions[("segment", "sourdough-fans")] == "noop"
    # once built, there is nothing left to build, and the sheets hub wrote go (the consultant's notes stay)
    last = hub(capsys, "sheets", "bakery", "--sandbox", "--dir", str(out), "-w", str(agency))
    assert last.code == 0, last.err
    assert "no build sheets: nothing to build by hand for bakery" in last.err
    assert not list(folder.glob("*.md")) and not list(folder.glob("*.html"))
    assert "welcome-series" in last.err and "removed" in last.err
    assert (out / "todo.txt").read_text() == "the consultant's own notes"


def test_hub_sheets_default_directory_and_help(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    help_text = hub(capsys, "sheets", "--help").out
    assert "build-sheets/" in help_text and "default" in help_text
    result = hub(capsys, "sheets", "law-firm", "--sandbox", "-w", str(agency))
    assert result.code == 0, result.err
    folder = agency / ".hub" / "sandbox" / "build-sheets" / "law-firm" / "activecampaign"
    assert (folder / "automation-consultation-follow-up.md").is_file()
    assert "Thank you for booking" in (folder / "automation-consultation-follow-up.email-1.html").read_text()
    assert (folder / "segment-estate-clients.md").is_file()
    assert not (agency / "build-sheets").exists()  # sandbox sheets stay apart from the real accounts' ones


def test_hub_sheets_unknown_client_is_a_usage_error(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = hub(capsys, "sheets", "bakry", "--sandbox", "-w", str(agency))
    assert result.code == hub(capsys, "plan", "-w", str(agency), "--sandbox", "-c", "bakry").code != 0
    assert "bakry" in result.err


def test_a_build_sheet_says_hubs_runner_sends_an_sms_step() -> None:
    """An SMS step in a sheet of an email vendor's automation says who sends it: hub's runner (which carries out
    an automation with email and SMS steps: a vendor-built sheet never holds one)."""
    import hub_activecampaign.mapping as ac
    import hub_mailchimp.mapping as mc
    import hub_mailerlite.mapping as ml
    from hub.model import Automation
    from hub.testing.harness import make_client

    client = make_client("mailerlite", audience={"lists": [{"id": "news", "name": "News"}]})
    automation = Automation.model_validate({
        "id": "birthday", "name": "Birthday", "trigger": {"joined_list": "news"},
        "steps": [{"send_email": {"subject": "Hi", "body_html": "{{ unsubscribe_url }}"}},
                  {"send_sms": {"body": "Happy birthday"}}]})
    sheets = {
        "MailerLite": ml.automation_build_sheet(automation, {"news": "News"}, {}, ml.merge_tags(client), "acme"),
        "ActiveCampaign": ac.automation_build_sheet(automation, {"news": "News"}, {}, ac.merge_tags(client), "acme"),
        "Mailchimp": mc.journey_build_sheet(automation, client),
    }
    for vendor, sheet in sheets.items():
        [line] = [x for x in sheet.splitlines() if "SMS step" in x]
        assert f"not built in {vendor}; hub's runner sends it" in line, vendor
    assert automation.runner_owned
