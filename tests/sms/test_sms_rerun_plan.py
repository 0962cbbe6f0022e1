"""After an interrupted send, the next plan counts and prices only the recipients still to text, says how many
already got theirs, and is honest about texts whose outcome the interrupted apply never heard."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sms_sessions import SmsSessions

from hub.clock import FakeClock
from hub.errors import Interrupted
from hub.model import Client, Contact
from hub.testing import make_client

NOON = datetime(2026, 3, 2, 12, 0)  # UTC (and London)
# 158 characters around the name: a 2-letter name keeps the text in one segment (160), a 12-letter one takes two
BODY = ("Hi {{ first_name }}, the spring menu is here: wild garlic soup, asparagus tart, rhubarb fool and more. "
        "Book a table this week at the Deli on Mill Lane. Reply STOP to opt out.")
PHONES = [f"+4477009001{i:02d}" for i in range(10)]
SEGMENTS = [1 if i % 2 == 0 else 2 for i in range(10)]  # even: "Jo" (1 segment), odd: "Maximilianus" (2)


def contacts() -> list[dict[str, Any]]:
    texted = [{"phone": phone, "first_name": "Jo" if i % 2 == 0 else "Maximilianus", "lists": ["club"],
               "consent": {"sms": "subscribed"}} for i, phone in enumerate(PHONES)]
    left_out = [{"email": "nophone@example.com", "first_name": "Nell", "lists": ["club"],
                 "consent": {"sms": "subscribed"}},
                {"phone": "+447700900299", "first_name": "Cy", "lists": ["club"], "consent": {"sms": "unsubscribed"}}]
    return texted + left_out


def club(schedule: str = "now", members: list[dict[str, Any]] | None = None) -> Client:
    return make_client("sms", audience={"lists": [{"id": "club", "name": "Text club"}],
                                        "contacts": contacts() if members is None else members},
                       campaigns=[{"id": "spring", "name": "Spring", "audience": {"list": "club"},
                                   "schedule": schedule, "sms": {"body": BODY, "max_segments": 2}}])


class Hub(SmsSessions):
    """The sessions, and an apply that stops part-way."""

    def interrupted_apply(self, after: int, result: str = "failed") -> str:
        """An apply stopped (Ctrl-C) once it sent `after` texts; one text at a time, so that exactly those
        went out. Returns the campaign's error."""
        before = len(self.simulator.messages())
        s = self.session()
        api: Any = s.provider.api
        api.limits = dataclasses.replace(api.limits, max_concurrency=1)
        create, made = api.create_message, []

        def counted(*args: Any, **kwargs: Any) -> tuple[str, str]:
            out = create(*args, **kwargs)
            made.append(out)
            if len(made) == after:
                s.stop.set()
            return out

        api.create_message = counted
        try:
            plan = s.plan()
            with pytest.raises(Interrupted):
                s.apply(plan)
        finally:
            s.close()
        assert len(self.simulator.messages()) == before + after
        change = self.change(plan)
        assert change.result == result
        return change.error

    def texts(self) -> Counter[str]:
        return Counter(m["to"] for m in self.simulator.messages() if m["status"] != "canceled")

    def close(self) -> None:
        self.first.close()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = Hub(club(), tmp_path, FakeClock(utc=NOON))
    yield h
    h.close()


def test_the_plan_before_any_send_prices_everyone(hub: Hub) -> None:
    change = hub.change()
    assert change.action == "create"
    assert change.reason.startswith("10 recipient(s), 15 segment(s) to pay for"
                                    " (left out: 1 no phone, 1 no SMS consent)")
    assert change.details["segments"] == 15


def test_after_an_interrupted_send_the_plan_prices_only_the_recipients_left(hub: Hub) -> None:
    error = hub.interrupted_apply(after=3)  # PHONES[0..2] got theirs: 1 + 2 + 1 segments
    assert error == ("interrupted after 3 sent; 7 of 10 recipient(s) left to send, 11 segment(s) to pay for"
                     " (3 already sent): apply again to continue")
    change = hub.change()
    assert change.action == "create"  # the interrupted apply never recorded the campaign
    left = sum(SEGMENTS[3:])
    assert left == 11
    assert change.reason.startswith(f"7 of 10 recipient(s) left to send, {left} segment(s) to pay for (3 already sent);"
                                    " left out: 1 no phone, 1 no SMS consent")
    assert change.details["segments"] == left
    assert "unsettled" not in change.reason

    report = hub.apply()
    assert not report.failed and not report.unknown
    assert hub.texts() == Counter(PHONES)  # every recipient exactly once
    again = hub.change()
    assert again.action == "noop"
    assert again.reason.startswith("0 of 10 recipient(s) left to send, nothing to pay for (10 already sent)")
    assert again.details["segments"] == 0
    assert [c for c in hub.plan().changes if c.writes] == []


