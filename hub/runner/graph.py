"""Where a contact goes next in an automation (pure; no I/O).

A journey rests only at a step that needs the outside world (a send, a tag written to a vendor, a webhook, a
condition that reads who opened or replied) or at a wait, with the time it is due. Everything else (exit, a
condition on the contact's own tags, lists or fields) is decided on the way, the moment the contact arrives.

Flow follows the step list unless a step says `next`; a condition goes to `yes` or `no` (a branch left out
means the next step in the list); `exit` ends the journey, as does the end of the list.

An edit to an automation never strands anyone: a contact keeps its place by step id; one whose step was
removed moves to the first step after it (in the order the runner last saw) that still exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..model import Automation
from ..model.automation import Condition, Step
from .timing import after_wait

# conditions decided from the vendor's activity (or inbound texts), in a batch, not on the way
ACTIVITY_CONDITIONS = ("opened", "clicked", "replied")
MAX_MOVES = 1000  # steps decided on the way before a journey is taken to be looping without a wait


def rests_at(step: Step) -> bool:
    """Whether a journey waits at `step` for the runner (a wait, or work outside hub), rather than passing."""
    if step.condition is not None:
        return activity_condition(step.condition)
    return step.action != "exit"


def activity_condition(condition: Condition) -> bool:
    return any(getattr(condition, k) for k in ACTIVITY_CONDITIONS)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a journey rests: at `step` (None: finished) from `due_at`; `path` is every step passed on the way
    (for the journey's history), `exited` when an `exit` step ended it."""

    step: str | None
    due_at: datetime
    path: tuple[str, ...] = ()
    exited: bool = False


class Graph:
    """An automation's steps, by id."""

    def __init__(self, automation: Automation) -> None:
        self.automation = automation
        self.steps: dict[str, Step] = {s.id or "": s for s in automation.steps}
        self.order: list[str] = [s.id or "" for s in automation.steps]

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]

    def following(self, step_id: str, branch: bool | None = None) -> str | None:
        """The step after `step_id` (for a condition, after its `branch`)."""
        step = self.steps[step_id]
        target = step.next
        if step.condition is not None and branch is not None:
            target = step.yes if branch else step.no
        if target:
            return target
        i = self.order.index(step_id) + 1
        return self.order[i] if i < len(self.order) else None

    def enter(self, step_id: str | None, at: datetime, tz: str, check: Callable[[Condition], bool],
              ) -> Position:
        """Arrive at `step_id` at `at`: pass through what is decided on the way, rest at the first step that is
        not (a wait rests until it ends)."""
        path: list[str] = []
        while step_id is not None:
            if len(path) > MAX_MOVES:
                raise ValueError(f"automation '{self.automation.id}' loops through {', '.join(path[-5:])}"
                                 " without a wait or a send")
            step = self.steps[step_id]
            if step.wait is not None:
                return Position(step_id, after_wait(at, step.wait, tz), tuple(path))
            if step.action == "exit":
                return Position(None, at, (*path, step_id), exited=True)
            if step.condition is not None and not activity_condition(step.condition):
                path.append(step_id)
                step_id = self.following(step_id, check(step.condition))
                continue
            return Position(step_id, at, tuple(path))
        return Position(None, at, tuple(path))

    def start(self, at: datetime, tz: str, check: Callable[[Condition], bool]) -> Position:
        return self.enter(self.order[0], at, tz, check)

    def after(self, step_id: str, at: datetime, tz: str, check: Callable[[Condition], bool],
              branch: bool | None = None) -> Position:
        """Where a journey goes once `step_id` is done at `at` (a wait ending, a send made, a condition read)."""
        return self.enter(self.following(step_id, branch), at, tz, check)


def relocate(step_id: str, last_seen: Sequence[str], graph: Graph) -> str | None:
    """The step a journey resting at `step_id` rests at now: the same id when it still exists, else the first
    step after it in `last_seen` (the order the runner last saw) that does; None when none does."""
    if step_id in graph.steps:
        return step_id
    if step_id not in last_seen:
        return None
    for later in last_seen[list(last_seen).index(step_id) + 1:]:
        if later in graph.steps:
            return later
    return None
