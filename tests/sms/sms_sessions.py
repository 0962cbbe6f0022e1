"""Plans and applies of an SMS client, each in a new session against one simulator and one state, as
successive CLI commands run them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.clock import FakeClock
from hub.model import Client
from hub.plugins import make_plugins
from hub.sync.apply import ApplyReport
from hub.sync.plan import Change, Plan
from hub.testing import Harness
from hub_sms.simulator import TwilioSimulator


class SmsSessions:
    def __init__(self, client: Client, tmp_path: Path, clock: FakeClock) -> None:
        self.cls = make_plugins().registry.get("sms")
        self.client, self.dir, self.clock = client, tmp_path, clock
        self.first = Harness(self.cls, client, tmp_path, clock)
        self.simulator: TwilioSimulator = self.first.simulator  # type: ignore[assignment]
        self.state = self.first.state

    def session(self) -> Harness:
        return Harness(self.cls, self.client, self.dir, self.clock, simulator=self.simulator)

    def plan(self) -> Plan:
        s = self.session()
        try:
            return s.plan()
        finally:
            s.close()

    def apply(self, plan: Plan | None = None) -> ApplyReport:
        s = self.session()
        try:
            return s.apply(plan)
        finally:
            s.close()

    def change(self, plan: Plan | None = None, cid: str | None = None) -> Change:
        """The SMS campaign's change (the one named `cid`, when several), in `plan` or a new one."""
        return next(c for c in (plan or self.plan()).changes
                    if c.kind == "sms_campaign" and (cid is None or c.id == cid))

    def texts(self, *, status: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.simulator.messages() if status is None or m["status"] == status]

    def close(self) -> None:
        self.first.close()
