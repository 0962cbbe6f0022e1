"""What every area of the Mailchimp simulator shares: the collections, problem+json errors (``type``, ``title``,
``status``, ``detail``, ``instance`` and, for validation, ``errors[{field, message}]``), the ``@api`` route decorator,
paging, body checks, ids, times and email validation. `Shapes` starts the chain every area extends."""

from __future__ import annotations

import copy
import functools
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar

from hub.simulator import Abort, Collection, Row, SimRequest, SimResponse, Simulator, Table, page_by_offset, route

BASE = "/3.0"
ERROR_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
PROBLEM_JSON = "application/problem+json; charset=utf-8"
JSON = "application/json; charset=utf-8"
TS = "%Y-%m-%dT%H:%M:%S+00:00"
VALIDATION_DETAIL = "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
TITLES = {400: "Invalid Resource", 401: "API Key Invalid", 403: "Forbidden", 404: "Resource Not Found",
          405: "Method Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}

LISTS = Collection("lists", model="Audience", render="render_list")
MEMBERS = Collection("members", model="Member", unique=("email_address",))  # id: md5 of the lower-cased email
SEGMENTS = Collection("segments", model="Segment", unique=("name",))  # tags are static segments
MERGE_FIELDS = Collection("merge_fields", model="Merge field", unique=("tag",), key="merge_id")
CATEGORIES = Collection("categories", model="Interest category", unique=("title",))
INTERESTS = Collection("interests", model="Interest", unique=("name",))  # per category
CAMPAIGNS = Collection("campaigns", model="Campaign")
AUTOMATIONS = Collection("automations", model="Automation", render="render_automation_listing")
AUTOMATION_EMAILS = Collection("emails", model="Automation email")
QUEUE = Collection("queue", model="Queue entry")  # by subscriber hash
JOURNEYS = Collection("journeys", model="Journey", render="render_journey")
BATCHES = Collection("batches", model="Batch", render="render_batch")

MEMBER_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
LIST_STATUSES = (*MEMBER_STATUSES, "archived")
TRACKING_DEFAULTS: dict[str, Any] = {"opens": True, "html_clicks": True, "text_clicks": False, "goal_tracking": False,
                                     "ecomm360": False, "google_analytics": "", "clicktale": ""}
DEFAULT_COUNT, MAX_COUNT = 10, 1000

BLANK = "This value should not be blank."
OBJECT = "Schema describes object, but a different type was found instead"
ARRAY = "Schema describes array, but a different type was found instead"
TYPE_ERRORS: dict[type, str] = {
    str: "This value should be of type string.", bool: "This value should be of type boolean.",
    int: "This value should be of type integer.", dict: OBJECT, list: ARRAY}

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"
)
PLACEHOLDER_EMAILS = frozenset({
    "john.doe@example.com", "jane.doe@example.com", "johndoe@example.com", "janedoe@example.com", "test@test.com",
    "test@example.com", "email@example.com", "example@example.com", "user@example.com", "name@example.com",
    "someone@example.com", "your@email.com", "youremail@example.com",
})
"""Simulator choice: these well-known placeholders "look fake" (the vendor rejects them, pitfall M12).
Other addresses at example.com are accepted, so fixtures such as ``ada@example.com`` still work."""


