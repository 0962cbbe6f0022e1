"""Who gets a text and at what cost: the segment budget per recipient, consent per phone number, and
Twilio's 1,600-character limit."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from workspace_fixtures import edit, load, make_workspace, only_problem

from hub.clock import FakeClock
from hub.model import Automation, Client, SmsContent
from hub.plugins import make_plugins
from hub.testing import Harness, make_client

NOON = datetime(2026, 3, 2, 12, 0)
CAMPAIGN = "clients/acme/campaigns/launch.yaml"
AUDIENCE = "clients/acme/audience.yaml"
# 1 GSM-7 segment for a first name of up to 10 letters; an accented name makes it UCS-2 (67 a segment)
SPRING = ("Hi {{ first_name }}, our spring menu is here: fresh bread, cakes and coffee all week. Come and see us"
          " soon! Reply STOP to opt out.")


def contact(phone: str, name: str, sms: str = "subscribed") -> dict[str, Any]:
    return {"phone": phone, "first_name": name, "lists": ["club"], "consent": {"sms": sms}}


def client(contacts: list[dict[str, Any]], body: str = SPRING, **sms: Any) -> Client:
    return make_client("sms", audience={"lists": [{"id": "club", "name": "Club"}], "contacts": contacts},
                       campaigns=[{"id": "spring", "name": "Spring", "audience": {"list": "club"}, "schedule": "now",
                                   "sms": {"body": body, **sms}}])


def run(c: Client, tmp_path: Path) -> Harness:
    return Harness(make_plugins().registry.get("sms"), c, tmp_path, FakeClock(utc=NOON))


# -- 8. the segment budget holds per recipient -------------------------------------------------------------------


def test_recipients_whose_names_push_the_text_over_budget_are_named_and_not_texted(tmp_path: Path) -> None:
    h = run(client([contact("+447700900001", "Ada"), contact("+447700900002", "Seán"),
                    contact("+447700900003", "Zoë"), contact("+447700900004", "Bob")]), tmp_path)
    try:
        [change] = [c for c in h.plan().changes if c.kind == "sms_campaign"]
        assert change.fidelity == "approximated"
        assert change.reason.startswith("2 recipient(s), 2 segment(s) to pay for")
        assert "2 of 4 recipient(s) left out: their text would be 2 segments, over max_segments: 1" in change.reason
        assert "UCS-2" in change.reason and "'á' (U+00E1) in Seán" in change.reason
        assert "'ë' (U+00EB) in Zoë" in change.reason
        assert "raise max_segments to 2 to text them too (4 more segments to pay for)" in change.reason
        assert change.details["segments"] == 2
        assert not h.apply().failed
        assert sorted(m["to"] for m in h.simulator.messages()) == ["+447700900001", "+447700900004"]
    finally:
        h.close()


def test_a_raised_budget_texts_everyone_at_the_cost_the_plan_shows(tmp_path: Path) -> None:
    h = run(client([contact("+447700900001", "Ada"), contact("+447700900002", "Seán")], max_segments=2), tmp_path)
    try:
        [change] = [c for c in h.plan().changes if c.kind == "sms_campaign"]
        assert change.fidelity == "exact" and change.reason.startswith("2 recipient(s), 3 segment(s) to pay for")
        assert not h.apply().failed
        assert sum(int(m["num_segments"]) for m in h.simulator.messages()) == 3
    finally:
        h.close()


def test_validation_warns_about_the_workspace_contacts_over_budget(tmp_path: Path) -> None:
    seán = ("  - email: sean@example.com\n    first_name: Seán\n    phone: \"+44 117 496 0124\"\n"
            "    lists: [customers]\n    consent: {sms: subscribed}\n")
    files = {**edit(AUDIENCE, "contacts:\n", "contacts:\n" + seán),
             **edit(CAMPAIGN, "body: Hi {{ first_name }}, spring menu is here!", f'body: "{SPRING}"')}
    ws = load(make_workspace(tmp_path, files))
    [warning] = [w for w in ws.warnings if w.file == CAMPAIGN]
    assert "1 of 1 contact(s) in list 'customers' written in audience.yaml" in warning.message
    assert "'á' (U+00E1) in Seán" in warning.message and "max_segments" in warning.message


# -- 9. consent belongs to the phone number -----------------------------------------------------------------------


@pytest.mark.parametrize("refused_first", [False, True])
def test_a_shared_number_is_texted_only_when_every_contact_holding_it_consented(tmp_path: Path,
                                                                                refused_first: bool) -> None:
    shared = [contact("+447700900009", "Cat"), contact("+447700900009", "Cath", "unsubscribed")]
    h = run(client([contact("+447700900001", "Ada"), *(shared[::-1] if refused_first else shared)],
                   body="Hi {{ first_name }}, spring menu is here!"), tmp_path)
    try:
        [change] = [c for c in h.plan().changes if c.kind == "sms_campaign"]
        assert change.reason.startswith("1 recipient(s)") and "no SMS consent" in change.reason
        assert not h.apply().failed
        assert [m["to"] for m in h.simulator.messages()] == ["+447700900001"]
    finally:
        h.close()


def test_a_shared_number_without_every_holders_consent_is_not_enrolled_in_a_studio_flow(tmp_path: Path) -> None:
    shared = "+447700900009"
    c = client([{**contact("+447700900001", "Ada"), "email": "ada@example.com"},
                {**contact(shared, "Cat"), "email": "cat@example.com"},
                {**contact(shared, "Cath", "unsubscribed"), "email": "cath@example.com"}])
    c.campaigns.clear()
    c.automations.append(Automation.model_validate({
        "id": "join", "name": "Join", "trigger": {"sms_keyword": "JOIN"}, "enrol": {"list": "club"},
        "steps": [{"send_sms": {"body": "Welcome to the club"}}]}))
    h = run(c, tmp_path)
    try:
        assert not h.apply().failed
        assert [e["contact_channel_address"] for e in h.simulator.executions()] == ["+447700900001"]
    finally:
        h.close()


# -- 10. Twilio's 1,600 characters ---------------------------------------------------------------------------------


def test_a_text_of_1600_characters_can_be_written_and_sent(tmp_path: Path) -> None:
    body = ("Long read. " * 160)[:1600]
    assert SmsContent(body=body, max_segments=11).max_segments == 11
    h = run(client([contact("+447700900001", "Ada")], body=body, max_segments=11), tmp_path)
    try:
        assert not h.apply().failed
        assert Counter(m["num_segments"] for m in h.simulator.messages()) == Counter({"11": 1})
    finally:
        h.close()


def test_max_segments_allows_what_1600_characters_take_in_ucs2(tmp_path: Path) -> None:
    body = "Ünïcode " * 200  # 1,599 characters once YAML drops the last space; UCS-2: 24 segments
    ws = load(make_workspace(tmp_path, edit(CAMPAIGN, "body: Hi {{ first_name }}, spring menu is here!",
                                            f"body: {body}\n  max_segments: 24")))
    assert ws.clients["acme"].campaigns[0].sms.max_segments == 24  # type: ignore[union-attr]


def test_a_text_over_1600_characters_is_a_clear_validation_error(tmp_path: Path) -> None:
    body = "x" * 1601
    p = only_problem(make_workspace(tmp_path, edit(CAMPAIGN, "body: Hi {{ first_name }}, spring menu is here!",
                                                   f"body: {body}\n  max_segments: 11")))
    assert p.file == CAMPAIGN
    assert "1,601 characters" in p.message and "at most 1,600 characters" in p.message
