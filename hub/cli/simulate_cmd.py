"""hub simulate, hub demo."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import click

from ._output import emit_json, say


@click.command()
@click.option("--provider", "-p", "names", multiple=True, help="Only this provider (repeatable).")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="Run vendor time this many times faster (rate-limit windows shrink accordingly).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep simulated accounts here between runs.")
def simulate(names: tuple[str, ...], time_scale: float, state_dir: Path | None) -> None:
    """Run vendor simulators on 127.0.0.1 and print their base URLs as JSON; Ctrl-C stops them."""
    from ..clock import ScaledClock
    from ..plugins import default_plugins

    registry = default_plugins().registry
    clock = ScaledClock(time_scale)
    chosen = [registry.get(n) for n in names] if names else [p for p in registry if p.simulator]
    sims, docs = [], []
    for provider_cls in chosen:
        state_file = (state_dir / f"{provider_cls.name}.json") if state_dir else None
        sim = provider_cls.create_simulator(clock, state_file=state_file)
        url = sim.start()
        sims.append(sim)
        docs.append({"provider": provider_cls.name, "base_url": url, "control_url": _root(url) + "/_sim",
                     "settings": provider_cls.sandbox_settings(url)})
    # one line, so that a script can read it and go on while the simulators run
    sys.stdout.write(json.dumps({"simulators": docs}) + "\n")
    sys.stdout.flush()
    say(f"{len(sims)} simulator(s) running; Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for sim in sims:
            sim.stop()


def _root(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the demo's results as JSON.")
def demo(directory: Path | None, as_json: bool) -> None:
    """Run the bundled example agency end to end against the simulators."""
    from ..demo import run_demo

    result = run_demo(directory, echo=(lambda s: None) if as_json else say)
    if as_json:
        emit_json(result)
