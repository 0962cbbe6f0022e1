"""hub init, hub validate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import clients_option, json_option, resolve_root, workspace_option
from ._output import emit_json, say, say_warnings

if TYPE_CHECKING:
    from ..errors import Problem


@click.command(short_help="Create a workspace (the example agency, or --blank).")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--blank", is_flag=True, help="An empty workspace with one commented client instead of the example.")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty: files of the same name are"
              " overwritten (each one named), every other file is kept.")
def init(directory: Path, blank: bool, force: bool) -> None:
    """Create a workspace in DIRECTORY (default: the current folder, which must then be empty).

    Without options it holds an example agency of three clients (bakery on MailerLite and Twilio, law-firm
    on ActiveCampaign, yoga-studio on Mailchimp) to try with --sandbox.
    """
    from ..scaffold import folder_contents, init_workspace, template_paths

    here = directory == Path(".")
    present = folder_contents(directory)
    if present and not force:
        shown = ", ".join(present[:6]) + (f" and {len(present) - 6} more" if len(present) > 6 else "")
        where = "the current folder" if here else str(directory)
        raise click.UsageError(f"{where} is not empty ({shown}): `hub init NEWFOLDER` makes a new one, or add"
                               " --force to write into it anyway (other files are kept)")
    replaced = [p for p in template_paths(directory, blank=blank) if p.exists()]
    written = init_workspace(directory, blank=blank, force=force)
    for path in replaced:
        say(f"overwrote {path}")
    what = "a blank workspace" if blank else "the example agency"
    w = "" if here else f" -w {directory}"
    say(f"Created {what} in {'the current folder' if here else directory} ({len(written)} files). Next: hub"
        f" validate{w}; hub plan{w} --sandbox")


@click.command(short_help="Check every workspace file (errors as file:line).")
@workspace_option
@clients_option
@json_option
def validate(workspace: Path | None, clients: tuple[str, ...], as_json: bool) -> None:
    """Check every workspace file; errors are printed as file:line: message (exit 4), warnings too (exit 0).

    With -c, only those clients' files (and hub.yaml and the blueprints) count.
    """
    from ..errors import ConfigError, ExitCode, Reported
    from ..plugins import default_plugins
    from ..sync.engine import validate_workspace

    root = resolve_root(workspace)
    try:
        ws = validate_workspace(root, default_plugins())
    except ConfigError as exc:  # a problem in hub.yaml or a blueprint: every client is concerned
        _invalid(exc.problems, [], [], as_json)
        raise Reported(exc.exit_code) from None
    known = {*ws.clients, *ws.refused}
    unknown = [c for c in clients if c not in known]
    if unknown:
        raise click.BadParameter(f"no client {', '.join(unknown)} in this workspace (clients: "
                                 f"{', '.join(sorted(known)) or 'none'})", param_hint="-c")
    chosen = set(clients or known)
    warnings = [w for w in ws.warnings if _concerns(w, chosen, known)]
    problems = [p for p in ws.problems if _concerns(p, chosen, known)]
    refused = sorted(set(ws.refused) & chosen)
    say_warnings(warnings)
    if problems:
        _invalid(problems, refused, warnings, as_json)
        raise Reported(ExitCode.INVALID)
    counts = {name: {"campaigns": len(c.campaigns), "automations": len(c.automations),
                     "contacts": len(c.audience.contacts)} for name, c in ws.clients.items() if name in chosen}
    if as_json:
        emit_json({"valid": True, "clients": counts, "warnings": _listed(warnings)})
    else:
        say(f"{root}: valid ({len(counts)} client(s): {', '.join(sorted(counts)) or 'none'})")


def _concerns(problem: Problem, chosen: set[str], known: set[str]) -> bool:
    """Whether a problem belongs to the chosen clients: one in another client's folder does not."""
    parts = Path(problem.file).parts
    owner = parts[1] if len(parts) > 1 and parts[0] == "clients" else None
    return owner is None or owner not in known or owner in chosen


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
