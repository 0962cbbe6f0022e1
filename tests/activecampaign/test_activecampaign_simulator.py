"""The ActiveCampaign simulator answers like the vendor's API v3 (and v1 campaign send) as documented."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from hub.clock import FakeClock
from hub.simulator import Fault
from hub_activecampaign.simulator import ActiveCampaignSimulator, perstag_from


class Api:
    """A tiny client: ``api.post("/contacts", json=...)`` → requests.Response; ``api.v1(action, data)``."""

    def __init__(self, sim: ActiveCampaignSimulator, token: str = "sandbox-token") -> None:
        self.sim = sim
        self.token = token
        self.session = requests.Session()
        self.session.headers.update({"Api-Token": token, "Accept": "application/json"})

    def __getattr__(self, method: str) -> Any:
        def call(path: str, **kw: Any) -> requests.Response:
            return self.session.request(method.upper(), self.sim.base_url + path, **kw)

        return call

    def v1(self, action: str, data: dict[str, Any] | None = None, *, key: str | None = None) -> requests.Response:
        params = {"api_key": key or self.token, "api_action": action, "api_output": "json"}
        return requests.post(self.sim.root_url + "/admin/api.php", params=params, data=data or {})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock):
    tokens = {"sandbox-token": "sandbox", "other-token": "other"}
    with ActiveCampaignSimulator(clock, tokens=tokens, rate=10_000) as s:
        yield s


@pytest.fixture
def api(sim: ActiveCampaignSimulator):
    client = Api(sim)
    yield client
    client.session.close()


def make_list(api: Api, name: str = "Newsletter", stringid: str | None = None) -> str:
    body = {
        "name": name,
        "stringid": stringid or name.lower(),
        "sender_url": "https://shop.test",
        "sender_reminder": "r",
    }
    resp = api.post("/lists", json={"list": body})
    assert resp.status_code == 200, resp.text
    return resp.json()["list"]["id"]


def make_contact(api: Api, email: str, **extra: Any) -> str:
    resp = api.post("/contacts", json={"contact": {"email": email, **extra}})
    assert resp.status_code == 201, resp.text
    return resp.json()["contact"]["id"]


def subscribe(api: Api, contact: str, list_id: str, status: int = 1) -> requests.Response:
    resp = api.post("/contactLists", json={"contactList": {"list": list_id, "contact": contact, "status": status}})
    assert resp.status_code == 200, resp.text
    return resp


def import_contacts(api: Api, contacts: list[dict[str, Any]]) -> str:
    resp = api.post("/import/bulk_import", json={"contacts": contacts})
    assert resp.status_code == 200, resp.text
    return resp.json()["batchId"]


# ---------------------------------------------------------------------------------------------- auth, limits


def test_auth_failure_is_403_forbidden(sim: ActiveCampaignSimulator) -> None:
    for headers in ({}, {"Api-Token": "wrong"}, {"Authorization": "Bearer sandbox-token"}):
        resp = requests.get(sim.base_url + "/contacts", headers=headers)
        assert resp.status_code == 403
        assert resp.json() == {"message": "Forbidden"}


def test_v1_bad_key_is_http_200_with_result_code_0(api: Api) -> None:
    resp = api.v1("campaign_list", key="wrong")
    assert resp.status_code == 200
    assert resp.json() == {
        "result_code": 0,
        "result_message": "You are not authorized to access this file",
        "result_output": "json",
    }


def test_aliased_credential_is_accepted(sim: ActiveCampaignSimulator) -> None:
    sim.alias_credential("planted-secret", "sandbox-token")
    assert requests.get(sim.base_url + "/lists", headers={"Api-Token": "planted-secret"}).status_code == 200
    resp = Api(sim, "planted-secret").v1("campaign_list")
    assert resp.json()["result_message"] != "You are not authorized to access this file"


def test_rate_limit_5_per_second_per_account(clock: FakeClock) -> None:
    tokens = {"sandbox-token": "sandbox", "other-token": "other"}
    with ActiveCampaignSimulator(clock, tokens=tokens) as sim:
        api, other = Api(sim), Api(sim, "other-token")
        for n in range(5):
            resp = api.get("/tags")
            assert resp.status_code == 200
            assert resp.headers["RateLimit-Limit"] == "5"
            assert resp.headers["RateLimit-Remaining"] == str(4 - n)
        refused = api.get("/tags")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.json() == {"message": "Too Many Requests"}
        assert api.v1("campaign_list").status_code == 429  # v1 shares the account's budget
        assert other.get("/tags").status_code == 200  # another account has its own window
        clock.advance(1.0)
        assert api.get("/tags").status_code == 200


def test_bulk_import_budget_is_the_documented_400(clock: FakeClock) -> None:
    with ActiveCampaignSimulator(clock, rate=1000, import_limit=2) as sim:
        api = Api(sim)
        for _ in range(2):
            import_contacts(api, [{"email": "a@shop.test"}])
        refused = api.post("/import/bulk_import", json={"contacts": [{"email": "a@shop.test"}]})
        assert refused.status_code == 400
        assert refused.json()["success"] == 0
        assert refused.json()["message"] == "Rate limit exceeded."
        clock.advance(60.0)
        import_contacts(api, [{"email": "a@shop.test"}])


# ---------------------------------------------------------------------------------------------- envelope, pages


def test_pages_limit_offset_default_20_max_100_and_string_total(api: Api) -> None:
    for n in range(120):
        assert api.post("/tags", json={"tag": {"tag": f"tag-{n:03d}", "tagType": "contact"}}).status_code == 201
    first = api.get("/tags").json()
    assert len(first["tags"]) == 20
    assert first["meta"] == {"total": "120"}
    assert first["tags"][0]["tag"] == "tag-000"
    page = api.get("/tags", params={"limit": 7, "offset": 115}).json()
    assert [t["tag"] for t in page["tags"]] == [f"tag-{n}" for n in range(115, 120)]
    assert len(api.get("/tags", params={"limit": 500}).json()["tags"]) == 100
    found = api.get("/tags", params={"search": "TAG-11"}).json()
    assert found["meta"]["total"] == "10"


def test_bodies_are_wrapped_and_scalars_are_strings(api: Api) -> None:
    cid = make_contact(api, "ada@shop.test", firstName="Ada")
    assert cid == "1"
    one = api.get(f"/contacts/{cid}").json()
    contact = one["contact"]
    assert contact["id"] == "1" and contact["sentcnt"] == "0" and contact["bounced_hard"] == "0"
    assert contact["cdate"] == "2025-12-31T18:00:00-06:00"  # account timezone (America/Chicago)
    assert contact["links"]["contactTags"].endswith("/api/3/contacts/1/contactTags")
    assert set(one) >= {"contactLists", "fieldValues", "contactAutomations", "contact"}
    many = api.get("/contacts").json()
    assert many["meta"]["total"] == "1"
    assert many["meta"]["page_input"]["limit"] == 20
    assert many["scoreValues"] == []


def test_unknown_ids_answer_the_vendor_404_bodies(api: Api) -> None:
    assert api.get("/contacts/999").json() == {"message": "No Result found for Subscriber with id 999"}
    assert api.get("/lists/7").json() == {"message": "No Result found for _List with id 7"}
    assert api.get("/tags/3").status_code == 404
    assert api.get("/campaigns/2").json() == {"message": "No Result found for Campaign with id 2"}
    assert api.delete("/contactAutomations/3").json() == {"message": "No Result found for SubscriberSeries with id 3"}


def test_malformed_json_is_400(api: Api) -> None:
    resp = api.post("/contacts", data="{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json() == {"errors": [{"status": 400, "title": "Bad Request"}]}


def test_injected_faults_use_vendor_bodies(sim: ActiveCampaignSimulator, api: Api) -> None:
    sim.inject(Fault("status", status=429, retry_after=7))
    resp = api.get("/contacts")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    sim.inject(Fault("status", status=422))
    assert api.get("/contacts").json()["errors"][0]["code"] == "invalid"


# ---------------------------------------------------------------------------------------------- contacts


def test_create_contact_refuses_an_existing_email_case_insensitively(api: Api) -> None:
    make_contact(api, "Ada@Shop.test")
    resp = api.post("/contacts", json={"contact": {"email": "ada@shop.TEST"}})
    assert resp.status_code == 422
    assert resp.json() == {
        "errors": [
            {
                "title": "Email address already exists in the system",
                "detail": "",
                "code": "duplicate",
                "source": {"pointer": "/data/attributes/email"},
            }
        ]
    }
    bad = api.post("/contacts", json={"contact": {"email": "not-an-email"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "email_invalid"
    missing = api.post("/contacts", json={"contact": {"firstName": "x"}})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["title"] == "Missing attribute"


def test_sync_upserts_and_changes_only_what_it_is_given(api: Api) -> None:
    created = api.post("/contact/sync", json={"contact": {"email": "bob@shop.test", "firstName": "Bob"}})
    assert created.status_code == 201
    cid = created.json()["contact"]["id"]
    lid = make_list(api)
    subscribe(api, cid, lid)
    updated = api.post("/contact/sync", json={"contact": {"email": "BOB@shop.test", "lastName": "Stone"}})
    assert updated.status_code == 200
    assert updated.json()["contact"]["id"] == cid
    contact = api.get(f"/contacts/{cid}").json()["contact"]
    assert (contact["firstName"], contact["lastName"], contact["email"]) == ("Bob", "Stone", "bob@shop.test")
    lists = api.get(f"/contacts/{cid}/contactLists").json()["contactLists"]
    assert [(m["list"], m["status"]) for m in lists] == [(lid, "1")]  # sync leaves memberships alone


def test_field_values_inline_on_create_and_sync(api: Api) -> None:
    fid = api.post("/fields", json={"field": {"title": "Favourite", "type": "text"}}).json()["field"]["id"]
    resp = api.post(
        "/contacts", json={"contact": {"email": "c@shop.test", "fieldValues": [{"field": fid, "value": "rye"}]}}
    )
    assert [(v["field"], v["value"]) for v in resp.json()["fieldValues"]] == [(fid, "rye")]
    synced = api.post(
        "/contact/sync", json={"contact": {"email": "c@shop.test", "fieldValues": [{"field": fid, "value": "oat"}]}}
    )
    cid = synced.json()["contact"]["id"]
    values = api.get(f"/contacts/{cid}/fieldValues").json()["fieldValues"]
    assert [(v["field"], v["value"]) for v in values] == [(fid, "oat")]


def test_contact_list_filters_and_ordering(api: Api) -> None:
    lid = make_list(api)
    ids = [make_contact(api, f"p{n}@shop.test") for n in range(5)]
    for cid in ids[:3]:
        subscribe(api, cid, lid)
    subscribe(api, ids[2], lid, status=2)
    assert api.get("/contacts", params={"listid": lid}).json()["meta"]["total"] == "3"
    active = api.get("/contacts", params={"listid": lid, "status": 1}).json()["contacts"]
    assert [c["id"] for c in active] == ids[:2]
    assert api.get("/contacts", params={"email": "P3@shop.test"}).json()["contacts"][0]["id"] == ids[3]
    assert api.get("/contacts", params={"email_like": "p4@"}).json()["meta"]["total"] == "1"
    after = api.get("/contacts", params={"id_greater": ids[1], "orders[id]": "DESC"}).json()["contacts"]
    assert [c["id"] for c in after] == ids[:1:-1]


def test_update_and_delete_contact(api: Api) -> None:
    cid = make_contact(api, "d@shop.test")
    make_contact(api, "e@shop.test")
    clash = api.put(f"/contacts/{cid}", json={"contact": {"email": "E@shop.test"}})
    assert clash.status_code == 422 and clash.json()["errors"][0]["code"] == "duplicate"
    ok = api.put(f"/contacts/{cid}", json={"contact": {"firstName": "Dee"}})
    assert ok.status_code == 200 and ok.json()["contact"]["firstName"] == "Dee"
    assert api.delete(f"/contacts/{cid}").json() == {}
    assert api.delete(f"/contacts/{cid}").status_code == 404


# ---------------------------------------------------------------------------------------------- lists


def test_lists_require_their_fields_and_filter_by_name(api: Api) -> None:
    resp = api.post("/lists", json={"list": {"name": "x"}})
    assert resp.status_code == 422
    pointers = [e["source"]["pointer"] for e in resp.json()["errors"]]
    assert pointers == [f"/data/attributes/{k}" for k in ("stringid", "sender_url", "sender_reminder")]
    make_list(api, "Newsletter")
    make_list(api, "Wholesale buyers", "wholesale")
    found = api.get("/lists", params={"filters[name]": "whole"}).json()
    assert [lst["name"] for lst in found["lists"]] == ["Wholesale buyers"]
    assert found["meta"]["total"] == "1"
    lid = found["lists"][0]["id"]
    assert api.put(f"/lists/{lid}", json={"list": {"name": "Trade"}}).json()["list"]["name"] == "Trade"
    assert api.delete(f"/lists/{lid}").json() == {}
    assert api.get(f"/lists/{lid}").status_code == 404


def test_contact_lists_subscribe_unsubscribe_and_the_resubscribe_pitfall(
    sim: ActiveCampaignSimulator, api: Api
) -> None:
    lid = make_list(api)
    cid = make_contact(api, "f@shop.test")
    first = subscribe(api, cid, lid).json()
    assert first["contactList"]["status"] == 1 and first["contacts"][0]["id"] == cid
    subscribe(api, cid, lid, status=2)
    assert sim.contact("f@shop.test")["status"] == "unsubscribed"
    subscribe(api, cid, lid, status=1)  # the vendor re-subscribes: hub must never send this
    assert sim.contact("f@shop.test")["status"] == "active"
    bad = api.post("/contactLists", json={"contactList": {"list": lid, "contact": cid, "status": 5}})
    assert bad.status_code == 422
    unknown = api.post("/contactLists", json={"contactList": {"list": "99", "contact": cid, "status": 1}})
    assert unknown.json() == {"message": "No Result found for _List with id 99"}


# ---------------------------------------------------------------------------------------------- bulk import


def test_bulk_import_queues_then_completes_on_poll(sim: ActiveCampaignSimulator, api: Api) -> None:
    lid = make_list(api)
    fid = api.post("/fields", json={"field": {"title": "City", "type": "text"}}).json()["field"]["id"]
    contacts = [
        {
            "email": "g@shop.test",
            "first_name": "G",
            "tags": ["VIP", "new"],
            "fields": [{"id": int(fid), "value": "Oslo"}],
            "subscribe": [{"listid": int(lid)}],
        },
        {"email": "h@shop.test", "unsubscribe": [{"listid": lid}]},
        {"email": "broken@nodot"},
    ]
    resp = api.post("/import/bulk_import", json={"contacts": contacts})
    assert resp.status_code == 200
    body = resp.json()
    assert body["success"] == 1 and body["queued_contacts"] == 3 and body["message"] == "Contact import queued"
    info = api.get("/import/info", params={"batchId": body["batchId"]}).json()
    assert info["status"] == "completed"
    assert info["failure"] == ["broken@nodot"]
    assert len(info["success"]) == 2
    g = sim.contact("g@shop.test")
    assert (g["status"], g["tags"], g["fields"], g["firstName"]) == ("active", ["VIP", "new"], {"CITY": "Oslo"}, "G")
    assert sim.contact("h@shop.test")["status"] == "unsubscribed"
    assert {t["tag"] for t in sim.tags()} == {"VIP", "new"}
    assert api.get("/import/info").json() == {"success": 0, "message": "'batchId' is a required field."}


def test_bulk_import_with_delay_reports_processing(clock: FakeClock) -> None:
    with ActiveCampaignSimulator(clock, rate=1000, import_delay=30.0) as sim:
        api = Api(sim)
        batch = import_contacts(api, [{"email": "i@shop.test"}])
        assert api.get("/import/info", params={"batchId": batch}).json()["status"] == "processing"
        assert sim.contacts() == []
        clock.advance(30.0)
        assert api.get("/import/info", params={"batchId": batch}).json()["status"] == "completed"
        assert [c["email"] for c in sim.contacts()] == ["i@shop.test"]


def test_bulk_import_validation_failures(api: Api) -> None:
    too_many = api.post("/import/bulk_import", json={"contacts": [{"email": f"x{n}@shop.test"} for n in range(251)]})
    assert too_many.status_code == 400
    assert too_many.json()["success"] == 0
    assert "did not pass validation" in too_many.json()["message"]
    bad = api.post("/import/bulk_import", json={"contacts": [{"email": "ok@shop.test"}, {"email": "no at sign"}]})
    assert bad.status_code == 400
    assert bad.json()["failureReasons"] == [{"contact": 1, "failureReason": "Field 'email' incorrect format"}]


def test_bulk_import_never_resubscribes(sim: ActiveCampaignSimulator, api: Api) -> None:
    lid = make_list(api)
    cid = make_contact(api, "j@shop.test")
    subscribe(api, cid, lid, status=2)
    batch = import_contacts(
        api,
        [
            {"email": "j@shop.test", "subscribe": [{"listid": lid}]},
            {"email": "k@shop.test", "subscribe": [{"listid": lid}]},
        ],
    )
    assert api.get("/import/info", params={"batchId": batch}).json()["status"] == "completed"
    assert sim.contact("j@shop.test")["lists"] == {lid: "unsubscribed"}
    assert sim.contact("k@shop.test")["lists"] == {lid: "active"}


# ---------------------------------------------------------------------------------------------- tags


def test_tag_names_are_unique_case_insensitively(api: Api) -> None:
    first = api.post("/tags", json={"tag": {"tag": "VIP", "tagType": "contact", "description": "best"}})
    assert first.status_code == 201
    assert first.json()["tag"]["tag"] == "VIP" and first.json()["tag"]["id"] == "1"
    dup = api.post("/tags", json={"tag": {"tag": "vip", "tagType": "contact"}})
    assert dup.status_code == 422 and dup.json()["errors"][0]["code"] == "duplicate"
    assert api.post("/tags", json={"tag": {"tag": "vip", "tagType": "template"}}).status_code == 201
    renamed = api.put("/tags/1", json={"tag": {"tag": "V.I.P."}})
    assert renamed.json()["tag"]["tag"] == "V.I.P."
    assert api.get("/tags/1").json()["tag"]["subscriber_count"] == "0"


def test_contact_tags_are_removed_by_association_id(api: Api) -> None:
    for name in ("a", "b", "c"):
        api.post("/tags", json={"tag": {"tag": name, "tagType": "contact"}})
    cid = make_contact(api, "l@shop.test")
    resp = api.post("/contactTags", json={"contactTag": {"contact": cid, "tag": "3"}})
    assert resp.status_code == 201
    association = resp.json()["contactTag"]
    assert (association["id"], association["tag"], association["contact"]) == ("1", "3", cid)
    assert api.delete("/contactTags/3").json() == {"message": "No Result found for SubscriberTag with id 3"}
    listed = api.get(f"/contacts/{cid}/contactTags").json()["contactTags"]
    assert [ct["id"] for ct in listed] == ["1"]
    assert api.delete("/contactTags/1").json() == {}
    assert api.get(f"/contacts/{cid}/contactTags").json()["contactTags"] == []
    nobody = api.post("/contactTags", json={"contactTag": {"contact": "99", "tag": "1"}})
    assert nobody.status_code == 404 and nobody.json()["errors"][0]["detail"] == "Contact not found"
    missing = api.post("/contactTags", json={"contactTag": {"tag": "1"}})
    assert missing.json()["errors"][0]["source"] == {"pointer": "/data/attributes/contact"}


# ---------------------------------------------------------------------------------------------- fields


def test_perstag_rules() -> None:
    assert perstag_from("Another Test Title", given=False) == "ANOTHER_TEST_TITLE"
    assert perstag_from("Personalized Tag", given=True) == "PERSONALIZEDTAG"
    assert perstag_from("  Favourite bread (2024)!", given=False) == "FAVOURITE_BREAD_2024"


def test_fields_perstag_duplicates_and_values(api: Api) -> None:
    made = api.post("/fields", json={"field": {"title": "Favourite Bread", "type": "text"}})
    assert made.status_code == 201
    field = made.json()["field"]
    assert field["perstag"] == "FAVOURITE_BREAD"
    dup = api.post("/fields", json={"field": {"title": "favourite bread", "type": "text"}})
    assert dup.status_code == 422
    assert dup.json()["errors"][0]["title"] == "There is already a field with this title"
    given = api.post("/fields", json={"field": {"title": "Tag me", "type": "text", "perstag": "my tag"}})
    assert given.json()["field"]["perstag"] == "MYTAG"
    found = api.get("/fields", params={"filters[perstag]": "MYTAG"}).json()
    assert [f["title"] for f in found["fields"]] == ["Tag me"] and found["meta"]["total"] == "1"
    lid = make_list(api)
    rel = api.post("/fieldRels", json={"fieldRel": {"field": int(field["id"]), "relid": int(lid)}})
    assert rel.status_code == 201
    assert api.get(f"/fields/{field['id']}").json()["field"]["relations"] == [rel.json()["fieldRel"]["id"]]
    cid = make_contact(api, "m@shop.test")
    first = api.post("/fieldValues", json={"fieldValue": {"contact": cid, "field": field["id"], "value": "rye"}})
    assert first.status_code == 200
    fvid = first.json()["fieldValue"]["id"]
    again = api.post("/fieldValues", json={"fieldValue": {"contact": cid, "field": field["id"], "value": "spelt"}})
    assert again.json()["fieldValue"]["id"] == fvid  # one value per contact and field
    assert api.put(f"/fieldValues/{fvid}", json={"fieldValue": {"value": "oat"}}).status_code == 200
    assert api.get(f"/fieldValues/{fvid}").json()["fieldValue"]["value"] == "oat"
    assert api.get("/fieldValues", params={"filters[fieldid]": field["id"]}).json()["meta"]["total"] == "1"
    assert api.delete(f"/fieldValues/{fvid}").json() == {}
    assert api.delete(f"/fields/{field['id']}").json() == {}


# ---------------------------------------------------------------------------------------------- segments, automations


def test_segments_are_built_in_the_ui_and_read_through_the_api(sim: ActiveCampaignSimulator, api: Api) -> None:
    segment = sim.add_segment("sandbox", "Bakers")
    listed = api.get("/segments").json()
    assert listed["meta"]["total"] == "1" and listed["segments"][0]["name"] == "Bakers"
    assert api.get(f"/segments/{segment['id']}").json()["segment"]["id"] == segment["id"]
    assert api.post("/segments", json={}).status_code == 405


def test_automation_enrolment(sim: ActiveCampaignSimulator, api: Api) -> None:
    auto = sim.add_automation("sandbox", "Welcome")
    paused = sim.add_automation("sandbox", "Old", status="2")
    again = sim.add_automation("sandbox", "Anniversary", multientry=True)
    listed = api.get("/automations").json()
    assert [(a["name"], a["status"]) for a in listed["automations"]] == [
        ("Welcome", "1"),
        ("Old", "2"),
        ("Anniversary", "1"),
    ]
    cid = make_contact(api, "n@shop.test")
    resp = api.post("/contactAutomations", json={"contactAutomation": {"contact": cid, "automation": auto["id"]}})
    assert resp.status_code == 201
    enrolment = resp.json()["contactAutomation"]
    assert (enrolment["contact"], enrolment["automation"], enrolment["status"]) == (cid, auto["id"], 1)
    dup = api.post("/contactAutomations", json={"contactAutomation": {"contact": cid, "automation": auto["id"]}})
    assert dup.status_code == 422 and dup.json()["errors"][0]["code"] == "duplicate"
    refused = api.post("/contactAutomations", json={"contactAutomation": {"contact": cid, "automation": paused["id"]}})
    assert refused.status_code == 403 and refused.json() == {"message": "Could not create SubscriberSeries"}
    for _ in range(2):
        body = {"contactAutomation": {"contact": cid, "automation": again["id"]}}
        assert api.post("/contactAutomations", json=body).status_code == 201
    mine = api.get(f"/contacts/{cid}/contactAutomations").json()["contactAutomations"]
    assert [e["automation"] for e in mine] == [auto["id"], again["id"], again["id"]]
    assert api.get("/contactAutomations", params={"filters[seriesid]": again["id"]}).json()["meta"]["total"] == "2"
    assert api.get(f"/automations/{auto['id']}").json()["automation"]["entered"] == "1"
    sim.complete_enrolment("sandbox", enrolment["id"])
    assert api.get(f"/contactAutomations/{enrolment['id']}").json()["contactAutomation"]["status"] == "2"
    rejoin = {"contactAutomation": {"contact": cid, "automation": auto["id"]}}
    assert api.post("/contactAutomations", json=rejoin).status_code == 201  # finished: may enter again
    assert api.delete(f"/contactAutomations/{enrolment['id']}").json() == {}
    assert len(sim.enrolments()) == 3


# ---------------------------------------------------------------------------------------------- v1 campaigns


def audience(api: Api, sim: ActiveCampaignSimulator) -> str:
    lid = make_list(api)
    for n in range(4):
        subscribe(api, make_contact(api, f"r{n}@shop.test"), lid)
    sim.set_contact_status("sandbox", "r3@shop.test", "unsubscribed")
    return lid


def add_message(api: Api, lid: str, **overrides: str) -> requests.Response:
    data = {
        "format": "mime",
        "subject": "Spring is here",
        "fromemail": "hello@shop.test",
        "fromname": "Shop",
        "reply2": "hello@shop.test",
        "priority": "3",
        "charset": "utf-8",
        "encoding": "quoted-printable",
        "htmlconstructor": "editor",
        "html": '<p>Hi %FIRSTNAME% <a href="https://shop.test/spring">shop</a> %UNSUBSCRIBELINK%</p>',
        "textconstructor": "editor",
        "text": "Hi",
        f"p[{lid}]": lid,
        **overrides,
    }
    return api.v1("message_add", data)


def create_campaign(api: Api, lid: str, mid: int, **overrides: str) -> requests.Response:
    data = {
        "type": "single",
        "name": "Spring launch",
        "public": "1",
        "tracklinks": "all",
        "trackreads": "1",
        "htmlunsub": "1",
        f"p[{lid}]": lid,
        f"m[{mid}]": "100",
        **overrides,
    }
    return api.v1("campaign_create", data)


def test_v1_message_add(sim: ActiveCampaignSimulator, api: Api) -> None:
    lid = make_list(api)
    resp = add_message(api, lid)
    assert resp.status_code == 200
    body = resp.json()
    assert body["result_code"] == 1 and body["result_message"] == "Message added" and body["id"] == 1
    message = api.get("/messages/1").json()["message"]
    assert (message["subject"], message["fromemail"], message["format"]) == (
        "Spring is here",
        "hello@shop.test",
        "mime",
    )
    for broken in ({"subject": ""}, {"fromemail": "nope"}, {f"p[{lid}]": "", "p[99]": "99"}):
        failed = add_message(api, lid, **broken)
        assert failed.status_code == 200 and failed.json()["result_code"] == 0 and failed.json()["result_message"]
    assert len(sim.messages()) == 1


def test_v1_campaign_draft_immediate_and_scheduled(sim: ActiveCampaignSimulator, api: Api, clock: FakeClock) -> None:
    lid = audience(api, sim)
    mid = add_message(api, lid).json()["id"]
    draft = create_campaign(api, lid, mid, name="Draft", status="0").json()
    assert draft["result_code"] == 1
    now = create_campaign(api, lid, mid, name="Now", status="1", sdate="2020-01-01 00:00:00").json()
    later = create_campaign(api, lid, mid, name="Later", status="1", sdate="2026-01-03 09:00:00").json()
    campaigns = {c["name"]: c for c in api.get("/campaigns").json()["campaigns"]}
    assert campaigns["Draft"]["status"] == "0" and campaigns["Draft"]["send_amt"] == "0"
    assert campaigns["Now"]["id"] == str(now["id"])
    assert campaigns["Now"]["status"] == "5"
    assert (campaigns["Now"]["send_amt"], campaigns["Now"]["total_amt"], campaigns["Now"]["opens"]) == ("3", "3", "0")
    assert campaigns["Later"]["status"] == "1" and campaigns["Later"]["sdate"] == "2026-01-03T09:00:00-06:00"
    sent = {c["name"]: c for c in sim.campaigns()}["Now"]
    assert sent["recipients"] == ["r0@shop.test", "r1@shop.test", "r2@shop.test"]  # active members only
    clock.advance(3 * 86400)
    assert api.get(f"/campaigns/{later['id']}").json()["campaign"]["status"] == "5"
    links = api.get(f"/campaigns/{now['id']}/links").json()["links"]
    assert [link["link"] for link in links] == ["open", "https://shop.test/spring"]
    assert sim.contact("r0@shop.test")["sentcnt"] == 2


def test_v1_campaign_errors_and_status_changes(sim: ActiveCampaignSimulator, api: Api) -> None:
    lid = audience(api, sim)
    mid = add_message(api, lid).json()["id"]
    for broken in (
        {"name": ""},
        {"type": "weird"},
        {f"m[{mid}]": "", "m[42]": "100"},
        {"sdate": "tomorrow", "status": "1"},
    ):
        data = {"type": "single", "name": "x", f"p[{lid}]": lid, f"m[{mid}]": "100", **broken}
        if broken.get(f"m[{mid}]") == "":
            del data[f"m[{mid}]"]
        resp = api.v1("campaign_create", data)
        assert resp.status_code == 200 and resp.json()["result_code"] == 0, data
    draft = create_campaign(api, lid, mid, status="0").json()["id"]
    changed = api.v1("campaign_status", {"id": draft, "status": "1"}).json()
    assert changed["result_code"] == 1
    assert api.get(f"/campaigns/{draft}").json()["campaign"]["status"] == "5"
    assert api.v1("campaign_status", {"id": draft, "status": "0"}).json()["result_code"] == 0
    sim.set_campaign_stats("sandbox", str(draft), {"opens": 5, "uniqueopens": 2, "linkclicks": 1})
    campaign = api.get(f"/campaigns/{draft}").json()["campaign"]
    assert (campaign["opens"], campaign["uniqueopens"], campaign["linkclicks"]) == ("5", "2", "1")
    totals = api.v1("campaign_report_totals", {"campaignid": draft}).json()
    assert totals["result_code"] == 1 and totals["send_amt"] == "3"
    listed = api.v1("campaign_list", {"ids": "all"}).json()
    assert listed["result_code"] == 1 and listed["0"]["id"] == str(draft)
    assert api.delete(f"/campaigns/{draft}").json() == {}
    assert api.v1("campaign_list", {"ids": "all"}).json()["result_code"] == 0
    assert api.v1("nonsense").json()["result_code"] == 0


def test_campaign_list_filters_and_orders(sim: ActiveCampaignSimulator, api: Api) -> None:
    lid = audience(api, sim)
    mid = add_message(api, lid).json()["id"]
    create_campaign(api, lid, mid, name="A", status="1", sdate="2026-02-01 00:00:00")
    create_campaign(api, lid, mid, name="B", status="1", sdate="2026-01-15 00:00:00")
    create_campaign(api, lid, mid, name="C", status="0")
    scheduled = api.get("/campaigns", params={"filters[status]": "1", "orders[sdate]": "ASC"}).json()
    assert [c["name"] for c in scheduled["campaigns"]] == ["B", "A"]
    assert scheduled["meta"]["total"] == "2"


# ---------------------------------------------------------------------------------------------- messages


def test_messages_crud(api: Api) -> None:
    body = {
        "message": {
            "fromname": "Shop",
            "fromemail": "hello@shop.test",
            "reply2": "hello@shop.test",
            "subject": "Hi",
            "preheader_text": "pre",
        }
    }
    made = api.post("/messages", json=body)
    assert made.status_code == 201
    mid = made.json()["message"]["id"]
    assert set(made.json()["message"]) == {
        "fromname",
        "fromemail",
        "reply2",
        "subject",
        "preheader_text",
        "text",
        "html",
        "links",
        "id",
    }
    assert api.post("/messages", json={"message": {"subject": "x"}}).status_code == 422
    updated = api.put(f"/messages/{mid}", json={"message": {"html": "<p>new</p>", "name": "n"}})
    assert updated.json()["message"]["html"] == "<p>new</p>"
    assert api.get("/messages").json()["meta"]["total"] == "1"
    assert api.delete(f"/messages/{mid}").json() == {}
    assert api.get(f"/messages/{mid}").json() == {"message": f"No Result found for Message with id {mid}"}


# ---------------------------------------------------------------------------------------------- helpers, controls


def test_helpers_and_controls_over_http(sim: ActiveCampaignSimulator, api: Api) -> None:
    lid = make_list(api)
    subscribe(api, make_contact(api, "t@shop.test"), lid)
    sim.set_contact_status("sandbox", "t@shop.test", "bounced")
    resp = requests.post(sim.root_url + "/_sim/control/contacts", json={"account": "sandbox"})
    assert [(c["email"], c["status"]) for c in resp.json()] == [("t@shop.test", "bounced")]
    made = requests.post(sim.root_url + "/_sim/control/add_automation", json={"account": "sandbox", "name": "W"})
    assert made.json()["status"] == "1"
    assert sim.lists()[0]["counts"]["bounced"] == 1
    assert api.get(f"/contacts/{1}").json()["contact"]["bounced_hard"] == "1"
    assert sim.contacts("other") == []
    json.dumps(sim.dump())  # the whole state is JSON


def test_v1_campaign_to_a_segment_reaches_its_active_members(sim: ActiveCampaignSimulator, api: Api) -> None:
    lid = audience(api, sim)
    mid = add_message(api, lid).json()["id"]
    segment = sim.add_segment("sandbox", "Two of them", emails=["R1@shop.test", "r3@shop.test"])
    assert create_campaign(api, lid, mid, segmentid="99").json()["result_code"] == 0
    sent = create_campaign(api, lid, mid, status="1", segmentid=segment["id"]).json()
    assert sent["result_code"] == 1
    campaign = {c["id"]: c for c in sim.campaigns()}[str(sent["id"])]
    assert (campaign["segmentid"], campaign["send_amt"]) == (segment["id"], "1")
    assert campaign["recipients"] == ["r1@shop.test"]  # r3 unsubscribed
