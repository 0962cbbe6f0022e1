"""Every kind of bad input gives one clear problem at the right file:line, saying what would be right."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from workspace_fixtures import (
    BASE_FILES,
    StandInMailerLite,
    StandInTwilio,
    StrictProvider,
    edit,
    line_of,
    load,
    make_registry,
    make_workspace,
    only_problem,
    problems_of,
)

from hub.errors import ConfigError, ExitCode
from hub.model import Client
from hub.model.personalisation import MergeTagTranslator, Variable

CAMPAIGN = "clients/acme/campaigns/launch.yaml"
AUTOMATION = "clients/acme/automations/welcome.yaml"
AUDIENCE = "clients/acme/audience.yaml"
CLIENT = "clients/acme/client.yaml"


def test_the_base_workspace_is_valid(tmp_path: Path) -> None:
    assert load(make_workspace(tmp_path)).clients["acme"].name == "acme"


def test_problems_exit_with_code_4(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "list: customers", "list: nope"))
    with pytest.raises(ConfigError) as info:
            load(root)
    assert info.value.exit_code == ExitCode.INVALID == 4


# -- syntax and shape ---------------------------------------------------------------------------------


def test_yaml_syntax_error_has_the_line_the_parser_found(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {CAMPAIGN: "name: Launch\naudience: {list: customers\nemail:\n  subject: x\n"})
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, 3)
    assert "YAML syntax error" in p.message and "started on line 2" in p.message


def test_tab_indentation_is_a_syntax_error(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {CAMPAIGN: "name: Launch\naudience:\n\tlist: customers\n"})
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, 3)
    assert "YAML syntax error" in p.message


def test_unknown_key_suggests_the_known_one(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "  subject:", "  subjet:"))
    p = only_problem(root)  # and no "missing required key 'subject'" on top
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "subjet"))
    assert p.message == "unknown key 'subjet'; did you mean 'subject'?"


def test_a_typo_does_not_hide_other_problems_in_the_same_item(tmp_path: Path) -> None:
    text = edit(CAMPAIGN, "  subject:", "  subjet:")[CAMPAIGN].replace("list: customers", "list: custmers")
    text = text.replace("subjet: Hello", "subjet: Hello {{ frist_name }}")
    root = make_workspace(tmp_path, {CAMPAIGN: text})
    found = problems_of(root)
    assert [(p.line, p.message) for p in found] == [
        (3, "unknown list 'custmers'; did you mean 'customers'?"),
        (5, "unknown key 'subjet'; did you mean 'subject'?"),
        (5, "unknown variable '{{ frist_name }}'; did you mean 'first_name'?"),
    ]


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "    name: Trade\n", "    name: Trade\n    colour: red\n"))
    p = only_problem(root)
    assert (p.file, p.line) == (AUDIENCE, line_of(root, AUDIENCE, "colour"))
    assert p.message == "unknown key 'colour' (allowed keys: description, id, name)"


def test_unknown_top_level_key_in_audience(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "tags:", "tag:"))
    found = problems_of(root)
    assert found[0].line == line_of(root, AUDIENCE, "tag:")
    assert "unknown key 'tag'; did you mean 'tags'?" in found[0].message


def test_missing_required_key(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "name: Spring launch\n", ""))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, 1)
    assert p.message == "missing required key 'name'"


def test_missing_nested_key_is_on_the_parent_line(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUTOMATION, "      subject: Welcome!\n", ""))
    p = only_problem(root)
    assert (p.file, p.line) == (AUTOMATION, line_of(root, AUTOMATION, "send_email:"))
    assert p.message == "missing required key 'subject'"


def test_enum_value_lists_the_allowed_values(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "type: date", "type: datetime"))
    p = only_problem(root)  # and the contact's `birthday` value is not also reported as an unknown field
    assert (p.file, p.line) == (AUDIENCE, line_of(root, AUDIENCE, "type: datetime"))
    assert p.message == "'type' must be one of: text, number or date (got 'datetime')"


def test_literal_value_lists_the_allowed_values(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "  at: 2026-04-01 09:00", "  mode: later"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "mode: later"))
    assert "draft, now or at" in p.message


def test_invalid_id_says_what_an_id_looks_like(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "id: trade", "id: Trade Stuff"))
    p = only_problem(root)
    assert (p.file, p.line) == (AUDIENCE, line_of(root, AUDIENCE, "Trade Stuff"))
    assert "'Trade Stuff' is not a valid id" in p.message and "lowercase letters" in p.message


def test_wrong_type_in_a_union_is_one_problem(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "favourite_drink: flat white", "favourite_drink: [a, b]"))
    p = only_problem(root)
    assert p.line == line_of(root, AUDIENCE, "favourite_drink: [a, b]")
    assert "should be text or a number or a date" in p.message and "got a list" in p.message


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "name: Spring launch\n", "name: Spring launch\nname: Again\n"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, 2)
    assert "duplicate key 'name' (first written on line 1)" in p.message


def test_campaign_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {CAMPAIGN: "- just\n- a list\n"})
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, 1)
    assert "should be a mapping" in p.message


def test_a_broken_key_in_client_yaml_does_not_hide_the_rest(tmp_path: Path) -> None:
    text = edit(CLIENT, "name: Acme Coffee\n", "quiet_hours: {start: late}\n")[CLIENT]
    text = text.replace("provider: twilio", "provider: twillio")
    root = make_workspace(tmp_path, {CLIENT: text, **edit(CAMPAIGN, "{{ brand.footer_address }}", "{{ brand.x }}")})
    found = problems_of(root)
    assert [(p.file, p.line, p.message.split(";")[0]) for p in found] == [
        (CAMPAIGN, line_of(root, CAMPAIGN, "brand.x"), "brand key 'x' is not set for client 'acme'"),
        (CLIENT, 1, "missing required key 'name'"),
        (CLIENT, 1, "'start' should be a time like '21:00' (got text: 'late')"),
        (CLIENT, 1, "missing required key 'end'"),
        (CLIENT, line_of(root, CLIENT, "twillio"), "provider 'twillio' is not installed"),
    ]


def test_unsupported_workspace_version(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"hub.yaml": "version: 2\ntimezone: Europe/London\n"})
    p = only_problem(root)
    assert (p.file, p.line) == ("hub.yaml", 1)
    assert "workspace version 1, not 2; write `version: 1`" in p.message


def test_client_folder_without_client_yaml(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"clients/ghost/audience.yaml": "lists: []\n"})
    p = only_problem(root)
    assert p.file == "clients/ghost/client.yaml"
    assert "has no client.yaml" in p.message and "name:" in p.message


def test_misspelt_folder_is_reported(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"clients/acme/campaign/other.yaml": "name: x\n"})
    p = only_problem(root)
    assert p.file == "clients/acme/campaign"
    assert "did you mean 'campaigns'?" in p.message


# -- emails and phones --------------------------------------------------------------------------------


def test_bad_contact_email(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "bob@example.com", "bob@example"))
    p = only_problem(root)
    assert (p.file, p.line) == (AUDIENCE, line_of(root, AUDIENCE, "bob@example"))
    assert "'bob@example' is not a valid email address" in p.message and "name@example.com" in p.message


@pytest.mark.parametrize("bad", ["bob smith@example.com", "bob@@example.com", "@example.com", "bob..x@example.com"])
def test_email_syntax_variants(tmp_path: Path, bad: str) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "bob@example.com", f"'{bad}'"))
    p = only_problem(root)
    assert p.line == line_of(root, AUDIENCE, f"'{bad}'")
    assert "is not a valid email address" in p.message


def test_bad_brand_sender_email(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "sender_email: hello@acme.example", "sender_email: hello.acme"))
    found = problems_of(root)
    assert any(p.file == CLIENT and p.line == line_of(root, CLIENT, "sender_email") and "valid email" in p.message
               for p in found)


def test_bad_from_email_in_a_campaign(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "email:\n", "email:\n  from: {name: Acme, email: acme}\n"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "from:"))
    assert "'acme' is not a valid email address" in p.message


def test_phone_that_cannot_be_e164(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, '"+44 117 496 0123"', '"12345"'))
    p = only_problem(root)
    assert (p.file, p.line) == (AUDIENCE, line_of(root, AUDIENCE, '"12345"'))
    assert "phone '12345' is not a valid number for GB" in p.message and "+447911123456" in p.message


def test_national_phone_without_country_asks_for_one(tmp_path: Path) -> None:
    changes = {**edit(CLIENT, "country: GB\n", ""), **edit(AUDIENCE, '"+44 117 496 0123"', '"0117 496 0123"')}
    root = make_workspace(tmp_path, changes)
    p = only_problem(root)
    assert p.line == line_of(root, AUDIENCE, "0117 496 0123")
    assert "set `country:`" in p.message


def test_unknown_country(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "country: GB", "country: XX"))
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, 2)
    assert "unknown country code 'XX'" in p.message and "GB" in p.message


def test_unknown_timezone(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "country: GB\n", "country: GB\ntimezone: Europe/Bristol\n"))
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, 3)
    assert "unknown timezone 'Europe/Bristol'" in p.message and "Europe/London" in p.message


# -- references ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "old", "new", "needle", "expected"),
    [
        (CAMPAIGN, "list: customers", "list: custmers", "custmers",
         "unknown list 'custmers'; did you mean 'customers'?"),
        (CAMPAIGN, "  list: customers\n", "  list: customers\n  segment: vip\n", "segment: vip",
         "unknown segment 'vip'; did you mean 'vips'?"),
        (AUDIENCE, "tags: [vip]", "tags: [vpi]", "vpi", "unknown tag 'vpi'; did you mean 'vip'?"),
        (AUDIENCE, "lists: [customers]\n    tags", "lists: [customer]\n    tags", "[customer]",
         "unknown list 'customer'; did you mean 'customers'?"),
        (AUDIENCE, "{favourite_drink: flat white", "{favourite_drnk: flat white", "favourite_drnk",
         "unknown field 'favourite_drnk'; did you mean 'favourite_drink'?"),
        (AUDIENCE, "- tag: vip", "- tag: vips", "tag: vips", "unknown tag 'vips'; did you mean 'vip'?"),
        (AUTOMATION, "joined_list: customers", "joined_list: clients", "joined_list",
         "unknown list 'clients' (defined lists: customers, trade)"),
        (AUTOMATION, "add_tag: vip", "add_tag: gold", "add_tag", "unknown tag 'gold' (defined tags: vip)"),
        (AUTOMATION, "add_tag: vip", "move_to_list: trad", "move_to_list",
         "unknown list 'trad'; did you mean 'trade'?"),
        (AUTOMATION, "condition: {opened: hello}", "condition: {tag: vipp}", "condition",
         "unknown tag 'vipp'; did you mean 'vip'?"),
        (AUTOMATION, "condition: {opened: hello}", "condition: {opened: check}", "condition",
         "'opened' must name an earlier send_email step; 'check' is not one (send_email steps: hello)"),
        (AUTOMATION, "steps:", "enrol: {segment: vps}\nsteps:", "enrol", "unknown segment 'vps'; did you mean 'vips'?"),
        (AUTOMATION, "steps:", "enrol:\n  contacts: [ann@example.co]\nsteps:", "contacts",
         "'ann@example.co' is not a contact in clients/acme/audience.yaml; did you mean 'ann@example.com'?"),
    ],
)
def test_reference_to_something_undefined(tmp_path: Path, rel: str, old: str, new: str, needle: str,
                                          expected: str) -> None:
    root = make_workspace(tmp_path, edit(rel, old, new))
    p = only_problem(root)
    assert (p.file, p.line) == (rel, line_of(root, rel, needle))
    assert p.message.startswith(expected), p.message


def test_anniversary_needs_a_date_field(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUTOMATION, "joined_list: customers", "anniversary: favourite_drink"))
    p = only_problem(root)
    assert p.line == line_of(root, AUTOMATION, "anniversary")
    assert "needs a date field (date fields: birthday)" in p.message


def test_reference_when_nothing_is_defined_says_where_to_define_it(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {AUDIENCE: None, AUTOMATION: None,
                                     CAMPAIGN: textwrap_campaign("audience: {list: customers}")})
    p = only_problem(root)
    assert p.file == CAMPAIGN
    assert "unknown list 'customers'" in p.message
    assert "define it under 'lists:' in clients/acme/audience.yaml" in p.message


def textwrap_campaign(audience: str) -> str:
    return (f"name: Launch\n{audience}\nemail:\n  subject: Hi\n  body_markdown: |\n"
            "    [Unsubscribe]({{ unsubscribe_url }})\n")


# -- personalisation ----------------------------------------------------------------------------------


def test_unknown_variable_suggests_the_known_one(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "Hi {{ first_name }},", "Hi {{ frist_name }},"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "frist_name"))  # the line inside the block
    assert p.message == "unknown variable '{{ frist_name }}'; did you mean 'first_name'?"


def test_unknown_custom_field_variable(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "fields.favourite_drink", "fields.favorite_drink"))
    p = only_problem(root)
    assert p.line == line_of(root, CAMPAIGN, "favorite_drink")
    assert "did you mean 'fields.favourite_drink'?" in p.message


def test_malformed_placeholder(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "Hi {{ first_name }},", "Hi {{ first name }},"))
    p = only_problem(root)
    assert p.line == line_of(root, CAMPAIGN, "first name")
    assert "malformed placeholder '{{ first name }}'" in p.message and '{{ name | default("text") }}' in p.message


def test_recipient_variable_outside_message_text(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "name: Spring launch", "name: Launch for {{ first_name }}"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, 1)
    assert "varies per recipient" in p.message


def test_blueprint_variable_outside_a_blueprint(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "Hello {{", "Hello {{ vars.code }} {{"))
    p = only_problem(root)
    assert p.line == line_of(root, CAMPAIGN, "vars.code")
    assert "only works inside a blueprint" in p.message


def test_unset_brand_key_names_the_key_and_client_yaml(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "{{ brand.footer_address }}", "{{ brand.phone }}"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "brand.phone"))
    assert "brand key 'phone' is not set" in p.message and "under 'brand:' in clients/acme/client.yaml" in p.message


def test_brand_key_with_a_default_is_fine(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "{{ brand.footer_address }}",
                                         '{{ brand.phone | default("0117 496 0000") }}'))
    body = load(root).clients["acme"].campaigns[0].email.body_markdown  # type: ignore[union-attr]
    assert "0117 496 0000" in (body or "")


def test_misspelt_brand_key(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "sms_sender: AcmeCoffee", "sms_sendr: AcmeCoffee"))
    p = only_problem(root)
    assert p.line == line_of(root, CLIENT, "sms_sendr")
    assert "did you mean 'sms_sender'?" in p.message


def test_merge_tag_the_provider_cannot_translate(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "subject: Hello", "subject: Call {{ phone }} Hello"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "subject:"))
    assert "MailerLite (account 'mailerlite') has no merge tag for '{{ phone }}'" in p.message
    assert "first_name" in p.message


# -- content rules ------------------------------------------------------------------------------------


def test_campaign_email_without_unsubscribe_link(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "[Unsubscribe]({{ unsubscribe_url }})", "Bye"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "body_markdown"))
    assert "no unsubscribe link" in p.message and "[Unsubscribe]({{ unsubscribe_url }})" in p.message


def test_automation_email_without_unsubscribe_link(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUTOMATION, '<a href="{{ unsubscribe_url }}">Unsubscribe</a>', ""))
    p = only_problem(root)
    assert (p.file, p.line) == (AUTOMATION, line_of(root, AUTOMATION, "body_html"))
    assert '<a href="{{ unsubscribe_url }}">Unsubscribe</a>' in p.message


def test_sms_over_budget_in_gsm(tmp_path: Path) -> None:
    body = "Hi {{ first_name }}, " + "fresh beans " * 13  # 3 + 10 + 2 + 155 (YAML drops the last space)
    root = make_workspace(tmp_path, edit(CAMPAIGN, "body: Hi {{ first_name }}, spring menu is here!", f"body: {body}"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "body: Hi"))
    assert "2 segments (GSM-7, 170 characters, 153 per segment)" in p.message
    assert "max_segments: 1" in p.message and "first_name 10 characters" in p.message


def test_sms_forced_into_ucs2_names_the_character(tmp_path: Path) -> None:
    body = "It’s spring! " + "New menu today. " * 4  # 76 characters (the last space is dropped), UCS-2
    root = make_workspace(tmp_path, edit(CAMPAIGN, "body: Hi {{ first_name }}, spring menu is here!", f"body: {body}"))
    p = only_problem(root)
    assert "2 segments (UCS-2, 76 UTF-16 units, 67 per segment)" in p.message
    assert "'’' (U+2019" in p.message
    assert "replacing ’ with ' would make it 1 segment (GSM-7" in p.message


def test_sms_within_a_raised_budget_is_fine(tmp_path: Path) -> None:
    body = "Hi {{ first_name }}, " + "fresh beans " * 13
    root = make_workspace(tmp_path, edit(CAMPAIGN, "body: Hi {{ first_name }}, spring menu is here!",
                                         f"body: {body}\n  max_segments: 2"))
    assert load(root).clients["acme"].campaigns[0].sms.max_segments == 2  # type: ignore[union-attr]


def test_email_without_sender_and_no_brand_sender(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "  sender_email: hello@acme.example\n", ""))
    found = problems_of(root)
    assert {(p.file, p.line) for p in found} == {(CAMPAIGN, line_of(root, CAMPAIGN, "email:")),
                                                 (AUTOMATION, line_of(root, AUTOMATION, "send_email:"))}
    assert all("no sender" in p.message and "sender_email under 'brand:'" in p.message for p in found)


# -- secrets ------------------------------------------------------------------------------------------

MAILCHIMP_KEY = "0123456789abcdef0123456789abcdef-us21"
JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiI0IiwianRpIjoiNzBlNTg2ZjQ3ZDJkIn0."
       "Sd7bWl5x8Jz0GQk9bF3fM2e7Qn2nR8cXkLm3pV9tY4sW1qZ")


def test_literal_secret_in_an_account_setting(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "api_key: env:ACME_ML_KEY", "api_key: not-a-reference-but-a-key"))
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "api_key"))
    assert "env:" in p.message and "hub secrets set acme mailerlite api_key" in p.message
    assert "not-a-reference-but-a-key" not in p.message


def test_vendor_shaped_key_in_an_account_is_reported_once(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "api_key: env:ACME_ML_KEY", f"api_key: {MAILCHIMP_KEY}"))
    p = only_problem(root)
    assert p.line == line_of(root, CLIENT, "api_key")
    assert MAILCHIMP_KEY not in p.message


@pytest.mark.parametrize(
    ("rel", "old", "new", "needle", "kind"),
    [
        ("hub.yaml", "version: 1\n", f"version: 1\n# pasted by mistake\nnotes: {MAILCHIMP_KEY}\n", "notes",
         "a Mailchimp API key"),
        (CAMPAIGN, "name: Spring launch\n", f"name: Spring launch\n# x\nsocial:\n  text: {JWT}\n", "text:",
         "an API token"),
        (CLIENT, "    auth_token: keyring:acme/twilio/auth_token",
         "    auth_token: keyring:acme/twilio/auth_token\n    api_secret: SK0123456789abcdef0123456789abcdef",
         "api_secret", "a Twilio credential"),
        (AUDIENCE, "fields: {favourite_drink",
         "fields: {access_token: 'Zx9Qw2Er7Ty4Ui1Op6As3Df8Gh5Jk0Lm', favourite_drink",
         "access_token", "a secret key or token"),
    ],
)
def test_literal_secret_anywhere_is_found(tmp_path: Path, rel: str, old: str, new: str, needle: str,
                                          kind: str) -> None:
    root = make_workspace(tmp_path, edit(rel, old, new))
    found = [p for p in problems_of(root) if "secrets never go in YAML" in p.message]
    assert len(found) == 1, found
    p = found[0]
    assert (p.file, p.line) == (rel, line_of(root, rel, needle))
    assert f"looks like {kind}" in p.message
    assert "env:NAME" in p.message and "hub secrets set" in p.message
    assert new.split(":")[-1].strip(" '}") not in p.message


def test_long_plain_text_under_an_ordinary_key_is_not_a_secret(tmp_path: Path) -> None:
    preheader = "  preheader: Zx9Qw2Er7Ty4Ui1Op6As3Df8Gh5Jk0LmNb\n"
    root = make_workspace(tmp_path, edit(CAMPAIGN, "  subject:", preheader + "  subject:"))
    load(root)


# -- schedules ----------------------------------------------------------------------------------------


def test_schedule_in_the_past(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "2026-04-01 09:00", "2026-02-01 09:00"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "schedule:"))
    assert "2026-02-01 09:00 (Europe/London) is in the past" in p.message
    assert "future time" in p.message and "schedule: now" in p.message


def test_schedule_in_the_past_is_fine_once_sent(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "2026-04-01 09:00", "2026-02-01 09:00"))
    seen = []

    def is_sent(client: str, campaign_id: str) -> bool:
        seen.append((client, campaign_id))
        return True

    load(root, is_sent=is_sent)
    assert seen == [("acme", "launch")]


def test_schedule_uses_the_clients_timezone(tmp_path: Path) -> None:
    # 12:30 in Tokyo is 03:30 UTC, before NOW (12:00 UTC) on the same day
    changes = {**edit(CLIENT, "country: GB\n", "country: GB\ntimezone: Asia/Tokyo\n"),
               **edit(CAMPAIGN, "2026-04-01 09:00", "2026-03-01 12:30")}
    p = only_problem(make_workspace(tmp_path, changes))
    assert "(Asia/Tokyo) is in the past" in p.message


# -- automation flow ----------------------------------------------------------------------------------


def test_unreachable_step(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUTOMATION, "yes: thanks", "yes: done"))
    p = only_problem(root)
    assert (p.file, p.line) == (AUTOMATION, line_of(root, AUTOMATION, "id: thanks"))
    assert "step 'thanks' is never reached" in p.message and "point a 'next', 'yes' or 'no' at it" in p.message


def test_cycle(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUTOMATION, "add_tag: vip", "add_tag: vip\n    next: hello"))
    p = only_problem(root)
    assert (p.file, p.line) == (AUTOMATION, line_of(root, AUTOMATION, "next: hello"))
    assert "hello -> step-2 -> check -> thanks -> hello form a loop" in p.message and "exit: true" in p.message


def test_step_going_to_an_unknown_step(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUTOMATION, "no: done", "no: dnoe"))
    p = only_problem(root)
    assert (p.file, p.line) == (AUTOMATION, line_of(root, AUTOMATION, "no: dnoe"))
    assert p.message == "'no' goes to unknown step 'dnoe'; did you mean 'done'?"


def test_duplicate_step_ids(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUTOMATION, "id: thanks", "id: hello"))
    found = problems_of(root)
    dup = [p for p in found if "duplicate step id 'hello'" in p.message]
    assert len(dup) == 1 and dup[0].line == line_of(root, AUTOMATION, "id: hello", nth=2)


def test_a_step_needs_one_action(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUTOMATION, "    add_tag: vip", "    add_tag: vip\n    remove_tag: vip"))
    p = only_problem(root)
    assert p.line == line_of(root, AUTOMATION, "id: thanks")
    assert "exactly one action" in p.message


# -- duplicates and uniqueness ------------------------------------------------------------------------


def test_duplicate_list_ids(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "id: trade", "id: customers"))
    p = only_problem(root)
    assert p.line == line_of(root, AUDIENCE, "id: customers", nth=2)
    assert "duplicate list id 'customers'" in p.message and f"{AUDIENCE}:2" in p.message


def test_duplicate_contacts_by_email_ignore_case(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "bob@example.com", "ANN@example.com"))
    p = only_problem(root)
    assert p.line == line_of(root, AUDIENCE, "ANN@example.com")
    assert "duplicate contact 'ann@example.com'" in p.message


def test_duplicate_campaign_ids_and_names(tmp_path: Path) -> None:
    other = "clients/acme/campaigns/other.yaml"
    root = make_workspace(tmp_path, {other: "id: launch\n" + textwrap.dedent(BASE_FILES[CAMPAIGN])})
    found = problems_of(root)
    assert [(p.file, p.line) for p in found] == [(other, 1), (other, 2)]
    assert found[0].message.startswith(f"duplicate campaign id 'launch' (first defined at {CAMPAIGN}:")
    assert found[1].message.startswith("duplicate campaign name 'Spring launch'")


# -- accounts -----------------------------------------------------------------------------------------


def test_provider_not_installed(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "provider: twilio", "provider: twillio"))
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "twillio"))
    assert p.message == "provider 'twillio' is not installed; did you mean 'twilio'?"


def test_provider_not_installed_lists_installed(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "provider: twilio", "provider: brevo"))
    p = only_problem(root)
    assert "(installed providers: mailerlite, twilio)" in p.message


def test_account_setting_unknown_key(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "account_sid:", "acount_sid:"))
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "acount_sid"))
    assert p.message == "unknown key 'acount_sid'; did you mean 'account_sid'?"


def test_account_setting_missing(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "    account_sid: AC00000000000000000000000000000000\n", ""))
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "twilio:"))
    assert p.message == "missing required key 'account_sid'"


def test_sms_campaign_needs_an_sms_account(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE_FILES[CLIENT]).split("  twilio:")[0]
    root = make_workspace(tmp_path, {CLIENT: text})
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "sms:"))
    assert "no account that serves sms" in p.message and "installed providers for sms: twilio" in p.message


def test_two_accounts_serving_one_channel(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "  twilio:\n", "  ml2:\n    provider: mailerlite\n"
                                                               "    api_key: env:X\n  twilio:\n"))
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "accounts:"))
    assert "accounts mailerlite, ml2 all serve email; keep one" in p.message


def test_provider_check_client_problems_are_included(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CLIENT, "provider: mailerlite", "provider: strict"))
    found = problems_of(root, make_registry(StrictProvider, StandInTwilio))
    assert [(p.file, p.line, p.message) for p in found] == [(CAMPAIGN, 1, "strict cannot send campaign 'launch'")]


def test_only_installed_providers_count(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    found = problems_of(root, make_registry(StandInMailerLite))
    assert any("provider 'twilio' is not installed" in p.message and "mailerlite" in p.message for p in found)


# -- blueprints ---------------------------------------------------------------------------------------

BLUEPRINT = """\
description: test
variables:
  code: {required: true, description: the discount code}
  percent: {default: 10}
