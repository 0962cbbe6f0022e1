"""What every part of the ActiveCampaign simulator shares: the value and error helpers, and the base class
with authentication, rate limits, the vendor's error shapes, ids, time, pages and links.

v3 wraps every body by resource name (``{"contact": {...}}``, ``{"contacts": [...], "meta": {"total": "12"}}``),
sends almost every scalar as a string, dates as ISO-8601 with the account's UTC offset, and answers errors in
three documented styles: ``{"message": "No Result found for Subscriber with id 1"}`` (404, named after the
vendor's internal model), JSON:API-ish 422s (``{"errors": [{"title", "detail", "code", "source": {"pointer"}}]}``)
and ``{"errors": [{"status": 400, "title": "Bad Request"}]}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.simulator import Abort, Clock, Collection, Missing, Row, SimRequest, SimResponse, Simulator, page_by_offset
from hub.simulator.activity import ACTIVITY_WINDOW, DEFAULT_CLICK_RATE, DEFAULT_OPEN_RATE, ActivityRates
from hub.simulator.ratelimit import Limit

State = dict[str, Any]
DEFAULT_LIMIT = 20
UTC_STAMP = "%Y-%m-%d %H:%M:%S"
EMAIL_RE = re.compile(r"^[^@\s\"'(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
V1_PATH = "/admin/api.php"
IMPORT_PATH = "/api/3/import/bulk_import"
LIST_STATUS_WORDS = {"0": "unconfirmed", "1": "active", "2": "unsubscribed", "3": "bounced"}
CONTACT_LINKS = ("bounceLogs", "contactAutomations", "contactData", "contactGoals", "contactLists", "contactLogs",
                 "contactTags", "contactDeals", "deals", "fieldValues", "geoIps", "notes", "organization",
                 "plusAppend", "trackingLogs", "scoreValues")

# Contacts: email (stored None when absent) unique case-insensitively; shown by the `contacts()` control.
CONTACTS = Collection("contacts", model="Subscriber", unique=("email",), render="summary")


# --------------------------------------------------------------------------------------------------
# value helpers


def sid(value: Any) -> str | None:
    """An id as the vendor accepts it (int or string) → our string id; None when absent or blank."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


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
    "eq": lambda a, b: a == b, "neq": lambda a, b: a != b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "contains": lambda a, b: b in a,
    "starts_with": lambda a, b: a.startswith(b),
}


def name_filtered(req: SimRequest, rows: list[Row], field: str, attribute: str, plain: str | None = None) -> list[Row]:
    """`rows` whose `field` passes ``<plain>=x`` (contains; default ``filters[<attribute>]``) and every
    ``filters[<attribute>][<op>]=x``: the vendor's operators, case-insensitively (unknown ones match nothing)."""
    found: list[tuple[str, str]] = []
    value = req.arg(plain or f"filters[{attribute}]")
    if value:
        found.append(("contains", value))
    prefix = f"filters[{attribute}]["
    found += [(k[len(prefix) : -1], v[0]) for k, v in req.query.items() if k.startswith(prefix) and k[-1:] == "]" and v]
    for op, needle in found:
        fn = _OPS.get(op)
        rows = [r for r in rows if fn and fn(r[field].lower(), needle.lower())]
    return rows


def name_ordered(rows: list[Row], field: str, order: str | None, needle: str | None) -> list[Row]:
    """``orders[...]=ASC|DESC`` by name, or ``WEIGHT``: exact matches of `needle` first, then prefixes."""
    order, needle = (order or "").upper(), (needle or "").lower()
    if order in ("ASC", "DESC"):
        return sorted(rows, key=lambda r: r[field].lower(), reverse=order == "DESC")
    if order == "WEIGHT":
        return sorted(rows, key=lambda r: (r[field].lower() != needle, not r[field].lower().startswith(needle)))
    return rows


# --------------------------------------------------------------------------------------------------
# the base class


