"""Who starts an armed automation, and when (triggers), as new journey rows.

- `anniversary`: each contact with the date field, every year at 09:00 in their timezone (pass = the year);
  a date missed by more than `GRACE` (the runner was not running) is not sent late.
- `joined_list` / `tag_added`: contacts who hold the list or tag and did not hold it when the automation was
  armed (the runner notes who held it then, once), in the workspace, and for a list also at the contact source
  (read every `MEMBERS_POLL`: a signup form adds people there); plus those under `enrol`.
- `event`: each `hub event` for the automation's event name (pass = the event's id).
- `sms_keyword`: whoever texts the keyword to the client's SMS account, once per number.
Only moments after the automation was armed count: arming a birthday automation in March sends nobody the
January birthday they had.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..model import Automation, Client, Contact
from ..model.automation import Condition
from ..provider import InboundText
from ..state.journeys import Journey, Journeys
from .graph import Graph, Position
from .timing import ISO, anniversary_in, parse_stamp

GRACE = timedelta(days=1)
INBOUND_WINDOW = timedelta(days=2)  # keyword texts looked at (each tick); the runner looks every minute
ARMED = ("*", "armed")  # the row noting that the runner took stock of who held the trigger's tag or list


@dataclass(frozen=True, slots=True)
class Start:
    contact: str
    pass_: str
    at: datetime
    data: dict[str, object]


class Enrolment:
    """What a runner remembers of one automation's enrolment between ticks: who in the workspace holds its
    trigger's tag or list or is enrolled (the workspace does not change under a runner), and who has a journey,
    read from the state in full once, then asked only about contacts not known yet. A journey row is never
    deleted, so a contact once started stays started, and a tick of a list trigger over 100,000 members costs a
    set difference, not a read of every row and contact."""

    def __init__(self, journeys: Journeys, client: str, automation: str) -> None:
        self._journeys = journeys
        self._client = client
        self._automation = automation
        self._known: set[str] | None = None
        self._workspace: tuple[set[str], set[str]] | None = None

    def among(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` have a journey (this process's, or another worker's)."""
        wanted = set(keys)
        if self._known is None:
            self._known = self._journeys.started(self._client, self._automation)
        elif unknown := wanted - self._known:
            self._known |= self._journeys.started_among(self._client, self._automation, unknown)
        return wanted & self._known

    def note(self, keys: Iterable[str]) -> None:
        """Journeys were just started (or found started) for `keys`."""
        if self._known is not None:
            self._known.update(keys)

    def in_workspace(self, client: Client, automation: Automation,
                     contacts: Mapping[str, Contact]) -> tuple[set[str], set[str]]:
        """The workspace's holders of the trigger's tag or list, and the contacts its `enrol` names."""
        if self._workspace is None:
            trig = automation.trigger
            holders = {k for k, c in contacts.items()
                       if (trig.value in c.tags if trig.kind == "tag_added" else trig.value in c.lists)}
            self._workspace = holders, set(client.enrolled(automation))
        return self._workspace


def starts(client: Client, automation: Automation, contacts: Mapping[str, Contact], journeys: Journeys,
           enrolment: Enrolment, now: datetime, armed_at: datetime, inbound: Callable[[datetime], list[InboundText]],
           members: Callable[[str], list[Contact] | None]) -> tuple[list[Start], list[str] | None]:
    """New starts due by `now`; and, on the first look at a tag or list trigger, the contacts who held it
    already (never started; None when this is not the first look). `contacts` are the client's by key;
    `members(list)` is the list as the contact source holds it now (None: not read this time)."""
    trig = automation.trigger
    if trig.kind == "anniversary":
        return list(_anniversaries(client, automation, contacts, now, armed_at)), None
    if trig.kind == "sms_keyword":
        return _keyword_texts(automation, contacts, enrolment, inbound(max(armed_at, now - INBOUND_WINDOW)),
                              armed_at), None
    if trig.kind == "event":
        return [Start(contact.lower(), f"event-{eid}", max(parse_stamp(at), armed_at), data)
                for eid, contact, data, at in journeys.new_events(client.name, trig.value)], None
    holders, enrolled = enrolment.in_workspace(client, automation, contacts)
    # who joined the list at the vendor (a signup form): carried in the journey, the workspace does not know them
    joined = {c.key: c for c in members(trig.value) or ()} if trig.kind == "joined_list" else {}
    if joined:
        holders = holders | set(joined)
    began = enrolment.among(holders | enrolled | {ARMED[0]})

    def start(key: str) -> Start:
        known = key in contacts or key not in joined
        return Start(key, "1", now, {} if known else {"contact": joined[key].model_dump(mode="json")})

    if ARMED[0] not in began:  # first look: those holding it already did not just get it
        return [start(k) for k in sorted(enrolled - began)], sorted(holders - enrolled)
    return [start(k) for k in sorted((holders | enrolled) - began)], None


def _keyword_texts(automation: Automation, contacts: Mapping[str, Contact], known: Enrolment,
                   texts: list[InboundText], armed_at: datetime) -> list[Start]:
    """Who texted the keyword (its first word, any case): once per number. A number the workspace does not
    know starts too: texting the keyword is asking to be texted back."""
    keyword = automation.trigger.value.strip().upper()
    by_phone = {c.phone: k for k, c in contacts.items() if c.phone}
    started = known.among(by_phone.get(t.sender, t.sender) for t in texts)
    out: dict[str, Start] = {}
    for t in texts:
        words = t.body.strip().upper().split()
        key = by_phone.get(t.sender, t.sender)
        if words and words[0] == keyword and key not in started and key not in out:
            asked = {"phone": t.sender, "consent": {"sms": "subscribed"}}  # texting the keyword asks for texts
            out[key] = Start(key, "1", max(t.at, armed_at),
                             {"keyword_text": t.sid, **({} if key in contacts else {"contact": asked})})
    return list(out.values())


def _anniversaries(client: Client, automation: Automation, contacts: Mapping[str, Contact], now: datetime,
                   armed_at: datetime) -> Iterator[Start]:
    field = automation.trigger.value
    for key, c in contacts.items():
        value = c.fields.get(field)
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                continue
        if not isinstance(value, date):
            continue
        tz = c.timezone or client.timezone
        for year in (now.year - 1, now.year):
            at = anniversary_in(year, value, tz)
            if armed_at <= at <= now and now - at < GRACE:
                yield Start(key, str(year), at, {})


def start_rows(graph: Graph, found: list[Start], tz_of: Callable[[str], str],
               check_for: Callable[[str], Callable[[Condition], bool]],
               rest: Callable[[str, Position], Position]) -> Iterator[Journey]:
    """Journey rows for new starts, one at a time (100,000 of them are written, not held): each placed where its
    first steps take it (`rest` moves a text out of quiet hours)."""
    for s in found:
        pos = rest(s.contact, graph.start(s.at, tz_of(s.contact), check_for(s.contact)))
        status = "waiting" if pos.step else ("exited" if pos.exited else "done")
        yield Journey("", "", s.contact, s.pass_, pos.step or "", status, pos.due_at.strftime(ISO),
                      data=dict(s.data))
