"""hub status: per client and account, what is done, what is waiting and for what."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import clients_option, json_option, sandbox_option, workspace_option
from ._output import emit_json

if TYPE_CHECKING:
    from ..state import StateStore
    from ..sync.plan import AccountPlan, Change

NEXT_APPLY = "at the start of the next `hub apply`"
SAMPLE = 10  # ids shown of the items waiting for one thing


@click.command(short_help="Last apply, pending work, drift, what waits and why.")
@workspace_option
@clients_option
@json_option
@sandbox_option
def status(workspace: Path | None, clients: tuple[str, ...], as_json: bool,
           sandbox: bool) -> None:
    """Per client and account: last apply, pending changes, drift, what is still unsettled and why; and per
    client with automations armed for hub's runner, its journeys in flight, failures and the runner's lag.

    Exits non-zero (like `hub plan`) when an account could not be looked at.
    """
    from ._render import render_status
    from .sync_cmd import check_accounts, open_session

    with open_session(workspace, sandbox, clients) as session:
        the_plan = session.plan()
        by_account: dict[tuple[str, str], list[Change]] = {}
        for c in the_plan.changes:
            by_account.setdefault((c.client, c.account), []).append(c)
        rows = [_row(acc, by_account.get((acc.client, acc.account), []), session.state) for acc in the_plan.accounts]
        runner = _runner(session.state, session.client_names, session.clock.utcnow())
    if as_json:
        emit_json({"clients": rows, "runner": runner})
    else:
        render_status(rows, runner)
    check_accounts(the_plan, announce=as_json)


def _row(acc: AccountPlan, changes: list[Change], state: StateStore) -> dict[str, Any]:
    readable = not acc.error
    waiting = _unsettled(state, acc.client, acc.account)
    return {
        "client": acc.client, "account": acc.account, "provider": acc.provider,
        "last_apply": state.last_apply(acc.client, acc.account),
        # None: the account could not be read, so nobody knows (never shown as 0)
        "pending": sum(1 for c in changes if c.writes or c.action == "manual") if readable else None,
        "drift": sum(1 for c in changes if c.drift) if readable else None,
        "unsettled": sum(w["count"] for w in waiting if w["waits_for"] == "the vendor"),
        "held": sum(w["count"] for w in waiting if w["waits_for"] == "its time"),
        "unknown": sum(w["count"] for w in waiting if w["waits_for"] == "you"),
        "waiting": waiting,
        "error": acc.error,
    }


def _runner(state: StateStore, clients: list[str], now: datetime) -> list[dict[str, Any]]:
    """Per client with automations armed for hub's runner: journeys in flight, failed, and the runner's lag
    (how long the oldest step that is due has waited: more than a few minutes means no `hub run` is running)."""
    from ..runner.resource import KIND
    from ..state.journeys import Journeys

    journeys = Journeys(state)
    out = []
    for client in clients:
        armed = [r.neutral_id for r in state.items(client, kind=KIND)]
        if not armed:
            continue
        standing = journeys.standing(client)
        oldest = standing.pop("oldest_due")
        due = oldest is not None and oldest <= now.strftime("%Y-%m-%dT%H:%M:%SZ")
        lag = (now - datetime.fromisoformat(oldest.replace("Z", "+00:00"))).total_seconds() if due else 0.0
        out.append({"client": client, "armed": armed, **standing, "lag_s": round(lag), "next_due": oldest})
    return out


def _unsettled(state: StateStore, client: str, account: str) -> list[dict[str, Any]]:
    """What unsettled items wait for and when hub looks again: one entry per kind and reason, with how many,
    the earliest `since` and a sample of `ids` (a queued import may hold 20,000 contacts)."""
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for w in _waiting(state, client, account):
        key = (w["kind"], w["waits_for"], w["why"], w["next_check"])
        group = groups.setdefault(key, {"kind": w["kind"], "count": 0, "ids": [], "since": w["since"],
                                        "waits_for": w["waits_for"], "why": w["why"], "next_check": w["next_check"]})
        group["count"] += 1
        group["since"] = min(group["since"], w["since"])
        if len(group["ids"]) < SAMPLE:
            group["ids"].append(w["id"])
    return list(groups.values())


def _waiting(state: StateStore, client: str, account: str) -> list[dict[str, str]]:
    out = []
    for j in state.pending():
        if (j.client, j.account) == (client, account):
            out.append({"kind": j.kind, "id": j.neutral_id, "since": j.created_at, "waits_for": "the vendor",
                        "why": f"hub was stopped before the vendor answered its {j.op}",
                        "next_check": NEXT_APPLY})
    for r in state.items_with(("confirm", "held_until", "unknown"), client, account):
        if r.data.get("confirm"):
            out.append({"kind": r.kind, "id": r.neutral_id, "since": r.applied_at, "waits_for": "the vendor",
                        "why": f"accepted by {r.provider}, still being processed there (a queued import)",
                        "next_check": NEXT_APPLY})
        if r.data.get("held_until"):
            out.append({"kind": r.kind, "id": r.neutral_id, "since": r.applied_at, "waits_for": "its time",
                        "why": f"held by hub until {r.data['held_until']} (beyond what {r.provider} can schedule):"
                               " `hub run` sends it then, or the first apply after that time",
                        "next_check": str(r.data["held_until"])})
        if "unknown" in r.data:
            out.append({"kind": r.kind, "id": r.neutral_id, "since": r.applied_at, "waits_for": "you",
                        "why": "its answer was lost and the vendor cannot tell whether it happened",
                        "next_check": f"when you settle it: `hub resolve {client} {r.kind}:{r.neutral_id}`"})
    return out
