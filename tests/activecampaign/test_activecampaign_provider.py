"""ActiveCampaign behaviour a consultant relies on, against the simulator through the real engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import hub

from hub.clock import FakeClock
from hub.errors import AuthError, NotFound, RateLimited, Unavailable, VendorValidationError
from hub.model import Automation, Contact
from hub.model.personalisation import Variable
from hub.plugins import make_plugins
from hub.provider import Desired, Fidelity
from hub.sync.plan import build_refs
from hub.testing import Harness, make_client, sample_client
from hub_activecampaign import mapping as m
from hub_activecampaign.api import ActiveCampaignSettings
from hub_activecampaign.provider import ActiveCampaignProvider

ACCOUNT = "sandbox"
MARCH = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def ac() -> Any:
    return make_plugins().registry.get("activecampaign")


@pytest.fixture
def harness(ac: Any, tmp_path: Path) -> Iterator[Harness]:
    h = Harness(ac, sample_client("activecampaign"), tmp_path, FakeClock(utc=MARCH))
    yield h
    h.close()


def by_action(plan: Any, kind: str) -> dict[str, str]:
    return {c.id: c.action for c in plan.changes if c.kind == kind}


def v3(h: Harness, method: str, path: str) -> list[Any]:
    return [e for e in h.simulator.log if e.method == method and e.path == "/api/3/" + path]


def email(subject: str = "News", **extra: Any) -> dict[str, Any]:
    return {"subject": subject, "from": {"name": "Acme", "email": "hello@acme.example"},
            "body_markdown": "Hi {{ first_name }}!\n\n[Unsubscribe]({{ unsubscribe_url }})", **extra}


# -- pure translation ---------------------------------------------------------------------------------------


def test_merge_tags_translate_to_percent_tags() -> None:
    tags = m.ActiveCampaignTags({"loaf"})
    text, missing = tags.translate("Hi {{ first_name }} {{ last_name }}, {{ fields.loaf }} {{ email }} {{ phone }}"
                                   ' <a href="{{ unsubscribe_url }}">u</a> <a href="{{ web_url }}">w</a>')
    assert text == ('Hi %FIRSTNAME% %LASTNAME%, %LOAF% %EMAIL% %PHONE% <a href="%UNSUBSCRIBELINK%">u</a>'
                    ' <a href="%WEBCOPY%">w</a>')
    assert missing == []
    # no inline fallback in ActiveCampaign: a default cannot be carried, so it is refused, never blanked
    assert tags.translate('{{ first_name | default("friend") }}')[1] == ["first_name"]
    assert tags.tag(Variable("fields.unknown", None, 0, 0)) is None


def test_check_client_names_reserved_perstags_and_defaults(ac: Any) -> None:
    client = make_client("activecampaign", audience={
        "lists": [{"id": "news", "name": "News"}],
        "fields": [{"id": "email", "name": "Work email"}, {"id": "acct_size", "name": "Size"},
                   {"id": "loaf", "name": "Loaf"}]},
        campaigns=[{"id": "c", "name": "C", "audience": {"list": "news"},
                    "email": email('Hi {{ first_name | default("you") }}')}])
    problems = [str(p) for p in ac.check_client(client, "ac")]
    assert any("%EMAIL%" in p for p in problems)
    assert any("%ACCT_SIZE%" in p for p in problems)
    assert not any("%LOAF%" in p for p in problems)


def test_a_default_activecampaign_cannot_carry_is_a_clear_validation_error(tmp_path: Path) -> None:
    import yaml_writer

    from hub.errors import ConfigError
    from hub.workspace import load_workspace

    yaml_writer.write(tmp_path / "hub.yaml", {"version": 1})
    client = tmp_path / "clients" / "firm"
    yaml_writer.write(client / "client.yaml", {
        "name": "Firm", "brand": {"sender_name": "Firm", "sender_email": "a@firm.example"},
        "accounts": {"ac": {"provider": "activecampaign", "api_key": "env:K", "base_url": "https://x.api-us1.com"}}})
    yaml_writer.write(client / "audience.yaml", {"lists": [{"id": "news", "name": "News"}]})
    yaml_writer.write(client / "campaigns" / "c.yaml", {
        "name": "C", "audience": {"list": "news"},
        "email": {"subject": 'Hi {{ first_name | default("you") }}', "body_html": "{{ unsubscribe_url }}"}})
    with pytest.raises(ConfigError) as info:
        load_workspace(tmp_path, make_plugins().registry)
    [problem] = info.value.problems
    assert problem.file == "clients/firm/campaigns/c.yaml" and problem.line
    assert "cannot fall back to a default" in problem.message and 'default("you")' in problem.message


def test_contact_payload_consent() -> None:
    sub, reason = m.contact_payload(Contact(email="A@X.com", first_name="A", lists=["news"], tags=["vip"],
                                            fields={"n": 3.0, "d": "2020-01-02"}), {"vip": "VIP"})
    assert sub == {"email": "a@x.com", "first_name": "A", "tags": ["VIP"], "fields": {"d": "2020-01-02", "n": "3"},
                   "subscribe": ["news"], "unsubscribe": []} and reason == ""
    for status, note in (("unsubscribed", ""), ("bounced", m.BOUNCED_NOTE), ("complained", m.COMPLAINED_NOTE)):
        payload, reason = m.contact_payload(Contact.model_validate(
            {"email": "b@x.com", "lists": ["news"], "consent": {"email": status}}), {})
        assert (payload["subscribe"], payload["unsubscribe"], reason) == ([], ["news"], note)
    pending, reason = m.contact_payload(Contact.model_validate(
        {"email": "c@x.com", "lists": ["news"], "consent": {"email": "pending"}}), {})
    assert (pending["subscribe"], pending["unsubscribe"], reason) == ([], [], m.PENDING_NOTE)


def test_v1_send_time_is_in_the_account_timezone() -> None:
    assert m.v1_sdate("2026-07-01T08:30:00Z", "America/Chicago") == "2026-07-01 03:30:00"
    assert m.utc_stamp("2026-07-01T03:30:00-05:00") == "2026-07-01T08:30:00Z"


def test_settings_take_the_account_url_with_or_without_api_3() -> None:
    for url in ("https://acme.api-us1.com", "https://acme.api-us1.com/", "https://acme.api-us1.com/api/3"):
        settings = ActiveCampaignSettings.model_validate({"api_key": "k", "base_url": url})
        provider = ActiveCampaignProvider(settings, None)  # type: ignore[arg-type]
        assert provider.api.base_url == "https://acme.api-us1.com/api/3"
        assert provider.api.api_root == "https://acme.api-us1.com"
    with pytest.raises(ValueError):
        ActiveCampaignSettings.model_validate({"api_key": "k"})  # the account URL is required
    with pytest.raises(ValueError):
        ActiveCampaignSettings.model_validate({"api_key": "k", "base_url": "acme.api-us1.com"})


def test_error_mapping(harness: Harness) -> None:
    p = harness.provider.api
    assert isinstance(p.map_error(403, {"message": "Forbidden"}, {}), AuthError)
    enrol = p.map_error(403, {"message": "Could not create SubscriberSeries"}, {})
    assert isinstance(enrol, VendorValidationError) and "inactive" in str(enrol)
    assert isinstance(p.map_error(404, {"message": "No Result found for Subscriber with id 1"}, {}), NotFound)
    dup = p.map_error(422, {"errors": [{"title": "Email address already exists in the system", "detail": "",
                                        "code": "duplicate", "source": {"pointer": "/data/attributes/email"}}]}, {})
    assert isinstance(dup, VendorValidationError) and "already exists" in str(dup) and "duplicate" in str(dup)
    limited = p.map_error(429, {"message": "Too Many Requests"}, {"Retry-After": "3"})
    assert isinstance(limited, RateLimited) and limited.retry_after == 3
    imports = p.map_error(400, {"success": 0, "message": "Rate limit exceeded.", "failureReasons": ["x"]}, {})
    assert isinstance(imports, RateLimited) and imports.retry_after == 60
    refused = p.map_error(400, {"success": 0, "message": "JSON payload did not pass validation.",
                                "failureReasons": [{"contact": 2, "failureReason": "Field 'email' incorrect format"}]},
                          {})
    assert isinstance(refused, VendorValidationError) and refused.errors == {"2": ["Field 'email' incorrect format"]}
    assert "incorrect format" in str(refused)
    assert isinstance(p.map_error(503, {"message": "Service Unavailable"}, {}), Unavailable)


# -- against the simulator ------------------------------------------------------------------------------------


def test_apply_creates_everything_then_nothing_more(harness: Harness) -> None:
    report = harness.apply()
    assert not report.failed, [c.error for c in report.failed]
    sim = harness.simulator
    assert {x["name"] for x in sim.lists(ACCOUNT)} == {"Newsletter", "Wholesale buyers"}
    assert all(x["sender_reminder"] == "You signed up for acme updates." for x in sim.lists(ACCOUNT))
    assert [t["tag"] for t in sim.tags(ACCOUNT)] == ["VIP"]
    [field] = sim.fields(ACCOUNT)
    assert field["perstag"] == "FAVOURITE" and field["title"] == "Favourite"
    rels = sim.call("GET", f"/api/3/fields/{field['id']}", account=ACCOUNT).body["fieldRels"]
    assert [r["relid"] for r in rels] == ["0"]  # available on every list
    contacts = {c["email"]: c for c in sim.contacts(ACCOUNT)}
    assert set(contacts) == {"ada@example.com", "bob@example.com", "cy@example.com"}
    ada = contacts["ada@example.com"]
    assert ada["fields"] == {"FAVOURITE": "rye"} and ada["tags"] == ["VIP"]
    assert set(contacts["bob@example.com"]["lists"].values()) == {"active"}
    assert contacts["cy@example.com"]["status"] == "unsubscribed"
    [campaign] = sim.campaigns(ACCOUNT)
    assert campaign["name"] == "Spring launch" and campaign["status_word"] == "draft"
    assert not harness.simulator.log.entries("POST", "/api/3/contactLists")  # never the re-subscribing call
    writes = harness.writes()
    again = harness.plan()
    assert [c.public() for c in again.changes if c.writes] == []
    harness.apply(again)
    assert harness.writes() == writes


def test_tags_are_looked_up_on_every_page_before_one_is_created(ac: Any, tmp_path: Path) -> None:
    client = make_client("activecampaign", audience={"tags": [{"id": "vip", "name": "VIP"},
                                                              {"id": "new", "name": "New customer"}]})
    h = Harness(ac, client, tmp_path, FakeClock())
    try:
        for i in range(25):  # made by hand; "vip" (in another case) lands on the second default page
            h.simulator.call("POST", "/api/3/tags", {"tag": {"tag": f"Other {i:02d}", "tagType": "contact"}},
                             account=ACCOUNT)
        h.simulator.call("POST", "/api/3/tags", {"tag": {"tag": "vip", "tagType": "contact"}}, account=ACCOUNT)
        plan = h.plan()
        vip = next(c for c in plan.changes if c.id == "vip")
        assert vip.adopt and vip.action == "update" and "adopting" in vip.reason  # only its case differs
        assert by_action(plan, "tag")["new"] == "create"
        assert not h.apply(plan).failed
        names = [t["tag"] for t in h.simulator.tags(ACCOUNT)]
        assert len(names) == 27 and [n for n in names if n.lower() == "vip"] == ["VIP"]  # adopted, not duplicated
        posts = [e.body["tag"]["tag"] for e in h.simulator.log.entries("POST", "/api/3/tags") if e.query == {}]
        assert "VIP" not in posts
        reads = [e for e in h.simulator.log.entries("GET", "/api/3/tags")]
        assert reads and all(e.query.get("limit") == ["100"] for e in reads)
        assert [c for c in h.plan().changes if c.writes] == []
    finally:
        h.close()


def test_collections_beyond_the_default_page_of_20_are_read_whole(ac: Any, tmp_path: Path) -> None:
    n = 130
    client = make_client("activecampaign", audience={
        "lists": [{"id": f"l{i}", "name": f"List {i}"} for i in range(n)],
        "tags": [{"id": f"t{i}", "name": f"Tag {i}"} for i in range(n)],
        "fields": [{"id": f"f{i}", "name": f"Field {i}"} for i in range(30)]})
    h = Harness(ac, client, tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        plan = h.plan()
        assert [c.public() for c in plan.changes if c.writes] == []
        assert len(h.simulator.lists(ACCOUNT)) == n and len(h.simulator.tags(ACCOUNT)) == n
        offsets = {e.query.get("offset", ["0"])[0] for e in h.simulator.log.entries("GET", "/api/3/lists")}
        assert {"0", "100"} <= offsets
    finally:
        h.close()


def test_a_contact_unsubscribed_at_activecampaign_is_never_resubscribed(harness: Harness) -> None:
    harness.apply()
    harness.simulator.set_contact_status(ACCOUNT, "ada@example.com", "unsubscribed")
    client = harness.account.client
    client.audience.contacts[0] = client.audience.contacts[0].model_copy(update={"first_name": "Ada L."})
    report = harness.apply()
    assert not report.failed
    [ada] = [c for c in report.changes if c.kind == "contact" and c.action == "update"]
    assert ada.id == "ada@example.com" and ada.details["note"] == m.LEFT_ALONE_NOTE  # reported
    held = harness.simulator.contact("ada@example.com", ACCOUNT)
    assert held["status"] == "unsubscribed" and held["firstName"] == "Ada L."
    assert set(held["lists"].values()) == {"unsubscribed"}
    [push] = harness.simulator.log.entries("POST", "/api/3/import/bulk_import")[-1:]
    assert "subscribe" not in push.body["contacts"][0]  # hub left the list out of the import
    assert not harness.simulator.log.entries("POST", "/api/3/contactLists")


def test_bounced_contacts_are_unsubscribed_and_the_plan_says_so(ac: Any, tmp_path: Path) -> None:
    client = make_client("activecampaign", audience={"lists": [{"id": "news", "name": "News"}], "contacts": [
        {"email": "gone@example.com", "lists": ["news"], "consent": {"email": "bounced"}},
        {"email": "ok@example.com", "lists": ["news"]}]})
    h = Harness(ac, client, tmp_path, FakeClock())
    try:
        plan = h.plan()
        gone = next(c for c in plan.changes if c.id == "gone@example.com")
        assert gone.fidelity == Fidelity.APPROXIMATED.value and "cannot mark a contact bounced" in gone.reason
        assert next(c for c in plan.changes if c.id == "ok@example.com").fidelity == "exact"
        assert not h.apply(plan).failed
        assert set(h.simulator.contact("gone@example.com", ACCOUNT)["lists"].values()) == {"unsubscribed"}
    finally:
        h.close()


def test_leaving_a_list_or_a_tag_in_yaml_leaves_it_at_activecampaign(harness: Harness) -> None:
    harness.apply()
    client = harness.account.client
    ada, bob = client.audience.contacts[0], client.audience.contacts[1]
    client.audience.contacts[0] = ada.model_copy(update={"tags": []})
    client.audience.contacts[1] = bob.model_copy(update={"lists": ["newsletter"]})
    assert not harness.apply().failed
    lists = {x["name"]: x["id"] for x in harness.simulator.lists(ACCOUNT)}
    held_bob = harness.simulator.contact("bob@example.com", ACCOUNT)
    assert held_bob["lists"] == {lists["Newsletter"]: "active", lists["Wholesale buyers"]: "unsubscribed"}
    assert harness.simulator.contact("ada@example.com", ACCOUNT)["tags"] == []
    assert [c for c in harness.plan().changes if c.writes] == []


def test_import_refusing_one_contact_fails_only_that_one(harness: Harness) -> None:
    harness.apply()
    refs = build_refs(harness.state, harness.account)
    res = harness.provider.resource("contact")
    good = {"email": "new@example.com", "tags": [], "fields": {}, "subscribe": ["newsletter"], "unsubscribe": []}
    bad = {**good, "email": "not an email@example.com"}
    results = res.apply_batch([Desired("bad", "bad", bad), Desired("new@example.com", "new@example.com", good)], refs)
    assert [(r.id, r.ok) for r in results] == [("bad", False), ("new@example.com", True)]
    assert harness.simulator.contact("new@example.com", ACCOUNT) is not None


def campaign_client(*campaigns: dict[str, Any], segments: list[Any] | None = None) -> Any:
    return make_client("activecampaign", audience={
        "lists": [{"id": "news", "name": "News"}],
        "segments": segments or [],
        "contacts": [{"email": "a@example.com", "first_name": "A", "lists": ["news"]},
                     {"email": "b@example.com", "first_name": "B", "lists": ["news"],
                      "consent": {"email": "unsubscribed"}}]}, campaigns=list(campaigns))


def test_campaigns_draft_scheduled_and_now_through_v1_visible_through_v3(ac: Any, tmp_path: Path) -> None:
    client = campaign_client(
        {"id": "draft", "name": "Draft", "audience": {"list": "news"}, "schedule": "draft",
         "email": email("Draft for {{ first_name }}", preheader="Read me")},
        {"id": "later", "name": "Later", "audience": {"list": "news"}, "schedule": "2026-07-01 09:30",
         "email": email("Later")},
        {"id": "now", "name": "Now", "audience": {"list": "news"}, "schedule": "now", "email": email("Now")})
    h = Harness(ac, client, tmp_path, FakeClock(utc=MARCH))
    try:
        report = h.apply()
        assert not report.failed, [c.error for c in report.failed]
        sim = {c["name"]: c for c in h.simulator.campaigns(ACCOUNT)}
        assert sim["Draft"]["status_word"] == "draft"
        # 09:30 in London (BST) is 08:30 UTC, 03:30 in the simulated account's Chicago time
        assert sim["Later"]["status_word"] == "scheduled" and sim["Later"]["sdate"] == "2026-07-01T03:30:00-05:00"
        assert sim["Now"]["status_word"] == "completed" and sim["Now"]["recipients"] == ["a@example.com"]
        for c in sim.values():
            assert (c["htmlunsub"], c["textunsub"]) == ("1", "1")  # ActiveCampaign appends an unsubscribe link
        messages = {msg["subject"]: msg for msg in h.simulator.messages(ACCOUNT)}
        draft = messages["Draft for %FIRSTNAME%"]
        assert "Hi %FIRSTNAME%!" in draft["html"] and 'href="%UNSUBSCRIBELINK%"' in draft["html"]
        assert "Hi %FIRSTNAME%!" in draft["text"] and draft["preheader_text"] == "Read me"
        assert h.simulator.log.count("POST", "/admin/api.php") == 6  # message_add + campaign_create each
        # v3 reads them back as the workspace describes them
        live = h.provider.resource("email_campaign").read_live(build_refs(h.state, h.account))
        assert live["Draft"].payload["schedule"] == {"mode": "draft"}
        assert live["Later"].payload["schedule"] == {"mode": "at", "at": "2026-07-01T08:30:00Z"}
        assert live["Now"].payload["schedule"] == {"mode": "sent"}
        assert [c for c in h.plan().changes if c.writes] == []
        records = {r.neutral_id: r.data for r in h.state.items(kind="email_campaign")}
        assert records == {"draft": {"send_at": None}, "later": {"send_at": "2026-07-01T08:30:00Z"},
                           "now": {"send_at": "now"}}
    finally:
        h.close()


def test_an_unsent_campaign_that_changed_is_replaced_and_a_sent_one_is_history(ac: Any, tmp_path: Path) -> None:
    def client_with(subject: str, when: str) -> Any:
        return campaign_client(
            {"id": "later", "name": "Later", "audience": {"list": "news"}, "schedule": when, "email": email(subject)},
            {"id": "now", "name": "Now", "audience": {"list": "news"}, "schedule": "now", "email": email(subject)})

    h = Harness(ac, client_with("First", "2026-07-01 09:30"), tmp_path, FakeClock(utc=MARCH))
    try:
        assert not h.apply().failed
        old = {c["name"]: c["id"] for c in h.simulator.campaigns(ACCOUNT)}
        h.account.client = client_with("Second", "2026-07-02 10:00")
        plan = h.plan()
        assert by_action(plan, "email_campaign") == {"later": "update", "now": "noop"}  # sent: history
        change = next(c for c in plan.changes if c.id == "later")
        assert "cannot edit a campaign" in change.reason and "deletes it and creates it again" in change.reason
        assert not h.apply(plan).failed
        now = {c["name"]: c for c in h.simulator.campaigns(ACCOUNT)}
        assert now["Later"]["id"] != old["Later"] and now["Now"]["id"] == old["Now"]
        assert now["Later"]["sdate"] == "2026-07-02T04:00:00-05:00" and len(now) == 2
        assert sorted(msg["subject"] for msg in h.simulator.messages(ACCOUNT)) == ["First", "Second"]  # old gone
        rec = h.state.item("acme", "main", "email_campaign", "later")
        assert rec is not None and rec.vendor_id == now["Later"]["id"]
        assert [c for c in h.plan().changes if c.writes] == []
    finally:
        h.close()


def test_a_campaign_to_a_segment_waits_for_the_segment_then_targets_it(ac: Any, tmp_path: Path) -> None:
    client = campaign_client(
        {"id": "fans", "name": "Fans only", "audience": {"list": "news", "segment": "fans"}, "schedule": "now",
         "email": email()}, segments=[{"id": "fans", "name": "Big fans", "rules": [{"list": "news"}]}])
    h = Harness(ac, client, tmp_path, FakeClock(utc=MARCH))
    try:
        plan = h.plan()
        seg = next(c for c in plan.changes if c.kind == "segment")
        sheet = seg.details["build_sheet"]
        assert seg.action == "manual" and "Big fans" in sheet and "'News'" in sheet
        assert by_action(plan, "email_campaign") == {"fans": "manual"}
        h.apply(plan)
        assert h.simulator.campaigns(ACCOUNT) == []
        built = h.simulator.add_segment(ACCOUNT, "Big fans", emails=[])
        plan = h.plan()
        assert next(c for c in plan.changes if c.kind == "segment").reason.startswith("verified")
        assert by_action(plan, "email_campaign") == {"fans": "create"}
        assert not h.apply(plan).failed
        [sent] = h.simulator.campaigns(ACCOUNT)
        assert sent["segmentid"] == built["id"] and sent["recipients"] == []
    finally:
        h.close()


def automation_client(contacts: list[str] | None = None) -> Any:
    client = make_client("activecampaign", audience={
        "lists": [{"id": "news", "name": "News"}], "tags": [{"id": "vip", "name": "VIP"}],
        "contacts": [{"email": "a@example.com", "lists": ["news"]}, {"email": "b@example.com", "lists": ["news"]},
                     {"email": "c@example.com", "lists": ["news"], "consent": {"email": "unsubscribed"}}]})
    client.automations.append(Automation.model_validate({
        "id": "welcome", "name": "Welcome", "trigger": {"tag_added": "vip"},
        "enrol": {"list": "news", "contacts": contacts or []},
        "steps": [{"send_email": {"subject": "Welcome {{ first_name }}",
                                  "body_html": "<a href='{{ unsubscribe_url }}'>u</a>"}},
                  {"wait": {"days": 2}},
                  {"add_tag": "vip"}]}))
    return client


def test_automation_is_built_by_hand_verified_then_each_contact_enrolled_once(ac: Any, tmp_path: Path) -> None:
    h = Harness(ac, automation_client(), tmp_path, FakeClock())
    try:
        plan = h.plan()
        auto = next(c for c in plan.changes if c.kind == "automation")
        assert auto.action == "manual" and auto.fidelity == "manual"
        sheet = auto.details["build_sheet"]
        assert "'Welcome'" in sheet and "'Tag is added' -> tag 'VIP'" in sheet and "Wait: 2 days" in sheet
        assert "Welcome %FIRSTNAME%" in sheet and "Add a tag: 'VIP'" in sheet
        # subscribed members of the list, never the unsubscribed one; they wait for the automation
        assert by_action(plan, "enrolment") == {"welcome/a@example.com": "manual", "welcome/b@example.com": "manual"}
        assert not h.apply(plan).failed
        assert h.simulator.enrolments(ACCOUNT) == []
        h.simulator.add_automation(ACCOUNT, "Welcome")  # built in the UI
        plan = h.plan()
        auto = next(c for c in plan.changes if c.kind == "automation")
        assert auto.action == "noop" and auto.reason.startswith("verified")
        assert by_action(plan, "enrolment") == {"welcome/a@example.com": "create", "welcome/b@example.com": "create"}
        assert not h.apply(plan).failed
        assert sorted(e["email"] for e in h.simulator.enrolments(ACCOUNT)) == ["a@example.com", "b@example.com"]
        writes = h.writes()
        h.apply()
        assert h.writes() == writes and len(h.simulator.enrolments(ACCOUNT)) == 2
        # hub's ledger lost (a crash, another machine): ActiveCampaign is asked first, nobody is enrolled twice
        for rec in h.state.items(kind="enrolment"):
            h.state.forget(rec.client, rec.account, rec.kind, rec.neutral_id)
        report = h.apply()
        assert not report.failed and len(h.simulator.enrolments(ACCOUNT)) == 2
        assert not h.simulator.log.entries("POST", "/api/3/contactAutomations")[2:]
    finally:
        h.close()


def test_enrolling_someone_already_in_the_automation_is_success(ac: Any, tmp_path: Path) -> None:
    h = Harness(ac, automation_client(), tmp_path, FakeClock())
    try:
        h.apply()
        auto = h.simulator.add_automation(ACCOUNT, "Welcome")
        plan = h.plan()
        res = h.provider.resource("enrolment")
        refs = build_refs(h.state, h.account)
        refs.add("automation", "welcome", auto["id"])
        want = next(c for c in plan.changes if c.id == "welcome/a@example.com").desired()
        first = res.create(want, refs)
        res._known = lambda automation, contact: None  # as if the read of who is in it came before the enrolment
        assert res.create(want, refs) == first  # 422 duplicate: already in it, which is what was wanted
        assert len(h.simulator.enrolments(ACCOUNT)) == 1 and first
        duplicate = h.simulator.log.entries("POST", "/api/3/contactAutomations")[-1]
        assert duplicate.status == 422
    finally:
        h.close()


def test_an_inactive_automation_refuses_enrolment_with_a_clear_error(ac: Any, tmp_path: Path) -> None:
    h = Harness(ac, automation_client(), tmp_path, FakeClock())
    try:
        h.apply()
        h.simulator.add_automation(ACCOUNT, "Welcome", status="2")
        plan = h.plan()
        auto = next(c for c in plan.changes if c.kind == "automation")
        assert "inactive" in " ".join(auto.details.get("warnings", []))
        report = h.apply(plan)
        assert {c.id for c in report.failed} == {"welcome/a@example.com", "welcome/b@example.com"}
        assert all("inactive" in c.error for c in report.failed)
    finally:
        h.close()


def test_members_are_read_with_their_consent_and_fields(harness: Harness) -> None:
    harness.apply()
    harness.simulator.set_contact_status(ACCOUNT, "bob@example.com", "bounced")
    client = harness.account.client
    members = harness.provider.api.read_members(client, "newsletter", None, build_refs(harness.state, harness.account))
    by_email = {c.email: c for c in members}
    assert set(by_email) == {"ada@example.com", "bob@example.com", "cy@example.com"}
    assert by_email["ada@example.com"].consent.email == "subscribed"
    ada = by_email["ada@example.com"]
    assert ada.first_name == "Ada" and ada.fields == {"favourite": "rye"}
    assert by_email["bob@example.com"].consent.email == "bounced"
    assert by_email["cy@example.com"].consent.email == "unsubscribed"


def test_push_under_20_percent_faults_keeps_everyone_once_with_their_consent(ac: Any, tmp_path: Path) -> None:
    statuses = ["subscribed", "subscribed", "unsubscribed", "bounced"]
    contacts = [{"email": f"p{i}@example.com", "lists": ["news"], "consent": {"email": statuses[i % 4]}}
                for i in range(600)]
    client = make_client("activecampaign", audience={"lists": [{"id": "news", "name": "News"}], "contacts": contacts})
    h = Harness(ac, client, tmp_path, FakeClock())
    try:
        h.simulator.fault_rate(0.2, seed=3)
        report = h.apply()
        if report.failed:  # what exhausted its retries is sent again by the next apply
            report = h.apply()
        assert not report.failed
        h.simulator.fault_rate(0)
        held = h.simulator.contacts(ACCOUNT)
        assert sorted(c["email"] for c in held) == sorted(c["email"] for c in contacts)
        # bounced cannot be set through the API: those contacts are unsubscribed
        expected = {"subscribed": "active", "unsubscribed": "unsubscribed", "bounced": "unsubscribed"}
        assert all(c["status"] == expected[statuses[int(c["email"][1:].split("@")[0]) % 4]] for c in held)
        assert any(e.fault for e in h.simulator.log), "faults were injected"
        writes = h.writes()
        h.apply()
        assert h.writes() == writes
    finally:
        h.close()


def test_the_v1_key_never_shows_in_errors(ac: Any, tmp_path: Path) -> None:
    secret = "ac-planted-key-0123456789"
    h = Harness(ac, campaign_client({"id": "c", "name": "C", "audience": {"list": "news"}, "email": email()}),
                tmp_path, FakeClock(), settings={"api_key": secret})
    try:
        with pytest.raises(AuthError) as info:
            h.provider.api.v1("campaign_list", {"ids": "1"}, read=True)
        assert secret not in str(info.value) and "not authorized" in str(info.value)
        h.simulator.alias_credential(secret, "sandbox-token")
        with pytest.raises(VendorValidationError) as bad:
            h.provider.api.v1("campaign_create", {"type": "single"})
        assert "Campaign name is required" in str(bad.value) and secret not in str(bad.value)
    finally:
        h.close()


# -- the example agency ----------------------------------------------------------------------------------------------


def test_example_law_firm_plans_applies_and_settles_in_the_sandbox(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    assert (root / "clients" / "law-firm" / "client.yaml").exists()
    valid = hub(capsys, "validate", "-w", str(root), "--json")
    assert valid.code == 0, valid.err
    plan = hub(capsys, "plan", "-w", str(root), "--sandbox", "-c", "law-firm", "--json")
    assert plan.code == 0, plan.err
    doc = plan.json()
    [law] = doc["clients"]
    creates = {c["kind"] for c in law["changes"] if c["action"] == "create"}
    assert {"list", "tag", "field", "contact", "email_campaign"} <= creates
    assert {c["kind"] for c in law["changes"] if c["action"] == "manual"} == {"segment", "automation", "enrolment"}
    assert all(c["provider"] == "activecampaign" for c in law["changes"])
    applied = hub(capsys, "apply", "-w", str(root), "--sandbox", "-c", "law-firm", "--yes", "--json")
    assert applied.code == 0, applied.err
    again = hub(capsys, "plan", "-w", str(root), "--sandbox", "-c", "law-firm", "--json")
    assert again.code == 0, again.err
    assert [again.json()["summary"][a] for a in ("create", "update", "delete")] == [0, 0, 0]


def test_imports_are_confirmed_by_the_next_apply_and_a_refused_contact_is_sent_again(ac: Any, tmp_path: Path) -> None:
    client = make_client("activecampaign", audience={"lists": [{"id": "news", "name": "News"}], "contacts": [
        {"email": "ok@example.com", "lists": ["news"]}, {"email": "ops@localhost", "lists": ["news"]}]})
    h = Harness(ac, client, tmp_path, FakeClock())
    try:
        assert not h.apply().failed  # the import is queued: its outcome is not known yet
        pending = {r.neutral_id: r.data.get("confirm") for r in h.state.items(kind="contact")}
        assert all(pending.values()) and len(set(pending.values())) == 1
        polls = len(h.simulator.log.entries("GET", "/api/3/import/info"))
        assert polls == 0  # no request spent waiting on the import
        applier = h.applier()
        applier.reconcile()  # the next apply starts by asking how the import ended
        assert len(h.simulator.log.entries("GET", "/api/3/import/info")) == 1
        confirmed = {r.neutral_id: r.data.get("confirm") for r in h.state.items(kind="contact")}
        assert confirmed == {"ok@example.com": None}  # the refused one is forgotten...
        plan = h.plan()
        assert [c.action for c in plan.changes if c.kind == "contact" and c.id == "ops@localhost"] == ["create"]
    finally:
        h.close()
