"""What hub's automation runner asks of Mailchimp (`Capability.STEP_EMAILS`): a step's email sent as one campaign to
exactly the contacts due together (through a tag made for the batch), never twice whatever answer is lost, who
opened and clicked it, and tags given and taken away, through the real SDK against the simulator."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openapi_check
import pytest

from hub.clock import FakeClock
from hub.errors import ProviderError
from hub.model import EmailContent
from hub.plugin import StepEmail
from hub.simulator import Fault
from hub.simulator.activity import ACTIVITY_WINDOW
from hub.sync.plan import build_refs
from hub.testing import Harness, make_client
from hub_mailchimp.provider import MailchimpProvider
from hub_mailchimp.simulator import MailchimpSimulator

ACCOUNT, AUDIENCE = MailchimpSimulator.SANDBOX_ACCOUNT, MailchimpSimulator.SANDBOX_AUDIENCE
NAME = "Welcome / step 2 / 2026-03-01 09:00"
CONTENT = EmailContent.model_validate({
    "subject": "Hello {{ first_name }}", "preheader": "Glad you came",
    "from": {"name": "Acme", "email": "hello@acme.example"},
    "body_markdown": "Hi {{ first_name }}, [our shop](https://shop.example/new)\n\n"
                     "[Unsubscribe]({{ unsubscribe_url }})"})


def people(n: int) -> list[str]:
    return [f"p{i:03d}@example.com" for i in range(n)]


def client(n: int) -> Any:
    contacts = [{"email": e, "first_name": f"P{i}", "lists": ["news"]} for i, e in enumerate(people(n))]
    contacts.append({"email": "gone@example.com", "lists": ["news"], "consent": {"email": "unsubscribed"}})
    return make_client("mailchimp", audience={"lists": [{"id": "news", "name": "News"}],
                                              "tags": [{"id": "vip", "name": "VIP"}], "contacts": contacts})


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """An audience of 12 subscribed contacts (and one who unsubscribed), built by an apply."""
    h = Harness(MailchimpProvider, client(12), tmp_path, FakeClock(utc=datetime(2026, 3, 1)))
    assert not h.apply().failed
    yield h
    h.close()


def step(recipients: list[str], name: str = NAME) -> StepEmail:
    return StepEmail(name=name, automation="Welcome", content=CONTENT, recipients=tuple(recipients))


def send(h: Harness, email: StepEmail) -> str:
    return str(h.provider.api.send_step_email(email, build_refs(h.state, h.account)))


def titled(h: Harness, name: str = NAME) -> list[dict[str, Any]]:
    return [c for c in h.simulator.campaigns(ACCOUNT) if c["settings"]["title"] == name]


def tags_named(h: Harness, name: str = NAME) -> list[dict[str, Any]]:
    return [s for s in h.simulator.segments(ACCOUNT, AUDIENCE) if s["name"] == name]


def sent_to(h: Harness, campaign_id: str) -> list[str]:
    return [r["email_address"] for r in h.simulator.campaign_recipients(ACCOUNT, campaign_id)]


def assert_sent_once(h: Harness, recipients: list[str]) -> str:
    """Exactly one campaign of that name, sent, with its content, to exactly `recipients`; exactly one tag."""
    [campaign] = titled(h)
    assert campaign["status"] == "sent" and "*|UNSUB|*" in campaign["content"]["html"]
    assert sorted(sent_to(h, campaign["id"])) == sorted(recipients)
    [tag] = tags_named(h)
    assert sorted(tag["member_emails"]) == sorted(recipients)
    return str(campaign["id"])


# -- pure translation -----------------------------------------------------------------------------------------------


def test_a_name_too_long_for_a_tag_still_names_one_tag() -> None:
    from hub_mailchimp import mapping as m

    long_a, long_b = "x" * 150 + "a", "x" * 150 + "b"
    assert m.batch_tag_name(NAME) == NAME
    assert len(m.batch_tag_name(long_a)) == m.TAG_NAME_MAX and m.batch_tag_name(long_a) == m.batch_tag_name(long_a)
    assert m.batch_tag_name(long_a) != m.batch_tag_name(long_b)


def test_a_click_counts_as_an_open() -> None:
    from hub_mailchimp import mapping as m

    rows = [{"email_address": "A@x.com", "activity": [{"action": "open"}, {"action": "click"}]},
            {"email_address": "b@x.com", "activity": [{"action": "click"}]},
            {"email_address": "c@x.com", "activity": [{"action": "bounce"}]}, {"email_address": "d@x.com"}]
    activity = m.email_activity(rows)
    assert activity.opened == {"a@x.com", "b@x.com"} and activity.clicked == {"a@x.com", "b@x.com"}


# -- sending ------------------------------------------------------------------------------------------------------


def test_the_email_reaches_exactly_its_recipients(harness: Harness) -> None:
    due = people(12)[2:7]
    campaign_id = send(harness, step(due))
    assert assert_sent_once(harness, due) == campaign_id
    [campaign] = titled(harness)
    settings = campaign["settings"]
    assert (settings["subject_line"], settings["preview_text"]) == ("Hello *|FNAME|*", "Glad you came")
    assert (settings["from_name"], settings["reply_to"]) == ("Acme", "hello@acme.example")
    assert "Hi *|FNAME|*" in campaign["content"]["html"] and "https://shop.example/new" in campaign["content"]["html"]
    [tag] = tags_named(harness)
    assert campaign["recipients"]["segment_opts"] == {"saved_segment_id": int(tag["id"])}
    [report] = [r for r in harness.simulator.reports(ACCOUNT) if r["id"] == campaign_id]
    assert report["emails_sent"] == len(due)


def test_a_recipient_who_unsubscribed_meanwhile_is_not_emailed(harness: Harness) -> None:
    due = people(12)[:3]
    harness.simulator.set_member_status(ACCOUNT, AUDIENCE, due[0], "unsubscribed")
    campaign_id = send(harness, step(due))
    assert sent_to(harness, campaign_id) == due[1:]


def test_calling_twice_with_the_same_name_sends_once(harness: Harness) -> None:
    due = people(12)[:4]
    first = send(harness, step(due))
    writes = harness.writes()
    assert send(harness, step(due)) == first
    assert harness.writes() == writes  # found by name: nothing made, nothing sent
    assert_sent_once(harness, due)
    other = send(harness, step(people(12)[4:6], name=f"{NAME} (2)"))  # another batch is another campaign
    assert other != first and sorted(sent_to(harness, other)) == people(12)[4:6]


@pytest.mark.parametrize(("method", "prefix"), [
    ("POST", f"/lists/{AUDIENCE}/segments"),  # the tag: made, its answer lost
    ("POST", "/campaigns"),  # the campaign
    ("PUT", "/campaigns"),  # its content
    ("POST", "/campaigns/"),  # the send
], ids=["tag", "campaign", "content", "send"])
def test_a_lost_answer_on_any_write_still_sends_exactly_once(harness: Harness, method: str, prefix: str) -> None:
    due = people(12)[1:9]
    harness.simulator.inject(Fault("drop_after", method=method, path_prefix=prefix, count=1))
    for _ in range(2):  # the runner calls again after a failure; this call may have finished already
        with contextlib.suppress(ProviderError):
            send(harness, step(due))
    assert harness.simulator.pending_faults() == []
    campaign_id = assert_sent_once(harness, due)
    assert send(harness, step(due)) == campaign_id


def test_a_call_that_stopped_half_way_is_finished_by_the_next(harness: Harness) -> None:
    due = people(12)[:5]
    harness.simulator.inject(Fault("drop_before", method="PUT", path_prefix="/campaigns", count=-1))
    with pytest.raises(ProviderError):
        send(harness, step(due))
    [draft] = titled(harness)
    assert draft["status"] == "save" and draft["content"]["html"] == ""  # made, never given content
    harness.simulator.clear_faults()
    assert send(harness, step(due)) == draft["id"]
    assert assert_sent_once(harness, due) == draft["id"]


def test_more_recipients_than_one_tag_write_holds(tmp_path: Path) -> None:
    h = Harness(MailchimpProvider, client(520), tmp_path, FakeClock(utc=datetime(2026, 3, 1)))
    try:
        assert not h.apply().failed
        due = people(520)[:510]
        h.simulator.log.clear()
        campaign_id = send(h, step(due))
        assert sorted(sent_to(h, campaign_id)) == sorted(due)
        segment_writes = [e for e in h.simulator.log.writes() if e.path.startswith(f"/3.0/lists/{AUDIENCE}/segments")]
        assert len(segment_writes) == 2  # 500 made with the tag, 10 added to it
    finally:
        h.close()


def test_a_step_email_without_recipients_makes_nothing(harness: Harness) -> None:
    writes = harness.writes()
    with pytest.raises(ProviderError, match="no recipients"):
        send(harness, step([]))
    assert harness.writes() == writes


# -- who opened, who clicked ---------------------------------------------------------------------------------------


def test_activity_read_through_the_api_is_the_simulators_record(harness: Harness) -> None:
    harness.simulator.set_activity_rates(ACCOUNT, open_rate=0.5, click_rate=0.25)
    campaign_id = send(harness, step(people(12)))
    harness.clock.advance(ACTIVITY_WINDOW)  # the recipients have read their email
    record = harness.simulator.campaign_recipients(ACCOUNT, campaign_id)
    opened = {r["email_address"] for r in record if r["opened"]}
    clicked = {r["email_address"] for r in record if r["clicked"]}
    assert opened and clicked and clicked <= opened  # the rates make both likely; the hash makes it so
    activity = harness.provider.api.step_email_activity(campaign_id)
    assert (activity.opened, activity.clicked) == (opened, clicked)
    [report] = [r for r in harness.simulator.reports(ACCOUNT) if r["id"] == campaign_id]
    assert (report["opens"]["unique_opens"], report["clicks"]["unique_clicks"]) == (len(opened), len(clicked))
    assert report["opens"]["opens_total"] == len(opened) and report["emails_sent"] == 12


def test_the_email_activity_report_pages_like_the_vendor(harness: Harness) -> None:
    harness.simulator.set_activity_rates(ACCOUNT, open_rate=0.5, click_rate=0.3)
    campaign_id = send(harness, step(people(12)))
    harness.clock.advance(ACTIVITY_WINDOW)  # the recipients have read their email
    path = f"/3.0/reports/{campaign_id}/email-activity"
    first = harness.simulator.call("GET", f"{path}?count=5&offset=0", account=ACCOUNT).body
    last = harness.simulator.call("GET", f"{path}?count=5&offset=10", account=ACCOUNT).body
    assert first["total_items"] == last["total_items"] == 12 and first["campaign_id"] == campaign_id
    assert len(first["emails"]) == 5 and len(last["emails"]) == 2
    row = first["emails"][0]
    assert set(row) >= {"campaign_id", "list_id", "list_is_active", "email_id", "email_address", "activity"}
    clicks = [r["email_address"] for r in harness.simulator.campaign_recipients(ACCOUNT, campaign_id) if r["clicked"]]
    assert clicks
    for email in clicks:
        one = harness.simulator.call("GET", f"{path}/{email}", account=ACCOUNT).body
        assert [a["url"] for a in one["activity"] if a["action"] == "click"] == ["https://shop.example/new"]
    unsent = harness.simulator.call("GET", "/3.0/reports/nosuchcamp/email-activity", account=ACCOUNT)
    assert unsent.status == 404


# -- tags ---------------------------------------------------------------------------------------------------------


def vip(h: Harness) -> set[str]:
    members = h.simulator.members(ACCOUNT, AUDIENCE)
    return {x["email"] for x in members if "VIP" in {t["name"] for t in x["tags"]}}


def test_tagging_and_untagging_twice_is_idempotent(harness: Harness) -> None:
    api, refs = harness.provider.api, build_refs(harness.state, harness.account)
    some = people(12)[:3]
    for _ in range(2):
        api.tag_contacts("vip", some, refs)
        assert vip(harness) == set(some)
    for _ in range(2):
        api.tag_contacts("vip", some[:2], refs, add=False)
        assert vip(harness) == set(some[2:])
    api.tag_contacts("vip", ["never@example.com"], refs)  # not in the audience: Mailchimp ignores it
    assert vip(harness) == set(some[2:])


# -- every request matches the vendor's document ---------------------------------------------------------------------


@pytest.mark.skipif(not (openapi_check.SPECS / "mailchimp_marketing_3.0.55_openapi.yaml").exists(),
                    reason="../shared/vendor-specs is not there")
def test_every_request_matches_the_openapi_document(harness: Harness) -> None:
    from test_mailchimp_openapi import check_log

    harness.simulator.log.clear()
    harness.simulator.inject(Fault("drop_after", method="POST", path_prefix="/campaigns/", count=1))
    campaign_id = send(harness, step(people(12)[:6]))
    send(harness, step(people(12)[:6]))
    harness.provider.api.step_email_activity(campaign_id)
    refs = build_refs(harness.state, harness.account)
    harness.provider.api.tag_contacts("vip", people(12)[:2], refs)
    harness.provider.api.tag_contacts("vip", people(12)[:1], refs, add=False)
    used = check_log(list(harness.simulator.log))
    assert {("GET", "/lists/{list_id}/tag-search"), ("POST", "/lists/{list_id}/segments/{segment_id}"),
            ("GET", "/reports/{campaign_id}/email-activity"), ("GET", "/campaigns")} <= used


# -- lists as audiences --------------------------------------------------------------------------------------------


def test_with_lists_as_audiences_the_email_goes_from_the_audience_all_recipients_share(tmp_path: Path) -> None:
    from test_mailchimp_provider import CONTACT, audiences_client

    h = Harness(MailchimpProvider, audiences_client(), tmp_path, FakeClock(),
                settings={"lists_as": "audiences", "audience_contact": CONTACT})
    try:
        assert not h.apply().failed
        news = next(x["id"] for x in h.simulator.lists(ACCOUNT) if x["name"] == "News")
        campaign_id = send(h, step(["a@x.com", "b@x.com"]))
        [campaign] = titled(h)
        assert campaign["recipients"]["list_id"] == news
        assert sorted(sent_to(h, campaign_id)) == ["a@x.com", "b@x.com"]
        with pytest.raises(ProviderError, match="share no list"):
            send(h, step(["b@x.com", "c@x.com"], name="Other batch"))
        refs = build_refs(h.state, h.account)

        def tagged(email: str) -> bool:
            return "VIP" in {t["name"] for t in h.simulator.member(email, ACCOUNT, news)["tags"]}

        h.provider.api.tag_contacts("vip", ["b@x.com"], refs)
        assert tagged("a@x.com") and tagged("b@x.com")
        h.provider.api.tag_contacts("vip", ["a@x.com", "b@x.com"], refs, add=False)
        assert not tagged("a@x.com") and not tagged("b@x.com")
    finally:
        h.close()
