"""SMS campaigns: one text per consenting recipient, delivered exactly once.

Planning resolves the audience through hub (the contact source's members merged with the workspace's
contacts), keeps those with an E.164 phone and SMS consent who never opted out, renders the text per
recipient, counts segments (the cost basis) and decides each recipient's timing (quiet hours in their
own timezone; the vendor schedules inside its window; hub holds beyond it). Consent belongs to the phone
number: a number is texted only when every contact holding it consented. A recipient whose own text is over
the campaign's segment budget (a name that makes it UCS-2) or over Twilio's 1,600 characters is left out,
and the plan names them. Once a campaign has gone out, contacts who join later are not texted, and the plan
says so. After an interrupted apply the plan counts and prices only the recipients the ledger shows are still
to text, says how many already had theirs, and counts texts whose answer was never heard as unsettled.

Applying walks the recipients against hub's delivery ledger: a row is written *before* each message is
created and settled with its SID after, so that after a crash the unsettled rows are looked up in the
vendor's message list (same recipient, same text, since the row was written) instead of being sent again.
A text scheduled at Twilio follows the workspace until it goes out: when its text or time changes it is
canceled and scheduled again; when its recipient leaves the audience or opts out it is canceled. A cancel
is written to the ledger first too ("canceling") and settled by asking Twilio how the message stands, so
that a lost answer never leaves both the old and the new text going out, nor neither.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from hub.plugin import (
    MAX_CHARACTERS,
    Campaign,
    Capability,
    Client,
    ConsentStatus,
    Contact,
    Delivery,
    DeliveryRow,
    Desired,
    Fidelity,
    HubError,
    Live,
    Metric,
    NotFound,
    Overrun,
    ProviderError,
    QuietHours,
    References,
    Resource,
    Result,
    Sent,
    count_segments,
    fingerprint,
    recipient_values,
    render,
)

from . import reporting
from .api import PAGE, TwilioApi
from .timing import SCHEDULE_MAX, Timing, not_before, timing

log = logging.getLogger("hub.sms")
ISO = "%Y-%m-%dT%H:%M:%SZ"
OPTED_OUT = "opted out"
HELD_TEXT = "held text: "  # a held row's detail: the text as rendered when it was held
JOURNAL_CHUNK = 20  # texts journalled pending together: what a crash leaves for `_reconcile` to ask Twilio about
RESENDABLE = ("planned", "pending", "retry", "held", "canceled")  # rows that are no text at Twilio (any more)
FINAL = ("delivered", "undelivered", "failed")  # statuses the ledger keeps as Twilio reports them
REFUSED = ("invalid", "failed", "opted_out")  # Twilio refused the text, or could not send it: not sent again


def refused_numbers(contacts: Iterable[Contact]) -> set[str]:
    """Numbers that not every contact holding them agreed to be texted on: consent belongs to the number, so
    the most restrictive of its holders decides."""
    return {c.phone for c in contacts if c.phone and c.consent.sms != ConsentStatus.SUBSCRIBED}


@dataclass
class Work:
    """What applying a campaign does, recipient by recipient, given what hub's ledger says it did before."""

    send: list[dict[str, Any]] = field(default_factory=list)  # no text at Twilio yet (or any more)
    replace: list[tuple[dict[str, Any], Delivery]] = field(default_factory=list)  # scheduled as written before
    cancel: list[tuple[Delivery, str]] = field(default_factory=list)  # scheduled for someone left out now, why
    joined: int = 0  # of `send`: never texted
    again: int = 0  # of `send`: their text was canceled
    due: int = 0  # of `send`: held until now
    resumed: int = 0  # of `send`: an earlier apply stopped (or its text failed) before texting them
    unsettled: int = 0  # of `send`: an earlier apply never heard Twilio's answer (looked up before anything)
    moved: int = 0  # of `replace`: at another time

    def describe(self) -> str | None:
        """The work left, for a plan; None when there is none (held texts not due yet are not work)."""
        parts = []
        if self.joined:
            parts.append(f"{self.joined} new recipient(s) joined since the last apply")
        if self.again:
            parts.append(f"{self.again} recipient(s) whose text was canceled are texted again")
        if self.due:
            parts.append(f"{self.due} recipient(s) now due (held until now)")
        if self.resumed:
            parts.append(f"{self.resumed} recipient(s) an earlier apply did not text (it stopped or failed part-way)")
        if self.unsettled:
            parts.append(f"{self.unsettled} text(s) an earlier apply did not hear back about are looked up at Twilio"
                         " first")
        if self.replace:
            what = "the new text or time" if self.moved else "the new text"
            parts.append(f"{len(self.replace)} scheduled text(s) will be canceled and scheduled again with {what}")
        if self.cancel:
            whys = Counter(why for _, why in self.cancel)
            parts.append(f"{len(self.cancel)} scheduled text(s) will be canceled: "
                         + ", ".join(f"{n} {why}" for why, n in whys.items()))
        return "; ".join(parts) or None


