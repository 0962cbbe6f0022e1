"""What every area of the MailerLite simulator shares: the collections, the length-aware and cursor
paginators, statistics blocks, the plain-text email body, ids, and `Base`, the simulator's options and
request plumbing."""

from __future__ import annotations

import base64
import bisect
import json
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from hub.simulator import Clock, Collection, MalformedBody, Row, SimRequest, Simulator, page_by_number
from hub.simulator.activity import ACTIVITY_WINDOW, DEFAULT_CLICK_RATE, DEFAULT_OPEN_RATE, ActivityRates

from .validation import TS, invalid, one_of, reject, validate

St = dict[str, Any]
STATUSES = ("active", "unsubscribed", "unconfirmed", "bounced", "junk")
BLOCKED_STATUSES = ("unsubscribed", "bounced", "junk")
ID_BASE = 165_000_000_000_000_000

# `model` is the vendor's App\Models\... name in 404s (automations and imports not recorded: by analogy)
SUBSCRIBERS = Collection("subscribers", model="Subscriber\\Subscriber", unique=("email",), render="render_subscriber")
GROUPS = Collection("groups", model="Group\\Group", render="render_group")
FIELDS = Collection("fields", model="Field", unique=("key",), render="render_field")
SEGMENTS = Collection("segments", model="Segment", render="render_segment")
CAMPAIGNS = Collection("campaigns", model="Campaign\\Campaign", render="render_campaign")
AUTOMATIONS = Collection("automations", model="Automation\\Automation", render="render_automation")
IMPORTS = Collection("imports", model="Import\\Import")
# who a sent campaign went to (its audience's active members at send time) and what each did with it
RECIPIENTS = Collection("campaign_recipients", model="Campaign\\Recipient", index=("campaign_id",),
                        render="render_recipient")

PLAIN_TEXT = (
    "Hello,\n\nYou have received a newsletter from {$account}.\n\nHowever, your email software can't display "
    "HTML emails. You can view the newsletter by clicking here:\n\n{$url}\n\n\n\nYou're receiving this "
    "newsletter because you have shown interest in {$account}.\nNot interested anymore? Click here to "
    "unsubscribe:\n{$unsubscribe}\n"
)


def rate_block(part: int = 0, whole: int = 0) -> dict[str, Any]:
    """A rate as the vendor shows it ({"float": 0.875, "string": "87.5%"}); nothing of nothing is 0."""
    value = round(part / whole, 4) if whole and part else 0
    return {"float": value, "string": f"{round(value * 100, 2):g}%"}


STAT_KEYS = ("opens_count", "unique_opens_count", "open_rate", "clicks_count", "unique_clicks_count", "click_rate",
             "unsubscribes_count", "unsubscribe_rate", "spam_count", "spam_rate", "hard_bounces_count",
             "hard_bounce_rate", "soft_bounces_count", "soft_bounce_rate", "forwards_count", "forward_rate",
             "click_to_open_rate")


def email_stats(sent: int = 0, recipients: Iterable[Row] = ()) -> dict[str, Any]:
    """The statistics block of an email sent to `sent` addresses, summed from their activity rows as they are
    now (`Campaigns.activity_rows`), so that the counters always agree with the subscriber-activity report.
    Rates are of ``sent`` (click-to-open: of unique opens)."""
    rows = list(recipients)
    opened = sum(1 for r in rows if r["opens_count"])
    clicked = sum(1 for r in rows if r["clicks_count"])
    stats: dict[str, Any] = {"sent": sent, **{k: rate_block() if k.endswith("_rate") else 0 for k in STAT_KEYS}}
    stats.update(opens_count=sum(r["opens_count"] for r in rows), unique_opens_count=opened,
                 open_rate=rate_block(opened, sent), clicks_count=sum(r["clicks_count"] for r in rows),
                 unique_clicks_count=clicked, click_rate=rate_block(clicked, sent),
                 click_to_open_rate=rate_block(clicked, opened))
    for count, rate, flag in (("unsubscribes_count", "unsubscribe_rate", "unsubscribed"),
                              ("spam_count", "spam_rate", "junk"),
                              ("hard_bounces_count", "hard_bounce_rate", "hard_bounced"),
                              ("soft_bounces_count", "soft_bounce_rate", "soft_bounced")):
        n = sum(1 for r in rows if r.get(flag))
        stats[count], stats[rate] = n, rate_block(n, sent)
    return stats