def api(method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@route` under ``/3.0``; a JSON answer gets ``fields``/``exclude_fields`` applied and the vendor's
    ``application/json; charset=utf-8`` content type."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def handler(self: Any, req: SimRequest) -> Any:
            outer, self._serving = self._serving, req  # (handlers run one at a time, under the simulator's lock)
            try:
                return shape(req, func(self, req))
            finally:
                self._serving = outer

        return route(method, BASE + pattern)(handler)

    return decorate


def shape(req: SimRequest, result: Any) -> Any:
    if not isinstance(result, dict | list):
        return result
    include, exclude = _field_list(req, "fields"), _field_list(req, "exclude_fields")
    if include:
        result = _pick(result, _tree(include), True)
    if exclude:
        result = _pick(result, _tree(exclude), False)
    return SimResponse(200, result, {}, JSON)


def asks_for(req: SimRequest, key: str) -> bool:
    """Whether the answer's top-level `key` survives `fields`/`exclude_fields` (a large part left out need not
    be built)."""
    include, exclude = _field_list(req, "fields"), _field_list(req, "exclude_fields")
    return key not in exclude and (not include or any(p == key or p.startswith(key + ".") for p in include))


def _field_list(req: SimRequest, name: str) -> list[str]:
    return [p.strip() for value in req.query.get(name, ()) for p in value.split(",") if p.strip()]


def _tree(paths: Iterable[str]) -> dict[str, Any]:
    """Dotted paths as a tree; a None leaf means the whole value (``lists`` beats ``lists.id``)."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for i, part in enumerate(parts):
            if part in node and node[part] is None:
                break
            if i == len(parts) - 1:
                node[part] = None
            else:
                node = node.setdefault(part, {})
    return tree


def _pick(value: Any, tree: dict[str, Any], keep: bool) -> Any:
    """`value` with only (`keep`) or without the fields of `tree`."""
    if isinstance(value, list):
        return [_pick(v, tree, keep) for v in value]
    if not isinstance(value, dict):
        return value
    if keep:
        return {k: value[k] if sub is None else _pick(value[k], sub, keep) for k, sub in tree.items() if k in value}
    return {k: v if k not in tree else _pick(v, tree[k], keep) for k, v in value.items() if tree.get(k, {}) is not None}


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def email_problem(email: Any) -> str | None:
    """Why `email` is refused, or None (vendor wording for fake-looking addresses)."""
    if not isinstance(email, str) or not email.strip():
        return BLANK
    value = email.strip()
    if len(value) > 254 or not EMAIL_RE.match(value) or ".." in value:
        return "Please provide a valid email address."
    if value.lower() in PLACEHOLDER_EMAILS:
        return f"{value} looks fake or invalid, please enter a real email address."
    return None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 date-time (``Z``, offset or naive = UTC) as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def fmt_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TS)


def collection(key: str, items: list[Any], **extra: Any) -> dict[str, Any]:
    return {key: items, **extra, "total_items": len(items), "_links": []}


def field_list(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"field": k, "message": v} for k, v in errors.items()]


def one_of(choices: Iterable[str]) -> str:
    return f"Value must be one of: {', '.join(choices)}"


def nonblank(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_types(data: Row, errors: dict[str, str], prefix: str = "", **kinds: type) -> None:
    """A type error for each key of `kinds` whose value in `data` is set (not null) and of another type."""
    for key, kind in kinds.items():
        value = data.get(key)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            errors[prefix + key] = TYPE_ERRORS[kind]


def need(data: Row, errors: dict[str, str], keys: Iterable[str], prefix: str = "", create: bool = True,
         blank_ok: Sequence[str] = ()) -> None:
    """A "not blank" error for each of `keys` given (or, when creating, absent) that is not a non-blank string."""
    for key in keys:
        value = data.get(key)
        if (key in data or create) and not (isinstance(value, str) and (value.strip() or key in blank_ok)):
            errors[prefix + key] = BLANK


def given(data: Row, keys: Iterable[str], strip: str = "") -> Row:
    """The `keys` of `data` that are set (not null), `strip` (a name or title) trimmed."""
    return {k: data[k].strip() if k == strip else data[k] for k in keys if data.get(k) is not None}


def array(data: Row, key: str, errors: dict[str, str], maximum: int | None = None, required: bool = False) -> list[Any]:
    """``data[key]`` as a list; an error when it is not one, is too long or (`required`) absent."""
    value = data.get(key)
    if value is None and required:
        errors[key] = BLANK
    elif value is not None and not isinstance(value, list):
        errors[key] = TYPE_ERRORS[list]
    elif maximum is not None and value is not None and len(value) > maximum:
        errors[key] = f"This collection should contain {maximum} elements or less."
    return value if isinstance(value, list) else []


def between(req: SimRequest, rows: list[Row], field: str, *, strict: bool = False) -> list[Row]:
    """`rows` whose `field` is after ``since_<field>`` (or at it, unless `strict`) and before ``before_<field>``."""
    since, before = parse_time(req.arg(f"since_{field}")), parse_time(req.arg(f"before_{field}"))
    if since is None and before is None:
        return rows
    return [r for r in rows if (when := parse_time(r[field])) is not None and (before is None or when < before)
            and (since is None or when > since or (when == since and not strict))]


def sort_rows(req: SimRequest, rows: list[Row], fields: Sequence[str]) -> list[Row]:
    """`rows` in the order of ``sort_field`` (one of `fields`) and ``sort_dir``."""
    field = req.arg("sort_field") or ""
    if field in fields:
        rows.sort(key=lambda r: r[field] or "", reverse=(req.arg("sort_dir") or "").upper() == "DESC")
    return rows


def copied(row: Row, keys: Iterable[str]) -> Row:
    return {k: copy.deepcopy(row[k]) for k in keys}


class Shapes(Simulator):
    error_messages: ClassVar[dict[int, str]] = {
        400: VALIDATION_DETAIL,
        401: "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
        403: "You don't have permission to access this resource.",
        404: "The requested resource could not be found.",
        405: "The requested method and resource are not compatible. See the Allow header for this resource's "
        "available methods.",
        429: "You have exceeded the limit of 10 simultaneous connections.",
        500: "An unexpected internal error has occurred. Please contact Support for more information.",
        503: "This service is temporarily unavailable. Please try again later.",
    }
    _serving: SimRequest | None = None  # the request a handler is answering
    _now_cache: tuple[SimRequest | None, str] = (None, "")

    def error_body(self, status: int, message: str) -> Any:
        title = TITLES.get(status) or next((s.phrase for s in HTTPStatus if s == status), "Error")
        return {"type": ERROR_TYPE, "title": title, "status": status, "detail": message, "instance": str(uuid.uuid4())}

    def error(self, status: int, message: str | None = None, headers: dict[str, str] | None = None, *,
              title: str | None = None, errors: list[dict[str, str]] | None = None) -> SimResponse:
        """problem+json; its ``instance`` is also the answer's ``X-Request-Id``."""
        resp = super().error(status, message, headers)
        if title:
            resp.body["title"] = title
        if errors is not None:
            resp.body["errors"] = errors
        resp.headers["X-Request-Id"] = resp.body["instance"]
        resp.content_type = PROBLEM_JSON
        return resp

    def missing(self, req: SimRequest, model: str, key: object) -> SimResponse:
        return self.error(404)

    def invalid(self, detail: str = VALIDATION_DETAIL, errors: list[dict[str, str]] | None = None,
                title: str | None = None) -> Abort:
        """400 Invalid Resource (or `title`), with ``errors`` when field-specific."""
        return Abort(self.error(400, detail, title=title, errors=errors))

    def field_errors(self, errors: dict[str, str]) -> Abort:
        return self.invalid(VALIDATION_DETAIL, field_list(errors))

    def check(self, errors: dict[str, str]) -> None:
        if errors:
            raise self.field_errors(errors)

    def checked_email(self, email: Any, field: str = "email_address") -> str:
        reason = email_problem(email)
        if reason:
            raise self.invalid(reason, [{"field": field, "message": reason}])
        return str(email).strip()

    def taken(self, table: Table, field: str, value: str, own: object, message: str) -> None:
        """400 `message` when another row of `table` holds unique `value`."""
        other = table.find(field, value)
        if other is not None and str(other[table.spec.key]) != str(own):
            raise self.invalid(message)

    def _st(self, req: SimRequest) -> dict[str, Any]:
        return self.account_state(req.account or "")

    def _address(self, req: SimRequest) -> str:
        """The body's ``email_address``, checked."""
        address = self._body(req).get("email_address")
        reason = email_problem(address)
        if reason:
            raise self.field_errors({"email_address": reason})
        return str(address)

    def _list(self, req: SimRequest) -> Row:
        return LISTS.table(self._st(req)).require(req.params["list_id"])

    @staticmethod
    def _hash(req: SimRequest) -> str:
        """The ``subscriber_hash`` path parameter (the vendor takes the address too)."""
        raw = req.params["subscriber_hash"]
        return subscriber_hash(raw) if "@" in raw else raw.lower()

    def _body(self, req: SimRequest) -> dict[str, Any]:
        data = req.json()
        if data is None:
            raise self.invalid("The request body is empty.")  # simulator choice: wording
        if not isinstance(data, dict):
            raise self.invalid(f"Schema describes object, {'array' if isinstance(data, list) else type(data).__name__}"
                               " found instead")
        return data

    @staticmethod
    def _flag(req: SimRequest, name: str) -> bool | None:
        """A boolean query argument (the SDK sends Python's ``True``/``False``); None when absent."""
        raw = req.arg(name)
        return None if raw is None or raw == "" else raw.strip().lower() in ("true", "1", "yes")

    def _page(self, req: SimRequest, key: str, items: Sequence[Any], render: Callable[[Any], Any],
              **extra: Any) -> dict[str, Any]:
        """One ``count``/``offset`` page (count 10 by default, at most 1000) of `items`, rendered."""
        errors: dict[str, str] = {}
        numbers = {"count": DEFAULT_COUNT, "offset": 0}
        for name, default in numbers.items():
            try:
                numbers[name] = int(req.arg(name) or default)
            except ValueError:
                errors[name] = TYPE_ERRORS[int]
            if numbers[name] < 0:
                errors[name] = "This value should be greater than or equal to 0."
            elif name == "count" and numbers[name] > MAX_COUNT:
                errors[name] = f"This value should be less than or equal to {MAX_COUNT}."
        self.check(errors)
        page = page_by_offset(items, numbers["offset"], numbers["count"])
        return {key: [render(x) for x in page.items], **extra, "total_items": page.total, "_links": []}

    def _now(self) -> str:
        """The clock's UTC time as the vendor formats it: read once for a request (a batch of 500 members stamps
        thousands of times), else as the clock stands."""
        serving = self._serving
        if serving is None or self._now_cache[0] is not serving:
            self._now_cache = (serving, self.clock.utcnow().strftime(TS))
        return self._now_cache[1]

    def _hex_id(self, kind: str) -> str:
        return hashlib.md5(f"{self.seed}:{kind}:{self.next_seq()}".encode()).hexdigest()[:10]

    def _int_id(self, base: int = 10_000) -> int:
        return base + self.next_seq()
