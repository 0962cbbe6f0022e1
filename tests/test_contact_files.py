"""Contacts read from the CSV and JSONL files audience.yaml names: what a consultant exporting from a spreadsheet
or another tool relies on (columns mapped, every problem at file:row, bad rows failing or skipped and listed)."""

from __future__ import annotations

import random
import string
import textwrap
from datetime import date
from pathlib import Path

from workspace_fixtures import BASE_FILES, load, make_workspace, problems_of

from hub.model import ConsentStatus
from hub.workspace.checks import normalise_email

AUDIENCE = "clients/acme/audience.yaml"


def with_files(tmp_path: Path, listing: str, files: dict[str, str]) -> Path:
    changes: dict[str, str | None] = {AUDIENCE: textwrap.dedent(BASE_FILES[AUDIENCE]) + textwrap.dedent(listing)}
    changes.update({f"clients/acme/{name}": text for name, text in files.items()})
    return make_workspace(tmp_path, changes)


def test_csv_rows_become_contacts_with_mapped_columns_lists_consent_and_typed_fields(tmp_path: Path) -> None:
    root = with_files(tmp_path, """\
        contact_files:
          - file: export.csv
            columns: {"E-mail Address": email, "Drink": favourite_drink, "Notes": ignore}
            tags: [vip]
        """, {"export.csv": (
            "\ufeffE-mail Address,first_name,last_name,phone,lists,email_consent,sms_consent,Drink,birthday,Notes\n"
            "zoe@EXAMPLE.com,Zoé,Ångström,+447911123456,customers;trade,unsubscribed,subscribed,\"mocha, iced\","
            "1990-02-03,likes cats\n"
            "\n"
            "li@example.com,李,,,customers,,,,,\n")})
    contacts = {c.key: c for c in load(root).clients["acme"].audience.contacts}
    zoe = contacts["zoe@example.com"]
    assert (zoe.email, zoe.first_name, zoe.last_name, zoe.phone) == ("zoe@example.com", "Zoé", "Ångström",
                                                                     "+447911123456")
    assert zoe.lists == ["customers", "trade"] and zoe.tags == ["vip"]
    assert (zoe.consent.email, zoe.consent.sms) == (ConsentStatus.UNSUBSCRIBED, ConsentStatus.SUBSCRIBED)
    assert zoe.fields == {"favourite_drink": "mocha, iced", "birthday": date(1990, 2, 3)}
    li = contacts["li@example.com"]
    assert li.first_name == "李" and li.consent.email is ConsentStatus.SUBSCRIBED and li.fields == {}
    assert {"ann@example.com", "bob@example.com"} <= set(contacts)  # inline contacts remain


def test_every_problem_of_a_contact_file_is_at_its_file_and_row(tmp_path: Path) -> None:
    root = with_files(tmp_path, "contact_files: [people.csv, more.jsonl]\n", {
        "people.csv": "email,lists,email_consent,birthday\n"
                      "ok@example.com,customers,subscribed,\n"
                      "bad@@example.com,customers,,\n"
                      "who@example.com,nope,maybe,\n"
                      "when@example.com,customers,,31/12/1990\n"
                      "ann@example.com,,,\n",
        "more.jsonl": '{"email": "j@example.com", "lists": ["customers"]}\n{"email": \n'})
    found = {(p.file, p.line): p.message for p in problems_of(root)}
    csv = "clients/acme/people.csv"
    assert "not a valid email address" in found[(csv, 3)]
    assert "'email_consent' must be one of" in found[(csv, 4)]  # named by its column; the list is checked next run
    assert "date field" in found[(csv, 5)] and "1990-05-14" in found[(csv, 5)]
    assert "duplicate contact 'ann@example.com'" in found[(csv, 6)] and "audience.yaml" in found[(csv, 6)]
    assert "not a JSON object" in found[("clients/acme/more.jsonl", 2)]
    assert len(found) == 5


def test_skipped_rows_are_listed_and_left_out(tmp_path: Path) -> None:
    root = with_files(tmp_path, """\
        contact_files:
          - {file: people.csv, on_bad_row: skip}
        """, {"people.csv": "email,lists,phone\n"
                            "ok@example.com,customers,\n"
                            "bad@@example.com,customers,\n"
                            "who@example.com,nope,\n"
                            "tel@example.com,customers,12\n"
                            "short@example.com\n"
                            "ok@example.com,trade,\n"})
    ws = load(root)
    assert {c.key for c in ws.clients["acme"].audience.contacts} == {"ann@example.com", "bob@example.com",
                                                                      "ok@example.com"}
    skipped = {w.line: w.message for w in ws.warnings if w.file == "clients/acme/people.csv"}
    assert set(skipped) == {3, 4, 5, 6, 7}
    assert all(m.startswith("row left out (on_bad_row: skip): ") for m in skipped.values())
    assert "unknown list 'nope'" in skipped[4] and "phone '12'" in skipped[5] and "cells" in skipped[6]
    assert "duplicate contact 'ok@example.com'" in skipped[7]


