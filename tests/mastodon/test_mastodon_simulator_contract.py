"""The simulator conformance kit against the Mastodon simulator (docs.joinmastodon.org; vendor notes:
../shared/vendors/social-runner-reports-migrate.md §1): Bearer tokens, `{"error": ...}` bodies, statuses
created at POST /api/v1/statuses and listed newest first at GET /api/v1/accounts/:id/statuses with `limit`
and a Link header, 300 requests per 5 minutes with X-RateLimit-* headers and no Retry-After."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hub.testing import SimApi, SimulatorContract, WindowLimit
from hub_mastodon.simulator import MastodonSimulator

POST = "/api/v1/statuses"  # where statuses are made; the kit's `collection` is where they are listed


class TestMastodonSimulatorContract(SimulatorContract):
    simulator_cls = MastodonSimulator
    provider_name = "mastodon"
    collection = "/api/v1/accounts/1/statuses"
    create_path = POST
    items_key = ""
    default_page_size = 20  # docs: limit defaults to 20 statuses, max 40
    create_status = (200,)
    # docs api/rate-limits: 300 per 5 minutes; Mastodon's 429 says when in X-RateLimit-Reset, not Retry-After
    rate_limit = WindowLimit(requests=300, per_seconds=300.0, retry_after=False)
    rate_limit_headers = ("X-RateLimit-Limit", "X-RateLimit-Remaining")
    error_keys = ("error",)
    malformed_statuses = (400, 422)  # Rails: unreadable JSON 400; a body without `status` 422 (blank text)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {MastodonSimulator.SANDBOX_TOKEN}"}

    def bad_auth_headers(self) -> list[dict[str, str]]:
        return [{"Authorization": "Bearer wrong-token"}, {"Authorization": MastodonSimulator.SANDBOX_TOKEN},
                {"Authorization": "Basic c2FuZGJveDpzYW5kYm94"}]

    def items_of(self, body: Any) -> list[Any]:
        assert isinstance(body, list), body  # Mastodon lists are bare JSON arrays
        return body

    def create_body(self, n: int) -> dict[str, Any]:
        return {"status": self.key_of(n)}

    def key_of(self, n: int) -> str:
        return f"contract {n}"

    def item_key(self, item: Any) -> str:
        return str(item["content"]).removeprefix("<p>").removesuffix("</p>")

    def first_page(self) -> dict[str, str]:
        return {"limit": str(self.page_size)}

    def next_page(self, body: Any, params: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        raise AssertionError("paged with read_pages, from the Link header")

    def read_pages(self, api: SimApi) -> list[list[Any]]:
        """Pages by the Link header's rel="next" (a full page has one; the page after the last is empty)."""
        pages: list[list[Any]] = []
        target: tuple[str, dict[str, str]] | None = (self.collection, self.first_page())
        while target is not None:
            resp = api.request("GET", target[0], params=target[1])
            assert resp.status_code == 200, resp.text[:300]
            pages.append(self.items_of(resp.json()))
            assert len(pages) <= 200
            nxt = resp.links.get("next")
            target = None
            if nxt:
                url = urlsplit(nxt["url"])
                target = (url.path, dict(parse_qsl(url.query)))
        return pages
