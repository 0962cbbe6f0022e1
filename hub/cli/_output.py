"""All terminal output goes through here: data to stdout, everything else to stderr, secrets redacted."""

from __future__ import annotations

import json
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
    # piped output is read by people in logs and CI too: give tables room instead of 80 columns
    return Console(highlight=False, width=None if sys.stdout.isatty() else 180)
