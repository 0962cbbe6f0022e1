"""The answer shapes every part of the Twilio simulator shares.

Twilio's REST error body (``{code, message, more_info, status}``) and the messages of the codes the
simulator answers with, resource ids (two-letter prefix + 32 hex digits), the two date formats (RFC 2822
for the 2010-04-01 API, ISO 8601 for the v1/v2 APIs), form-parameter helpers, E.164 checks, and the two
pagination envelopes: the 2010-04-01 one with relative ``*_page_uri`` links and the v1/v2 one with a
``meta`` block of absolute ``*_page_url`` links. `ShapesMixin` adds the per-request plumbing the other
mixins build on (the account a path names, absolute URLs of the vendor's domains).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from hub.simulator import Abort, SimRequest

API_VERSION = "2010-04-01"
MORE_INFO = "https://www.twilio.com/docs/errors/"
E164_RE = re.compile(r"^\+[1-9]\d{1,14}$")
SHORT_CODE_RE = re.compile(r"^\d{3,8}$")
TOLL_FREE_PREFIXES = ("+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The messages of the error codes the simulator answers with (wording of the vendor's error pages where
# known; see the simulator's module docstring for the ones that are a simulator choice).
MESSAGES: dict[int, str] = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20004: "Method not allowed",
    20009: "Cannot delete message because it is in progress",
    20404: "The requested resource was not found",
    20409: "Conflict",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number",
    21421: "Phone Number is invalid",
    21602: "Message body is required.",
    21603: "A 'From' phone number or a 'MessagingServiceSid' is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number for your account.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21703: "The Messaging Service does not have a phone number available to send a message",
    21705: "The Messaging Service is invalid",
    21710: "The Phone Number or Short Code is already in the Messaging Service",
    21712: "Phone Number or Short Code is associated with another Messaging Service.",
    30001: "Queue overflow",
    30003: "Unreachable destination handset",
    30008: "Unknown error",
    30036: "Validity Period Expired",
    30409: "This message cannot be canceled",
    35111: "SendAt timestamp is missing",
    35114: "Scheduling does not support this timestamp",
    35115: "Scheduling does not support this timestamp",
    35118: "MessagingServiceSid is required to schedule a message",
    35126: "ScheduleType is invalid",
    81022: "Invalid Flow Definition",
}


# --------------------------------------------------------------------------------------------------
# errors


def error_body(status: int, code: int, message: str | None = None, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "message": message or MESSAGES.get(code, "Error"),
        "more_info": f"{MORE_INFO}{code}",
        "status": status,
    }
    if details is not None:
        body["details"] = details
    return body


def tw_error(status: int, code: int, message: str | None = None, details: Any = None) -> Abort:
    """An `Abort` carrying Twilio's error JSON: ``raise tw_error(400, 21211, "...")``."""
    return Abort(status, error_body(status, code, message, details))


def not_found_error(path: str) -> Abort:
    return tw_error(404, 20404, f"The requested resource {path} was not found")


def missing_param(name: str) -> Abort:
    return tw_error(400, 20001, f"Missing required parameter {name} in the post body")


# --------------------------------------------------------------------------------------------------
# ids and dates


def make_sid(prefix: str, *parts: object) -> str:
    """A deterministic sid: `prefix` + 32 hex digits derived from `parts`."""
    return prefix + hashlib.md5(":".join(str(p) for p in parts).encode()).hexdigest()


_rfc_cache: dict[int, str] = {}
_iso_cache: dict[int, str] = {}


def rfc2822(epoch: float | None) -> str | None:
    """``Thu, 15 Apr 2021 00:06:45 +0000`` (the 2010-04-01 API's dates), locale-independent."""
    if epoch is None:
        return None
    sec = int(epoch)
    text = _rfc_cache.get(sec)
    if text is None:
        t = time.gmtime(sec)
        text = (
            f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
        )
        if len(_rfc_cache) > 4096:
            _rfc_cache.clear()
        _rfc_cache[sec] = text
    return text


def iso8601(epoch: float | None) -> str | None:
    """``2015-07-30T20:12:31Z`` (the v1/v2 APIs' dates)."""
    if epoch is None:
        return None
    sec = int(epoch)
    text = _iso_cache.get(sec)
    if text is None:
        text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))
        if len(_iso_cache) > 4096:
            _iso_cache.clear()
        _iso_cache[sec] = text
    return text