def plan_work(recipients: list[dict[str, Any]], ledger: dict[str, Delivery], optouts: Iterable[str],
              now: datetime, horizon: datetime, campaign_fp: str) -> Work:
    """Sort recipients and ledger rows into work. Held texts due before `horizon` count as due (Twilio can
    schedule them now); a scheduled text is changed only while its time is still ahead."""
    now_iso, cutoff = now.strftime(ISO), horizon.strftime(ISO)
    optouts = set(optouts)
    wanted = {r["to"]: r for r in recipients if r["to"] not in optouts}
    work = Work()
    for to, r in wanted.items():
        row = ledger.get(to)
        if row is None or row.status in RESENDABLE:
            work.send.append(r)
            if row is None:
                work.joined += 1
            elif row.status == "canceled":
                work.again += 1
            elif row.status == "pending":
                work.unsettled += 1
            elif row.status != "held":
                work.resumed += 1
            elif row.send_at <= cutoff:
                work.due += 1
        # rows from before texts had their own fingerprint carry the campaign's: unchanged when it is
        elif row.status == "canceling" or (row.status == "scheduled" and row.send_at > now_iso
                                           and row.fingerprint not in (r["fp"], campaign_fp)):
            work.replace.append((r, row))
            work.moved += row.send_at != r["not_before"]
    for to, row in ledger.items():
        if to not in wanted and (row.status in ("held", "canceling")
                                 or (row.status == "scheduled" and row.send_at > now_iso)):
            work.cancel.append((row, OPTED_OUT if to in optouts else "no longer a recipient"))
    return work


@dataclass
class Progress:
    """Where each recipient of a campaign stands in hub's ledger: whom the next apply still texts (and what
    that costs), who had their text already, and whose outcome an interrupted apply never heard."""

    total: int = 0
    left: list[dict[str, Any]] = field(default_factory=list)  # no text at Twilio yet (or any more), or replaced
    unsettled: list[dict[str, Any]] = field(default_factory=list)  # journalled, Twilio's answer never heard
    sent: int = 0  # went out (or its scheduled time has passed)
    scheduled: int = 0  # scheduled at Twilio as written now, not gone out yet
    failed: int = 0  # refused by Twilio, or failed there: not sent again

    @property
    def started(self) -> bool:
        """Whether an earlier apply got anywhere with this campaign (else the plan reads as a first send)."""
        return len(self.left) < self.total

    @property
    def segments(self) -> int:
        return sum(r["segments"] for r in self.left)

    def done(self) -> str:
        """What an earlier apply did, e.g. "7 already sent, 1 unsettled"."""
        parts = [f"{self.sent} already sent" if self.sent else "",
                 f"{self.scheduled} already scheduled at Twilio" if self.scheduled else "",
                 f"{len(self.unsettled)} unsettled" if self.unsettled else "",
                 f"{self.failed} failed at Twilio (not sent again)" if self.failed else ""]
        return ", ".join(p for p in parts if p)

    def headline(self) -> str:
        """e.g. "3 of 10 recipient(s) left to send, 3 segment(s) to pay for (7 already sent)"."""
        cost = f"{self.segments} segment(s) to pay for" if self.left else "nothing to pay for"
        done = self.done()
        return f"{len(self.left)} of {self.total} recipient(s) left to send, {cost}" + (f" ({done})" if done else "")

    def unsettled_note(self) -> str:
        """What apply does about the unsettled texts (`_reconcile`: looked up at Twilio before any text goes out;
        those not found are texted)."""
        n, most = len(self.unsettled), sum(r["segments"] for r in self.unsettled)
        return (f"{n} unsettled: an earlier apply stopped before Twilio answered; hub looks for their texts at Twilio"
                f" before it texts anyone, and texts only those it does not find (up to {most} more segment(s))")


