"""The answer shapes every part of the Mailchimp simulator shares.

Problem-detail errors (``application/problem+json`` with ``type``, ``title``, ``status``, ``detail``,
``instance`` and, for validation, ``errors[{field, message}]``), the ``@api`` route decorator that
mounts a handler under ``/3.0`` and applies ``fields``/``exclude_fields`` to its answer,
``count``/``offset`` paging, ids, timestamps, subscriber hashes and email validation. `ShapesMixin`
adds the per-request plumbing the other mixins build on (account state, body parsing, lookups).
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from hub.simulator import Abort, SimRequest, SimResponse, route

BASE = "/3.0"
ERROR_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
PROBLEM_JSON = "application/problem+json; charset=utf-8"
JSON = "application/json; charset=utf-8"
TS = "%Y-%m-%dT%H:%M:%S+00:00"

VALIDATION_DETAIL = "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
NOT_FOUND_DETAIL = "The requested resource could not be found."

MEMBER_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
LIST_STATUSES = (*MEMBER_STATUSES, "archived")
COMPLIANCE_STATUSES = ("unsubscribed", "cleaned")
# what a new campaign or automation tracks when the request does not say
TRACKING_DEFAULTS: dict[str, Any] = {
    "opens": True,
    "html_clicks": True,
    "text_clicks": False,
    "goal_tracking": False,
    "ecomm360": False,
    "google_analytics": "",
    "clicktale": "",
}

DEFAULT_COUNT = 10
MAX_COUNT = 1000

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"
)
PLACEHOLDER_EMAILS = frozenset(
    {
        "john.doe@example.com",
        "jane.doe@example.com",
        "johndoe@example.com",
        "janedoe@example.com",
        "test@test.com",
        "test@example.com",
        "email@example.com",
        "example@example.com",
        "user@example.com",
        "name@example.com",
        "someone@example.com",
        "your@email.com",
        "youremail@example.com",
    }
)
"""Simulator choice: these well-known placeholders "look fake" (the vendor rejects them, pitfall M12).
Other addresses at example.com are accepted, so fixtures such as ``ada@example.com`` still work."""


# --------------------------------------------------------------------------------------------------
# errors


def problem_response(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> SimResponse:
    """A vendor error answer: problem+json body whose ``instance`` is the ``X-Request-Id`` header."""
    rid = str(uuid.uuid4())
    body: dict[str, Any] = {"type": ERROR_TYPE, "title": title, "status": status, "detail": detail, "instance": rid}
    if errors is not None:
        body["errors"] = errors
    return SimResponse(status, body, {"X-Request-Id": rid}, PROBLEM_JSON)


def problem(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> Abort:
    return Abort(problem_response(status, title, detail, errors))


def invalid(detail: str = VALIDATION_DETAIL, errors: list[dict[str, str]] | None = None) -> Abort:
    """400 Invalid Resource (with ``errors`` when field-specific)."""
    return problem(400, "Invalid Resource", detail, errors if errors is not None else None)


def field_errors(errors: dict[str, str]) -> Abort:
    """400 Invalid Resource with one ``{field, message}`` per entry."""
    return invalid(VALIDATION_DETAIL, [{"field": k, "message": v} for k, v in errors.items()])


def not_found(detail: str = NOT_FOUND_DETAIL) -> Abort:
    return problem(404, "Resource Not Found", detail)


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
    status, body, headers = 200, result, {}
    if isinstance(result, tuple):
        status, body = result[0], result[1]
        headers = dict(result[2]) if len(result) > 2 else {}
    if not isinstance(body, dict | list) or not 200 <= status < 300:
        return result
    include = _field_list(req, "fields")
    exclude = _field_list(req, "exclude_fields")
    if include:
        body = _keep(body, _tree(include))
    if exclude:
        body = _drop(body, _tree(exclude))
    return SimResponse(status, body, headers, JSON)


def _field_list(req: SimRequest, name: str) -> list[str]:
    out: list[str] = []
    for value in req.query.get(name, ()):
        out.extend(p.strip() for p in value.split(",") if p.strip())
    return out


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
    out = {}
    for key, item in value.items():
        if key not in tree:
            out[key] = item
        elif tree[key] is not None:
            out[key] = _drop(item, tree[key])
    return out


# --------------------------------------------------------------------------------------------------
# small helpers


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def email_problem(email: Any) -> str | None:
    """Why `email` is refused, or None (vendor wording for fake-looking addresses)."""
    if not isinstance(email, str) or not email.strip():
        return "This value should not be blank."
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
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def fmt_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TS)


def collection(key: str, items: list[Any], total: int, **extra: Any) -> dict[str, Any]:
    return {key: items, **extra, "total_items": total, "_links": []}


# --------------------------------------------------------------------------------------------------
# the mixin


class ShapesMixin:
    """Request plumbing for a `Simulator` subclass (uses its clock, seed, sequence and account state)."""

    def _st(self, req: SimRequest) -> dict[str, Any]:
        assert req.account is not None
        return self.account_state(req.account)  # type: ignore[attr-defined]

    @staticmethod
    def _body(req: SimRequest, *, required: bool = True) -> dict[str, Any]:
        data = req.json()
        if data is None:
            if required:
                raise invalid("The request body is empty.")  # simulator choice: wording
            return {}
        if not isinstance(data, dict):
            kind = "array" if isinstance(data, list) else type(data).__name__
            raise invalid(f"Schema describes object, {kind} found instead")
        return data

    def _now(self) -> str:
        """The clock's UTC time as the vendor formats it (cached while the clock stands still)."""
        tick = self.clock.now()  # type: ignore[attr-defined]
        cached = self.__dict__.get("_now_cache")
        if cached is not None and cached[0] == tick:
            return cached[1]
        text = self.clock.utcnow().strftime(TS)  # type: ignore[attr-defined]
        self.__dict__["_now_cache"] = (tick, text)
        return text

    def _hex_id(self, kind: str) -> str:
        seq = self.next_seq()  # type: ignore[attr-defined]
        return hashlib.md5(f"{self.seed}:{kind}:{seq}".encode()).hexdigest()[:10]  # type: ignore[attr-defined]

    def _int_id(self, base: int = 10_000) -> int:
        return base + self.next_seq()  # type: ignore[attr-defined]

    @staticmethod
    def _flag(req: SimRequest, name: str) -> bool | None:
        """A boolean query argument (the SDK sends Python's ``True``/``False``); None when absent."""
        raw = req.arg(name)
        if raw is None or raw == "":
            return None
        return raw.strip().lower() in ("true", "1", "yes")

    @staticmethod
    def _paging(req: SimRequest) -> tuple[int, int]:
        errors: dict[str, str] = {}
        values = []
        for name, default in (("count", DEFAULT_COUNT), ("offset", 0)):
            raw = req.arg(name)
            if raw is None or raw == "":
                values.append(default)
                continue
            try:
                number = int(raw)
            except ValueError:
                errors[name] = "This value should be of type integer."
                values.append(default)
                continue
            if number < 0:
                errors[name] = "This value should be greater than or equal to 0."
            elif name == "count" and number > MAX_COUNT:
                errors[name] = f"This value should be less than or equal to {MAX_COUNT}."
            values.append(number)
        if errors:
            raise field_errors(errors)
        return values[0], values[1]

    def _page(
        self, req: SimRequest, key: str, items: list[Any], render: Callable[[Any], Any], **extra: Any
    ) -> dict[str, Any]:
        count, offset = self._paging(req)
        chunk = items[offset : offset + count]
        return collection(key, [render(x) for x in chunk], len(items), **extra)

    def _list(self, req: SimRequest, list_id: str | None = None) -> dict[str, Any]:
        lid = list_id if list_id is not None else req.params["list_id"]
        lst = self._st(req)["lists"].get(lid)
        if lst is None:
            raise not_found()
        return lst

    @staticmethod
    def _bool(data: dict[str, Any], key: str, errors: dict[str, str]) -> bool | None:
        if key not in data or data[key] is None:
            return None
        value = data[key]
        if not isinstance(value, bool):
            errors[key] = "This value should be of type boolean."
            return None
        return value

    @staticmethod
    def _str(data: dict[str, Any], key: str, errors: dict[str, str], *, field: str | None = None) -> str | None:
        if key not in data or data[key] is None:
            return None
        value = data[key]
        if not isinstance(value, str):
            errors[field or key] = "This value should be of type string."
            return None
        return value
