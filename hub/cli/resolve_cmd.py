"""hub resolve: settle writes whose outcome is unknown (their answers were lost and the vendor cannot tell)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import json_option, resolve_root, sandbox_option, workspace_option
from ._output import data_console, emit_json, say

if TYPE_CHECKING:
    from ..state.store import ItemRecord


@click.command()
@workspace_option
@json_option
@sandbox_option
@click.argument("client", required=False)
@click.argument("item", required=False)
@click.option("--done", "outcome", flag_value="done", help="It happened at the vendor: keep it as applied.")
@click.option("--retry", "outcome", flag_value="retry", help="It did not happen: the next apply makes it again.")
@click.option("--account", help="The client's account, when several hold an item of that name.")
def resolve(workspace: Path | None, as_json: bool, sandbox: bool, client: str | None, item: str | None,
            outcome: str | None, account: str | None) -> None:
    """Settle writes that may or may not have happened.

    A write whose answer was lost is looked up at the vendor; when the vendor offers no way to tell (a
    Mailchimp journey trigger, for one), hub never repeats it blindly: it waits for you to look in the
    vendor's UI and say what happened.

    \b
    hub resolve                                                  list them
    hub resolve yoga-studio enrolment:welcome/ana@x.com --done   it happened: keep it as applied
    hub resolve yoga-studio enrolment:welcome/ana@x.com --retry  it did not: the next apply makes it again
    """
    from ..errors import ConfigError
    from ..state import StateStore
    from ..sync.engine import state_exists, state_location

    path = state_location(resolve_root(workspace), sandbox=sandbox)
    if not state_exists(path):
        raise ConfigError(f"{path}: no state yet (nothing was applied{' in the sandbox' if sandbox else ''})")
    state = StateStore(path)
    try:
        unknown = state.items_with(("unknown",), client)
        if item is None:
            if outcome:
                raise click.UsageError("name the item to settle: hub resolve CLIENT KIND:ID --done|--retry")
            _list(unknown, as_json)
            return
        if not outcome:
            raise click.UsageError("say what happened: --done (it happened) or --retry (make it again)")
        record = _find(unknown, item, account)
        state.resolve(record, done=outcome == "done")
    finally:
        state.close()
    if as_json:
        emit_json({"resolved": {**_row(record), "outcome": outcome}})
    else:
        say(f"{record.client}/{record.account} {record.kind}:{record.neutral_id}: "
            + ("kept as applied." if outcome == "done" else "forgotten; the next apply makes it again."))


def _find(unknown: list[ItemRecord], item: str, account: str | None) -> ItemRecord:
    from ..errors import ConfigError

    kind, _, neutral_id = item.rpartition(":") if ":" in item else ("", "", item)
    found = [r for r in unknown if r.neutral_id == neutral_id and kind in ("", r.kind)
             and account in (None, r.account)]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(f"{r.kind}:{r.neutral_id} ({r.account})" for r in unknown) or "none"
    if not found:
        raise ConfigError(f"no write with an unknown outcome is named '{item}' (those with one: {listed})")
    raise ConfigError(f"'{item}' names several ({listed}): give KIND:ID and --account")


def _row(r: ItemRecord) -> dict[str, Any]:
    return {"client": r.client, "account": r.account, "provider": r.provider, "kind": r.kind, "id": r.neutral_id,
            "since": r.applied_at, "reason": r.data["unknown"]}


def _list(unknown: list[ItemRecord], as_json: bool) -> None:
    if as_json:
        emit_json({"unknown": [_row(r) for r in unknown]})
        return
    if not unknown:
        say("Nothing to settle: every write hub made has a known outcome.")
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="writes with an unknown outcome", title_justify="left")
    for col in ("client", "account", "item", "since", "why"):
        table.add_column(col, overflow="fold")
    for r in unknown:
        table.add_row(r.client, r.account, escape(f"{r.kind}:{r.neutral_id}"), r.applied_at, escape(r.data["unknown"]))
    data_console().print(table)
    say("Look in the vendor's UI, then: hub resolve CLIENT KIND:ID --done (it happened) or --retry (make it again).")
