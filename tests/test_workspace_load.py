"""Loading a valid workspace: what the neutral model looks like afterwards."""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest
from workspace_fixtures import BASE_FILES, NOW, edit, line_of, load, make_registry, make_workspace

from hub.errors import ConfigError
from hub.workspace import find_root, load_workspace, parse_yaml, workspace_digest
from hub.workspace.yamlpos import YamlSyntaxError

CAMPAIGN = "clients/acme/campaigns/launch.yaml"
AUTOMATION = "clients/acme/automations/welcome.yaml"
AUDIENCE = "clients/acme/audience.yaml"
CLIENT = "clients/acme/client.yaml"


# -- finding the workspace ----------------------------------------------------------------------------


def test_find_root_walks_up_from_a_nested_folder(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    assert find_root(root / "clients" / "acme" / "campaigns") == root.resolve()
    assert find_root(root / CAMPAIGN) == root.resolve()
    assert find_root(root) == root.resolve()


def test_find_root_without_a_workspace_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_root(tmp_path)
    assert "hub init" in str(info.value) and info.value.exit_code == 4


def test_loading_a_folder_without_hub_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="hub init"):
        load_workspace(tmp_path, make_registry())


# -- the model ----------------------------------------------------------------------------------------


def test_loads_clients_campaigns_and_automations(tmp_path: Path) -> None:
    ws = load(make_workspace(tmp_path))
    assert ws.root == str(tmp_path.resolve())
    assert ws.config.timezone == "Europe/London"
    client = ws.clients["acme"]
    assert client.name == "acme" and client.config.name == "Acme Coffee"
    assert Path(client.dir) == tmp_path.resolve() / "clients" / "acme"
    assert client.timezone == "Europe/London"  # from hub.yaml
    assert client.config.country == "GB"
    assert [c.id for c in client.campaigns] == ["launch"]  # the file name
    assert [a.id for a in client.automations] == ["welcome"]
    assert [s.id for s in client.automations[0].steps] == ["hello", "step-2", "check", "thanks", "done"]
    assert client.campaigns[0].schedule.at == datetime(2026, 4, 1, 9, 0)
    assert client.audience.list_ids() == {"customers", "trade"}


def test_client_timezone_overrides_the_workspace(tmp_path: Path) -> None:
    ws = load(make_workspace(tmp_path, edit(CLIENT, "country: GB\n", "country: GB\ntimezone: America/New_York\n")))
    assert ws.clients["acme"].timezone == "America/New_York"


def test_explicit_id_wins_over_the_file_name(tmp_path: Path) -> None:
    ws = load(make_workspace(tmp_path, edit(CAMPAIGN, "name: Spring launch", "id: spring-2026\nname: Spring launch")))
    assert [c.id for c in ws.clients["acme"].campaigns] == ["spring-2026"]


