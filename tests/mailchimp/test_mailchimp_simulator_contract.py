"""The simulator conformance kit against the Mailchimp simulator (vendor notes: vendors/mailchimp-twilio.md §1-2)."""

from __future__ import annotations

import base64
from typing import Any

import requests

from hub.testing import ConcurrencyLimit, SimulatorContract
from hub_mailchimp.simulator import MailchimpSimulator

AUDIENCE = MailchimpSimulator.SANDBOX_AUDIENCE


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class TestMailchimpSimulatorContract(SimulatorContract):
    simulator_cls = MailchimpSimulator
    provider_name = "mailchimp"
    collection = f"/lists/{AUDIENCE}/members"
    items_key = "members"
    default_page_size = 10  # §2.1: count defaults to 10
    # §2.1: 10 simultaneous connections per account, then 429; no per-minute quota and no Retry-After known
    rate_limit = ConcurrencyLimit(connections=10, retry_after=False)
    error_keys = ("type", "title", "status", "detail", "instance")  # §2.2 problem detail
    malformed_statuses = (400,)

    def auth_headers(self) -> dict[str, str]:
        return _basic("anystring", MailchimpSimulator.SANDBOX_KEY)  # §2.1: any user name, the key as password

    def bad_auth_headers(self) -> list[dict[str, str]]:
        return [_basic("anystring", "wrong-key-us1"), _basic(MailchimpSimulator.SANDBOX_KEY, ""),
                {"Authorization": "Bearer wrong-token"}]

    def create_body(self, n: int) -> dict[str, Any]:
        return {"email_address": f"Contract{n:03d}@Example.org", "status": "subscribed"}

    def key_of(self, n: int) -> str:
        return f"Contract{n:03d}@Example.org"

    def item_key(self, item: Any) -> str:
        return str(item["email_address"])

    def first_page(self) -> dict[str, str]:
        return {"count": str(self.page_size), "offset": "0"}

    def next_page(self, body: Any, params: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        offset = int(params["offset"]) + int(params["count"])  # §4.1 M4: until offset >= total_items
        return (self.collection, {**params, "offset": str(offset)}) if offset < body["total_items"] else None

    def check_error(self, resp: requests.Response, status: int) -> None:
        super().check_error(resp, status)
        body = resp.json()
        assert resp.headers["Content-Type"].startswith("application/problem+json"), resp.headers  # §1.2, §2.1
        assert body["status"] == status and body["instance"] == resp.headers["X-Request-Id"]  # §2.2
        titles = {401: "API Key Invalid", 404: "Resource Not Found", 429: "Too Many Requests"}
        if status in titles:
            assert body["title"] == titles[status]
