"""Simulator of the imaginary Testvendor API (JSON, X-Api-Key auth, page pagination, 10 requests/s)."""

from __future__ import annotations

import math
from typing import Any

from hub.simulator import Abort, SimRequest, SimResponse, Simulator, route


class TestvendorSimulator(Simulator):
    __test__ = False  # not a pytest test class, despite its name
    name = "testvendor"
    base_path = "/v1"

    def __init__(self, clock: Any = None, *, keys: dict[str, str] | None = None, rate: int = 10,
                 window: float = 1.0, page_max: int = 50, **options: Any) -> None:
        super().__init__(clock, **options)
        self.keys = keys or {"test-key": "main"}
        self.rate, self.window, self.page_max = rate, window, page_max

    def initial_state(self) -> dict[str, Any]:
        return {"lists": {}, "contacts": {}, "campaigns": {}}

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        account = self.keys.get(req.headers.get("x-api-key", ""))
        return account or SimResponse(401, {"error": "invalid API key"})

    def alias_credential(self, new: str, existing: str) -> None:
        self.keys[new] = self.keys[existing]

    def rate_limits(self, req: SimRequest) -> list[Any]:
        return [("requests", self.rate, self.window)]

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        return SimResponse(429, {"error": "slow down"}, {"Retry-After": str(retry_after)})

    def not_found(self, req: SimRequest) -> SimResponse:
        return SimResponse(404, {"error": f"no route {req.path}"})

    def fault_response(self, req: SimRequest, status: int, retry_after: int | None) -> SimResponse:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return SimResponse(status, {"error": f"injected {status}"}, headers)

    # -- helpers ------------------------------------------------------------------------------------
    def _acct(self, req: SimRequest) -> dict[str, Any]:
        return self.account_state(req.account or "main")

    def _page(self, req: SimRequest, items: list[dict[str, Any]]) -> dict[str, Any]:
        per_page = min(int(req.arg("per_page", "20") or 20), self.page_max)
        page = max(int(req.arg("page", "1") or 1), 1)
        pages = max(1, math.ceil(len(items) / per_page))
        return {"items": items[(page - 1) * per_page: page * per_page], "page": page, "pages": pages}

    def _get(self, req: SimRequest, coll: str) -> dict[str, Any]:
        item = self._acct(req)[coll].get(req.params["id"])
        if item is None:
            raise Abort(404, {"error": f"{coll[:-1]} {req.params['id']} not found"})
        return item

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{self.next_seq():06d}"

    # -- lists ---------------------------------------------------------------------------------------
    @route("GET", "/v1/lists")
    def list_lists(self, req: SimRequest) -> Any:
        return 200, self._page(req, list(self._acct(req)["lists"].values()))

    @route("POST", "/v1/lists")
    def create_list(self, req: SimRequest) -> Any:
        body = req.json() or {}
        name = (body.get("name") or "").strip()
        if not name:
            return 422, {"error": "invalid", "fields": {"name": ["is required"]}}
        item = {"id": self._new_id("L"), "name": name}  # names may repeat: creating is not idempotent
        self._acct(req)["lists"][item["id"]] = item
        return 201, item

    @route("PUT", "/v1/lists/{id}")
    def update_list(self, req: SimRequest) -> Any:
        item = self._get(req, "lists")
        item["name"] = (req.json() or {}).get("name", item["name"])
        return 200, item

    @route("DELETE", "/v1/lists/{id}")
    def delete_list(self, req: SimRequest) -> Any:
        self._get(req, "lists")
        del self._acct(req)["lists"][req.params["id"]]
        return 204, None

    # -- contacts ------------------------------------------------------------------------------------
    @route("POST", "/v1/contacts/bulk")
    def bulk_contacts(self, req: SimRequest) -> Any:
        rows = (req.json() or {}).get("contacts") or []
        if len(rows) > 100:
            return 422, {"error": "invalid", "fields": {"contacts": ["at most 100 per request"]}}
        results = []
        contacts = self._acct(req)["contacts"]
        for row in rows:
            email = (row.get("email") or "").lower()
            if "@" not in email:
                results.append({"email": email, "error": "invalid email"})
                continue
            existing = contacts.get(email)
            if existing is None:
                existing = contacts[email] = {"id": self._new_id("C"), "email": email, "status": "subscribed"}
                created = True
            else:
                created = False
            existing["name"] = row.get("name", existing.get("name", ""))
            existing["lists"] = sorted(set(row.get("lists") or []))
            if row.get("status") and existing["status"] == "subscribed":
                existing["status"] = row["status"]  # never re-subscribes anyone
            results.append({"email": email, "id": existing["id"], "created": created})
        return 200, {"results": results}

    @route("GET", "/v1/contacts/{id}")
    def get_contact(self, req: SimRequest) -> Any:
        item = self._acct(req)["contacts"].get(req.params["id"].lower())
        return (200, item) if item else (404, {"error": "contact not found"})

    # -- campaigns -----------------------------------------------------------------------------------
    @route("GET", "/v1/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        return 200, self._page(req, list(self._acct(req)["campaigns"].values()))

    @route("POST", "/v1/campaigns")
    def create_campaign(self, req: SimRequest) -> Any:
        body = req.json() or {}
        if not body.get("name") or not body.get("list_id"):
            return 422, {"error": "invalid", "fields": {"name": ["is required"], "list_id": ["is required"]}}
        if body["list_id"] not in self._acct(req)["lists"]:
            return 422, {"error": "invalid", "fields": {"list_id": ["unknown list"]}}
        item = {"id": self._new_id("K"), **{k: body.get(k) for k in ("name", "subject", "body", "list_id")}}
        self._acct(req)["campaigns"][item["id"]] = item  # duplicate names allowed: creates are not idempotent
        return 201, item

    @route("PUT", "/v1/campaigns/{id}")
    def update_campaign(self, req: SimRequest) -> Any:
        item = self._get(req, "campaigns")
        body = req.json() or {}
        item.update({k: body[k] for k in ("name", "subject", "body", "list_id") if k in body})
        return 200, item

    @route("DELETE", "/v1/campaigns/{id}")
    def delete_campaign(self, req: SimRequest) -> Any:
        self._get(req, "campaigns")
        del self._acct(req)["campaigns"][req.params["id"]]
        return 204, None

    # -- for tests -----------------------------------------------------------------------------------
    def contacts(self, account: str = "main") -> list[dict[str, Any]]:
        return self.items("contacts", account)

    def items(self, coll: str, account: str = "main") -> list[dict[str, Any]]:
        with self.lock:
            return [dict(x) for x in self.account_state(account)[coll].values()]
