"""hub audit: read the append-only log of every write hub made (and every outcome a user settled)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import clients_option, json_option, resolve_root, workspace_option
from ._output import data_console, emit_json, say

if TYPE_CHECKING:
    from ..state.store import AuditEntry


@click.command(short_help="The log of every write hub made.")
@workspace_option
@clients_option
@click.option("--limit", "-n", default=50, show_default=True, type=click.IntRange(min=0), metavar="N",
              help="Show the last N entries (0: all of them).")
@json_option
@click.option("--sandbox", is_flag=True, help="Read the sandbox's log (.hub/sandbox/).")
def audit(workspace: Path | None, clients: tuple[str, ...], limit: int, as_json: bool, sandbox: bool) -> None:
    """The audit log, newest last: when, which client, account and item, what was done, how it ended, by
    whom (the user who ran hub, or HUB_ACTOR), and the details.

    Every write hub makes to a vendor is recorded as it settles, and so is every outcome settled with
    `hub resolve`; the log is append-only. --sandbox reads the sandbox's log.

    \b
    hub audit -c bakery --limit 20
    hub audit --sandbox --json
    """
    from ..state import StateStore
    from ..sync.engine import state_exists, state_location

    root = resolve_root(workspace)
    path = state_location(root, sandbox=sandbox)
    if not state_exists(path):
        _check_clients(clients, _workspace_clients(root), set())
        if as_json:
            emit_json({"total": 0, "shown": 0, "entries": []})
        say("no audit log yet (nothing was applied" + (" in the sandbox)" if sandbox else ")"))
        return
    store = StateStore(path)
    try:
        everything = store.audit()  # in the order written
    finally:
        store.close()
    _check_clients(clients, _workspace_clients(root), {e.client for e in everything})
    entries = [e for e in everything if not clients or e.client in clients]
    shown = entries[-limit:] if limit else entries
    if as_json:
        emit_json({"total": len(entries), "shown": len(shown), "entries": [_doc(e) for e in shown]})
    elif shown:
        _table(shown)
    left_out = len(entries) - len(shown)
    if not entries:
        say("the audit log has no entries" + (f" for {', '.join(clients)}" if clients else ""))
    elif left_out:
        say(f"the last {len(shown)} of {len(entries)} entries; {left_out} older one(s) left out (--limit 0 shows"
            " them all)")
    else:
        say(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")


def _workspace_clients(root: Path) -> set[str]:
    """The client folders of the workspace (the log is read even when their files do not validate)."""
    folder = root / "clients"
    if not folder.is_dir():
        return set()
    return {p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")}


def _check_clients(asked: tuple[str, ...], in_workspace: set[str], in_log: set[str]) -> None:
    """A client named with -c must be in the workspace or in the log (a removed client's history stays)."""
    known = in_workspace | in_log
    unknown = [c for c in asked if c not in known]
    if unknown:
        raise click.BadParameter(f"no client {', '.join(unknown)} in this workspace or its audit log (clients: "
                                 f"{', '.join(sorted(known)) or 'none'})", param_hint="-c")


def _doc(e: AuditEntry) -> dict[str, Any]:
    return {"at": e.at, "client": e.client, "account": e.account, "kind": e.kind, "id": e.neutral_id,
            "action": e.action, "result": e.result, "actor": e.actor, "vendor_id": e.vendor_id, "detail": e.detail}


RESULT_STYLE = {"ok": "", "failed": "red", "unknown": "bold red", "unfinished": "yellow", "absent": "yellow"}


def _table(entries: list[AuditEntry]) -> None:
    from rich.markup import escape

    from ._table import Column, fit, make_table

    def result(value: str) -> str:
        style = RESULT_STYLE.get(value, "")
        return f"[{style}]{escape(value)}[/]" if style else escape(value)

    cells = [{"time": f"{e.at[:10]} {e.at[11:19]}", "client": escape(e.client), "account": escape(e.account),
              "kind": escape(e.kind), "id": escape(e.neutral_id), "action": escape(e.action),
              "result": result(e.result), "actor": escape(e.actor), "detail": escape(e.detail)} for e in entries]
    # the detail (a failure's reason) always stays; the account, then the actor, give way on a narrow terminal
    columns = [Column("time"), Column("client"), Column("account", drop=1), Column("kind"),
               Column("id", wrap=True, readable=20), Column("action"), Column("result"), Column("actor", drop=2),
               Column("detail", wrap=True)]
    if not any(e.detail for e in entries):  # an empty column would only take room from the ids
        columns.pop()
    console = data_console()
    width = console.width
    console.print(make_table("audit log (times in UTC)", fit(columns, cells, width), cells, width))
