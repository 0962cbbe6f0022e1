"""The answer shapes every part of the MailerLite simulator shares.

Laravel's 422 validation bodies and the vendor's model-named 404s, the length-aware and cursor
paginators (with their page-link window and base64 cursors), the zeroed rate and email-statistics
blocks, the plain-text email body, timestamps, ids, and the subscriber statuses and email/date
patterns that several models validate against. `ShapesMixin` adds the per-request plumbing the
other mixins build on: account state, lenient body parsing, ``limit``/``page``/status query
arguments, model lookups and name validation.
"""

from __future__ import annotations

import base64
import bisect
import json
import math
import re
import zlib
from collections.abc import Callable
from typing import Any

from hub.simulator import Abort, MalformedBody, SimRequest

TS = "%Y-%m-%d %H:%M:%S"
STATUSES = ("active", "unsubscribed", "unconfirmed", "bounced", "junk")
BLOCKED_STATUSES = ("unsubscribed", "bounced", "junk")
ID_BASE = 165_000_000_000_000_000

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

EMAIL_RE = re.compile(r"^[^@\s\"(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------------------------------
# errors, rendering blocks, pagination helpers


def invalid(errors: dict[str, list[str]]) -> Abort:
    """Laravel's 422 validation answer."""
    return Abort(422, {"message": "The given data was invalid.", "errors": errors})


def missing(model: str, ident: str | None = None) -> Abort:
    """The vendor's 404 for an unknown id (subscribers name no id; the other models append it)."""
    name = MODELS[model]
    message = f"No query results for model [{name}] {ident}" if ident else f"No query results for model [{name}]."
    return Abort(404, {"message": message})


def humanize(attr: str) -> str:
    return attr.replace("_", " ")


def rate_block(value: float = 0.0) -> dict[str, Any]:
    pct = round(value * 100, 2)
    text = f"{pct:g}%"
    return {"float": value if value else 0, "string": text}


def email_stats(sent: int = 0) -> dict[str, Any]:
    return {
        "sent": sent,
        "opens_count": 0,
        "unique_opens_count": 0,
        "open_rate": rate_block(),
        "clicks_count": 0,
        "unique_clicks_count": 0,
        "click_rate": rate_block(),
        "unsubscribes_count": 0,
        "unsubscribe_rate": rate_block(),
        "spam_count": 0,
        "spam_rate": rate_block(),
        "hard_bounces_count": 0,
        "hard_bounce_rate": rate_block(),
        "soft_bounces_count": 0,
        "soft_bounce_rate": rate_block(),
        "forwards_count": 0,
        "forward_rate": rate_block(),
        "click_to_open_rate": rate_block(),
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


# --------------------------------------------------------------------------------------------------
# the mixin


class ShapesMixin:
    """Request plumbing and the two paginators, for a `Simulator` subclass (they use its clock, seed,
    sequence, account state and address, and `max_limit`)."""

    def _st(self, req: SimRequest) -> dict[str, Any]:
        assert req.account is not None
        return self.account_state(req.account)

    @staticmethod
    def _body(req: SimRequest) -> dict[str, Any]:
        """Laravel reads malformed or non-object JSON as empty input (then validation answers)."""
        try:
            data = req.json()
        except MalformedBody:
            return {}
        return data if isinstance(data, dict) else {}

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

    def _find(self, st: dict[str, Any], model: str, collection: str, ident: str) -> dict[str, Any]:
        obj = st[collection].get(ident)
        if obj is None:
            raise missing(model, ident)
        return obj

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
