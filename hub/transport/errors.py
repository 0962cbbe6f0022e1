"""Default mapping from an HTTP error response to hub's typed errors; providers refine it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import AuthError, NotFound, ProviderError, RateLimited, Unavailable, VendorValidationError


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; rare enough to fall back on backoff


def message_of(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("message", "detail", "title", "error", "result_message"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
        if isinstance(body.get("errors"), list) and body["errors"]:
            return "; ".join(str(e.get("title", e)) if isinstance(e, dict) else str(e) for e in body["errors"])
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return "no details given"


def default_error(provider: str, status: int, body: Any, headers: Mapping[str, str], *, text: str | None = None,
                  auth_hint: str = "check the account's credentials",
                  errors: dict[str, list[str]] | None = None) -> ProviderError:
    """The error for a status. Providers handle their special cases first, then pass what they know: the
    vendor's explanation (`text`, default: read from common body shapes), what to check when the vendor
    refuses the credentials, and per-field problems (`errors`, default: a dict under "errors")."""
    msg = f"HTTP {status}: {text or message_of(body)}"
    if status in (401, 403):
        return AuthError(f"{msg} ({auth_hint})", provider=provider, status=status)
    if status == 404:
        return NotFound(msg, provider=provider, status=status)
    if status == 429:
        return RateLimited(msg, retry_after=retry_after_seconds(headers), provider=provider, status=status)
    if status >= 500:
        return Unavailable(msg, provider=provider, status=status)
    if errors is None and isinstance(body, dict) and isinstance(body.get("errors"), dict):
        errors = body["errors"]
    return VendorValidationError(msg, errors=errors, provider=provider, status=status)
