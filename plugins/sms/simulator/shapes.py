"""The answer shapes every part of the Twilio simulator shares: Twilio's error body (``{code, message,
more_info, status}``), resource ids (two-letter prefix + 32 hex digits), the two date formats (RFC 2822 for
the 2010-04-01 API, ISO 8601 for v1/v2), form parameters, and the two list envelopes: 2010-04-01 with
relative ``*_page_uri`` links, v1/v2 with a ``meta`` block of absolute ``*_page_url`` links."""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

from hub.simulator import Abort, Row, SimRequest

API_VERSION = "2010-04-01"
E164_RE = re.compile(r"^\+[1-9]\d{1,14}$")
TOLL_FREE_PREFIXES = ("+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888")
Form = dict[str, list[str]]

# The messages of the error codes answered without a message of their own (wording of the vendor's error
# pages where known; the package docstring lists the codes that are a simulator choice).
ERRORS: dict[int, str] = {
    20001: "Invalid parameter", 20003: "Authenticate", 20500: "Internal Server Error",
    21602: "Message body is required.", 21603: "A 'From' phone number or a 'MessagingServiceSid' is required.",
    21604: "A 'To' phone number is required.", 21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21703: "The Messaging Service does not have a phone number available to send a message",
    21710: "The Phone Number or Short Code is already in the Messaging Service",
    21712: "Phone Number or Short Code is associated with another Messaging Service.",
    30001: "Queue overflow", 30003: "Unreachable destination handset", 30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier", 30007: "Message filtered", 30008: "Unknown error",
    30036: "Validity Period Expired", 30409: "This message cannot be canceled",
    35118: "MessagingServiceSid is required to schedule a message", 81022: "Invalid Flow Definition",
}
STATUS_CODES = {400: 20001, 401: 20003, 404: 20404, 405: 20004, 409: 20409, 429: 20429}
"""The code of an answer the kit makes from its status alone; others are 20000 + status (20500, 20503)."""


def error_body(status: int, code: int | None = None, message: str | None = None, details: Any = None) -> Row:
    code = code or STATUS_CODES.get(status, 20000 + status)
    body = {"code": code, "message": message or ERRORS.get(code, "Error"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
    return body if details is None else {**body, "details": details}


def fail(status: int, code: int, message: str | None = None, details: Any = None) -> Abort:
    """Twilio's error as an `Abort`: ``raise fail(400, 21211, "...")``."""
    return Abort(status, error_body(status, code, message, details))


def missing_param(name: str) -> Abort:
    return fail(400, 20001, f"Missing required parameter {name} in the post body")


def invalid(name: str, value: Any, why: str = "") -> Abort:
    return fail(400, 20001, f"Invalid parameter {name}: {value!r}{why}")


# -- ids, dates, numbers


def make_sid(prefix: str, *parts: object) -> str:
    """A deterministic sid: `prefix` + 32 hex digits derived from `parts`."""
    return prefix + hashlib.md5(":".join(str(p) for p in parts).encode()).hexdigest()


@functools.lru_cache(maxsize=4096)
def _rfc(sec: int) -> str:
    return formatdate(sec)[:-5] + "+0000"  # locale-independent


@functools.lru_cache(maxsize=4096)
def _iso(sec: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))


def rfc2822(epoch: float | None) -> str | None:
    """``Thu, 15 Apr 2021 00:06:45 +0000`` (the 2010-04-01 API's dates)."""
    return None if epoch is None else _rfc(int(epoch))


def iso8601(epoch: float | None) -> str | None:
    """``2015-07-30T20:12:31Z`` (the v1/v2 APIs' dates)."""
    return None if epoch is None else _iso(int(epoch))


def parse_datetime(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 date or date-time (naive = UTC) or an RFC 2822 date; None if unreadable."""
    text = text.strip()
    try:
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def number_kind(number: str) -> str:
    """ "short_code" (3–8 digits), "toll_free" (+1 8XX) or "long_code"."""
    if re.fullmatch(r"\d{3,8}", number):
        return "short_code"
    return "toll_free" if number.startswith(TOLL_FREE_PREFIXES) else "long_code"


# -- form parameters


def first(form: Form, name: str, default: str | None = None) -> str | None:
    values = form.get(name)
    return values[0] if values else default


def required(form: Form, *names: str) -> list[str]:
    """The values of parameters that must be there and not empty (else 20001 "Missing required ...")."""
    for name in names:
        if not first(form, name):
            raise missing_param(name)
    return [first(form, name) or "" for name in names]


def boolean(value: str | None, default: bool) -> bool:
    return default if not value else value.strip().lower() in ("true", "1", "yes")


def integer(value: str | None, name: str, low: int, high: int) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise invalid(name, value, " is not an integer") from None
    if not low <= number <= high:
        raise fail(400, 20001, f"Invalid parameter {name}: must be between {low} and {high}")
    return number


def public(record: Row) -> Row:
    """A stored record without its private (``_``-prefixed) keys."""
    return {k: v for k, v in record.items() if k[0] != "_"}


# -- the list envelopes


def envelope(req: SimRequest, key: str, items: Sequence[Any], render: Callable[[Any], Row], *, base: str = "",
             filters: Sequence[tuple[str, str]] = (), sid_of: Callable[[Any], str] = lambda r: str(r["sid"])) -> Row:
    """One page of `items` by ``PageSize`` (default 50; above 1000 capped at 1000, a simulator choice),
    ``Page`` and ``PageToken`` (``PA<sid>``: the records after that one, ``PB<sid>``: those before it; an
    unknown token falls back to ``Page``), in the 2010-04-01 envelope (`base` empty: relative links,
    ``start``/``end``) or the v1/v2 one (`base` the product's host)."""
    size = min(integer(req.arg("PageSize"), "PageSize", 1, 1 << 31) or 50, 1000)
    try:
        page = max(0, int(req.arg("Page") or 0))
    except ValueError:
        raise invalid("Page", req.arg("Page")) from None
    start, stop = page * size, page * size + size
    token = req.arg("PageToken") or ""
    if len(token) > 2 and token[:2] in ("PA", "PB"):
        at = next((i for i, item in enumerate(items) if sid_of(item) == token[2:]), None)
        if at is not None:
            start, stop = (at + 1, at + 1 + size) if token[:2] == "PA" else (max(0, at - size), at)
    chunk = list(items[start:stop])

    def link(number: int, anchor: str | None) -> str:
        params = [*filters, ("PageSize", str(size)), ("Page", str(number)), *([("PageToken", anchor)] * bool(anchor))]
        return f"{base}{req.path}?{urlencode(params, quote_via=quote)}"

    links = {
        "first": link(0, None),
        "next": link(page + 1, "PA" + sid_of(chunk[-1])) if stop < len(items) and chunk else None,
        "previous": link(page - 1, "PB" + sid_of(chunk[0])) if start > 0 and chunk and page > 0 else None,
        "": link(page, token or None),
    }
    rendered = [render(i) for i in chunk]
    if base:
        meta = {f"{k}_page_url" if k else "url": v for k, v in links.items()}
        return {key: rendered, "meta": {"page": page, "page_size": size, "key": key, **meta}}
    uris = {f"{k}_page_uri" if k else "uri": v for k, v in links.items()}
    return {key: rendered, "start": page * size, "end": page * size + max(len(rendered) - 1, 0),
            "page": page, "page_size": size, **uris}