def test_items_know_where_they_were_written(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    client = load(root).clients["acme"]
    assert client.campaigns[0].source == f"{CAMPAIGN}:1"
    assert client.campaigns[0].email.source == f"{CAMPAIGN}:4"  # type: ignore[union-attr]
    assert client.automations[0].steps[2].source == f"{AUTOMATION}:{line_of(root, AUTOMATION, 'id: check')}"
    bob = client.audience.contacts[1]
    assert bob.source == f"{AUDIENCE}:{line_of(root, AUDIENCE, 'bob@example.com')}"
    assert client.audience.segments[0].rules[0].source == f"{AUDIENCE}:{line_of(root, AUDIENCE, '- tag: vip')}"
    assert client.config.source == f"{CLIENT}:1"


# -- phones, dates and YAML surprises ----------------------------------------------------------------


def test_phones_are_normalised_to_e164(tmp_path: Path) -> None:
    changes = edit(AUDIENCE, "  - email: bob@example.com\n",
                   "  - email: bob@example.com\n    phone: 0117 496 0999\n"
                   "  - phone: +441174960998\n    first_name: Unquoted\n")
    contacts = load(make_workspace(tmp_path, changes)).clients["acme"].audience.contacts
    assert [c.phone for c in contacts] == ["+441174960123", "+441174960999", "+441174960998"]


def test_us_number_with_country_code_is_fine_for_a_gb_client(tmp_path: Path) -> None:
    changes = edit(AUDIENCE, '"+44 117 496 0123"', '"+1 (202) 555-0143"')
    assert load(make_workspace(tmp_path, changes)).clients["acme"].audience.contacts[0].phone == "+12025550143"


def test_field_values_follow_their_field_type(tmp_path: Path) -> None:
    more_fields = ("    type: date\n  - id: postcode\n    name: Postcode\n"
                   "  - id: visits\n    name: Visits\n    type: number\n")
    text = edit(AUDIENCE, "    type: date\n", more_fields)[AUDIENCE]
    text = text.replace("birthday: 1990-05-14}", "birthday: '1990-05-14', postcode: 01234, visits: 3}")
    contact = load(make_workspace(tmp_path, {AUDIENCE: text})).clients["acme"].audience.contacts[0]
    assert contact.fields == {"favourite_drink": "flat white", "birthday": date(1990, 5, 14), "postcode": "01234",
                              "visits": 3.0}


def test_tags_and_lists_can_be_written_as_plain_ids(tmp_path: Path) -> None:
    ws = load(make_workspace(tmp_path, edit(AUDIENCE, "tags:\n  - id: vip\n    name: VIP\n", "tags: [vip, gold]\n")))
    assert [(t.id, t.name) for t in ws.clients["acme"].audience.tags] == [("vip", "vip"), ("gold", "gold")]


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    audience = textwrap.dedent(BASE_FILES[AUDIENCE]).replace(
        "contacts:\n", "contacts:\n  - &regular {email: cy@example.com, lists: [customers]}\n"
                       "  - {<<: *regular, email: di@example.com}\n")
    contacts = load(make_workspace(tmp_path, {AUDIENCE: audience})).clients["acme"].audience.contacts
    assert [(c.email, c.lists) for c in contacts[:2]] == [("cy@example.com", ["customers"]),
                                                         ("di@example.com", ["customers"])]


def test_empty_or_missing_audience(tmp_path: Path) -> None:
    files = {AUDIENCE: "", CAMPAIGN: None, AUTOMATION: None}
    assert load(make_workspace(tmp_path, files)).clients["acme"].audience.contacts == []
    (tmp_path / AUDIENCE).unlink()
    assert load(tmp_path).clients["acme"].audience.lists == []


# -- brand kit ----------------------------------------------------------------------------------------


def test_brand_fills_sender_reply_to_and_sms_sender(tmp_path: Path) -> None:
    client = load(make_workspace(tmp_path)).clients["acme"]
    email = client.campaigns[0].email
    assert email is not None and email.from_ is not None
    assert (email.from_.name, email.from_.email, email.reply_to) == ("Acme Coffee", "hello@acme.example",
                                                                      "help@acme.example")
    assert client.campaigns[0].sms.sender == "AcmeCoffee"  # type: ignore[union-attr]
    step_email = client.automations[0].steps[0].send_email
    assert step_email is not None and step_email.from_ is not None and step_email.from_.email == "hello@acme.example"


def test_explicit_sender_wins_and_a_partial_one_is_completed(tmp_path: Path) -> None:
    changes = {**edit(CAMPAIGN, "email:\n", "email:\n  from: {name: Acme Roastery}\n  reply_to: r@acme.example\n"),
               **edit(AUTOMATION, "send_email:\n", "send_email:\n      from: {name: Ann, email: ann@acme.example}\n")}
    client = load(make_workspace(tmp_path, changes)).clients["acme"]
    email = client.campaigns[0].email
    assert email is not None and email.from_ is not None
    assert (email.from_.name, email.from_.email, email.reply_to) == ("Acme Roastery", "hello@acme.example",
                                                                      "r@acme.example")
    sender = client.automations[0].steps[0].send_email.from_  # type: ignore[union-attr]
    assert sender is not None and (sender.name, sender.email) == ("Ann", "ann@acme.example")


def test_brand_variables_are_filled_in_and_recipient_variables_kept(tmp_path: Path) -> None:
    changes = {**edit(CLIENT, "  sms_sender: AcmeCoffee\n", "  sms_sender: AcmeCoffee\n  instagram: '@acme'\n"),
               **edit(CAMPAIGN, "{{ brand.footer_address }}", "{{ brand.footer_address }} {{ brand.instagram }}")}
    body = load(make_workspace(tmp_path, changes)).clients["acme"].campaigns[0].email.body_markdown  # type: ignore
    assert "1 High Street, Bristol @acme" in body
    assert "Hi {{ first_name }}," in body and "{{ unsubscribe_url }}" in body


# -- blueprints ---------------------------------------------------------------------------------------

BLUEPRINT = """\
description: A welcome automation any client can use
variables:
  list: {default: customers}
  code: {required: true}
automations:
  - id: bp-welcome
    name: Welcome ({{ vars.code }})
    trigger: {joined_list: "{{ vars.list }}"}
    steps:
      - send_email:
          subject: "Your code: {{ vars.code }}"
          body_markdown: |
            Hi {{ first_name | default("friend") }}, from {{ brand.sender_name }}.
            [Unsubscribe]({{ unsubscribe_url }})
campaigns:
  - id: bp-promo
    name: Promo
    audience: {list: "{{ vars.list }}"}
    email:
      subject: Promo
      body_html: '<a href="{{ unsubscribe_url }}">x</a>'
"""


def test_blueprint_expansion_with_variables_and_brand(tmp_path: Path) -> None:
    second_client = textwrap.dedent(BASE_FILES[CLIENT]).replace("Acme Coffee", "Beta Bakes").replace(
        "accounts:", "use:\n  - blueprint: welcome\n    with: {code: BETA5, list: trade}\naccounts:")
    files = {
        "blueprints/welcome.yaml": BLUEPRINT,
        **edit(CLIENT, "accounts:", "use:\n  - blueprint: welcome\n    with: {code: ACME10}\naccounts:"),
        "clients/beta/client.yaml": second_client,
        "clients/beta/audience.yaml": BASE_FILES[AUDIENCE],
    }
    ws = load(make_workspace(tmp_path, files))
    acme, beta = ws.clients["acme"], ws.clients["beta"]
    a = next(x for x in acme.automations if x.id == "bp-welcome")
    b = next(x for x in beta.automations if x.id == "bp-welcome")
    assert (a.name, a.trigger.joined_list) == ("Welcome (ACME10)", "customers")  # default
    assert (b.name, b.trigger.joined_list) == ("Welcome (BETA5)", "trade")  # given
    assert a.steps[0].send_email.subject == "Your code: ACME10"  # type: ignore[union-attr]
    assert "from Acme Coffee." in a.steps[0].send_email.body_markdown  # type: ignore[union-attr,operator]
    assert "from Beta Bakes." in b.steps[0].send_email.body_markdown  # type: ignore[union-attr,operator]
    assert a.steps[0].send_email.from_.email == "hello@acme.example"  # type: ignore[union-attr]
    assert a.source == "blueprints/welcome.yaml:6"
    assert [c.id for c in beta.campaigns] == ["bp-promo"]
    assert beta.campaigns[0].audience.list == "trade"
    assert [c.id for c in acme.campaigns] == ["launch", "bp-promo"]


# -- digest -------------------------------------------------------------------------------------------


def test_digest_covers_every_workspace_file(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    first = load(root).digest
    assert first == load(root).digest == workspace_digest(root)
    assert len(first) == 64

    (root / ".hub").mkdir()
    (root / ".hub" / "state.db").write_text("state")
    assert load(root).digest == first  # state is not workspace input

    (root / "clients/acme/notes.md").write_text("a note")
    second = load(root).digest
    assert second != first

    text = (root / CAMPAIGN).read_text()
    (root / CAMPAIGN).write_text(text.replace("Spring launch", "Spring launch!"))
    assert load(root).digest not in (first, second)


def test_digest_depends_on_paths_not_only_contents(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    first = load(root).digest
    (root / CAMPAIGN).rename(root / "clients/acme/campaigns/launch2.yaml")
    (root / "clients/acme/campaigns/launch2.yaml").write_text("id: launch\n" + (root / "clients/acme/campaigns/"
                                                                                "launch2.yaml").read_text())
    assert load(root).digest != first


# -- yamlpos ------------------------------------------------------------------------------------------


def test_yamlpos_lines_of_keys_items_and_blocks() -> None:
    doc = parse_yaml("a: 1\nsteps:\n  - id: x\n    body: |\n      one\n      two\n  - id: y\n", "f.yaml")
    assert doc.data == {"a": 1, "steps": [{"id": "x", "body": "one\ntwo\n"}, {"id": "y"}]}
    assert doc.line(("a",)) == 1
    assert doc.line(("steps", 0)) == 3
    assert doc.line(("steps", 1, "id")) == 7
    assert doc.line(("steps", 0, "missing", "deeper")) == 3  # nearest written ancestor
    assert doc.text_line(("steps", 0, "body"), 4, "one\ntwo\n") == 6


def test_yamlpos_keeps_phone_like_numbers_as_text() -> None:
    doc = parse_yaml("a: +447700900123\nb: 0117\nc: 12\nd: 1_000\ne: 0x1f\nf: 2.5\ng: true\nh: ~\n", "f.yaml")
    assert doc.data == {"a": "+447700900123", "b": "0117", "c": 12, "d": 1000, "e": 31, "f": 2.5, "g": True,
                        "h": None}


def test_yamlpos_dates_and_times() -> None:
    doc = parse_yaml("d: 2026-01-02\nt: 2026-01-02 09:30:00\ns: 2026-01-02 09:30\nyes: no\n", "f.yaml")
    assert doc.data == {"d": date(2026, 1, 2), "t": datetime(2026, 1, 2, 9, 30), "s": "2026-01-02 09:30",
                        "yes": "no"}


def test_yamlpos_reports_duplicate_keys() -> None:
    doc = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert doc.data == {"a": 1, "b": 2}
    assert doc.duplicates == [(3, "duplicate key 'a' (first written on line 1); keep one")]


def test_yamlpos_syntax_error_line() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "f.yaml")
    assert info.value.line == 3


def test_now_defaults_to_the_current_time(tmp_path: Path) -> None:
    # NOW is before the schedule, but the real clock (2026 or later) may not be: only check it runs
    root = make_workspace(tmp_path, edit(CAMPAIGN, "2026-04-01 09:00", "2999-04-01 09:00"))
    ws = load_workspace(root, make_registry())
    assert ws.clients["acme"].campaigns[0].schedule.at == datetime(2999, 4, 1, 9, 0)
    assert NOW.year == 2026


# -- issue 9: one inheritance rule for brand-kit settings (workspace -> client -> campaign) -------------


HUB_WITH_KIT = """\
version: 1
timezone: Europe/London
quiet_hours: {start: "21:00", end: "08:00"}
brand:
  footer_address: The Agency, 1 Main Street
  website: https://agency.example
"""


def test_hub_yaml_brand_kit_settings_reach_clients_that_do_not_set_them(tmp_path: Path) -> None:
    changes = {"hub.yaml": HUB_WITH_KIT,
               **edit(CLIENT, "  footer_address: 1 High Street, Bristol\n", ""),
               **edit(CAMPAIGN, "{{ brand.footer_address }}", "{{ brand.footer_address }} {{ brand.website }}")}
    client = load(make_workspace(tmp_path, changes)).clients["acme"]
    quiet = client.config.quiet_hours
    assert quiet is not None and (str(quiet.start), str(quiet.end)) == ("21:00:00", "08:00:00")
    assert client.config.brand.footer_address == "The Agency, 1 Main Street"
    assert client.config.brand.sender_name == "Acme Coffee"  # the client's own keys stay
    assert "The Agency, 1 Main Street https://agency.example" in client.campaigns[0].email.body_markdown  # type: ignore
    campaign = client.campaigns[0]
    assert client.quiet_hours_for(campaign) == quiet


def test_the_nearest_level_that_sets_a_brand_kit_setting_wins(tmp_path: Path) -> None:
    changes = {"hub.yaml": HUB_WITH_KIT,
               **edit(CLIENT, "country: GB\n", "country: GB\nquiet_hours: {start: '22:00', end: '07:00'}\n"),
               **edit(CAMPAIGN, "schedule:", "quiet_hours: {start: '20:00', end: '09:00'}\nschedule:")}
    client = load(make_workspace(tmp_path, changes)).clients["acme"]
    assert client.config.brand.footer_address == "1 High Street, Bristol"  # client.yaml's, not hub.yaml's
    assert client.config.brand.website == "https://agency.example"  # not set by the client: hub.yaml's
    assert str(client.config.quiet_hours.start) == "22:00:00"  # type: ignore[union-attr]
    assert str(client.quiet_hours_for(client.campaigns[0]).start) == "20:00:00"  # type: ignore[union-attr]
    assert str(client.quiet_hours_for(None).start) == "22:00:00"  # type: ignore[union-attr]


# -- issue 9: email addresses trimmed, IDN domains in ASCII, names trimmed ------------------------------


def test_emails_are_trimmed_and_unicode_domains_converted_to_ascii(tmp_path: Path) -> None:
    changes = {**edit(AUDIENCE, "- email: bob@example.com", "- email: '  Bob@Bücher.example '\n    first_name: ' Bob '"
                                                           "\n    last_name: 'Smith  '"),
               **edit(CLIENT, "sender_email: hello@acme.example", "sender_email: ' hello@café.example'"),
               **edit(CAMPAIGN, "email:\n", "email:\n  reply_to: 'help@café.example '\n")}
    client = load(make_workspace(tmp_path, changes)).clients["acme"]
    bob = client.audience.contacts[1]
    assert (bob.email, bob.first_name, bob.last_name) == ("Bob@xn--bcher-kva.example", "Bob", "Smith")
    assert bob.key == "bob@xn--bcher-kva.example"
    email = client.campaigns[0].email
    assert email is not None and email.from_ is not None
    assert (email.from_.email, email.reply_to) == ("hello@xn--caf-dma.example", "help@xn--caf-dma.example")
    assert client.config.brand.sender_email == "hello@xn--caf-dma.example"
