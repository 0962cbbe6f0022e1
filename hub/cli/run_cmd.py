"""hub run, hub journeys, hub event: hub's automation runner and what it is doing."""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import clients_option, json_option, resolve_root, sandbox_option, workspace_option
from ._output import data_console, emit_json, say
from .completion_cmd import complete_client
from .sync_cmd import open_session

if TYPE_CHECKING:
    from ..runner.engine import Runner, TickReport
    from ..state.journeys import Journeys

DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
IDLE_S = 60.0  # a foreground worker looks for due journeys at least once a minute


def parse_duration(text: str) -> float:
    m = DURATION.match(text.strip())
    if not m:
        raise click.BadParameter(f"'{text}' is not a duration; write e.g. 30m, 12h, 3d or 2w", param_hint="--advance")
    return int(m.group(1)) * UNITS[m.group(2)]


@click.command(short_help="hub's automation runner: carry out due steps, exactly once.")
@clients_option
@click.option("--once", is_flag=True, help="One tick (for cron, systemd timers and CI), then exit.")
@click.option("--advance", metavar="DURATION",
              help="With --sandbox: move the sandbox's clock ahead (e.g. 3d) and run every step due meanwhile.")
@click.option("--durable/--inline", default=True, show_default=True,
              help="Carry batches out as DBOS workflows (recovered after a crash), or in this process only.")
@sandbox_option
@json_option
@workspace_option
def run(clients: tuple[str, ...], once: bool, advance: str | None, durable: bool, sandbox: bool, as_json: bool,
        workspace: Path | None) -> None:
    """Carry out the automations `hub apply` armed for the runner: start journeys as triggers fire, and carry
    out every step when it is due (emails through the client's email vendor, texts through its SMS account,
    tags, webhooks), each exactly once, surviving crashes.

    Without --once it runs in the foreground until Ctrl-C (what is in flight finishes; the rest waits for the
    next start). Several workers may share a PostgreSQL state (hub.yaml `database:`).

    \b
    hub run                               a worker (systemd service, or a terminal)
    hub run --once                        one tick, e.g. from cron every minute
    hub run --sandbox --advance 3d        the sandbox, three simulated days later
    """
    if advance and not sandbox:
        raise click.UsageError("--advance moves the sandbox's clock: use it with --sandbox")
    seconds = parse_duration(advance) if advance else None
    reports: list[dict[str, Any]] = []
    with open_session(workspace, sandbox, clients) as session, _runner(session, durable) as runner:
        for name, armed in sorted(runner.armed.items()):
            if armed.unapplied:
                say(f"{name[0]}/{name[1]}: the workspace holds changes not applied yet; the runner follows the"
                    " applied version until `hub apply`", style="yellow")
        if not runner.armed:
            say("no automation is armed for the runner (plan and apply one that has SMS steps, a webhook, or"
                " `run_by: hub`)", style="yellow")
        for report in _ticks(runner, session.clock, once=once, seconds=seconds):
            reports.append(_report_json(report))
            say(_report_line(report))
    if as_json:
        emit_json({"ticks": reports, "summary": _totals(reports)})


@contextmanager
def _runner(session: Any, durable: bool) -> Iterator[Runner]:
    from ..runner.engine import Runner

    if not durable:
        yield Runner(session)
        return
    from ..runner.durable import DurableExecutor  # imports DBOS: only here

    with DurableExecutor(session) as executor:
        yield Runner(session, executor)


def _ticks(runner: Runner, clock: Any, *, once: bool, seconds: float | None) -> Iterator[TickReport]:
    from datetime import datetime

    from ..runner.engine import advance

    if seconds is not None:
        yield from advance(runner, clock, seconds)
        return
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.is_set():
            report = runner.tick()
            yield report
            if once:
                return
            wait = IDLE_S
            if report.next_due:
                due = datetime.fromisoformat(report.next_due.replace("Z", "+00:00"))
                wait = min(IDLE_S, max(0.0, (due - clock.utcnow()).total_seconds()))
            stop.wait(wait)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _report_json(r: TickReport) -> dict[str, Any]:
    return {"at": r.at, "started": r.started, "batches": r.batches, "outcomes": dict(r.outcomes),
            "next_due": r.next_due}


def _report_line(r: TickReport) -> str:
    done = ", ".join(f"{n} {k}" for k, n in sorted(r.outcomes.items())) or "nothing due"
    return f"{r.at}: {r.started} journey(s) started, {r.batches} batch(es): {done}" + \
        (f"; next due {r.next_due}" if r.next_due else "")


def _totals(reports: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, int] = {"started": 0, "batches": 0}
    for r in reports:
        out["started"] += r["started"]
        out["batches"] += r["batches"]
        for k, n in r["outcomes"].items():
            out[k] = out.get(k, 0) + n
    return out


