"""What every area of the Mailchimp simulator shares: the collections, problem+json errors (the kit's one error
shape: ``type``, ``title``, ``status``, ``detail``, ``instance`` = the ``X-Request-Id`` header, and
``errors[{field, message}]`` for validation), the ``@api`` route decorator (``/3.0``, ``fields``/
``exclude_fields``, the vendor's JSON content type), ``count``/``offset`` paging, table-driven body checks, ids,
times and email validation. `Shapes` is the first class of the chain every area extends."""

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


# --------------------------------------------------------------------------------------------------
# routing: /3.0 prefix, fields/exclude_fields, JSON content type


def api(method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@route` under ``/3.0``; a JSON answer gets ``fields``/``exclude_fields`` applied and the vendor's
    ``application/json; charset=utf-8`` content type."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def handler(self: Any, req: SimRequest) -> Any:
            return shape(req, func(self, req))

        return route(method, BASE + pattern)(handler)

    return decorate


def shape(req: SimRequest, result: Any) -> Any:
    if not isinstance(result, dict | list):
        return result
    include, exclude = _field_list(req, "fields"), _field_list(req, "exclude_fields")
    if include:
        result = _keep(result, _tree(include))
    if exclude:
        result = _drop(result, _tree(exclude))
    return SimResponse(200, result, {}, JSON)


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


def _keep(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_keep(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: value[k] if sub is None else _keep(value[k], sub) for k, sub in tree.items() if k in value}


def _drop(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_drop(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: v if k not in tree else _drop(v, tree[k]) for k, v in value.items() if tree.get(k, {}) is not None}


# --------------------------------------------------------------------------------------------------
# small helpers


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


def copied(row: Row, keys: Iterable[str]) -> Row:
    return {k: copy.deepcopy(row[k]) for k in keys}


# --------------------------------------------------------------------------------------------------


class Shapes(Simulator):
    """Errors in the vendor's shape and the per-request plumbing every area builds on."""

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
    _now_cache: tuple[float, str] = (-1.0, "")

    # ---------------------------------------------------------------- errors

    def error_body(self, status: int, message: str) -> Any:
        try:
            title = TITLES.get(status) or HTTPStatus(status).phrase
        except ValueError:
            title = "Error"
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

    # ---------------------------------------------------------------- requests

    def _st(self, req: SimRequest) -> dict[str, Any]:
        return self.account_state(req.account or "")

    def _list(self, req: SimRequest) -> Row:
        return LISTS.table(self._st(req)).require(req.params["list_id"])

    @staticmethod
    def _hash(req: SimRequest) -> str:
        """The ``subscriber_hash`` path parameter (the vendor takes the address too)."""
        raw = req.params["subscriber_hash"]
        return subscriber_hash(raw) if "@" in raw else raw.lower()

    def _body(self, req: SimRequest, *, required: bool = True) -> dict[str, Any]:
        data = req.json()
        if data is None:
            if required:
                raise self.invalid("The request body is empty.")  # simulator choice: wording
            return {}
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
        values = []
        for name, default in (("count", DEFAULT_COUNT), ("offset", 0)):
            raw = req.arg(name)
            try:
                number = default if raw is None or raw == "" else int(raw)
            except ValueError:
                errors[name], number = TYPE_ERRORS[int], default
            if number < 0:
                errors[name] = "This value should be greater than or equal to 0."
            elif name == "count" and number > MAX_COUNT:
                errors[name] = f"This value should be less than or equal to {MAX_COUNT}."
            values.append(number)
        self.check(errors)
        page = page_by_offset(items, values[1], values[0])
        return {key: [render(x) for x in page.items], **extra, "total_items": page.total, "_links": []}

    def _now(self) -> str:
        """The clock's UTC time as the vendor formats it (cached while the clock stands still)."""
        tick = self.clock.now()
        if self._now_cache[0] != tick:
            self._now_cache = (tick, self.clock.utcnow().strftime(TS))
        return self._now_cache[1]

    def _hex_id(self, kind: str) -> str:
        return hashlib.md5(f"{self.seed}:{kind}:{self.next_seq()}".encode()).hexdigest()[:10]

    def _int_id(self, base: int = 10_000) -> int:
        return base + self.next_seq()
