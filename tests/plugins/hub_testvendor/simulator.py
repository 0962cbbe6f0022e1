"""Simulator of the imaginary Testvendor API (JSON, X-Api-Key auth, page pagination, 10 requests/s), built
on the kit's store: a small worked example of a vendor simulator."""

from __future__ import annotations

from typing import Any

from hub.simulator import Collection, Row, SimRequest, SimResponse, Simulator, page_by_number, route

LISTS = Collection("lists", model="list")
CONTACTS = Collection("contacts", model="contact", key="email")  # looked up by email
CAMPAIGNS = Collection("campaigns", model="campaign")
CAMPAIGN_FIELDS = ("name", "subject", "body", "list_id")


class TestvendorSimulator(Simulator):
    __test__ = False  # not a pytest test class, despite its name
    name = "testvendor"
    base_path = "/v1"
    collections = (LISTS, CONTACTS, CAMPAIGNS)
    error_messages = {429: "slow down"}

    def __init__(self, clock: Any = None, *, keys: dict[str, str] | None = None, rate: int = 10,
                 window: float = 1.0, page_max: int = 50, **options: Any) -> None:
        super().__init__(clock, **options)
        self.keys = keys or {"test-key": "main"}
        self.rate, self.window, self.page_max = rate, window, page_max
        self.stats: dict[str, dict[str, Any]] = {}  # campaign id -> its figures (set by tests: `set_stats`)

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        return self.keys.get(req.headers.get("x-api-key", "")) or self.error(401, "invalid API key")

    def alias_credential(self, new: str, existing: str) -> None:
        self.keys[new] = self.keys[existing]

    def rate_limits(self, req: SimRequest) -> list[Any]:
        return [("requests", self.rate, self.window)]

    def error_body(self, status: int, message: str) -> Any:
        return {"error": message}

    def missing(self, req: SimRequest, model: str, key: object) -> SimResponse:
        return self.error(404, f"{model} {key} not found")

    def _invalid(self, **fields: str) -> SimResponse:
        return SimResponse(422, {"error": "invalid", "fields": {k: [v] for k, v in fields.items()}})

    def _page(self, req: SimRequest, spec: Collection) -> dict[str, Any]:
        per_page = min(int(req.arg("per_page", "20") or 20), self.page_max)
        page = page_by_number(list(self.table(req.account or "main", spec).values()),
                              int(req.arg("page", "1") or 1), per_page)
        return {"items": page.items, "page": page.number, "pages": page.last_page}

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{self.next_seq():06d}"

    # -- lists ---------------------------------------------------------------------------------------
    @route("GET", "/v1/lists")
    def list_lists(self, req: SimRequest) -> Any:
        return self._page(req, LISTS)

    @route("POST", "/v1/lists")
    def create_list(self, req: SimRequest) -> Any:
        name = ((req.json() or {}).get("name") or "").strip()
        if not name:
            return self._invalid(name="is required")
        # names may repeat: creating is not idempotent
        return 201, self.table(req.account or "main", LISTS).insert({"id": self._new_id("L"), "name": name})

    @route("PUT", "/v1/lists/{id}")
    def update_list(self, req: SimRequest) -> Any:
        lists = self.table(req.account or "main", LISTS)
        item = lists.require(req.params["id"])
        return lists.update(item, name=(req.json() or {}).get("name", item["name"]))

    @route("DELETE", "/v1/lists/{id}")
    def delete_list(self, req: SimRequest) -> Any:
        lists = self.table(req.account or "main", LISTS)
        lists.pop(str(lists.require(req.params["id"])["id"]))
        return 204, None

    # -- contacts ------------------------------------------------------------------------------------
    @route("POST", "/v1/contacts/bulk")
    def bulk_contacts(self, req: SimRequest) -> Any:
        rows = (req.json() or {}).get("contacts") or []
        if len(rows) > 100:
            return self._invalid(contacts="at most 100 per request")
        contacts = self.table(req.account or "main", CONTACTS)
        results = []
        for row in rows:
            email = (row.get("email") or "").lower()
            if "@" not in email:
                results.append({"email": email, "error": "invalid email"})
                continue
            existing: Row | None = contacts.get(email)
            created = existing is None
            if existing is None:
                existing = contacts.insert({"id": self._new_id("C"), "email": email, "status": "subscribed"})
            existing["name"] = row.get("name", existing.get("name", ""))
            existing["lists"] = sorted(set(row.get("lists") or []))
            if row.get("status") and existing["status"] == "subscribed":
                existing["status"] = row["status"]  # never re-subscribes anyone
            results.append({"email": email, "id": existing["id"], "created": created})
        return {"results": results}

    @route("GET", "/v1/contacts/{id}")
    def get_contact(self, req: SimRequest) -> Any:
        return self.table(req.account or "main", CONTACTS).require(req.params["id"].lower())

    # -- campaigns -----------------------------------------------------------------------------------
    @route("GET", "/v1/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        return self._page(req, CAMPAIGNS)

    @route("POST", "/v1/campaigns")
    def create_campaign(self, req: SimRequest) -> Any:
        body = req.json() or {}
        if not body.get("name") or not body.get("list_id"):
            return self._invalid(name="is required", list_id="is required")
        if body["list_id"] not in self.table(req.account or "main", LISTS):
            return self._invalid(list_id="unknown list")
        item = {"id": self._new_id("K"), **{k: body.get(k) for k in CAMPAIGN_FIELDS}}
        return 201, self.table(req.account or "main", CAMPAIGNS).insert(item)  # names may repeat

    @route("GET", "/v1/campaigns/stats")
    def campaign_stats(self, req: SimRequest) -> Any:
        ids = [i for i in (req.arg("ids", "") or "").split(",") if i]
        if len(ids) > 50:
            return self._invalid(ids="at most 50 per request")
        campaigns = self.table(req.account or "main", CAMPAIGNS)
        return {"stats": [{"id": i, "sent": 0, **self.stats.get(i, {})} for i in ids if i in campaigns]}

    @route("PUT", "/v1/campaigns/{id}")
    def update_campaign(self, req: SimRequest) -> Any:
        campaigns = self.table(req.account or "main", CAMPAIGNS)
        body = req.json() or {}
        return campaigns.update(req.params["id"], {k: body[k] for k in CAMPAIGN_FIELDS if k in body})

    @route("DELETE", "/v1/campaigns/{id}")
    def delete_campaign(self, req: SimRequest) -> Any:
        campaigns = self.table(req.account or "main", CAMPAIGNS)
        campaigns.pop(str(campaigns.require(req.params["id"])["id"]))
        return 204, None

    # -- for tests -----------------------------------------------------------------------------------
    def set_stats(self, campaign_id: str, **figures: Any) -> None:
        """What the vendor reports for a campaign from now on (sent, delivered, hard_bounces, unique_opens,
        unique_clicks, unsubscribes; `day` as YYYY-MM-DD; `final`: the figures can no longer change)."""
        with self.lock:
            self.stats[campaign_id] = dict(figures)

    def contacts(self, account: str = "main") -> list[dict[str, Any]]:
        return self.items("contacts", account)

    def items(self, coll: str, account: str = "main") -> list[dict[str, Any]]:
        with self.lock:
            return [dict(x) for x in self.table(account, coll).values()]
