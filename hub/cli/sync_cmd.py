"""hub plan, hub apply."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._common import clients_option, json_option, resolve_root, sandbox_option, workspace_option
from ._output import emit_json, err, say, say_warnings

if TYPE_CHECKING:
    from ..sync.engine import Session
    from ..sync.plan import Plan


def open_session(workspace: Path | None, sandbox: bool, clients: tuple[str, ...], prune: bool = False) -> Session:
    from ..plugins import default_plugins
    from ..sync.engine import Session, SessionOptions

    session = Session(resolve_root(workspace), default_plugins(), SessionOptions(sandbox=sandbox, clients=clients,
                                                                                  prune=prune))
    # a refused client's problems are printed with the plan's account errors (and set the exit code)
    say_warnings(session.workspace.warnings)
    return session


def check_accounts(plan: Plan, *, announce: bool = False) -> None:
    """Raise the exit code of accounts that could not be planned (tables name each one; with --json, stdout
    carries them under `errors` and `announce` says which on stderr)."""
    from ..errors import ExitCode, Reported
    from ._render import account_problem

    failed = [a for a in plan.accounts if a.error]
    if announce:
        for acc in failed:
            say(account_problem(acc), style="red")
    if failed:
        raise Reported(ExitCode(max(a.exit_code for a in failed)))


@click.command()
@workspace_option
@clients_option
@json_option
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan for `apply --plan`.")
@sandbox_option
@click.option("--prune", is_flag=True, help="Plan deletions of items no longer in the workspace.")
@click.option("--all", "show_all", is_flag=True, help="Also list items that need no change.")
@click.option("--sheets", "sheets_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write each build sheet (things to build by hand) as Markdown, emails as HTML beside it.")
def plan(workspace: Path | None, clients: tuple[str, ...], as_json: bool, out: Path | None,
         sandbox: bool, prune: bool, show_all: bool, sheets_dir: Path | None) -> None:
    """Show what would change in every client's vendor accounts. Only reads.

    \b
    hub plan --sandbox                 against the simulators
    hub plan -c bakery --json          one client, machine-readable
    hub plan --out plan.json           save it; `hub apply --plan plan.json` runs exactly this
    """
    from ._render import render_plan

    with open_session(workspace, sandbox, clients, prune) as session:
        the_plan = session.plan()
    if out:
        the_plan.save(out)
        say(f"Plan saved to {out}.")
    sheets = _write_sheets(the_plan, sheets_dir) if sheets_dir else None
    if as_json:
        emit_json(the_plan.to_json())
    else:
        render_plan(the_plan, show_noop=show_all, sheets=sheets)
    check_accounts(the_plan, announce=as_json)


def _write_sheets(the_plan: Plan, directory: Path) -> dict[tuple[str, str, str, str], Path]:
    from ..sheets import has_sheet, sheet_path, write_sheets

    written = write_sheets(the_plan, directory)
    say(f"{len(written)} build sheet(s) written under {directory}.")
    return {(c.client, c.account, c.kind, c.id): sheet_path(directory, c) for c in the_plan.changes if has_sheet(c)}


@click.command(short_help="Make the vendor accounts match the workspace.")
@workspace_option
@clients_option
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Apply exactly this saved plan (refused when stale).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--prune", is_flag=True, help="Delete vendor items that are no longer in the workspace.")
@json_option
@sandbox_option
def apply(workspace: Path | None, clients: tuple[str, ...], plan_file: Path | None, yes: bool,
          prune: bool, as_json: bool, sandbox: bool) -> None:
    """Make the vendor accounts match the workspace (plan first, then apply it).

    \b
    hub apply --sandbox --yes
    hub apply --plan plan.json --yes
    """
    from ..errors import ExitCode, ItemFailure, PartialFailure, Reported
    from ..sync.plan import Plan, translate_again
    from ._render import render_plan

    with open_session(workspace, sandbox, clients, prune) as session, session.state.client_lock(session.client_names):
        applier = session.applier()
        reconciled = applier.reconcile()
        if reconciled:
            say(f"Settled {reconciled} earlier operation(s) with the vendors (interrupted writes, queued imports).")
        if plan_file:
            the_plan = Plan.load(plan_file)
            the_plan.check_binding(session.workspace.digest, session.state.revision, sandbox)
            translate_again(the_plan, session.accounts, session.state)
            applier.prune = prune or the_plan.prune
        else:
            the_plan = session.plan()
        if not as_json:
            render_plan(the_plan)
        work = the_plan.writes
        if work and not yes:
            if not sys.stdin.isatty():
                raise click.UsageError("refusing to apply without confirmation; pass --yes")
            if not click.confirm(f"Apply {len(work)} change(s)?", err=True):
                raise Reported(ExitCode.UNEXPECTED, "Nothing applied.")  # 1; 130 would promise a rerun continues
        applier.progress = _progress(len(work), quiet=as_json)
        try:
            report = applier.apply(the_plan)
        finally:
            applier.progress.close()
    if as_json:
        emit_json(the_plan.to_json(results=True))
    else:
        render_plan(the_plan, results=True)
    if report.failed or report.unknown:
        raise PartialFailure([ItemFailure(c.client, c.provider, c.kind, c.id, c.error, c.result)
                              for c in report.failed + report.unknown])
    check_accounts(the_plan, announce=as_json)


class _progress:
    """A rich progress bar on stderr (only on a terminal, never with --json)."""

    def __init__(self, total: int, quiet: bool) -> None:
        self._bar = None
        if total and not quiet and err.is_terminal:
            from rich.progress import Progress

            self._bar = Progress(console=err, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("applying", total=total)

    def __call__(self, n: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
