"""The MailerLite simulator answers like the vendor's connect API (as recorded and documented)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from hub.clock import FakeClock
from hub.simulator import Fault
from hub_mailerlite.simulator import MailerLiteSimulator, field_key

UNSUB = '<p>Bye? <a href="{$unsubscribe}">unsubscribe</a></p>'
HTML = f"<html><head><title>t</title></head><body><h1>Hello</h1>{UNSUB}</body></html>"
SUBSCRIBER_404 = "No query results for model [App\\Models\\Subscriber\\Subscriber]."


class Api:
    """A tiny client: `api.post("/subscribers", json=...)` → requests.Response."""

    def __init__(self, sim: MailerLiteSimulator, token: str = "sandbox-token") -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json", "Content-Type": "application/json"}
        )

    def __getattr__(self, method: str) -> Any:
        def call(path: str, **kw: Any) -> requests.Response:
            return self.session.request(method.upper(), self.sim.base_url + path, **kw)

        return call


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock):
    with MailerLiteSimulator(clock, tokens={"sandbox-token": "sandbox", "other-token": "other"}) as s:
        yield s


@pytest.fixture
def api(sim: MailerLiteSimulator):
    client = Api(sim)
    yield client
    client.session.close()


def make_group(api: Api, name: str = "Group") -> str:
    resp = api.post("/groups", json={"name": name})
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]["id"]


def make_campaign(api: Api, **overrides: Any) -> requests.Response:
    body = {
        "name": "Launch",
        "type": "regular",
        "emails": [{"subject": "Hi {$name}", "from_name": "Bakery", "from": "shop@bakery.test", "content": HTML}],
    }
    body.update(overrides)
    return api.post("/campaigns", json=body)


def upsert_batch(emails: list[str], **extra: Any) -> dict[str, Any]:
    return {"requests": [{"method": "POST", "path": "api/subscribers", "body": {"email": e, **extra}} for e in emails]}


# ---------------------------------------------------------------------------------------------- auth, limits


def test_auth_401_body(sim: MailerLiteSimulator) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        resp = requests.get(sim.base_url + "/subscribers", headers=headers)
        assert resp.status_code == 401
        assert resp.json() == {"message": "Unauthenticated."}
        assert "x-ratelimit-limit" not in resp.headers


def test_rate_limit_headers_and_429(sim: MailerLiteSimulator, api: Api, clock: FakeClock) -> None:
    first = api.get("/groups")
    assert first.headers["x-ratelimit-limit"] == "120"
    assert first.headers["x-ratelimit-remaining"] == "119"
    assert api.get("/groups").headers["x-ratelimit-remaining"] == "118"
    for _ in range(118):
        assert api.get("/fields").status_code == 200
    refused = api.get("/groups")
    assert refused.status_code == 429
    assert refused.json() == {"message": "Too Many Attempts."}
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    other = Api(sim, "other-token")
    assert other.get("/groups").status_code == 200  # per account
    clock.advance(60)
    again = api.get("/groups")
    assert again.status_code == 200 and again.headers["x-ratelimit-remaining"] == "119"


def test_rate_limit_is_configurable(clock: FakeClock) -> None:
    with MailerLiteSimulator(clock, rate_limit=2, window=10) as small:
        api = Api(small)
        assert [api.get("/groups").status_code for _ in range(3)] == [200, 200, 429]
        assert api.get("/groups").headers["Retry-After"] == "10"


def test_batch_counts_once_unless_configured(sim: MailerLiteSimulator, api: Api, clock: FakeClock) -> None:
    resp = api.post("/batch", json={"requests": [{"method": "GET", "path": "api/groups"}] * 10})
    assert resp.status_code == 200
    assert resp.headers["x-ratelimit-remaining"] == "119"
    with MailerLiteSimulator(clock, batch_counts_subrequests=True) as strict:
        resp = Api(strict).post("/batch", json={"requests": [{"method": "GET", "path": "api/groups"}] * 10})
        assert resp.headers["x-ratelimit-remaining"] == "110"


def test_import_limit(sim: MailerLiteSimulator, api: Api, clock: FakeClock) -> None:
    gid = make_group(api)
    for i in range(4):
        assert api.post("/batch", json=upsert_batch([f"u{i}@x.test"])).status_code == 200
    imported = api.post(f"/groups/{gid}/import-subscribers", json={"subscribers": [{"email": "g@x.test"}]})
    assert imported.status_code == 200  # the 5th import creation
    refused = api.post("/batch", json=upsert_batch(["late@x.test"]))
    assert refused.status_code == 429
    assert refused.json() == {"message": "You're being rate limited on import creation."}
    assert int(refused.headers["Retry-After"]) == 60
    assert sim.subscriber("late@x.test") is None
    refused_group = api.post(f"/groups/{gid}/import-subscribers", json={"subscribers": [{"email": "h@x.test"}]})
    assert refused_group.status_code == 429
    mixed = {"requests": [*upsert_batch(["mixed@x.test"])["requests"], {"method": "GET", "path": "api/groups"}]}
    assert api.post("/batch", json=mixed).status_code == 200  # not only upserts: not an import
    assert api.post("/subscribers", json={"email": "single@x.test"}).status_code == 201  # plain upserts are fine
    clock.advance(60)
    assert api.post("/batch", json=upsert_batch(["late@x.test"])).status_code == 200


def test_injected_faults_use_vendor_bodies(sim: MailerLiteSimulator, api: Api) -> None:
    sim.inject(Fault("status", status=429, retry_after=5))
    resp = api.get("/groups")
    assert resp.status_code == 429 and resp.json() == {"message": "Too Many Attempts."}
    assert resp.headers["Retry-After"] == "5" and "x-ratelimit-remaining" in resp.headers
    sim.inject(Fault("status", status=500))
    assert api.get("/groups").json() == {"message": "Server Error"}


# ---------------------------------------------------------------------------------------------- subscribers


def test_upsert_201_then_200_lowercase_and_non_destructive(sim: MailerLiteSimulator, api: Api) -> None:
    gid_a, gid_b = make_group(api, "A"), make_group(api, "B")
    created = api.post(
        "/subscribers",
        json={"email": "MNMnxYoVFs@Email.com", "fields": {"name": "John", "last_name": "Doe"}, "groups": [gid_a]},
    )
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["email"] == "mnmnxyovfs@email.com"
    assert data["status"] == "active" and data["source"] == "api"
    assert len(data["id"]) in (17, 18) and data["id"].isdigit()
    assert list(data["fields"]) == ["name", "last_name", "company", "country", "city", "phone", "state", "z_i_p"]
    assert data["fields"]["name"] == "John" and data["fields"]["company"] is None
    assert [g["id"] for g in data["groups"]] == [gid_a]
    assert data["created_at"] == "2026-01-01 00:00:00"

    again = api.post(
        "/subscribers", json={"email": "mnmnxyovfs@email.com", "fields": {"company": "Acme"}, "groups": [gid_b]}
    )
    assert again.status_code == 200
    data = again.json()["data"]
    assert data["fields"]["name"] == "John" and data["fields"]["company"] == "Acme"  # omitted fields kept
    assert sorted(g["id"] for g in data["groups"]) == sorted([gid_a, gid_b])  # groups only added
    assert len(sim.subscribers()) == 1


def test_no_reactivation_of_unsubscribed(sim: MailerLiteSimulator, api: Api) -> None:
    api.post("/subscribers", json={"email": "gone@x.test"})
    sim.set_subscriber_status("sandbox", "gone@x.test", "unsubscribed")
    refused = api.post("/subscribers", json={"email": "gone@x.test", "status": "active"})
    assert refused.status_code == 422
    assert refused.json() == {
        "message": "The given data was invalid.",
        "errors": {"email": ["This subscriber is unsubscribed and cannot be imported."]},
    }
    kept = api.post("/subscribers", json={"email": "gone@x.test", "fields": {"name": "Still"}})
    assert kept.status_code == 200
    assert kept.json()["data"]["status"] == "unsubscribed"
    assert kept.json()["data"]["unsubscribed_at"] is not None
    sim.set_subscriber_status("sandbox", "gone@x.test", "bounced")
    assert api.post("/subscribers", json={"email": "gone@x.test", "status": "unconfirmed"}).status_code == 422
    # other statuses can be set
    api.post("/subscribers", json={"email": "live@x.test"})
    unsub = api.post("/subscribers", json={"email": "live@x.test", "status": "unsubscribed"})
    assert unsub.status_code == 200 and unsub.json()["data"]["status"] == "unsubscribed"
    new_unsub = api.post("/subscribers", json={"email": "new@x.test", "status": "unsubscribed"})
    assert new_unsub.status_code == 201 and new_unsub.json()["data"]["status"] == "unsubscribed"


def test_subscriber_validation_422(api: Api) -> None:
    gid = make_group(api)
    api.post("/fields", json={"name": "Age", "type": "number"})
    cases = [
        ({}, {"email": ["The email field is required."]}),
        ({"email": "not-an-email"}, {"email": ["The email must be a valid email address."]}),
        ({"email": "a@x.test", "groups": [gid, "121212"]}, {"groups.1": ["The selected groups.1 is invalid."]}),
        ({"email": "a@x.test", "status": "happy"}, {"status": ["The selected status is invalid."]}),
        ({"email": "a@x.test", "fields": {"age": "old"}}, {"fields.age": ["The fields.age must be a number."]}),
        ({"email": "a@x.test", "fields": "nope"}, {"fields": ["The fields must be an array."]}),
        (
            {"email": "a@x.test", "subscribed_at": "yesterday"},
            {"subscribed_at": ["The subscribed at does not match the format Y-m-d H:i:s."]},
        ),
    ]
    for body, errors in cases:
        resp = api.post("/subscribers", json=body)
        assert resp.status_code == 422, body
        assert resp.json() == {"message": "The given data was invalid.", "errors": errors}
    ok = api.post("/subscribers", json={"email": "a@x.test", "fields": {"age": 41, "unknown_key": "ignored"}})
    assert ok.status_code == 201
    assert ok.json()["data"]["fields"]["age"] == 41
    assert "unknown_key" not in ok.json()["data"]["fields"]
    malformed = api.post("/subscribers", data=b"{oops")
    assert malformed.status_code == 422 and "email" in malformed.json()["errors"]


def test_subscriber_get_update_delete_forget(sim: MailerLiteSimulator, api: Api) -> None:
    sid = api.post("/subscribers", json={"email": "test5@email.com", "ip_address": "1.1.1.1"}).json()["data"]["id"]
    assert api.get("/subscribers/test5@email.com").json()["data"]["id"] == sid
    assert api.get(f"/subscribers/{sid}").json()["data"]["email"] == "test5@email.com"
    updated = api.put(f"/subscribers/{sid}", json={"fields": {"name": "Someone"}})
    assert updated.status_code == 200 and updated.json()["data"]["fields"]["name"] == "Someone"
    forgotten = api.post(f"/subscribers/{sid}/forget")
    assert forgotten.status_code == 200
    body = forgotten.json()
    assert body["message"] == "Subscriber data will be completely deleted and forgotten within 30 days."
    assert body["data"]["deleted_at"] == "2026-01-01 00:00:00"
    assert body["data"]["forget_at"] == "2026-01-31 00:00:00"
    assert api.get(f"/subscribers/{sid}").status_code == 404
    other = api.post("/subscribers", json={"email": "del@x.test"}).json()["data"]["id"]
    assert api.delete(f"/subscribers/{other}").status_code == 204
    assert api.delete(f"/subscribers/{other}").json() == {"message": SUBSCRIBER_404}


def test_cursor_pagination_and_count(sim: MailerLiteSimulator, api: Api) -> None:
    emails = [f"user{i:02d}@x.test" for i in range(60)]
    assert api.post("/batch", json=upsert_batch(emails[:50])).json()["successful"] == 50
    assert api.post("/batch", json=upsert_batch(emails[50:])).json()["successful"] == 10
    sim.set_subscriber_status("sandbox", "user00@x.test", "unsubscribed")

    assert api.get("/subscribers?limit=0").json() == {"total": 60}
    assert api.get("/subscribers?limit=0&filter[status]=unsubscribed").json() == {"total": 1}

    first = api.get("/subscribers").json()
    assert set(first) == {"data", "links", "meta"}
    assert len(first["data"]) == 25  # default limit
    assert first["data"][0]["email"] == "user59@x.test"  # newest first
    assert "groups" not in first["data"][0]  # only with include=groups
    assert first["links"]["first"] is None and first["links"]["last"] is None and first["links"]["prev"] is None
    meta = first["meta"]
    assert set(meta) == {"path", "per_page", "next_cursor", "prev_cursor"} and meta["per_page"] == 25
    assert meta["path"] == sim.base_url + "/subscribers"
    decoded = json.loads(base64.urlsafe_b64decode(meta["next_cursor"] + "=="))
    assert decoded == {"id": int(first["data"][-1]["id"]), "_pointsToNextItems": True}
    assert first["links"]["next"] == f"{sim.base_url}/subscribers?cursor={meta['next_cursor']}"

    seen, cursor, pages = [], None, 0
    while True:
        page = api.get("/subscribers", params={"limit": 25, "cursor": cursor} if cursor else {"limit": 25}).json()
        seen += [s["email"] for s in page["data"]]
        pages += 1
        cursor = page["meta"]["next_cursor"]
        if cursor is None:
            break
        second_page = page
    assert pages == 3 and len(seen) == 60 and len(set(seen)) == 60
    back = api.get("/subscribers", params={"cursor": second_page["meta"]["prev_cursor"]}).json()
    assert [s["email"] for s in back["data"]] == [s["email"] for s in first["data"]]

    assert api.get("/subscribers?limit=1000").status_code == 200
    too_big = api.get("/subscribers?limit=1001")
    assert too_big.status_code == 422 and "limit" in too_big.json()["errors"]
    only_unsub = api.get("/subscribers?filter[status]=unsubscribed&include=groups").json()["data"]
    assert [s["email"] for s in only_unsub] == ["user00@x.test"] and only_unsub[0]["groups"] == []
    assert api.get("/subscribers?filter[status]=nope").status_code == 422


# ---------------------------------------------------------------------------------------------- groups


def test_groups_page_pagination_and_filter(sim: MailerLiteSimulator, api: Api) -> None:
    for i in range(23):
        make_group(api, f"Team {i:02d}" if i % 2 else f"Club {i:02d}")
    page2 = api.get("/groups?limit=10&page=2").json()
    meta = page2["meta"]
    assert [g["name"] for g in page2["data"]][:2] == ["Club 10", "Team 11"]
    assert (meta["current_page"], meta["from"], meta["to"], meta["last_page"], meta["total"], meta["per_page"]) == (
        2,
        11,
        20,
        3,
        23,
        10,
    )
    path = sim.base_url + "/groups"
    assert page2["links"] == {
        "first": f"{path}?page=1",
        "last": f"{path}?page=3",
        "prev": f"{path}?page=1",
        "next": f"{path}?page=3",
    }
    assert [link["label"] for link in meta["links"]] == ["&laquo; Previous", "1", "2", "3", "Next &raquo;"]
    assert [link["active"] for link in meta["links"]] == [False, False, True, False, False]
    assert api.get("/groups").json()["meta"]["per_page"] == 100
    beyond = api.get("/groups?limit=10&page=9").json()
    assert beyond["data"] == [] and beyond["meta"]["from"] is None and beyond["meta"]["to"] is None
    clubs = api.get("/groups", params={"filter[name]": "club"}).json()
    assert clubs["meta"]["total"] == 12 and all("Club" in g["name"] for g in clubs["data"])
    by_name_desc = api.get("/groups?sort=-name&limit=1").json()["data"][0]["name"]
    assert by_name_desc == "Team 21"
    assert api.get("/groups?sort=bogus").status_code == 422


def test_group_crud_membership_and_counters(sim: MailerLiteSimulator, api: Api) -> None:
    gid = make_group(api, "Regulars")
    assert api.put(f"/groups/{gid}", json={"name": "VIP"}).json()["data"]["name"] == "VIP"
    long_name = api.post("/groups", json={"name": "x" * 256})
    assert long_name.status_code == 422
    assert long_name.json()["errors"] == {"name": ["The name must not be greater than 255 characters."]}
    assert api.post("/groups", json={}).json()["errors"] == {"name": ["The name field is required."]}
    a = api.post("/subscribers", json={"email": "a@x.test"}).json()["data"]["id"]
    b = api.post("/subscribers", json={"email": "b@x.test"}).json()["data"]["id"]
    assigned = api.post(f"/subscribers/{a}/groups/{gid}")
    assert assigned.status_code == 200 and assigned.json()["data"]["active_count"] == 1
    api.post(f"/subscribers/{b}/groups/{gid}")
    sim.set_subscriber_status("sandbox", "b@x.test", "unsubscribed")
    group = next(g for g in sim.groups() if g["id"] == gid)
    assert (group["active_count"], group["unsubscribed_count"]) == (1, 1)
    members = api.get(f"/groups/{gid}/subscribers").json()
    assert [s["email"] for s in members["data"]] == ["a@x.test"]  # active by default
    assert "next_cursor" in members["meta"]
    all_unsub = api.get(f"/groups/{gid}/subscribers?filter[status]=unsubscribed").json()["data"]
    assert [s["email"] for s in all_unsub] == ["b@x.test"]
    assert api.delete(f"/subscribers/{a}/groups/{gid}").status_code == 204
    assert next(g for g in sim.groups() if g["id"] == gid)["active_count"] == 0
    assert api.post(f"/subscribers/{a}/groups/121212").json() == {
        "message": "No query results for model [App\\Models\\Group\\Group] 121212"
    }
    assert api.delete(f"/groups/{gid}").status_code == 204
    assert api.get(f"/subscribers/{b}").json()["data"]["groups"] == []
    assert api.delete("/groups/121212").status_code == 404


def test_group_import(sim: MailerLiteSimulator, api: Api) -> None:
    gid = make_group(api)
    api.post("/subscribers", json={"email": "old@x.test"})
    api.post("/subscribers", json={"email": "gone@x.test", "status": "unsubscribed"})
    body = {
        "subscribers": [
            {"email": "New@X.test", "name": "N", "fields": {"last_name": "L"}},
            {"email": "old@x.test", "fields": {"name": "O"}},
            {"email": "gone@x.test"},
            {"email": "broken"},
            {"email": "new@x.test"},
        ]
    }
    resp = api.post(f"/groups/{gid}/import-subscribers", json=body)
    assert resp.status_code == 200
    url = resp.json()["import_progress_url"]
    assert url.startswith(sim.base_url + "/subscribers/import/")
    report = api.session.get(url).json()["data"]
    assert (report["total"], report["imported"], report["updated"], report["done"]) == (5, 1, 1, True)
    assert report["unsubscribed"] == ["gone@x.test"] and report["invalid_count"] == 1
    assert report["duplicate_count"] == 1
    assert report["finished_at"].endswith(".000000Z")
    assert sim.subscriber("gone@x.test")["status"] == "unsubscribed"
    assert sorted(s["email"] for s in api.get(f"/groups/{gid}/subscribers").json()["data"]) == [
        "new@x.test",
        "old@x.test",
    ]
    fresh = sim.subscriber("new@x.test")
    assert fresh["source"] == "import"
    assert (fresh["fields"]["name"], fresh["fields"]["last_name"]) == ("N", "L")


# ---------------------------------------------------------------------------------------------- fields


def test_fields(sim: MailerLiteSimulator, api: Api) -> None:
    listed = api.get("/fields").json()
    assert [f["key"] for f in listed["data"]][:3] == ["name", "last_name", "company"]
    assert listed["data"][0] == {
        "id": "1",
        "name": "Name",
        "key": "name",
        "type": "text",
        "is_default": True,
        "used_in_automations": False,
    }
    created = api.post("/fields", json={"name": "My Field", "type": "text"})
    assert created.status_code == 201
    field = created.json()["data"]
    assert field["key"] == "my_field" and field["is_default"] is False
    renamed = api.put(f"/fields/{field['id']}", json={"name": "My New Field Name"}).json()["data"]
    assert renamed == {**field, "name": "My New Field Name"}  # key not re-derived
    assert api.post("/fields", json={"name": "Shoe", "type": "colour"}).json()["errors"] == {
        "type": ["The selected type is invalid."]
    }
    assert api.post("/fields", json={"name": "My Field", "type": "text"}).status_code == 422
    assert api.delete(f"/fields/{field['id']}").status_code == 204
    assert api.delete("/fields/121212").json() == {"message": "No query results for model [App\\Models\\Field] 121212"}
    assert field_key("ZIP") == "z_i_p"
    assert field_key("Last name") == "last_name"
    assert field_key("Birthday date") == "birthday_date"


# ---------------------------------------------------------------------------------------------- 404 shapes


def test_404_shapes(api: Api) -> None:
    assert api.get("/subscribers/123123").json() == {"message": SUBSCRIBER_404}
    assert api.get("/subscribers/nobody@x.test").status_code == 404
    for path, model in [
        ("/campaigns/121212", "Campaign\\Campaign"),
        ("/segments/121212", "Segment"),
    ]:
        resp = api.get(path)
        assert resp.status_code == 404
        assert resp.json() == {"message": f"No query results for model [App\\Models\\{model}] 121212"}
    route = api.get("/xyz")
    assert route.status_code == 404 and route.json() == {"message": "The route api/xyz could not be found."}
    assert api.get("/campaigns/list").json() == {"message": "The route api/campaigns/list could not be found."}


# ---------------------------------------------------------------------------------------------- campaigns


def test_campaign_create_and_list_default_filter(sim: MailerLiteSimulator, api: Api) -> None:
    gid = make_group(api, "Regulars")
    created = make_campaign(api, groups=[gid])
    assert created.status_code == 201
    camp = created.json()["data"]
    assert camp["status"] == "draft" and camp["type"] == "regular" and camp["delivery_schedule"] is None
    assert camp["filter"] == [[{"operator": "in_any", "args": ["groups", [gid]]}]]
    assert camp["filter_for_humans"] == [["In any group: Regulars"]]
    email = camp["emails"][0]
    assert email["type"] == "builder_html" and email["reply_to"] == "shop@bakery.test"
    assert "{$unsubscribe}" in email["plain_text"] and "content" not in email
    listed = api.get("/campaigns").json()
    assert listed["data"] == []  # filter[status] defaults to ready
    assert listed["meta"]["aggregations"] == {"all": 1, "draft": 1, "ready": 0, "sent": 0}
    assert listed["meta"]["per_page"] == 25
    drafts = api.get("/campaigns?filter[status]=draft").json()
    assert [c["id"] for c in drafts["data"]] == [camp["id"]]
    assert api.get("/campaigns?filter[type]=ab&filter[status]=draft").json()["data"] == []
    got = api.get(f"/campaigns/{camp['id']}").json()["data"]
    assert "<h1>Hello</h1>" in got["emails"][0]["content"]
    assert "<!--{$body_top}-->" in got["emails"][0]["content"]  # the vendor rewrites HTML


def test_campaign_validation(api: Api) -> None:
    gid = make_group(api)
    missing = api.post("/campaigns", json={})
    assert set(missing.json()["errors"]) == {"name", "type", "emails"}
    two = make_campaign(api, emails=[{"subject": "a", "from_name": "b", "from": "c@x.test"}] * 2)
    assert two.json()["errors"] == {"emails": ["The emails must contain 1 items."]}
    no_subject = make_campaign(api, emails=[{"from_name": "b", "from": "c@x.test"}])
    assert no_subject.json()["errors"] == {"emails.0.subject": ["The emails.0.subject field is required."]}
    no_unsub = make_campaign(
        api, emails=[{"subject": "a", "from_name": "b", "from": "c@x.test", "content": "<p>x</p>"}]
    )
    assert no_unsub.status_code == 422 and "emails.0.content" in no_unsub.json()["errors"]
    bad_group = make_campaign(api, groups=[gid, "999"])
    assert bad_group.json()["errors"] == {"groups.1": ["The selected groups.1 is invalid."]}
    assert make_campaign(api, name="x" * 256).json()["errors"]["name"]
    assert make_campaign(api, type="rss").json()["errors"] == {"type": ["The selected type is invalid."]}


def test_campaign_status_machine(sim: MailerLiteSimulator, api: Api, clock: FakeClock) -> None:
    api.post("/subscribers", json={"email": "reader@x.test"})
    cid = make_campaign(api).json()["data"]["id"]
    renamed = api.put(f"/campaigns/{cid}", json={"name": "New Campaign Name"})
    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "New Campaign Name"
    zones = api.get("/timezones").json()["data"]
    london = next(z for z in zones if z["name"] == "Europe/London")
    scheduled = api.post(
        f"/campaigns/{cid}/schedule",
        json={
            "delivery": "scheduled",
            "schedule": {"date": "2026-07-01", "hours": "22", "minutes": "00", "timezone_id": london["id"]},
        },
    )
    assert scheduled.status_code == 200
    data = scheduled.json()["data"]
    assert data["status"] == "ready" and data["delivery_schedule"] == "scheduled"
    assert data["scheduled_for"] == "2026-07-01 21:00:00"  # BST → UTC
    assert api.get("/campaigns").json()["meta"]["aggregations"]["ready"] == 1
    locked = api.put(f"/campaigns/{cid}", json={"name": "too late"})
    assert locked.status_code == 422 and locked.json()["message"] == "The given data was invalid."
    assert api.post(f"/campaigns/{cid}/schedule", json={"delivery": "instant"}).status_code == 422
    cancelled = api.post(f"/campaigns/{cid}/cancel").json()["data"]
    assert cancelled["status"] == "draft" and cancelled["stopped_at"] == "2026-01-01 00:00:00"
    assert api.post(f"/campaigns/{cid}/cancel").status_code == 422

    in_past = api.post(
        f"/campaigns/{cid}/schedule",
        json={"delivery": "scheduled", "schedule": {"date": "2025-01-01", "hours": 9, "minutes": 0}},
    )
    assert in_past.status_code == 422 and "schedule.date" in in_past.json()["errors"]
    assert api.post(f"/campaigns/{cid}/schedule", json={"delivery": "later"}).json()["errors"] == {
        "delivery": ["The selected delivery is invalid."]
    }
    assert "schedule" in api.post(f"/campaigns/{cid}/schedule", json={"delivery": "scheduled"}).json()["errors"]

    # scheduled for tomorrow 09:00 in the account timezone (UTC): sent once the clock passes it
    api.post(
        f"/campaigns/{cid}/schedule",
        json={"delivery": "scheduled", "schedule": {"date": "2026-01-02", "hours": "09", "minutes": "00"}},
    )
    assert api.get(f"/campaigns/{cid}").json()["data"]["status"] == "ready"
    clock.advance(33 * 3600)
    sent = api.get(f"/campaigns/{cid}").json()["data"]
    assert sent["status"] == "sent" and sent["finished_at"] is not None
    assert sent["recipients_count"] == 1 and sent["stats"]["sent"] == 1

    instant = make_campaign(api).json()["data"]["id"]
    now_sent = api.post(f"/campaigns/{instant}/schedule", json={"delivery": "instant"}).json()["data"]
    assert now_sent["status"] == "sent" and now_sent["delivery_schedule"] == "instant"
    assert api.get("/campaigns?filter[status]=sent").json()["meta"]["total"] == 2

    assert api.delete(f"/campaigns/{instant}").status_code == 204
    assert api.delete(f"/campaigns/{instant}").json() == {
        "message": f"No query results for model [App\\Models\\Campaign\\Campaign] {instant}"
    }


def test_languages_and_timezones(api: Api) -> None:
    languages = api.get("/campaigns/languages").json()["data"]
    assert {"id": "4", "shortcode": "en", "iso639": "en-US", "name": "English", "direction": "ltr"} in languages
    zones = api.get("/timezones").json()["data"]
    assert len(zones) > 500
    abidjan = zones[0]
    assert abidjan == {
        "id": "1",
        "name": "Africa/Abidjan",
        "name_for_humans": "Africa/Abidjan (+00:00)",
        "offset_name": "+00:00",
        "offset": 0,
    }


# ---------------------------------------------------------------------------------------------- batch


def test_batch_runs_each_request_in_order(sim: MailerLiteSimulator, api: Api) -> None:
    api.post("/subscribers", json={"email": "exists@x.test"})
    body = {
        "requests": [
            {"method": "POST", "path": "api/subscribers", "body": {"email": "fresh@x.test"}},
            {"method": "POST", "path": "api/subscribers", "body": {"email": "EXISTS@x.test"}},
            {"method": "POST", "path": "api/subscribers", "body": {"email": "bad"}},
            {"method": "GET", "path": "api/subscribers/list"},
            {"method": "GET", "path": "api/campaigns/list"},
            {"method": "GET", "path": "api/groups?limit=5"},
        ]
    }
    resp = api.post("/batch", json=body)
    assert resp.status_code == 200
    out = resp.json()
    assert (out["total"], out["successful"], out["failed"]) == (6, 3, 3)
    assert [r["code"] for r in out["responses"]] == [201, 200, 422, 404, 404, 200]
    assert out["responses"][0]["body"]["data"]["email"] == "fresh@x.test"
    assert out["responses"][3]["body"] == {"message": SUBSCRIBER_404}
    assert out["responses"][4]["body"] == {"message": "The route api/campaigns/list could not be found."}
    assert out["responses"][5]["body"]["meta"]["per_page"] == 5
    assert sim.log.count("POST", "/batch") == 1 and len(sim.log) == 2


def test_batch_validation(api: Api) -> None:
    too_many = api.post("/batch", json={"requests": [{"method": "GET", "path": "api/groups"}] * 51})
    assert too_many.status_code == 422
    assert too_many.json() == {
        "message": "The given data was invalid.",
        "errors": {"requests": ["The requests must not have more than 50 items."]},
    }
    assert api.post("/batch", json={"requests": [{"method": "GET", "path": "api/groups"}] * 50}).status_code == 200
    bad = api.post(
        "/batch",
        json={
            "requests": [
                {"method": "FETCH", "path": "api/groups"},
                {"method": "GET", "path": "/api/groups"},
                {"path": "api/groups"},
            ]
        },
    ).json()["errors"]
    assert bad == {
        "requests.0.method": ["The selected requests.0.method is invalid."],
        "requests.1.path": ["The requests.1.path format is invalid."],
        "requests.2.method": ["The requests.2.method field is required."],
    }
    assert api.post("/batch", json={}).json()["errors"] == {"requests": ["The requests field is required."]}


# ---------------------------------------------------------------------------------------------- segments


def test_segments_are_read_only(sim: MailerLiteSimulator, api: Api) -> None:
    refused = api.post("/segments", json={"name": "VIP"})
    assert refused.status_code == 405
    assert refused.json() == {
        "message": "The POST method is not supported for route api/segments. Supported methods: GET, HEAD."
    }
    a = api.post("/subscribers", json={"email": "a@x.test"}).json()["data"]["id"]
    api.post("/subscribers", json={"email": "b@x.test"})
    made = requests.post(
        sim.root_url + "/_sim/control/add_segment",
        json={"account": "sandbox", "name": "Fans", "subscriber_ids": [a, "b@x.test"]},
    ).json()
    assert made["name"] == "Fans" and made["total"] == 2
    listed = api.get("/segments").json()
    assert listed["meta"]["per_page"] == 25
    assert listed["data"][0]["automations_using_segment_count"] == 0
    seg_id = listed["data"][0]["id"]
    assert set(api.get(f"/segments/{seg_id}").json()["data"]) == {
        "id",
        "name",
        "total",
        "open_rate",
        "click_rate",
        "created_at",
    }
    members = api.get(f"/segments/{seg_id}/subscribers").json()
    assert sorted(s["email"] for s in members["data"]) == ["a@x.test", "b@x.test"]
    assert members["meta"]["per_page"] == 50 and "groups" in members["data"][0]
    assert api.put(f"/segments/{seg_id}", json={"name": "New Name"}).json()["data"]["name"] == "New Name"
    assert api.put("/segments/123123", json={"name": "x"}).json() == {
        "message": "No query results for model [App\\Models\\Segment] 123123"
    }
    assert api.delete(f"/segments/{seg_id}").status_code == 204
    assert api.get("/segments").json()["data"] == []


# ---------------------------------------------------------------------------------------------- automations


def test_automations_are_read_only(sim: MailerLiteSimulator, api: Api) -> None:
    gid = make_group(api, "Welcome")
    auto = sim.add_automation(
        "sandbox",
        "Welcome series",
        gid,
        [
            {"type": "email", "subject": "Welcome {$name}", "from": "shop@bakery.test", "content": HTML},
            {"type": "delay", "value": 2, "unit": "days"},
            {"type": "email", "subject": "Our story", "from": "shop@bakery.test"},
        ],
    )
    listed = api.get("/automations").json()
    assert listed["meta"]["per_page"] == 10 and listed["meta"]["total"] == 1
    got = api.get(f"/automations/{auto['id']}").json()["data"]
    assert got["name"] == "Welcome series" and got["enabled"] is True and got["emails_count"] == 2
    trigger = got["triggers"][0]
    assert trigger["type"] == "subscriber_joins_group" and trigger["group_ids"] == [gid]
    assert trigger["groups"][0]["name"] == "Welcome"
    steps = got["steps"]
    assert [s["type"] for s in steps] == ["email", "delay", "email"]
    assert steps[1]["parent_id"] == steps[0]["id"] and steps[1]["value"] == 2 and steps[1]["unit"] == "days"
    assert steps[0]["email"]["subject"] == "Welcome {$name}"
    assert api.get("/automations?filter[enabled]=false").json()["data"] == []
    assert api.get("/automations?filter[name]=welcome").json()["meta"]["total"] == 1

    assert api.post("/automations", json={"name": "x"}).status_code == 405
    assert api.put(f"/automations/{auto['id']}", json={"enabled": False}).status_code == 405
    assert api.delete(f"/automations/{auto['id']}").status_code == 405

    no_filter = api.get(f"/automations/{auto['id']}/activity")
    assert no_filter.status_code == 422
    assert no_filter.json()["errors"] == {"filter.status": ["The filter.status field is required."]}
    api.post("/subscribers", json={"email": "joiner@x.test", "groups": [gid]})
    activity = api.get(f"/automations/{auto['id']}/activity?filter[status]=active").json()
    assert activity["meta"]["per_page"] == 50
    assert [a["subscriber"]["email"] for a in activity["data"]] == ["joiner@x.test"]
    assert api.get(f"/automations/{auto['id']}").json()["data"]["stats"]["subscribers_in_queue_count"] == 1


# ---------------------------------------------------------------------------------------------- accounts, state


def test_accounts_are_separate_and_state_persists(sim: MailerLiteSimulator, api: Api, clock: FakeClock) -> None:
    api.post("/subscribers", json={"email": "mine@x.test"})
    other = Api(sim, "other-token")
    assert other.get("/subscribers?limit=0").json() == {"total": 0}
    dumped = sim.dump()
    with MailerLiteSimulator(clock) as restored:
        restored.load(dumped)
        assert Api(restored).get("/subscribers/mine@x.test").status_code == 200
        fresh = Api(restored).post("/subscribers", json={"email": "next@x.test"}).json()["data"]["id"]
        assert int(fresh) > int(sim.subscriber("mine@x.test")["id"])  # ids keep increasing


def test_ids_are_deterministic(clock: FakeClock) -> None:
    def first_id(seed: int) -> str:
        with MailerLiteSimulator(FakeClock(), seed=seed) as s:
            return Api(s).post("/groups", json={"name": "g"}).json()["data"]["id"]

    assert first_id(0) == first_id(0)
    assert first_id(0) != first_id(1)
    assert 17 <= len(first_id(3)) <= 18
