"""hub sheets: the build sheets of what must be built by hand in a vendor's UI, written as files."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import json_option, sandbox_option, workspace_option
from ._output import emit_json, say
from .sync_cmd import check_accounts, open_session

DEFAULT_DIR = "build-sheets"
SANDBOX_DIR = Path("sandbox") / "build-sheets"  # under the workspace's state_dir (.hub by default)


@click.command(short_help="Write the build sheets as Markdown and HTML files.")
@click.argument("clients", nargs=-1, metavar="[CLIENT]...")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              show_default=f"{DEFAULT_DIR}/ in the workspace root; with --sandbox, .hub/{SANDBOX_DIR.as_posix()}/",
              help="Where to write the sheets.")
@workspace_option
@sandbox_option
@json_option
def sheets(clients: tuple[str, ...], directory: Path | None, workspace: Path | None,
           sandbox: bool, as_json: bool) -> None:
    """Write the build sheets of what must be built by hand in the vendors' UIs, as files to follow and paste.

    Plans like `hub plan` (only reads), then writes for each manual item (an automation or segment a vendor's
    API cannot create) DIR/CLIENT/ACCOUNT/KIND-ID.md with the steps, and each of its emails' HTML beside it
    as KIND-ID.email-N.html. Without CLIENT, every client. Running it again rewrites nothing that did not
    change, and removes the sheets of items built and verified since. Nothing else in DIR is touched.

    \b
    hub sheets bakery                 write bakery's sheets under build-sheets/bakery/
    hub sheets bakery --sandbox       against the simulators (under .hub/sandbox/build-sheets/)
    hub sheets --dir ~/Desktop/todo   every client's, somewhere else
    """
    from ..sheets import email_path, has_sheet, sheet_path, write_sheets
    from ..sync.engine import hub_dir

    with open_session(workspace, sandbox, clients) as session:
        the_plan = session.plan()
        root = session.root
    if directory is None:
        directory = hub_dir(root) / SANDBOX_DIR if sandbox else root / DEFAULT_DIR
    removed: list[Path] = []
    written = write_sheets(the_plan, directory, clients=the_plan.clients, removed=removed)
    for path in removed:
        if path.suffix == ".md":
            say(f"removed {_shown(path)} (no longer to build by hand)")
    for path in written:
        say(str(_shown(path)))
    built = [c for c in the_plan.changes if has_sheet(c)]
    unplanned = {a.client for a in the_plan.accounts if a.error}  # their errors are printed below
    for client in the_plan.clients:
        if client not in unplanned and not any(c.client == client for c in built):
            say(f"no build sheets: nothing to build by hand for {client}")
    if as_json:
        emit_json({"directory": str(directory), "sheets": [
            {"client": c.client, "account": c.account, "provider": c.provider, "kind": c.kind, "id": c.id,
             "sheet": str(sheet_path(directory, c)),
             "emails": [str(email_path(directory, c, n)) for n in range(1, len(c.details.get("emails") or []) + 1)]}
            for c in built]})
    for acc in the_plan.accounts:  # no table names them here
        if acc.error:
            where = acc.client if acc.account == "*" else f"{acc.client}/{acc.account} ({acc.provider})"
            say(f"{where} could not be planned, so its sheets were not written: {acc.error}", style="red")
    check_accounts(the_plan)


def _shown(path: Path) -> Path:
    """A path as the user can type it: relative to the current directory when it is under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path

