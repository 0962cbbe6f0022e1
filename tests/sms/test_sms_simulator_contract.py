"""The simulator conformance kit against the Twilio simulator (vendor notes: vendors/mailchimp-twilio.md §3):
form-encoded bodies, Basic auth, the 2010-04-01 list envelope paged with PageSize/Page and a relative
next_page_uri."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import requests

from hub.testing import ConcurrencyLimit, SimulatorContract
from hub_sms.simulator import TwilioSimulator

ACC = TwilioSimulator.SANDBOX_ACCOUNT_SID
FORM = "application/x-www-form-urlencoded"


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class TestTwilioSimulatorContract(SimulatorContract):
    simulator_cls = TwilioSimulator
    provider_name = "sms"
    collection = f"/2010-04-01/Accounts/{ACC}/Messages.json"
    items_key = "messages"
    default_page_size = 50  # §3.3: PageSize default 50
    create_status = (201,)  # §6: 201 for creates
    # §3.5: 429 / 20429, which Twilio's error page calls a limit of concurrent requests (the usual 100 is
    # unverified); a small one here so the test holds few requests
    rate_limit = ConcurrencyLimit(connections=3, retry_after=True, options={"api_concurrency": 3})
    error_keys = ("code", "message", "more_info", "status")  # §3.5 REST error JSON
    malformed_statuses = (400,)
    settle_seconds = 10.0  # §3.3: queued → sending → sent → delivered; 1 segment a second per long code
    malformed_bodies = (
        ("a form that is not UTF-8", b"To=%2B14155550100&From=%2B15017122661&Body=\xff\xfe", FORM),
        ("JSON instead of a form", b'{"To": "+14155550100", "Body": "hi"}', "application/json"),
        ("broken percent escapes", b"To=%ZZ%2&From=%&Body=%E2%82", FORM),
        ("no body at all", b"", FORM),
    )

    def auth_headers(self) -> dict[str, str]:
        return _basic(ACC, TwilioSimulator.SANDBOX_AUTH_TOKEN)  # §3.1: account SID + auth token

    def bad_auth_headers(self) -> list[dict[str, str]]:
        return [
            _basic(ACC, "wrong-token"),
            _basic(TwilioSimulator.SANDBOX_API_KEY_SID, "wrong-secret"),
            _basic("AC" + "0" * 32, TwilioSimulator.SANDBOX_AUTH_TOKEN),
            {"Authorization": f"Bearer {TwilioSimulator.SANDBOX_AUTH_TOKEN}"},
        ]

    def encode(self, body: dict[str, Any]) -> tuple[bytes, str]:
        return urlencode(body, doseq=True).encode("utf-8"), FORM  # §3.1: POST bodies are form-encoded

    def create_body(self, n: int) -> dict[str, Any]:
        return {"To": self.key_of(n), "From": TwilioSimulator.SANDBOX_FROM_NUMBER, "Body": f"contract {n}"}

    def key_of(self, n: int) -> str:
        return f"+1415555{n:04d}"

    def item_key(self, item: Any) -> str:
        return str(item["to"])

    def is_settled(self, item: Any) -> bool:
        return item["status"] == "delivered"

    def first_page(self) -> dict[str, str]:
        return {"PageSize": str(self.page_size)}

    def next_page(self, body: Any, params: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        uri = body["next_page_uri"]  # §3.6: relative to the API's host, the query included
        assert uri is None or uri.startswith("/2010-04-01/"), uri
        return (uri, {}) if uri else None

    def check_error(self, resp: requests.Response, status: int) -> None:
        super().check_error(resp, status)
        body = resp.json()
        assert body["status"] == status and isinstance(body["code"], int), body
        assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}", body
        codes = {401: 20003, 404: 20404, 429: 20429}  # §3.5, §6
        if status in codes:
            assert body["code"] == codes[status], body
