"""What the ActiveCampaign provider sends to v3 validates against the vendor's OpenAPI document.

A full apply (lists, tags, fields, a verified segment, contacts with fields and list changes, campaigns in
every schedule mode and a replaced one, a verified automation and its enrolments) runs against the
simulator; every v3 request it made is matched to an operation of
`../shared/vendor-specs/activecampaign-v3.openapi.json` (path templates such as `/contacts/{id}`), and every
JSON body is validated against that operation's requestBody schema (OpenAPI 3.1 schemas are JSON Schema
2020-12; `$ref`s are resolved). v1 (`/admin/api.php`) has no OpenAPI document and is not checked here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openapi_check
import pytest

from hub.clock import FakeClock
from hub.model import Automation
from hub.plugins import make_plugins
from hub.testing import Harness, make_client

SPEC = openapi_check.SPECS / "activecampaign-v3.openapi.json"
ACCOUNT = "sandbox"

# Operations on paths of the document whose method it leaves out (vendors/mailerlite-activecampaign.md):
# DELETE /campaigns/{id} (B.10: documented by the vendor, "not in copied path list"), PUT /lists/{id} (B.6:
# "exists in docs (not in copied spec)"; hub renames a list with it), GET /segments (the document lists the
# path with no operation at all; the simulator answers `{"segments": [...]}`).
UNDOCUMENTED = {("DELETE", "/campaigns/{id}"), ("PUT", "/lists/{id}"), ("GET", "/segments")}

# A path the document does not list but advertises itself: the contact object of `GET /contacts/{id}` links
# `"contactTags": "/1/contactTags"` (the vendor's docs have "retrieve a contact's tags"; B.5 notes the copied
# document lacks the operation). hub reads it to find the association to delete when a tag is removed.
LINKED = {("GET", "/contacts/{id}/contactTags"): ("/contacts/{id}", "contactTags")}

pytestmark = pytest.mark.skipif(not SPEC.exists(), reason=f"{SPEC} is absent (../shared/vendor-specs not checked out)")


def spec() -> dict[str, Any]:
    return openapi_check.load(SPEC.name)


def resolve(node: Any, doc: dict[str, Any]) -> Any:
    return openapi_check.resolve(node, doc)


def match_template(path: str) -> str | None:
    return openapi_check.match_template(spec(), path)


def advertised(method: str, path: str) -> str | None:
    """The template of a path the document advertises in a response's `links` (see LINKED), if this is one."""
    for (m, template), (owner, link) in LINKED.items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if m == method and re.match(pattern, path):
            responses = json.dumps(spec()["paths"][owner]["get"].get("responses"))
            if f'\\"{link}\\": \\"/1/{link}\\"' in responses or f'"{link}": "/1/{link}"' in responses:
                return template
    return None


