"""What hub's automation runner relies on from MailerLite: a step's email reaches exactly the contacts due
together, once, whatever answers are lost; who opened and clicked it; tags given and taken away. Against the
simulator through the account's API, as the runner calls it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

import hub_mailerlite.api as ml_api
from hub.clock import FakeClock
from hub.plugin import EmailActivity, EmailContent, References, StepEmail
from hub.plugins import make_plugins
from hub.simulator import Fault
from hub.simulator.activity import ACTIVITY_WINDOW
from hub.sync.plan import build_refs
from hub.testing import Harness, make_client
from hub_mailerlite import mapping as m

ACCOUNT = "sandbox"
NAME = "welcome/2 · 2026-03-01 09:00"  # the runner names each batch's campaign uniquely
CONTENT = EmailContent.model_validate({
    "subject": "Hi {{ first_name }}", "from": {"name": "Acme", "email": "hello@acme.example"},
    "body_markdown": "Welcome, {{ first_name }}!\n\n[Unsubscribe]({{ unsubscribe_url }})"})
PEOPLE = ("ada", "bob", "cy", "di", "ed")


def address(who: str) -> str:
    return f"{who}@example.com"


def client(extra: int = 0) -> Any:
    """Everyone in one list (the group the step's recipients share with everybody else); `extra` more people."""
    people = [*PEOPLE, *(f"p{i:03d}" for i in range(extra))]
    return make_client("mailerlite", audience={
        "lists": [{"id": "news", "name": "News"}],
        "tags": [{"id": "vip", "name": "VIP"}],
        "contacts": [{"email": address(p), "first_name": p.title(), "lists": ["news"]} for p in people]})


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(make_plugins().registry.get("mailerlite"), client(), tmp_path, FakeClock(utc=datetime(2026, 3, 1,
                                                                                                     tzinfo=UTC)))
    assert not h.apply().failed
    yield h
    h.close()


def step(recipients: tuple[str, ...] = (address("ada"), address("cy")), name: str = NAME,
         resumed: bool = True) -> StepEmail:
    return StepEmail(name=name, automation="Welcome", content=CONTENT, recipients=recipients, resumed=resumed)


def send(h: Harness, email: StepEmail | None = None) -> str:
    return h.provider.api.send_step_email(email or step(), build_refs(h.state, h.account))


def campaigns_named(h: Harness, name: str = NAME) -> list[dict[str, Any]]:
    return [c for c in h.simulator.campaigns(ACCOUNT) if c["name"] == name]


def received(h: Harness, campaign_id: str) -> set[str]:
    return {r["email"] for r in h.simulator.campaign_recipients(ACCOUNT, campaign_id=campaign_id)}


def batch_groups(h: Harness) -> list[str]:
    return [g["name"] for g in h.simulator.groups(ACCOUNT) if g["name"] == m.batch_group_name(NAME)]


def assert_sent_once_to_exactly(h: Harness, recipients: set[str]) -> str:
    [campaign] = campaigns_named(h)
    assert campaign["status"] == "sent" and campaign["stats"]["sent"] == len(recipients)
    assert received(h, campaign["id"]) == recipients
    assert len(batch_groups(h)) <= 1
    return str(campaign["id"])


# -- the email reaches exactly its recipients, once ------------------------------------------------------


def test_the_email_reaches_exactly_the_recipients_not_the_rest_of_their_group(harness: Harness) -> None:
    campaign_id = send(harness)
    assert assert_sent_once_to_exactly(harness, {address("ada"), address("cy")}) == campaign_id
    [campaign] = campaigns_named(harness)
    email = campaign["emails"][0]
    assert email["subject"] == "Hi {$name}" and "{$unsubscribe}" in email["content"]
    assert (email["from"], email["from_name"]) == ("hello@acme.example", "Acme")
    assert batch_groups(harness) == []  # cleared away once the campaign went out


def test_sending_twice_under_one_name_sends_once(harness: Harness) -> None:
    first = send(harness)
    writes = harness.writes()
    assert send(harness) == first
    assert harness.writes() == writes  # looked up, nothing written again
    assert_sent_once_to_exactly(harness, {address("ada"), address("cy")})


def test_only_active_subscribers_receive_it(harness: Harness) -> None:
    harness.simulator.set_subscriber_status(ACCOUNT, address("cy"), "unsubscribed")
    send(harness)
    assert_sent_once_to_exactly(harness, {address("ada")})


def test_a_recipient_hub_has_no_subscriber_id_for_is_addressed_by_email(harness: Harness) -> None:
    campaign_id = harness.provider.api.send_step_email(step(), References())
    assert received(harness, campaign_id) == {address("ada"), address("cy")}


LOST_ANSWERS = [  # each write of the sequence, its answer lost (the vendor did it, hub never heard)
    pytest.param("POST", "/groups", id="group create"),
    pytest.param("POST", "/batch", id="assignment batch"),
    pytest.param("POST", "/campaigns", id="campaign create"),  # the create is the first POST under /campaigns
    pytest.param("POST", "/campaigns/", id="schedule"),
    pytest.param("DELETE", "/groups/", id="group delete"),
]


@pytest.mark.parametrize(("method", "path"), LOST_ANSWERS)
def test_a_lost_answer_then_a_second_call_sends_once_to_exactly_the_recipients(harness: Harness, method: str,
                                                                               path: str) -> None:
    harness.simulator.inject(Fault("drop_after", method=method, path_prefix=path, count=1))
    first = send(harness)  # MailerLite is asked what became of the write, and the rest is done in this call
    assert not harness.simulator.pending_faults()  # the write whose answer was lost did happen
    assert send(harness) == first  # the runner's call after a crash finds it all done
    assert assert_sent_once_to_exactly(harness, {address("ada"), address("cy")}) == first
    assert batch_groups(harness) == [] and not [c for c in harness.simulator.campaigns(ACCOUNT)
                                                 if c["status"] == "draft"]


def test_a_batch_the_journal_knows_is_new_is_made_without_looking_first(harness: Harness) -> None:
    """Once the process has looked over hub's batch groups, a batch nothing was asked for before costs only its
    writes: no campaign or group list is read (they grow with every batch ever sent)."""
    send(harness, step(name="earlier batch"))  # the process's first call looks
    before = len(harness.simulator.log)
    campaign_id = send(harness, step(resumed=False))
    asked = [(e.method, e.path.split("/")[2]) for e in harness.simulator.log[before:]]
    assert asked == [("POST", "groups"), ("POST", "batch"), ("POST", "campaigns"), ("POST", "campaigns"),
                     ("DELETE", "groups")]
    assert assert_sent_once_to_exactly(harness, {address("ada"), address("cy")}) == campaign_id
    assert batch_groups(harness) == []


@pytest.mark.parametrize(("method", "path"), LOST_ANSWERS)
def test_a_lost_answer_in_a_new_batch_then_the_retry_sends_once(harness: Harness, method: str, path: str) -> None:
    send(harness, step(name="earlier batch"))
    harness.simulator.inject(Fault("drop_after", method=method, path_prefix=path, count=1))
    first = send(harness, step(resumed=False))
    assert not harness.simulator.pending_faults()
    assert send(harness) == first  # the runner's next call knows it asked before
    assert assert_sent_once_to_exactly(harness, {address("ada"), address("cy")}) == first
    assert batch_groups(harness) == [] and not [c for c in harness.simulator.campaigns(ACCOUNT)
                                                 if c["status"] == "draft"]


def test_a_batch_group_stays_until_its_campaign_shows_sent(harness: Harness) -> None:
    """A campaign still on its way (`ready`) may still read its group: the group goes once a later call sees it
    sent, read by its id rather than by listing every campaign."""
    sim = harness.simulator
    group = sim.call("POST", "/api/groups", {"name": m.batch_group_name("on its way")},
                     account=ACCOUNT).json()["data"]
    sim.call("POST", f"/api/subscribers/{address('ada')}/groups/{group['id']}", account=ACCOUNT)
    body = m.step_campaign_request(step(name="on its way"), group["id"], m.merge_tags(harness.account.client), {})
    later = sim.call("POST", "/api/campaigns", body, account=ACCOUNT).json()["data"]
    sim.call("POST", f"/api/campaigns/{later['id']}/schedule", {"delivery": "scheduled", "schedule": {
        "date": "2026-03-02", "hours": "09", "minutes": "00"}}, account=ACCOUNT)
    send(harness, step(name="first"))  # looks over the batch groups: that one's campaign is not sent yet
    assert m.batch_group_name("on its way") in {g["name"] for g in sim.groups(ACCOUNT)}
    harness.clock.advance(2 * 86_400)  # its time has come
    before = len(sim.log)
    send(harness, step(resumed=False))
    assert ("GET", f"/api/campaigns/{later['id']}") in [(e.method, e.path) for e in sim.log[before:]]
    assert m.batch_group_name("on its way") not in {g["name"] for g in sim.groups(ACCOUNT)}


def test_a_half_made_batch_is_finished_with_exactly_the_recipients(harness: Harness) -> None:
    """An earlier attempt stopped after making the group with a wrong member and a draft aimed elsewhere."""
    sim = harness.simulator
    group = sim.call("POST", "/api/groups", {"name": m.batch_group_name(NAME)}, account=ACCOUNT).json()["data"]
    sim.call("POST", f"/api/subscribers/{address('bob')}/groups/{group['id']}", account=ACCOUNT)
    sim.call("POST", f"/api/subscribers/{address('ada')}/groups/{group['id']}", account=ACCOUNT)
    news = next(g["id"] for g in sim.groups(ACCOUNT) if g["name"] == "News")
    body = m.step_campaign_request(step(), news, m.merge_tags(harness.account.client), {})
    sim.call("POST", "/api/campaigns", body, account=ACCOUNT)
    send(harness)
    assert_sent_once_to_exactly(harness, {address("ada"), address("cy")})
    assert batch_groups(harness) == []


def test_leftover_batch_groups_are_cleared_and_the_clients_own_groups_never(harness: Harness) -> None:
    sim = harness.simulator
    sim.call("POST", "/api/groups", {"name": m.batch_group_name("earlier batch")}, account=ACCOUNT)
    sim.call("POST", "/api/groups", {"name": "earlier batch"}, account=ACCOUNT)  # the client's, named alike
    earlier = harness.provider.api.send_step_email(step(name="earlier batch"), References())
    assert sim.call("GET", f"/api/campaigns/{earlier}", account=ACCOUNT).json()["data"]["status"] == "sent"
    names = {g["name"] for g in sim.groups(ACCOUNT)}
    assert "earlier batch" in names and m.batch_group_name("earlier batch") not in names


def test_batch_group_names_stay_within_the_vendors_limit_and_apart() -> None:
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    assert len(m.batch_group_name(long_a)) == m.GROUP_NAME_MAX
    assert m.batch_group_name(long_a) != m.batch_group_name(long_b)
    assert m.batch_group_name("welcome/2") == m.BATCH_GROUP_PREFIX + "welcome/2"


# -- who opened and who clicked ------------------------------------------------------------------------------


def test_activity_read_through_the_api_is_the_vendors_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ml_api, "PAGE", 10)  # several pages of the report
    h = Harness(make_plugins().registry.get("mailerlite"), client(extra=40), tmp_path, FakeClock())
    try:
        assert not h.apply().failed
        h.simulator.set_activity_rates(ACCOUNT, open_rate=0.5, click_rate=0.2)
        everyone = tuple(sorted(s["email"] for s in h.simulator.subscribers(ACCOUNT)))
        campaign_id = h.provider.api.send_step_email(step(everyone), build_refs(h.state, h.account))
        h.clock.advance(ACTIVITY_WINDOW)  # the recipients have read their email
        record = h.simulator.campaign_recipients(ACCOUNT, campaign_id=campaign_id)
        expected = EmailActivity(opened=frozenset(r["email"] for r in record if r["opened"]),
                                 clicked=frozenset(r["email"] for r in record if r["clicked"]))
        assert h.provider.api.step_email_activity(campaign_id) == expected
        assert expected.clicked and expected.opened - expected.clicked and set(everyone) - expected.opened
        stats = h.simulator.call("GET", f"/api/campaigns/{campaign_id}", account=ACCOUNT).json()["data"]["stats"]
        assert (stats["sent"], stats["unique_opens_count"], stats["unique_clicks_count"]) == \
            (len(everyone), len(expected.opened), len(expected.clicked))
        assert stats["opens_count"] == sum(r["opens_count"] for r in record)
        assert stats["open_rate"]["float"] == round(len(expected.opened) / len(everyone), 4)
    finally:
        h.close()


