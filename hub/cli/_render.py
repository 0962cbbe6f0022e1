"""Human renderings of plans and apply results (tables on stdout)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from rich.markup import escape
from rich.table import Table

from ..sync.plan import Change, Plan
from ._output import data_console

ACTION_STYLE = {"create": "green", "update": "yellow", "delete": "red", "manual": "magenta",
                "unsupported": "dim red", "noop": "dim"}
GROUP_OVER = 5  # more items than this of one kind and action are shown as one line


def render_plan(plan: Plan, *, results: bool = False, show_noop: bool = False) -> None:
    console = data_console()
    by_client: dict[str, list[Change]] = defaultdict(list)
    for c in plan.changes:
        by_client[c.client].append(c)
    for client in plan.clients:
        changes = by_client.get(client, [])
        table = Table(title=f"client {client}", title_justify="left", expand=False, show_lines=False)
        for col in ("account", "kind", "id", "action", "fidelity", "reason" if not results else "result"):
            table.add_column(col, overflow="fold")
        for row in _rows(changes, results=results, show_noop=show_noop):
            table.add_row(*row)
        if table.row_count:
            console.print(table)
        else:
            console.print(f"client {client}: no changes")
        for c in changes if not results else []:
            sheet = c.details.get("build_sheet")
            if sheet and c.action == "manual":
                console.print(f"\n[bold magenta]Build sheet[/] for {c.kind} '{c.id}' ({c.provider}):")
                console.print(sheet, markup=False)
    for acc in plan.accounts:
        if acc.error:
            console.print(f"[red]{acc.client}/{acc.account} ({acc.provider}) could not be planned:"
                          f" {_esc(acc.error)}[/]")
    if results:
        outcome = Counter(c.result for c in plan.changes if c.writes or c.adopt)
        shown = ("ok", "failed", "skipped", "unknown") if outcome.get("unknown") else ("ok", "failed", "skipped")
        console.print("Applied: " + ", ".join(f"{outcome.get(r, 0)} {r}" for r in shown))
        return
    s = plan.summary()
    console.print("Plan: " + ", ".join(f"{s[a]} {a}" for a in ("create", "update", "delete", "manual",
                                                               "unsupported", "noop"))
                  + (f"; {s['drift']} drifted" if s["drift"] else ""))


def _rows(changes: list[Change], *, results: bool, show_noop: bool) -> list[tuple[str, ...]]:
    groups: dict[tuple[str, str, str, str], list[Change]] = defaultdict(list)
    for c in changes:
        if c.action == "noop" and not show_noop and not results:
            continue
        groups[(c.account, c.kind, c.action, c.result)].append(c)
    rows = []
    for (account, kind, action, _result), items in groups.items():
        style = ACTION_STYLE.get(action, "")
        if len(items) > GROUP_OVER:
            outcome = _outcome(items) if results else _common_reason(items)
            rows.append((account, kind, f"{len(items)} items", f"[{style}]{action}[/]", items[0].fidelity, outcome))
            continue
        for c in items:
            warnings = "".join(f"\n[yellow]warning:[/] {_esc(w)}" for w in c.details.get("warnings") or [])
            last = (f"{c.result}{': ' + _esc(c.error) if c.error else ''}" if results
                    else ("[bold]drift:[/] " if c.drift else "") + _esc(c.reason) + warnings)
            rows.append((account, kind, c.id, f"[{style}]{action}[/]", c.fidelity, last))
    return rows


def _outcome(items: list[Change]) -> str:
    counts = Counter(c.result for c in items)
    return ", ".join(f"{n} {r}" for r, n in counts.items())


def _common_reason(items: list[Change]) -> str:
    reasons = Counter(c.reason for c in items)
    reason = reasons.most_common(1)[0][0]
    return _esc(reason) + (f" (and {len(reasons) - 1} other reasons)" if len(reasons) > 1 else "")


def _esc(text: str) -> str:
    return escape(text)


def render_status(rows: list[dict[str, Any]]) -> None:
    table = Table(title="status", title_justify="left")
    for col in ("client", "account", "provider", "last apply", "pending", "drift", "unsettled", "unknown", "note"):
        table.add_column(col)
    for r in rows:
        unknown = f"[bold red]{r['unknown']}[/]" if r["unknown"] else "0"
        table.add_row(r["client"], r["account"], r["provider"], r["last_apply"] or "never", str(r["pending"]),
                      str(r["drift"]), str(r["unsettled"]), unknown, _esc(r.get("error") or ""))
    console = data_console()
    console.print(table)
    if any(r["unknown"] for r in rows):
        console.print("[bold red]unknown[/]: writes whose answers were lost and that the vendor cannot confirm; hub"
                      " never repeats them blindly. `hub resolve` lists them and settles each.")
