"""Every request the Mailchimp provider sends is accepted by the simulator and validates against the
Mailchimp OpenAPI document (`../shared/vendor-specs/mailchimp_marketing_3.0.55_openapi.yaml`, an OpenAPI
3.0 conversion of the vendor's 3.0.55 spec): its path and method exist, its query parameters are declared
and its JSON body (and the body of every operation inside a `/batches` job) matches the request schema."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import openapi_check
import pytest

from hub.clock import FakeClock
from hub.model import Automation, Schedule
from hub.plugins import make_plugins
from hub.testing import Harness, make_client
from hub_mailchimp.simulator import MailchimpSimulator

SPEC = "mailchimp_marketing_3.0.55_openapi.yaml"
ACCOUNT, AUDIENCE = MailchimpSimulator.SANDBOX_ACCOUNT, MailchimpSimulator.SANDBOX_AUDIENCE

# A defect of the converted document, corrected here: it types each merge field's *value* as an object,
# while the vendor's documentation and every SDK example send strings and numbers ({"FNAME": "Ann"}).
def corrected(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: corrected(v) for k, v in schema.items()}
        if "merge_fields" in out.get("properties", {}):
            out["properties"]["merge_fields"] = {"type": "object"}
        return out
    if isinstance(schema, list):
        return [corrected(v) for v in schema]
    return schema


pytestmark = pytest.mark.skipif(not (openapi_check.SPECS / SPEC).exists(),
                                reason=f"{openapi_check.SPECS / SPEC} is absent (../shared/vendor-specs not there)")


def full_apply(tmp_path: Path) -> list[Any]:
    """Everything the provider does, twice over (creates, then updates and removals); the request log."""
    mc = make_plugins().registry.get("mailchimp")
    email = {"from": {"name": "Acme", "email": "hello@acme.example"}, "preheader": "News inside",
             "body_markdown": "Hi {{ first_name | default(\"you\") }} {{ fields.level }}\n\n"
                              "[Unsubscribe]({{ unsubscribe_url }})"}
    client = make_client("mailchimp", audience={
        "lists": [{"id": "members", "name": "Members"}, {"id": "trial", "name": "Trial"}],
        "tags": [{"id": "vip", "name": "VIP"}],
        "fields": [{"id": "level", "name": "Level"}, {"id": "joined", "name": "Joined", "type": "date"},
                   {"id": "visits", "name": "Visits", "type": "number"}],
        "segments": [{"id": "keen", "name": "Keen", "match": "any",
                      "rules": [{"tag": "vip"}, {"field": "level", "op": "equals", "value": "advanced"},
                                {"engagement": "opened", "within_days": 30}]}],
        "contacts": [{"email": f"p{i}@example.com", "first_name": f"P{i}", "lists": ["members"], "tags": ["vip"],
                      "fields": {"level": "advanced", "joined": "2024-05-01", "visits": 3},
                      "consent": {"email": ["subscribed", "unsubscribed", "bounced", "pending"][i % 4]}}
                     for i in range(12)]},
        campaigns=[
            {"id": "draft", "name": "Draft", "audience": {"list": "members"}, "schedule": "draft",
             "email": {**email, "subject": "Draft"}, "social": {"text": "Come along", "image": "https://x.example/i.png"}},
            {"id": "later", "name": "Later", "audience": {"list": "members", "segment": "keen"},
             "schedule": "2026-07-01 09:30", "email": {**email, "subject": "Later"}},
            {"id": "now", "name": "Now", "audience": {"list": "members"}, "schedule": "now",
             "email": {**email, "subject": "Now"}}])
    client.automations.append(Automation.model_validate({
        "id": "welcome", "name": "Welcome", "trigger": {"joined_list": "members"},
        "enrol": {"contacts": ["p0@example.com", "p4@example.com"]},
        "steps": [{"send_email": {"subject": "Hi", "body_html": "<a href='{{ unsubscribe_url }}'>u</a>"}}]}))
    h = Harness(mc, client, tmp_path, FakeClock(utc=datetime(2026, 3, 1)))
    try:
        # two people signed up before the workspace listed them: hub upserts them (through /batches)
        for i in (1, 2):
            h.simulator.call("PUT", f"/3.0/lists/{AUDIENCE}/members/{hash_of(f'p{i}@example.com')}",
                             {"email_address": f"p{i}@example.com", "status_if_new": "subscribed"}, account=ACCOUNT)
        journey = h.simulator.add_journey(ACCOUNT, "Welcome", AUDIENCE)
        h.provider.settings = type(h.provider.settings).model_validate({**h.provider.settings.model_dump(),
            "journeys": {"welcome": {"journey_id": journey["journey_id"], "step_id": journey["step_id"]}}})
        assert not h.apply().failed
        contacts = client.audience.contacts
        for i in range(6):  # second round: tags removed, a field changed, a list renamed, a campaign edited
            contacts[i] = contacts[i].model_copy(update={"tags": [], "fields": {"level": "beginner"}})
        client.audience.lists[1] = client.audience.lists[1].model_copy(update={"name": "Trial members"})
        client.campaigns[1] = client.campaigns[1].model_copy(update={"schedule": Schedule.model_validate(
            "2026-07-02 10:00")})
        assert not h.apply().failed
        return list(h.simulator.log)
    finally:
        h.close()


def hash_of(email: str) -> str:
    from hub_mailchimp.mapping import subscriber_hash

    return subscriber_hash(email)


def check_log(log: list[Any]) -> set[tuple[str, str]]:
    """Assert every request was accepted and matches the document; the operations used."""
    from jsonschema import Draft4Validator

    doc = openapi_check.load(SPEC)
    api = [e for e in log if e.path.startswith("/3.0/")]
    refused = [(e.method, e.path, e.status, e.response) for e in api if e.status >= 400]
    assert refused == [], "every request hub sends is accepted"
    problems: list[str] = []
    used: set[tuple[str, str]] = set()

    def check(method: str, path: str, body: Any, query: dict[str, Any]) -> None:
        template = openapi_check.match_template(doc, path)
        if template is None or method.lower() not in doc["paths"][template]:
            problems.append(f"{method} {path}: no such operation in the document")
            return
        used.add((method, template))
        # partial responses: Mailchimp documents `fields`/`exclude_fields` for every answer (vendors/mailchimp-twilio.md
        # §1), though the document declares them on reads only
        unknown = set(query) - openapi_check.query_parameters(doc, template, method) - {"fields", "exclude_fields"}
        if unknown:
            problems.append(f"{method} {template}: undeclared query parameters {sorted(unknown)}")
        schema = openapi_check.request_schema(doc, template, method)
        if schema is not None and body is not None:
            validator = Draft4Validator(corrected(openapi_check.openapi30_to_jsonschema(schema)))
            for err in validator.iter_errors(body):
                problems.append(f"{method} {template}: {'/'.join(map(str, err.absolute_path))}: {err.message}")

    for e in api:
        body = e.body if not isinstance(e.body, bytes | str) else (json.loads(e.body) if e.body else None)
        check(e.method, e.path[len("/3.0"):], body, e.query)
        if e.path == "/3.0/batches" and e.method == "POST":
            for op in body["operations"]:
                check(op["method"], op["path"], json.loads(op["body"]) if op.get("body") else None,
                      op.get("params") or {})
    assert problems == [], "\n".join(problems)
    return used


def test_every_request_is_accepted_and_matches_the_openapi_document(tmp_path: Path) -> None:
    used = check_log(full_apply(tmp_path))
    for needed in [("POST", "/lists/{list_id}/segments"), ("POST", "/lists/{list_id}/merge-fields"),
                   ("POST", "/lists/{list_id}"), ("PUT", "/lists/{list_id}/members/{subscriber_hash}"),
                   ("POST", "/lists/{list_id}/members/{subscriber_hash}/tags"), ("POST", "/batches"),
                   ("POST", "/campaigns"), ("PUT", "/campaigns/{campaign_id}/content"),
                   ("POST", "/campaigns/{campaign_id}/actions/schedule"),
                   ("POST", "/campaigns/{campaign_id}/actions/unschedule"),
                   ("POST", "/campaigns/{campaign_id}/actions/send"),
                   ("PATCH", "/lists/{list_id}/segments/{segment_id}"),
                   ("POST", "/customer-journeys/journeys/{journey_id}/steps/{step_id}/actions/trigger")]:
        assert needed in used, f"{needed} was not exercised"


def test_lists_as_audiences_requests_match_the_document_too(tmp_path: Path) -> None:
    from test_mailchimp_provider import CONTACT, audiences_client

    mc = make_plugins().registry.get("mailchimp")
    h = Harness(mc, audiences_client(), tmp_path, FakeClock(), settings={"lists_as": "audiences",
                                                                         "audience_contact": CONTACT})
    try:
        assert not h.apply().failed
        client = h.account.client
        client.audience.contacts[1] = client.audience.contacts[1].model_copy(update={"lists": ["trade"]})
        assert not h.apply().failed
        used = check_log(list(h.simulator.log))
    finally:
        h.close()
    assert ("POST", "/lists") in used and ("DELETE", "/lists/{list_id}/members/{subscriber_hash}") in used
