"""ActiveCampaign's API for one account, over hub's shared HTTP client.

v3 lives at `<account URL>/api/3` (header `Api-Token`); v1 at `<account URL>/admin/api.php` with
`api_key`, `api_action` and `api_output=json` in the query string and a form-encoded body. Both go through
`self.http`, so they share the account's 5 requests a second, retries and error mapping. The v1 key is
in a URL: hub registers it for redaction, and no error message here ever quotes a URL with its query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import requests
from pydantic import SecretStr, field_validator

from hub.plugin import (
    AuthError,
    Client,
    Contact,
    NotFound,
    Page,
    ProviderError,
    ProviderSettings,
    RateLimited,
    References,
    Unavailable,
    VendorApi,
    VendorValidationError,
    by_offset,
    default_error,
    every_item,
    retry_after_seconds,
    timezone_problem,
    under,
)

from . import mapping as m

IMPORT_MAX = 250  # contacts per POST /import/bulk_import
PAGE = 100  # the largest page v3 gives
V1_PAGE = 20  # rows of a v1 campaign_list page
IMPORT_WINDOW = 60.0  # vendor seconds of the import budget (100 imports a minute)


class ActiveCampaignSettings(ProviderSettings):
    api_key: SecretStr  # sent as Api-Token (v3) and api_key (v1)
    # the account's API URL from Settings -> Developer, e.g. https://acme.api-us1.com (with or without /api/3)
    base_url: str
    # the timezone in the account's settings: v1 reads campaign send times in it (default: the client's)
    account_timezone: str | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s?#]+", value):
            raise ValueError("base_url must be the account's API URL from Settings -> Developer,"
                             " like https://acme.api-us1.com")
        if "?" in value or "#" in value:
            raise ValueError("base_url must not carry a query string")
        return value

    @field_validator("account_timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        if value is None:
            return None
        why = timezone_problem(value)
        if why:
            raise ValueError(why)
        return value


class ActiveCampaignApi(VendorApi[ActiveCampaignSettings]):
    @property
    def api_root(self) -> str:
        """The account URL without /api/3 (v1 lives under it)."""
        url = (self.settings.base_url or "").rstrip("/")
        return url[: -len("/api/3")] if url.endswith("/api/3") else url

    @property
    def base_url(self) -> str:
        return self.api_root + "/api/3"

    @property
    def account_timezone(self) -> str | None:
        return self.settings.account_timezone

    def auth_headers(self) -> dict[str, str]:
        return {"Api-Token": self.settings.api_key.get_secret_value()}

    def bucket_for(self, method: str, path: str, body: Any) -> tuple[str, ...]:
        if method.upper() == "POST" and path.split("?", 1)[0].rstrip("/").endswith("import/bulk_import"):
            return ("default", "import")
        return ("default",)

    # -- errors -------------------------------------------------------------------------------------
    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> Exception:
        text = error_text(body)
        msg = f"HTTP {status}: {text}"
        if status == 403 and "SubscriberSeries" in text:
            return VendorValidationError(msg + " (is the automation active? ActiveCampaign refuses to enrol contacts"
                                               " in an inactive automation)", provider=self.name, status=status)
        if status == 400 and isinstance(body, dict) and "rate limit" in str(body.get("message", "")).lower():
            # the bulk import's own budget (100 a minute) answers 400, without Retry-After
            return RateLimited(msg, retry_after=retry_after_seconds(headers) or IMPORT_WINDOW, provider=self.name,
                               status=status)
        return default_error(self.name, status, body, headers, text=text, errors=failure_reasons(body),
                             auth_hint="check the account's API token and base_url: Settings -> Developer")

    # -- reading ------------------------------------------------------------------------------------
    def _v3_pages(self, path: str, key: str, params: Mapping[str, Any] | None) -> Iterator[Page[Any]]:
        """The pages of a v3 collection, its items under `key`: limit/offset, 100 at a time (the default is
        20). `meta.total` may be missing, so a short page ends the walk too."""

        def fetch(offset: int) -> Any:
            return self.http.get(path, params={**(params or {}), "limit": PAGE, "offset": offset}) or {}

        return by_offset(fetch, under(key), total=_total, size=PAGE)

    def page_bodies(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every page of a v3 collection as the body the API answered (with its side-loaded objects)."""
        return (page.body for page in self._v3_pages(path, key, params))

    def pages(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a v3 collection."""
        return every_item(self._v3_pages(path, key, params))

    def contact_id(self, email: str) -> str | None:
        body = self.http.get("contacts", params={"email": email})
        for c in body.get("contacts") or []:
            if str(c.get("email", "")).lower() == email.lower():
                return str(c["id"])
        return None

    def campaign_lists(self, campaign_ids: list[str]) -> dict[str, list[str]]:
        """The list ids of campaigns: v3 does not show them, v1 `campaign_list` does (20 a page)."""
        out: dict[str, list[str]] = {}
        for i in range(0, len(campaign_ids), V1_PAGE):
            chunk = campaign_ids[i:i + V1_PAGE]
            try:
                body = self.v1("campaign_list", {"ids": ",".join(chunk)}, read=True)
            except VendorValidationError:
                continue  # "nothing is returned": those campaigns are gone
            for key, row in body.items():
                if key.isdigit() and isinstance(row, dict) and row.get("id") is not None:
                    out[str(row["id"])] = m.v1_list_ids(row.get("lists"))
        return out

    # -- v1 ---------------------------------------------------------------------------------------------
    def v1(self, action: str, data: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
        """One v1 action: a form-encoded POST, or a GET for `read` actions. `result_code: 0` is a validation
        error with the vendor's message."""
        key = self.settings.api_key.get_secret_value()
        params = {"api_action": action, "api_output": "json", "api_key": key}
        url = self.api_root + "/admin/api.php"
        try:
            if read:  # reads are GETs (parameters in the query string): no write reaches the vendor
                body = self.http.get(url, params={**params, **data})
            else:
                body = self.http.post(url, params=params, data=dict(data), idempotent=False)
        except requests.RequestException as exc:  # never echo the URL: its query holds the key
            raise Unavailable(f"v1 {action} failed: {type(exc).__name__}", provider=self.name) from None
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                raise ProviderError(f"v1 {action} did not answer JSON", provider=self.name) from None
        if not isinstance(body, dict):
            raise ProviderError(f"v1 {action} answered {type(body).__name__}, not an object", provider=self.name)
        if str(body.get("result_code", "0")) != "1":
            message = str(body.get("result_message") or "no reason given")
            if "not authorized" in message.lower():
                raise AuthError(f"v1 {action}: {message} (check the account's API token)", provider=self.name)
            raise VendorValidationError(f"v1 {action}: {message}", provider=self.name)
        return body

    # -- bulk import ---------------------------------------------------------------------------------------
    def queue_import(self, contacts: list[dict[str, Any]]) -> tuple[str, list[str]]:
        """Queue one import (≤ 250 contacts): its batch id, and the emails the vendor's payload validation
        refused (the rest are imported again without them). Resending an import is harmless (contacts are
        matched by email), so the POST is retried like a read. Its outcome is read by `import_info`, at the
        start of the next apply: waiting here would spend the account's 5 requests a second on polling."""
        assert len(contacts) <= IMPORT_MAX
        refused: list[str] = []
        while contacts:
            try:
                answer = self.http.post("import/bulk_import", json={"contacts": contacts}, idempotent=True)
            except VendorValidationError as exc:
                bad = {int(k) for k in exc.errors if k.isdigit() and int(k) < len(contacts)}
                if not bad:
                    raise
                refused += [contacts[i]["email"] for i in sorted(bad)]
                contacts = [c for i, c in enumerate(contacts) if i not in bad]
                continue
            if not isinstance(answer, dict) or str(answer.get("success", "0")) != "1" or not answer.get("batchId"):
                raise ProviderError(f"the bulk import was not queued: {error_text(answer)}", provider=self.name)
            return str(answer["batchId"]), refused
        return "", refused

    def import_info(self, batch_id: str) -> dict[str, Any] | None:
        """`/import/info` of a queued import; None while it is still being processed."""
        try:
            info = self.http.get("import/info", params={"batchId": batch_id}) or {}
        except NotFound:
            return {"status": "completed", "success": [], "failure": [], "unknown": True}
        return info if str(info.get("status", "")).lower() == "completed" else None

    # -- members --------------------------------------------------------------------------------------------
    def read_members(self, client: Client, list_id: str, segment_id: str | None,
                     refs: References) -> list[Contact]:
        params: dict[str, Any] = {"listid": refs.require("list", list_id)}
        if segment_id:
            params["segmentid"] = refs.require("segment", segment_id)
        fields = self._field_values(client, refs)
        members: list[Contact] = []
        for status in ("1", "2", "0", "3"):
            for c in self.pages("contacts", "contacts", {**params, "status": status}):
                members.append(m.contact_from_vendor(c, status, fields.get(str(c["id"]), {})))
        return members

    def _field_values(self, client: Client, refs: References) -> dict[str, dict[str, Any]]:
        """contact id -> {workspace field id: value}, one paged read per field hub manages."""
        out: dict[str, dict[str, Any]] = {}
        for f in client.audience.fields:
            fid = refs.vendor_id("field", f.id)
            if not fid:
                continue
            for v in self.pages("fieldValues", "fieldValues", {"filters[fieldid]": fid}):
                if str(v.get("field")) == fid and v.get("value") not in (None, ""):
                    out.setdefault(str(v.get("contact")), {})[f.id] = v["value"]
        return out


# -- helpers ---------------------------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _total(body: Any) -> int | None:
    """How many items a v3 collection holds (`meta.total`, a string), when the body says."""
    return _int((body.get("meta") or {}).get("total"))


def error_text(body: Any) -> str:
    """ActiveCampaign's error bodies in one line: JSON:API errors, plain messages, import failure reasons."""
    if isinstance(body, dict):
        parts: list[str] = []
        errors = body.get("errors")
        if isinstance(errors, list):
            for e in errors:
                if isinstance(e, dict):
                    text = str(e.get("title") or "error")
                    if e.get("detail"):
                        text += f": {e['detail']}"
                    pointer = (e.get("source") or {}).get("pointer") if isinstance(e.get("source"), dict) else None
                    if pointer:
                        text += f" ({str(pointer).rsplit('/', 1)[-1]})"
                    if e.get("code"):
                        text += f" [{e['code']}]"
                    parts.append(text)
                else:
                    parts.append(str(e))
        elif isinstance(errors, dict):
            parts += [f"{k}: {v}" for k, v in errors.items()]
        for key in ("message", "error", "result_message"):
            if isinstance(body.get(key), str) and body[key] and body[key] not in parts:
                parts.append(body[key])
        reasons = body.get("failureReasons")
        if isinstance(reasons, list) and reasons:
            parts.append("; ".join(_reason(r) for r in reasons[:20]) + (" ..." if len(reasons) > 20 else ""))
        if parts:
            return "; ".join(parts)
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return "no details given"


def _reason(r: Any) -> str:
    if isinstance(r, dict):
        return f"contact #{r.get('contact')}: {r.get('failureReason')}"
    return str(r)


def failure_reasons(body: Any) -> dict[str, list[str]]:
    """A refused import's reasons by contact index ({"3": ["Field 'email' incorrect format"]})."""
    out: dict[str, list[str]] = {}
    if isinstance(body, dict) and isinstance(body.get("failureReasons"), list):
        for r in body["failureReasons"]:
            if isinstance(r, dict) and r.get("contact") is not None:
                out.setdefault(str(r["contact"]), []).append(str(r.get("failureReason")))
    return out