def progress(recipients: list[dict[str, Any]], ledger: dict[str, Delivery], now: datetime,
             campaign_fp: str) -> Progress:
    """Sort a campaign's recipients by what hub's ledger says was done for them (the same rules as `plan_work`:
    a row with no text at Twilio is sent again, a text scheduled as written before is replaced)."""
    now_iso = now.strftime(ISO)
    out = Progress(total=len(recipients))
    for r in recipients:
        row = ledger.get(r["to"])
        if row is not None and row.status == "pending":
            out.unsettled.append(r)
        elif row is None or row.status in RESENDABLE or row.status == "canceling":
            out.left.append(r)  # a "canceling" one is settled with Twilio, then gets the text as written now
        elif row.status == "scheduled" and row.send_at > now_iso:
            if row.fingerprint in (r["fp"], campaign_fp):
                out.scheduled += 1
            else:
                out.left.append(r)  # canceled and scheduled again as written now: the new text is what goes out
        elif row.status in REFUSED:
            out.failed += 1
        else:
            out.sent += 1
    return out


def settled_cancel(row: Delivery, status: str, final: str, detail: str) -> tuple[str, str, str, str, str, str]:
    """The ledger row once Twilio says how a message we canceled stands (`final` when it is canceled)."""
    settled = final
    if status == "scheduled":  # the cancel never reached Twilio: the next apply cancels it again
        settled, detail = "scheduled", "not canceled yet (Twilio did not take the cancel)"
    elif status != "canceled":  # too late: Twilio had started sending it
        settled, detail = (status if status in FINAL else "sent"), "went out before it could be canceled"
    return row.recipient, settled, row.message_id, row.fingerprint, row.send_at, detail


def cancel_text(api: TwilioApi, campaign: str, row: Delivery, final: str, detail: str) -> str:
    """Cancel one text hub scheduled (or holds); returns the ledger status it ends in (`final` when it will not
    go out). Written to the ledger before the call, so that a crash leaves a row the next apply settles by
    asking Twilio. Raises HubError when Twilio cannot be asked (the row stays "canceling")."""
    services = api.ctx.services
    assert services is not None
    ledger = services.ledger(api.ctx.account)
    if row.status == "held" or not row.message_id:  # held by hub: nothing at Twilio
        ledger.record(campaign, [(row.recipient, final, "", row.fingerprint, row.send_at, detail)])
        return final
    ledger.record(campaign, [(row.recipient, "canceling", row.message_id, row.fingerprint, row.send_at, detail)])
    settled = settled_cancel(row, api.cancel_message(row.message_id), final, detail)
    ledger.record(campaign, [settled])
    return settled[1]


