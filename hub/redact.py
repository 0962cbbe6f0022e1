"""Secrets never reach output, logs, plan files, state or exception text.

Every secret hub resolves is registered here; all text hub prints or logs passes through `redact`.
"""

from __future__ import annotations

import logging
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "****"


def register(secret: str | None) -> None:
    if secret and len(secret) >= 4:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, MASK)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


# Libraries that log request URLs (where some vendors put credentials, e.g. ActiveCampaign's v1 api_key),
# and hub's own loggers. A logger's filter only sees records logged on that very logger, not those of its
# children, so hub's request log and retry lines are named one by one.
LIBRARY_LOGGERS = ("urllib3.connectionpool", "twilio.http_client", "hub", "hub.http", "hub.retry")


def guard_library_loggers() -> None:
    """Redact what HTTP libraries log, whatever handlers the application (or pytest) installed."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def install_logging_filter() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(RedactingFilter())
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
