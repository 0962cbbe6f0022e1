"""`hub migrate` end to end through the command line against the simulators: a client moves to another email
vendor and nobody who unsubscribed, bounced or complained at the old one is subscribed at the new one; the plan
says what the new vendor can hold; `--verify` compares both sides; a vendor swapped in client.yaml without a
migration is refused; answers lost during the push change none of that."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Result, hub, simulator

from hub.simulator import SimRequest
from hub.sync.accounts import Sandbox
from hub_activecampaign.simulator import ActiveCampaignSimulator
from hub_mailchimp.simulator import MailchimpSimulator
from hub_mailerlite.simulator import MailerLiteSimulator

AUDIENCE = MailchimpSimulator.SANDBOX_AUDIENCE
MAILCHIMP = (f"  mailchimp:\n    provider: mailchimp\n    api_key: env:BAKERY_MAILCHIMP_KEY\n"
             f"    audience_id: {AUDIENCE}\n")
MAILERLITE = "  mailerlite:\n    provider: mailerlite\n    api_key: env:LAW_MAILERLITE_KEY\n"


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("HUB_SANDBOX_TIME_SCALE", "600")
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    # Mailchimp merge tags are at most 10 characters, and BIRTHDAY is the audience's own month-and-day field:
    # the bakery's field ids are ones Mailchimp can hold
    for path in (root / "clients" / "bakery").rglob("*.yaml"):
        text = path.read_text().replace("favourite_loaf", "loaf")
        text = re.sub(r"\bbirthday\b", "born", text)
        path.write_text(re.sub(r"\bsms_consent\b(?!_field)", "sms_ok", text))
    return root


def edit_accounts(root: Path, client: str, edit: Callable[[str], str]) -> None:
    path = root / "clients" / client / "client.yaml"
    path.write_text(edit(path.read_text()))


def mark_migration(root: Path, client: str, source: str, new_account: str) -> None:
    """client.yaml as a consultant writes it to migrate: the old account kept with `role: source`, the new one
    added with `role: target`."""
    def edit(text: str) -> str:
        text = re.sub(rf"(  {source}:\n    provider: {source}\b.*\n)", r"\1    role: source\n", text)
        return text.replace("accounts:\n", "accounts:\n" + new_account + "    role: target\n", 1)

    edit_accounts(root, client, edit)


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> Result:
    return hub(capsys, *args, "-w", str(root), "--sandbox")


def mailchimp_members(root: Path, client: str) -> dict[str, dict[str, Any]]:
    with simulator(root, MailchimpSimulator, client, "mailchimp") as sim:
        body = sim.call("GET", f"/3.0/lists/{AUDIENCE}/members?count=1000", account="sandbox").body
    return {m["email_address"]: m for m in body["members"]}


def automation_fidelity(doc: dict[str, Any], account: str) -> dict[str, str]:
    return {c["id"]: c["fidelity"] for cl in doc["clients"] for c in cl["changes"]
            if c["account"] == account and c["kind"] in ("automation", "runner_automation")}


def contact_writes(capsys: pytest.CaptureFixture[str], root: Path, client: str) -> list[tuple[str, str]]:
    """The contact pushes a plan of `client` would make (it must plan: exit 0)."""
    plan = run(capsys, root, "plan", "-c", client, "--json")
    assert plan.code == 0, plan.err
    return [(c["account"], c["id"]) for cl in plan.json()["clients"] for c in cl["changes"]
            if c["kind"] == "contact" and c["action"] in ("create", "update", "delete")]


BAKERY_SUPPRESSED = {"oliver.bennett@example.com": "unsubscribed", "priya.shah@example.com": "bounced",
                     "tom.okafor@example.com": "junk"}


def bakery_at_mailerlite(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    """The bakery live at MailerLite, where people then unsubscribed, bounced and complained, and a signup form
    added two people hub never pushed: one who confirmed (with opt-in evidence) and one who left since."""
    assert run(capsys, root, "apply", "-c", "bakery", "--yes").code == 0
    with simulator(root, MailerLiteSimulator, "bakery", "mailerlite") as sim:
        for email, status in BAKERY_SUPPRESSED.items():
            sim.set_subscriber_status("sandbox", email, status)
        for body in ({"email": "form.signup@example.com", "fields": {"name": "Fay"},
                      "opted_in_at": "2024-03-01 10:00:00", "optin_ip": "203.0.113.7"},
                     {"email": "left.since@example.com", "status": "unsubscribed"}):
            assert sim.call("POST", "/api/subscribers", body, account="sandbox").status == 201


def test_the_bakery_moves_from_mailerlite_to_mailchimp_and_nobody_suppressed_is_subscribed(
        agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bakery_at_mailerlite(capsys, agency)
    mark_migration(agency, "bakery", "mailerlite", MAILCHIMP)
    assert hub(capsys, "validate", "-w", str(agency)).code == 0

    migrated = run(capsys, agency, "migrate", "bakery", "--from", "mailerlite", "--to", "mailchimp", "--yes", "--json")
    assert migrated.code == 0, migrated.err
    doc = migrated.json()
    # the plan is the target's, with what Mailchimp can hold of each automation
    assert {c["account"] for cl in doc["clients"] for c in cl["changes"]} == {"mailchimp"}
    assert automation_fidelity(doc, "mailchimp") == {"welcome-series": "manual", "birthday": "exact"}
    summary = doc["migration"]
    # in the workspace: one unsubscribed, one bounced; at MailerLite: three more, and one only there
    assert summary["suppressed"] == 6 and summary["only_at_source"] == 2 and summary["carried"] == 10
    assert summary["by_status"] == {"bounced": 2, "complained": 1, "subscribed": 4, "unsubscribed": 3}

    members = mailchimp_members(agency, "bakery")
    suppressed = [*BAKERY_SUPPRESSED, "former.customer@example.com", "bounced.address@example.com",
                  "left.since@example.com"]
    assert {e: members[e]["status"] for e in suppressed} == {
        "oliver.bennett@example.com": "unsubscribed", "priya.shah@example.com": "cleaned",
        "tom.okafor@example.com": "unsubscribed", "former.customer@example.com": "unsubscribed",
        "bounced.address@example.com": "cleaned", "left.since@example.com": "unsubscribed"}
    # carried with its opt-in evidence, fields and lists
    signup = members["form.signup@example.com"]
    assert signup["status"] == "subscribed"
    assert (signup["timestamp_opt"].startswith("2024-03-01T10:00:00"), signup["ip_opt"]) == (True, "203.0.113.7")
    assert {t["name"] for t in members["amelia.hart@example.com"]["tags"]} == {"Newsletter", "VIP"}
    assert members["amelia.hart@example.com"]["merge_fields"]["LOAF"] == "sourdough"

    verified = run(capsys, agency, "migrate", "bakery", "--from", "mailerlite", "--to", "mailchimp", "--verify")
    assert verified.code == 0, verified.out + verified.err
    assert "Both sides match" in verified.err
    assert re.search(r"consent suppressed\s+6\s+6", verified.out)
    # nothing left to push; then the source goes, and the client is applied as usual: the workspace still says
    # "subscribed" of those who left at MailerLite, and Mailchimp keeps them as they are
    assert contact_writes(capsys, agency, "bakery") == []
    edit_accounts(agency, "bakery", lambda t: re.sub(r"  mailerlite:\n(    .*\n)+", "", t)
                  .replace("    role: target\n", ""))
    assert run(capsys, agency, "apply", "-c", "bakery", "--yes").code == 0
    after = mailchimp_members(agency, "bakery")
    assert {e: after[e]["status"] for e in suppressed} == {e: members[e]["status"] for e in suppressed}


def test_verify_names_a_difference_and_exits_3(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bakery_at_mailerlite(capsys, agency)
    mark_migration(agency, "bakery", "mailerlite", MAILCHIMP)
    assert run(capsys, agency, "migrate", "bakery", "--from", "mailerlite", "--to", "mailchimp", "--yes").code == 0
    with simulator(agency, MailerLiteSimulator, "bakery", "mailerlite") as sim:  # someone joins after the move
        assert sim.call("POST", "/api/subscribers", {"email": "late@example.com"}, account="sandbox").status == 201
    verified = run(capsys, agency, "migrate", "bakery", "--from", "mailerlite", "--to", "mailchimp", "--verify",
                   "--json")
    assert verified.code == 3
    doc = verified.json()
    assert doc["ok"] is False and doc["missing_at_target"] == ["late@example.com"]
    assert [r["name"] for r in doc["rows"] if r["differs"]] == ["subscribed"]


def test_the_law_firm_moves_from_activecampaign_to_mailerlite(agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, agency, "apply", "-c", "law-firm", "--yes").code == 0
    gone = {"margaret.owens@example.com": "unsubscribed", "david.kim@example.com": "bounced",
            "rosa.alvarez@example.com": "complained"}
    with simulator(agency, ActiveCampaignSimulator, "law-firm", "activecampaign") as sim:
        for email, status in gone.items():
            sim.set_contact_status("sandbox", email, status)
    mark_migration(agency, "law-firm", "activecampaign", MAILERLITE)

    plan = run(capsys, agency, "migrate", "law-firm", "--from", "activecampaign", "--to", "mailerlite", "--yes",
               "--json")
    assert plan.code == 0, plan.err
    # MailerLite's API cannot build automations: each comes with a build sheet, as in any plan
    # (estate-guide is run by hub itself, `run_by: hub`)
    fidelity = automation_fidelity(plan.json(), "mailerlite")
    assert fidelity == {"consultation-follow-up": "manual", "estate-guide": "exact"}
    assert set(fidelity) == {p.stem for p in (agency / "clients" / "law-firm" / "automations").glob("*.yaml")}
    with simulator(agency, MailerLiteSimulator, "law-firm", "mailerlite") as sim:
        status = {e: sim.subscriber(e)["status"] for e in [*gone, "former.client@example.com",
                                                            "old.address@example.com", "ben.foster@example.com"]}
    assert status == {"margaret.owens@example.com": "unsubscribed", "david.kim@example.com": "bounced",
                      "rosa.alvarez@example.com": "unsubscribed",  # ActiveCampaign holds a complaint so
                      "former.client@example.com": "unsubscribed", "old.address@example.com": "bounced",
                      "ben.foster@example.com": "active"}
    verified = run(capsys, agency, "migrate", "law-firm", "--from", "activecampaign", "--to", "mailerlite", "--verify")
    assert verified.code == 0, verified.out + verified.err
    assert re.search(r"consent suppressed\s+5\s+5", verified.out)


def test_swapping_the_email_account_without_a_migration_is_refused(agency: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bakery_at_mailerlite(capsys, agency)
    edit_accounts(agency, "bakery", lambda t: t.replace("  mailerlite:\n    provider: mailerlite\n", MAILCHIMP)
                  .replace("    api_key: env:BAKERY_MAILERLITE_KEY", "    # the old key"))
    for command in (("plan",), ("apply", "--yes")):
        refused = run(capsys, agency, *command, "-c", "bakery")
        assert refused.code == 4, refused.err
        said = " ".join((refused.out + refused.err).split())
        assert "hub pushed this client's contacts to 'mailerlite' (MailerLite)" in said
        assert "`role: source`" in said and "hub migrate bakery --from mailerlite --to mailchimp" in said
    assert not any(m["status"] == "subscribed" for m in mailchimp_members(agency, "bakery").values())
    # the other clients are planned as usual
    assert run(capsys, agency, "plan", "-c", "law-firm").code == 0


def test_lost_answers_during_the_push_subscribe_nobody_suppressed_and_duplicate_nobody(
        agency: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    bakery_at_mailerlite(capsys, agency)
    mark_migration(agency, "bakery", "mailerlite", MAILCHIMP)
    subscribe = f"/3.0/lists/{AUDIENCE}"
    dropped: list[str] = []

    def once(req: SimRequest) -> bool:  # the batch subscribe is done, and its answer never arrives
        if req.method == "POST" and req.path.rstrip("/") == subscribe and not dropped:
            dropped.append(req.path)
            return True
        return False

    opened = Sandbox.simulator_for

    def with_fault(self: Sandbox, provider_cls: Any, client: str, account: str) -> Any:
        sim = opened(self, provider_cls, client, account)
        if account == "mailchimp":
            sim.fault_rate(1.0, ("drop_after",), match=once)
        return sim

    monkeypatch.setattr(Sandbox, "simulator_for", with_fault)
    migrated = run(capsys, agency, "migrate", "bakery", "--from", "mailerlite", "--to", "mailchimp", "--yes")
    monkeypatch.setattr(Sandbox, "simulator_for", opened)
    assert dropped, "the fault was never met"
    if migrated.code != 0:  # the vendor's answer was lost: a rerun settles it
        migrated = run(capsys, agency, "migrate", "bakery", "--from", "mailerlite", "--to", "mailchimp", "--yes")
    assert migrated.code == 0, migrated.err
    members = mailchimp_members(agency, "bakery")
    assert len(members) == 10  # every contact once
    for email in [*BAKERY_SUPPRESSED, "former.customer@example.com", "bounced.address@example.com",
                  "left.since@example.com"]:
        assert members[email]["status"] in ("unsubscribed", "cleaned"), email
    assert run(capsys, agency, "migrate", "bakery", "--from", "mailerlite", "--to", "mailchimp", "--verify").code == 0
    assert contact_writes(capsys, agency, "bakery") == []


SAM, AMELIA = "+441174960105", "+441174960101"  # the bakery's texting club (SMS consent given)
NEW_TEXTS = ("  texts:\n    provider: sms\n    account_sid: AC8a3c0f6e2b9d4a7f1e5c3b2a9d8f7e61\n"
             "    auth_token: env:BAKERY_TWILIO_TOKEN\n    messaging_service_sid: MG00000000000000000000000000000002\n")


def texted(root: Path, account: str) -> set[str]:
    from hub_sms.simulator import TwilioSimulator

    with simulator(root, TwilioSimulator, "bakery", account) as sim:
        return {m["to"] for m in sim.messages(None)}


def stop(root: Path, phone: str) -> None:
    from hub_sms.simulator import TwilioSimulator

    with simulator(root, TwilioSimulator, "bakery", "sms") as sim:
        sim.inbound(phone, TwilioSimulator.SANDBOX_SERVICE_NUMBER, "STOP")


def test_sms_opt_outs_at_the_old_messaging_service_keep_the_new_one_from_texting(
        agency: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, agency, "apply", "-c", "bakery", "--yes").code == 0
    assert {SAM, AMELIA} <= texted(agency, "sms")
    stop(agency, SAM)  # recorded by hub at the next apply, as a STOP to the old service
    assert run(capsys, agency, "apply", "-c", "bakery", "--yes").code == 0
    # the client moves its texts to another Messaging Service, keeping the old one as the migration's source;
    # Amelia texts STOP to the old service, which hub has not seen yet
    mark_migration(agency, "bakery", "sms", NEW_TEXTS)
    stop(agency, AMELIA)
    planned = run(capsys, agency, "plan", "-c", "bakery", "--json")
    assert planned.code == 0, planned.err
    sms = [c for cl in planned.json()["clients"] for c in cl["changes"] if c["kind"] == "sms_campaign"]
    assert [c["account"] for c in sms] == ["texts"]  # nothing is planned at the source
    # Sam's STOP is in hub (and written back to MailerLite); Amelia's is read from the old service
    assert sms[0]["reason"].startswith("0 recipient(s)") and "1 opted out" in sms[0]["reason"]
    migrated = run(capsys, agency, "migrate", "bakery", "--from", "sms", "--to", "texts", "--yes", "--json")
    assert migrated.code == 0, migrated.err
    assert migrated.json()["migration"]["sms_opt_outs"] == 2
    assert not {SAM, AMELIA} & texted(agency, "texts")
    # once migrated, the old service can go: hub keeps both opt-outs as its own
    edit_accounts(agency, "bakery", lambda t: re.sub(r"  sms:\n(    .*\n)+", "", t).replace("    role: target\n", ""))
    assert run(capsys, agency, "apply", "-c", "bakery", "--yes").code == 0
    assert not {SAM, AMELIA} & texted(agency, "texts")
