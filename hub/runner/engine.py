"""One tick of hub's automation runner: start the journeys that triggers call for, claim the rows that are
due in batches of one step, and carry each batch out through the client's vendors.

Exactly once, whatever crashes: a batch's rows are claimed (named) before anything is sent; each send goes
through a journal keyed by that name (an email step's campaign is found again by its name, a text by the
delivery ledger); the rows move on in one transaction guarded by the name, so that a batch carried out again
after a crash sends nothing twice and moves nobody twice. A batch whose vendor fails is tried again later
under the same name (backing off), then marked failed, never silently dropped.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ClientBusy, HubError
from ..model import Automation, Client, ConsentStatus, Contact
from ..model.automation import Condition
from ..model.personalisation import render
from ..model.segments import field_matches
from ..provider import InboundText, StepEmail, StepText, VendorApi
from ..smstext import recipient_values
from ..social import post_for
from ..state.journeys import Journey, Journeys, Move
from .enrol import ARMED, Enrolment, start_rows, starts
from .graph import Graph, Position, relocate
from .resource import KIND, runner_record
from .timing import ISO, outside_quiet_hours, parse_stamp

if TYPE_CHECKING:
    from ..sync.engine import Session

log = logging.getLogger("hub.runner")
BATCH_SIZE = 500  # journeys of one step carried out together (a pool of texts, a tag write, ...)
EMAIL_BATCH = 10_000  # an email step's batch is one campaign: fewer, larger ones cost the vendor less
TEXT_BATCH = 10_000  # a text step's batch: the vendor idles while one batch settles and the next starts
WAIT_BATCH = 5_000  # a wait's batch is bookkeeping only: fewer, larger transactions
CLAIM_LIMIT = 50_000  # rows claimed per round of a tick; the rest wait for the next
RECLAIM_S = 0.5  # (real seconds) how often a tick with batches in flight looks for journeys come due since
MAX_ATTEMPTS = 8  # a failing batch is tried again after 1, 2, 4, ... 64 minutes, then marked failed
MEMBERS_POLL = timedelta(hours=1)  # how often a list trigger reads the whole list at the contact source
ADVANCE_STEP = timedelta(hours=6)  # a simulated clock moves in steps no longer than this (anniversaries are seen)


@dataclass
class Armed:
    """An automation `apply` armed: the definition the runner follows, and the accounts it goes through."""

    client: Client
    automation: Automation
    email_account: str
    sms_account: str | None
    order: list[str]
    armed_at: datetime
    unapplied: bool  # the workspace holds another version, not applied yet
    social_accounts: list[str] = field(default_factory=list)  # the client's accounts that publish posts

    @property
    def graph(self) -> Graph:
        return Graph(self.automation)


@dataclass
class TickReport:
    at: str
    started: int = 0
    batches: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    next_due: str | None = None


class Executor(Protocol):
    def submit(self, runner: Runner, batches: Sequence[tuple[str, int]]) -> Callable[[], list[dict[str, int]]]:
        """Set every batch (name, attempt) to be carried out, durably (`runner.carry_out(name)` each): the
        function returned waits for them and gives their outcomes."""
        ...


class AdvancingClock(Protocol):
    def utcnow(self) -> datetime: ...

    def advance(self, seconds: float) -> None: ...


def advance(runner: Runner, clock: AdvancingClock, seconds: float) -> Iterator[TickReport]:
    """Tick, moving a simulated clock (the sandbox's) `seconds` ahead: straight to each next due step, at most
    `ADVANCE_STEP` at a time, so that every step due meanwhile is carried out, in order, at its time."""
    target = clock.utcnow() + timedelta(seconds=seconds)
    while True:
        report = runner.tick()
        yield report
        now = clock.utcnow()
        if now >= target:
            return
        step = min(target, now + ADVANCE_STEP)
        if report.next_due:
            step = min(step, max(now, parse_stamp(report.next_due)))
        clock.advance(max((step - now).total_seconds(), 1.0))


class _Running:
    """Batches set going, their outcomes gathered by a thread of their own so that the tick looks for more work
    meanwhile."""

    def __init__(self, outcomes: Callable[[], list[dict[str, int]]]) -> None:
        self.finished = threading.Event()
        self._outcomes: list[dict[str, int]] = []
        self._error: BaseException | None = None
        threading.Thread(target=self._gather, args=(outcomes,), name="hub-outcomes", daemon=True).start()

    def _gather(self, outcomes: Callable[[], list[dict[str, int]]]) -> None:
        try:
            self._outcomes = outcomes()
        except BaseException as exc:  # raised in the tick, as if it had waited itself
            self._error = exc
        finally:
            self.finished.set()

    def outcomes(self) -> list[dict[str, int]]:
        self.finished.wait()
        if self._error is not None:
            raise self._error
        return self._outcomes


class InlineExecutor:
    """Carries batches out in this process, one after the other (tests; one worker)."""

    def submit(self, runner: Runner, batches: Sequence[tuple[str, int]]) -> Callable[[], list[dict[str, int]]]:
        outcomes = [runner.carry_out(name) for name, _ in batches]
        return lambda: outcomes


class Runner:
    def __init__(self, session: Session, executor: Executor | None = None, *, batch_size: int = BATCH_SIZE,
                 claim_limit: int = CLAIM_LIMIT) -> None:
        self.session = session
        self.state = session.state
        self.journeys = Journeys(session.state)
        self.clock = session.clock
        self.executor = executor or InlineExecutor()
        self.batch_size = batch_size
        self.claim_limit = claim_limit
        self.accounts = {acc.key: acc for acc in session.accounts}
        self._by_key: dict[str, dict[str, Contact]] = {}  # per client: its contacts by key
        self._enrolments: dict[tuple[str, str], Enrolment] = {}  # per automation: who may start, who did
        self.armed = self._armed()

    # -- what runs ----------------------------------------------------------------------------------
    def _armed(self) -> dict[tuple[str, str], Armed]:
        out = {}
        for name in self.session.client_names:
            client = self.session.workspace.clients[name]
            current = {a.id: a for a in client.automations}
            for rec in self.state.items(name, kind=KIND):
                automation = runner_record(rec.data)
                written = current.get(automation.id)
                out[(name, automation.id)] = Armed(
                    client, automation, rec.account, rec.data.get("sms_account"), rec.data.get("order") or [],
                    parse_stamp(rec.applied_at), written is None or written.model_dump() != automation.model_dump(),
                    rec.data.get("social_accounts") or [])
        return out

    # -- a tick --------------------------------------------------------------------------------------
    def tick(self) -> TickReport:
        now = self.clock.utcnow()
        report = TickReport(now.strftime(ISO))
        for armed in self.armed.values():
            report.started += self._enrol(armed, now)
        stamp = f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        submitted: set[str] = set()
        running: list[_Running] = []
        rounds = itertools.count()
        self._claim(stamp, rounds, report, submitted, running, look_back=True)
        while running:
            if running[0].finished.wait(RECLAIM_S):
                for outcome in running.pop(0).outcomes():
                    report.outcomes.update(outcome)
            else:  # the vendors still work on this tick's batches: take on what has come due since, so that a
                # vendor goes on to its next batch without waiting for the next tick
                self._claim(stamp, rounds, report, submitted, running, look_back=False)
        released, next_held = self._release_held(now, stamp)
        report.outcomes.update(released)
        report.next_due = min(filter(None, (self.journeys.next_due(), next_held)), default=None)
        return report

    def _claim(self, stamp: str, rounds: Iterator[int], report: TickReport, submitted: set[str],
               running: list[_Running], *, look_back: bool) -> None:
        """Claim what is due and set its batches going; `look_back` (a tick's first look) also takes the batches
        claimed before and not carried out (a crash's, a retry come due, a stopped worker's). A wait that ends is
        bookkeeping only, done here one batch at a time while the vendors work on the batches set going before
        it, and what is due after each is claimed at once: a vendor is not left idle while journeys walk past
        their waits."""
        waits: list[str] = []
        while True:
            now = self.clock.utcnow().strftime(ISO)
            due = self.journeys.next_due()
            names = self.journeys.claim(now, f"{stamp}.{next(rounds)}", limit=self.claim_limit,
                                        batch_size=self._batch_size) if due is not None and due <= now else []
            batches = self.journeys.outstanding(now) if look_back else [(name, 0) for name in names]
            look_back = False
            work = [(b, attempt) for b, attempt in batches if b not in submitted and not self._waits(b)]
            if work:
                report.batches += len(work)
                submitted.update(b for b, _ in work)
                running.append(_Running(self.executor.submit(self, work)))
            waits += [b for b, _ in batches if b not in submitted and self._waits(b)]
            if not waits:
                return
            wait = waits.pop(0)
            submitted.add(wait)
            report.batches += 1
            report.outcomes.update(self.carry_out(wait))

    def _release_held(self, now: datetime, stamp: str) -> tuple[Counter[str], str | None]:
        """Carry out what apply left held until its time (posts to a network that cannot schedule, texts beyond
        Twilio's window), under the client's apply lock, so that an apply and the runner (or two runners) never
        do it twice. Returns what was done, and when the next held work comes due (a simulated clock stops
        there)."""
        released: Counter[str] = Counter()
        later: list[str] = []
        stamp_now = now.strftime(ISO)
        for (client, account), acc in self.accounts.items():
            for res in acc.provider.resources:
                if not res.holds:
                    continue
                held = [r for r in self.state.items_with(("held_until",), client, account, res.kind)
                        if r.data["held_until"]]
                due = [r for r in held if str(r.data["held_until"]) <= stamp_now]
                later += [str(r.data["held_until"]) for r in held if r not in due]
                if not due:
                    continue
                try:
                    with self.state.client_lock([client]):
                        for rec in due:
                            fresh = self.state.item(client, account, rec.kind, rec.neutral_id)
                            done = res.release_due(rec.vendor_id, rec.data, now) if fresh == rec else None
                            if done is None:
                                continue
                            self.state.record(f"run-{stamp}", client, account, rec.provider, rec.kind,
                                              rec.neutral_id, rec.natural_key, rec.fingerprint, *done)
                            released[f"held {res.kind.replace('_', ' ')} released"] += 1
                            if done[1].get("held_until"):
                                later.append(str(done[1]["held_until"]))
                except ClientBusy:
                    continue  # being applied: that apply carries out what is due
                except HubError as exc:
                    log.warning("client %s, account %s: held %s not carried out yet: %s", client, account,
                                res.kind, exc)
        return released, min(later, default=None)

    def _waits(self, batch: str) -> bool:
        client, automation_id, step_id = batch.split("/")[:3]
        armed = self.armed.get((client, automation_id))
        step = armed.graph.steps.get(step_id) if armed else None
        return step is not None and step.wait is not None

    def _enrol(self, armed: Armed, now: datetime) -> int:
        client, automation = armed.client, armed.automation
        enrolment = self._enrolments.setdefault((client.name, automation.id),
                                                Enrolment(self.journeys, client.name, automation.id))
        contacts = self.contacts(client)
        found, baseline = starts(client, automation, contacts, self.journeys, enrolment, now, armed.armed_at,
                                 lambda since: self.api(client.name, armed.sms_account).inbound_texts(since),
                                 lambda list_id: self._members(armed, list_id, now))
        new = 0
        if baseline is not None:  # the first look at a tag or list trigger: note who held it already
            marker = Journey("", "", ARMED[0], ARMED[1], "", "skipped", now.strftime(ISO),
                             detail="the runner took stock of who held the trigger")
            held = (Journey("", "", k, "1", "", "skipped", now.strftime(ISO),
                            detail="held the trigger's tag or list before the automation was armed") for k in baseline)
            self.journeys.enrol(client.name, automation.id, itertools.chain([marker], held))
            enrolment.note([ARMED[0], *baseline])
        if found:
            graph = armed.graph
            rows = start_rows(graph, found, lambda k: self._tz(client, contacts.get(k)),
                              lambda k: self._checker(contacts.get(k)),
                              lambda k, pos: self._rest(armed, contacts.get(k), pos))
            new = self.journeys.enrol(client.name, automation.id, rows)
            enrolment.note(s.contact for s in found)
        if automation.trigger.kind == "event":
            self.journeys.take_events(int(s.pass_.removeprefix("event-")) for s in found)
        return new

    # -- carrying out one batch ------------------------------------------------------------------------
    def carry_out(self, batch: str) -> dict[str, int]:
        """Carry out the step of a claimed batch for its journeys and move them on; safe to call again for the
        same batch (after a crash): nothing is sent twice, nobody moves twice."""
        client_name, automation_id, step_id = batch.split("/")[:3]
        rows = self.journeys.in_batch(batch)
        if not rows:
            return {}
        armed = self.armed.get((client_name, automation_id))
        now = self.clock.utcnow()
        if armed is None:
            moves = [Move(r.contact, r.pass_, r.step, "stopped", r.due_at, "the automation is not armed any more")
                     for r in rows]
            self.journeys.settle(client_name, automation_id, batch, moves, step_id)
            return {"stopped": len(moves)}
        graph = armed.graph
        if step_id not in graph.steps:  # removed by an edit not applied through the resource: move on
            target = relocate(step_id, armed.order, graph)
            moves = [self._move(armed, r, Position(target, now), step_id, "moved: its step was removed")
                     for r in rows]
            self.journeys.settle(client_name, automation_id, batch, moves, step_id)
            return {"moved": len(moves)}
        try:
            outcomes = StepWork(self, armed, graph, step_id, batch, rows, now).carry_out()
        except HubError as exc:
            return self._failed(batch, rows, exc, now)
        except Exception as exc:  # hub's own bug: the batch is tried again (and named in the log), never lost
            log.exception("batch %s", batch)
            return self._failed(batch, rows, HubError(f"{type(exc).__name__}: {exc}"), now)
        moves = []
        counts: Counter[str] = Counter()
        for r in rows:
            outcome, branch = outcomes.get(r.key, ("skipped", None))
            counts[outcome] += 1
            contact = self.contact_of(armed.client, r)
            pos = graph.after(step_id, now, self._tz(armed.client, contact), self._checker(contact), branch)
            moves.append(self._move(armed, r, self._rest(armed, contact, pos), step_id, outcome))
        self.journeys.settle(client_name, automation_id, batch, moves, step_id)
        return dict(counts)

    def _batch_size(self, client: str, automation: str, step: str) -> int:
        armed = self.armed.get((client, automation))
        found = armed.graph.steps.get(step) if armed else None
        if found is not None and found.send_email:
            return max(self.batch_size, EMAIL_BATCH)
        if found is not None and found.send_sms:
            return max(self.batch_size, TEXT_BATCH)
        if found is not None and found.wait is not None:
            return max(self.batch_size, WAIT_BATCH)
        return self.batch_size

    def account_of(self, batch: str) -> str:
        """The vendor account a batch works through (one batch at a time per account, across workers)."""
        client, automation_id, step_id = batch.split("/")[:3]
        armed = self.armed.get((client, automation_id))
        if armed is None:
            return client
        step = armed.graph.steps.get(step_id)
        account = armed.sms_account if step is not None and step.send_sms is not None else armed.email_account
        if step is not None and step.post_social is not None:
            account = next((a for a in armed.social_accounts if step.post_social.targets(a)), account)
        return f"{client}/{account}"

    def broke(self, batch: str, exc: Exception) -> dict[str, int]:
        """A batch whose workflow failed outside `carry_out`: counted as a failed try, so that it is tried again."""
        rows = self.journeys.in_batch(batch)
        if not rows:
            return {}
        return self._failed(batch, rows, HubError(f"{type(exc).__name__}: {exc}"), self.clock.utcnow())

    def _failed(self, batch: str, rows: list[Journey], exc: HubError, now: datetime) -> dict[str, int]:
        attempt = max(r.attempt for r in rows) + 1
        if attempt >= MAX_ATTEMPTS:
            client_name, automation_id, step_id = batch.split("/")[:3]
            moves = [Move(r.contact, r.pass_, r.step, "failed", r.due_at, f"gave up after {attempt} tries: {exc}",
                          advanced=False) for r in rows]
            self.journeys.settle(client_name, automation_id, batch, moves, step_id)
            log.error("batch %s failed %d times; its %d journey(s) are marked failed: %s", batch, attempt,
                      len(rows), exc)
            return {"failed": len(rows)}
        later = now + timedelta(minutes=2 ** (attempt - 1))
        self.journeys.retry_later(batch, later.strftime(ISO), f"try {attempt} failed, again at {later:%H:%M}: {exc}")
        log.warning("batch %s: %s (tried again from %s)", batch, exc, later.strftime(ISO))
        return {"retry": len(rows)}

    def _move(self, armed: Armed, r: Journey, pos: Position, step_id: str, outcome: str) -> Move:
        status = "waiting" if pos.step else ("exited" if pos.exited else "done")
        passed = tuple((s, "passed") for s in pos.path)
        return Move(r.contact, r.pass_, pos.step or "", status, pos.due_at.strftime(ISO), "",
                    ((step_id, outcome), *passed))

    # -- the contact's own data ---------------------------------------------------------------------------
    def contacts(self, client: Client) -> dict[str, Contact]:
        if client.name not in self._by_key:
            self._by_key[client.name] = {c.key: c for c in client.audience.contacts}
        return self._by_key[client.name]

    def contact_of(self, client: Client, journey: Journey) -> Contact | None:
        """The journey's contact: the workspace's, else the one its start carried (a subscriber who joined the
        list at the vendor, a number that texted the keyword)."""
        found = self.contacts(client).get(journey.contact)
        if found is None and journey.data.get("contact"):
            return Contact.model_validate(journey.data["contact"])
        return found

    def _members(self, armed: Armed, list_id: str, now: datetime) -> list[Contact] | None:
        """The trigger list's members at the contact source, every `MEMBERS_POLL` (None between reads, or when the
        list is not at the vendor yet)."""
        account = self.accounts.get((armed.client.name, armed.email_account))
        services = account.provider.ctx.services if account else None
        if services is None or not self.journeys.poll_due(f"{armed.client.name}/{armed.automation.id}",
                                                         now.strftime(ISO), MEMBERS_POLL.total_seconds()):
            return None
        return services.members(list_id, refresh=True)

    @staticmethod
    def _tz(client: Client, contact: Contact | None) -> str:
        return (contact.timezone if contact else None) or client.timezone

    @staticmethod
    def _checker(contact: Contact | None) -> Callable[[Condition], bool]:
        def check(cond: Condition) -> bool:
            if contact is None:
                return False
            if cond.tag:
                return cond.tag in contact.tags
            if cond.list:
                return cond.list in contact.lists
            if cond.field and cond.op:
                return field_matches(contact, cond.field, cond.op, cond.value)
            return False
        return check

    def _rest(self, armed: Armed, contact: Contact | None, pos: Position) -> Position:
        """A text is never due inside quiet hours (in the recipient's timezone)."""
        if pos.step is None or armed.graph.step(pos.step).send_sms is None:
            return pos
        quiet = armed.client.quiet_hours_for(None)
        due = outside_quiet_hours(pos.due_at, self._tz(armed.client, contact), quiet)
        return Position(pos.step, due, pos.path, pos.exited)

    def api(self, client: str, account: str | None) -> VendorApi[Any]:
        acc = self.accounts.get((client, account or ""))
        if acc is None:
            raise HubError(f"client '{client}': account '{account}' is not open (its credentials?)")
        return acc.provider.api


Outcomes = dict[tuple[str, str], tuple[str, bool | None]]  # (contact, pass) -> (outcome, condition's branch)


class StepWork:
    """One step carried out for one batch: outcome (and branch, for a condition) per (contact, pass)."""

    def __init__(self, runner: Runner, armed: Armed, graph: Graph, step_id: str, batch: str, rows: list[Journey],
                 now: datetime) -> None:
        self.runner = runner
        self.armed = armed
        self.client = armed.client
        self.step = graph.step(step_id)
        self.step_id = step_id
        self.batch = batch
        self.rows = rows
        self.now = now

    def carry_out(self) -> Outcomes:
        step = self.step
        if step.wait is not None:
            return {r.key: ("waited", None) for r in self.rows}
        if step.send_email is not None:
            return self._email()
        if step.send_sms is not None:
            return self._sms()
        if step.add_tag or step.remove_tag:
            return self._tag()
        if step.condition is not None:
            return self._activity()
        if step.webhook is not None:
            return self._webhook()
        if step.post_social is not None:
            return self._post()
        return {r.key: ("skipped: the runner cannot carry this step out", None) for r in self.rows}

    def _email(self) -> Outcomes:
        out: Outcomes = {}
        to: list[str] = []
        for r in self.rows:
            c = self.runner.contact_of(self.client, r)
            if c is None or not c.email:
                out[r.key] = ("skipped: no email address", None)
            elif not c.consent.email.sendable:
                out[r.key] = ("skipped: not subscribed to email", None)
            else:
                to.append(c.email.lower())
                out[r.key] = ("sent", None)
        if to:
            journeys = self.runner.journeys
            account = self.armed.email_account
            record = journeys.begin_send(self.client.name, self.batch, self.armed.automation.id, self.step_id, account)
            if record.status != "sent":
                api = self.runner.api(self.client.name, account)
                assert self.step.send_email is not None
                email = StepEmail(self._campaign_name(), self.armed.automation.name, self.step.send_email,
                                  tuple(sorted(set(to))), resumed=not record.fresh)
                vendor_id = api.send_step_email(email, self._refs(account))
                journeys.settle_send(self.client.name, self.batch, "sent", vendor_id)
        return out

    def _campaign_name(self) -> str:
        _, _, step, tick, n = self.batch.split("/")
        return f"hub · {self.armed.automation.name} · {step} · {tick}/{n}"

    def _sms(self) -> Outcomes:
        out: Outcomes = {}
        texts: list[tuple[tuple[str, str], StepText]] = []
        sms = self.step.send_sms
        assert sms is not None
        for r in self.rows:
            c = self.runner.contact_of(self.client, r)
            if c is None or not c.phone:
                out[r.key] = ("skipped: no phone", None)
            elif c.consent.sms != ConsentStatus.SUBSCRIBED:
                out[r.key] = ("skipped: no SMS consent", None)
            else:
                ledger = f"auto:{self.armed.automation.id}/{self.step_id}#{r.pass_}"
                texts.append((r.key, StepText(ledger, c.phone, render(sms.body, recipient_values(c)))))
        if texts:
            api = self.runner.api(self.client.name, self.armed.sms_account)
            statuses = api.send_texts([t for _, t in texts])
            retry = [t.to for _, t in texts if statuses.get((t.ledger, t.to)) == "retry"]
            if retry:
                raise HubError(f"{len(retry)} text(s) not sent yet (Twilio did not take them)")
            for key, t in texts:
                status = statuses.get((t.ledger, t.to), "retry")
                out[key] = ("texted" if status not in ("opted_out", "failed", "invalid") else f"not texted: {status}",
                            None)
        return out

    def _post(self) -> Outcomes:
        """One post per journey on each account the step names, exactly once: each is written to the delivery
        ledger before the network is asked and settled after, so a settled post is never asked for again, and one
        whose answer was lost is asked for with the time of that attempt (the network then finds it by its key)."""
        content = self.step.post_social
        assert content is not None
        state, client = self.runner.state, self.client.name
        name = f"post:{self.armed.automation.id}/{self.step_id}"
        targets = [a for a in self.armed.social_accounts if content.targets(a)]
        journeys = [f"{r.contact}#{r.pass_}" for r in self.rows]
        for account in targets:
            api = self.runner.api(client, account)
            post = post_for(content, self.client, account, api.name)
            done = state.deliveries(client, account, name, journeys)
            for to in journeys:
                row = done.get(to)
                if row is not None and row.status == "sent":
                    continue
                began = row.send_at if row is not None else self.runner.clock.utcnow().strftime(ISO)
                if row is None:
                    state.record_deliveries(client, account, name, [(to, "pending", "", "", began, "")])
                key = hashlib.sha256(f"{client}/{name}:{to}@{account}".encode()).hexdigest()[:32]
                vendor_id = api.publish_post(post, key, parse_stamp(began) if row is not None else None)
                state.record_deliveries(client, account, name, [(to, "sent", vendor_id, "", began, "")])
        outcome = "posted" if targets else "skipped: no account to post on"
        return {r.key: (outcome, None) for r in self.rows}

    def _tag(self) -> Outcomes:
        tag = self.step.add_tag or self.step.remove_tag or ""
        contacts = {r.key: self.runner.contact_of(self.client, r) for r in self.rows}
        emails = {k: c.email.lower() for k, c in contacts.items() if c is not None and c.email}
        account = self.armed.email_account
        if emails:
            self.runner.api(self.client.name, account).tag_contacts(tag, sorted(set(emails.values())),
                                                                    self._refs(account), add=bool(self.step.add_tag))
        verb = "tagged" if self.step.add_tag else "untagged"
        return {r.key: (verb if r.key in emails else "skipped: no email address", None) for r in self.rows}

    def _activity(self) -> Outcomes:
        cond = self.step.condition
        assert cond is not None
        if cond.replied:
            return self._replied(cond.replied)
        target = cond.opened or cond.clicked or ""
        sent = self.runner.journeys.campaigns_of(self.client.name, self.armed.automation.id, target,
                                                 [r.key for r in self.rows])
        activity: dict[tuple[str, str], frozenset[str]] = {}
        for account, vendor_id in set(sent.values()):
            seen = self.runner.api(self.client.name, account).step_email_activity(vendor_id)
            activity[(account, vendor_id)] = seen.opened if cond.opened else seen.clicked
        out: Outcomes = {}
        for r in self.rows:
            c = self.runner.contact_of(self.client, r)
            where = sent.get(r.key)
            yes = bool(where and c and c.email and c.email.lower() in activity[where])
            out[r.key] = ("yes" if yes else "no", yes)
        return out

    def _replied(self, words: list[str]) -> Outcomes:
        """Whether each contact texted one of `words` back since the automation's last text to them."""
        automation = self.armed.automation
        texted = self.runner.journeys.last_logged(self.client.name, automation.id,
                                                  [s.id or "" for s in automation.steps if s.send_sms],
                                                  [r.key for r in self.rows])
        since = min((parse_stamp(at) for at in texted.values()), default=self.now)
        replies: dict[str, list[InboundText]] = {}
        for text in self.runner.api(self.client.name, self.armed.sms_account).inbound_texts(since):
            replies.setdefault(text.sender, []).append(text)
        wanted = {w.strip().upper() for w in words}
        out: Outcomes = {}
        for r in self.rows:
            c = self.runner.contact_of(self.client, r)
            after = parse_stamp(texted[r.key]) if r.key in texted else self.now
            yes = bool(c and c.phone and any(t.at >= after and t.body.strip().upper() in wanted
                                             for t in replies.get(c.phone, ())))
            out[r.key] = ("yes" if yes else "no", yes)
        return out

    def _webhook(self) -> Outcomes:
        import requests

        hook = self.step.webhook
        assert hook is not None
        out: Outcomes = {}
        for r in self.rows:
            key = f"{self.client.name}/{self.armed.automation.id}/{r.contact}/{r.pass_}/{self.step_id}"
            body = {"client": self.client.name, "automation": self.armed.automation.id, "step": self.step_id,
                    "contact": r.contact, "pass": r.pass_, "data": r.data}
            try:
                resp = requests.request(hook.method, hook.url, json=body if hook.method == "POST" else None,
                                        params=None if hook.method == "POST" else {"contact": r.contact},
                                        headers={"Idempotency-Key": key}, timeout=10)
            except requests.RequestException as exc:
                raise HubError(f"webhook {hook.url}: {type(exc).__name__}") from None
            if resp.status_code >= 500 or resp.status_code == 429:
                raise HubError(f"webhook {hook.url}: HTTP {resp.status_code}")
            out[r.key] = ("called" if resp.ok else f"refused: HTTP {resp.status_code}", None)
        return out

    def _refs(self, account: str) -> Any:
        from ..sync.plan import build_refs

        acc = self.runner.accounts[(self.client.name, account)]
        return build_refs(self.runner.state, acc)
