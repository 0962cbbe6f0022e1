"""`hub demo`: the bundled example agency, end to end, against the vendor simulators."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .clock import SandboxClock
from .plugins import default_plugins
from .sync.engine import Session, SessionOptions

RUN_FOR_S = 5 * 86400  # the runner's part of the demo: five simulated days


def run_demo(directory: Path | None = None, echo: Callable[[str], None] = print) -> dict[str, Any]:
    from .scaffold import init_workspace
    from .workspace import load_workspace

    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="hub-demo-"))
    plugins = default_plugins()
    if not (root / "hub.yaml").exists():
        init_workspace(root)
        echo(f"1. hub init {root}: example agency scaffolded")
    ws = load_workspace(root, plugins.registry)
    echo(f"2. hub validate: {len(ws.clients)} client(s) valid: {', '.join(sorted(ws.clients))}")
    steps: dict[str, Any] = {"workspace": str(root)}
    with Session(root, plugins, SessionOptions(sandbox=True)) as session:
        first = session.plan()
        steps["plan"] = first.summary()
        echo("3. hub plan --sandbox: " + _summary(first.summary()))
        for c in first.changes:
            if c.action == "manual":
                echo(f"   manual: {c.client}/{c.provider} {c.kind} '{c.id}': {c.reason}")
        applier = session.applier()
        applier.reconcile()
        report = applier.apply(first)
        ok = sum(1 for c in report.changes if c.result == "ok" and c.writes)
        steps["apply"] = {"written": ok, "failed": len(report.failed)}
        echo(f"4. hub apply --sandbox --yes: {ok} vendor write(s), {len(report.failed)} failed")
        for c in report.failed:
            echo(f"   failed: {c.client}/{c.provider} {c.kind} {c.id}: {c.error}")
        for acc in session.accounts:
            held = _vendor_holds(session, acc)
            echo(f"   {acc.client.name}/{acc.name} ({acc.provider.display_name}, simulated) now holds, managed by hub:"
                 f" {held}")
        again = session.plan()
        steps["plan_again"] = again.summary()
        echo("5. hub plan --sandbox (again): " + _summary(again.summary()))
        steps["run"] = _run(session, echo)
    converged = all(again.summary()[a] == 0 for a in ("create", "update", "delete")) and not report.failed
    steps["converged"] = converged
    echo("Converged: a second apply would make no vendor writes." if converged
         else "Not converged: see the plan above.")
    echo(f"Explore it: hub plan -w {root} --sandbox --all; hub status -w {root} --sandbox; hub journeys -w {root}"
         f" --sandbox; what to build by hand, as files: hub sheets -w {root} --sandbox")
    return steps


def _run(session: Session, echo: Callable[[str], None]) -> dict[str, int]:
    """`hub run --sandbox --advance 5d`: hub's runner carries out the automations no vendor can hold."""
    from .runner.durable import DurableExecutor
    from .runner.engine import Runner, advance

    clock = session.clock
    assert isinstance(clock, SandboxClock), "the demo runs in the sandbox"
    done: Counter[str] = Counter()
    with DurableExecutor(session) as executor:
        runner = Runner(session, executor)
        for report in advance(runner, clock, RUN_FOR_S):
            done.update(report.outcomes)
            done["journeys started"] += report.started
    echo("6. hub run --sandbox --advance 5d: " + (", ".join(f"{n} {k}" for k, n in sorted(done.items()) if n)
                                                 or "nothing was due"))
    return dict(done)


def _vendor_holds(session: Session, acc: Any) -> str:
    records = session.state.items(acc.client.name, acc.name)
    counts = Counter(rec.kind for rec in records if not rec.data.get("held_until"))
    held = Counter(rec.kind for rec in records if rec.data.get("held_until"))
    return ", ".join([f"{n} {kind.replace('_', ' ')}(s)" for kind, n in counts.items()]
                     + [f"{n} {kind.replace('_', ' ')}(s) held by hub until due (`hub run` publishes them)"
                        for kind, n in held.items()]) or "nothing yet"


def _summary(s: dict[str, int]) -> str:
    return ", ".join(f"{s[k]} {k}" for k in ("create", "update", "delete", "manual", "unsupported", "noop"))
