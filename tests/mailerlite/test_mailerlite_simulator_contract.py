"""The simulator conformance kit against the MailerLite simulator (vendor notes: vendors/mailerlite-activecampaign.md
part A)."""

from __future__ import annotations

from typing import Any

import requests

from hub.testing import SimulatorContract, WindowLimit
from hub_mailerlite.simulator import MailerLiteSimulator


class TestMailerLiteSimulatorContract(SimulatorContract):
    simulator_cls = MailerLiteSimulator
    provider_name = "mailerlite"
    collection = "/subscribers"  # cursor-paginated (A.3): the list SDKs got wrong (A.16 #1)
    items_key = "data"
    default_page_size = 25  # A.3: subscribers default limit 25
    rate_limit = WindowLimit(requests=120, per_seconds=60.0)  # A.2: 120 a minute, 429 + Retry-After
    rate_limit_headers = ("x-ratelimit-limit", "x-ratelimit-remaining")  # A.2: on every response
    malformed_statuses = (422,)  # Laravel reads unreadable JSON as empty input, then validates (A.4)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer sandbox-token"}

    def bad_auth_headers(self) -> list[dict[str, str]]:
        return [{"Authorization": "Bearer wrong-token"}, {"Authorization": "sandbox-token"},
                {"Authorization": "Basic c2FuZGJveC10b2tlbjo="}]

    def create_body(self, n: int) -> dict[str, Any]:
        return {"email": f"Contract{n:03d}@Example.org"}

    def key_of(self, n: int) -> str:
        return f"contract{n:03d}@example.org"  # stored lower-cased (A.5)

    def item_key(self, item: Any) -> str:
        return str(item["email"])

    def first_page(self) -> dict[str, str]:
        return {"limit": str(self.page_size)}

    def next_page(self, body: Any, params: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        cursor = body["meta"]["next_cursor"]
        return (self.collection, {"limit": params["limit"], "cursor": cursor}) if cursor else None

    def check_error(self, resp: requests.Response, status: int) -> None:
        super().check_error(resp, status)
        body = resp.json()
        if status == 401:
            assert body == {"message": "Unauthenticated."}
        if status == 422:  # Laravel's validation shape, dotted keys
            assert body["message"] == "The given data was invalid." and isinstance(body["errors"], dict)
        if status == 429:
            assert body == {"message": "Too Many Attempts."}