def test_a_contact_file_names_what_is_wrong_with_it(tmp_path: Path) -> None:
    root = with_files(tmp_path, """\
        contact_files:
          - missing.csv
          - ../outside.csv
          - {file: cols.csv, columns: {"Email": email}}
        """, {"cols.csv": "E-mail,Favourite drink,Shoe size\nann@example.com,tea,9\n"})
    (tmp_path / "clients" / "outside.csv").write_text("email\nx@example.com\n")
    found = [str(p) for p in problems_of(root)]
    assert any("no file 'missing.csv' in clients/acme" in p for p in found)
    assert any("'../outside.csv' is outside the client's folder" in p for p in found)
    assert any(p.startswith("clients/acme/audience.yaml:") and "column 'Email' is not in" in p
               and "did you mean 'E-mail'" in p for p in found)
    assert any(p.startswith("clients/acme/cols.csv:1: column 'Shoe size'") and "ignore" in p for p in found)


def test_plain_addresses_are_normalised_exactly_as_email_validator_does() -> None:
    """The fast path for plain addresses gives email-validator's answer (it is 30 times cheaper at 64k contacts)."""
    from email_validator import EmailNotValidError, validate_email

    rnd = random.Random(14)
    chars = string.ascii_letters + string.digits + "._%+-"
    tried = 0
    for _ in range(20000):
        local = rnd.choice(["noc", "Info", "a..b", ".x"]) if rnd.random() < 0.05 else \
            "".join(rnd.choice(chars) for _ in range(rnd.randint(1, 10)))
        labels = ["".join(rnd.choice(string.ascii_letters + string.digits + "-") for _ in range(rnd.randint(1, 6)))
                  for _ in range(rnd.randint(1, 3))]
        domain = ".".join(labels) + rnd.choice(["", ".com", ".local", ".test", ".Arpa", ".co.uk", "-x", ".bäckerei"])
        text = f"{local}@{domain}"
        try:
            expected: str | None = validate_email(text, check_deliverability=False, allow_smtputf8=False,
                                                  test_environment=True).ascii_email
        except EmailNotValidError:
            expected = None
        assert normalise_email(text)[0] == expected, text
        tried += expected is not None
    assert tried > 1000


def test_checked_file_contacts_are_kept_between_loads_and_any_change_is_seen(tmp_path: Path) -> None:
    root = with_files(tmp_path, """\
        contact_files:
          - {file: people.csv, on_bad_row: skip}
        """, {"people.csv": "email,phone,birthday,email_consent,lists\n"
                            "Zoe@Example.COM,07911 123456,1990-02-03,unsubscribed,customers\n"
                            "bad@@example.com,,,,\n"
                            ",+44 7911 654321,,,\n",
              "every.csv": "email,first_name,last_name,timezone,tags,lists,favourite_drink,birthday,sms_consent,"
                           "phone,opted_in_at,opt_in_ip\n"
                           "Asa@bäckerei.example, Åsa ,Øvergaard,Europe/Oslo,vip,trade;customers,42,,subscribed,"
                           "+4791234567,2024-03-01T09:30:00+01:00,192.0.2.7\n"})
    (tmp_path / AUDIENCE).write_text((tmp_path / AUDIENCE).read_text() + "  - every.csv\n")
    first = load(root)
    cache = tmp_path / ".hub" / "cache" / "contacts-acme.json"
    assert cache.is_file()
    again = load(root)
    kept, checked = again.clients["acme"].audience.contacts, first.clients["acme"].audience.contacts
    assert [(c.model_dump(), c.source) for c in kept] == [(c.model_dump(), c.source) for c in checked]
    assert kept == checked
    assert [[type(v) for v in (*c.fields.values(), c.consent.email, c.consent.sms, c.consent.opted_in_at)]
            for c in kept] == [[type(v) for v in (*c.fields.values(), c.consent.email, c.consent.sms,
                                                  c.consent.opted_in_at)] for c in checked]
    asa = next(c for c in kept if c.first_name == "Åsa")
    assert asa.consent.opt_in_ip == "192.0.2.7" and asa.consent.opted_in_at is not None
    zoe = next(c for c in again.clients["acme"].audience.contacts if c.key == "zoe@example.com")
    assert zoe.fields["birthday"] == date(1990, 2, 3) and zoe.phone == "+447911123456"
    assert zoe.source == "clients/acme/people.csv:2"
    assert [(w.line, w.message) for w in again.warnings if w.file.endswith("people.csv")] == \
        [(w.line, w.message) for w in first.warnings if w.file.endswith("people.csv")] != []

    def skipped_rows() -> list[str]:
        return [w.message for w in load(root).warnings if w.file.endswith("people.csv")]

    # a changed row, or a changed field type in audience.yaml, is checked again
    (tmp_path / "clients/acme/people.csv").write_text("email,phone,birthday\nzoe@example.com,,31/12/1990\n")
    assert any("date field" in m for m in skipped_rows())
    (tmp_path / "clients/acme/people.csv").write_text("email,visits\nzoe@example.com,often\n")
    audience = tmp_path / AUDIENCE
    audience.write_text(audience.read_text().replace("  - id: birthday\n", "  - id: visits\n    name: Visits\n"
                                                     "    type: text\n  - id: birthday\n"))
    assert skipped_rows() == []
    audience.write_text(audience.read_text().replace("    type: text\n", "    type: number\n"))
    assert any("number field" in m for m in skipped_rows())

    # an unreadable cache is not used
    audience.write_text(audience.read_text().replace("    type: number\n", "    type: text\n"))
    load(root)
    assert cache.is_file()
    cache.write_text(cache.read_text().splitlines()[0] + "\n{not json")
    assert {c.key for c in load(root).clients["acme"].audience.contacts} >= {"zoe@example.com"}
