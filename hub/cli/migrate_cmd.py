"""hub migrate: move a client between vendors with consent kept."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import json_option, resolve_root, sandbox_option, workspace_option
from ._output import emit_json, say, say_warnings

if TYPE_CHECKING:
    from ..migrate.flow import Migration
    from ..migrate.verify import Verification


@click.command(short_help="Move a client to another vendor, consent kept.")
@click.argument("client")
@click.option("--from", "source", required=True, metavar="ACCOUNT",
              help="The account the client leaves (`role: source` in client.yaml; only read).")
@click.option("--to", "target", required=True, metavar="ACCOUNT",
              help="The account that takes over (`role: target` in client.yaml).")
@click.option("--verify", "check", is_flag=True,
              help="Compare both sides (contacts by consent, lists, tags, fields); exit 3 when they differ.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@workspace_option
@json_option
@sandbox_option
def migrate(client: str, source: str, target: str, check: bool, yes: bool, workspace: Path | None,
            as_json: bool, sandbox: bool) -> None:
    """Move CLIENT from the account --from to the account --to: the source's contacts are carried with their
    consent (unsubscribed, bounced, complained and pending stay so; opt-in evidence where the target keeps it),
    and the workspace is applied to the target as `hub apply` would (confirmation unless --yes).

    \b
    First mark both accounts in clients/CLIENT/client.yaml:
      accounts:
        mailerlite: {provider: mailerlite, api_key: env:..., role: source}
        mailchimp:  {provider: mailchimp, api_key: env:..., audience_id: ..., role: target}
    hub migrate bakery --from mailerlite --to mailchimp           plan, confirm, apply
    hub migrate bakery --from mailerlite --to mailchimp --verify  compare both sides
    Then remove the source account and both roles from client.yaml.
    """
    from ..migrate.flow import open_migration
    from ..plugins import default_plugins
    from ..sync.engine import Session, SessionOptions

    options = SessionOptions(sandbox=sandbox, clients=(client,))
    with Session(resolve_root(workspace), default_plugins(), options) as session:
        say_warnings(session.workspace.warnings)
        migration = open_migration(session, client, source, target)
        if check:
            _verify(session, migration, as_json)
        else:
            _migrate(session, migration, yes=yes, as_json=as_json)


def _migrate(session: Any, migration: Migration, *, yes: bool, as_json: bool) -> None:
    from ..errors import ExitCode, ItemFailure, PartialFailure, Reported
    from ..migrate.flow import record_done, target_plan
    from ._render import render_plan
    from .sync_cmd import check_accounts

    with session.state.client_lock([migration.client]):
        applier = session.applier()
        reconciled = applier.reconcile()
        if reconciled:
            say(f"Settled {reconciled} earlier operation(s) with the vendors (interrupted writes, queued imports).")
        plan = target_plan(session, migration)
        summary = migration.summary()
        if not as_json:
            render_plan(plan)
            _say_summary(summary)
        check_accounts(plan, announce=as_json)  # the target could not be planned: nothing is applied
        work = plan.writes
        if work and not yes:
            if not sys.stdin.isatty():
                raise click.UsageError("refusing to apply without confirmation; pass --yes")
            if not click.confirm(f"Apply {len(work)} change(s) to '{migration.target.name}'?", err=True):
                raise Reported(ExitCode.UNEXPECTED, "Nothing applied.")
        report = applier.apply(plan)
        failed = report.failed + report.unknown
        if not failed:
            record_done(session, migration, f"migrate-{migration.client}-{migration.source.name}")
    if as_json:
        emit_json({**plan.to_json(results=True), "migration": summary})
    else:
        render_plan(plan, results=True)
        if not failed:
            say(f"Migrated '{migration.client}' from '{migration.source.name}' to '{migration.target.name}'."
                f" Check it with `hub migrate {migration.client} --from {migration.source.name} --to"
                f" {migration.target.name} --verify`, then remove '{migration.source.name}' and both roles from"
                " client.yaml.")
    if failed:
        raise PartialFailure([ItemFailure(c.client, c.provider, c.kind, c.id, c.error, c.result) for c in failed])


def _say_summary(summary: dict[str, Any]) -> None:
    src = f"'{summary['from']}' ({summary['from_provider']})"
    if "carried" in summary:
        statuses = ", ".join(f"{n} {s}" for s, n in summary["by_status"].items())
        say(f"Contacts from {src}: {summary['source_contacts']} read; {summary['carried']} pushed to"
            f" '{summary['to']}' ({statuses}); {summary['suppressed']} carried suppressed (never subscribed);"
            f" {summary['only_at_source']} only at the source; {summary['with_opt_in_evidence']} with opt-in"
            " evidence.")
    if "sms_opt_outs" in summary:
        say(f"SMS opt-outs at {src}: {summary['sms_opt_outs']}, kept by hub for every sender of the client.")


def _verify(session: Any, migration: Migration, as_json: bool) -> None:
    from ..errors import ExitCode, Reported
    from ..migrate.verify import verify
    from ..sync.plan import build_refs

    target = migration.target
    found = list(target.provider.api.export_contacts(build_refs(session.state, target)))
    result = verify(migration.exported, found)
    if as_json:
        emit_json({"client": migration.client, "from": migration.source.name, "to": target.name, **result.to_json()})
    else:
        _print_verification(migration, result)
    if not result.ok:
        raise Reported(ExitCode.PARTIAL_FAILURE, "" if as_json else
                       f"The two sides differ: see the rows marked '!' above; `hub migrate {migration.client} --from"
                       f" {migration.source.name} --to {target.name}` carries what is missing.")


def _print_verification(migration: Migration, result: Verification) -> None:
    from ._output import data_console

    console = data_console()
    console.print(f"{migration.client}: '{migration.source.name}' ({migration.source.provider.display_name}) ->"
                  f" '{migration.target.name}' ({migration.target.provider.display_name})", markup=False)
    width = max((len(f"{r.what} {r.name}") for r in result.rows), default=10)
    console.print(f"  {'':{width}}  {'source':>7}  {'target':>7}", markup=False)
    for r in result.rows:
        mark = "!" if r.differs else " "
        note = f"  {r.note}" if r.note else ""
        console.print(f"{mark} {f'{r.what} {r.name}':{width}}  {r.source:>7}  {r.target:>7}{note}", markup=False)
    for title, emails in (("at the source, not at the target", result.missing),
                          ("suppressed at the source but subscribed at the target", result.resubscribed)):
        if emails:
            more = f" (and {len(emails) - 10} more)" if len(emails) > 10 else ""
            console.print(f"! {len(emails)} {title}: {', '.join(emails[:10])}{more}", markup=False)
    if result.only_at_target:
        console.print(f"  {result.only_at_target} contact(s) only at the target (added there since)", markup=False)
    if result.ok:
        say("Both sides match.")