class ActiveCampaignBase(Simulator):
    """Options, authentication, limits, error shapes and the request plumbing the area classes build on."""

    name = "activecampaign"
    base_path = "/api/3"
    state_version = 2
    error_messages = {403: "Forbidden", 404: "No Result found for Subscriber with id 0", 422: "Unprocessable Entity",
                      429: "Too Many Requests"}

    def __init__(self, clock: Clock | None = None, *, tokens: dict[str, str] | None = None, rate: int = 5,
                 window: float = 1.0, import_limit: int = 100, import_window: float = 60.0, import_delay: float = 0.0,
                 max_limit: int = 100, timezone: str = "America/Chicago", open_rate: float = DEFAULT_OPEN_RATE,
                 click_rate: float = DEFAULT_CLICK_RATE, activity_rates: dict[str, float] | None = None,
                 activity_window: float | None = None, activity_delay: float | None = None, **options: Any) -> None:
        super().__init__(clock, **options)
        # shares of a campaign's recipients; per account: the set_activity_rates control
        self.rates = ActivityRates().updated({"open_rate": open_rate, "click_rate": click_rate,
                                              **(activity_rates or {})})
        # vendor seconds from a send by which its recipients have done what they will (`activity_delay`: the
        # option's former name, when activity happened all at once that long after the send)
        spread = activity_window if activity_window is not None else activity_delay
        self.activity_window = float(ACTIVITY_WINDOW if spread is None else spread)
        self.tokens = dict(tokens) if tokens is not None else {"sandbox-token": "sandbox"}
        self.rate, self.window, self.max_limit = rate, window, max_limit
        self.import_limit, self.import_window, self.import_delay = import_limit, import_window, import_delay
        self.timezone = timezone
        self._tz = ZoneInfo(timezone)
        self._frozen: tuple[str, str, float] | None = None  # (ISO now, UTC stamp, epoch) inside `_one_instant`

    @property
    def activity_delay(self) -> float:
        """The former name of `activity_window`: after it, every recipient has done what they will."""
        return self.activity_window

    # ---------------------------------------------------------------- kit hooks

    def account_state(self, account: str) -> State:
        """The account's state, after running the work that fell due (queued imports, scheduled sends)."""
        with self.lock:
            st = super().account_state(account)
            self._tick(st)
            return st

    def _tick(self, st: State) -> None:
        """Run the work that fell due (the area classes chain theirs)."""

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        if req.path == V1_PATH:
            account = self.tokens.get(req.arg("api_key") or "")
            return account if account is not None else SimResponse(200, v1_answer(0, NOT_AUTHORIZED))
        account = self.tokens.get((req.headers.get("api-token") or "").strip())
        return account if account is not None else self.error(403)

    def rate_limits(self, req: SimRequest) -> list[Limit]:
        limits: list[Limit] = [("api", self.rate, self.window)]
        if req.method == "POST" and req.path == IMPORT_PATH:
            limits.append(("import", self.import_limit, self.import_window))
        return limits

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        if bucket != "import":
            return super().rate_limited(req, bucket, retry_after)
        reason = (f"Up to {self.import_limit} imports may be requested per minute.Please batch contacts into "
                  "larger requests, or retry this request in a minute.")
        return SimResponse(400, {"success": 0, "message": "Rate limit exceeded.", "failureReasons": [reason]})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        return self.rate_headers(account, "api", self.rate, ("RateLimit-Limit", "RateLimit-Remaining"))

    def error_body(self, status: int, message: str) -> Any:
        if status == 400:
            return {"errors": [{"status": 400, "title": "Bad Request"}]}
        if status == 422:
            return {"errors": [{"title": message, "detail": "", "code": "invalid"}]}
        return {"message": message}

    @staticmethod
    def missing_attribute(*names: str) -> Abort:
        """422 for required attributes that are absent (documented for ``POST /contactTags``), one error each."""
        return Abort(422, {"errors": [{"status": 422, "title": "Missing attribute",
                                       "source": {"pointer": f"/data/attributes/{n}"}} for n in names]})

    def required(self, data: Row, *names: str) -> None:
        """The 422 "Missing attribute" for every one of `names` that is absent or blank in `data`."""
        absent = [n for n in names if data.get(n) in (None, "")]
        if absent:
            raise self.missing_attribute(*absent)

    @staticmethod
    def unprocessable(title: str, attribute: str | None, *, code: str = "invalid", detail: str = "") -> Abort:
        """422 in the vendor's JSON:API shape; ``code="duplicate"`` for uniqueness violations."""
        error: Row = {"title": title, "detail": detail, "code": code}
        if attribute is not None:
            error["source"] = {"pointer": f"/data/attributes/{attribute}"}
        return Abort(422, {"errors": [error]})

    @staticmethod
    def not_found_detail(detail: str) -> Abort:
        """The JSON:API flavour of 404 some endpoints use (``POST /contactTags``: "Contact not found")."""
        return Abort(404, {"errors": [{"status": 404, "title": "Not Found", "detail": detail}]})

    def missing(self, req: SimRequest, model: str, key: object) -> SimResponse:
        return self.error(404, f"No Result found for {model} with id {key}")

    def malformed_body(self, req: SimRequest, message: str) -> SimResponse:
        if req.path == V1_PATH:
            return SimResponse(200, v1_answer(0, "The request body could not be read"))
        return self.error(400)

    # ---------------------------------------------------------------- request plumbing

    def _st(self, req: SimRequest) -> State:
        assert req.account is not None
        return self.account_state(req.account)

    @staticmethod
    def _body(req: SimRequest) -> Row:
        """The JSON body as an object (a non-object is an empty body)."""
        data = req.json()
        return data if isinstance(data, dict) else {}

    def _wrapped(self, req: SimRequest, key: str) -> Row:
        """The resource object of a wrapped body (``{"contact": {...}}`` → ``{...}``)."""
        inner = self._body(req).get(key)
        return inner if isinstance(inner, dict) else {}

    @staticmethod
    def _next_id(st: State, name: str) -> str:
        """Per-account sequential ids per collection, like the vendor's auto-increment keys."""
        seq = st.setdefault("seq", {})
        seq[name] = seq.get(name, 0) + 1
        return str(seq[name])

    def _add(self, st: State, spec: Collection, **row: Any) -> Row:
        """Insert a row under the collection's next id."""
        return spec.table(st).insert({"id": self._next_id(st, spec.name), **row})

    @staticmethod
    def _ref(st: State, spec: Collection, value: Any) -> Row:
        """The row a body refers to by id (int or string), or the model-named 404 with the id as sent."""
        row = spec.table(st).get(sid(value) or "")
        if row is None:
            raise Missing(spec.model, value)
        return row

    def _row(self, req: SimRequest, spec: Collection, *, remove: bool = False) -> tuple[State, Row]:
        """The account's state and the row the path's ``{id}`` names (deleted with `remove`), or the 404."""
        st = self._st(req)
        table = spec.table(st)
        row = table.require(req.params["id"])
        if remove:
            del table[row["id"]]
        return st, row

    # ---------------------------------------------------------------- time

    def _iso(self, moment: datetime) -> str:
        """ISO-8601 in the account timezone with a ``-05:00`` style offset."""
        stamp = moment.astimezone(self._tz).strftime("%Y-%m-%dT%H:%M:%S%z")
        return f"{stamp[:-2]}:{stamp[-2:]}"

    def _now_dt(self) -> datetime:
        return self.clock.utcnow().astimezone(self._tz)

    def _now(self) -> str:
        return self._frozen[0] if self._frozen else self._iso(self.clock.utcnow())

    def _utc_stamp(self) -> str:
        return self._frozen[1] if self._frozen else self.clock.utcnow().strftime(UTC_STAMP)

    def _epoch(self) -> float:
        return self._frozen[2] if self._frozen else self.clock.utcnow().timestamp()

    @contextmanager
    def _one_instant(self) -> Iterator[None]:
        """Stamp everything done inside with the same time (cheap bulk processing)."""
        moment = self.clock.utcnow()
        self._frozen = (self._iso(moment), moment.strftime(UTC_STAMP), moment.timestamp())
        try:
            yield
        finally:
            self._frozen = None

    # ---------------------------------------------------------------- pages, orders and links

    def _window(self, req: SimRequest) -> tuple[int, int]:
        """(limit, offset): ``limit`` default 20 (also when below 1 or unreadable), silently capped at `max_limit`."""
        def number(name: str, default: int) -> int:
            try:
                return int(req.arg(name) or default)
            except ValueError:
                return default

        limit = number("limit", DEFAULT_LIMIT)
        return min(limit if limit >= 1 else DEFAULT_LIMIT, self.max_limit), max(0, number("offset", 0))

    def _page(self, req: SimRequest, rows: list[Any]) -> tuple[list[Any], Row]:
        """One page of `rows` and the ``meta`` block (``total`` as a string)."""
        limit, offset = self._window(req)
        page = page_by_offset(rows, offset, limit)
        return page.items, {"total": str(page.total)}

    @staticmethod
    def _ordered(req: SimRequest, rows: list[Row], keys: dict[str, Callable[[Row], Any]]) -> list[Row]:
        """Apply ``orders[<key>]=ASC|DESC`` (the first one given that we know); stable otherwise."""
        for name, key in keys.items():
            direction = req.arg(f"orders[{name}]")
            if direction:
                return sorted(rows, key=key, reverse=direction.strip().upper() == "DESC")
        return rows

    def _links(self, prefix: str, names: Iterable[str]) -> dict[str, str]:
        return {name: f"{self.base_url}{prefix}/{name}" for name in names}

    def render_contact(self, c: Row) -> Row:
        """The full contact object of ``GET /contacts[/{id}]``, ``PUT /contacts/{id}`` and write answers."""
        return {
            "cdate": c["cdate"], "email": c["email"] or "", "phone": c["phone"], "firstName": c["firstName"],
            "lastName": c["lastName"], "orgid": "0", "segmentio_id": "", "bounced_hard": c["bounced_hard"],
            "bounced_soft": c["bounced_soft"], "bounced_date": c["bounced_date"], "ip": "0", "ua": None,
            "hash": c["hash"], "socialdata_lastcheck": None, "email_local": "", "email_domain": "",
            "sentcnt": str(c["sentcnt"]), "rating_tstamp": None, "gravatar": "0", "deleted": "0", "anonymized": "0",
            "adate": None, "udate": c["udate"], "edate": None, "deleted_at": None,
            "created_utc_timestamp": c["created_utc"], "updated_utc_timestamp": c["updated_utc"], "scoreValues": [],
            "links": self._links(f"/contacts/{c['id']}", CONTACT_LINKS), "id": c["id"], "organization": None,
        }


# --------------------------------------------------------------------------------------------------
# v1 answers (also needed by authentication and malformed bodies)

NOT_AUTHORIZED = "You are not authorized to access this file"


def v1_answer(result_code: int, message: str, **extra: Any) -> Row:
    """Every v1 answer: HTTP 200 with ``result_code`` 1 or 0 and a ``result_message``."""
    return {**extra, "result_code": result_code, "result_message": message, "result_output": "json"}
