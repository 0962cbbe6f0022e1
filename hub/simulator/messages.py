"""What a simulator handler sees and answers: requests, responses, headers, and the auth header readers."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from requests.structures import CaseInsensitiveDict

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Headers(CaseInsensitiveDict[str]):
    """A request's headers, case-insensitive (the last value wins for repeated headers)."""


class MalformedBody(Exception):
    """The request body could not be parsed; the simulator answers with `malformed_body()`."""


class Abort(Exception):
    """Raise from a handler (or anything it calls) to answer at once: ``raise Abort(404, {...})``."""

    def __init__(self, status: int | SimResponse, body: Any = None, headers: dict[str, str] | None = None):
        self.response = status if isinstance(status, SimResponse) else SimResponse(status, body, headers or {})
        super().__init__(f"HTTP {self.response.status}")


_NO_JSON = object()


class SimRequest:
    """One incoming request, as a handler sees it."""

    __slots__ = ("_json", "account", "body", "headers", "method", "params", "path", "query", "time")

    def __init__(self, method: str, path: str, query: dict[str, list[str]] | None = None,
                 headers: Headers | Mapping[str, str] | None = None, body: bytes = b"", *, time: float = 0.0,
                 account: str | None = None, json_data: Any = _NO_JSON) -> None:
        """`json_data` presets what `json()` returns (for internal sub-requests: no encode/parse round
        trip; `body` then stays as given, usually empty)."""
        self.method = method.upper()
        self.path = path
        self.query = query or {}
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body
        self.params: dict[str, str] = {}
        self.account = account
        self.time = time
        self._json: Any = json_data

    def json(self) -> Any:
        """The body parsed as JSON (None when empty); malformed JSON becomes the simulator's 400."""
        if self._json is _NO_JSON:
            if not self.body.strip():
                self._json = None
            else:
                try:
                    self._json = json.loads(self.body)
                except ValueError as exc:
                    raise MalformedBody(f"malformed JSON body: {exc}") from None
        return self._json

    def form(self) -> dict[str, list[str]]:
        """The body parsed as application/x-www-form-urlencoded."""
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError as exc:
            raise MalformedBody(f"malformed form body: {exc}") from None

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`."""
        values = self.query.get(name)
        return values[0] if values else default

    def __repr__(self) -> str:
        return f"<SimRequest {self.method} {self.path}>"


@dataclass
class SimResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    def encode(self) -> tuple[bytes, str | None]:
        body = self.body
        if body is None:
            return b"", self.content_type
        if isinstance(body, bytes):
            return body, self.content_type or "application/octet-stream"
        if isinstance(body, str):
            return body.encode("utf-8"), self.content_type or "text/plain; charset=utf-8"
        return json.dumps(body, separators=(",", ":")).encode("utf-8"), self.content_type or "application/json"

    def json(self) -> Any:
        """The body as JSON data (parses str/bytes bodies) — handy for tests and internal calls."""
        if isinstance(self.body, bytes | str):
            return json.loads(self.body) if self.body else None
        return self.body


def to_response(result: Any) -> SimResponse:
    if isinstance(result, SimResponse):
        return result
    if isinstance(result, tuple):
        if len(result) == 2:
            return SimResponse(int(result[0]), result[1])
        if len(result) == 3:
            return SimResponse(int(result[0]), result[1], dict(result[2]))
        raise TypeError(f"a handler tuple must be (status, body) or (status, body, headers), got {result!r}")
    if result is None:
        return SimResponse(204)
    if isinstance(result, dict | list):
        return SimResponse(200, result)
    raise TypeError(f"unsupported handler result {type(result).__name__}")


def logged_body(req: SimRequest) -> Any:
    if req._json is not _NO_JSON:
        return req._json
    body = req.body
    if not body:
        return None
    ctype = req.headers.get("content-type", "")
    if "json" in ctype or body[:1] in (b"{", b"["):
        try:
            return json.loads(body)
        except ValueError:
            return body
    if "x-www-form-urlencoded" in ctype:
        with contextlib.suppress(UnicodeDecodeError):
            return parse_qs(body.decode("utf-8"), keep_blank_values=True)
    return body


def basic_auth(req: SimRequest) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic`` header, for simulators of vendors that use it."""
    value = req.headers.get("authorization", "")
    if not value.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(value[6:].strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def bearer_token(req: SimRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header."""
    value = req.headers.get("authorization", "")
    if value[:7].lower() != "bearer ":
        return None
    return value[7:].strip() or None
