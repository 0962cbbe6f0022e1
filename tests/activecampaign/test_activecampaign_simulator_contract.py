"""The simulator conformance kit against the ActiveCampaign simulator (vendor notes:
vendors/mailerlite-activecampaign.md part B)."""

from __future__ import annotations

from typing import Any

import requests

from hub.testing import SimulatorContract, WindowLimit
from hub_activecampaign.simulator import ActiveCampaignSimulator


class TestActiveCampaignSimulatorContract(SimulatorContract):
    simulator_cls = ActiveCampaignSimulator
    provider_name = "activecampaign"
    collection = "/contacts"
    items_key = "contacts"
    default_page_size = 20  # B.3: limit defaults to 20 (B.14 #1: integrations that missed it)
    unauthenticated_status = 403  # B.4: a bad or missing Api-Token yields 403 (some report 401: unverified)
    rate_limit = WindowLimit(requests=5, per_seconds=1.0)  # B.2: 5 a second per account, 429 + Retry-After
    rate_limit_headers = ("RateLimit-Limit", "RateLimit-Remaining")  # B.2 (names per the rate-limit page)
    error_keys = ()  # B.4: {"message": ...} or {"errors": [...]}, see check_error
    malformed_statuses = (400, 422)

    def auth_headers(self) -> dict[str, str]:
        return {"Api-Token": "sandbox-token"}

    def bad_auth_headers(self) -> list[dict[str, str]]:
        return [{"Api-Token": "wrong-token"}, {"Authorization": "Bearer sandbox-token"}, {"Api-Token": ""}]

    def create_body(self, n: int) -> dict[str, Any]:
        return {"contact": {"email": f"contract{n:03d}@example.org", "firstName": f"C{n}"}}  # B.1: wrapped

    def key_of(self, n: int) -> str:
        return f"contract{n:03d}@example.org"

    def item_key(self, item: Any) -> str:
        return str(item["email"])

    def first_page(self) -> dict[str, str]:
        return {"limit": str(self.page_size), "offset": "0"}

    def next_page(self, body: Any, params: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        total = body["meta"]["total"]
        assert isinstance(total, str), "B.1: meta.total is a string"
        offset = int(params["offset"]) + int(params["limit"])
        return (self.collection, {**params, "offset": str(offset)}) if offset < int(total) else None

    def check_error(self, resp: requests.Response, status: int) -> None:
        super().check_error(resp, status)
        body = resp.json()
        if status in (403, 404, 429, 503):
            assert isinstance(body.get("message"), str), body
        if status in (400, 422):  # the JSON:API-ish list of errors
            assert isinstance(body.get("errors"), list) and body["errors"], body
            assert all(isinstance(e, dict) and e.get("title") for e in body["errors"]), body
