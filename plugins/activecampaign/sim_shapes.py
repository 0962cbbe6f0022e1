"""The answer shapes every part of the ActiveCampaign simulator shares.

ActiveCampaign v3 wraps every body by resource name (``{"contact": {...}}`` for one object,
``{"contacts": [...], "meta": {"total": "12"}}`` for a page), sends almost every scalar as a string,
dates as ISO-8601 with the account's UTC offset, and answers errors in three documented styles:
``{"message": "No Result found for Subscriber with id 1"}`` (404, named after the vendor's internal
model), JSON:API-ish 422s (``{"errors": [{"title", "detail", "code", "source": {"pointer"}}]}``) and
``{"errors": [{"status": 400, "title": "Bad Request"}]}``. `ShapesMixin` adds the per-request plumbing
the resource mixins build on: account state (with the pending-work tick), wrapped bodies, per-account
sequential ids, ``limit``/``offset`` pages, ``orders[...]`` and ``filters[...][op]``, and links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.simulator import Abort, SimRequest

DEFAULT_LIMIT = 20
UTC_STAMP = "%Y-%m-%d %H:%M:%S"
EMAIL_RE = re.compile(r"^[^@\s\"'(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")

# the vendor's internal model names, as its 404 bodies spell them
MODEL_CONTACT = "Subscriber"
MODEL_LIST = "_List"
MODEL_TAG = "Tag"
MODEL_CONTACT_TAG = "SubscriberTag"
MODEL_FIELD = "Field"
MODEL_FIELD_VALUE = "FieldValue"
MODEL_AUTOMATION = "Series"
MODEL_ENROLMENT = "SubscriberSeries"
MODEL_CAMPAIGN = "Campaign"
MODEL_MESSAGE = "Message"
MODEL_SEGMENT = "Segment"
MODEL_WEBHOOK = "Webhook"

CONTACT_LINKS = (
    "bounceLogs",
    "contactAutomations",
    "contactData",
    "contactGoals",
    "contactLists",
    "contactLogs",
    "contactTags",
    "contactDeals",
    "deals",
    "fieldValues",
    "geoIps",
    "notes",
    "organization",
    "plusAppend",
    "trackingLogs",
    "scoreValues",
)


# --------------------------------------------------------------------------------------------------
# error answers


def not_found(model: str, ident: Any) -> Abort:
    """The vendor's 404: ``{"message": "No Result found for Subscriber with id 7"}``."""
    return Abort(404, {"message": f"No Result found for {model} with id {ident}"})


def not_found_detail(detail: str) -> Abort:
    """The JSON:API flavour of 404 some endpoints use (``POST /contactTags``: "Contact not found")."""
    return Abort(404, {"errors": [{"status": 404, "title": "Not Found", "detail": detail}]})


def missing_attribute(*names: str) -> Abort:
    """422 for required attributes that are absent (documented for ``POST /contactTags``)."""
    return Abort(
        422,
        {
            "errors": [
                {"status": 422, "title": "Missing attribute", "source": {"pointer": f"/data/attributes/{n}"}}
                for n in names
            ]
        },
    )


def unprocessable(title: str, attribute: str | None, *, code: str = "invalid", detail: str = "") -> Abort:
    """422 in the vendor's JSON:API shape; ``code="duplicate"`` for uniqueness violations."""
    error: dict[str, Any] = {"title": title, "detail": detail, "code": code}
    if attribute is not None:
        error["source"] = {"pointer": f"/data/attributes/{attribute}"}
    return Abort(422, {"errors": [error]})


# --------------------------------------------------------------------------------------------------
# value helpers


def sid(value: Any) -> str | None:
    """An id as the vendor accepts it (int or string) → our string id; None when absent or blank."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def text(value: Any) -> str:
    """A scalar as the vendor echoes it: strings as given, numbers as strings, None as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def flag(value: Any, default: str = "0") -> str:
    """A 0/1 switch as the vendor stores it ("1"/"0")."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return "0" if value.strip().lower() in ("0", "false", "no", "off") else "1"
    return "1" if value else "0"


_OPS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "contains": lambda a, b: b in a,
    "starts_with": lambda a, b: a.startswith(b),
}


def op_matches(value: str, op: str, needle: str) -> bool:
    """The vendor's filter operators, case-insensitively (unknown operators match nothing)."""
    fn = _OPS.get(op)
    return bool(fn and fn(value.lower(), needle.lower()))


def name_filters(req: SimRequest, attribute: str) -> list[tuple[str, str]]:
    """``filters[<attribute>]=x`` (contains) and ``filters[<attribute>][<op>]=x`` as (op, needle) pairs."""
    found: list[tuple[str, str]] = []
    plain = req.arg(f"filters[{attribute}]")
    if plain is not None and plain != "":
        found.append(("contains", plain))
    prefix = f"filters[{attribute}]["
    for key, values in req.query.items():
        if key.startswith(prefix) and key.endswith("]") and values:
            found.append((key[len(prefix) : -1], values[0]))
    return found