def test_the_subscriber_activity_report_pages_filters_and_refuses_like_the_vendor(harness: Harness) -> None:
    sim = harness.simulator
    sim.set_activity_rates(ACCOUNT, open_rate=1.0, click_rate=0.0, hard_bounce_rate=0.0, soft_bounce_rate=0.0)
    everyone = tuple(address(p) for p in PEOPLE)
    campaign_id = send(harness, step(everyone))
    harness.clock.advance(ACTIVITY_WINDOW)  # the recipients have read their email
    session = requests.Session()
    session.headers["Authorization"] = "Bearer sandbox-token"
    url = f"{sim.base_url}/campaigns/{campaign_id}/reports/subscriber-activity"
    try:
        page = session.get(url, params={"limit": 10}).json()
        assert page["meta"]["per_page"] == 10 and page["meta"]["total"] == len(everyone)
        assert page["meta"]["aggregations"]["opened"] == len(everyone) and page["meta"]["aggregations"]["clicked"] == 0
        assert set(page["data"][0]) == {"id", "opens_count", "clicks_count"}  # as recorded, asked without include
        default = session.get(url, params={"filter[type]": "opened", "include": "subscriber"}).json()
        assert default["meta"]["per_page"] == 50
        assert {row["subscriber"]["email"] for row in default["data"]} == set(everyone)
        assert session.get(url, params={"filter[type]": "clicked"}).json()["data"] == []
        posted = session.post(url, json={"filter": {"type": "opened", "search": "ada"}, "limit": 25}).json()
        assert [row["opens_count"] for row in posted["data"]] == [1] and posted["meta"]["per_page"] == 25
        refused = session.get(url, params={"limit": 7, "filter[type]": "opened"})
        assert refused.status_code == 422 and refused.json()["errors"] == {"limit": ["The selected limit is invalid."]}
        wrong = session.get(url, params={"filter[type]": "read"})
        assert wrong.status_code == 422 and "filter.type" in wrong.json()["errors"]
        missing = session.get(f"{sim.base_url}/campaigns/121212/reports/subscriber-activity")
        assert missing.json() == {"message": "No query results for model [App\\Models\\Campaign\\Campaign] 121212"}
    finally:
        session.close()


