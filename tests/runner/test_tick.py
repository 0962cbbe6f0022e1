"""One tick of the runner, with an executor the test holds: what the tick claims while its batches are in flight."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from hub.clock import FakeClock
from hub.model import Automation
from hub.runner import engine
from hub.runner.engine import Runner, TickReport
from hub.runner.resource import KIND
from hub.state import StateStore
from hub.state.journeys import Journey, Journeys
from hub.testing import make_client

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


class HeldExecutor:
    """Takes the batches the runner sets going and holds their outcomes until the test lets them go."""

    def __init__(self) -> None:
        self.submitted: list[list[str]] = []
        self.changed = threading.Condition()
        self.release = threading.Event()

    def submit(self, runner: Runner, batches: Sequence[tuple[str, int]]) -> Callable[[], list[dict[str, int]]]:
        with self.changed:
            self.submitted.append([b for b, _ in batches])
            self.changed.notify_all()

        def outcomes() -> list[dict[str, int]]:
            assert self.release.wait(timeout=30), "the test never let the batches go"
            return [{"sent": 1} for _ in batches]

        return outcomes

    def wait_for(self, submits: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.submitted) >= submits, timeout=10), self.submitted


def test_a_tick_takes_on_what_comes_due_while_its_batches_are_in_flight(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A vendor goes on to its next batch without waiting for the next tick: the email due ten minutes into a tick
    whose first batch is still with the vendor is claimed and set going by that same tick."""
    monkeypatch.setattr(engine, "RECLAIM_S", 0.01)
    clock = FakeClock(utc=T0)
    state = StateStore(tmp_path / "state.db", clock)
    automation = Automation.model_validate({
        "id": "welcome", "name": "Welcome", "trigger": {"event": "joined"},
        "steps": [{"id": "hello", "send_email": {
            "subject": "Hello", "from": {"name": "Shop", "email": "hi@shop.example"},
            "body_html": "Hi <a href='{{ unsubscribe_url }}'>unsubscribe</a>"}}]})
    client = make_client("mailerlite", name="shop", timezone="UTC").model_copy(update={"automations": [automation]})
    state.record("test", "shop", "email", "mailerlite", KIND, "welcome", "Welcome", "armed", "runner/welcome",
                 {"definition": automation.model_dump(mode="json", by_alias=True, exclude_none=True),
                  "order": ["hello"], "email_account": "email"})
    Journeys(state).enrol("shop", "welcome", [
        Journey("", "", "now@x.example", "1", "hello", "waiting", "2026-05-04T09:00:00Z"),
        Journey("", "", "later@x.example", "1", "hello", "waiting", "2026-05-04T09:10:00Z")])
    session = SimpleNamespace(root=tmp_path, options=SimpleNamespace(sandbox=False), state=state, clock=clock,
                              accounts=[], client_names=["shop"], workspace=SimpleNamespace(clients={"shop": client}))
    executor = HeldExecutor()
    runner = Runner(session, executor)  # type: ignore[arg-type]
    reports: list[TickReport] = []
    ticking = threading.Thread(target=lambda: reports.append(runner.tick()))
    ticking.start()
    try:
        executor.wait_for(1)
        assert len(executor.submitted[0]) == 1
        clock.advance(600)  # the second email comes due while the first is with the vendor
        executor.wait_for(2)
    finally:
        executor.release.set()
        ticking.join(timeout=30)
    assert reports and reports[0].batches == 2 and reports[0].outcomes["sent"] == 2
    assert reports[0].next_due is None
    state.close()
