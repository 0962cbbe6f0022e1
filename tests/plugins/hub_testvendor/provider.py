"""Testvendor provider: lists, contacts in bulk (100 a call) and email campaigns, with their results (`hub report`:
up to 50 campaigns' figures a call; no complaints, so that a report shows them as n/a)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from pydantic import SecretStr

from hub import (
    Capability,
    Desired,
    Fidelity,
    ItemResult,
    Limits,
    Live,
    NotFound,
    Provider,
    ProviderSettings,
    RateLimit,
    References,
    Resource,
    Support,
    VendorApi,
)
from hub.content import email_html
from hub.model import Channel, Client
from hub.model.personalisation import MergeTagTranslator, Variable
from hub.report.figures import Metric, Result, Sent


class Settings(ProviderSettings):
    api_key: SecretStr


class Tags(MergeTagTranslator):
    def tag(self, var: Variable) -> str | None:
        if var.name in ("first_name", "email", "unsubscribe_url"):
            return f"[[{var.name}]]"
        return None


def _pages(http: Any, path: str) -> Iterator[dict[str, Any]]:
    page = 1
    while True:
        body = http.get(path, params={"page": page, "per_page": 50})
        yield from body["items"]
        if page >= body["pages"]:
            return
        page += 1


class Lists(Resource):
    kind = "list"
    capability = Capability.LISTS

    def desired(self, client: Client, refs: References) -> list[Desired]:
        return [Desired(x.id, x.name, {"name": x.name}) for x in client.audience.lists]

    def read_live(self, refs: References) -> dict[str, Live]:
        return {x["name"]: Live(x["id"], x["name"], {"name": x["name"]}, x) for x in _pages(self.http, "lists")}

    def create(self, want: Desired, refs: References) -> str:
        return self.http.post("lists", json=want.payload, idempotent=False)["id"]

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        self.http.put(f"lists/{vendor_id}", json=want.payload)
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        self.http.delete(f"lists/{vendor_id}")


class Contacts(Resource):
    kind = "contact"
    many = True
    capability = Capability.CONTACTS
    live_read = False
    batch_size = 100
    prunable = False

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = []
        for c in client.audience.contacts:
            if c.email:
                payload = {"email": c.email.lower(), "name": c.first_name, "lists": sorted(c.lists)}
                if not c.consent.email.sendable:
                    payload["status"] = c.consent.email.value
                out.append(Desired(payload["email"], payload["email"], payload))
        return out

    def lookup(self, natural_key: str, refs: References) -> Live | None:
        try:
            body = self.http.get(f"contacts/{natural_key}")
        except NotFound:
            return None
        return Live(body["id"], natural_key, {}, body)

    def apply_batch(self, items: Sequence[Desired], refs: References) -> list[ItemResult]:
        rows = [{**w.payload, "lists": [refs.require("list", x) for x in w.payload["lists"]]} for w in items]
        answers = {r["email"]: r for r in self.http.post("contacts/bulk", json={"contacts": rows})["results"]}
        out = []
        for w in items:
            r = answers.get(w.id, {"error": "missing"})
            out.append(ItemResult(w.id, "id" in r, r.get("id", ""), r.get("error", "")))
        return out


STATS_PER_CALL = 50
STATS = {Metric.SENT: "sent", Metric.DELIVERED: "delivered", Metric.BOUNCED_HARD: "hard_bounces",
         Metric.OPENS: "unique_opens", Metric.CLICKS: "unique_clicks", Metric.UNSUBSCRIBES: "unsubscribes"}


class Campaigns(Resource):
    kind = "email_campaign"
    capability = Capability.EMAIL_CAMPAIGNS
    reports = {metric: f"stats[].{name}" for metric, name in STATS.items()}

    def read_results(self, sent: Sequence[Sent], refs: References) -> list[Result]:
        """`GET campaigns/stats?ids=...`, 50 campaigns a call; a campaign the vendor no longer has is left out."""
        out = []
        for start in range(0, len(sent), STATS_PER_CALL):
            chunk = {s.vendor_id: s for s in sent[start:start + STATS_PER_CALL]}
            for row in self.http.get("campaigns/stats", params={"ids": ",".join(chunk)})["stats"]:
                s = chunk[row["id"]]
                when = s.sent_at or self.ctx.clock.utcnow()
                day = date.fromisoformat(row["day"]) if row.get("day") else when.date()
                out.append(Result(s, day, {m: float(row.get(name, 0)) for m, name in STATS.items()},
                                  settled=bool(row.get("final"))))
        return out

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = []
        for c in client.campaigns:
            if c.email:
                body, _ = Tags().translate(email_html(c.email))
                payload = {"name": c.name, "subject": c.email.subject, "body": body, "list": c.audience.list}
                out.append(Desired(c.id, c.name, payload))
        return out

    def _live(self, x: dict[str, Any], refs: References) -> Live:
        payload = {"name": x["name"], "subject": x["subject"], "body": x["body"],
                   "list": refs.neutral_id("list", x["list_id"]) or x["list_id"]}
        return Live(x["id"], x["name"], payload, x)

    def read_live(self, refs: References) -> dict[str, Live]:
        return {x["name"]: self._live(x, refs) for x in _pages(self.http, "campaigns")}

    def _body(self, want: Desired, refs: References) -> dict[str, Any]:
        p = want.payload
        list_id = refs.require("list", p["list"])
        return {"name": p["name"], "subject": p["subject"], "body": p["body"], "list_id": list_id}

    def create(self, want: Desired, refs: References) -> str:
        return self.http.post("campaigns", json=self._body(want, refs), idempotent=False)["id"]

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        self.http.put(f"campaigns/{vendor_id}", json=self._body(want, refs))
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        self.http.delete(f"campaigns/{vendor_id}")


class TestvendorApi(VendorApi[Settings]):
    def auth_headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.settings.api_key.get_secret_value()}


class TestvendorProvider(Provider):
    name = "testvendor"
    display_name = "Testvendor"
    docs_url = "https://example.invalid/testvendor"
    channels = frozenset({Channel.EMAIL})
    capabilities = {
        Capability.LISTS: Support(Fidelity.EXACT),
        Capability.CONTACTS: Support(Fidelity.EXACT, "100 per bulk call"),
        Capability.EMAIL_CAMPAIGNS: Support(Fidelity.EXACT),
    }
    limits = Limits(rate=(RateLimit("default", 10, 1.0),), max_concurrency=2, retry_attempts=4)
    Settings = Settings
    Api = TestvendorApi
    default_base_url = "https://api.testvendor.invalid/v1"
    simulator = "hub_testvendor.simulator:TestvendorSimulator"
    resource_types = (Lists, Contacts, Campaigns)

    @classmethod
    def merge_tags(cls, client: Client) -> MergeTagTranslator:
        return Tags()

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "api_key": "test-key"}