# -- hub journeys -----------------------------------------------------------------------------------------
@click.group(invoke_without_command=True, short_help="Contacts at each step of the runner's automations.")
@clients_option
@click.option("--automation", "-a", metavar="ID", help="Only this automation.")
@sandbox_option
@json_option
@workspace_option
@click.pass_context
def journeys(ctx: click.Context, clients: tuple[str, ...], automation: str | None, sandbox: bool, as_json: bool,
             workspace: Path | None) -> None:
    """How many contacts are at each step of each automation hub's runner carries out, when the next is due,
    and which failed (`hub journeys show CONTACT` for one contact's history).

    \b
    hub journeys -c bakery
    hub journeys --sandbox --json
    """
    ctx.ensure_object(dict)
    ctx.obj.update(workspace=workspace, sandbox=sandbox, as_json=as_json)
    if ctx.invoked_subcommand is not None:
        return
    with _journeys(workspace, sandbox) as store:
        rows = store.summary(None, automation)
    rows = [r for r in rows if not clients or r["client"] in clients]
    if as_json:
        emit_json({"journeys": rows})
        return
    from ._table import Column, fit, make_table

    console = data_console()
    cells = [{"client": r["client"], "automation": r["automation"], "step": r["step"] or "-", "status": r["status"],
              "contacts": str(r["n"]), "next due": r["next_due"] if r["status"] in ("waiting", "claimed") else ""}
             for r in rows]
    columns = [Column("client"), Column("automation"), Column("step"), Column("status"), Column("contacts"),
               Column("next due", drop=1)]
    console.print(make_table("journeys (times in UTC)", fit(columns, cells, console.width), cells, console.width))


@journeys.command(short_help="One contact's journeys and the steps they went through.")
@click.argument("contact")
@click.option("-c", "--client", "client", metavar="CLIENT", shell_complete=complete_client, help="Only this client.")
@click.pass_context
def show(ctx: click.Context, contact: str, client: str | None) -> None:
    """Where CONTACT (an email address or E.164 phone) stands in every automation, and each step it went through."""
    key = contact.strip().lower() if "@" in contact else contact.strip()
    with _journeys(ctx.obj["workspace"], ctx.obj["sandbox"]) as store:
        found = store.of_contact(key, client)
        history = {c: store.log_of(c, key) for c in sorted({j.client for j in found})}
    if not found:
        raise click.ClickException(f"{contact} is in no journey" + (f" of client '{client}'" if client else ""))
    doc: list[dict[str, Any]] = [
        {"client": j.client, "automation": j.automation, "pass": j.pass_, "step": j.step, "status": j.status,
         "due_at": j.due_at, "detail": j.detail,
         "history": [h for h in history[j.client] if h["automation"] == j.automation and h["pass"] == j.pass_]}
        for j in found]
    if ctx.obj["as_json"]:
        emit_json({"contact": key, "journeys": doc})
        return
    console = data_console()
    for j in doc:
        where = f"at {j['step']}, due {j['due_at']}" if j["status"] in ("waiting", "claimed") else j["status"]
        console.print(f"{j['client']}/{j['automation']} (pass {j['pass']}): {where}"
                      + (f" — {j['detail']}" if j["detail"] else ""))
        for h in j["history"]:
            console.print(f"  {h['at']}  {h['step']}: {h['outcome']}")


@contextmanager
def _journeys(workspace: Path | None, sandbox: bool) -> Iterator[Journeys]:
    from ..state import StateStore
    from ..state.journeys import Journeys
    from ..sync.engine import state_location

    store = StateStore(state_location(resolve_root(workspace), sandbox=sandbox))
    try:
        yield Journeys(store)
    finally:
        store.close()


# -- hub event --------------------------------------------------------------------------------------------
@click.command(short_help="Record a custom event that starts automations (trigger `event`).")
@click.argument("client", shell_complete=complete_client)
@click.argument("name")
@click.option("--contact", required=True, metavar="EMAIL", help="Who the event is about (email or E.164 phone).")
@click.option("--data", "data", metavar="JSON", help="Details, as a JSON object, kept with the journey.")
@sandbox_option
@workspace_option
def event(client: str, name: str, contact: str, data: str | None, sandbox: bool, workspace: Path | None) -> None:
    """Record event NAME about CONTACT for CLIENT: automations with `trigger: {event: NAME}` start for them at
    the runner's next tick (`hub run`), once per event.

    \b
    hub event bakery order-placed --contact ada@example.com --data '{"total": 42}'
    """
    import json

    from ..plugins import default_plugins
    from ..sync.engine import validate_workspace

    details: dict[str, Any] = {}
    if data:
        try:
            details = json.loads(data)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
        if not isinstance(details, dict):
            raise click.BadParameter("give a JSON object, e.g. '{\"total\": 42}'", param_hint="--data")
    ws = validate_workspace(resolve_root(workspace), default_plugins())
    if client not in ws.clients:
        known = ", ".join(sorted(ws.clients)) or "none"
        raise click.BadParameter(f"no client '{client}' in this workspace (clients: {known})", param_hint="CLIENT")
    listening = [a.id for a in ws.clients[client].automations if a.trigger.event == name and a.runner_owned]
    key = contact.strip().lower() if "@" in contact else contact.strip()
    with _journeys(workspace, sandbox) as store:
        event_id = store.add_event(client, name, key, details)
    if listening:
        say(f"event {event_id} recorded: starts {', '.join(listening)} for {key} at the runner's next tick")
    else:
        say(f"event {event_id} recorded, but no automation of '{client}' run by hub's runner starts on '{name}'",
            style="yellow")
