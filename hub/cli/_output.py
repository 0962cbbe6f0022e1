"""All terminal output goes through here: data to stdout, everything else to stderr, secrets redacted."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console

from ..redact import redact

err = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(doc: Any) -> None:
    sys.stdout.write(redact(json.dumps(doc, indent=2, default=str, ensure_ascii=False)) + "\n")
    sys.stdout.flush()


def emit_text(text: str) -> None:
    sys.stdout.write(redact(text) + ("" if text.endswith("\n") else "\n"))
    sys.stdout.flush()


def say(message: str, style: str | None = None) -> None:
    """A human message on stderr."""
    err.print(redact(message), style=style, markup=False)


def say_warnings(warnings: Iterable[object]) -> None:
    """Validation warnings go to stderr, never on stdout (which may carry a JSON document), and never block."""
    for w in warnings:
        say(f"warning: {w}", style="yellow")


def data_console() -> Console:
    # piped output is read by people in logs and CI too: give tables room instead of 80 columns, unless
    # COLUMNS says how wide to be
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() else None if sys.stdout.isatty() else 180
    return Console(highlight=False, width=width)


class _SayHandler(logging.Handler):
    """Log records as human lines on stderr (redacted, like everything hub prints)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            say(self.format(record), style="yellow" if record.levelno >= logging.WARNING else "dim")
        except Exception:  # a log line must never break a command
            self.handleError(record)


_handler = _SayHandler()
# where the handler goes for each verbosity: hub's warnings always (retries: progress while a vendor does not answer),
# hub's own request log with -v, every library's log with -vv
_TARGETS = {0: ("hub", logging.NOTSET), 1: ("hub", logging.INFO), 2: ("", logging.DEBUG)}  # NOTSET: root's WARNING


def configure_logging(verbose: int) -> None:
    from ..redact import RedactingFilter

    if not any(isinstance(f, RedactingFilter) for f in _handler.filters):
        _handler.addFilter(RedactingFilter())
    for name, _level in _TARGETS.values():  # one command per process in real use; tests run many
        logger = logging.getLogger(name)
        logger.removeHandler(_handler)
        if name in _levels_before:
            logger.setLevel(_levels_before.pop(name))
    name, level = _TARGETS[min(verbose, 2)]
    target = logging.getLogger(name)
    target.addHandler(_handler)
    if level != logging.NOTSET:
        _levels_before[name] = target.level
        target.setLevel(level)


_levels_before: dict[str, int] = {}
