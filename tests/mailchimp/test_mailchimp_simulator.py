"""The Mailchimp simulator answers like the Marketing API v3, driven by the real `mailchimp_marketing` SDK."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import mailchimp_marketing
import pytest
import requests
from mailchimp_marketing.api_client import ApiClientError

from hub.clock import FakeClock
from hub.simulator import Fault
from hub_mailchimp.simulator import MailchimpSimulator

KEY = MailchimpSimulator.SANDBOX_KEY
LIST = MailchimpSimulator.SANDBOX_AUDIENCE
HTML = '<html><body><h1>Hello *|FNAME|*</h1><p>News <a href="https://shop.test/x">shop</a></p>' \
       '<p><a href="*|UNSUB|*">Unsubscribe</a></p></body></html>'


def md5(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()


def problem(exc: pytest.ExceptionInfo[ApiClientError]) -> dict[str, Any]:
    """The problem document of an SDK error (a str: problem+json is not 'application/json' to the SDK)."""
    assert isinstance(exc.value.text, str), exc.value.text
    return json.loads(exc.value.text)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock):
    with MailchimpSimulator(clock, keys={KEY: "sandbox", "other-key-us2": "other"}) as s:
        yield s


def sdk(sim: MailchimpSimulator, key: str = KEY) -> Any:
    client = mailchimp_marketing.Client()
    client.set_config({"api_key": key, "server": "us1", "timeout": 10})
    client.api_client.host = sim.base_url
    client.api_client.server = ""
    return client


@pytest.fixture
def mc(sim: MailchimpSimulator) -> Any:
    return sdk(sim)


@pytest.fixture
def http(sim: MailchimpSimulator):
    with requests.Session() as session:
        session.auth = ("anystring", KEY)
        yield session


def add(mc: Any, email: str, status: str = "subscribed", **extra: Any) -> dict[str, Any]:
    return mc.lists.add_list_member(LIST, {"email_address": email, "status": status, **extra})


def ready_campaign(mc: Any, **settings: Any) -> str:
    add(mc, "ada@shop.test", merge_fields={"FNAME": "Ada"})
    camp = mc.campaigns.create({
        "type": "regular",
        "recipients": {"list_id": LIST},
        "settings": {"subject_line": "Spring", "from_name": "Shop", "reply_to": "hello@shop.test",
                     "title": "Spring launch", **settings},
    })
    mc.campaigns.set_content(camp["id"], {"html": HTML})
    return camp["id"]


# ---------------------------------------------------------------------------------------------- basics


def test_ping_root_and_sandbox_audience(mc: Any, sim: MailchimpSimulator) -> None:
    assert mc.ping.get() == {"health_status": "Everything's Chimpy!"}
    root = mc.root.get_root()
    assert root["account_name"] == "sandbox" and root["total_subscribers"] == 0
    lists = mc.lists.get_all_lists()
    assert [lst["id"] for lst in lists["lists"]] == [LIST] and lists["total_items"] == 1 and lists["_links"] == []
    assert LIST == "5a4db0c001" and len(LIST) == 10
    sim.reset()  # a reset account is re-seeded with the sandbox audience on first use
    assert mc.lists.get_list(LIST)["name"] == "Sandbox audience"


def test_auth_401_problem_json(sim: MailchimpSimulator) -> None:
    with pytest.raises(ApiClientError) as info:
        sdk(sim, "wrong-key-us1").ping.get()
    assert info.value.status_code == 401
    body = problem(info)
    assert body["title"] == "API Key Invalid" and body["status"] == 401
    resp = requests.get(sim.base_url + "/ping")  # no key at all
    assert resp.status_code == 401 and resp.headers["Content-Type"].startswith("application/problem+json")
    assert resp.json()["title"] == "API Key Invalid"
    assert resp.json()["instance"] == resp.headers["X-Request-Id"]
    # any username; the key is the password; Bearer works too
    assert requests.get(sim.base_url + "/ping", auth=("whoever", KEY)).status_code == 200
    assert requests.get(sim.base_url + "/ping", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_errors_always_have_a_problem_body(mc: Any, sim: MailchimpSimulator, http: requests.Session) -> None:
    cases = [
        (lambda: mc.lists.get_list("0000000000"), 404, "Resource Not Found"),
        (lambda: mc.campaigns.get("nope"), 404, "Resource Not Found"),
        (lambda: mc.lists.add_list_member(LIST, {"email_address": "not-an-email", "status": "subscribed"}), 400,
         "Invalid Resource"),
    ]
    for call, status, title in cases:
        with pytest.raises(ApiClientError) as info:
            call()
        assert info.value.status_code == status and title in info.value.text
        body = problem(info)
        assert set(body) >= {"type", "title", "status", "detail", "instance"} and body["status"] == status
    resp = http.put(sim.base_url + "/lists")
    assert resp.status_code == 405 and resp.json()["title"] == "Method Not Allowed" and "GET" in resp.headers["Allow"]
    resp = http.post(sim.base_url + "/lists", data=b"{nope", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["title"] == "JSON Parse Exception"
    resp = http.post(sim.base_url + "/lists", json=[1, 2])
    assert resp.status_code == 400 and "Schema describes object" in resp.json()["detail"]
    for status, title in ((500, "Internal Server Error"), (503, "Service Unavailable"), (422, "Unprocessable")):
        sim.inject(Fault("status", status=status))
        with pytest.raises(ApiClientError) as info:  # never an empty body the SDK would silently return
            mc.lists.get_all_lists()
        assert info.value.status_code == status and title in info.value.text
    sim.inject(Fault("status", status=429, retry_after=7))
    resp = http.get(sim.base_url + "/lists")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert resp.json()["title"] == "Too Many Requests" and resp.json()["instance"] == resp.headers["X-Request-Id"]


def test_paging_and_fields(mc: Any, http: requests.Session, sim: MailchimpSimulator) -> None:
    mc.lists.batch_list_members(LIST, {"members": [
        {"email_address": f"p{i:02d}@shop.test", "status": "subscribed"} for i in range(25)]})
    first = mc.lists.get_list_members_info(LIST)
    assert len(first["members"]) == 10 and first["total_items"] == 25 and first["list_id"] == LIST
    page = mc.lists.get_list_members_info(LIST, count=10, offset=20)
    assert [m["email_address"] for m in page["members"]] == [f"p{i:02d}@shop.test" for i in range(20, 25)]
    assert mc.lists.get_list_members_info(LIST, count=1000)["total_items"] == 25
    resp = http.get(f"{sim.base_url}/lists/{LIST}/members", params={"count": 1001})  # the SDK refuses it itself
    assert resp.status_code == 400 and resp.json()["errors"][0]["field"] == "count"
    only = mc.lists.get_list_members_info(LIST, fields=["members.email_address", "total_items"], count=2)
    assert only == {"members": [{"email_address": "p00@shop.test"}, {"email_address": "p01@shop.test"}],
                    "total_items": 25}
    dropped = mc.lists.get_list(LIST, exclude_fields=["stats", "contact.company"])
    assert "stats" not in dropped and "company" not in dropped["contact"] and "city" in dropped["contact"]
    resp = http.get(sim.base_url + "/lists", params={"fields": "lists.id,lists.stats.member_count"})
    assert resp.json() == {"lists": [{"id": LIST, "stats": {"member_count": 25}}]}
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8" and resp.headers["X-Request-Id"]


# ---------------------------------------------------------------------------------------------- members


def test_member_shape_and_member_exists(mc: Any) -> None:
    m = add(mc, "Ada@Example.com", merge_fields={"FNAME": "Ada"}, tags=["vip"], vip=True)
    assert m["id"] == md5("ada@example.com") and m["email_address"] == "Ada@Example.com"
    assert m["status"] == "subscribed" and m["list_id"] == LIST and m["unique_email_id"] != m["id"]
    assert m["merge_fields"] == {"FNAME": "Ada", "LNAME": "", "ADDRESS": "", "PHONE": "", "BIRTHDAY": ""}
    assert m["tags"] == [{"id": m["tags"][0]["id"], "name": "vip"}] and m["tags_count"] == 1 and m["vip"] is True
    assert m["timestamp_opt"] and m["last_changed"]
    with pytest.raises(ApiClientError) as info:
        add(mc, "ada@example.com")
    body = problem(info)
    assert body["title"] == "Member Exists" and "Use PUT to insert or update list members." in body["detail"]
    with pytest.raises(ApiClientError) as info:
        mc.lists.get_list_member(LIST, md5("nobody@shop.test"))
    assert problem(info)["title"] == "Resource Not Found"
    # the vendor also accepts the address in place of the hash
    assert mc.lists.get_list_member(LIST, "ADA@example.com")["id"] == m["id"]


def test_search_members_and_state_round_trip(mc: Any, sim: MailchimpSimulator, clock: FakeClock) -> None:
    add(mc, "fran@shop.test", merge_fields={"FNAME": "Frances"})
    add(mc, "frank@shop.test")
    found = mc.searchMembers.search("fran@shop.test", list_id=LIST)
    assert [m["email_address"] for m in found["exact_matches"]["members"]] == ["fran@shop.test"]
    assert found["full_search"]["total_items"] == 0
    found = mc.searchMembers.search("Fran")
    assert found["exact_matches"]["total_items"] == 0
    assert [m["email_address"] for m in found["full_search"]["members"]] == ["fran@shop.test", "frank@shop.test"]
    with MailchimpSimulator(clock) as copy:
        copy.load(sim.dump())
        assert [m["email"] for m in copy.members()] == ["fran@shop.test", "frank@shop.test"]
        assert sdk(copy).lists.get_list_member(LIST, "frank@shop.test")["status"] == "subscribed"


@pytest.mark.parametrize("email", ["john.doe@example.com", "a@b", "two@@shop.test", "", "x y@shop.test"])
def test_invalid_and_fake_looking_addresses(mc: Any, email: str) -> None:
    with pytest.raises(ApiClientError) as info:
        add(mc, email)
    body = problem(info)
    assert body["title"] == "Invalid Resource" and body["errors"][0]["field"] == "email_address"


def test_put_upsert_status_if_new_and_compliance(mc: Any, sim: MailchimpSimulator) -> None:
    h = md5("bob@shop.test")
    with pytest.raises(ApiClientError) as info:  # status_if_new is required for a new member
        mc.lists.set_list_member(LIST, h, {"email_address": "bob@shop.test"})
    assert problem(info)["errors"][0]["field"] == "status_if_new"
    new = mc.lists.set_list_member(LIST, h, {"email_address": "bob@shop.test", "status_if_new": "pending",
                                             "merge_fields": {"LNAME": "Bee"}})
    assert new["status"] == "pending" and new["merge_fields"]["LNAME"] == "Bee"
    again = mc.lists.set_list_member(LIST, h, {"email_address": "bob@shop.test", "status_if_new": "subscribed"})
    assert again["status"] == "pending"  # status_if_new does not touch an existing member
    updated = mc.lists.set_list_member(LIST, h, {"email_address": "bob@shop.test", "status_if_new": "subscribed",
                                                 "status": "unsubscribed"})
    assert updated["status"] == "unsubscribed" and updated["merge_fields"]["LNAME"] == "Bee"
    with pytest.raises(ApiClientError) as info:
        mc.lists.set_list_member(LIST, h, {"email_address": "bob@shop.test", "status_if_new": "subscribed",
                                           "status": "subscribed"})
    assert problem(info)["title"] == "Member In Compliance State"
    with pytest.raises(ApiClientError) as info:
        mc.lists.update_list_member(LIST, h, {"status": "subscribed"})
    assert problem(info)["title"] == "Member In Compliance State"
    assert mc.lists.update_list_member(LIST, h, {"status": "pending"})["status"] == "pending"  # re-opt-in allowed
    sim.set_member_status("sandbox", LIST, "bob@shop.test", "cleaned")  # bounced
    with pytest.raises(ApiClientError) as info:
        mc.lists.update_list_member(LIST, h, {"status": "pending"})
    assert problem(info)["title"] == "Member In Compliance State"
    with pytest.raises(ApiClientError) as info:  # the hash must match the address
        mc.lists.set_list_member(LIST, md5("other@shop.test"), {"email_address": "bob@shop.test",
                                                                 "status_if_new": "subscribed"})
    assert problem(info)["status"] == 400
    with pytest.raises(ApiClientError) as info:
        mc.lists.update_list_member(LIST, md5("ghost@shop.test"), {"status": "subscribed"})
    assert problem(info)["title"] == "Resource Not Found"


def test_patch_merge_validation_and_email_change(mc: Any) -> None:
    mc.lists.add_list_merge_field(LIST, {"name": "Visits", "type": "number", "tag": "VISITS"})
    add(mc, "cy@shop.test")
    with pytest.raises(ApiClientError) as info:
        mc.lists.update_list_member(LIST, md5("cy@shop.test"), {"merge_fields": {"VISITS": "many"}})
    body = problem(info)
    assert body["detail"] == "Your merge fields were invalid." and body["errors"][0]["field"] == "VISITS"
    ok = mc.lists.update_list_member(LIST, md5("cy@shop.test"), {"merge_fields": {"visits": 3, "UNKNOWN": "x"}})
    assert ok["merge_fields"]["VISITS"] == "3"
    moved = mc.lists.update_list_member(LIST, md5("cy@shop.test"), {"email_address": "cy2@shop.test"})
    assert moved["id"] == md5("cy2@shop.test") and moved["merge_fields"]["VISITS"] == "3"
    with pytest.raises(ApiClientError):
        mc.lists.get_list_member(LIST, md5("cy@shop.test"))


def test_archive_and_permanent_delete(mc: Any, sim: MailchimpSimulator) -> None:
    add(mc, "dee@shop.test")
    add(mc, "eve@shop.test", status="unsubscribed")
    resp = mc.lists.delete_list_member(LIST, md5("dee@shop.test"))
    assert isinstance(resp, requests.Response) and resp.status_code == 204
    assert mc.lists.get_list_member(LIST, md5("dee@shop.test"))["status"] == "archived"
    assert [m["email_address"] for m in mc.lists.get_list_members_info(LIST)["members"]] == ["eve@shop.test"]
    archived = mc.lists.get_list_members_info(LIST, status="archived")
    assert [m["email_address"] for m in archived["members"]] == ["dee@shop.test"]
    with pytest.raises(ApiClientError):
        mc.lists.delete_list_member(LIST, md5("dee@shop.test"))
    patched = mc.lists.update_list_member(LIST, md5("dee@shop.test"), {"merge_fields": {"FNAME": "Dee"}})
    assert patched["status"] == "archived" and patched["merge_fields"]["FNAME"] == "Dee"
    assert add(mc, "dee@shop.test")["status"] == "subscribed"  # an archived address can be re-added
    mc.lists.delete_list_member(LIST, md5("eve@shop.test"))
    with pytest.raises(ApiClientError) as info:  # its former status still counts
        add(mc, "eve@shop.test")
    assert problem(info)["title"] == "Member In Compliance State"

    resp = mc.lists.delete_list_member_permanent(LIST, md5("dee@shop.test"))
    assert resp.status_code == 204
    with pytest.raises(ApiClientError) as info:
        mc.lists.get_list_member(LIST, md5("dee@shop.test"))
    assert info.value.status_code == 404
    with pytest.raises(ApiClientError) as info:
        add(mc, "dee@shop.test")
    assert problem(info)["title"] == "Forgotten Email Not Subscribed"
    assert add(mc, "dee@shop.test", status="pending")["status"] == "pending"
    stats = mc.lists.get_list(LIST)["stats"]
    assert stats["member_count"] == 0 and stats["unsubscribe_count"] == 0 and stats["total_contacts"] == 1


def test_a_batch_subscribe_answers_only_what_is_asked_for(mc: Any) -> None:
    add(mc, "old@shop.test")
    # what hub asks for: the per-member errors and the counts, not the members written (~2 kB each)
    res = mc.api_client.call_api("/lists/{list_id}", "POST", {"list_id": LIST},
                                 [("exclude_fields", "new_members,updated_members,_links")],
                                 {"Content-Type": "application/json"}, body={"members": [
                                     {"email_address": "lean@shop.test", "status": "subscribed"},
                                     {"email_address": "old@shop.test", "status": "subscribed"}]})
    assert set(res) == {"errors", "total_created", "total_updated", "error_count"}
    assert (res["total_created"], [e["email_address"] for e in res["errors"]]) == (1, ["old@shop.test"])


def test_batch_subscribe_rows_and_limits(mc: Any, sim: MailchimpSimulator) -> None:
    add(mc, "old@shop.test", tags=["legacy", "vip"])
    add(mc, "gone@shop.test", status="unsubscribed")
    rows = [
        {"email_address": "new@shop.test", "status": "subscribed", "tags": ["spring"]},
        {"email_address": "old@shop.test", "status": "subscribed"},
        {"email_address": "john.doe@example.com", "status": "subscribed"},
        {"email_address": "nostatus@shop.test"},
    ]
    res = mc.lists.batch_list_members(LIST, {"members": rows})
    assert res["total_created"] == 1 and res["total_updated"] == 0 and res["error_count"] == 3
    by_email = {e["email_address"]: e for e in res["errors"]}
    assert by_email["old@shop.test"]["error_code"] == "ERROR_CONTACT_EXISTS"
    assert by_email["john.doe@example.com"]["error_code"] == "ERROR_GENERIC"
    assert by_email["john.doe@example.com"]["field"] == "email_address"
    assert by_email["nostatus@shop.test"]["field"] == "status"
    assert res["new_members"][0]["tags"][0]["name"] == "spring"

    res = mc.lists.batch_list_members(LIST, {"update_existing": True, "sync_tags": True, "members": [
        {"email_address": "old@shop.test", "status": "subscribed", "tags": ["vip", "spring"],
         "merge_fields": {"FNAME": "Olga"}},
        {"email_address": "new@shop.test"},
        {"email_address": "gone@shop.test", "status": "subscribed"},
    ]})
    assert res["total_updated"] == 2 and res["error_count"] == 1
    assert res["errors"][0]["error_code"] == "ERROR_GENERIC" and "compliance state" in res["errors"][0]["error"]
    old = res["updated_members"][0]
    assert {t["name"] for t in old["tags"]} == {"vip", "spring"} and old["merge_fields"]["FNAME"] == "Olga"
    assert [t["name"] for t in res["updated_members"][1]["tags"]] == ["spring"]  # no "tags" key: kept

    with pytest.raises(ApiClientError) as info:
        mc.lists.batch_list_members(LIST, {"members": [
            {"email_address": f"x{i}@shop.test", "status": "subscribed"} for i in range(501)]})
    body = problem(info)
    assert body["title"] == "Invalid Resource" and body["errors"][0]["field"] == "members"
    assert len(sim.members("sandbox", LIST)) == 3


def test_bulk_push_helpers(mc: Any, sim: MailchimpSimulator) -> None:
    for n in range(4):
        res = mc.lists.batch_list_members(LIST, {"update_existing": True, "members": [
            {"email_address": f"bulk{n}-{i}@shop.test", "status": "subscribed"} for i in range(500)]})
        assert res["total_created"] == 500
    members = sim.members()
    assert len(members) == 2000 and {m["status"] for m in members} == {"subscribed"}
    assert members[0]["email"] == "bulk0-0@shop.test"
    assert mc.lists.get_list(LIST)["stats"]["member_count"] == 2000


# ---------------------------------------------------------------------------------------------- tags, segments


def test_member_tags_are_static_segments(mc: Any) -> None:
    add(mc, "tag@shop.test")
    h = md5("tag@shop.test")
    resp = mc.lists.update_list_member_tags(LIST, h, {"tags": [{"name": "VIP", "status": "active"},
                                                               {"name": "Wholesale", "status": "active"},
                                                               {"name": "never", "status": "inactive"}]})
    assert isinstance(resp, requests.Response) and resp.status_code == 204
    tags = mc.lists.get_list_member_tags(LIST, h)
    assert [t["name"] for t in tags["tags"]] == ["VIP", "Wholesale"] and tags["total_items"] == 2
    assert tags["tags"][0]["date_added"]
    static = mc.lists.list_segments(LIST, type="static")["segments"]
    assert {s["name"] for s in static} == {"VIP", "Wholesale"} and all(s["type"] == "static" for s in static)
    mc.lists.update_list_member_tags(LIST, h, {"tags": [{"name": "vip", "status": "inactive"}], "is_syncing": True})
    assert [t["name"] for t in mc.lists.get_list_member(LIST, h)["tags"]] == ["Wholesale"]
    found = mc.lists.tag_search(LIST, name="who")
    assert [t["name"] for t in found["tags"]] == ["Wholesale"] and found["total_items"] == 1
    assert mc.lists.tag_search(LIST)["total_items"] == 2
    with pytest.raises(ApiClientError) as info:
        mc.lists.update_list_member_tags(LIST, h, {"tags": [{"name": "x", "status": "on"}]})
    assert problem(info)["title"] == "Invalid Resource"
    with pytest.raises(ApiClientError) as info:
        mc.lists.update_list_member_tags(LIST, md5("nobody@shop.test"), {"tags": []})
    assert info.value.status_code == 404


def test_segments_static_and_saved(mc: Any, sim: MailchimpSimulator) -> None:
    add(mc, "ann@shop.test", merge_fields={"FNAME": "Ann"})
    add(mc, "ben@shop.test", merge_fields={"FNAME": "Ben"})
    add(mc, "cat@shop.test", merge_fields={"FNAME": "Annabel"}, status="unsubscribed")
    static = mc.lists.create_segment(LIST, {"name": "Friends", "static_segment": ["ann@shop.test", "zed@shop.test"]})
    assert static["type"] == "static" and static["member_count"] == 1 and isinstance(static["id"], int)
    saved = mc.lists.create_segment(LIST, {"name": "Ann-ish", "options": {"match": "any", "conditions": [
        {"condition_type": "TextMerge", "field": "FNAME", "op": "contains", "value": "ann"}]}})
    assert saved["type"] == "saved" and saved["member_count"] == 1 and saved["options"]["match"] == "any"
    assert mc.lists.get_segment(LIST, str(saved["id"]), include_unsubscribed=True)["member_count"] == 2
    tagged = mc.lists.create_segment(LIST, {"name": "In friends", "options": {"match": "all", "conditions": [
        {"condition_type": "StaticSegment", "field": "static_segment", "op": "static_is", "value": static["id"]}]}})
    assert tagged["member_count"] == 1
    with pytest.raises(ApiClientError) as info:
        mc.lists.create_segment(LIST, {"name": "friends"})
    assert problem(info)["title"] == "Invalid Resource"

    res = mc.lists.batch_segment_members({"members_to_add": ["ben@shop.test", "nobody@shop.test"],
                                          "members_to_remove": ["ann@shop.test"]}, LIST, str(static["id"]))
    assert res["total_added"] == 1 and res["total_removed"] == 1 and res["error_count"] == 1
    assert res["errors"][0]["email_addresses"] == ["nobody@shop.test"]
    members = mc.lists.get_segment_members_list(LIST, str(static["id"]))
    assert [m["email_address"] for m in members["members"]] == ["ben@shop.test"]
    with pytest.raises(ApiClientError):
        mc.lists.batch_segment_members({"members_to_add": [f"m{i}@shop.test" for i in range(501)]},
                                       LIST, str(static["id"]))
    assert mc.lists.list_segments(LIST, type="saved")["total_items"] == 2
    page = mc.lists.list_segments(LIST, count=1, offset=1)
    assert page["total_items"] == 3 and [s["name"] for s in page["segments"]] == ["Ann-ish"]
    renamed = mc.lists.update_segment(LIST, str(static["id"]), {"name": "Pals", "static_segment": ["ann@shop.test"]})
    assert renamed["name"] == "Pals" and renamed["member_count"] == 1
    added = mc.lists.create_segment_member(LIST, str(static["id"]), {"email_address": "ben@shop.test"})
    assert added["email_address"] == "ben@shop.test"
    assert mc.lists.remove_segment_member(LIST, str(static["id"]), md5("ann@shop.test")).status_code == 204
    assert mc.lists.delete_segment(LIST, str(saved["id"])).status_code == 204
    with pytest.raises(ApiClientError):
        mc.lists.get_segment(LIST, str(saved["id"]))
    assert {s["name"]: s["member_emails"] for s in sim.segments()}["Pals"] == ["ben@shop.test"]


def test_merge_fields_and_interests(mc: Any, sim: MailchimpSimulator) -> None:
    fields = mc.lists.get_list_merge_fields(LIST)
    assert [(f["merge_id"], f["tag"]) for f in fields["merge_fields"]] == [
        (1, "FNAME"), (2, "LNAME"), (3, "ADDRESS"), (4, "PHONE"), (5, "BIRTHDAY")]
    made = mc.lists.add_list_merge_field(LIST, {"name": "Favourite", "type": "dropdown", "tag": "fav_1",
                                                "options": {"choices": ["rye", "spelt"]}})
    assert made["tag"] == "FAV_1" and made["merge_id"] == 6 and made["list_id"] == LIST
    assert mc.lists.add_list_merge_field(LIST, {"name": "Plain", "type": "text"})["tag"] == "MMERGE7"
    for bad in ({"tag": "WAYTOOLONGTAG"}, {"tag": "BAD-TAG"}, {"tag": "EMAIL"}, {"type": "colour"}, {"name": ""}):
        with pytest.raises(ApiClientError) as info:
            mc.lists.add_list_merge_field(LIST, {"name": "X", "type": "text", **bad})
        assert problem(info)["title"] == "Invalid Resource", bad
    with pytest.raises(ApiClientError) as info:
        mc.lists.add_list_merge_field(LIST, {"name": "Again", "type": "text", "tag": "fname"})
    assert "already exists" in problem(info)["detail"]
    with pytest.raises(ApiClientError):
        add(mc, "fav@shop.test", merge_fields={"FAV_1": "barley"})
    assert add(mc, "fav@shop.test", merge_fields={"FAV_1": "rye"})["merge_fields"]["FAV_1"] == "rye"
    patched = mc.lists.update_list_merge_field(LIST, "6", {"name": "Favourite grain", "tag": "GRAIN"})
    assert patched["tag"] == "GRAIN"
    assert mc.lists.get_list_member(LIST, "fav@shop.test")["merge_fields"]["GRAIN"] == "rye"
    with pytest.raises(ApiClientError):
        mc.lists.update_list_merge_field(LIST, "6", {"type": "text"})
    assert mc.lists.delete_list_merge_field(LIST, "7").status_code == 204
    assert mc.lists.get_list_merge_fields(LIST, count=100)["total_items"] == 6
    assert len(sim.merge_fields("sandbox", LIST)) == 6

    cat = mc.lists.create_list_interest_category(LIST, {"title": "Bakes", "type": "checkboxes"})
    interest = mc.lists.create_interest_category_interest(LIST, cat["id"], {"name": "Sourdough"})
    assert interest["category_id"] == cat["id"] and interest["subscriber_count"] == "0"
    member = add(mc, "grp@shop.test", interests={interest["id"]: True})
    assert member["interests"] == {interest["id"]: True}
    assert mc.lists.get_interest_category_interest(LIST, cat["id"], interest["id"])["subscriber_count"] == "1"
    with pytest.raises(ApiClientError) as info:
        add(mc, "grp2@shop.test", interests={"nope": True})
    assert "Invalid interest ID" in problem(info)["detail"]
    assert mc.lists.update_interest_category(LIST, cat["id"], {"title": "Breads"})["title"] == "Breads"
    assert mc.lists.list_interest_category_interests(LIST, cat["id"])["total_items"] == 1
    assert mc.lists.delete_interest_category_interest(LIST, cat["id"], interest["id"]).status_code == 204
    assert mc.lists.delete_interest_category(LIST, cat["id"]).status_code == 204
    assert mc.lists.get_list_interest_categories(LIST)["total_items"] == 0


def test_audiences_crud_and_control(mc: Any, sim: MailchimpSimulator) -> None:
    with pytest.raises(ApiClientError) as info:
        mc.lists.create_list({"name": "Half"})
    fields = {e["field"] for e in problem(info)["errors"]}
    assert {"contact.company", "permission_reminder", "campaign_defaults.from_email", "email_type_option"} <= fields
    made = mc.lists.create_list({
        "name": "Wholesale", "permission_reminder": "You buy from us.", "email_type_option": False,
        "contact": {"company": "Shop", "address1": "1 Road", "city": "Leeds", "state": "WY", "zip": "LS1",
                    "country": "GB"},
        "campaign_defaults": {"from_name": "Shop", "from_email": "shop@shop.test", "subject": "", "language": "en"},
    })
    assert len(made["id"]) == 10 and int(made["id"], 16) >= 0 and made["stats"]["member_count"] == 0
    assert mc.lists.update_list(made["id"], {"name": "Trade"})["name"] == "Trade"
    other = sim.create_audience("sandbox", "From the UI")
    resp = requests.post(sim.root_url + "/_sim/control/create_audience", json={"account": "sandbox", "name": "HTTP"})
    assert resp.status_code == 200 and len(resp.json()["id"]) == 10
    assert mc.lists.get_all_lists()["total_items"] == 4
    assert mc.lists.delete_list(other).status_code == 204
    add(mc, "multi@shop.test")
    assert [lst["id"] for lst in mc.lists.get_all_lists(email="multi@shop.test")["lists"]] == [LIST]
    json.dumps(sim.dump())  # state stays JSON-serialisable


# ---------------------------------------------------------------------------------------------- campaigns


def test_campaign_create_content_and_checklist(mc: Any, sim: MailchimpSimulator) -> None:
    camp = mc.campaigns.create({"type": "regular", "settings": {"title": "Bare", "auto_tweet": True,
                                                                "auto_fb_post": ["123"], "fb_comments": False},
                                "social_card": {"image_url": "https://shop.test/i.png", "title": "Card",
                                                "description": "Desc"}})
    assert camp["status"] == "save" and len(camp["id"]) == 10 and camp["web_id"] and camp["create_time"]
    assert camp["settings"]["auto_tweet"] is True and camp["settings"]["auto_fb_post"] == ["123"]
    assert camp["social_card"]["title"] == "Card" and camp["recipients"]["recipient_count"] == 0
    check = mc.campaigns.get_send_checklist(camp["id"])
    assert check["is_ready"] is False
    errors = {i["heading"] for i in check["items"] if i["type"] == "error"}
    assert errors == {"Audience", "Subject line", "From name", "From email address", "Content"}
    with pytest.raises(ApiClientError) as info:
        mc.campaigns.send(camp["id"])
    body = problem(info)
    assert body["title"] == "Invalid Resource" and body["detail"] == "Your Campaign is not ready to send."

    add(mc, "ada@shop.test")
    mc.campaigns.update(camp["id"], {"recipients": {"list_id": LIST}, "settings": {
        "subject_line": "Hi", "from_name": "Shop", "reply_to": "hello@shop.test"}})
    content = mc.campaigns.set_content(camp["id"], {"html": "<p>Hello <b>there</b></p><p><a href=\"https://x.test\">go</a></p>"})
    assert content["plain_text"] == "Hello there\n\ngo (https://x.test)\n" and content["html"].startswith("<p>")
    check = mc.campaigns.get_send_checklist(camp["id"])
    assert check["is_ready"] is True
    unsub = next(i for i in check["items"] if i["heading"] == "Unsubscribe link")
    assert unsub["type"] == "warning"  # no *|UNSUB|*, but the default footer covers it
    mc.campaigns.update(camp["id"], {"settings": {"auto_footer": False}})
    check = mc.campaigns.get_send_checklist(camp["id"])
    assert check["is_ready"] is False and any(i["heading"] == "Unsubscribe link" and i["type"] == "error"
                                              for i in check["items"])
    mc.campaigns.set_content(camp["id"], {"html": HTML})
    assert mc.campaigns.get_send_checklist(camp["id"])["is_ready"] is True
    assert mc.campaigns.get_content(camp["id"])["html"] == HTML
    with pytest.raises(ApiClientError) as info:
        mc.campaigns.create({"type": "regular", "recipients": {"list_id": "ffffffffff"}})
    assert problem(info)["status"] == 400
    with pytest.raises(ApiClientError):
        mc.campaigns.create({"type": "newsletter"})


def test_campaign_schedule_rules_and_status_machine(mc: Any, sim: MailchimpSimulator, clock: FakeClock) -> None:
    cid = ready_campaign(mc)
    for when, words in (("2025-12-31T23:45:00Z", "in the past"), ("2026-01-02T10:07:00Z", "quarter-hour"),
                        ("2026-01-02T10:15:30+00:00", "quarter-hour"), ("tomorrow", "ISO 8601")):
        with pytest.raises(ApiClientError) as info:
            mc.campaigns.schedule(cid, {"schedule_time": when})
        assert problem(info)["status"] == 400 and words in info.value.text, when
    resp = mc.campaigns.schedule(cid, {"schedule_time": "2026-01-02T12:15:00+02:00"})
    assert isinstance(resp, requests.Response) and resp.status_code == 204
    camp = mc.campaigns.get(cid)
    assert camp["status"] == "schedule" and camp["send_time"] == "2026-01-02T10:15:00+00:00"
    for call in (lambda: mc.campaigns.schedule(cid, {"schedule_time": "2026-01-03T10:00:00Z"}),
                 lambda: mc.campaigns.send(cid), lambda: mc.campaigns.update(cid, {"settings": {"title": "x"}}),
                 lambda: mc.campaigns.remove(cid)):
        with pytest.raises(ApiClientError) as info:
            call()
        assert problem(info)["title"] == "Invalid Resource" and "schedul" in problem(info)["detail"]
    assert mc.campaigns.unschedule(cid).status_code == 204
    assert mc.campaigns.get(cid)["status"] == "save"
    with pytest.raises(ApiClientError) as info:
        mc.campaigns.unschedule(cid)
    assert "not scheduled" in problem(info)["detail"]

    mc.campaigns.schedule(cid, {"schedule_time": "2026-01-01T00:15:00Z"})
    clock.advance(15 * 60)  # the scheduled time passes: sent on the next read
    camp = mc.campaigns.get(cid)
    assert camp["status"] == "sent" and camp["emails_sent"] == 1 and camp["send_time"] == "2026-01-01T00:15:00+00:00"
    with pytest.raises(ApiClientError) as info:
        mc.campaigns.send(cid)
    assert "already been sent" in problem(info)["detail"]
    with pytest.raises(ApiClientError):
        mc.campaigns.set_content(cid, {"html": HTML})
    listed = mc.campaigns.list(status="sent", type="regular")
    assert [c["id"] for c in listed["campaigns"]] == [cid] and listed["total_items"] == 1
    assert mc.campaigns.list(status="save")["total_items"] == 0
    assert mc.campaigns.remove(cid).status_code == 204  # sent campaigns can be deleted (simulator choice)


def test_campaign_send_test_cancel_and_replicate(mc: Any, sim: MailchimpSimulator) -> None:
    cid = ready_campaign(mc)
    with pytest.raises(ApiClientError):
        mc.campaigns.send_test_email(cid, {"test_emails": ["qa@shop.test"], "send_type": "pdf"})
    resp = mc.campaigns.send_test_email(cid, {"test_emails": ["qa@shop.test"], "send_type": "html"})
    assert resp.status_code == 204
    assert sim.campaigns()[0]["tests"][0]["test_emails"] == ["qa@shop.test"]
    assert mc.campaigns.send(cid).status_code == 204
    assert mc.campaigns.get(cid)["status"] == "sent"
    with pytest.raises(ApiClientError):
        mc.campaigns.cancel_send(cid)
    copy = mc.campaigns.replicate(cid)
    assert copy["status"] == "save" and copy["parent_campaign_id"] == cid and copy["id"] != cid

    with MailchimpSimulator(FakeClock(), send_seconds=600) as slow:
        client = sdk(slow)
        cid2 = ready_campaign(client)
        client.campaigns.send(cid2)
        assert client.campaigns.get(cid2)["status"] == "sending"
        assert client.campaigns.cancel_send(cid2).status_code == 204
        assert client.campaigns.get(cid2)["status"] == "canceled"


def test_reports(mc: Any, sim: MailchimpSimulator) -> None:
    cid = ready_campaign(mc)
    add(mc, "bob@shop.test")
    with pytest.raises(ApiClientError) as info:
        mc.reports.get_campaign_report(cid)
    assert info.value.status_code == 404
    mc.campaigns.send(cid)
    add(mc, "late@shop.test")  # joins after the send: not a recipient
    report = mc.reports.get_campaign_report(cid)
    assert report["emails_sent"] == 2 and report["opens"]["opens_total"] == 0 and report["list_id"] == LIST
    assert report["campaign_title"] == "Spring launch" and report["subject_line"] == "Spring"
    sim.seed_report("sandbox", cid, opens=5, unique_opens=1, clicks=2, unique_clicks=1)
    report = mc.reports.get_campaign_report(cid)
    assert report["opens"]["open_rate"] == 0.5 and report["clicks"]["clicks_total"] == 2
    assert mc.campaigns.get(cid)["report_summary"]["unique_opens"] == 1
    assert [r["id"] for r in mc.reports.get_all_campaign_reports()["reports"]] == [cid]


# ---------------------------------------------------------------------------------------------- automations


def test_customer_journey_trigger(mc: Any, sim: MailchimpSimulator, http: requests.Session) -> None:
    add(mc, "jo@shop.test")
    ids = sim.add_journey("sandbox", "Welcome", LIST)
    jid, step = ids["journey_id"], ids["step_id"]
    resp = mc.customerJourneys.trigger(jid, step, {"email_address": "jo@shop.test"})
    assert isinstance(resp, requests.Response) and resp.status_code == 204
    mc.customerJourneys.trigger(jid, step, {"email_address": "JO@shop.test"})
    triggers = sim.journey_triggers("sandbox", jid)
    assert [t["email_address"] for t in triggers] == ["jo@shop.test", "jo@shop.test"]  # not idempotent
    for j, s, email in ((jid, step, "stranger@shop.test"), (jid, 999_999, "jo@shop.test"),
                        (999_999, step, "jo@shop.test")):
        with pytest.raises(ApiClientError) as info:
            mc.customerJourneys.trigger(j, s, {"email_address": email})
        assert info.value.status_code == 404 and problem(info)["title"] == "Resource Not Found"
    with pytest.raises(ApiClientError) as info:
        mc.customerJourneys.trigger(jid, step, {})
    assert info.value.status_code == 400
    via_http = http.post(sim.root_url + "/_sim/control/add_journey",
                         json={"account": "sandbox", "name": "Winback", "list_id": LIST,
                               "steps": [{"type": "email", "subject": "Hi"}, {"type": "api_condition"}]}).json()
    assert via_http["step_id"] == via_http["step_ids"][1]
    with pytest.raises(ApiClientError):  # the email step is not an API step
        mc.customerJourneys.trigger(via_http["journey_id"], via_http["step_ids"][0], {"email_address": "jo@shop.test"})
    sim.set_journey_status("sandbox", jid, "paused")
    with pytest.raises(ApiClientError) as info:
        mc.customerJourneys.trigger(jid, step, {"email_address": "jo@shop.test"})
    assert "not running" in problem(info)["detail"]


def test_classic_automation_queue(mc: Any, sim: MailchimpSimulator) -> None:
    add(mc, "q@shop.test")
    add(mc, "u@shop.test", status="unsubscribed")
    ids = sim.add_classic_automation("sandbox", LIST, title="Drip",
                                     emails=[{"subject_line": "One"}, {"subject_line": "Two",
                                                                       "delay": {"amount": 1, "type": "day"}}])
    wf, (first, second) = ids["workflow_id"], ids["email_ids"]
    autos = mc.automations.list()
    assert autos["total_items"] == 1 and autos["automations"][0]["trigger_settings"]["workflow_emails_count"] == 2
    emails = mc.automations.list_all_workflow_emails(wf)["emails"]
    assert [e["settings"]["subject_line"] for e in emails] == ["One", "Two"]
    entry = mc.automations.add_workflow_email_subscriber(wf, second, {"email_address": "q@shop.test"})
    assert entry["email_address"] == "q@shop.test" and entry["next_send"] == "2026-01-02T00:00:00+00:00"
    for email, words in (("q@shop.test", "already"), ("u@shop.test", "not subscribed"),
                         ("nobody@shop.test", "not a member")):
        with pytest.raises(ApiClientError) as info:
            mc.automations.add_workflow_email_subscriber(wf, second, {"email_address": email})
        assert words in problem(info)["detail"]
    queue = mc.automations.get_workflow_email_subscriber_queue(wf, second)
    assert queue["total_items"] == 1 and queue["queue"][0]["id"] == md5("q@shop.test")
    assert mc.automations.pause_all_emails(wf).status_code == 204
    with pytest.raises(ApiClientError):
        mc.automations.add_workflow_email_subscriber(wf, first, {"email_address": "q@shop.test"})
    with pytest.raises(ApiClientError) as info:
        mc.automations.get("0000000000")
    assert info.value.status_code == 404
    assert sim.automation_queue("sandbox", wf, second)[0]["email_address"] == "q@shop.test"


# ---------------------------------------------------------------------------------------------- batches


def _archive(url: str) -> list[dict[str, Any]]:
    resp = requests.get(url)  # a pre-signed link: no API key
    assert resp.status_code == 200
    results: list[dict[str, Any]] = []
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(resp.content))) as tar:
        for member in tar.getmembers():
            if member.isfile():
                results.extend(json.load(tar.extractfile(member)))  # type: ignore[arg-type]
    return results


def test_batches_status_machine_and_archive(mc: Any, sim: MailchimpSimulator) -> None:
    ops = [
        {"method": "PUT", "path": f"/lists/{LIST}/members/{md5('b1@shop.test')}", "operation_id": "put-b1",
         "body": json.dumps({"email_address": "b1@shop.test", "status_if_new": "subscribed"})},
        {"method": "POST", "path": f"/lists/{LIST}/members", "operation_id": "dup",
         "body": json.dumps({"email_address": "b1@shop.test", "status": "subscribed"})},
        {"method": "GET", "path": f"/lists/{LIST}/members", "operation_id": "list",
         "params": {"count": 1, "fields": "total_items"}},
        {"method": "POST", "path": f"/lists/{LIST}/members/{md5('b1@shop.test')}/tags", "operation_id": "tag",
         "body": json.dumps({"tags": [{"name": "batch", "status": "active"}]})},
    ]
    batch = mc.batches.start({"operations": ops})
    assert batch["status"] == "pending" and batch["total_operations"] == 4 and batch["response_body_url"] == ""
    assert sim.member("b1@shop.test") is None  # not run yet
    seen = [batch["status"]]
    while seen[-1] != "finished":
        seen.append(mc.batches.status(batch["id"])["status"])
    assert seen == ["pending", "preprocessing", "started", "finalizing", "finished"]
    done = mc.batches.status(batch["id"])
    assert done["finished_operations"] == 4 and done["errored_operations"] == 1 and done["completed_at"]
    results = {r["operation_id"]: r for r in _archive(done["response_body_url"])}
    assert results["put-b1"]["status_code"] == 200
    assert json.loads(results["put-b1"]["response"])["status"] == "subscribed"
    assert results["dup"]["status_code"] == 400 and json.loads(results["dup"]["response"])["title"] == "Member Exists"
    assert json.loads(results["list"]["response"]) == {"total_items": 1}
    assert results["tag"]["status_code"] == 204 and results["tag"]["response"] == ""
    assert [t["name"] for t in sim.member("b1@shop.test")["tags"]] == ["batch"]
    assert mc.batches.list()["total_items"] == 1
    assert mc.batches.delete_request(batch["id"]).status_code == 204
    with pytest.raises(ApiClientError):
        mc.batches.status(batch["id"])
    with pytest.raises(ApiClientError) as info:
        mc.batches.start({"operations": [{"method": "FETCH", "path": "lists"}]})
    assert {e["field"] for e in problem(info)["errors"]} == {"operations[0].method", "operations[0].path"}


def test_batches_advance_with_vendor_time(clock: FakeClock) -> None:
    with MailchimpSimulator(clock, batch_poll_advance=False, batch_seconds=8) as sim:
        mc = sdk(sim)
        body = json.dumps({"email_address": "t@shop.test", "status": "subscribed"})
        ops = [{"method": "POST", "path": f"/lists/{LIST}/members", "body": body}]
        bid = mc.batches.start({"operations": ops})["id"]
        assert mc.batches.status(bid)["status"] == "preprocessing"  # (no other batch before it: begun at once)
        clock.advance(4)
        assert mc.ping.get()  # any request of the account lets background work catch up
        assert sim.member("t@shop.test")["status"] == "subscribed"
        assert mc.batches.status(bid)["status"] == "started"
        clock.advance(4)
        assert mc.batches.status(bid)["status"] == "finished"


def test_an_accounts_batches_run_one_at_a_time(clock: FakeClock) -> None:
    """"Only one batch request is run at a time" (the vendor's reference for DELETE /batches/{id}): a second
    batch waits, pending, until the first has finished, then takes its own time from there."""
    with MailchimpSimulator(clock, batch_poll_advance=False, batch_seconds=8) as sim:
        mc = sdk(sim)
        ops = [{"method": "GET", "path": f"/lists/{LIST}"}]
        first, second = (mc.batches.start({"operations": ops})["id"] for _ in range(2))
        clock.advance(4)
        assert [mc.batches.status(b)["status"] for b in (first, second)] == ["started", "pending"]
        clock.advance(4)
        assert [mc.batches.status(b)["status"] for b in (first, second)] == ["finished", "preprocessing"]
        clock.advance(4)
        assert mc.batches.status(second)["status"] == "started"
        clock.advance(4)
        assert mc.batches.status(second)["status"] == "finished"


# ---------------------------------------------------------------------------------------------- limits


class GateClock(FakeClock):
    """A fake clock whose sleep blocks until released, so a latency fault holds requests in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.sleepers = 0
        self.cond = threading.Condition()

    def sleep(self, seconds: float) -> None:
        with self.cond:
            self.sleepers += 1
            self.cond.notify_all()
        self.gate.wait(timeout=10)
        super().sleep(seconds)

    def wait_for_sleepers(self, n: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.sleepers >= n, timeout=10)


def test_more_than_ten_connections_is_429() -> None:
    clock = GateClock()
    with MailchimpSimulator(clock, keys={KEY: "sandbox", "other-key-us2": "other"}) as sim:
        sim.inject(Fault("latency", seconds=1.0, count=10, path_prefix="/lists"))

        def slow() -> int:
            return requests.get(sim.base_url + "/lists", auth=("u", KEY), timeout=10).status_code

        with ThreadPoolExecutor(10) as pool:
            futures = [pool.submit(slow) for _ in range(10)]
            clock.wait_for_sleepers(10)
            assert sim.in_flight("sandbox") == 10
            with pytest.raises(ApiClientError) as info:
                sdk(sim).ping.get()
            assert info.value.status_code == 429 and problem(info)["title"] == "Too Many Requests"
            assert sim.log[-1].fault == "too_many_connections"
            assert sdk(sim, "other-key-us2").ping.get()  # the limit is per account
            clock.gate.set()
            assert [f.result(timeout=10) for f in futures] == [200] * 10
        assert sdk(sim).ping.get()
        assert not any(e.fault and e.fault.startswith("rate_limited") for e in sim.log)  # no per-minute limit