class SmsCampaignResource(Resource):
    api: TwilioApi
    kind = "sms_campaign"
    capability = Capability.SMS_CAMPAIGNS
    live_read = False
    prunable = False  # a text cannot be unsent
    holds = True  # texts beyond Twilio's scheduling window: `hub run` sends them when due (`release_due`)
    reports: ClassVar[Mapping[Metric, str]] = reporting.REPORTS
    reply_window: ClassVar[timedelta] = reporting.REPLY_WINDOW  # hub's choice (see reporting.REPLY_WINDOW)

    # -- planning ------------------------------------------------------------------------------------
    def desired(self, client: Client, refs: References) -> list[Desired]:
        return [self._desired(client, campaign) for campaign in client.campaigns if campaign.sms is not None]

    def _desired(self, client: Client, campaign: Campaign) -> Desired:
        sms = campaign.sms
        assert sms is not None
        opted_out = self._optouts()
        now = self.api.ctx.clock.utcnow()
        mode = campaign.schedule.mode
        at = campaign.schedule.at_utc(client.timezone) if mode == "at" else None
        quiet = client.quiet_hours_for(campaign)
        payload = {"body": sms.body, "media": sms.media, "schedule": campaign.schedule.model_dump(mode="json"),
                   "quiet_hours": quiet.model_dump(mode="json") if quiet else None,
                   "sender": self.api.sender_label}
        recipients, excluded, overrun = self._recipients(client, campaign, payload, opted_out, now, at, quiet)
        candidates = len(recipients) + overrun.recipients
        ledger = self._ledger(campaign.id)
        # A campaign goes out once: when its time has come and hub texted someone, contacts hub never texted
        # joined too late, and are left out rather than texted late.
        texted = {phone for phone, row in ledger.items() if row.status != "canceled"}
        gone_out = bool(texted) and (mode == "now" or (at is not None and at <= now))
        late = [r for r in recipients if r["to"] not in texted] if gone_out else []
        recipients = [r for r in recipients if r["to"] in texted] if gone_out else recipients
        # what an earlier (maybe interrupted) apply did already: the plan counts and prices only what is left
        done = progress(recipients, ledger, now, fingerprint(payload))
        if mode == "draft":
            recipients, reason = [], "draft: nothing is sent until the schedule says `now` or a time"
        else:
            left_out = ", ".join(f"{n} {why}" for why, n in excluded.items())
            if done.started:
                reason = done.headline() + (f"; left out: {left_out}" if left_out else "")
            else:
                reason = f"{done.total} recipient(s), {done.segments} segment(s) to pay for"
                reason += f" (left out: {left_out})" if left_out else ""
            if overrun.recipients:
                reason += (f"; {overrun.recipients} of {candidates} recipient(s) left out: {overrun.why()}; "
                           f"{overrun.fix()}, or shorten the text")
            later = sum(1 for r in done.left if r["not_before"] > now.strftime(ISO))
            if later:
                reason += f"; {later} later (schedule or quiet hours)"
            if done.unsettled:
                reason += "; " + done.unsettled_note()
            if late:
                reason += f"; {len(late)} joined after the campaign went out: not texted (a campaign goes out once)"
        fidelity = Fidelity.APPROXIMATED if overrun.recipients and mode != "draft" else Fidelity.EXACT
        want = Desired(campaign.id, campaign.name, payload, fidelity, reason, details={
            "recipients": recipients, "excluded": dict(excluded), "over_budget": overrun.recipients,
            "late": len(late), "gone_out": gone_out, "segments": done.segments,
            "progress": {"left": len(done.left), "sent": done.sent, "scheduled": done.scheduled,
                         "unsettled": len(done.unsettled), "failed": done.failed},
            "record": {"send_at": "now" if mode == "now" else (at.isoformat() if at else None)},
            "source": campaign.source})
        return want

    def _recipients(self, client: Client, campaign: Campaign, payload: dict[str, Any], opted_out: dict[str, str],
                    now: datetime, at: datetime | None, quiet: QuietHours | None,
                    ) -> tuple[list[dict[str, Any]], Counter[str], Overrun]:
        """Who gets the text, each with their own text, cost and earliest time; who is left out, and why."""
        services = self.api.ctx.services
        sms = campaign.sms
        assert sms is not None
        members = services.members(campaign.to.list, campaign.to.segment) if services else \
            [c for c in client.audience.contacts if campaign.to.list in c.lists]
        refused = refused_numbers([*client.audience.contacts, *members])
        recipients: list[dict[str, Any]] = []
        excluded: Counter[str] = Counter()
        overrun = Overrun(sms.max_segments, sms.body)
        seen: set[str] = set()
        for contact in members:
            phone = contact.phone
            if not phone or not phone.startswith("+"):
                excluded["no phone"] += 1
            elif contact.consent.sms != ConsentStatus.SUBSCRIBED:
                excluded["no SMS consent"] += 1
            elif phone in refused:
                excluded["no SMS consent from another contact with the same number"] += 1
            elif phone in opted_out:
                excluded["opted out"] += 1
            elif phone in seen:
                excluded["same phone twice"] += 1
            else:
                seen.add(phone)
                values = recipient_values(contact)
                text = render(sms.body, values)
                count = count_segments(text)
                if len(text) > MAX_CHARACTERS:
                    excluded[f"over {MAX_CHARACTERS:,} characters once personalised (Twilio refuses it)"] += 1
                elif not overrun.add(count, values.values()):
                    due = not_before(at, now, contact.timezone or client.timezone, quiet)
                    # what this recipient gets: a change to it replaces a text already scheduled
                    recipients.append({"to": phone, "body": text, "segments": count.segments,
                                       "not_before": due.strftime(ISO), "fp": fingerprint({**payload, "body": text})})
        return recipients, excluded, overrun

    def outstanding(self, want: Desired, record: Any) -> str | None:
        work = self._work(want, self._ledger(want.id), self._optouts()).describe()
        if work is None and record.fingerprint != want.fingerprint and want.details["gone_out"]:
            return "it went out already: the edit changes no text"
        return work

    def _optouts(self) -> dict[str, str]:
        services = self.api.ctx.services
        return {**(services.optouts() if services else {}), **self.api.inbound_stops()}

    def _work(self, want: Desired, ledger: dict[str, Delivery], optouts: Iterable[str]) -> Work:
        now = self.api.ctx.clock.utcnow()
        # a held text is due once Twilio can schedule it (inside its window), or when its time has come
        horizon = now + (SCHEDULE_MAX if self.api.can_schedule else timedelta(0))
        return plan_work(want.details["recipients"], ledger, optouts, now, horizon, want.fingerprint)

    # -- applying -------------------------------------------------------------------------------------
    def create(self, want: Desired, refs: References) -> str:
        return self._send(want)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        return self._send(want)

    def _ledger(self, campaign: str) -> dict[str, Delivery]:
        services = self.api.ctx.services
        if services is None:
            return {}
        return services.ledger(self.api.ctx.account).deliveries(campaign)

    def _send(self, want: Desired) -> str:
        services = self.api.ctx.services
        if services is None:
            raise ProviderError("SMS campaigns need hub's state (run them through hub plan/apply)",
                                provider=self.api.name)
        account_ledger = services.ledger(self.api.ctx.account)
        self.take_stops()  # inbound STOPs since the plan: recorded, written back, their texts canceled
        optouts = services.optouts()
        ledger = self._reconcile(want, account_ledger.deliveries(want.id), optouts)
        work = self._work(want, ledger, optouts)
        now = self.api.ctx.clock.utcnow()
        wanted = [r for r in want.details["recipients"] if r["to"] not in optouts]
        before = progress(wanted, ledger, now, want.fingerprint)
        # the audience is fixed when the campaign goes out: everyone is noted before anyone is texted, so that
        # those an interrupted apply did not reach yet are never mistaken for late joiners
        account_ledger.record(want.id, [
            (r["to"], "planned", "", r["fp"], r["not_before"], "") for r in work.send
            if r["to"] not in ledger or ledger[r["to"]].status == "canceled"])
        outcome: Counter[str] = Counter()
        lock = threading.Lock()
        problems: list[str] = []

        def tally(status: str, problem: str = "") -> None:
            with lock:
                outcome[status] += 1
                if problem:
                    problems.append(problem)

        skipped: list[Callable[[], None]] = []
        timings: dict[str, Timing] = {}  # by `not_before`: most recipients share one

        def timing_of(at: str) -> Timing:
            found = timings.get(at)
            if found is None:
                found = timings[at] = timing(datetime.fromisoformat(at.replace("Z", "+00:00")), now,
                                             can_schedule=self.api.can_schedule)
            return found

        def some(rs: list[dict[str, Any]]) -> None:
            """Texts sent one after another and journalled together: each `pending` in one transaction before the
            first goes (a crash leaves them for `_reconcile`, which asks Twilio), the outcomes in one after."""
            timed = [(r, timing_of(r["not_before"])) for r in rs]
            going = [(r, when) for r, when in timed if when.mode != "hold"]
            # the text as rendered now is what `hub run` sends when it is due
            account_ledger.record(want.id, [
                *((r["to"], "held", "", r["fp"], when.iso, HELD_TEXT + r["body"]) for r, when in timed
                  if when.mode == "hold"),
                *((r["to"], "pending", "", r["fp"], when.iso, "") for r, when in going)])
            for _ in range(len(timed) - len(going)):
                tally("held")
            settled: list[DeliveryRow] = []
            tried = 0
            try:
                for r, when in going:
                    if services.stop.is_set():
                        break
                    tried += 1
                    status, sid, detail = self._create(r, when, want)
                    settled.append((r["to"], status, sid, r["fp"], when.iso, detail))
                    if status == "opted_out":
                        services.record_optout(r["to"], "21610")
                    tally(status, f"{r['to']}: {detail}" if status == "retry" else "")
            finally:  # a text whose call raised stays pending (it may have gone); those not tried are planned again
                rest = [r for r, _ in going[tried:]]
                settled += [(r["to"], "planned", "", r["fp"], r["not_before"], "") for r in rest]
                account_ledger.record(want.id, settled)
                if rest and services.stop.is_set():
                    with lock:
                        skipped.append(partial(some, rest))

        def cancel(row: Delivery, final: str, detail: str) -> bool:
            try:
                status = cancel_text(self.api, want.id, row, final, detail)
            except HubError as exc:
                tally("not canceled yet", f"{row.recipient}: its scheduled text could not be canceled ({exc})")
                return False
            if status == "scheduled":
                tally("not canceled yet", f"{row.recipient}: Twilio did not take the cancel of its scheduled text")
            elif status != final:
                tally("sent before it could be canceled")
            return status == final

        def drop(row: Delivery, why: str) -> None:
            if cancel(row, "opted_out" if why == OPTED_OUT else "canceled", f"canceled: {why}"):
                tally("canceled")

        def replace(r: dict[str, Any], row: Delivery) -> None:
            if cancel(row, "canceled", "canceled: replaced by the text as now written"):
                tally("replaced")
                some([r])

        jobs: list[Callable[[], None]] = [*(partial(drop, row, why) for row, why in work.cancel),
                                          *(partial(replace, r, row) for r, row in work.replace),
                                          *(partial(some, work.send[i:i + JOURNAL_CHUNK])
                                            for i in range(0, len(work.send), JOURNAL_CHUNK))]

        def run(job: Callable[[], None]) -> None:
            if services.stop.is_set():
                with lock:
                    skipped.append(job)
            else:
                job()

        workers = max(1, self.api.limits.max_concurrency)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, jobs))
        # what became of earlier applies' texts (delivered, failed, canceled at Twilio: the next plan sends a canceled
        # one again); this apply's own are still on their way (reading 50,000 of them back took a sixth of the apply)
        self.sync_statuses(want.id, sids={d.message_id for d in ledger.values() if d.message_id})
        want.details.setdefault("record", {}).update(self._holding(want.id, account_ledger.deliveries(want.id),
                                                                   want.payload.get("media") or []))
        summary = ", ".join(f"{n} {k}" for k, n in sorted(outcome.items())) or "nothing left to send"
        if before.sent or before.scheduled:
            summary += f"; {before.sent + before.scheduled} had theirs from an earlier apply"
        if skipped:  # stopped before all was done (a stop after the last job leaves nothing to continue)
            after = progress(wanted, account_ledger.deliveries(want.id), now, want.fingerprint)
            raise ProviderError(f"interrupted after {summary}; {after.headline()}: apply again to continue",
                                provider=self.api.name)
        if problems:
            raise ProviderError(f"{len(problems)} text(s) not sent or canceled as planned ({summary}); apply again"
                                " to retry: " + "; ".join(problems[:5]), provider=self.api.name)
        return summary

    # -- texts held beyond Twilio's window, sent by `hub run` when due (the mechanism Bluesky posts use too) ------
    def _holding(self, campaign: str, ledger: dict[str, Delivery], media: list[str]) -> dict[str, Any]:
        """The record's part about held texts: when the first can go to Twilio (`held_until`), or nothing held."""
        held = [row.send_at for row in ledger.values() if row.status == "held" and row.detail.startswith(HELD_TEXT)]
        if not held:
            return {"held_until": None}
        window = SCHEDULE_MAX if self.api.can_schedule else timedelta(0)
        due = datetime.fromisoformat(min(held).replace("Z", "+00:00")) - window
        return {"held_until": due.strftime(ISO), "campaign": campaign, "media": media}

    def release_due(self, vendor_id: str, data: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any]] | None:
        """Send the held texts whose time has come into Twilio's window, each exactly once (a ledger row written
        before Twilio is asked, as apply does; a row left "pending" by a crash is settled by the next apply)."""
        services = self.api.ctx.services
        campaign = data.get("campaign")
        due = data.get("held_until")
        if services is None or not campaign or not due or str(due) > now.strftime(ISO):
            return None
        ledger = services.ledger(self.api.ctx.account)
        optouts = self._optouts()
        media = list(data.get("media") or [])
        for row in ledger.deliveries(str(campaign)).values():
            if row.status != "held" or not row.detail.startswith(HELD_TEXT):
                continue
            if row.recipient in optouts:
                ledger.record(campaign, [(row.recipient, "opted_out", "", row.fingerprint, row.send_at,
                                          f"canceled: {OPTED_OUT}")])
                continue
            when = timing(datetime.fromisoformat(row.send_at.replace("Z", "+00:00")), now,
                          can_schedule=self.api.can_schedule)
            if when.mode == "hold":
                continue
            body = row.detail.removeprefix(HELD_TEXT)
            ledger.record(campaign, [(row.recipient, "pending", "", row.fingerprint, when.iso, "")])
            status, sid, detail = self.api.send_text(row.recipient, body, media,
                                                     when.iso if when.mode == "schedule" else None,
                                                     segments=count_segments(body).segments)
            ledger.record(campaign, [(row.recipient, status, sid, row.fingerprint, when.iso, detail)])
            if status == "opted_out":
                services.record_optout(row.recipient, "21610")
        return vendor_id, {**data, **self._holding(str(campaign), ledger.deliveries(str(campaign)), media)}

    def _create(self, r: dict[str, Any], when: Any, want: Desired) -> tuple[str, str, str]:
        send_at = when.iso if when.mode == "schedule" else None
        return self.api.send_text(r["to"], r["body"], want.payload.get("media") or [], send_at,
                                  segments=r["segments"])

    def _reconcile(self, want: Desired, ledger: dict[str, Delivery], optouts: Iterable[str]) -> dict[str, Delivery]:
        """Settle rows journalled before a crash: the vendor says whether each text went, or was canceled."""
        services = self.api.ctx.services
        assert services is not None
        optouts = set(optouts)
        by_phone = {r["to"]: r for r in want.details["recipients"]}
        fixes = []
        for phone, row in ledger.items():
            if row.status == "canceling":
                final = "opted_out" if phone in optouts else "canceled"
                fixes.append(settled_cancel(row, self.api.message_status(row.message_id), final,
                                            "reconciled: " + row.detail))
            if row.status != "pending":
                continue
            body = by_phone.get(phone, {}).get("body")
            since = datetime.fromisoformat(row.created_at.replace("Z", "+00:00"))
            found = self.api.find_message(phone, body, since) if body else None
            if found is not None:
                fixes.append((phone, found[1], found[0], row.fingerprint, row.send_at, "reconciled: found"))
            else:
                fixes.append((phone, "retry", "", row.fingerprint, row.send_at, "reconciled: not sent"))
        if fixes:
            services.ledger(self.api.ctx.account).record(want.id, fixes)
            ledger = services.ledger(self.api.ctx.account).deliveries(want.id)
        return ledger

    # -- what the ledger learns from Twilio -------------------------------------------------------------
    def take_stops(self) -> None:
        """Record inbound STOPs in hub and write them back to the contact source (apply only)."""
        services = self.ctx.services
        if services is None:
            return
        for phone, why in self.api.inbound_stops(refresh=True).items():  # STOPs since the plan count too
            services.record_optout(phone, why)
        self.cancel_opted_out()

    def cancel_opted_out(self) -> None:
        """Cancel every text still scheduled (or held) for a number that opted out, in each campaign of hub's
        ledger, including campaigns no longer in the workspace."""
        services = self.ctx.services
        if services is None:
            return
        optouts = services.optouts()
        now = self.ctx.clock.utcnow().strftime(ISO)
        for campaign, rows in services.ledger(self.ctx.account).deliveries_in(("scheduled", "held")).items():
            for row in rows:
                if row.recipient not in optouts or (row.status == "scheduled" and row.send_at <= now):
                    continue
                try:
                    cancel_text(self.api, campaign, row, "opted_out", "canceled: the recipient opted out")
                except HubError as exc:  # the row stays "canceling": the next apply asks Twilio again
                    log.warning("could not cancel a text of %s scheduled for an opted-out number: %s", campaign, exc)

    def sync_statuses(self, campaign: str, *, sids: Collection[str] | None = None) -> None:
        """Record the vendor's latest status of each text of a campaign (for reports, and the next plan), or of
        those among `sids`."""
        services = self.ctx.services
        if services is None:
            return
        ledger = services.ledger(self.ctx.account).deliveries(campaign)
        open_rows = {d.message_id: d for d in ledger.values() if d.message_id and d.status in ("sent", "scheduled")
                     and (sids is None or d.message_id in sids)}
        if not open_rows:
            return
        oldest = min(datetime.fromisoformat(d.created_at.replace("Z", "+00:00")) for d in open_rows.values())
        messages = self.api("GET", "Messages.json", lambda c: list(c.messages.stream(
            date_sent_after=oldest - timedelta(days=1), page_size=PAGE)))
        updates = []
        for msg in messages:
            row = open_rows.get(str(msg.sid))
            if row is not None and str(msg.status) in ("delivered", "undelivered", "failed", "canceled"):
                updates.append((row.recipient, str(msg.status), row.message_id, row.fingerprint, row.send_at,
                                f"error {msg.error_code}" if msg.error_code else ""))
        if updates:
            services.ledger(self.ctx.account).record(campaign, updates)

    # -- results (`hub report`) ------------------------------------------------------------------------
    def read_results(self, sent: Sequence[Sent], refs: References) -> list[Result]:
        """The texts of campaigns and runner steps alike, by their ledger names: which texts and to whom from hub's
        delivery ledger; how each ended, its price and the recipients' replies from one listing of the account's
        messages since the first was sent (1,000 a page: it holds the texts and the replies alike); a text that
        listing cannot show (never sent: Twilio dates only what it sent) is fetched by its SID when there are a
        handful, else counted as the ledger last recorded it (not settled)."""
        services = self.ctx.services
        if services is None:
            raise ProviderError("SMS results need hub's delivery ledger (run them through hub)", provider=self.api.name)
        ledger = services.ledger(self.ctx.account)
        rows = {s.vendor_id: list(ledger.deliveries(s.vendor_id).values()) for s in sent}
        sids = {r.message_id for rs in rows.values() for r in rs if r.message_id}
        since = min((t for rs in rows.values() for r in rs if r.message_id
                     and (t := reporting.text_time(r, None)) is not None), default=None)
        messages, inbound = self._messages(sids, since)
        numbers = {r.recipient for rs in rows.values() for r in rs}
        texts = {name: [(r.recipient, t) for r in rs if r.message_id
                        and (t := reporting.text_time(r, messages.get(r.message_id))) is not None]
                 for name, rs in rows.items()}
        answered = reporting.replies(texts, [m for m in inbound if m.sender in numbers], self.reply_window)
        now = self.ctx.clock.utcnow()
        return [reporting.result(s, rows[s.vendor_id], messages, *answered[s.vendor_id], now, self.reply_window)
                for s in sent]

    def _messages(self, sids: set[str], since: datetime | None) -> tuple[dict[str, reporting.Message],
                                                                          list[reporting.Message]]:
        """The texts `sids` as Twilio shows them now, and the inbound messages since `since`."""
        if not sids or since is None:
            return {}, []
        listed = [_message(m) for m in self.api("GET", "Messages.json", lambda c: list(c.messages.stream(
            date_sent_after=since - timedelta(days=1), page_size=PAGE)))]
        found = {m.sid: m for m in listed if m.sid in sids}
        missing = sids - found.keys()
        if len(missing) <= BY_SID_MAX:
            for sid in sorted(missing):
                with contextlib.suppress(NotFound):  # deleted at Twilio (its ledger row still counts)
                    found[sid] = _message(self.api("GET", f"Messages/{sid}.json",
                                                   lambda c, i=sid: c.messages(i).fetch()))
        return found, [m for m in listed if m.inbound]


BY_SID_MAX = 5  # texts the dated listing misses (never sent) fetched one by one; more stay as the ledger has them


def _message(msg: Any) -> reporting.Message:
    """The SDK's MessageInstance as `reporting.Message` (its attributes under the JSON's names)."""
    return reporting.message({"sid": msg.sid, "direction": msg.direction, "from": msg.from_, "to": msg.to,
                              "body": msg.body, "status": msg.status, "price": msg.price,
                              "price_unit": msg.price_unit, "error_code": msg.error_code,
                              "date_sent": msg.date_sent, "date_created": msg.date_created})
