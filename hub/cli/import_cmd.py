"""hub import: adopt an existing vendor account into the workspace (the next plan shows nothing to do)."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import json_option, resolve_root, sandbox_option, workspace_option
from ._output import emit_json, say


@click.command("import", short_help="Adopt an existing vendor account into YAML.")
@click.argument("client")
@click.option("--account", "account", required=True, metavar="NAME", help="The account in client.yaml to import.")
@workspace_option
@sandbox_option
@click.option("--dry-run", is_flag=True, help="Show the files that would be written (and their sizes); write nothing.")
@click.option("--force", is_flag=True, help="Overwrite files that exist already.")
@json_option
def import_(client: str, account: str, workspace: Path | None, sandbox: bool, dry_run: bool, force: bool,
            as_json: bool) -> None:
    """Read an existing vendor account and write the client's files for it: audience.yaml, contacts.csv (every
    contact with its consent), campaigns/*.yaml (drafts and scheduled ones; sent ones summarised), automations/*.yaml.
    Then record in hub's state what was found, so that the next `hub plan` has nothing to do. Only reads the vendor.

    \b
    hub import bakery --account mailerlite --dry-run     what would be written
    hub import bakery --account mailerlite               write it, and adopt the account
    """
    from ..onboard.importer import ImportOptions, run_import
    from ..plugins import default_plugins

    root = resolve_root(workspace)
    report = run_import(root, default_plugins(), ImportOptions(client, account, sandbox, dry_run, force),
                        progress=say)
    if as_json:
        emit_json(report.to_json())
        return
    verb = "Would write" if dry_run else "Wrote"
    say(f"{verb} {len(report.files)} file(s) for {client}/{account} ({report.provider}):")
    for f in report.files:
        mark = " (exists: replaced)" if f.existed and not dry_run else " (exists: needs --force)" if f.existed else ""
        say(f"  {f.path}  {f.size:,} bytes  {f.what}{mark}")
    for note in report.notes:
        say(f"  note: {note}")
    if report.history:
        say(f"  {len(report.history)} sent campaign(s) kept as history, never made again.")
    if dry_run:
        say("Dry run: nothing written.")
        return
    say(f"Recorded in hub's state: {report.adopted} item(s) adopted, {report.contacts} contact(s)"
        + (f", {report.texts} scheduled text(s)" if report.texts else "")
        + (f", {report.optouts} number(s) that opted out (never texted)" if report.optouts else "")
        + ". Nothing was written to the vendor.")
    if report.left:
        say(f"The next plan still shows {len(report.left)} item(s):", style="yellow")
        for item in report.left:
            say(f"  {item['action']:8} {item['kind']} {item['id']}: {item['reason']}")
    else:
        say("The next `hub plan` shows no changes.")