# --------------------------------------------------------------------------------------------------
# the mixin


class ShapesMixin:
    """Request plumbing for a `Simulator` subclass with ``timezone`` and ``max_limit`` attributes."""

    _tz: ZoneInfo

    def _st(self, req: SimRequest) -> dict[str, Any]:
        """The account's state, after running the work that fell due (imports, scheduled sends)."""
        assert req.account is not None
        st = self.account_state(req.account)
        self._tick(st)
        return st

    def _tick(self, st: dict[str, Any]) -> None:  # the simulator class chains the areas' due work
        pass

    @staticmethod
    def _json(req: SimRequest) -> dict[str, Any]:
        """The JSON body as an object; malformed JSON is the vendor's 400 (`malformed_body`), a non-object an
        empty body."""
        data = req.json()
        return data if isinstance(data, dict) else {}

    def _wrapped(self, req: SimRequest, key: str) -> dict[str, Any]:
        """The resource object of a wrapped body (``{"contact": {...}}`` → ``{...}``)."""
        inner = self._json(req).get(key)
        return inner if isinstance(inner, dict) else {}

    # ---------------------------------------------------------------- ids and time

    @staticmethod
    def _new_id(st: dict[str, Any], collection: str) -> str:
        """Per-account sequential ids per collection, like the vendor's auto-increment keys."""
        seq = st["seq"]
        seq[collection] = seq.get(collection, 0) + 1
        return str(seq[collection])

    def _now_dt(self) -> datetime:
        return self.clock.utcnow().astimezone(self._tz)

    def _iso(self, moment: datetime) -> str:
        """ISO-8601 in the account timezone with a ``-05:00`` style offset."""
        stamp = moment.astimezone(self._tz).strftime("%Y-%m-%dT%H:%M:%S%z")
        return f"{stamp[:-2]}:{stamp[-2:]}"

    _frozen: tuple[str, str, float] | None = None
    """(ISO now, UTC stamp, epoch) while a batch is processed: one instant, computed once."""

    def _now(self) -> str:
        if self._frozen is not None:
            return self._frozen[0]
        return self._iso(self.clock.utcnow())

    def _utc_stamp(self) -> str:
        if self._frozen is not None:
            return self._frozen[1]
        return self.clock.utcnow().strftime(UTC_STAMP)

    def _epoch(self) -> float:
        if self._frozen is not None:
            return self._frozen[2]
        return self.clock.utcnow().timestamp()

    @contextmanager
    def _one_instant(self) -> Iterator[None]:
        """Stamp everything done inside with the same time (cheap bulk processing)."""
        moment = self.clock.utcnow()
        self._frozen = (self._iso(moment), moment.strftime(UTC_STAMP), moment.timestamp())
        try:
            yield
        finally:
            self._frozen = None

    # ---------------------------------------------------------------- pages, orders and lookups

    def _window(self, req: SimRequest) -> tuple[int, int]:
        """(limit, offset): default 20, silently capped at `max_limit` (100)."""
        try:
            limit = int(req.arg("limit") or DEFAULT_LIMIT)
        except ValueError:
            limit = DEFAULT_LIMIT
        if limit < 1:
            limit = DEFAULT_LIMIT
        limit = min(limit, self.max_limit)
        try:
            offset = max(0, int(req.arg("offset") or 0))
        except ValueError:
            offset = 0
        return limit, offset

    def _page(self, req: SimRequest, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        """One page of `items` and the ``meta`` block (``total`` as a string)."""
        limit, offset = self._window(req)
        return items[offset : offset + limit], {"total": str(len(items))}

    @staticmethod
    def _ordered(
        req: SimRequest, items: list[dict[str, Any]], keys: dict[str, Callable[[dict[str, Any]], Any]]
    ) -> list[dict[str, Any]]:
        """Apply ``orders[<key>]=ASC|DESC`` (the first one given that we know); stable otherwise."""
        for name, key in keys.items():
            direction = req.arg(f"orders[{name}]")
            if direction:
                return sorted(items, key=key, reverse=direction.strip().upper() == "DESC")
        return items

    @staticmethod
    def _find(st: dict[str, Any], collection: str, ident: Any, model: str) -> dict[str, Any]:
        obj = st[collection].get(str(ident))
        if obj is None:
            raise not_found(model, ident)
        return obj

    def _links(self, prefix: str, names: Iterable[str]) -> dict[str, str]:
        base = f"{self.base_url}{prefix}/"
        return {name: base + name for name in names}
