"""MailerLite's API for one account: authentication, rate-limit buckets, paginated lists, ``/batch``, and
the reads several resources share (groups stand for both lists and tags)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import SecretStr

from hub.plugin import (
    Client,
    Contact,
    NotFound,
    Provider,
    ProviderContext,
    ProviderError,
    ProviderSettings,
    References,
    SharedRead,
    VendorApi,
    by_cursor,
    by_page_number,
    every_item,
    under,
)

from . import mapping as m

# Lists are drained in the fewest requests: the largest pages MailerLite gives.
PAGE = 100  # page/limit lists (groups, fields, segments, campaigns, automations)
CURSOR_PAGE = 1000  # cursor lists (subscribers)


class MailerLiteSettings(ProviderSettings):
    api_key: SecretStr
    api_version: str | None = None  # sent as X-Version to pin behaviour


def _last_page(body: Any) -> int:
    return int((body.get("meta") or {}).get("last_page") or 1)  # no page count: the only page


def _next_cursor(body: Any) -> str | None:
    return (body.get("meta") or {}).get("next_cursor")


# -- resources --------------------------------------------------------------------------------------

class MailerLiteApi(VendorApi[MailerLiteSettings]):
    def __init__(self, vendor: type[Provider], settings: MailerLiteSettings, ctx: ProviderContext) -> None:
        super().__init__(vendor, settings, ctx)
        self._groups = SharedRead()
        self._timezones = SharedRead()

    def auth_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.settings.api_key.get_secret_value()}"}
        if self.settings.api_version:
            headers["X-Version"] = self.settings.api_version
        return headers

    def bucket_for(self, method: str, path: str, body: Any) -> tuple[str, ...]:
        path = path.strip("/")
        if path.endswith("import-subscribers"):
            return ("default", "import")
        if path == "batch" and isinstance(body, dict):
            reqs = body.get("requests") or []
            if reqs and all(r.get("method") == "POST" and r.get("path", "").strip("/") == "api/subscribers"
                            for r in reqs):
                return ("default", "import")  # a batch of only upserts counts as an import
        return ("default",)

    # -- reading ------------------------------------------------------------------------------------
    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a page/limit list ({"data": [...], "meta": {"last_page": N}})."""
        return every_item(by_page_number(
            lambda page: self.http.get(path, params={**(params or {}), "limit": PAGE, "page": page}),
            under("data"), last_page=_last_page))

    def cursor_pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a cursor list ({"data": [...], "meta": {"next_cursor": "..."}})."""

        def fetch(cursor: str | None) -> Any:
            query = {**(params or {}), "limit": CURSOR_PAGE}
            if cursor:
                query["cursor"] = cursor
            return self.http.get(path, params=query)

        return every_item(by_cursor(fetch, under("data"), next_cursor=_next_cursor))

    # -- shared reads ------------------------------------------------------------------------------
    def groups(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        return self._groups.get(lambda: list(self.pages("groups")), refresh=refresh)

    def forget_groups(self) -> None:
        self._groups.forget()

    def timezone_ids(self) -> dict[str, str]:
        return self._timezones.get(lambda: {t["name"]: str(t["id"])
                                            for t in self.http.get("timezones").get("data") or []})

    def batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST /batch (≤ 50 sub-requests); answers in request order. Sub-requests are upserts or
        assignments, so resending the whole batch after a lost answer is safe."""
        if not requests:
            return []
        body = self.http.post("batch", json={"requests": requests}, idempotent=True)
        answers = body.get("responses") or []
        if len(answers) != len(requests):
            raise ProviderError(f"/batch answered {len(answers)} of {len(requests)} requests", provider=self.name)
        return answers

    def set_contact_field(self, client: Client, email: str, field_id: str, value: str, refs: References) -> None:
        key = m.field_keys(client).get(field_id, field_id)
        try:
            sub = self.http.get(f"subscribers/{email}")["data"]
        except NotFound:
            return  # not at MailerLite (yet): the next contact push carries the workspace's value
        self.http.put(f"subscribers/{sub['id']}", json={"fields": {key: value}})

    def read_members(self, client: Client, list_id: str, segment_id: str | None,
                     refs: References) -> list[Contact]:
        if segment_id:
            path = f"segments/{refs.require('segment', segment_id)}/subscribers"
        else:
            path = f"groups/{refs.require('list', list_id)}/subscribers"
        neutral_keys = {key: fid for fid, key in m.field_keys(client).items()}
        members = []
        for status in ("active", "unsubscribed", "unconfirmed", "bounced", "junk"):  # member lists default to active
            for s in self.cursor_pages(path, {"filter[status]": status}):
                members.append(m.contact_from_subscriber(s, neutral_keys))
        return members

