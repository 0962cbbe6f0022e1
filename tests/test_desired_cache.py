"""A no-edit plan of a big audience takes what the contacts translated to last time (kept under the key of their
inputs) instead of translating them again, and still sees every change: an edited row, a contact the state lost,
an SMS opt-out, a damaged cache. A saved plan keeps contacts without their payloads, and apply translates them
again, refusing the plan when one is not what it showed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import hub, simulator
from test_import_common import agency, apply, changes, plan  # noqa: F401  (agency: a fixture)

from hub.state import StateStore
from hub.sync.plan import items_path
from hub_mailerlite.resources import ContactResource
from hub_mailerlite.simulator import MailerLiteSimulator

ROWS = 1_200  # more than a plan folds into one count (FOLD_OVER)


def write_contacts(root: Path, first_names: dict[int, str] | None = None) -> None:
    names = first_names or {}
    lines = ["email,first_name,phone,sms_consent,lists"]
    lines += [f"p{i:04d}@example.com,{names.get(i, 'Pat')},+4479460{i:05d},subscribed,newsletter" for i in range(ROWS)]
    (root / "clients" / "bakery" / "many.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture
def bakery(agency: Path, capsys: pytest.CaptureFixture[str]) -> Path:  # noqa: F811
    audience = agency / "clients" / "bakery" / "audience.yaml"
    audience.write_text(audience.read_text() + "\ncontact_files:\n  - many.csv\n")
    write_contacts(agency)
    apply(capsys, agency, "bakery")
    return agency


@pytest.fixture
def translations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many contacts MailerLite's contact resource translated, per plan."""
    counts: list[int] = []
    original = ContactResource.desired

    def counted(self: ContactResource, *args: Any) -> Any:
        out = original(self, *args)
        counts.append(len(out))
        return out

    monkeypatch.setattr(ContactResource, "desired", counted)
    return counts


def contact_changes(capsys: pytest.CaptureFixture[str], root: Path) -> dict[str, int]:
    doc = plan(capsys, root, "bakery")
    return {c["action"]: c.get("count", 1) for c in changes(doc) if c["kind"] == "contact"
            and c["account"] == "mailerlite"}


def test_a_no_edit_plan_takes_the_kept_translation(bakery: Path, capsys: pytest.CaptureFixture[str],
                                                  translations: list[int]) -> None:
    first = contact_changes(capsys, bakery)
    assert first["noop"] > ROWS and set(first) == {"noop"}
    assert contact_changes(capsys, bakery) == first
    assert translations == []  # kept from the apply's own plan
    assert (bakery / ".hub" / "cache" / "desired-bakery-mailerlite-contact.json").is_file()


def test_an_edited_row_is_seen_and_translated_afresh(bakery: Path, capsys: pytest.CaptureFixture[str],
                                                    translations: list[int]) -> None:
    contact_changes(capsys, bakery)
    write_contacts(bakery, {7: "Changed"})
    assert contact_changes(capsys, bakery)["update"] == 1
    assert translations[0] > ROWS


def test_what_the_state_lost_is_seen_though_no_file_changed(bakery: Path, capsys: pytest.CaptureFixture[str],
                                                           translations: list[int]) -> None:
    contact_changes(capsys, bakery)
    state = StateStore(bakery / ".hub" / "sandbox" / "state.db")
    try:
        state.forget("bakery", "mailerlite", "contact", "p0003@example.com")
    finally:
        state.close()
    assert contact_changes(capsys, bakery)["create"] == 1


def test_an_sms_opt_out_is_seen_though_no_file_changed(bakery: Path, capsys: pytest.CaptureFixture[str],
                                                      translations: list[int]) -> None:
    contact_changes(capsys, bakery)
    state = StateStore(bakery / ".hub" / "sandbox" / "state.db")
    try:
        state.record_optout("bakery", "sms", "+447946000005", "STOP")
    finally:
        state.close()
    assert contact_changes(capsys, bakery)["update"] == 1  # its SMS consent field written back as unsubscribed


def test_a_damaged_cache_is_not_used(bakery: Path, capsys: pytest.CaptureFixture[str],
                                     translations: list[int]) -> None:
    first = contact_changes(capsys, bakery)
    kept = bakery / ".hub" / "cache" / "desired-bakery-mailerlite-contact.json"
    kept.write_text(kept.read_text()[:1000])
    assert contact_changes(capsys, bakery) == first
    assert len(translations) == 1


def test_a_saved_plan_keeps_contacts_without_payloads_and_apply_translates_them_again(
        bakery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_contacts(bakery, {1: "Ada", 2: "Bo"})
    saved = bakery / "plan.json"
    plan(capsys, bakery, "bakery", "--out", str(saved))
    lines = [json.loads(line) for line in items_path(saved).read_text().splitlines()]
    assert sorted(line["id"] for line in lines if line["kind"] == "contact") == ["p0001@example.com",
                                                                              "p0002@example.com"]
    assert not any("payload" in line for line in lines if line["kind"] == "contact")  # (a plan file in proportion)
    done = hub(capsys, "apply", "-w", str(bakery), "--sandbox", "--plan", str(saved), "--yes", "--json")
    assert done.code == 0, done.err
    assert set(contact_changes(capsys, bakery)) == {"noop"}
    with simulator(bakery, MailerLiteSimulator, "bakery", "mailerlite") as sim:
        found = sim.call("GET", "/api/subscribers/p0001@example.com", account="sandbox").body["data"]
    assert found["fields"]["name"] == "Ada"


def test_a_saved_plan_is_refused_when_its_contacts_translate_differently_now(
        bakery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_contacts(bakery, {4: "Cy"})
    saved = bakery / "plan.json"
    plan(capsys, bakery, "bakery", "--out", str(saved))
    state = StateStore(bakery / ".hub" / "sandbox" / "state.db")
    try:  # p0004 texts STOP between plan and apply: its SMS consent is not what the plan showed
        state.record_optout("bakery", "sms", "+447946000004", "STOP")
    finally:
        state.close()
    done = hub(capsys, "apply", "-w", str(bakery), "--sandbox", "--plan", str(saved), "--yes")
    assert done.code == 4 and "p0004@example.com" in done.err and "hub plan --out" in done.err
    with simulator(bakery, MailerLiteSimulator, "bakery", "mailerlite") as sim:
        found = sim.call("GET", "/api/subscribers/p0004@example.com", account="sandbox").body["data"]
    assert found["fields"]["name"] == "Pat"  # nothing applied
