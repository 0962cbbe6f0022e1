"""hub init, hub validate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import json_option, resolve_root, workspace_option
from ._output import emit_json, say, say_warnings

if TYPE_CHECKING:
    from ..errors import Problem


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def init(directory: Path) -> None:
    """Scaffold a workspace with an example agency (client `bakery` on MailerLite)."""
    from ..scaffold import init_workspace

    written = init_workspace(directory)
    say(f"Created {len(written)} files in {directory}. Next: hub validate -w {directory}; "
        f"hub plan -w {directory} --sandbox")


@click.command()
@workspace_option
@json_option
def validate(workspace: Path | None, as_json: bool) -> None:
    """Check every workspace file; errors are printed as file:line: message (exit 4), warnings too (exit 0)."""
    from ..errors import ConfigError, ExitCode
    from ..plugins import default_plugins
    from ..sync.engine import validate_workspace

    root = resolve_root(workspace)
    try:
        ws = validate_workspace(root, default_plugins())
    except ConfigError as exc:  # a problem in hub.yaml or a blueprint: every client is concerned
        _invalid(exc.problems, [], [], as_json)
        raise SystemExit(int(exc.exit_code)) from None
    say_warnings(ws.warnings)
    if ws.problems:
        _invalid(ws.problems, sorted(ws.refused), ws.warnings, as_json)
        raise SystemExit(int(ExitCode.INVALID))
    counts = {name: {"campaigns": len(c.campaigns), "automations": len(c.automations),
                     "contacts": len(c.audience.contacts)} for name, c in ws.clients.items()}
    if as_json:
        emit_json({"valid": True, "clients": counts, "warnings": _listed(ws.warnings)})
    else:
        say(f"{root}: valid ({len(ws.clients)} client(s): {', '.join(sorted(ws.clients)) or 'none'})")


def _listed(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"file": p.file, "line": p.line, "message": p.message} for p in problems]


def _invalid(problems: list[Problem], refused: list[str], warnings: list[Problem], as_json: bool) -> None:
    if as_json:
        emit_json({"valid": False, "problems": _listed(problems), "refused": refused,
                   "warnings": _listed(warnings)})
    for p in problems:
        say(str(p))
    if refused:
        say(f"{len(problems)} problem(s) found in client(s) {', '.join(refused)}: nothing is planned or sent for"
            " them until they are fixed; the other clients can still be planned and applied.", style="red")
    else:
        say(f"{len(problems)} problem(s) found; nothing was sent.", style="red")