def parse_datetime(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 date or date-time (naive = UTC) or an RFC 2822 date; None if unreadable."""
    text = text.strip()
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


# --------------------------------------------------------------------------------------------------
# phone numbers


def number_kind(number: str) -> str:
    """ "short_code" (3–8 digits), "toll_free" (+1 8XX) or "long_code"."""
    if SHORT_CODE_RE.match(number):
        return "short_code"
    if number.startswith(TOLL_FREE_PREFIXES):
        return "toll_free"
    return "long_code"


def is_e164(number: str) -> bool:
    return bool(E164_RE.match(number))


# --------------------------------------------------------------------------------------------------
# form parameters


def first(form: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = form.get(name)
    return values[0] if values else default


def boolean(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("true", "1", "yes")


def integer(value: str | None, name: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise tw_error(400, 20001, f"Invalid parameter {name}: {value!r} is not an integer") from None
    if not low <= number <= high:
        raise tw_error(400, 20001, f"Invalid parameter {name}: must be between {low} and {high}")
    return number


def page_size(req: SimRequest) -> int:
    """``PageSize`` (default 50); above 1000 it is capped at 1000 (a simulator choice)."""
    raw = req.arg("PageSize")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise tw_error(400, 20001, "Invalid parameter PageSize") from None
    if size < 1:
        raise tw_error(400, 20001, "Invalid parameter PageSize: must be at least 1")
    return min(size, MAX_PAGE_SIZE)


def page_number(req: SimRequest) -> int:
    raw = req.arg("Page")
    try:
        return max(0, int(raw)) if raw else 0
    except ValueError:
        raise tw_error(400, 20001, "Invalid parameter Page") from None


def _query(params: Iterable[tuple[str, str]]) -> str:
    return urlencode(list(params), quote_via=quote)


# --------------------------------------------------------------------------------------------------
# pagination


def v2010_page(
    req: SimRequest,
    key: str,
    path: str,
    filters: list[tuple[str, str]],
    items: Sequence[Any],
    *,
    sid_of: Callable[[Any], str],
    render: Callable[[Any], dict[str, Any]],
    page: int,
    size: int,
    has_next: bool,
    has_previous: bool,
) -> dict[str, Any]:
    """The 2010-04-01 list envelope: the record key is the only non-meta key; links are relative URIs.

    ``next_page_uri`` carries ``PageToken=PA<sid of the last record>`` (records after it) and
    ``previous_page_uri`` ``PageToken=PB<sid of the first record>`` (records before it)."""
    rendered = [render(i) for i in items]
    start = page * size

    def uri(page_index: int, token: str | None) -> str:
        params = [*filters, ("PageSize", str(size)), ("Page", str(page_index))]
        if token:
            params.append(("PageToken", token))
        return f"{path}?{_query(params)}"

    current_token = req.arg("PageToken")
    return {
        key: rendered,
        "end": start + len(rendered) - 1 if rendered else start,
        "first_page_uri": uri(0, None),
        "next_page_uri": uri(page + 1, "PA" + sid_of(items[-1])) if has_next and items else None,
        "page": page,
        "page_size": size,
        "previous_page_uri": uri(page - 1, "PB" + sid_of(items[0])) if has_previous and items and page > 0 else None,
        "start": start,
        "uri": uri(page, current_token),
    }


def paginate(
    req: SimRequest, items: Sequence[Any], sid_of: Callable[[Any], str]
) -> tuple[list[Any], int, int, bool, bool]:
    """Slice an ordered sequence by ``PageSize``/``Page``/``PageToken`` (``PA<sid>``: after that record,
    ``PB<sid>``: before it; an unknown token falls back to ``Page``). Returns (page items, page index,
    page size, has next, has previous)."""
    size = page_size(req)
    page = page_number(req)
    token = req.arg("PageToken") or ""
    start = page * size
    if len(token) > 2 and token[:2] in ("PA", "PB"):
        target = token[2:]
        for index, item in enumerate(items):
            if sid_of(item) == target:
                start = index + 1 if token[:2] == "PA" else max(0, index - size)
                break
    chunk = list(items[start : start + size])
    return chunk, page, size, start + size < len(items), start > 0


def v1_page(
    req: SimRequest,
    key: str,
    base_url: str,
    path: str,
    items: Sequence[Any],
    *,
    sid_of: Callable[[Any], str],
    render: Callable[[Any], dict[str, Any]],
    filters: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The v1/v2 list envelope: ``{key: [...], meta: {...}}`` with absolute ``*_page_url`` links."""
    chunk, page, size, has_next, has_previous = paginate(req, items, sid_of)
    filters = filters or []

    def url(page_index: int, token: str | None) -> str:
        params = [*filters, ("PageSize", str(size)), ("Page", str(page_index))]
        if token:
            params.append(("PageToken", token))
        return f"{base_url}{path}?{_query(params)}"

    return {
        key: [render(i) for i in chunk],
        "meta": {
            "page": page,
            "page_size": size,
            "first_page_url": url(0, None),
            "previous_page_url": url(page - 1, "PB" + sid_of(chunk[0]))
            if has_previous and chunk and page > 0
            else None,
            "next_page_url": url(page + 1, "PA" + sid_of(chunk[-1])) if has_next and chunk else None,
            "url": url(page, req.arg("PageToken")),
            "key": key,
        },
    }


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record without its private (``_``-prefixed) keys."""
    return {k: v for k, v in record.items() if k[0] != "_"}


# --------------------------------------------------------------------------------------------------
# the per-request plumbing


class ShapesMixin:
    """Shared helpers; the simulator class supplies `account_state`, `advance`, `domain_url` and `clock`."""

    account_state: Callable[[str], dict[str, Any]]
    advance: Callable[[str], None]

    def _account_of(self, req: SimRequest) -> tuple[str, dict[str, Any]]:
        """The authenticated account and its state, with the simulated clock's transitions applied; a path
        naming another account's SID is answered 404 (a simulator choice)."""
        account = req.account or ""
        for key in ("AccountSid", "Sid"):  # ``{Sid}.json`` path segments are routed with their suffix
            value = req.params.get(key)
            if value is not None and value.endswith(".json"):
                req.params[key] = value[:-5]
        named = req.params.get("AccountSid")
        if named is not None and named != account:
            raise not_found_error(req.path)
        self.advance(account)
        return account, self.account_state(account)
