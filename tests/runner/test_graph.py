"""Where a journey goes next: waits rest, conditions on the contact's own data are decided on the way, an
activity condition rests (it needs the vendor's report), and an edit never strands anyone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.model import Automation
from hub.model.automation import Condition
from hub.runner.graph import Graph, relocate

AT = datetime(2026, 5, 4, 9, tzinfo=UTC)


def _graph(steps: list[dict[str, object]]) -> Graph:
    return Graph(Automation.model_validate({"id": "a", "name": "A", "trigger": {"event": "go"}, "steps": steps}))


EMAIL = {"subject": "Hi", "body_html": "x {{ unsubscribe_url }}"}


def test_a_journey_rests_at_sends_and_waits_and_passes_the_rest() -> None:
    g = _graph([{"id": "vip", "condition": {"tag": "vip"}, "yes": "gift", "no": "hello"},
                {"id": "hello", "send_email": EMAIL},
                {"id": "pause", "wait": {"days": 2}},
                {"id": "gift", "send_sms": {"body": "A gift"}},
                {"id": "end", "exit": True}])
    has_vip = {"vip"}

    def check(c: Condition) -> bool:
        return c.tag in has_vip

    start = g.start(AT, "UTC", check)
    assert (start.step, start.due_at, start.path) == ("gift", AT, ("vip",))  # decided on the way
    has_vip.clear()
    assert g.start(AT, "UTC", check).step == "hello"
    waiting = g.after("hello", AT, "UTC", check)
    assert (waiting.step, waiting.due_at) == ("pause", AT + timedelta(days=2))  # rests at the wait, until it ends
    assert g.after("pause", waiting.due_at, "UTC", check).step == "gift"
    done = g.after("gift", AT, "UTC", check)
    assert (done.step, done.exited, done.path) == (None, True, ("end",))


def test_an_opened_condition_rests_until_the_runner_reads_the_report_then_branches() -> None:
    g = _graph([{"id": "guide", "send_email": EMAIL}, {"id": "opened", "condition": {"opened": "guide"},
                                                       "yes": "done", "no": "again"},
                {"id": "again", "send_email": EMAIL}, {"id": "done", "exit": True}])
    assert g.after("guide", AT, "UTC", lambda c: False).step == "opened"
    assert g.after("opened", AT, "UTC", lambda c: False, branch=False).step == "again"
    assert g.after("opened", AT, "UTC", lambda c: False, branch=True).exited


def test_a_removed_step_moves_its_journeys_to_the_next_step_that_still_exists() -> None:
    before = ["one", "two", "three", "four"]
    after = _graph([{"id": "one", "send_email": EMAIL}, {"id": "four", "send_sms": {"body": "x"}}])
    assert relocate("one", before, after) == "one"  # kept by id
    assert relocate("two", before, after) == "four"
    assert relocate("three", before, after) == "four"
    assert relocate("four", before, _graph([{"id": "one", "send_email": EMAIL}])) is None  # nothing after it: ends
