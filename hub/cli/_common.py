"""Options and helpers shared by commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def workspace_option(f: F) -> F:
    return click.option("-w", "--workspace", "workspace", type=click.Path(file_okay=False, path_type=Path),
                        default=None, help="Workspace directory (default: the nearest parent holding hub.yaml).")(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(f)


def clients_option(f: F) -> F:
    return click.option("-c", "--client", "clients", multiple=True, metavar="CLIENT",
                        help="Only this client (repeatable).")(f)


def sandbox_option(f: F) -> F:
    return click.option("--sandbox", is_flag=True,
                        help="Point every account at hub's vendor simulators (state under .hub/sandbox/).")(f)


def resolve_root(workspace: Path | None) -> Path:
    from ..workspace import find_root

    return find_root(workspace or Path.cwd()) if workspace is None else _explicit(workspace)


def _explicit(path: Path) -> Path:
    from ..errors import ConfigError

    if not (path / "hub.yaml").is_file():
        raise ConfigError(f"{path}: no hub.yaml here; create a workspace with `hub init {path}`")
    return path.resolve()
