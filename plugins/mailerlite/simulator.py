"""A stateful simulator of the MailerLite "connect" API (``https://connect.mailerlite.com/api``).

It answers like the vendor as recorded in ``vendor-specs/mailerlite-python-sdk-cassettes-digest.txt`` and
described in ``vendors/mailerlite-activecampaign.md`` part A: Bearer auth, ``x-ratelimit-*`` headers and
429s (120 requests/minute per account, 5 import creations/minute), cursor pagination for subscriber
lists and Laravel length-aware pages elsewhere, Laravel 422 bodies with dotted keys, model-named 404s,
non-destructive subscriber upserts (201 new / 200 existing) that never re-activate an unsubscribed
address, the campaign status machine (draft → ready → sent, cancel → draft), ``/batch`` (≤ 50), read-only
segments and automations, and webhooks.

Accounts are configured by token: ``MailerLiteSimulator(clock, tokens={"token": "account-id"})`` (default
``{"sandbox-token": "sandbox"}``); each account has its own data.

Choices where the vendor's behaviour is not verified (each marked "simulator choice" below as well):
- ``batch_counts_subrequests=False``: a ``/batch`` counts as one request against the 120/min limit.
- ``limit`` on cursor lists is capped at ``max_limit=1000`` (422 above it).
- ``GET /subscribers`` lists every status by default; group and segment member lists default to active.
- Unknown keys in subscriber ``fields`` are ignored silently.
- A field key is Laravel's ``Str::snake`` of its name ("My Field" → ``my_field``, "ZIP" → ``z_i_p``),
  reduced to ``[a-z0-9_]``.
- Campaign HTML without ``{$unsubscribe}`` is refused with 422 on ``emails.0.content``.
- Campaign content is returned with MailerLite's template markers inserted (``rewrite_content=True``),
  as the vendor rewrites HTML: do not compare returned HTML with what you sent.
- ``delivery: instant`` marks the campaign ``sent`` at once; a ``scheduled`` one turns ``sent`` on the
  first read after its time passes (by ``clock.utcnow()``).
- Updating, scheduling or cancelling a campaign in the wrong status answers 422 with a clear message.
- Group names may repeat (the vendor is not known to refuse duplicates).
- Adding a subscriber to a group that triggers an enabled automation records an "active" activity entry.
"""

from __future__ import annotations

import base64
import bisect
import ipaddress
import json
import math
import random
import re
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.clock import Clock
from hub.simulator import Abort, SimRequest, SimResponse, Simulator, bearer_token, control, route

TS = "%Y-%m-%d %H:%M:%S"
STATUSES = ("active", "unsubscribed", "unconfirmed", "bounced", "junk")
BLOCKED_STATUSES = ("unsubscribed", "bounced", "junk")
FIELD_TYPES = ("text", "number", "date")
CAMPAIGN_TYPES = ("regular", "ab", "resend")
CAMPAIGN_STATUSES = ("draft", "ready", "sent")
DELIVERIES = ("instant", "scheduled", "timezone_based")
BATCH_MAX = 50
BATCH_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
ID_BASE = 165_000_000_000_000_000

DEFAULT_FIELDS = (
    ("1", "Name", "name"),
    ("2", "Last name", "last_name"),
    ("3", "Company", "company"),
    ("4", "Country", "country"),
    ("5", "City", "city"),
    ("6", "Phone", "phone"),
    ("7", "State", "state"),
    ("8", "Zip", "z_i_p"),
)

WEBHOOK_EVENTS = (
    "subscriber.created",
    "subscriber.updated",
    "subscriber.unsubscribed",
    "subscriber.added_to_group",
    "subscriber.removed_from_group",
    "subscriber.bounced",
    "subscriber.automation_triggered",
    "subscriber.automation_completed",
    "subscriber.spam_reported",
    "subscriber.deleted",
    "campaign.sent",
    "campaign.open",
    "campaign.click",
)
WEBHOOK_BATCHABLE_ONLY = ("subscriber.deleted", "campaign.open", "campaign.click")

MODELS = {
    "subscriber": "App\\Models\\Subscriber\\Subscriber",
    "group": "App\\Models\\Group\\Group",
    "field": "App\\Models\\Field",
    "segment": "App\\Models\\Segment",
    "campaign": "App\\Models\\Campaign\\Campaign",
    "webhook": "App\\Models\\Webhook",
    "automation": "App\\Models\\Automation\\Automation",  # not recorded; by analogy
    "import": "App\\Models\\Import\\Import",  # not recorded; by analogy
}

PLAIN_TEXT = (
    "Hello,\n\nYou have received a newsletter from {$account}.\n\nHowever, your email software can't display "
    "HTML emails. You can view the newsletter by clicking here:\n\n{$url}\n\n\n\nYou're receiving this "
    "newsletter because you have shown interest in {$account}.\nNot interested anymore? Click here to "
    "unsubscribe:\n{$unsubscribe}\n"
)

