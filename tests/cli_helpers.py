"""Running hub's command line in tests: in-process (fast) or as a real subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.cli import main
from hub.plugins import default_plugins


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def hub(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run `hub ARGS` in this process through the real entry point (exit codes included)."""
    default_plugins.cache_clear()
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def hub_process(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                timeout: float = 120) -> Result:
    proc = subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (a vendor that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


@contextmanager
def simulator(root: Path, cls: type[Any], client: str, account: str) -> Iterator[Any]:
    """The sandbox's simulator of `client/account`, as the last command left it (changes made here are kept)."""
    from hub.sync.engine import sandbox_clock

    sim = cls(sandbox_clock(root), state_file=root / ".hub" / "sandbox" / client / f"{account}.json")
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
