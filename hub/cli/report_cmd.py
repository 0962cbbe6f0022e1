"""hub report, hub report sync: every client's results across vendors and channels, read into hub's state once and
shown from there (showing never calls a vendor)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import clients_option, json_option, resolve_root, sandbox_option, workspace_option
from ._output import data_console, emit_json, emit_text, say

if TYPE_CHECKING:
    from ..report.aggregate import Report
    from ..report.collect import AccountSync
    from ..sync.engine import Session

JSON_KEYS = """\b
--json prints one document:
  generated_at, timezone ("UTC": days are UTC dates), since (a date or null),
  by (the grouping), clients,
  rows[]: group ({client, channel, ...}), sources (sends counted),
    counts {sent, delivered, bounced_hard, bounced_soft, failed, opens,
      opens_adjusted, clicks, unsubscribes, complaints, replies,
      favourites, boosts}: null = n/a (no vendor of the row gives it),
    amounts {cost, revenue}: {currency: amount} or null,
    rates {delivery_rate, bounce_rate, open_rate, open_rate_adjusted,
      click_rate, click_to_open, unsubscribe_rate, complaint_rate}:
      from summed counts, null when the denominator is 0 or n/a,
    coverage {metric: share of the row's sends whose vendor gives it},
    opens_directional, adjusted_opens (all, part, none),
    fields {provider: {metric: the vendor field it came from}},
  total (a row over everything), notes[]"""


@click.group(invoke_without_command=True, short_help="Results of every client's sends: table, JSON, CSV or HTML.",
             epilog=JSON_KEYS)
@clients_option
@click.option("--since", metavar="PERIOD",
              help="Only figures from this day on: 30d, 12w (back from today), 2026-11-01, or 2026-11.")
@click.option("--by", "by", multiple=True, metavar="DIMENSION",
              help="Group by client, campaign, channel or month; repeat or join with commas (default: client,channel).")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV on stdout: a header line, then one line per group.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write FILE: one self-contained page with charts (no network needed), printable.")
@sandbox_option
@workspace_option
@click.pass_context
def report(ctx: click.Context, clients: tuple[str, ...], since: str | None, by: tuple[str, ...], as_json: bool,
           as_csv: bool, html_file: Path | None, sandbox: bool, workspace: Path | None) -> None:
    """What every client's campaigns, automation steps and posts achieved, from the figures `hub report sync` last
    read from the vendors (reading them is that command's job: this one never calls a vendor).

    Counts are summed and rates computed from the sums; opens are directional (Apple Mail Privacy Protection);
    a metric no vendor of a row gives is n/a, not 0. Days and times are UTC.

    \b
    hub report sync                      read the vendors' latest figures
    hub report                           per client and channel
    hub report -c bakery --by month --since 90d
    hub report --by client,campaign --csv > results.csv
    hub report --html report.html        charts, for the client or for print
    """
    ctx.ensure_object(dict)
    ctx.obj.update(clients=clients, sandbox=sandbox, workspace=workspace, as_json=as_json)
    if ctx.invoked_subcommand is not None:
        return
    if as_json and as_csv:
        raise click.UsageError("--json and --csv both print on stdout: choose one (--html may go with either)")
    _show(clients, since, by, as_json, as_csv, html_file, sandbox, workspace)


def _show(clients: tuple[str, ...], since: str | None, by: tuple[str, ...], as_json: bool, as_csv: bool,
          html_file: Path | None, sandbox: bool, workspace: Path | None) -> None:
    from ..report.aggregate import QueryError, aggregate, parse_by, parse_since
    from ..report.render import to_csv, to_json
    from ..state import StateStore
    from ..state.results import ReportTables
    from ..sync.engine import sandbox_clock, state_exists, state_location

    root = resolve_root(workspace)
    now = sandbox_clock(root).utcnow() if sandbox else datetime.now(UTC)
    try:
        grouping = parse_by(by)
        start = parse_since(since, now.date()) if since else None
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--by" if "group" in str(exc) else "--since") from None
    location = state_location(root, sandbox=sandbox)
    figures, sources = [], []
    if state_exists(location):
        store = StateStore(location)
        try:
            tables = ReportTables(store)
            _check_clients(root, clients, tables)
            figures = tables.figures(clients, start.isoformat() if start else None)
            sources = tables.sources(clients)
        finally:
            store.close()
    else:
        _check_clients(root, clients, None)
    result = aggregate(figures, sources, by=grouping, clients=clients, since=start)
    if not figures:
        where = " --sandbox" if sandbox else ""
        say(f"no figures yet{' for this period' if start else ''}: `hub report sync{where}` reads them from the"
            " vendors (campaigns once their send time has passed)", style="yellow")
    if html_file is not None:
        from ..report.html import build
        from ..report.render import table_cells

        html_file.write_text(build(result, figures, sources, now, table_cells), encoding="utf-8")
        say(f"Report written to {html_file}.")
    if as_json:
        emit_json(to_json(result, now))
    elif as_csv:
        emit_text(to_csv(result))
    elif figures:
        _print_table(result)


def _check_clients(root: Path, clients: tuple[str, ...], tables: Any) -> None:
    """An unknown client is a usage error (a typo would otherwise read as "no figures")."""
    if not clients:
        return
    from ..errors import UsageProblem

    folder = root / "clients"
    known = {p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")} \
        if folder.is_dir() else set()
    if tables is not None:
        known |= {s.client for s in tables.sources()}  # a client removed from the workspace keeps its history
    unknown = [c for c in clients if c not in known]
    if unknown:
        raise UsageProblem(f"unknown client(s) {', '.join(unknown)} (clients: {', '.join(sorted(known)) or 'none'})")


def _print_table(result: Report) -> None:
    from ..report.render import LABELS, TABLE, table_cells
    from ._table import Column, fit, make_table

    console = data_console()
    cells = table_cells(result)
    columns = [Column(d) for d in result.by] + [Column(LABELS[name], drop=drop) for name, drop in TABLE]
    title = f"results by {' × '.join(result.by)}" + (f" since {result.since}" if result.since else "") + \
        " (days in UTC)"
    console.print(make_table(title, fit(columns, cells, console.width), cells, console.width))
    console.print("[dim]* opens are directional (Apple Mail Privacy Protection opens every email); adj.: machine"
                  " opens left out, where the vendor tells them apart ((part): not every vendor of the row does)."
                  " Rates from summed counts; n/a: no vendor of the row gives it.[/]")


# -- hub report sync ---------------------------------------------------------------------------------------
@report.command(short_help="Read the vendors' figures for what hub sent into hub's state.")
@clients_option
@sandbox_option
@json_option
@workspace_option
@click.pass_context
def sync(ctx: click.Context, clients: tuple[str, ...], sandbox: bool, as_json: bool, workspace: Path | None) -> None:
    """Ask every account's vendor for the results of what hub sent: campaigns and posts once their send time has
    passed, and the batches hub's runner sent for automation steps. Figures that can no longer change are read
    once more and never again. Accounts are read concurrently; one that fails is named and the others are stored.

    \b
    --json prints {accounts: [{client, account, provider, read, results, settled, skipped_settled, missing,
    failures: [{kind, error}]}], unopened: [{client, account, provider, error, missing}], summary: {read, results,
    settled, skipped_settled, failed}}. Exit 5 when a vendor could not be reached, 3 when an account failed
    otherwise (each named on stderr), 4 when a client's files are invalid.
    """
    from ..report.collect import collect
    from .sync_cmd import open_session

    outer = ctx.obj or {}
    clients = clients or outer.get("clients", ())
    sandbox = sandbox or outer.get("sandbox", False)
    workspace = workspace or outer.get("workspace")
    as_json = as_json or outer.get("as_json", False)
    with open_session(workspace, sandbox, clients) as session:
        accounts = [*session.accounts, *session.sources]  # a migration's source is read too: reading changes nothing
        done = collect(accounts, session.state, session.clock, progress=_progress)
        unopened, refused = _problems(session)
    if as_json:
        emit_json({"accounts": [a.to_json() for a in done], "unopened": unopened, "summary": _summary(done, unopened)})
    _finish(done, unopened, refused)


def _progress(done: AccountSync) -> None:
    say(done.line())
    for f in done.failures:
        say(f"{done.client}/{done.account} ({done.provider}): could not read the results of {f['kind']}: {f['error']}",
            style="red")


def _problems(session: Session) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    from ..errors import without_source

    unopened = [{"client": u.client, "account": u.name, "provider": u.provider, "error": without_source(u.error),
                 "missing": u.missing} for u in session.unopened]
    refused = {name: [str(p) for p in problems] for name, problems in session.refused.items()}
    return unopened, refused


def _summary(done: list[AccountSync], unopened: list[dict[str, Any]]) -> dict[str, int]:
    return {"read": sum(a.read for a in done), "results": sum(a.results for a in done),
            "settled": sum(a.settled for a in done), "skipped_settled": sum(a.skipped for a in done),
            "failed": sum(1 for a in done if a.failures) + len(unopened)}


def _finish(done: list[AccountSync], unopened: list[dict[str, Any]], refused: dict[str, list[str]]) -> None:
    from ..errors import ExitCode, Reported

    code = max([a.exit_code for a in done] or [0])
    for u in unopened:
        say(f"{u['client']}/{u['account']} ({u['provider']}): not read: {u['error']}", style="red")
        code = max(code, int(ExitCode.PARTIAL_FAILURE))
    for name, problems in refused.items():
        say(f"{name}: not read: its files have {len(problems)} problem(s) (`hub validate -c {name}`)", style="red")
        code = max(code, int(ExitCode.INVALID))
    failed = [f"{a.client}/{a.account}" for a in done if a.failures] + [f"{u['client']}/{u['account']}"
                                                                          for u in unopened]
    total = len(done) + len(unopened)
    summary = _summary(done, unopened)
    say(f"{summary['read']} sent item(s) read, {summary['results']} result(s) stored, {summary['settled']} settled"
        f" across {total} account(s)" + (f"; {len(failed)} could not be read ({', '.join(failed)}), the others were"
                                          " stored" if failed else ""))
    if code:
        raise Reported(ExitCode(code))