_EMAIL_RE = re.compile(r"^[^@\s\"(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_IMPORT_PATH = re.compile(r"^/api/groups/[^/]+/import-subscribers$")


# --------------------------------------------------------------------------------------------------
# small helpers


def invalid(errors: dict[str, list[str]]) -> Abort:
    """Laravel's 422 validation answer."""
    return Abort(422, {"message": "The given data was invalid.", "errors": errors})


def missing(model: str, ident: str | None = None) -> Abort:
    """The vendor's 404 for an unknown id (subscribers name no id; the other models append it)."""
    name = MODELS[model]
    message = f"No query results for model [{name}] {ident}" if ident else f"No query results for model [{name}]."
    return Abort(404, {"message": message})


def _human(attr: str) -> str:
    return attr.replace("_", " ")


def field_key(name: str) -> str:
    """Laravel ``Str::snake`` of the field name, then only ``[a-z0-9_]`` (simulator choice, unverified)."""
    value = name
    if not value.islower():
        value = re.sub(r"\s+", "", " ".join(w[:1].upper() + w[1:] for w in value.split(" ")))
        value = re.sub(r"(.)(?=[A-Z])", r"\1_", value).lower()
    value = re.sub(r"[^a-z0-9_]+", "_", value.replace(" ", "_"))
    return re.sub(r"_+", "_", value).strip("_") or "field"


def _rate(value: float = 0.0) -> dict[str, Any]:
    pct = round(value * 100, 2)
    text = f"{pct:g}%"
    return {"float": value if value else 0, "string": text}


def _stats(sent: int = 0) -> dict[str, Any]:
    return {
        "sent": sent,
        "opens_count": 0,
        "unique_opens_count": 0,
        "open_rate": _rate(),
        "clicks_count": 0,
        "unique_clicks_count": 0,
        "click_rate": _rate(),
        "unsubscribes_count": 0,
        "unsubscribe_rate": _rate(),
        "spam_count": 0,
        "spam_rate": _rate(),
        "hard_bounces_count": 0,
        "hard_bounce_rate": _rate(),
        "soft_bounces_count": 0,
        "soft_bounce_rate": _rate(),
        "forwards_count": 0,
        "forward_rate": _rate(),
        "click_to_open_rate": _rate(),
    }


def _encode_cursor(ident: str, forward: bool) -> str:
    raw = json.dumps({"id": int(ident), "_pointsToNextItems": forward}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, bool] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(data["id"]), bool(data.get("_pointsToNextItems", True))
    except (ValueError, TypeError, KeyError):
        return None


def _valid_ts(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.strptime(value, TS)
    except ValueError:
        return False
    return True


def _valid_date(value: str) -> bool:
    if not _DATE_RE.match(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _valid_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _int_in(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if low <= number <= high else None


def rewrite_html(html: str) -> str:
    """Insert the template markers MailerLite adds to HTML content (a light imitation)."""
    out = html
    if "<!--{$head_top}-->" not in out:
        out = re.sub(r"(<head[^>]*>)", r"\1\n    <!--{$head_top}--><!--{$head_bottom}-->", out, count=1, flags=re.I)
    if "<!--{$body_top}-->" not in out:
        out = re.sub(r"(<body[^>]*>)", r"\1\n    <!--{$body_top}-->", out, count=1, flags=re.I)
        out = re.sub(r"(</body>)", r"<!--{$body_bottom}-->\n  \1", out, count=1, flags=re.I)
    if not out.lstrip().lower().startswith("<!doctype"):
        out = "<!DOCTYPE html>\n" + out
    return out


# --------------------------------------------------------------------------------------------------
# the simulator


class MailerLiteSimulator(Simulator):
    """MailerLite connect API. Options (all keyword):

    - ``tokens``: ``{token: account_id}``, default ``{"sandbox-token": "sandbox"}``;
    - ``rate_limit=120``, ``window=60`` (vendor seconds): the per-account request limit;
    - ``import_limit=5``: import creations per ``window`` (group imports and subscriber-only batches);
    - ``batch_counts_subrequests=False``: charge a ``/batch`` one request per sub-request instead of one;
    - ``max_limit=1000``: the largest ``limit`` of cursor-paginated lists (unverified);
    - ``timezone="UTC"``: the account timezone used when a schedule has no ``timezone_id``;
    - ``rewrite_content=True``: return campaign HTML with MailerLite's template markers.
    """

    name = "mailerlite"
    base_path = "/api"

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        tokens: dict[str, str] | None = None,
        rate_limit: int = 120,
        window: float = 60.0,
        import_limit: int = 5,
        batch_counts_subrequests: bool = False,
        max_limit: int = 1000,
        timezone: str = "UTC",
        rewrite_content: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(clock, **options)
        self.tokens = dict(tokens) if tokens is not None else {"sandbox-token": "sandbox"}
        self.rate_limit = rate_limit
        self.window = window
        self.import_limit = import_limit
        self.batch_counts_subrequests = batch_counts_subrequests
        self.max_limit = max_limit
        self.timezone = timezone
        self.rewrite_content = rewrite_content

    # ---------------------------------------------------------------- kit hooks

    def initial_state(self) -> dict[str, Any]:
        return {
            "subscribers": {},
            "by_email": {},
            "groups": {},
            "fields": {
                fid: {"id": fid, "name": name, "key": key, "type": "text", "is_default": True}
                for fid, name, key in DEFAULT_FIELDS
            },
            "segments": {},
            "campaigns": {},
            "automations": {},
            "webhooks": {},
            "imports": {},
        }

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        account = self.tokens.get(bearer_token(req) or "")
        if account is None:
            return SimResponse(401, {"message": "Unauthenticated."})
        return account

    def rate_limits(self, req: SimRequest) -> list[Any]:
        cost = 1
        is_import = False
        if req.method == "POST":
            if req.path == "/api/batch":
                subs = self._batch_items(req)
                if subs:
                    if self.batch_counts_subrequests:
                        cost = len(subs)
                    is_import = all(
                        isinstance(s, dict)
                        and str(s.get("method", "")).upper() == "POST"
                        and str(s.get("path", "")).split("?")[0].strip("/") == "api/subscribers"
                        for s in subs
                    )
            elif _IMPORT_PATH.match(req.path):
                is_import = True
        limits: list[Any] = [("api", self.rate_limit, self.window, cost)]
        if is_import:
            limits.append(("import", self.import_limit, self.window))
        return limits

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        message = "You're being rate limited on import creation." if bucket == "import" else "Too Many Attempts."
        return SimResponse(429, {"message": message}, {"Retry-After": str(retry_after)})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        if account is None:
            return {}
        remaining = self.rate_remaining(account, "api")
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(self.rate_limit if remaining is None else remaining),
        }

    def not_found(self, req: SimRequest) -> SimResponse:
        return SimResponse(404, {"message": f"The route {req.path.lstrip('/')} could not be found."})

    def method_not_allowed(self, req: SimRequest, allowed: list[str]) -> SimResponse:
        order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        methods = set(allowed) | ({"HEAD"} if "GET" in allowed else set())
        listed = ", ".join(m for m in order if m in methods)
        message = (
            f"The {req.method} method is not supported for route {req.path.lstrip('/')}. Supported methods: {listed}."
        )
        return SimResponse(405, {"message": message})

    def malformed_body(self, req: SimRequest, message: str) -> SimResponse:
        return SimResponse(400, {"message": "The request body is not valid JSON."})

    def fault_response(self, req: SimRequest, status: int, retry_after: int | None) -> SimResponse:
        resp = super().fault_response(req, status, retry_after)
        messages = {429: "Too Many Attempts.", 500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        if status in messages:
            resp.body = {"message": messages[status]}
        return resp

    # ---------------------------------------------------------------- plumbing

    def _st(self, req: SimRequest) -> dict[str, Any]:
        assert req.account is not None
        return self.account_state(req.account)

    @staticmethod
    def _body(req: SimRequest) -> dict[str, Any]:
        """Laravel reads malformed or non-object JSON as empty input (then validation answers)."""
        try:
            data = req.json()
        except Exception:
            return {}
        return data if isinstance(data, dict) else {}

    def _batch_items(self, req: SimRequest) -> list[Any] | None:
        items = self._body(req).get("requests")
        return items if isinstance(items, list) else None

    def _now(self) -> str:
        return self.clock.utcnow().strftime(TS)

    def _now_iso(self) -> str:
        return self.clock.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000000Z")

    def _new_id(self) -> str:
        return str(ID_BASE + (self.seed % 100_000) * 10**12 + self.next_seq() * 977)

    def _account_number(self, account: str) -> str:
        return str(80_000 + zlib.crc32(account.encode()) % 20_000)

    def _root(self, req: SimRequest) -> str:
        host = req.headers.get("host") or f"{self.host}:{self.port}"
        return f"http://{host}"

    def _url(self, req: SimRequest, path: str | None = None) -> str:
        return self._root(req) + (path or req.path)

    def _limit(self, req: SimRequest, default: int, maximum: int | None = None) -> int:
        raw = req.arg("limit")
        if raw is None or raw == "":
            return default
        try:
            number = int(raw)
        except ValueError:
            raise invalid({"limit": ["The limit must be an integer."]}) from None
        if number < 0:
            raise invalid({"limit": ["The limit must be at least 0."]})
        if maximum is not None and number > maximum:
            raise invalid({"limit": [f"The limit must not be greater than {maximum}."]})
        return number

    def _page(self, req: SimRequest) -> int:
        raw = req.arg("page") or "1"
        try:
            return max(1, int(raw))
        except ValueError:
            raise invalid({"page": ["The page must be an integer."]}) from None

    def _status_filter(self, req: SimRequest, default: str | None) -> str | None:
        status = req.arg("filter[status]") or default
        if status is not None and status not in STATUSES:
            raise invalid({"filter.status": ["The selected filter.status is invalid."]})
        return status

    def page_envelope(
        self,
        req: SimRequest,
        items: list[Any],
        default_limit: int,
        render: Callable[[Any], Any] = lambda x: x,
        extra_meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Laravel's length-aware paginator, as the vendor serialises it."""
        limit = self._limit(req, default_limit) or default_limit
        page = self._page(req)
        total = len(items)
        last = max(1, math.ceil(total / limit))
        chunk = items[(page - 1) * limit : page * limit]
        path = self._url(req)

        def url(n: int) -> str:
            return f"{path}?page={n}"

        first_index = (page - 1) * limit + 1 if chunk else None
        links = {
            "first": url(1),
            "last": url(last),
            "prev": url(page - 1) if page > 1 else None,
            "next": url(page + 1) if page < last else None,
        }
        meta_links: list[dict[str, Any]] = [{"url": links["prev"], "label": "&laquo; Previous", "active": False}]
        for n in _laravel_window(page, last):
            if n is None:
                meta_links.append({"url": None, "label": "...", "active": False})
            else:
                meta_links.append({"url": url(n), "label": str(n), "active": n == page})
        meta_links.append({"url": links["next"], "label": "Next &raquo;", "active": False})
        meta: dict[str, Any] = {
            "current_page": page,
            "from": first_index,
            "last_page": last,
            "links": meta_links,
            "path": path,
            "per_page": limit,
            "to": first_index + len(chunk) - 1 if first_index is not None else None,
            "total": total,
        }
        if extra_meta:
            meta.update(extra_meta)
        return {"data": [render(x) for x in chunk], "links": links, "meta": meta}

    def cursor_envelope(
        self, req: SimRequest, rows: list[dict[str, Any]], default_limit: int, render: Callable[[Any], Any]
    ) -> dict[str, Any]:
        """Laravel's cursor paginator over `rows` (sorted by id, newest first)."""
        limit = self._limit(req, default_limit, self.max_limit) or default_limit
        keys = [-int(r["id"]) for r in rows]
        decoded = _decode_cursor(req.arg("cursor") or "") if req.arg("cursor") else None
        if decoded is None:  # no cursor, or one we cannot read: the first page (as Laravel does)
            start, stop = 0, min(limit, len(rows))
        elif decoded[1]:
            start = bisect.bisect_right(keys, -decoded[0])
            stop = min(start + limit, len(rows))
        else:
            stop = bisect.bisect_left(keys, -decoded[0])
            start = max(0, stop - limit)
        chunk = rows[start:stop]
        next_cursor = _encode_cursor(chunk[-1]["id"], True) if chunk and stop < len(rows) else None
        prev_cursor = _encode_cursor(chunk[0]["id"], False) if chunk and start > 0 else None
        path = self._url(req)
        return {
            "data": [render(r) for r in chunk],
            "links": {
                "first": None,
                "last": None,
                "prev": f"{path}?cursor={prev_cursor}" if prev_cursor else None,
                "next": f"{path}?cursor={next_cursor}" if next_cursor else None,
            },
            "meta": {"path": path, "per_page": limit, "next_cursor": next_cursor, "prev_cursor": prev_cursor},
        }

    # ---------------------------------------------------------------- rendering

    def _field_keys(self, st: dict[str, Any]) -> list[str]:
        return [f["key"] for f in st["fields"].values()]

    def render_group(self, group: dict[str, Any]) -> dict[str, Any]:
        counts = group["counts"]
        return {
            "id": group["id"],
            "name": group["name"],
            "active_count": counts["active"],
            "sent_count": 0,
            "opens_count": 0,
            "open_rate": _rate(),
            "clicks_count": 0,
            "click_rate": _rate(),
            "unsubscribed_count": counts["unsubscribed"],
            "unconfirmed_count": counts["unconfirmed"],
            "bounced_count": counts["bounced"],
            "junk_count": counts["junk"],
            "created_at": group["created_at"],
        }

    def render_subscriber(
        self,
        st: dict[str, Any],
        sub: dict[str, Any],
        *,
        groups: bool = True,
        keys: list[str] | None = None,
    ) -> dict[str, Any]:
        keys = keys if keys is not None else self._field_keys(st)
        values = sub["fields"]
        out = {
            "id": sub["id"],
            "email": sub["email"],
            "status": sub["status"],
            "source": sub["source"],
            "sent": 0,
            "opens_count": 0,
            "clicks_count": 0,
            "open_rate": 0,
            "click_rate": 0,
            "ip_address": sub["ip_address"],
            "subscribed_at": sub["subscribed_at"],
            "unsubscribed_at": sub["unsubscribed_at"],
            "created_at": sub["created_at"],
            "updated_at": sub["updated_at"],
            "fields": {k: values.get(k) for k in keys},
        }
        if groups:
            all_groups = st["groups"]
            out["groups"] = [self.render_group(all_groups[g]) for g in sub["groups"] if g in all_groups]
        out["opted_in_at"] = sub["opted_in_at"]
        out["optin_ip"] = sub["optin_ip"]
        return out

    def render_segment(self, st: dict[str, Any], seg: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
        subs = st["subscribers"]
        total = sum(1 for sid in seg["subscriber_ids"] if sid in subs and subs[sid]["status"] == "active")
        out = {
            "id": seg["id"],
            "name": seg["name"],
            "total": total,
            "open_rate": _rate(),
            "click_rate": _rate(),
            "created_at": seg["created_at"],
        }
        if listing:
            out["automations_using_segment_count"] = 0
        return out

    def render_field(self, field: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
        out = {k: field[k] for k in ("id", "name", "key", "type", "is_default")}
        if listing:
            out["used_in_automations"] = False
        return out

    def render_webhook(self, hook: dict[str, Any]) -> dict[str, Any]:
        return dict(hook)

    # ---------------------------------------------------------------- subscriber internals

    def _find_subscriber(self, st: dict[str, Any], ident: str) -> dict[str, Any]:
        sid = st["by_email"].get(ident.strip().lower()) if "@" in ident else ident
        sub = st["subscribers"].get(sid) if sid else None
        if sub is None:
            raise missing("subscriber")
        return sub

    def _find(self, st: dict[str, Any], model: str, collection: str, ident: str) -> dict[str, Any]:
        obj = st[collection].get(ident)
        if obj is None:
            raise missing(model, ident)
        return obj

    def _set_status(self, st: dict[str, Any], sub: dict[str, Any], status: str, at: str | None = None) -> None:
        old = sub["status"]
        if old == status:
            return
        for gid in sub["groups"]:
            group = st["groups"].get(gid)
            if group is not None:
                group["counts"][old] -= 1
                group["counts"][status] += 1
        sub["status"] = status
        if status == "unsubscribed":
            sub["unsubscribed_at"] = at or self._now()
        elif status == "active" and sub["subscribed_at"] is None:
            sub["subscribed_at"] = at or self._now()

    def _join(self, st: dict[str, Any], sub: dict[str, Any], gid: str) -> bool:
        if gid in sub["groups"]:
            return False
        sub["groups"].append(gid)
        st["groups"][gid]["counts"][sub["status"]] += 1
        if sub["status"] == "active":
            self._trigger_automations(st, sub, gid)
        return True

    def _leave(self, st: dict[str, Any], sub: dict[str, Any], gid: str) -> None:
        if gid not in sub["groups"]:
            return
        sub["groups"].remove(gid)
        group = st["groups"].get(gid)
        if group is not None:
            group["counts"][sub["status"]] -= 1

    def _remove_subscriber(self, st: dict[str, Any], sub: dict[str, Any]) -> None:
        for gid in list(sub["groups"]):
            self._leave(st, sub, gid)
        st["subscribers"].pop(sub["id"], None)
        st["by_email"].pop(sub["email"], None)

    def _validate_field_values(self, st: dict[str, Any], fields: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
        if fields is None:
            return {}
        if not isinstance(fields, dict):
            errors["fields"] = ["The fields must be an array."]
            return {}
        by_key = {f["key"]: f for f in st["fields"].values()}
        clean: dict[str, Any] = {}
        for key, value in fields.items():
            field = by_key.get(key)
            if field is None:  # simulator choice: unknown keys are ignored, as the vendor appears to
                continue
            path = f"fields.{key}"
            if value is None or value == "":
                clean[key] = None
            elif field["type"] == "number":
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    errors[path] = [f"The {_human(path)} must be a number."]
                    continue
                try:
                    number = float(value)
                except ValueError:
                    errors[path] = [f"The {_human(path)} must be a number."]
                    continue
                clean[key] = int(number) if number.is_integer() and not isinstance(value, float) else number
            elif field["type"] == "date":
                if not isinstance(value, str) or not (_valid_date(value) or _valid_ts(value)):
                    errors[path] = [f"The {_human(path)} does not match the format Y-m-d."]
                    continue
                clean[key] = value[:10]
            else:
                if isinstance(value, dict | list):
                    errors[path] = [f"The {_human(path)} must be a string."]
                    continue
                text = value if isinstance(value, str) else json.dumps(value)
                if len(text) > 1024:
                    errors[path] = [f"The {_human(path)} must not be greater than 1024 characters."]
                    continue
                clean[key] = text
        return clean

    def _validate_subscriber(
        self, st: dict[str, Any], data: dict[str, Any], *, email_required: bool
    ) -> tuple[str | None, dict[str, Any], list[str] | None]:
        errors: dict[str, list[str]] = {}
        email = data.get("email")
        if email is None or email == "":
            if email_required:
                errors["email"] = ["The email field is required."]
            email = None
        elif not isinstance(email, str) or not _EMAIL_RE.match(email.strip()):
            errors["email"] = ["The email must be a valid email address."]
        values = self._validate_field_values(st, data.get("fields"), errors)
        groups = data.get("groups")
        group_ids: list[str] | None = None
        if groups is not None:
            if not isinstance(groups, list):
                errors["groups"] = ["The groups must be an array."]
            else:
                group_ids = []
                for i, gid in enumerate(groups):
                    if str(gid) not in st["groups"]:
                        errors[f"groups.{i}"] = [f"The selected groups.{i} is invalid."]
                    else:
                        group_ids.append(str(gid))
        status = data.get("status")
        if status is not None and status not in STATUSES:
            errors["status"] = ["The selected status is invalid."]
        for key in ("subscribed_at", "opted_in_at", "unsubscribed_at"):
            if data.get(key) is not None and not _valid_ts(data[key]):
                errors[key] = [f"The {_human(key)} does not match the format Y-m-d H:i:s."]
        for key in ("ip_address", "optin_ip"):
            if data.get(key) is not None and not _valid_ip(data[key]):
                errors[key] = [f"The {_human(key)} must be a valid IP address."]
        if errors:
            raise invalid(errors)
        return (email.strip().lower() if email else None), values, group_ids

    @staticmethod
    def _refuse_reactivation(sub: dict[str, Any], status: str | None) -> None:
        if status in ("active", "unconfirmed") and sub["status"] in BLOCKED_STATUSES:
            raise invalid({"email": [f"This subscriber is {sub['status']} and cannot be imported."]})

    def _apply(self, st: dict[str, Any], sub: dict[str, Any], data: dict[str, Any], values: dict[str, Any]) -> None:
        sub["fields"].update(values)
        status = data.get("status")
        for key in ("ip_address", "opted_in_at", "optin_ip", "subscribed_at"):
            if data.get(key) is not None:
                sub[key] = data[key]
        if status is not None:
            self._set_status(st, sub, status, data.get("unsubscribed_at"))
        elif data.get("unsubscribed_at") is not None and sub["status"] == "unsubscribed":
            sub["unsubscribed_at"] = data["unsubscribed_at"]
        sub["updated_at"] = self._now()

    def upsert(self, st: dict[str, Any], data: dict[str, Any], *, source: str = "api") -> tuple[dict[str, Any], bool]:
        """Create or update by email, non-destructively; returns (subscriber record, created)."""
        email, values, group_ids = self._validate_subscriber(st, data, email_required=True)
        assert email is not None
        status = data.get("status")
        sid = st["by_email"].get(email)
        if sid is not None:
            sub = st["subscribers"][sid]
            self._refuse_reactivation(sub, status)
            self._apply(st, sub, data, values)
            created = False
        else:
            now = self._now()
            status = status or "active"
            sub = {
                "id": self._new_id(),
                "email": email,
                "status": status,
                "source": source,
                "ip_address": data.get("ip_address"),
                "subscribed_at": data.get("subscribed_at") or now,
                "unsubscribed_at": (data.get("unsubscribed_at") or now) if status == "unsubscribed" else None,
                "created_at": now,
                "updated_at": now,
                "fields": {k: v for k, v in values.items() if v is not None},
                "groups": [],
                "opted_in_at": data.get("opted_in_at"),
                "optin_ip": data.get("optin_ip"),
            }
            st["subscribers"][sub["id"]] = sub
            st["by_email"][email] = sub["id"]
            created = True
        for gid in group_ids or ():
            self._join(st, sub, gid)
        return sub, created

    def _subscriber_rows(self, st: dict[str, Any], status: str | None, ids: Iterable[str] | None = None) -> list[Any]:
        subs = st["subscribers"]
        if ids is None:
            pool: Iterable[dict[str, Any]] = subs.values()
        else:
            pool = (subs[i] for i in ids if i in subs)
        rows = [s for s in pool if status is None or s["status"] == status]
        rows.sort(key=lambda s: int(s["id"]), reverse=True)
        return rows

    # ---------------------------------------------------------------- subscribers

    @route("GET", "/api/subscribers")
    def list_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        status = self._status_filter(req, None)  # simulator choice per docs: no default filter
        if req.arg("limit") == "0":
            subs = st["subscribers"].values()
            return 200, {"total": sum(1 for s in subs if status is None or s["status"] == status)}
        rows = self._subscriber_rows(st, status)
        include = req.arg("include") == "groups"
        keys = self._field_keys(st)
        return 200, self.cursor_envelope(
            req, rows, 25, lambda s: self.render_subscriber(st, s, groups=include, keys=keys)
        )

    @route("POST", "/api/subscribers")
    def upsert_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub, created = self.upsert(st, self._body(req))
        return (201 if created else 200), {"data": self.render_subscriber(st, sub)}

    @route("GET", "/api/subscribers/{id}")
    def get_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"data": self.render_subscriber(st, self._find_subscriber(st, req.params["id"]))}

    @route("PUT", "/api/subscribers/{id}")
    def update_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["id"])
        data = self._body(req)
        email, values, group_ids = self._validate_subscriber(st, data, email_required=False)
        if email and email != sub["email"]:
            if email in st["by_email"]:
                raise invalid({"email": ["The email has already been taken."]})
            st["by_email"].pop(sub["email"], None)
            st["by_email"][email] = sub["id"]
            sub["email"] = email
        self._refuse_reactivation(sub, data.get("status"))
        self._apply(st, sub, data, values)
        for gid in group_ids or ():  # simulator choice: groups are added, never removed
            self._join(st, sub, gid)
        return 200, {"data": self.render_subscriber(st, sub)}

    @route("DELETE", "/api/subscribers/{id}")
    def delete_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        self._remove_subscriber(st, self._find_subscriber(st, req.params["id"]))
        return SimResponse(204)

    @route("POST", "/api/subscribers/{id}/forget")
    def forget_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["id"])
        rendered = self.render_subscriber(st, sub)
        now = self.clock.utcnow()
        data: dict[str, Any] = {}
        for key, value in rendered.items():
            if key == "fields":
                data["deleted_at"] = now.strftime(TS)
                data["forget_at"] = (now + timedelta(days=30)).strftime(TS)
            if key == "opted_in_at":
                data["location"] = None
            data[key] = value
        self._remove_subscriber(st, sub)
        message = "Subscriber data will be completely deleted and forgotten within 30 days."
        return 200, {"data": data, "message": message}

    @route("POST", "/api/subscribers/{sid}/groups/{gid}")
    def assign_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["sid"])
        group = self._find(st, "group", "groups", req.params["gid"])
        if self._join(st, sub, group["id"]):
            sub["updated_at"] = self._now()
        return 200, {"data": self.render_group(group)}

    @route("DELETE", "/api/subscribers/{sid}/groups/{gid}")
    def unassign_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["sid"])
        group = self._find(st, "group", "groups", req.params["gid"])
        self._leave(st, sub, group["id"])
        return SimResponse(204)

    @route("GET", "/api/subscribers/import/{id}")
    def import_report(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"data": self._find(st, "import", "imports", req.params["id"])}

    # ---------------------------------------------------------------- groups

    def _validate_name(self, data: dict[str, Any], *, required: bool = True) -> str | None:
        name = data.get("name")
        if name is None or (isinstance(name, str) and not name.strip()):
            if required:
                raise invalid({"name": ["The name field is required."]})
            return None
        if not isinstance(name, str):
            raise invalid({"name": ["The name must be a string."]})
        if len(name) > 255:
            raise invalid({"name": ["The name must not be greater than 255 characters."]})
        return name

    @route("GET", "/api/groups")
    def list_groups(self, req: SimRequest) -> Any:
        st = self._st(req)
        groups = list(st["groups"].values())
        needle = req.arg("filter[name]")
        if needle:
            groups = [g for g in groups if needle.lower() in g["name"].lower()]
        sort = req.arg("sort")
        if sort:
            keys: dict[str, Callable[[dict[str, Any]], Any]] = {
                "name": lambda g: g["name"].lower(),
                "total": lambda g: g["counts"]["active"],
                "open_rate": lambda g: 0,
                "click_rate": lambda g: 0,
                "created_at": lambda g: (g["created_at"], int(g["id"])),
            }
            key = keys.get(sort.lstrip("-"))
            if key is None:
                raise invalid({"sort": ["The selected sort is invalid."]})
            groups.sort(key=key, reverse=sort.startswith("-"))
        return 200, self.page_envelope(req, groups, 100, self.render_group)

    @route("POST", "/api/groups")
    def create_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        name = self._validate_name(self._body(req))
        gid = self._new_id()
        counts = dict.fromkeys(STATUSES, 0)
        st["groups"][gid] = {"id": gid, "name": name, "counts": counts, "created_at": self._now()}
        return 201, {"data": self.render_group(st["groups"][gid])}

    @route("PUT", "/api/groups/{id}")
    def update_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = self._find(st, "group", "groups", req.params["id"])
        group["name"] = self._validate_name(self._body(req))
        return 200, {"data": self.render_group(group)}

    @route("DELETE", "/api/groups/{id}")
    def delete_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = self._find(st, "group", "groups", req.params["id"])
        for sub in st["subscribers"].values():
            if group["id"] in sub["groups"]:
                sub["groups"].remove(group["id"])
        del st["groups"][group["id"]]
        return SimResponse(204)

    @route("GET", "/api/groups/{id}/subscribers")
    def group_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = self._find(st, "group", "groups", req.params["id"])
        status = self._status_filter(req, "active")  # simulator choice: defaults to active like segments
        gid = group["id"]
        rows = [s for s in self._subscriber_rows(st, status) if gid in s["groups"]]
        include = req.arg("include") == "groups"
        keys = self._field_keys(st)
        return 200, self.cursor_envelope(
            req, rows, 25, lambda s: self.render_subscriber(st, s, groups=include, keys=keys)
        )

    @route("POST", "/api/groups/{id}/import-subscribers")
    def import_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = self._find(st, "group", "groups", req.params["id"])
        items = self._body(req).get("subscribers")
        if items is None:
            raise invalid({"subscribers": ["The subscribers field is required."]})
        if not isinstance(items, list):
            raise invalid({"subscribers": ["The subscribers must be an array."]})
        report = {
            "imported": 0,
            "updated": 0,
            "errored": 0,
            "invalid": [],
            "changed": [],
            "unchanged": [],
            "unsubscribed": [],
            "duplicate": [],
        }
        seen: set[str] = set()
        for item in items:
            data = item if isinstance(item, dict) else {}
            email = str(data.get("email") or "").strip().lower()
            if not email or not _EMAIL_RE.match(email):
                report["invalid"].append(data.get("email"))
                continue
            if email in seen:
                report["duplicate"].append(email)
                continue
            seen.add(email)
            existing = st["subscribers"].get(st["by_email"].get(email, ""))
            if existing is not None and existing["status"] in BLOCKED_STATUSES:
                report["unsubscribed"].append(email)
                continue
            fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
            top_level = {k: v for k, v in data.items() if k not in ("email", "fields")}  # {"email", "name"}
            clean = {"email": email, "fields": {**top_level, **fields}}
            try:
                before = json.dumps(existing, sort_keys=True) if existing else None
                sub, created = self.upsert(st, clean, source="import")
            except Abort:
                report["errored"] += 1
                report["invalid"].append(email)
                continue
            self._join(st, sub, group["id"])
            if created:
                report["imported"] += 1
            else:
                report["updated"] += 1
                unchanged = before == json.dumps({**sub, "updated_at": existing["updated_at"]}, sort_keys=True)
                report["unchanged" if unchanged else "changed"].append(email)
        iid = self._new_id()
        now_iso = self._now_iso()
        data = {"id": iid, "account_id": self._account_number(req.account or ""), "total": len(items)}
        data.update({"processed": len(items), "imported": report["imported"], "updated": report["updated"]})
        data.update({"errored": report["errored"], "percent": 100, "done": True})
        for key in ("invalid", "mistyped", "changed", "unchanged", "unsubscribed", "role_based"):
            data[key] = report.get(key, [])
            data[f"{key}_count"] = len(data[key])
        data.update({"suspicious_format": [], "suspicious_format_count": 0})
        data.update({"duplicate": report["duplicate"], "duplicate_count": len(report["duplicate"])})
        data.update({"banned_import_emails_count": 0, "updated_at": now_iso, "undone_at": None})
        data.update({"stopped_at": None, "undo_started_at": None, "finished_at": now_iso})
        st["imports"][iid] = data
        return 200, {"import_progress_url": self._url(req, f"/api/subscribers/import/{iid}")}

    # ---------------------------------------------------------------- segments (read / rename / delete)

    @route("GET", "/api/segments")
    def list_segments(self, req: SimRequest) -> Any:
        st = self._st(req)
        segs = list(st["segments"].values())
        return 200, self.page_envelope(req, segs, 25, lambda s: self.render_segment(st, s, listing=True))

    @route("GET", "/api/segments/{id}")
    def get_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"data": self.render_segment(st, self._find(st, "segment", "segments", req.params["id"]))}

    @route("PUT", "/api/segments/{id}")
    def update_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        seg = self._find(st, "segment", "segments", req.params["id"])
        seg["name"] = self._validate_name(self._body(req))
        return 200, {"data": self.render_segment(st, seg)}

    @route("DELETE", "/api/segments/{id}")
    def delete_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        seg = self._find(st, "segment", "segments", req.params["id"])
        del st["segments"][seg["id"]]
        return SimResponse(204)

    @route("GET", "/api/segments/{id}/subscribers")
    def segment_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        seg = self._find(st, "segment", "segments", req.params["id"])
        status = self._status_filter(req, "active")
        rows = self._subscriber_rows(st, status, seg["subscriber_ids"])
        keys = self._field_keys(st)
        return 200, self.cursor_envelope(req, rows, 50, lambda s: self.render_subscriber(st, s, keys=keys))

    # ---------------------------------------------------------------- fields

    @route("GET", "/api/fields")
    def list_fields(self, req: SimRequest) -> Any:
        st = self._st(req)
        fields = list(st["fields"].values())
        keyword = req.arg("filter[keyword]")
        if keyword:
            fields = [f for f in fields if keyword.lower() in f["name"].lower()]
        ftype = req.arg("filter[type]")
        if ftype:
            fields = [f for f in fields if f["type"] == ftype]
        sort = req.arg("sort")
        if sort:
            if sort.lstrip("-") not in ("name", "type"):
                raise invalid({"sort": ["The selected sort is invalid."]})
            attr = sort.lstrip("-")
            fields.sort(key=lambda f: str(f[attr]).lower(), reverse=sort.startswith("-"))
        return 200, self.page_envelope(req, fields, 25, lambda f: self.render_field(f, listing=True))

    @route("POST", "/api/fields")
    def create_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._body(req)
        errors: dict[str, list[str]] = {}
        try:
            name = self._validate_name(data)
        except Abort as abort:
            errors.update(abort.response.body["errors"])
            name = None
        ftype = data.get("type")
        if ftype is None:
            errors["type"] = ["The type field is required."]
        elif ftype not in FIELD_TYPES:
            errors["type"] = ["The selected type is invalid."]
        if name is not None:
            key = field_key(name)
            taken = any(f["key"] == key or f["name"].lower() == name.lower() for f in st["fields"].values())
            if taken:
                errors["name"] = ["The name has already been taken."]
        if errors:
            raise invalid(errors)
        assert name is not None
        fid = str(900_000 + self.next_seq())
        field = {"id": fid, "name": name, "key": field_key(name), "type": ftype, "is_default": False}
        st["fields"][fid] = field
        return 201, {"data": self.render_field(field)}

    @route("PUT", "/api/fields/{id}")
    def update_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = self._find(st, "field", "fields", req.params["id"])
        name = self._validate_name(self._body(req))
        if field["is_default"]:
            raise invalid({"name": ["Default fields cannot be changed."]})
        field["name"] = name  # the key is not re-derived (recorded)
        return 200, {"data": self.render_field(field)}

    @route("DELETE", "/api/fields/{id}")
    def delete_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = self._find(st, "field", "fields", req.params["id"])
        if field["is_default"]:
            raise invalid({"field": ["Default fields cannot be deleted."]})
        del st["fields"][field["id"]]
        for sub in st["subscribers"].values():
            sub["fields"].pop(field["key"], None)
        return SimResponse(204)

    # ---------------------------------------------------------------- campaigns

    def _language(self, language_id: str) -> dict[str, Any]:
        for lid, short, iso, name, direction in _LANGUAGES:
            if lid == language_id:
                return {"id": lid, "shortcode": short, "iso639": iso, "name": name, "direction": direction}
        return self._language("4")

    def _validate_campaign(self, st: dict[str, Any], data: dict[str, Any], *, create: bool) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        out: dict[str, Any] = {}
        name = data.get("name")
        if name is None or name == "":
            if create:
                errors["name"] = ["The name field is required."]
        elif not isinstance(name, str):
            errors["name"] = ["The name must be a string."]
        elif len(name) > 255:
            errors["name"] = ["The name must not be greater than 255 characters."]
        else:
            out["name"] = name
        ctype = data.get("type")
        if ctype is None:
            if create:
                errors["type"] = ["The type field is required."]
        elif ctype not in CAMPAIGN_TYPES:
            errors["type"] = ["The selected type is invalid."]
        else:
            out["type"] = ctype
        if data.get("language_id") is not None:
            if not any(str(data["language_id"]) == lang[0] for lang in _LANGUAGES):
                errors["language_id"] = ["The selected language id is invalid."]
            else:
                out["language_id"] = str(data["language_id"])
        emails = data.get("emails")
        if emails is None:
            if create:
                errors["emails"] = ["The emails field is required."]
        elif not isinstance(emails, list):
            errors["emails"] = ["The emails must be an array."]
        elif len(emails) != 1:
            errors["emails"] = ["The emails must contain 1 items."]
        elif not isinstance(emails[0], dict):
            errors["emails.0"] = ["The emails.0 must be an array."]
        else:
            email = emails[0]
            for key in ("subject", "from_name", "from"):
                value = email.get(key)
                if value is None or value == "":
                    errors[f"emails.0.{key}"] = [f"The {_human(f'emails.0.{key}')} field is required."]
                elif not isinstance(value, str) or len(value) > 255:
                    errors[f"emails.0.{key}"] = [f"The {_human(f'emails.0.{key}')} must be a string of at most 255."]
            for key in ("from", "reply_to"):
                value = email.get(key)
                if isinstance(value, str) and value and not _EMAIL_RE.match(value):
                    errors[f"emails.0.{key}"] = [f"The {_human(f'emails.0.{key}')} must be a valid email address."]
            content = email.get("content")
            if content is not None and not isinstance(content, str):
                errors["emails.0.content"] = ["The emails.0.content must be a string."]
            elif content and "{$unsubscribe}" not in content:  # simulator choice (vendor unverified)
                errors["emails.0.content"] = ["The emails.0.content must contain an unsubscribe link ({$unsubscribe})."]
            out["email"] = email
        for kind in ("groups", "segments"):
            ids = data.get(kind)
            if ids is None:
                continue
            if not isinstance(ids, list):
                errors[kind] = [f"The {kind} must be an array."]
                continue
            for i, ident in enumerate(ids):
                if str(ident) not in st[kind]:
                    errors[f"{kind}.{i}"] = [f"The selected {kind}.{i} is invalid."]
            out[kind] = [str(i) for i in ids]
        if out.get("type", data.get("type")) == "ab" and create:
            ab = data.get("ab_settings")
            if not isinstance(ab, dict):
                errors["ab_settings"] = ["The ab settings field is required when type is ab."]
            else:
                for key in ("test_type", "select_winner_by", "after_time_amount", "after_time_unit", "test_split"):
                    if ab.get(key) in (None, ""):
                        errors[f"ab_settings.{key}"] = [f"The {_human(f'ab_settings.{key}')} field is required."]
            out["ab_settings"] = ab
        if errors:
            raise invalid(errors)
        return out

    def _audience(self, st: dict[str, Any], camp: dict[str, Any]) -> tuple[str | None, list[str]]:
        if camp["segment_ids"]:
            return "segments", camp["segment_ids"]
        if camp["group_ids"]:
            return "groups", camp["group_ids"]
        return None, []

    def _recipients(self, st: dict[str, Any], camp: dict[str, Any]) -> int:
        kind, ids = self._audience(st, camp)
        subs = st["subscribers"]
        if kind is None:
            return sum(1 for s in subs.values() if s["status"] == "active")
        if kind == "segments":
            members = {sid for seg in ids if seg in st["segments"] for sid in st["segments"][seg]["subscriber_ids"]}
            return sum(1 for sid in members if sid in subs and subs[sid]["status"] == "active")
        wanted = set(ids)
        return sum(1 for s in subs.values() if s["status"] == "active" and wanted.intersection(s["groups"]))

    def render_campaign(self, st: dict[str, Any], camp: dict[str, Any], *, content: bool = True) -> dict[str, Any]:
        kind, ids = self._audience(st, camp)
        pool = st["segments"] if kind == "segments" else st["groups"]
        named = [{"id": i, "name": pool[i]["name"] if i in pool else None} for i in ids]
        if kind:
            word = "segment" if kind == "segments" else "group"
            filt = [[{"operator": "in_any", "args": [kind, ids]}]]
            human = [[f"In any {word}: " + ", ".join(str(n["name"]) for n in named)]]
        else:
            filt, human = [], []
        status = camp["status"]
        language = self._language(camp["language_id"])
        email = camp["email"]
        sent = camp.get("sent_count", 0)
        email_out = {
            "id": email["id"],
            "account_id": camp["account_id"],
            "emailable_id": camp["id"],
            "emailable_type": "campaigns",
            "type": "builder_html" if email.get("content") else None,
            "from": email["from"],
            "from_name": email["from_name"],
            "reply_to": email.get("reply_to") or email["from"],
            "name": None,
            "subject": email["subject"],
        }
        if content and email.get("content"):
            html = email["content"]
            email_out["content"] = rewrite_html(html) if self.rewrite_content else html
        email_out.update(
            {
                "plain_text": PLAIN_TEXT,
                "screenshot_url": None,
                "generate_screenshot_timestamp": None,
                "preview_url": f"https://preview.mailerlite.io/preview/{camp['account_id']}/emails/{email['id']}",
                "created_at": camp["created_at"],
                "updated_at": camp["updated_at"],
                "is_designed": bool(email.get("content")),
                "language_id": int(language["id"]),
                "language": language,
                "is_winner": False,
                "stats": _stats(sent),
                "send_after": None,
                "track_opens": True,
                "uses_survey": False,
                "uses_quiz": False,
                "preheader": email.get("preheader"),
            }
        )
        draft = status == "draft"
        has_content = bool(email.get("content"))
        out: dict[str, Any] = {
            "id": camp["id"],
            "account_id": camp["account_id"],
            "name": camp["name"],
            "type": camp["type"],
            "status": status,
            "missing_data": [] if has_content else ["content"],
            "settings": {"track_opens": True, "use_google_analytics": False, "ecommerce_tracking": False},
            "filter": filt,
            "filter_for_humans": human,
            "delivery_schedule": camp["delivery_schedule"],
            "language_id": language["id"],
            "language": language,
            "created_at": camp["created_at"],
            "updated_at": camp["updated_at"],
            "scheduled_for": camp["scheduled_for"],
            "queued_at": camp["queued_at"],
            "started_at": camp["started_at"],
            "finished_at": camp["finished_at"],
            "stopped_at": camp["stopped_at"],
            "default_email_id": email["id"],
            "emails": [email_out],
            "used_in_automations": False,
            "type_for_humans": {"regular": "Regular", "ab": "A/B split", "resend": "Auto resend"}[camp["type"]],
            "is_stopped": camp["stopped_at"] is not None and draft,
            "has_winner": None,
            "winner_version_for_human": None,
            "winner_sending_time_for_humans": None,
            "winner_selected_manually_at": None,
            "can": {"update": draft, "delete": True, "send": draft, "copy": True, "resend": False},
            "uses_ecommerce": False,
            "ecommerce_stats": None,
            "uses_survey": False,
            "can_be_scheduled": draft and has_content,
            "cannot_be_scheduled_reason": None if (not draft or has_content) else "Campaign has no content.",
            "is_smart_sending_index_option_finished": False,
            "is_applied_for_smart_sending_index_option": False,
            "warnings": [],
            "recipients_count": sent if status == "sent" else self._recipients(st, camp),
            "next_step": None,
            "is_currently_sending_out": False,
            "can_be_copied": True,
            "has_basic_filter": True,
            "basic_filter_for_humans": {
                "included_groups": named if kind == "groups" else [],
                "excluded_groups": [],
                "included_segments": named if kind == "segments" else [],
                "excluded_segments": [],
                "all_active_subscribers": kind is None,
            },
            "is_eligible_for_sending": has_content,
            "needs_repair": False,
        }
        if camp.get("ab_settings") is not None:
            out["ab_settings"] = camp["ab_settings"]
        if status == "sent":
            out["stats"] = _stats(sent)
        return out

    def _tick_campaigns(self, st: dict[str, Any]) -> None:
        """Scheduled campaigns whose time has come are sent (lazily, on read)."""
        now = self._now()
        for camp in st["campaigns"].values():
            if camp["status"] == "ready" and camp["scheduled_for"] and camp["scheduled_for"] <= now:
                self._send(st, camp)

    def _send(self, st: dict[str, Any], camp: dict[str, Any]) -> None:
        now = self._now()
        camp["sent_count"] = self._recipients(st, camp)
        camp["status"] = "sent"
        camp["queued_at"] = camp["queued_at"] or now
        camp["started_at"] = now
        camp["finished_at"] = now
        camp["updated_at"] = now

    def _campaign(self, req: SimRequest) -> tuple[dict[str, Any], dict[str, Any]]:
        st = self._st(req)
        self._tick_campaigns(st)
        return st, self._find(st, "campaign", "campaigns", req.params["id"])

    @route("GET", "/api/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        st = self._st(req)
        self._tick_campaigns(st)
        status = req.arg("filter[status]") or "ready"
        if status not in CAMPAIGN_STATUSES:
            raise invalid({"filter.status": ["The selected filter.status is invalid."]})
        ctype = req.arg("filter[type]")
        if ctype is not None and ctype not in (*CAMPAIGN_TYPES, "rss"):
            raise invalid({"filter.type": ["The selected filter.type is invalid."]})
        every = list(reversed(st["campaigns"].values()))
        chosen = [c for c in every if c["status"] == status and (ctype is None or c["type"] == ctype)]
        aggregations = {"all": len(every)}
        for s in CAMPAIGN_STATUSES:
            aggregations[s] = sum(1 for c in every if c["status"] == s)
        return 200, self.page_envelope(
            req,
            chosen,
            25,
            lambda c: self.render_campaign(st, c, content=False),
            {"aggregations": aggregations},
        )

    @route("GET", "/api/campaigns/languages")
    def campaign_languages(self, req: SimRequest) -> Any:
        keys = ("id", "shortcode", "iso639", "name", "direction")
        return 200, {"data": [dict(zip(keys, lang, strict=True)) for lang in _LANGUAGES]}

    @route("POST", "/api/campaigns")
    def create_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        clean = self._validate_campaign(st, self._body(req), create=True)
        now = self._now()
        email = clean["email"]
        camp = {
            "id": self._new_id(),
            "account_id": self._account_number(req.account or ""),
            "name": clean["name"],
            "type": clean["type"],
            "status": "draft",
            "language_id": clean.get("language_id", "4"),
            "group_ids": [] if clean.get("segments") else clean.get("groups", []),
            "segment_ids": clean.get("segments", []),
            "delivery_schedule": None,
            "created_at": now,
            "updated_at": now,
            "scheduled_for": None,
            "queued_at": None,
            "started_at": None,
            "finished_at": None,
            "stopped_at": None,
            "ab_settings": clean.get("ab_settings"),
            "email": {
                "id": self._new_id(),
                "subject": email["subject"],
                "from_name": email["from_name"],
                "from": email["from"],
                "reply_to": email.get("reply_to"),
                "preheader": email.get("preheader"),
                "content": email.get("content"),
            },
        }
        st["campaigns"][camp["id"]] = camp
        return 201, {"data": self.render_campaign(st, camp, content=False)}

    @route("GET", "/api/campaigns/{id:\\d+}")
    def get_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        return 200, {"data": self.render_campaign(st, camp)}

    @route("PUT", "/api/campaigns/{id:\\d+}")
    def update_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        if camp["status"] != "draft":
            raise invalid({"status": [f"Only draft campaigns can be updated; this campaign is {camp['status']}."]})
        clean = self._validate_campaign(st, self._body(req), create=False)
        for key in ("name", "type", "language_id"):
            if key in clean:
                camp[key] = clean[key]
        if "segments" in clean:
            camp["segment_ids"], camp["group_ids"] = clean["segments"], []
        elif "groups" in clean:
            camp["group_ids"], camp["segment_ids"] = clean["groups"], []
        if "email" in clean:
            for key in ("subject", "from_name", "from", "reply_to", "preheader", "content"):
                if key in clean["email"]:
                    camp["email"][key] = clean["email"][key]
        camp["updated_at"] = self._now()
        return 200, {"data": self.render_campaign(st, camp)}

    @route("POST", "/api/campaigns/{id:\\d+}/schedule")
    def schedule_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        if camp["status"] != "draft":
            raise invalid({"delivery": [f"Only draft campaigns can be scheduled; this campaign is {camp['status']}."]})
        data = self._body(req)
        delivery = data.get("delivery")
        errors: dict[str, list[str]] = {}
        if delivery is None:
            errors["delivery"] = ["The delivery field is required."]
        elif delivery not in DELIVERIES:
            errors["delivery"] = ["The selected delivery is invalid."]
        when: datetime | None = None
        tz_name = self.timezone
        if delivery in ("scheduled", "timezone_based"):
            sched = data.get("schedule")
            if not isinstance(sched, dict):
                errors["schedule"] = [f"The schedule field is required when delivery is {delivery}."]
            else:
                date = sched.get("date")
                hours = _int_in(sched.get("hours"), 0, 23)
                minutes = _int_in(sched.get("minutes"), 0, 59)
                if not isinstance(date, str) or not _DATE_RE.match(date):
                    errors["schedule.date"] = ["The schedule.date does not match the format Y-m-d."]
                if hours is None:
                    errors["schedule.hours"] = ["The schedule.hours must be between 0 and 23."]
                if minutes is None:
                    errors["schedule.minutes"] = ["The schedule.minutes must be between 0 and 59."]
                tz_id = sched.get("timezone_id")
                if tz_id is not None and delivery == "scheduled":
                    found = _timezone_name(str(tz_id))
                    if found is None:
                        errors["schedule.timezone_id"] = ["The selected schedule.timezone id is invalid."]
                    else:
                        tz_name = found
                if not errors:
                    try:
                        local = datetime.strptime(f"{date} {hours:02d}:{minutes:02d}", "%Y-%m-%d %H:%M")
                    except ValueError:
                        errors["schedule.date"] = ["The schedule.date is not a valid date."]
                    else:
                        when = local if delivery == "timezone_based" else _to_utc(local, tz_name)
                        if when <= self.clock.utcnow().replace(tzinfo=None):
                            errors["schedule.date"] = ["The schedule must be a date in the future."]
        if errors:
            raise invalid(errors)
        if not camp["email"].get("content"):
            raise invalid({"emails.0.content": ["The campaign has no content and cannot be scheduled."]})
        now = self._now()
        camp["delivery_schedule"] = delivery
        camp["stopped_at"] = None
        camp["updated_at"] = now
        if delivery == "instant":
            camp["scheduled_for"] = now
            camp["queued_at"] = now
            self._send(st, camp)  # simulator choice: an instant campaign is sent at once
        else:
            assert when is not None
            camp["status"] = "ready"
            camp["scheduled_for"] = when.strftime(TS)
        return 200, {"data": self.render_campaign(st, camp)}

    @route("POST", "/api/campaigns/{id:\\d+}/cancel")
    def cancel_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        if camp["status"] != "ready":
            raise invalid({"status": [f"Only ready campaigns can be cancelled; this campaign is {camp['status']}."]})
        now = self._now()
        camp["status"] = "draft"
        camp["stopped_at"] = now
        camp["updated_at"] = now
        return 200, {"data": self.render_campaign(st, camp)}

    @route("DELETE", "/api/campaigns/{id:\\d+}")
    def delete_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        del st["campaigns"][camp["id"]]
        return SimResponse(204)

    @route("GET", "/api/timezones")
    def timezones(self, req: SimRequest) -> Any:
        now = self.clock.utcnow()
        data = []
        for tid, name, recorded in _timezone_table():
            offset = _offset_minutes(name, now, recorded)
            sign = "+" if offset >= 0 else "-"
            offset_name = f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
            data.append(
                {
                    "id": tid,
                    "name": name,
                    "name_for_humans": f"{name.replace('_', ' ')} ({offset_name})",
                    "offset_name": offset_name,
                    "offset": offset,
                }
            )
        return 200, {"data": data}

    # ---------------------------------------------------------------- automations (read-only)

    def _trigger_automations(self, st: dict[str, Any], sub: dict[str, Any], gid: str) -> None:
        for auto in st["automations"].values():
            if not auto["enabled"] or gid not in auto["trigger_group_ids"]:
                continue
            if any(a["subscriber"]["id"] == sub["id"] for a in auto["_activity"]):
                continue  # not repeatable
            first = auto["steps"][0] if auto["steps"] else None
            auto["_activity"].append(
                {
                    "id": self._new_id(),
                    "status": "active",
                    "date": self._now(),
                    "reason": None,
                    "reason_description": None,
                    "subscriber": {"id": sub["id"], "email": sub["email"]},
                    "stepRuns": [],
                    "currentStep": first,
                }
            )

    def render_automation(self, st: dict[str, Any], auto: dict[str, Any]) -> dict[str, Any]:
        groups = []
        for gid in auto["trigger_group_ids"]:
            rules = [[{"operator": "in_any", "condition": "groups", "args": ["groups", [gid]]}]]
            token = base64.b64encode(json.dumps(rules, separators=(",", ":")).encode()).decode()
            name = st["groups"][gid]["name"] if gid in st["groups"] else None
            groups.append(
                {"id": gid, "name": name, "url": f"https://dashboard.mailerlite.com/subscribers?rules={token}"}
            )
        broken = any(gid not in st["groups"] for gid in auto["trigger_group_ids"])
        in_queue = sum(1 for a in auto["_activity"] if a["status"] == "active")
        completed = sum(1 for a in auto["_activity"] if a["status"] == "completed")
        stats = _stats()
        stats.pop("forwards_count")
        stats.update(
            {
                "completed_subscribers_count": completed,
                "subscribers_in_queue_count": in_queue,
                "bounce_rate": _rate(),
                "unique_opens_count": None,
                "unique_clicks_count": None,
                "social_interactions_count": None,
                "social_interaction_rate": _rate(),
            }
        )
        return {
            "id": auto["id"],
            "name": auto["name"],
            "enabled": auto["enabled"],
            "trigger_data": {
                "track_ecommerce": False,
                "repeatable": False,
                "valid": not broken,
                "complete_workflow": True,
                "broken_workflow": broken,
            },
            "triggers": [
                {
                    "id": auto["trigger_id"],
                    "type": "subscriber_joins_group",
                    "group_ids": list(auto["trigger_group_ids"]),
                    "groups": groups,
                    "exclude_group_ids": [],
                    "excluded_groups": [],
                    "broken": broken,
                    "complete": True,
                }
            ],
            "complete": True,
            "broken": broken,
            "warnings": [],
            "emails_count": sum(1 for s in auto["steps"] if s["type"] == "email"),
            "stats": stats,
            "created_at": auto["created_at"],
            "has_banned_content": False,
            "qualified_subscribers_count": 0,
            "automation_template_id": None,
            "automation_template_name": None,
            "steps": auto["steps"],
        }

    def _automation(self, req: SimRequest) -> tuple[dict[str, Any], dict[str, Any]]:
        st = self._st(req)
        return st, self._find(st, "automation", "automations", req.params["id"])

    @route("GET", "/api/automations")
    def list_automations(self, req: SimRequest) -> Any:
        st = self._st(req)
        autos = list(reversed(st["automations"].values()))
        enabled = req.arg("filter[enabled]")
        if enabled is not None:
            if enabled not in ("true", "false", "1", "0"):
                raise invalid({"filter.enabled": ["The filter.enabled field must be true or false."]})
            want = enabled in ("true", "1")
            autos = [a for a in autos if a["enabled"] == want]
        name = req.arg("filter[name]")
        if name:
            autos = [a for a in autos if name.lower() in a["name"].lower()]
        group = req.arg("filter[group]")
        if group:
            autos = [a for a in autos if group in a["trigger_group_ids"]]
        total = len(st["automations"])
        aggregations = {"workflows": total, "drafts": 0, "unsync": 0, "all": total}
        return 200, self.page_envelope(
            req, autos, 10, lambda a: self.render_automation(st, a), {"aggregations": aggregations}
        )

    @route("GET", "/api/automations/{id}")
    def get_automation(self, req: SimRequest) -> Any:
        st, auto = self._automation(req)
        return 200, {"data": self.render_automation(st, auto)}

    @route("GET", "/api/automations/{id}/activity")
    def automation_activity(self, req: SimRequest) -> Any:
        _, auto = self._automation(req)
        status = req.arg("filter[status]")
        if not status:
            raise invalid({"filter.status": ["The filter.status field is required."]})
        if status not in ("completed", "active", "canceled", "failed"):
            raise invalid({"filter.status": ["The selected filter.status is invalid."]})
        items = [a for a in reversed(auto["_activity"]) if a["status"] == status]
        return 200, self.page_envelope(req, items, 50)

    # ---------------------------------------------------------------- webhooks

    def _validate_webhook(self, data: dict[str, Any], *, create: bool, batchable: bool) -> None:
        errors: dict[str, list[str]] = {}
        url = data.get("url")
        if url is None or url == "":
            if create:
                errors["url"] = ["The url field is required."]
        elif not isinstance(url, str) or not _URL_RE.match(url):
            errors["url"] = ["The url format is invalid."]
        events = data.get("events")
        if events is None or events == []:
            if create:
                errors["events"] = ["The events field is required."]
        elif not isinstance(events, list):
            errors["events"] = ["The events must be an array."]
        else:
            for i, event in enumerate(events):
                if event not in WEBHOOK_EVENTS:
                    errors[f"events.{i}"] = [f"The selected events.{i} is invalid."]
                elif event in WEBHOOK_BATCHABLE_ONLY and not batchable:  # unverified wording
                    errors[f"events.{i}"] = [f"The events.{i} event requires batchable to be true."]
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > 255):
            errors["name"] = ["The name must be a string of at most 255 characters."]
        for key in ("enabled", "batchable"):
            if key in data and not isinstance(data[key], bool):
                errors[key] = [f"The {key} field must be true or false."]
        if errors:
            raise invalid(errors)

    @route("GET", "/api/webhooks")
    def list_webhooks(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, self.page_envelope(req, list(st["webhooks"].values()), 50, self.render_webhook)

    @route("GET", "/api/webhooks/{id}")
    def get_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"data": self.render_webhook(self._find(st, "webhook", "webhooks", req.params["id"]))}

    @route("POST", "/api/webhooks")
    def create_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._body(req)
        self._validate_webhook(data, create=True, batchable=bool(data.get("batchable")))
        now = self._now()
        hid = self._new_id()
        rng = random.Random(f"{self.seed}:{hid}")
        secret = "".join(rng.choice(_SECRET_ALPHABET) for _ in range(10))
        hook = {
            "id": hid,
            "name": data.get("name"),
            "url": data["url"],
            "events": list(data["events"]),
            "enabled": data.get("enabled", True),
            "is_blocked": False,
            "secret": secret,
            "created_at": now,
            "updated_at": now,
            "batchable": bool(data.get("batchable", False)),
            "version": "2022-01",
            "last_fired_at": None,
            "response_code": None,
        }
        st["webhooks"][hid] = hook
        return 201, {"data": self.render_webhook(hook)}

    @route("PUT", "/api/webhooks/{id}")
    def update_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        hook = self._find(st, "webhook", "webhooks", req.params["id"])
        data = self._body(req)
        self._validate_webhook(data, create=False, batchable=bool(data.get("batchable", hook["batchable"])))
        for key in ("name", "url", "events", "enabled", "batchable"):
            if key in data:
                hook[key] = data[key]
        hook["updated_at"] = self._now()
        return 200, {"data": self.render_webhook(hook)}

    @route("DELETE", "/api/webhooks/{id}")
    def delete_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        hook = self._find(st, "webhook", "webhooks", req.params["id"])
        del st["webhooks"][hook["id"]]
        return SimResponse(204)

    # ---------------------------------------------------------------- batch

    @route("POST", "/api/batch")
    def batch(self, req: SimRequest) -> Any:
        items = self._body(req).get("requests")
        errors: dict[str, list[str]] = {}
        if items is None:
            errors["requests"] = ["The requests field is required."]
        elif not isinstance(items, list):
            errors["requests"] = ["The requests must be an array."]
        elif len(items) > BATCH_MAX:
            errors["requests"] = [f"The requests must not have more than {BATCH_MAX} items."]
        else:
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    errors[f"requests.{i}"] = [f"The requests.{i} must be an array."]
                    continue
                method = item.get("method")
                if not method:
                    errors[f"requests.{i}.method"] = [f"The requests.{i}.method field is required."]
                elif str(method).upper() not in BATCH_METHODS:
                    errors[f"requests.{i}.method"] = [f"The selected requests.{i}.method is invalid."]
                path = item.get("path")
                if not path:
                    errors[f"requests.{i}.path"] = [f"The requests.{i}.path field is required."]
                elif not isinstance(path, str) or not path.startswith("api/"):
                    errors[f"requests.{i}.path"] = [f"The requests.{i}.path format is invalid."]
                elif path.split("?")[0].strip("/").startswith("api/webhooks"):
                    errors[f"requests.{i}.path"] = ["Webhooks are not supported in batch requests."]
                if "body" in item and item["body"] is not None and not isinstance(item["body"], dict | list):
                    errors[f"requests.{i}.body"] = [f"The requests.{i}.body must be an array."]
        if errors:
            raise invalid(errors)
        assert isinstance(items, list)
        responses = []
        for item in items:
            sub = SimRequest(
                str(item["method"]),
                "/" + item["path"].split("?")[0].strip("/"),
                _query(item["path"]),
                req.headers,
                time=req.time,
                account=req.account,
                json_data=item.get("body"),
            )
            try:
                resp = self._route(sub)
            except Exception as exc:
                resp = self.server_error(sub, exc)
            responses.append({"code": resp.status, "body": resp.body})
        ok = sum(1 for r in responses if 200 <= r["code"] < 300)
        return 200, {"total": len(responses), "successful": ok, "failed": len(responses) - ok, "responses": responses}

    # ---------------------------------------------------------------- "vendor UI" actions and test helpers

    @control("add_segment")
    def add_segment(self, account: str, name: str, subscriber_ids: Iterable[str] = ()) -> dict[str, Any]:
        """Create a segment as a user would in the MailerLite UI (the API cannot)."""
        with self.lock:
            st = self.account_state(account)
            sid = self._new_id()
            ids = [st["by_email"].get(i.lower(), i) if "@" in i else str(i) for i in subscriber_ids]
            st["segments"][sid] = {"id": sid, "name": name, "created_at": self._now(), "subscriber_ids": ids}
            return self.render_segment(st, st["segments"][sid])

    @control("add_automation")
    def add_automation(
        self,
        account: str,
        name: str,
        trigger_group_id: str,
        steps: list[dict[str, Any]],
        enabled: bool = True,
    ) -> dict[str, Any]:
        """Build an automation as a user would in the MailerLite UI: a "subscriber joins group" trigger
        and steps such as ``{"type": "email", "subject": ...}``, ``{"type": "delay", "value": 2,
        "unit": "days"}``, ``{"type": "condition", ...}`` (other keys are kept as given)."""
        with self.lock:
            st = self.account_state(account)
            aid = self._new_id()
            now = self._now()
            rendered: list[dict[str, Any]] = []
            parent: str | None = None
            for raw in steps:
                step = self._automation_step(account, aid, raw, parent, now, enabled)
                rendered.append(step)
                parent = step["id"]
            st["automations"][aid] = {
                "id": aid,
                "name": name,
                "enabled": bool(enabled),
                "trigger_id": self._new_id(),
                "trigger_group_ids": [str(trigger_group_id)],
                "steps": rendered,
                "created_at": now,
                "_activity": [],
            }
            return self.render_automation(st, st["automations"][aid])

    def _automation_step(
        self, account: str, aid: str, raw: dict[str, Any], parent: str | None, now: str, enabled: bool
    ) -> dict[str, Any]:
        kind = raw.get("type", "action")
        step: dict[str, Any] = {"id": self._new_id(), "type": kind, "parent_id": parent}
        if kind == "email":
            subject = raw.get("subject", "")
            sender = raw.get("from", "sender@example.com")
            name = raw.get("name") or subject
            eid = self._new_id()
            content = raw.get("content")
            email = {
                "id": eid,
                "account_id": self._account_number(account),
                "emailable_id": aid,
                "emailable_type": "automations",
                "type": "builder",
                "from": sender,
                "from_name": raw.get("from_name", sender),
                "reply_to": raw.get("reply_to", sender),
                "name": name,
                "subject": subject,
                "plain_text": PLAIN_TEXT,
                "screenshot_url": None,
                "generate_screenshot_timestamp": None,
                "preview_url": f"https://preview.mailerlite.io/preview/{self._account_number(account)}/emails/{eid}",
                "created_at": now,
                "updated_at": now,
                "is_designed": True,
                "language_id": 4,
                "is_winner": False,
                "stats": _stats(),
                "send_after": None,
                "track_opens": True,
                "uses_survey": False,
                "uses_quiz": False,
                "preheader": raw.get("preheader", ""),
            }
            if content is not None:
                email["content"] = content
            step.update(
                {
                    "name": name,
                    "subject": subject,
                    "from": sender,
                    "from_name": email["from_name"],
                    "reply_to": email["reply_to"],
                    "email_id": eid,
                    "email": email,
                    "language_id": 4,
                    "complete": True,
                    "created_at": now,
                    "updated_at": now,
                    "track_opens": True,
                    "google_analytics": None,
                    "tracking_was_disabled": False,
                    "broken": False,
                    "has_unsubscribe_url": content is None or "{$unsubscribe}" in content,
                    "eligible_for_sending": bool(enabled),
                    "preheader": email["preheader"],
                    "builder_type": "builder",
                    "description": f'Send "{name}" email',
                    "type_count": 1,
                }
            )
        else:
            step.update({"complete": True, "broken": False, "created_at": now, "updated_at": now})
            if kind == "delay":
                value, unit = raw.get("value", 1), raw.get("unit", "days")
                step.update({"unit": unit, "value": value, "description": f"Wait {value} {unit}"})
            elif kind == "condition":
                step["description"] = raw.get("description", "Condition")
            else:
                step["description"] = raw.get("description", kind.replace("_", " ").capitalize())
            step["type_count"] = 1
        for key, value in raw.items():
            step.setdefault(key, value)
        return step

    @control("set_subscriber_status")
    def set_subscriber_status(self, account: str, email: str, status: str) -> dict[str, Any]:
        """What a recipient or the vendor does outside the API: unsubscribe, bounce, complain (junk)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        with self.lock:
            st = self.account_state(account)
            sub = self._find_subscriber(st, email)
            self._set_status(st, sub, status)
            sub["updated_at"] = self._now()
            return self.render_subscriber(st, sub)

    @control("subscribers")
    def subscribers(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """Every subscriber of the account, oldest first, rendered with groups."""
        with self.lock:
            st = self.account_state(account)
            keys = self._field_keys(st)
            return [self.render_subscriber(st, s, keys=keys) for s in st["subscribers"].values()]

    def subscriber(self, email: str, account: str = "sandbox") -> dict[str, Any] | None:
        with self.lock:
            st = self.account_state(account)
            sid = st["by_email"].get(email.strip().lower())
            return self.render_subscriber(st, st["subscribers"][sid]) if sid else None

    @control("groups")
    def groups(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_group(g) for g in self.account_state(account)["groups"].values()]

    @control("fields")
    def fields(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_field(f) for f in self.account_state(account)["fields"].values()]

    @control("segments")
    def segments(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self.account_state(account)
            return [self.render_segment(st, s) for s in st["segments"].values()]

    @control("campaigns")
    def campaigns(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self.account_state(account)
            self._tick_campaigns(st)
            return [self.render_campaign(st, c) for c in st["campaigns"].values()]

    @control("automations")
    def automations(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self.account_state(account)
            return [self.render_automation(st, a) for a in st["automations"].values()]

    def automation_activity_of(self, automation_id: str, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            auto = self.account_state(account)["automations"].get(automation_id)
            return [dict(a) for a in auto["_activity"]] if auto else []

    @control("webhooks")
    def webhooks(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_webhook(h) for h in self.account_state(account)["webhooks"].values()]


# --------------------------------------------------------------------------------------------------
# module helpers


def _query(path: str) -> dict[str, list[str]]:
    _, _, qs = path.partition("?")
    return parse_qs(qs, keep_blank_values=True) if qs else {}


def _laravel_window(page: int, last: int) -> list[int | None]:
    """Laravel's UrlWindow (onEachSide=3): page numbers with None for the "..." separators."""
    on_each_side = 3
    window = on_each_side + 4
    if last < on_each_side * 2 + 8:
        return list(range(1, last + 1))
    if page <= window:
        return [*range(1, window + on_each_side + 1), None, last - 1, last]
    if page > last - window:
        return [1, 2, None, *range(last - (window + on_each_side - 1), last + 1)]
    return [1, 2, None, *range(page - on_each_side, page + on_each_side + 1), None, last - 1, last]


_TZ_CACHE: list[tuple[str, str, int]] | None = None


def _timezone_table() -> list[tuple[str, str, int]]:
    global _TZ_CACHE
    if _TZ_CACHE is None:
        table = []
        for entry in _TIMEZONES_RECORDED.split():
            tid, name, offset = entry.split(":")
            table.append((tid, name, int(offset)))
        _TZ_CACHE = table
    return _TZ_CACHE


def _timezone_name(tz_id: str) -> str | None:
    for tid, name, _ in _timezone_table():
        if tid == tz_id:
            return name
    return None


def _offset_minutes(name: str, at: datetime, recorded: int) -> int:
    try:
        offset = at.astimezone(ZoneInfo(name)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return recorded
    return int(offset.total_seconds() // 60) if offset is not None else recorded


def _to_utc(local: datetime, tz_name: str) -> datetime:
    """A naive local wall time in `tz_name` → naive UTC."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        recorded = next((off for _, name, off in _timezone_table() if name == tz_name), 0)
        return local - timedelta(minutes=recorded)
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


_LANGUAGES = (
    ("23", "ar", "ar", "(Arabic) العربية", "rtl"),
    ("34", "ca", "ca", "Català", "ltr"),
    ("21", "cz", "cs-CZ", "Český", "ltr"),
    ("35", "ch", "ch", "Chinese", "ltr"),
    ("16", "dk", "da-DK", "Dansk", "ltr"),
    ("5", "de", "de-DE", "Deutsch", "ltr"),
    ("15", "ee", "et-EE", "Eesti", "ltr"),
    ("4", "en", "en-US", "English", "ltr"),
    ("8", "es", "es-ES", "Español", "ltr"),
    ("9", "mx", "es-MX", "Español (Latinoamérica)", "ltr"),
    ("17", "fi", "fi-FI", "Finnish", "ltr"),
    ("6", "fr", "fr-FR", "Français", "ltr"),
    ("26", "frq", "fr-CA", "Français (Canada)", "ltr"),
    ("36", "he", "he", "(Hebrew) עברית", "rtl"),
    ("20", "hr", "hr-HR", "Hrvatski", "ltr"),
    ("7", "it", "it-IT", "Italiano", "ltr"),
    ("37", "ja", "jpn", "Japanese", "ltr"),
    ("14", "lv", "lv-LV", "Latviešu", "ltr"),
    ("1", "lt", "lt-LT", "Lietuviškai", "ltr"),
    ("32", "hu", "hu-HU", "Magyar", "ltr"),
    ("13", "nl", "nl-NL", "Nederlands", "ltr"),
    ("28", "no", "nn-NO", "Norsk", "ltr"),
    ("33", "pr", "fa-IR", "(Persian) فارسی", "rtl"),
    ("2", "pl", "pl-PL", "Polski", "ltr"),
    ("18", "pt", "pt-PT", "Português", "ltr"),
    ("19", "ptbr", "pt-BR", "Português (Brasil)", "ltr"),
    ("27", "ro", "ro-RO", "Română", "ltr"),
    ("22", "sl", "sl-SI", "Slovenski", "ltr"),
    ("10", "sk", "sk-SK", "Slovensky", "ltr"),
    ("11", "se", "sv-SE", "Svenska", "ltr"),
    ("25", "tr", "tr-TR", "Türkçe", "ltr"),
    ("24", "gr", "el-GR", "Ελληνικά", "ltr"),
    ("30", "bg", "bg-BG", "Български", "ltr"),
    ("29", "mk", "mk-MK", "Македонски", "ltr"),
    ("3", "ru", "ru-RU", "Русский", "ltr"),
    ("31", "sr", "sr-Cyrl", "Српски", "ltr"),
    ("12", "ua", "uk-UA", "Українська", "ltr"),
)

# GET /timezones as recorded (id:name:offset-minutes at recording time); offsets are recomputed per
# request from the tz database when it knows the zone.
_TIMEZONES_RECORDED = """
1:Africa/Abidjan:0 2:Africa/Accra:0 3:Africa/Addis_Ababa:180 4:Africa/Algiers:60 5:Africa/Asmara:180
6:Africa/Bamako:0 7:Africa/Bangui:60 8:Africa/Banjul:0 9:Africa/Bissau:0 10:Africa/Blantyre:120
11:Africa/Brazzaville:60 12:Africa/Bujumbura:120 16:Africa/Conakry:0 17:Africa/Dakar:0
18:Africa/Dar_es_Salaam:180 19:Africa/Djibouti:180 20:Africa/Douala:60 23:Africa/Gaborone:120
24:Africa/Harare:120 25:Africa/Johannesburg:120 27:Africa/Kampala:180 28:Africa/Khartoum:120
29:Africa/Kigali:120 30:Africa/Kinshasa:60 31:Africa/Lagos:60 32:Africa/Libreville:60 33:Africa/Lome:0
34:Africa/Luanda:60 35:Africa/Lubumbashi:120 36:Africa/Lusaka:120 37:Africa/Malabo:60 38:Africa/Maputo:120
39:Africa/Maseru:120 40:Africa/Mbabane:120 41:Africa/Mogadishu:180 42:Africa/Monrovia:0
43:Africa/Nairobi:180 44:Africa/Ndjamena:60 45:Africa/Niamey:60 46:Africa/Nouakchott:0
47:Africa/Ouagadougou:0 48:Africa/Porto-Novo:60 49:Africa/Sao_Tome:0 50:Africa/Tripoli:120
51:Africa/Tunis:60 52:Africa/Windhoek:120 55:America/Anguilla:-240 56:America/Antigua:-240
57:America/Araguaina:-180 58:America/Argentina/Buenos_Aires:-180 59:America/Argentina/Catamarca:-180
60:America/Argentina/Cordoba:-180 61:America/Argentina/Jujuy:-180 62:America/Argentina/La_Rioja:-180
63:America/Argentina/Mendoza:-180 64:America/Argentina/Rio_Gallegos:-180 65:America/Argentina/Salta:-180
66:America/Argentina/San_Juan:-180 67:America/Argentina/San_Luis:-180 68:America/Argentina/Tucuman:-180
69:America/Argentina/Ushuaia:-180 70:America/Aruba:-240 72:America/Atikokan:-300 73:America/Bahia:-180
75:America/Barbados:-240 76:America/Belem:-180 77:America/Belize:-360 78:America/Blanc-Sablon:-240
79:America/Boa_Vista:-240 80:America/Bogota:-300 83:America/Campo_Grande:-240 84:America/Cancun:-300
85:America/Caracas:-240 86:America/Cayenne:-180 87:America/Cayman:-300 90:America/Costa_Rica:-360
91:America/Creston:-420 92:America/Cuiaba:-240 93:America/Curacao:-240 94:America/Danmarkshavn:0
95:America/Dawson:-420 96:America/Dawson_Creek:-420 99:America/Dominica:-240 101:America/Eirunepe:-300
102:America/El_Salvador:-360 103:America/Fort_Nelson:-420 104:America/Fortaleza:-180
108:America/Grenada:-240 109:America/Guadeloupe:-240 110:America/Guatemala:-360 111:America/Guayaquil:-300
112:America/Guyana:-240 115:America/Hermosillo:-420 126:America/Jamaica:-300 130:America/Kralendijk:-240
131:America/La_Paz:-240 132:America/Lima:-300 26:Africa/Juba:120 134:America/Lower_Princes:-240
135:America/Maceio:-180 136:America/Managua:-360 137:America/Manaus:-240 138:America/Marigot:-240
139:America/Martinique:-240 88:America/Chicago:-300 149:America/Montevideo:-180 150:America/Montserrat:-240
155:America/Noronha:-120 161:America/Panama:-300 81:America/Boise:-360 82:America/Cambridge_Bay:-360
163:America/Paramaribo:-180 164:America/Phoenix:-420 166:America/Port_of_Spain:-240
167:America/Porto_Velho:-240 168:America/Puerto_Rico:-240 169:America/Punta_Arenas:-180
172:America/Recife:-180 173:America/Regina:-360 175:America/Rio_Branco:-300 54:America/Anchorage:-480
127:America/Juneau:-480 237:Asia/Gaza:180 13:Africa/Cairo:180 98:America/Detroit:-240
120:America/Indiana/Tell_City:-300 176:America/Santarem:-180 178:America/Santo_Domingo:-240
179:America/Sao_Paulo:-180 182:America/St_Barthelemy:-240 184:America/St_Kitts:-240
185:America/St_Lucia:-240 186:America/St_Thomas:-240 187:America/St_Vincent:-240
188:America/Swift_Current:-360 189:America/Tegucigalpa:-360 194:America/Tortola:-240
196:America/Whitehorse:-420 201:Antarctica/Davis:420 202:Antarctica/DumontDUrville:600
204:Antarctica/Mawson:300 206:Antarctica/Palmer:-180 207:Antarctica/Rothera:-180 208:Antarctica/Syowa:180
212:Asia/Aden:180 215:Asia/Anadyr:720 216:Asia/Aqtau:300 217:Asia/Aqtobe:300 218:Asia/Ashgabat:300
219:Asia/Atyrau:300 220:Asia/Baghdad:180 221:Asia/Bahrain:180 222:Asia/Baku:240 223:Asia/Bangkok:420
224:Asia/Barnaul:420 226:Asia/Bishkek:360 227:Asia/Brunei:480 228:Asia/Chita:540 229:Asia/Choibalsan:480
230:Asia/Colombo:330 232:Asia/Dhaka:360 233:Asia/Dili:540 234:Asia/Dubai:240 235:Asia/Dushanbe:300
239:Asia/Ho_Chi_Minh:420 240:Asia/Hong_Kong:480 241:Asia/Hovd:420 242:Asia/Irkutsk:480 243:Asia/Jakarta:420
244:Asia/Jayapura:540 246:Asia/Kabul:270 247:Asia/Kamchatka:720 248:Asia/Karachi:300 249:Asia/Kathmandu:345
250:Asia/Khandyga:540 251:Asia/Kolkata:330 252:Asia/Krasnoyarsk:420 253:Asia/Kuala_Lumpur:480
254:Asia/Kuching:480 255:Asia/Kuwait:180 256:Asia/Macau:480 257:Asia/Magadan:660 258:Asia/Makassar:480
259:Asia/Manila:480 260:Asia/Muscat:240 262:Asia/Novokuznetsk:420 263:Asia/Novosibirsk:420 264:Asia/Omsk:360
265:Asia/Oral:300 266:Asia/Phnom_Penh:420 267:Asia/Pontianak:420 268:Asia/Pyongyang:540 269:Asia/Qatar:180
113:America/Halifax:-180 271:Asia/Qyzylorda:300 272:Asia/Riyadh:180 273:Asia/Sakhalin:660
274:Asia/Samarkand:300 275:Asia/Seoul:540 276:Asia/Shanghai:480 277:Asia/Singapore:480 231:Asia/Damascus:180
278:Asia/Srednekolymsk:660 279:Asia/Taipei:480 280:Asia/Tashkent:300 281:Asia/Tbilisi:240
283:Asia/Thimphu:360 284:Asia/Tokyo:540 285:Asia/Tomsk:420 225:Asia/Beirut:180 143:America/Merida:-360
145:America/Mexico_City:-360 141:America/Mazatlan:-420 286:Asia/Ulaanbaatar:480 287:Asia/Urumqi:360
288:Asia/Ust-Nera:600 289:Asia/Vientiane:420 290:Asia/Vladivostok:600 291:Asia/Yakutsk:540
292:Asia/Yangon:390 293:Asia/Yekaterinburg:300 294:Asia/Yerevan:240 119:America/Indiana/Petersburg:-240
140:America/Matamoros:-300 97:America/Denver:-360 124:America/Inuvik:-360 192:America/Tijuana:-420
298:Atlantic/Cape_Verde:-60 301:Atlantic/Reykjavik:0 302:Atlantic/South_Georgia:-120
303:Atlantic/St_Helena:0 304:Atlantic/Stanley:-180 306:Australia/Brisbane:600 309:Australia/Darwin:570
310:Australia/Eucla:525 312:Australia/Lindeman:600 315:Australia/Perth:480 319:Europe/Astrakhan:240
335:Europe/Istanbul:180 337:Europe/Kaliningrad:120 339:Europe/Kirov:180 347:Europe/Minsk:180
349:Europe/Moscow:180 356:Europe/Samara:240 359:Europe/Saratov:240 360:Europe/Simferopol:180
366:Europe/Ulyanovsk:240 144:America/Metlakatla:-480 154:America/Nome:-480 245:Asia/Jerusalem:180
325:Europe/Bucharest:180 160:America/Ojinaga:-300 21:Africa/El_Aaiun:60 213:Asia/Almaty:300
377:Indian/Antananarivo:180 378:Indian/Chagos:360 379:Indian/Christmas:420 380:Indian/Cocos:390
381:Indian/Comoro:180 382:Indian/Kerguelen:300 383:Indian/Mahe:240 384:Indian/Maldives:300
385:Indian/Mauritius:240 386:Indian/Mayotte:180 387:Indian/Reunion:240 390:Pacific/Bougainville:660
392:Pacific/Chuuk:600 394:Pacific/Efate:660 395:Pacific/Enderbury:780 396:Pacific/Fakaofo:780
398:Pacific/Funafuti:720 399:Pacific/Galapagos:-360 400:Pacific/Gambier:-540 401:Pacific/Guadalcanal:660
402:Pacific/Guam:600 403:Pacific/Honolulu:-600 404:Pacific/Kiritimati:840 405:Pacific/Kosrae:660
406:Pacific/Kwajalein:720 372:Europe/Volgograd:180 407:Pacific/Majuro:720 408:Pacific/Marquesas:-570
409:Pacific/Midway:-660 410:Pacific/Nauru:720 411:Pacific/Niue:-660 413:Pacific/Noumea:660
414:Pacific/Pago_Pago:-660 415:Pacific/Palau:540 416:Pacific/Pitcairn:-480 417:Pacific/Pohnpei:660
418:Pacific/Port_Moresby:600 419:Pacific/Rarotonga:-600 420:Pacific/Saipan:600 397:Pacific/Fiji:720
421:Pacific/Tahiti:-600 422:Pacific/Tarawa:720 423:Pacific/Tongatapu:780 424:Pacific/Wake:720
425:Pacific/Wallis:720 426:UTC:0 427:Atlantic/Cape_Verde:-60 428:America/Regina:-360 388:Pacific/Apia:780
107:America/Grand_Turk:-240 142:America/Menominee:-300 199:America/Yellowknife:-360 328:Europe/Chisinau:180
329:Europe/Copenhagen:120 190:America/Thule:-180 471:America/Resolute:-300 429:Asia/Sakhalin:660
430:America/Belize:-360 431:America/Danmarkshavn:0 433:America/Whitehorse:-420
434:America/St_Barthelemy:-240 435:UTC:0 436:America/St_Vincent:-240 437:America/Grenada:-240
438:Africa/Libreville:60 441:America/Hermosillo:-420 443:Asia/Qatar:180 308:Australia/Currie:600
444:Asia/Dhaka:360 445:Asia/Ashgabat:300 446:Europe/Kaliningrad:120 449:Asia/Aqtau:300
450:Africa/Windhoek:120 451:Asia/Tashkent:300 452:Europe/Saratov:240 453:UTC:0 454:America/Hermosillo:-420
456:Asia/Irkutsk:480 458:Africa/Malabo:60 459:Pacific/Saipan:600 460:America/Guyana:-240
461:Asia/Tbilisi:240 466:Indian/Christmas:420 468:America/Swift_Current:-360 473:Asia/Kamchatka:720
474:Asia/Dubai:240 475:America/Danmarkshavn:0 476:America/Santo_Domingo:-240 477:Africa/Johannesburg:120
478:Asia/Kuala_Lumpur:480 479:Asia/Dushanbe:300 481:Asia/Thimphu:360 482:America/La_Paz:-240
483:Europe/Saratov:240 485:Asia/Kuching:480 486:America/Caracas:-240 307:Australia/Broken_Hill:570
488:Asia/Colombo:330 490:America/Cuiaba:-240 491:America/Argentina/Ushuaia:-180 492:Asia/Ho_Chi_Minh:420
493:Africa/Ouagadougou:0 494:Africa/Lubumbashi:120 495:America/Porto_Velho:-240 496:Asia/Tashkent:300
499:America/Port_of_Spain:-240 500:America/St_Thomas:-240 502:America/Puerto_Rico:-240 448:Africa/Cairo:180
89:America/Chihuahua:-360 177:America/Santiago:-180 393:Pacific/Easter:-300 133:America/Los_Angeles:-420
198:America/Yakutat:-480 181:America/Sitka:-480 53:America/Adak:-540 338:Europe/Kiev:180
148:America/Monterrey:-360 22:Africa/Freetown:0 71:America/Asuncion:-180 334:Europe/Isle_of_Man:60
503:America/Regina:-360 506:Africa/Bissau:0 508:America/Swift_Current:-360 511:America/Araguaina:-180
512:Asia/Tomsk:420 514:Asia/Magadan:660 282:Asia/Tehran:210 74:America/Bahia_Banderas:-360
238:Asia/Hebron:180 469:Africa/Cairo:180 214:Asia/Amman:180 205:Antarctica/McMurdo:720
389:Pacific/Auckland:720 391:Pacific/Chatham:765 501:Antarctica/McMurdo:720 270:Asia/Qostanay:300
412:Pacific/Norfolk:660 367:Europe/Uzhgorod:180 362:Europe/Sofia:180 15:Africa/Ceuta:120
313:Australia/Lord_Howe:630 513:Australia/Lord_Howe:630 311:Australia/Hobart:600
203:Antarctica/Macquarie:600 314:Australia/Melbourne:600 316:Australia/Sydney:600
211:Arctic/Longyearbyen:120 261:Asia/Nicosia:180 159:America/Nuuk:-60 146:America/Miquelon:-120
114:America/Havana:-240 121:America/Indiana/Vevay:-240 122:America/Indiana/Vincennes:-240
118:America/Indiana/Marengo:-240 165:America/Port-au-Prince:-240 162:America/Pangnirtung:-240
156:America/North_Dakota/Beulah:-300 158:America/North_Dakota/New_Salem:-300 170:America/Rainy_River:-300
299:Atlantic/Faroe:60 300:Atlantic/Madeira:60 320:Europe/Athens:180 322:Europe/Berlin:120
324:Europe/Brussels:120 330:Europe/Dublin:60 180:America/Scoresbysund:-60 464:Europe/Dublin:60
465:Asia/Nicosia:180 171:America/Rankin_Inlet:-300 174:America/Resolute:-300 117:America/Indiana/Knox:-300
157:America/North_Dakota/Center:-300 100:America/Edmonton:-360 515:America/Boise:-360
195:America/Vancouver:-420 341:Europe/Ljubljana:120 355:Europe/Rome:120 365:Europe/Tirane:120
371:Europe/Vilnius:180 439:Europe/Paris:120 352:Europe/Podgorica:120 305:Australia/Adelaide:570
295:Atlantic/Azores:0 346:Europe/Mariehamn:180 333:Europe/Helsinki:180 342:Europe/London:60
357:Europe/San_Marino:120 358:Europe/Sarajevo:120 336:Europe/Jersey:60 345:Europe/Malta:120
353:Europe/Prague:120 363:Europe/Stockholm:120 364:Europe/Tallinn:180 368:Europe/Vaduz:120
369:Europe/Vatican:120 370:Europe/Vienna:120 373:Europe/Warsaw:120 374:Europe/Zagreb:120
375:Europe/Zaporozhye:180 376:Europe/Zurich:120 209:Antarctica/Troll:120 326:Europe/Budapest:120
106:America/Goose_Bay:-180 14:Africa/Casablanca:60 210:Antarctica/Vostok:300 200:Antarctica/Casey:480
317:Europe/Amsterdam:120 318:Europe/Andorra:120 327:Europe/Busingen:120 484:Atlantic/Bermuda:-180
296:Atlantic/Bermuda:-180 105:America/Glace_Bay:-180 147:America/Moncton:-180 183:America/St_Johns:-150
509:America/St_Johns:-150 129:America/Kentucky/Monticello:-240 191:America/Thunder_Bay:-240
125:America/Iqaluit:-240 151:America/Nassau:-240 152:America/New_York:-240
116:America/Indiana/Indianapolis:-240 123:America/Indiana/Winamac:-240 153:America/Nipigon:-240
193:America/Toronto:-240 463:America/Indiana/Petersburg:-240 432:America/Pangnirtung:-240
128:America/Kentucky/Louisville:-240 197:America/Winnipeg:-300 442:America/Chicago:-300
457:America/Resolute:-300 510:America/Metlakatla:-480 332:Europe/Guernsey:60 340:Europe/Lisbon:60
344:Europe/Madrid:120 351:Europe/Paris:120 455:Antarctica/Troll:120 467:Europe/Jersey:60
470:Europe/Skopje:120 472:Europe/Guernsey:60 480:Europe/Vaduz:120 297:Atlantic/Canary:60
348:Europe/Monaco:120 331:Europe/Gibraltar:120 354:Europe/Riga:180 462:Europe/Guernsey:60
343:Europe/Luxembourg:120 350:Europe/Oslo:120 323:Europe/Bratislava:120 361:Europe/Skopje:120
440:Asia/Famagusta:180 321:Europe/Belgrade:120 236:Asia/Famagusta:180 447:Europe/Mariehamn:180
487:Atlantic/Madeira:60 489:Europe/Athens:180 497:Europe/Uzhgorod:180 498:Europe/Gibraltar:120
504:Europe/Rome:120 505:Europe/London:60 507:Europe/Tallinn:180 516:Europe/Helsinki:180 517:Europe/Jersey:60
518:Europe/Madrid:120
"""