campaigns:
  - id: promo
    name: Promo {{ vars.code }}
    audience: {list: customers}
    email:
      subject: "{{ vars.percent }}% off with {{ vars.code }}"
      body_markdown: |
        {{ brand.footer_address }}
        [Unsubscribe]({{ unsubscribe_url }})
"""


def _use(with_: str) -> dict[str, str]:
    return edit(CLIENT, "accounts:", f"use:\n  - blueprint: promo\n    with: {with_}\naccounts:")


def test_blueprint_missing_required_variable(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"blueprints/promo.yaml": BLUEPRINT, **_use("{percent: 5}")})
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "with:"))
    assert "needs variable 'code' (the discount code); add `code: ...` under 'with:'" in p.message


def test_blueprint_unknown_variable_given(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"blueprints/promo.yaml": BLUEPRINT, **_use("{code: X, precent: 5}")})
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "with:"))
    assert "has no variable 'precent'; did you mean 'percent'?" in p.message


def test_unknown_blueprint(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"blueprints/promo.yaml": BLUEPRINT,
                                     **edit(CLIENT, "accounts:", "use:\n  - blueprint: prom\naccounts:")})
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "blueprint: prom"))
    assert "unknown blueprint 'prom'; did you mean 'promo'?" in p.message


def test_blueprint_undeclared_variable_is_reported_in_the_blueprint(tmp_path: Path) -> None:
    bp = BLUEPRINT.replace("Promo {{ vars.code }}", "Promo {{ vars.cdoe }}")
    root = make_workspace(tmp_path, {"blueprints/promo.yaml": bp, **_use("{code: X}")})
    p = only_problem(root)
    assert (p.file, p.line) == ("blueprints/promo.yaml", 7)
    assert "unknown blueprint variable 'vars.cdoe'; did you mean 'vars.code'?" in p.message


def test_blueprint_brand_key_unset_is_reported_at_the_clients_use(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"blueprints/promo.yaml": BLUEPRINT, **_use("{code: X}")})
    text = (root / CLIENT).read_text().replace("  footer_address: 1 High Street, Bristol\n", "")
    (root / CLIENT).write_text(text)
    found = problems_of(root)
    assert [(p.file, p.line) for p in found] == [(CAMPAIGN, line_of(root, CAMPAIGN, "brand.footer_address")),
                                                 (CLIENT, line_of(root, CLIENT, "- blueprint: promo"))]
    assert "brand key 'footer_address' is not set for client 'acme'" in found[1].message
    assert "(needed by blueprints/promo.yaml:12)" in found[1].message


def test_blueprint_item_colliding_with_a_clients_own_file(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"blueprints/promo.yaml": BLUEPRINT.replace("id: promo", "id: launch"),
                                     **_use("{code: X}")})
    p = only_problem(root)
    assert (p.file, p.line) == (CLIENT, line_of(root, CLIENT, "- blueprint: promo"))
    assert "adds campaign 'launch', but clients/acme/campaigns/launch.yaml already defines one" in p.message


def test_problem_inside_a_blueprint_used_by_two_clients_is_reported_once(tmp_path: Path) -> None:
    bp = BLUEPRINT.replace("    audience: {list: customers}", "    audience: {list: customers}\n    colour: red")
    files = {"blueprints/promo.yaml": bp, **_use("{code: X}")}
    for rel in (CLIENT, AUDIENCE):
        files[rel.replace("acme", "beta")] = files.get(rel) or BASE_FILES[rel]
    root = make_workspace(tmp_path, files)
    p = only_problem(root)
    assert (p.file, p.line) == ("blueprints/promo.yaml", 9)
    assert p.message.startswith("unknown key 'colour'")
    assert "as used by clients acme, beta" in p.message


# -- everything at once -------------------------------------------------------------------------------


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    changes = {
        **edit(CAMPAIGN, "  subject:", "  subjet:"),
        **edit(AUDIENCE, "bob@example.com", "bob@example"),
        **edit(AUTOMATION, "no: done", "no: dnoe"),
        **edit(CLIENT, "api_key: env:ACME_ML_KEY", "api_key: sekrit"),
        "hub.yaml": "version: 1\ntimezone: Mars/Olympus\n",
        "clients/beta/client.yaml": "name: Beta\naccounts:\n  x: {provider: mailerlite, api_key: env:K}\n",
        "clients/beta/campaigns/bad.yaml": "name: [unclosed\n",
    }
    root = make_workspace(tmp_path, changes)
    found = problems_of(root)
    where = [(p.file, p.line) for p in found]
    assert where == sorted(where)
    assert set(where) == {
        (AUDIENCE, line_of(root, AUDIENCE, "bob@example")),
        (AUTOMATION, line_of(root, AUTOMATION, "dnoe")),
        (CAMPAIGN, line_of(root, CAMPAIGN, "subjet")),
        (CLIENT, line_of(root, CLIENT, "sekrit")),
        ("clients/beta/campaigns/bad.yaml", 2),
        ("hub.yaml", 2),
    }
    assert all(p.line and p.line >= 1 for p in found)
    text = str(ConfigError(found))
    assert "clients/acme/campaigns/launch.yaml:" in text and "sekrit" not in text


# -- issue 9: phones with letters or extensions ---------------------------------------------------------


@pytest.mark.parametrize(("written", "expected"), [
    ("07911 CALLME", ["phone '07911 CALLME' has letters (CALLME)", "+447911225563", "write the digits"]),
    ("+44 117 496 0123 ext. 12", ["phone '+44 117 496 0123 ext. 12' has an extension (12)", "+441174960123"]),
    ("0117 496 0123 x7", ["has an extension (7)", "+441174960123"]),
])
def test_phone_with_letters_or_an_extension_is_refused(tmp_path: Path, written: str, expected: list[str]) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, '"+44 117 496 0123"', f'"{written}"'))
    p = only_problem(root)
    assert (p.file, p.line) == (AUDIENCE, line_of(root, AUDIENCE, written))
    for fragment in expected:
        assert fragment in p.message, p.message


# -- issue 9: email addresses are trimmed and IDN domains converted; the rest is still refused ----------


def test_an_email_with_a_non_ascii_local_part_is_refused(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(AUDIENCE, "bob@example.com", "'bøb@example.com'"))
    p = only_problem(root)
    assert (p.file, p.line) == (AUDIENCE, line_of(root, AUDIENCE, "bøb@example.com"))
    assert "'bøb@example.com' is not a valid email address" in p.message and "ø" in p.message


# -- issue 9: local times that do not exist or happen twice ----------------------------------------------


def test_a_schedule_in_the_spring_forward_gap_is_refused_with_the_nearest_times(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "2026-04-01 09:00", "2026-03-29 01:30"))
    p = only_problem(root)
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "schedule:"))
    assert "2026-03-29 01:30 does not exist in Europe/London" in p.message
    assert "clocks go forward from 01:00 to 02:00" in p.message and "00:59 or 02:00" in p.message


def test_a_schedule_in_the_autumn_fold_is_a_warning_naming_the_offset(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "2026-04-01 09:00", "2026-10-25 01:30"))
    ws = load(root)
    [w] = ws.warnings
    assert (w.file, w.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "schedule:"))
    assert "2026-10-25 01:30 happens twice in Europe/London" in w.message
    assert "the first one, at UTC+01:00" in w.message and "2026-10-25 01:30+00:00" in w.message
    assert ws.clients["acme"].campaigns[0].schedule.at_utc("Europe/London").hour == 0  # type: ignore[union-attr]


def test_a_schedule_with_its_utc_offset_is_explicit(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, edit(CAMPAIGN, "at: 2026-04-01 09:00", "at: 2026-10-25T01:30+00:00"))
    ws = load(root)
    assert ws.warnings == []
    assert ws.clients["acme"].campaigns[0].schedule.at_utc("Europe/London").hour == 1  # type: ignore[union-attr]


# -- issue 9: a variable without a default where the vendor cannot fall back to one ----------------------


class _NoDefaultTags(MergeTagTranslator):
    """Like ActiveCampaign: merge tags, but no fallback text for an empty value."""

    def tag(self, var: Variable) -> str | None:
        if var.default is not None:
            return None
        if var.namespace == "fields":
            return f"%{var.key.upper()}%"
        return {"first_name": "%FIRSTNAME%", "unsubscribe_url": "%UNSUBSCRIBELINK%"}.get(var.name)


class _NoDefaults(StandInMailerLite):
    name = "nodefaults"
    display_name = "No Defaults"

    @classmethod
    def merge_tags(cls, client: Client) -> MergeTagTranslator | None:
        return _NoDefaultTags()


def _no_default_changes(**extra: str) -> dict[str, str]:
    text = textwrap.dedent(BASE_FILES[CAMPAIGN]).replace('Hello {{ first_name | default("friend") }}', "Hello")
    text = text.replace('{{ fields.favourite_drink | default("coffee") }}', "coffee")
    return {**edit(CLIENT, "provider: mailerlite", "provider: nodefaults"), CAMPAIGN: text, **extra}


def test_a_variable_some_contacts_lack_on_a_vendor_without_defaults_is_an_error(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, _no_default_changes())
    p = only_problem(root, make_registry(_NoDefaults, StandInTwilio))
    assert (p.file, p.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "Hi {{ first_name }},"))
    assert "No Defaults (account 'mailerlite') cannot fall back to a default" in p.message
    assert "1 of the 2 contacts it goes to has no first_name (bob@example.com)" in p.message
    assert "they would read 'Hi ,'" in p.message
    assert "write it without '{{ first_name }}'" in p.message and "give every contact a first_name" in p.message


def test_a_variable_every_recipient_has_is_fine_on_a_vendor_without_defaults(tmp_path: Path) -> None:
    audience = edit(AUDIENCE, "  - email: bob@example.com\n", "  - email: bob@example.com\n    first_name: Bob\n")
    root = make_workspace(tmp_path, _no_default_changes(**audience))
    assert load(root, make_registry(_NoDefaults, StandInTwilio)).clients["acme"].campaigns


def test_activecampaign_without_a_value_for_some_contacts_is_refused(tmp_path: Path) -> None:
    from hub.plugins import make_plugins

    changes = _no_default_changes()
    account = "  ac:\n    provider: activecampaign\n    api_key: env:ACME_AC_KEY\n    base_url: https://acme.api-us1.com\n"
    changes[CLIENT] = changes[CLIENT].split("  mailerlite:")[0] + account  # email only
    changes[CAMPAIGN] = changes[CAMPAIGN].split("sms:")[0] + "schedule: draft\n"
    found = problems_of(make_workspace(tmp_path, changes), make_plugins().registry)
    assert [p.message.split(",")[0] for p in found] == ["ActiveCampaign (account 'ac') cannot fall back to a default"]
    assert "has no first_name (bob@example.com)" in found[0].message


# -- issue 9: one client's problems do not block the others ----------------------------------------------


def _two_clients(tmp_path: Path, **broken: str) -> Path:
    files: dict[str, str | None] = {rel.replace("acme", "beta"): BASE_FILES[rel] for rel in BASE_FILES
                                    if rel.startswith("clients/")}
    files.update(broken)
    return make_workspace(tmp_path, files)


def test_a_clients_problems_refuse_only_that_client(tmp_path: Path) -> None:
    beta_audience = AUDIENCE.replace("acme", "beta")
    root = _two_clients(tmp_path, **{beta_audience: textwrap.dedent(BASE_FILES[AUDIENCE]).replace(
        '"+44 117 496 0123"', '"12345"')})
    ws = load(root, refuse_clients=True)
    assert sorted(ws.clients) == ["acme"]
    [p] = ws.refused["beta"]
    assert (p.file, p.line) == (beta_audience, line_of(root, beta_audience, '"12345"'))
    assert ws.problems == [p]
    with pytest.raises(ConfigError):  # without refuse_clients, every problem still stops the load
        load(root)


def test_workspace_level_problems_still_block_every_client(tmp_path: Path) -> None:
    root = _two_clients(tmp_path, **{"hub.yaml": "version: 1\ntimezone: Mars/Olympus\n"})
    with pytest.raises(ConfigError) as info:
        load(root, refuse_clients=True)
    assert [(p.file, p.line) for p in info.value.problems] == [("hub.yaml", 2)]


def test_a_broken_blueprint_file_blocks_every_client(tmp_path: Path) -> None:
    root = _two_clients(tmp_path, **{"blueprints/promo.yaml": "campaigns: [unclosed\n"})
    with pytest.raises(ConfigError) as info:
        load(root, refuse_clients=True)
    assert [p.file for p in info.value.problems] == ["blueprints/promo.yaml"]


def test_a_literal_secret_in_a_clients_file_refuses_that_client(tmp_path: Path) -> None:
    beta_client = CLIENT.replace("acme", "beta")
    text = textwrap.dedent(BASE_FILES[CLIENT]).replace("env:ACME_ML_KEY", MAILCHIMP_KEY)
    ws = load(_two_clients(tmp_path, **{beta_client: text}), refuse_clients=True)
    assert sorted(ws.clients) == ["acme"] and list(ws.refused) == ["beta"]
    assert all(MAILCHIMP_KEY not in p.message for p in ws.refused["beta"])


def test_an_automation_email_counts_the_contacts_its_trigger_lets_in(tmp_path: Path) -> None:
    changes = _no_default_changes(**edit(AUTOMATION, "subject: Welcome!", "subject: Welcome {{ first_name }}!"))
    changes[CAMPAIGN] = changes[CAMPAIGN].replace("Hi {{ first_name }},", "Hi,")
    root = make_workspace(tmp_path, changes)
    p = only_problem(root, make_registry(_NoDefaults, StandInTwilio))
    assert (p.file, p.line) == (AUTOMATION, line_of(root, AUTOMATION, "subject: Welcome"))
    assert "1 of the 2 contacts it goes to has no first_name (bob@example.com)" in p.message
    assert "they would read 'Welcome !'" in p.message