def test_a_stop_that_comes_after_the_last_text_leaves_nothing_to_do(hub: Hub) -> None:
    assert hub.interrupted_apply(after=10, result="ok") == ""
    change = hub.change()
    assert change.action == "noop" and change.reason.startswith("0 of 10 recipient(s) left to send, nothing to pay")
    assert not hub.apply().failed
    assert hub.texts() == Counter(PHONES)


def test_an_apply_records_what_became_of_the_texts_before_it_not_of_its_own(hub: Hub) -> None:
    """Texts just sent are on their way: reading a campaign's 50,000 texts back right after sending them took a sixth
    of its apply. The apply that finishes a campaign records what became of the earlier apply's texts."""
    def status_reads() -> int:
        return sum(1 for e in hub.simulator.log if e.method == "GET" and "DateSent>" in e.query)

    hub.interrupted_apply(after=3)
    assert status_reads() == 0
    hub.clock.advance(120)  # the vendor delivers
    assert not hub.apply().failed
    assert status_reads() == 1
    statuses = {d.recipient: d.status for d in hub.state.deliveries("acme", "main", "spring").values()}
    assert [statuses[p] for p in PHONES] == ["delivered"] * 3 + ["sent"] * 7


def test_texts_whose_answer_was_never_heard_are_counted_as_unsettled(hub: Hub) -> None:
    hub.interrupted_apply(after=3)
    change = hub.change()
    fp = next(r["fp"] for r in change.details["recipients"] if r["to"] == PHONES[3])
    # a kill -9 in the middle of two more: both journalled, the first one reached Twilio, neither answer was heard
    hub.state.record_deliveries("acme", "main", "spring", [(PHONES[3], "pending", "", fp, "", ""),
                                                           (PHONES[4], "pending", "", fp, "", "")])
    s = hub.session()
    try:
        body = next(r["body"] for r in change.details["recipients"] if r["to"] == PHONES[3])
        s.provider.api.create_message(PHONES[3], body, [], None, segments=SEGMENTS[3])  # type: ignore[attr-defined]
    finally:
        s.close()
    change = hub.change()
    assert change.action == "create"
    left, unsettled = sum(SEGMENTS[5:]), SEGMENTS[3] + SEGMENTS[4]
    assert change.reason.startswith(f"5 of 10 recipient(s) left to send, {left} segment(s) to pay for (3 already sent,"
                                    " 2 unsettled);")
    assert ("2 unsettled: an earlier apply stopped before Twilio answered; hub looks for their texts at Twilio"
            f" before it texts anyone, and texts only those it does not find (up to {unsettled} more segment(s))"
            in change.reason)
    assert change.details["segments"] == left

    assert not hub.apply().failed
    assert hub.texts() == Counter(PHONES)  # PHONES[3] was found, not texted again; PHONES[4] was texted
    assert hub.change().action == "noop"


def test_an_interrupted_update_is_an_update_with_the_work_left(tmp_path: Path) -> None:
    """A scheduled campaign applied to two recipients; eight join before it goes out; the apply that schedules
    theirs is stopped after three."""
    members = contacts()
    h = Hub(club("2026-03-05 10:00", members=members[:2]), tmp_path, FakeClock(utc=NOON))
    try:
        assert not h.apply().failed
        settled = h.change()
        assert settled.action == "noop"
        assert settled.reason.startswith("0 of 2 recipient(s) left to send, nothing to pay for"
                                         " (2 already scheduled at Twilio)")
        for extra in members[2:]:
            h.client.audience.contacts.append(Contact.model_validate(extra))
        joined = h.change()
        assert joined.action == "update" and "8 new recipient(s) joined since the last apply" in joined.reason
        assert joined.reason.startswith(f"8 of 10 recipient(s) left to send, {sum(SEGMENTS[2:])} segment(s) to pay"
                                        " for (2 already scheduled at Twilio)")
        error = h.interrupted_apply(after=3)  # PHONES[2..4] scheduled too
        assert error.startswith("interrupted after 3 scheduled; 2 had theirs from an earlier apply; 5 of 10"
                                " recipient(s) left to send")
        change = h.change()
        assert change.action == "update"
        assert change.reason.startswith(f"5 of 10 recipient(s) left to send, {sum(SEGMENTS[5:])} segment(s) to pay"
                                        " for (5 already scheduled at Twilio)")
        assert "5 later (schedule or quiet hours)" in change.reason
        assert "5 recipient(s) an earlier apply did not text (it stopped or failed part-way)" in change.reason
        assert not h.apply().failed
        assert h.texts() == Counter(PHONES)
        assert h.change().action == "noop"
    finally:
        h.close()