def email_shape(eid: str, account_id: str, owner: str, owner_id: str, stamps: Row, fields: Row,
                stats: Row | None = None) -> Row:
    """An email as a campaign or an automation step embeds it; `fields` are what differs between them."""
    return {"id": eid, "account_id": account_id, "emailable_id": owner_id, "emailable_type": owner, **fields,
            "plain_text": PLAIN_TEXT, "screenshot_url": None, "generate_screenshot_timestamp": None,
            "preview_url": f"https://preview.mailerlite.io/preview/{account_id}/emails/{eid}", **stamps,
            "is_winner": False, "stats": stats or email_stats(), "send_after": None, "track_opens": True,
            "uses_survey": False, "uses_quiz": False}


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
    side, window = 3, 7
    if last < side * 2 + 8:
        return list(range(1, last + 1))
    if page <= window:
        return [*range(1, window + side + 1), None, last - 1, last]
    if page > last - window:
        return [1, 2, None, *range(last - (window + side - 1), last + 1)]
    return [1, 2, None, *range(page - side, page + side + 1), None, last - 1, last]


class Base(Simulator):
    """Options: ``tokens`` (``{token: account id}``, each account with its own data), ``rate_limit`` requests and
    ``import_limit`` import creations (group imports, subscriber-only batches) per ``window`` vendor seconds,
    ``timezone`` (the account's, for schedules without ``timezone_id``), ``open_rate`` and ``click_rate`` (the
    share of a campaign's recipients who open it and who click in it, for every account unless the
    ``set_activity_rates`` control says otherwise for one), ``activity_rates`` (any other of
    `hub.simulator.ActivityRates`: bounces, unsubscribes, complaints), ``activity_window`` (vendor seconds after a
    send by which its recipients have done what they will; 3 days, 0: at the send), and the simulator choices
    ``batch_counts_subrequests``, ``max_limit`` and ``rewrite_content`` (see the package docstring)."""

    name = "mailerlite"
    base_path = "/api"
    state_version = 2  # kit v2 store: no hand-kept indexes
    collections = (SUBSCRIBERS, GROUPS, FIELDS, SEGMENTS, CAMPAIGNS, AUTOMATIONS, IMPORTS, RECIPIENTS)

    def __init__(self, clock: Clock | None = None, *, tokens: dict[str, str] | None = None, rate_limit: int = 120,
                 window: float = 60.0, import_limit: int = 5, batch_counts_subrequests: bool = False,
                 max_limit: int = 1000, timezone: str = "UTC", rewrite_content: bool = True,
                 open_rate: float = DEFAULT_OPEN_RATE, click_rate: float = DEFAULT_CLICK_RATE,
                 activity_rates: dict[str, float] | None = None, activity_window: float = ACTIVITY_WINDOW,
                 **options: Any) -> None:
        super().__init__(clock, **options)
        self.tokens = dict(tokens) if tokens is not None else {"sandbox-token": "sandbox"}
        self.rate_limit, self.window, self.import_limit = rate_limit, window, import_limit
        self.batch_counts_subrequests, self.max_limit = batch_counts_subrequests, max_limit
        self.timezone, self.rewrite_content = timezone, rewrite_content
        self.rates = ActivityRates().updated({"open_rate": open_rate, "click_rate": click_rate,
                                              **(activity_rates or {})})
        self.activity_window = float(activity_window)

    def _st(self, req: SimRequest) -> St:
        return self.account_state(req.account or "")

    @staticmethod
    def _body(req: SimRequest) -> dict[str, Any]:
        """Laravel reads malformed or non-object JSON as empty input (then validation answers)."""
        try:
            data = req.json()
        except MalformedBody:
            return {}
        return data if isinstance(data, dict) else {}

    def _now(self, fmt: str = TS) -> str:
        return self.clock.utcnow().strftime(fmt)

    def _new_id(self) -> str:
        return str(ID_BASE + (self.seed % 100_000) * 10**12 + self.next_seq() * 977)

    @staticmethod
    def _account_number(account: str) -> str:
        return str(80_000 + zlib.crc32(account.encode()) % 20_000)

    def _url(self, req: SimRequest, path: str | None = None) -> str:
        return f"http://{req.headers.get('host') or f'{self.host}:{self.port}'}{path or req.path}"

    def _query_int(self, req: SimRequest, name: str, default: int, maximum: int | None = None) -> int:
        try:
            number = int(raw) if (raw := req.arg(name)) else default
        except ValueError:
            raise invalid({name: [f"The {name} must be an integer."]}) from None
        too_big = maximum is not None and number > maximum
        if too_big or (number < 0 and name == "limit"):
            rule = f"not be greater than {maximum}" if too_big else "be at least 0"
            raise invalid({name: [f"The {name} must {rule}."]})
        return number

    def _filter(self, req: SimRequest, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        """A ``filter[name]`` query argument from `choices` (422 otherwise)."""
        value = req.arg(f"filter[{name}]") or default
        reject(validate({name: value}, {name: one_of(*choices)}, prefix="filter."))
        return value

    def page_envelope(self, req: SimRequest, items: list[Any], default_limit: int,
                      render: Callable[[Any], Any] = lambda x: x, extra_meta: dict[str, Any] | None = None) -> Row:
        """Laravel's length-aware paginator, as the vendor serialises it."""
        page = page_by_number(items, max(1, self._query_int(req, "page", 1)),
                              self._query_int(req, "limit", default_limit) or default_limit)
        path = self._url(req)
        first = page.offset + 1 if page.items else None
        n, last = page.number, page.last_page
        url = f"{path}?page={{}}".format
        links = {"first": url(1), "last": url(last), "prev": url(n - 1) if n > 1 else None,
                 "next": url(n + 1) if n < last else None}
        meta_links: list[Row] = [{"url": links["prev"], "label": "&laquo; Previous", "active": False}]
        for i in _laravel_window(n, last):
            meta_links.append({"url": url(i) if i else None, "label": str(i or "..."), "active": i == n})
        meta_links.append({"url": links["next"], "label": "Next &raquo;", "active": False})
        meta = {"current_page": n, "from": first, "last_page": last, "links": meta_links, "path": path,
                "per_page": page.limit, "to": first + len(page.items) - 1 if first else None, "total": page.total,
                **(extra_meta or {})}
        return {"data": [render(x) for x in page.items], "links": links, "meta": meta}

    def cursor_envelope(self, req: SimRequest, rows: list[Row], default_limit: int,
                        render: Callable[[Row], Any]) -> Row:
        """Laravel's cursor paginator over `rows` (sorted by id, newest first)."""
        limit = self._query_int(req, "limit", default_limit, self.max_limit) or default_limit
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
        links = {"first": None, "last": None, "prev": f"{path}?cursor={prev_cursor}" if prev_cursor else None,
                 "next": f"{path}?cursor={next_cursor}" if next_cursor else None}
        meta = {"path": path, "per_page": limit, "next_cursor": next_cursor, "prev_cursor": prev_cursor}
        return {"data": [render(r) for r in chunk], "links": links, "meta": meta}

    def render_group(self, st: St, group: Row) -> Row:
        counts = group["counts"]
        return {"id": group["id"], "name": group["name"], "active_count": counts["active"], "sent_count": 0,
                "opens_count": 0, "open_rate": rate_block(), "clicks_count": 0, "click_rate": rate_block(),
                **{f"{s}_count": counts[s] for s in STATUSES[1:]}, "created_at": group["created_at"]}
