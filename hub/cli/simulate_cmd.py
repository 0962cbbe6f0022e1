"""hub simulate, hub demo."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

import click

from ._output import emit_json, say


@click.command(short_help="Run the vendor simulators on 127.0.0.1.")
@click.option("--provider", "-p", "names", multiple=True, help="Only this provider (repeatable).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, metavar="PORT",
              help="The first simulator listens on PORT, the next on PORT+1, ... (default: free ports).")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="Run vendor time this many times faster (rate-limit windows shrink accordingly).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep simulated accounts here between runs.")
def simulate(names: tuple[str, ...], port: int, time_scale: float, state_dir: Path | None) -> None:
    """Run vendor simulators on 127.0.0.1 and print their base URLs as JSON; Ctrl-C or SIGTERM stops them
    (with --state-dir, saving the simulated accounts either way)."""
    from ..clock import ScaledClock
    from ..plugins import default_plugins

    registry = default_plugins().registry
    clock = ScaledClock(time_scale)
    chosen = [registry.get(n) for n in names] if names else [p for p in registry if p.simulator]
    if port and port + len(chosen) - 1 > 65535:
        raise click.BadParameter(f"{len(chosen)} simulators need ports {port} to {port + len(chosen) - 1}; the"
                                 " highest port is 65535", param_hint="--port")
    sims, docs = [], []
    # a service manager's stop (SIGTERM) saves state too; handlers can only be set from the main thread
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main else None
    try:
        for i, provider_cls in enumerate(chosen):
            state_file = (state_dir / f"{provider_cls.name}.json") if state_dir else None
            sim = provider_cls.create_simulator(clock, state_file=state_file, port=port + i if port else 0)
            try:
                url = sim.start()
            except OSError as exc:
                raise click.BadParameter(f"the {provider_cls.name} simulator cannot listen on 127.0.0.1:{port + i}"
                                         f" ({exc.strerror or exc}); choose another --port, or leave it out to"
                                         " use free ports", param_hint="--port") from None
            sims.append(sim)
            docs.append({"provider": provider_cls.name, "base_url": url, "control_url": _root(url) + "/_sim",
                         "settings": provider_cls.sandbox_settings(url)})
        # one line, so that a script can read it and go on while the simulators run
        sys.stdout.write(json.dumps({"simulators": docs}) + "\n")
        sys.stdout.flush()
        say(f"{len(sims)} simulator(s) running; Ctrl-C (or SIGTERM) stops them.")
        while True:  # a sleep ends on Ctrl-C on every platform (an endless Event.wait blocks it on Windows)
            time.sleep(3600)
    except (KeyboardInterrupt, _Terminated):
        pass
    finally:
        if main:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the saving short
        try:
            for sim in sims:
                sim.stop()  # persists each simulated account when --state-dir is given
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
    if state_dir and sims:
        say(f"Stopped; simulated accounts saved in {state_dir}.")


class _Terminated(Exception):
    """SIGTERM: end the wait like Ctrl-C does, so that the simulators stop and save their state."""


def _terminate(signum: int, frame: object) -> None:
    # raised rather than setting an event: an Event's lock taken inside a signal handler can deadlock the
    # main thread that holds it while waiting
    raise _Terminated


def _root(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@click.command(short_help="The example agency end to end, against the simulators.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the demo's results as JSON.")
def demo(directory: Path | None, as_json: bool) -> None:
    """Run the bundled example agency end to end against the simulators."""
    from ..demo import run_demo

    result = run_demo(directory, echo=(lambda s: None) if as_json else say)
    if as_json:
        emit_json(result)
