"""ActiveCampaign as the email vendor of hub's automation runner (`Capability.STEP_EMAILS`): a step's email sent
to exactly the contacts due together, once, whatever answers are lost; who opened and clicked it; tags."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.clock import FakeClock
from hub.errors import AmbiguousWrite, NotFound
from hub.model import EmailContent
from hub.plugins import make_plugins
from hub.provider import Capability, EmailActivity, Fidelity, References, StepEmail
from hub.simulator import Fault
from hub.sync.plan import build_refs
from hub.testing import Harness, make_client
from hub_activecampaign import api as ac_api
from hub_activecampaign.simulator import ActiveCampaignSimulator

ACCOUNT = "sandbox"
MARCH = datetime(2026, 3, 1, 9, tzinfo=UTC)
PEOPLE = [f"p{i:02d}@example.com" for i in range(30)]
EMAIL = {"subject": "Hello {{ first_name }}", "from": {"name": "Acme", "email": "hello@acme.example"},
         "body_markdown": "Hi {{ first_name }}!\n\n[Our shop](https://shop.example/spring)\n\n"
                          "[Unsubscribe]({{ unsubscribe_url }})"}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    client = make_client("activecampaign", audience={
        "lists": [{"id": "news", "name": "News"}],
        "tags": [{"id": "vip", "name": "VIP"}],
        "contacts": [{"email": e, "first_name": e[:3].title(), "lists": ["news"]} for e in PEOPLE],
    })
    h = Harness(make_plugins().registry.get("activecampaign"), client, tmp_path, FakeClock(utc=MARCH))
    assert not h.apply().failed
    sim(h).run_imports(ACCOUNT)  # the contacts are at ActiveCampaign before the runner sends to them
    yield h
    h.close()


def api(h: Harness) -> ac_api.ActiveCampaignApi:
    assert isinstance(h.provider.api, ac_api.ActiveCampaignApi)
    return h.provider.api


def sim(h: Harness) -> ActiveCampaignSimulator:
    assert isinstance(h.simulator, ActiveCampaignSimulator)
    return h.simulator


def refs(h: Harness) -> References:
    return build_refs(h.state, h.account)


def step(recipients: list[str], name: str = "welcome/2/2026-03-01T09:00") -> StepEmail:
    return StepEmail(name=name, automation="Welcome", content=EmailContent.model_validate(EMAIL),
                     recipients=tuple(recipients))


def sent(h: Harness) -> list[dict[str, Any]]:
    return sim(h).campaigns(ACCOUNT)


def lists_named(h: Harness, name: str) -> list[dict[str, Any]]:
    return [x for x in sim(h).lists(ACCOUNT) if x["name"] == name]


def assert_sent_once_to(h: Harness, email: StepEmail, campaign_id: str) -> None:
    """One campaign of that name, sent to exactly the recipients; one list; no message left over."""
    [campaign] = [c for c in sent(h) if c["name"] == email.name]
    assert campaign["id"] == campaign_id and campaign["status_word"] == "completed"
    assert sorted(campaign["recipients"]) == sorted(email.recipients)
    [batch_list] = lists_named(h, email.name)
    assert campaign["lists"] == [batch_list["id"]]
    assert len(sim(h).messages(ACCOUNT)) == len(sent(h))  # each message is a sent campaign's: none half-made


# -- the capability --------------------------------------------------------------------------------------------


def test_step_emails_are_declared_exact() -> None:
    support = make_plugins().registry.get("activecampaign").support(Capability.STEP_EMAILS)
    assert support.fidelity is Fidelity.EXACT and support.note


# -- sending ---------------------------------------------------------------------------------------------------


def test_the_step_email_reaches_exactly_its_recipients(harness: Harness) -> None:
    email = step(PEOPLE[:3])
    campaign_id = api(harness).send_step_email(email, refs(harness))
    assert_sent_once_to(harness, email, campaign_id)
    others = [sim(harness).contact(e, ACCOUNT) for e in PEOPLE[3:]]
    assert {c["sentcnt"] for c in others} == {0}  # nobody else on the client's list got it
    [message] = sim(harness).messages(ACCOUNT)
    assert (message["subject"], message["fromemail"], message["name"]) == ("Hello %FIRSTNAME%", "hello@acme.example",
                                                                          email.name)
    assert "%UNSUBSCRIBELINK%" in message["html"] and "https://shop.example/spring" in message["html"]


def test_two_batches_of_one_step_each_reach_only_their_own(harness: Harness) -> None:
    first, second = step(PEOPLE[:2], "welcome/2/a"), step(PEOPLE[2:4], "welcome/2/b")
    ids = [api(harness).send_step_email(e, refs(harness)) for e in (first, second)]
    assert ids[0] != ids[1]
    for email, campaign_id in zip((first, second), ids, strict=True):
        assert_sent_once_to(harness, email, campaign_id)


def test_a_batch_over_ten_goes_through_a_bulk_import(harness: Harness) -> None:
    email = step(PEOPLE[:25])
    before = len(sim(harness).imports(ACCOUNT))
    campaign_id = api(harness).send_step_email(email, refs(harness))
    assert len(sim(harness).imports(ACCOUNT)) == before + 1  # 25 contacts in one request
    assert_sent_once_to(harness, email, campaign_id)


def test_a_sender_comes_from_the_brand_when_the_email_names_none(harness: Harness) -> None:
    harness.account.client.config.brand.sender_name = "Acme Brand"
    harness.account.client.config.brand.sender_email = "brand@acme.example"
    content = EmailContent.model_validate({k: v for k, v in EMAIL.items() if k != "from"})
    email = StepEmail(name="welcome/brand", automation="Welcome", content=content, recipients=(PEOPLE[0],))
    api(harness).send_step_email(email, refs(harness))
    [message] = sim(harness).messages(ACCOUNT)
    assert (message["fromname"], message["fromemail"]) == ("Acme Brand", "brand@acme.example")


def test_calling_twice_with_the_same_name_sends_once_and_writes_nothing(harness: Harness) -> None:
    email = step(PEOPLE[:3])
    first = api(harness).send_step_email(email, refs(harness))
    writes = harness.writes()
    assert api(harness).send_step_email(email, refs(harness)) == first
    assert harness.writes() == writes
    assert_sent_once_to(harness, email, first)


# -- lost answers and crashes ------------------------------------------------------------------------------------

LOST = [  # the api method that makes the write, the write's path, how many recipients (> 10: a bulk import)
    ("create_list", "/api/3/lists", 3),
    ("_subscribe", "/api/3/contactLists", 3),
    ("queue_import", "/api/3/import/bulk_import", 12),
    ("message", "/admin/api.php", 3),  # v1 message_add
    ("create_campaign", "/admin/api.php", 3),  # v1 campaign_create
]


def losing_the_answer_of(h: Harness, monkeypatch: pytest.MonkeyPatch, method: str, path: str) -> None:
    """The next call of `method` has the answer of its first POST to `path` lost (the vendor does it)."""
    target = api(h)
    original: Callable[..., Any] = getattr(target, method)

    def once(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(target, method, original)
        h.simulator.inject(Fault("drop_after", method="POST", path_prefix=path, count=1))
        return original(*args, **kwargs)

    monkeypatch.setattr(target, method, once)


@pytest.mark.parametrize(("method", "path", "n"), LOST)
def test_a_lost_answer_then_calling_again_sends_one_campaign_to_exactly_the_recipients(
        harness: Harness, monkeypatch: pytest.MonkeyPatch, method: str, path: str, n: int) -> None:
    email = step(PEOPLE[:n])
    losing_the_answer_of(harness, monkeypatch, method, path)
    try:
        first: str | None = api(harness).send_step_email(email, refs(harness))
    except AmbiguousWrite:  # a write that creates: hub never repeats it blindly, the runner calls again
        first = None
    assert [f for f in harness.simulator.log if f.fault == "drop_after"], "the fault was not reached"
    again = api(harness).send_step_email(email, refs(harness))
    assert first in (None, again)
    assert_sent_once_to(harness, email, again)
    assert api(harness).send_step_email(email, refs(harness)) == again


def test_a_crash_halfway_through_the_list_is_finished_and_strangers_on_it_are_left_out(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    email = step(PEOPLE[:4])
    target = api(harness)
    original = target._subscribe
    done: list[str] = []

    def crash_after_two(contact_id: str, list_id: str, status: str) -> None:
        if len(done) == 2:
            raise KeyboardInterrupt  # hub killed
        done.append(contact_id)
        original(contact_id, list_id, status)

    monkeypatch.setattr(target, "_subscribe", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        target.send_step_email(email, refs(harness))
    monkeypatch.setattr(target, "_subscribe", original)
    assert sent(harness) == [] and len(lists_named(harness, email.name)) == 1
    # someone subscribed to the batch's list meanwhile (by hand, say): not one of the batch
    [batch_list] = lists_named(harness, email.name)
    stranger = sim(harness).contact(PEOPLE[9], ACCOUNT)
    sim(harness).call("POST", "/api/3/contactLists", {"contactList": {
        "list": batch_list["id"], "contact": stranger["id"], "status": 1}}, account=ACCOUNT)
    campaign_id = target.send_step_email(email, refs(harness))
    assert_sent_once_to(harness, email, campaign_id)


# -- activity -------------------------------------------------------------------------------------------------


def recorded(h: Harness, campaign_id: str) -> EmailActivity:
    rows = sim(h).campaign_recipients(ACCOUNT, campaign=campaign_id)
    return EmailActivity(opened=frozenset(r["email"] for r in rows if r["opened"]),
                         clicked=frozenset(r["email"] for r in rows if r["clicked"]))


def test_activity_read_through_the_api_is_the_simulators_record(harness: Harness) -> None:
    sim(harness).set_activity_rates(ACCOUNT, 0.8, 0.3)
    email = step(PEOPLE)  # 30: the open list takes two v1 pages
    campaign_id = api(harness).send_step_email(email, refs(harness))
    assert api(harness).step_email_activity(campaign_id) == EmailActivity() == recorded(harness, campaign_id)
    assert isinstance(harness.clock, FakeClock)
    harness.clock.advance(sim(harness).activity_delay)  # the recipients have read their email
    activity = api(harness).step_email_activity(campaign_id)
    assert activity == recorded(harness, campaign_id)
    open_pages = [e for e in harness.simulator.log if e.query.get("api_action") == ["campaign_report_open_list"]]
    assert len(open_pages) >= 3  # before the opens (nothing returned), then 20 rows and the rest
    assert 20 < len(activity.opened) < len(PEOPLE) and activity.clicked and activity.clicked < activity.opened
    assert {r["link"] for r in sim(harness).campaign_recipients(ACCOUNT, campaign=campaign_id)
            if r["clicked"]} == {"https://shop.example/spring"}
    campaign = harness.provider.api.http.get(f"campaigns/{campaign_id}")["campaign"]
    assert (campaign["uniqueopens"], campaign["opens"]) == (str(len(activity.opened)),) * 2
    assert (campaign["uniquelinkclicks"], campaign["send_amt"]) == (str(len(activity.clicked)), str(len(PEOPLE)))


def v1_report(h: Harness, action: str, campaign_id: str, **extra: str) -> dict[str, Any]:
    query = {"api_action": [action], "api_output": ["json"], "campaignid": [campaign_id],
             **{k: [v] for k, v in extra.items()}}
    return sim(h).call("GET", "/admin/api.php", account=ACCOUNT, query=query).body


def test_the_simulators_v1_reports_have_the_vendors_shapes(harness: Harness) -> None:
    sim(harness).set_activity_rates(ACCOUNT, 1.0, 1.0)
    campaign_id = api(harness).send_step_email(step(PEOPLE[:2]), refs(harness))
    assert v1_report(harness, "campaign_report_open_list", campaign_id)["result_code"] == 0  # not read yet
    assert isinstance(harness.clock, FakeClock)
    harness.clock.advance(sim(harness).activity_delay)
    opens = v1_report(harness, "campaign_report_open_list", campaign_id)
    assert opens["result_code"] == 1 and sorted(opens) == ["0", "1", "result_code", "result_message", "result_output"]
    assert set(opens["0"]) == {"subscriberid", "email", "times", "tstamp"} and opens["0"]["email"] == PEOPLE[0]
    links = v1_report(harness, "campaign_report_link_list", campaign_id)
    assert (links["0"]["link"], links["0"]["a_unique"], links["0"]["a_total"]) == ("https://shop.example/spring",
                                                                                   "2", "2")
    assert [i["email"] for i in links["0"]["info"]] == PEOPLE[:2] and "1" not in links  # no read tracker
    assert v1_report(harness, "campaign_report_open_list", campaign_id, messageid="999")["result_code"] == 0
    assert v1_report(harness, "campaign_report_open_list", "999")["result_message"] == "Campaign 999 not found"
    sim(harness).call("DELETE", f"/api/3/campaigns/{campaign_id}", account=ACCOUNT)
    assert sim(harness).campaign_recipients(ACCOUNT, campaign=campaign_id) == []


def test_activity_of_an_unknown_campaign_is_not_found(harness: Harness) -> None:
    with pytest.raises(NotFound):
        api(harness).step_email_activity("999")


# -- tags -------------------------------------------------------------------------------------------------------


def tags_of(h: Harness, email: str) -> list[str]:
    return sim(h).contact(email, ACCOUNT)["tags"]


def test_tagging_and_untagging_twice_is_idempotent(harness: Harness) -> None:
    who = PEOPLE[:2]
    for _ in range(2):
        api(harness).tag_contacts("vip", who, refs(harness))
        assert [tags_of(harness, e) for e in who] == [["VIP"], ["VIP"]]
    assert tags_of(harness, PEOPLE[2]) == []
    for _ in range(2):
        api(harness).tag_contacts("vip", who, refs(harness), add=False)
        assert [tags_of(harness, e) for e in who] == [[], []]
    api(harness).tag_contacts("vip", ["nobody@example.com"], refs(harness), add=False)  # never had it: fine


def test_tagging_someone_activecampaign_does_not_know_tags_the_others_then_says_who(harness: Harness) -> None:
    with pytest.raises(NotFound, match=r"nobody@example\.com"):
        api(harness).tag_contacts("vip", ["nobody@example.com", PEOPLE[0]], refs(harness))
    assert tags_of(harness, PEOPLE[0]) == ["VIP"]
