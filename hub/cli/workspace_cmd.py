"""hub init, hub validate."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import json_option, resolve_root, workspace_option
from ._output import emit_json, say


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
    """Check every workspace file; errors are printed as file:line: message (exit 4)."""
    from ..errors import ConfigError
    from ..plugins import default_plugins
    from ..sync.engine import validate_workspace

    root = resolve_root(workspace)
    try:
        ws = validate_workspace(root, default_plugins())
    except ConfigError as exc:
        if as_json:
            emit_json({"valid": False, "problems": [
                {"file": p.file, "line": p.line, "message": p.message} for p in exc.problems]})
        for p in exc.problems:
            say(str(p))
        say(f"{len(exc.problems)} problem(s) found; nothing was sent.", style="red")
        raise SystemExit(int(exc.exit_code)) from None
    counts = {name: {"campaigns": len(c.campaigns), "automations": len(c.automations),
                     "contacts": len(c.audience.contacts)} for name, c in ws.clients.items()}
    if as_json:
        emit_json({"valid": True, "clients": counts})
    else:
        say(f"{root}: valid ({len(ws.clients)} client(s): {', '.join(sorted(ws.clients)) or 'none'})")