def test_a_scheduled_campaign_records_its_recipients_when_its_time_comes(harness: Harness) -> None:
    sim = harness.simulator
    news = next(g["id"] for g in sim.groups(ACCOUNT) if g["name"] == "News")
    body = m.step_campaign_request(step(name="later"), news, m.merge_tags(harness.account.client), {})
    cid = sim.call("POST", "/api/campaigns", body, account=ACCOUNT).json()["data"]["id"]
    schedule = {"delivery": "scheduled", "schedule": {"date": "2026-03-02", "hours": "09", "minutes": "00"}}
    assert sim.call("POST", f"/api/campaigns/{cid}/schedule", schedule, account=ACCOUNT).status == 200
    assert sim.campaign_recipients(ACCOUNT, campaign_id=cid) == []
    clock = harness.clock
    assert isinstance(clock, FakeClock)
    clock.advance(2 * 86400)
    assert received(harness, cid) == {address(p) for p in PEOPLE}


# -- tags ------------------------------------------------------------------------------------------------------


def vip_members(h: Harness) -> set[str]:
    return {s["email"] for s in h.simulator.subscribers(ACCOUNT)
            if "VIP" in {g["name"] for g in s.get("groups") or []}}


def test_tagging_and_untagging_twice_is_idempotent(harness: Harness) -> None:
    api, refs = harness.provider.api, build_refs(harness.state, harness.account)
    by_email = References()  # no subscriber ids known: addressed by email
    by_email.add("tag", "vip", refs.require("tag", "vip"))
    pair = [address("ada"), address("bob")]
    for _ in range(2):
        api.tag_contacts("vip", pair, by_email, add=True)
        assert vip_members(harness) == set(pair)
    for _ in range(2):
        api.tag_contacts("vip", [address("ada")], refs, add=False)
        assert vip_members(harness) == {address("bob")}
    api.tag_contacts("vip", [address("bob"), "nobody@example.com"], refs, add=False)
    assert vip_members(harness) == set()


def test_memberships_over_several_batches_at_once_are_answered_in_request_order(harness: Harness) -> None:
    """More than one /batch goes at a time: each answer still belongs to its own sub-request."""
    news = next(g["id"] for g in harness.simulator.groups(ACCOUNT) if g["name"] == "News")
    unknown = {i for i in range(130) if i % 37 == 0}
    asked = [m.membership("POST", f"nobody{i}@example.com" if i in unknown else address(PEOPLE[i % 5]), news)
             for i in range(130)]
    answers = harness.provider.api.batch_all(asked)
    assert [i for i, a in enumerate(answers) if a["code"] == 404] == sorted(unknown)
