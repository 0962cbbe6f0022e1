"""Human renderings of plans and apply results (tables on stdout).

Every row says everything it stands for: a grouped row lists each distinct reason, an account that could
not be read is named where its client's changes would be (never "no changes"), and the summary counts
exactly the rows the table shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..sync.plan import AccountPlan, Change, Plan
from ._output import data_console, say
from ._table import Column, fit, make_table

ACTION_STYLE = {"create": "green", "update": "yellow", "delete": "red", "manual": "magenta",
                "unsupported": "dim red", "noop": "dim"}
RESULT_STYLE = {"ok": "green", "failed": "red", "unknown": "bold red", "skipped": "dim"}
GROUP_OVER = 5  # more items than this of one kind and action are shown as one line
SheetPaths = dict[tuple[str, str, str, str], Path]  # (client, account, kind, id) -> build sheet file


def _columns(results: bool) -> list[Column]:
    # at 80 columns the fidelity moves into the reason first, then each account gets a table of its own
    return [Column("account", drop=1), Column("kind"), Column("id", wrap=True, readable=22), Column("action"),
            Column("fidelity", drop=2), Column("result" if results else "reason", wrap=True, readable=36)]


def render_plan(plan: Plan, *, results: bool = False, show_noop: bool = False,
                sheets: SheetPaths | None = None) -> None:
    console = data_console()
    by_client: dict[str, list[Change]] = defaultdict(list)
    for c in plan.changes:
        by_client[c.client].append(c)
    accounts: dict[str, list[AccountPlan]] = defaultdict(list)
    for acc in plan.accounts:
        accounts[acc.client].append(acc)
    for client in [*plan.clients, *(c for c in accounts if c not in plan.clients)]:
        shown = _shown(by_client.get(client, []), show_noop=show_noop)
        failed = [a for a in accounts.get(client, []) if a.error]
        if shown:
            _print_tables(console, client, shown, results=results)
        else:
            readable = [a.account for a in accounts.get(client, []) if not a.error]
            if readable or not failed:
                where = f" in {', '.join(readable)}" if failed else ""
                console.print(f"client {client}: no changes{where}")
        for acc in failed:
            console.print(f"[red]{escape(account_problem(acc))}[/]")
        if not results:
            _print_sheets(console, shown, sheets)
    if results:
        _apply_summary(console, plan, show_noop=show_noop)
    else:
        s = plan.summary()
        console.print("Plan: " + ", ".join(f"{s[a]} {a}" for a in ("create", "update", "delete", "manual",
                                                                   "unsupported", "noop"))
                      + (f"; {s['drift']} drifted" if s["drift"] else ""))
    _failed_accounts_summary(plan.accounts, applied=results)


def _shown(changes: list[Change], *, show_noop: bool) -> list[Change]:
    return [c for c in changes if c.action != "noop" or show_noop]


def _print_tables(console: Console, client: str, changes: list[Change], *, results: bool) -> None:
    width = console.width
    columns = _columns(results)
    rows = _rows(changes)
    kept = fit(columns, [r for _, r in rows], width)
    if "fidelity" not in {c.name for c in kept}:
        for _, row in rows:
            notable = [f for f in row.pop("fidelity").split(", ") if f not in ("exact", "manual")]
            if notable:
                last = columns[-1].name
                row[last] = f"[dim]({', '.join(notable)})[/] {row[last]}".rstrip()
    if "account" in {c.name for c in kept}:
        console.print(make_table(f"client {client}", kept, [r for _, r in rows], width))
        return
    for account in dict.fromkeys(a for a, _ in rows):
        mine = [r for a, r in rows if a == account]
        console.print(make_table(f"client {client} · {account}", kept, mine, width))


def _rows(changes: list[Change]) -> list[tuple[str, dict[str, str]]]:
    groups: dict[tuple[str, str, str, str], list[Change]] = defaultdict(list)
    for c in changes:
        groups[(c.account, c.kind, c.action, c.result)].append(c)
    rows = []
    for (account, kind, action, _result), items in groups.items():
        style = ACTION_STYLE.get(action, "")
        row = {"account": account, "kind": kind, "action": f"[{style}]{action}[/]"}
        total = sum(c.count for c in items)  # (unchanged contacts may be folded into one count)
        if total > GROUP_OVER:
            row |= {"id": f"{total} items", "fidelity": ", ".join(dict.fromkeys(c.fidelity for c in items)),
                    "result": _outcome(items), "reason": _reasons(items)}
        else:
            rows += [(account, row | _one(c)) for c in items]
            continue
        rows.append((account, row))
    return rows


def _one(c: Change) -> dict[str, str]:
    warnings = "".join(f"\n[yellow]warning:[/] {escape(w)}" for w in c.details.get("warnings") or [])
    result = f"[{RESULT_STYLE.get(c.result, '')}]{c.result}[/]" + (f": {escape(c.error)}" if c.error else "")
    reason = ("[bold]drift:[/] " if c.drift else "") + escape(c.reason) + warnings
    shown = f"{c.count} items" if c.count > 1 else c.id  # (a saved plan's unchanged contacts, as a count)
    return {"id": escape(shown), "fidelity": c.fidelity, "result": result, "reason": reason}


def _outcome(items: list[Change]) -> str:
    counts = Counter(c.result for c in items)
    lines = [", ".join(f"[{RESULT_STYLE.get(r, '')}]{n} {r}[/]" for r, n in counts.items())]
    errors = Counter(c.error for c in items if c.error)
    lines += [f"{_share(n, len(items))}{escape(e)}" for e, n in errors.items()]
    return "\n".join(lines)


def _reasons(items: list[Change]) -> str:
    """Every distinct reason, drift and warning of a group, each once, with how many items it concerns."""
    total = sum(c.count for c in items)
    lines = []
    drifted = sum(1 for c in items if c.drift)
    if drifted:
        lines.append(f"[bold]drift:[/] {drifted} of {total} changed in the vendor since the last apply")
    for reason, n in Counter(c.reason for c in items if c.reason).items():
        lines.append(_share(n, total) + escape(reason))
    warnings = Counter(w for c in items for w in c.details.get("warnings") or [])
    for warning, n in warnings.items():
        lines.append(f"[yellow]warning:[/] {_share(n, total)}{escape(warning)}")
    return "\n".join(lines)


def _share(n: int, total: int) -> str:
    return "" if n == total else f"{n} of {total}: "


def _print_sheets(console: Console, changes: Iterable[Change], sheets: SheetPaths | None) -> None:
    from ..sheets import has_sheet

    for c in changes:
        if not has_sheet(c):
            continue
        path = (sheets or {}).get((c.client, c.account, c.kind, c.id))
        if path is not None:
            console.print(f"[bold magenta]Build sheet[/] for {c.kind} '{escape(c.id)}' ({c.account}): {path}")
        else:
            console.print(f"\n[bold magenta]Build sheet[/] for {c.kind} '{escape(c.id)}' ({c.account}):")
            console.print(c.details["build_sheet"], markup=False)


def account_problem(acc: AccountPlan) -> str:
    if acc.account == "*":  # a client refused by validation: none of its accounts was looked at
        return f"client {acc.client}: {acc.error}"
    return f"{acc.client}/{acc.account} ({acc.provider}) could not be planned: {acc.error}"


def _apply_summary(console: Console, plan: Plan, *, show_noop: bool) -> None:
    shown = _shown(plan.changes, show_noop=show_noop)
    outcome = Counter(c.result for c in shown)
    order = ["ok", "failed", "skipped"] + (["unknown"] if outcome.get("unknown") else [])
    line = "Applied: " + ", ".join(f"{outcome.get(r, 0)} {r}" for r in order)
    by_hand = sum(1 for c in shown if c.result == "skipped" and c.action == "manual")
    if by_hand:
        line += f" ({by_hand} of the skipped are yours to build by hand: see their build sheets)"
    console.print(line)


def _failed_accounts_summary(accounts: list[AccountPlan], *, applied: bool) -> None:
    failed = [a for a in accounts if a.error]
    if not failed:
        return
    names = ", ".join(a.client if a.account == "*" else f"{a.client}/{a.account}" for a in failed)
    if len(failed) == len(accounts):
        outcome = "nothing was applied" if applied else "nothing was planned"
    else:
        outcome = "the others were applied" if applied else "the others were planned"
    say(f"{len(failed)} of {len(accounts)} could not be planned ({names}); {outcome}.", style="red")
    missing = list(dict.fromkeys(ref for a in failed for ref in a.missing))
    if missing:
        say(f"Missing credentials: {_how_to_set(missing)}. Or try everything against the simulators: --sandbox.",
            style="red")


def _how_to_set(references: list[str]) -> str:
    env = [r.partition(":")[2] for r in references if r.startswith("env:")]
    keyring = [r.partition(":")[2] for r in references if r.startswith("keyring:")]
    other = [r for r in references if not r.startswith(("env:", "keyring:"))]
    parts = [f"set {', '.join(env)} in the environment"] if env else []
    parts += [f"`hub secrets set {' '.join(k.split('/'))}`" for k in keyring]
    parts += [f"{r} (resolved by a plugin)" for r in other]
    return "; ".join(parts)


STATUS_COLUMNS = [Column("client"), Column("account"), Column("provider", drop=2), Column("last apply", drop=1),
                  Column("pending"), Column("drift"), Column("unsettled"), Column("unknown", drop=3)]
STATUS_LEGEND = (
    ("last apply", "when hub last applied changes to the account (UTC)"),
    ("pending", "changes `hub plan` would make, items to build by hand included"),
    ("drift", "items changed in the vendor (e.g. its UI) since hub applied them"),
    ("unsettled", "writes the vendor has not confirmed yet; hub asks again at the next apply"),
    ("unknown", "writes whose answers were lost and that the vendor cannot confirm: settle each with"
                " `hub resolve` (hub never repeats them blindly)"),
    ("?", "the account could not be read (why: below)"),
)


def render_status(rows: list[dict[str, Any]], runner: Sequence[dict[str, Any]] = ()) -> None:
    console = data_console()
    cells = [{"client": r["client"], "account": r["account"], "provider": r["provider"],
              "last apply": _when(r["last_apply"]) or "never", "pending": _count(r["pending"]),
              "drift": _count(r["drift"]), "unsettled": _count(r["unsettled"]),
              "unknown": f"[bold red]{r['unknown']}[/]" if r["unknown"] else "0"} for r in rows]
    width = console.width
    kept = fit(STATUS_COLUMNS, cells, width)
    console.print(make_table("status", kept, cells, width))
    shown = {c.name for c in kept} | ({"?"} if any(r["pending"] is None for r in rows) else set())
    for name, meaning in STATUS_LEGEND:
        if name in shown:
            console.print(f"[dim]{name}: {meaning}[/]")
    for r in rows:
        who = r["client"] if r["account"] == "*" else f"{r['client']}/{r['account']}"
        if r["error"]:
            console.print(f"[red]{who}: could not be read: {escape(r['error'])}[/]")
        for w in r["waiting"]:
            n = w["count"]
            ids = ", ".join(w["ids"][:3]) + (f" and {n - 3} more" if n > 3 else "")
            console.print(f"{who}: {w['kind']} {escape(ids)} wait{'s' if n == 1 else ''} for {w['waits_for']} since"
                          f" {_when(w['since'])} UTC: {escape(w['why'])}; hub looks again {escape(w['next_check'])}")
    for r in runner:
        console.print(runner_line(r))


def runner_line(r: dict[str, Any]) -> str:
    """e.g. 'bakery: runner: 2 automation(s) armed, 14 journey(s) in flight, 0 failed, lag 0 s'."""
    line = (f"{r['client']}: runner: {len(r['armed'])} automation(s) armed, {r['in_flight']} journey(s) in flight,"
            f" {r['failed']} failed")
    if r["lag_s"] > LAG_WARNING_S:
        return f"[yellow]{line}; lag {_duration(r['lag_s'])}: steps are overdue (is `hub run` running?)[/]"
    next_due = f", next due {_when(r['next_due'])} UTC" if r["next_due"] else ""
    return f"{line}, lag {_duration(r['lag_s'])}{next_due}"


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


LAG_WARNING_S = 300  # a worker looks each minute: more than this overdue means none is running


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _when(stamp: str | None) -> str:
    """'2026-11-28T08:40:12Z' as '2026-11-28 08:40' (UTC): short enough for a narrow terminal."""
    return f"{stamp[:10]} {stamp[11:16]}" if stamp and len(stamp) >= 16 else (stamp or "")