def full_apply(tmp_path: Path) -> Harness:
    ac = make_plugins().registry.get("activecampaign")
    email = {"from": {"name": "Acme", "email": "hello@acme.example"}, "preheader": "Inside: news",
             "body_markdown": "Hi {{ first_name }}, {{ fields.loaf }}\n\n[Unsubscribe]({{ unsubscribe_url }})"}
    client = make_client("activecampaign", audience={
        "lists": [{"id": "news", "name": "News"}, {"id": "trade", "name": "Trade"}],
        "tags": [{"id": "vip", "name": "VIP"}, {"id": "new", "name": "New"}],
        "fields": [{"id": "loaf", "name": "Favourite loaf"}, {"id": "since", "name": "Since", "type": "date"},
                   {"id": "visits", "name": "Visits", "type": "number"}],
        "segments": [{"id": "fans", "name": "Fans", "rules": [{"list": "news"}]}],
        "contacts": [
            {"email": f"p{i}@example.com", "first_name": f"P{i}", "lists": ["news", "trade"], "tags": ["vip", "new"],
             "fields": {"loaf": "rye", "since": "2020-01-02", "visits": 3},
             "consent": {"email": ["subscribed", "unsubscribed", "bounced", "pending"][i % 4]}}
            for i in range(12)],
    }, campaigns=[
        {"id": "draft", "name": "Draft", "audience": {"list": "news"}, "schedule": "draft",
         "email": {**email, "subject": "Draft {{ first_name }}"}},
        {"id": "later", "name": "Later", "audience": {"list": "news", "segment": "fans"},
         "schedule": "2026-07-01 09:30", "email": {**email, "subject": "Later"}},
        {"id": "now", "name": "Now", "audience": {"list": "trade"}, "schedule": "now",
         "email": {**email, "subject": "Now"}},
    ])
    client.automations.append(Automation.model_validate({
        "id": "welcome", "name": "Welcome", "trigger": {"joined_list": "news"},
        "enrol": {"contacts": ["p0@example.com", "p4@example.com"]},
        "steps": [{"send_email": {"subject": "Hi", "body_html": "<a href='{{ unsubscribe_url }}'>u</a>"}}]}))
    h = Harness(ac, client, tmp_path, FakeClock(utc=datetime(2026, 3, 1, tzinfo=UTC)))
    h.simulator.add_segment(ACCOUNT, "Fans")
    h.simulator.add_automation(ACCOUNT, "Welcome")
    assert not h.apply().failed
    # a second round: list and tag removals, a replaced campaign, a renamed list
    contacts = client.audience.contacts
    contacts[0] = contacts[0].model_copy(update={"lists": ["news"], "tags": ["vip"]})
    client.audience.lists[1] = client.audience.lists[1].model_copy(update={"name": "Trade buyers"})
    client.campaigns[0] = client.campaigns[0].model_copy(update={"name": "Draft (v2)"})
    assert not h.apply().failed
    return h


def test_every_v3_request_matches_the_openapi_document(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    h = full_apply(tmp_path)
    try:
        entries = [e for e in h.simulator.log if e.path.startswith("/api/3/")]
    finally:
        h.close()
    assert len(entries) > 20
    doc = spec()
    used: set[tuple[str, str]] = set()
    problems: list[str] = []
    validated = 0
    for e in entries:
        path = e.path[len("/api/3"):]
        template = match_template(path)
        if template is None and advertised(e.method, path):
            used.add((e.method, advertised(e.method, path) or ""))
            continue
        assert template is not None, f"{e.method} {path} is not a path of the ActiveCampaign OpenAPI document"
        used.add((e.method, template))
        operation = doc["paths"][template].get(e.method.lower())
        if operation is None:
            assert (e.method, template) in UNDOCUMENTED, f"{e.method} {template} is not documented"
            continue
        schema = (((operation.get("requestBody") or {}).get("content") or {}).get("application/json")
                  or {}).get("schema")
        if e.body is None or schema is None:
            continue
        validator = Draft202012Validator(resolve(schema, doc))
        for err in validator.iter_errors(e.body):
            problems.append(f"{e.method} {template}: {'/'.join(map(str, err.absolute_path))}: {err.message}")
        validated += 1
    assert problems == []
    assert validated >= 10
    # the calls this provider is built on were all made (and checked)
    for needed in [("POST", "/lists"), ("GET", "/lists"), ("POST", "/tags"), ("GET", "/tags"), ("POST", "/fields"),
                   ("POST", "/fieldRels"), ("POST", "/import/bulk_import"), ("GET", "/import/info"),
                   ("GET", "/campaigns"), ("PUT", "/messages/{id}"), ("GET", "/automations"),
                   ("POST", "/contactAutomations"), ("DELETE", "/contactTags/{id}"), ("GET", "/contacts"),
                   ("PUT", "/lists/{id}"), ("DELETE", "/campaigns/{id}"), ("GET", "/contacts/{id}/contactTags")]:
        assert needed in used, f"{needed} was not exercised"


def test_undocumented_operations_are_only_the_known_ones(tmp_path: Path) -> None:
    h = full_apply(tmp_path)
    try:
        entries = [e for e in h.simulator.log if e.path.startswith("/api/3/")]
    finally:
        h.close()
    missing = set()
    for e in entries:
        template = match_template(e.path[len("/api/3"):])
        if template is None:
            assert advertised(e.method, e.path[len("/api/3"):]), e.path
            continue
        if e.method.lower() not in spec()["paths"][template]:
            missing.add((e.method, template))
    assert missing <= UNDOCUMENTED
