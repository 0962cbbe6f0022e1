"""Executing a plan: journal before each vendor write, settle after, in dependency order.

Accounts run concurrently (different vendor accounts do not share limits); within one account the
changes of one kind run on a small pool bounded by the account's connection limit, kinds one after the
other (lists before the contacts that join them, before the campaigns that send to them). Deletions run
last, in reverse order. Ctrl-C stops starting new work; what is in flight settles; the rest is left for
the next run.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from ..errors import AmbiguousWrite, HubError, Interrupted, OutcomeUnknown, without_source
from ..provider import Desired, ItemResult, References, Resource
from ..state import StateStore
from ..state.store import JournalEntry, Settlement
from ..work_slots import WorkSlots
from .accounts import Account
from .plan import MAX_PARALLEL_ACCOUNTS, Change, Plan, build_refs

UNITS_AHEAD_PER = 4  # connections per extra unit in progress (10 connections: 12 units)
THREADS_PER_SLOT = 3  # units begun per unit in progress, the others waiting (on the clock, or on another unit)

CREATE_ATTEMPTS = 3  # creates whose answers were lost and that the vendor shows did not happen


@dataclass
class ApplyReport:
    run_id: str
    changes: list[Change]
    interrupted: bool = False
    failed: list[Change] = field(default_factory=list)
    unknown: list[Change] = field(default_factory=list)  # may or may not have happened: the user settles them


Progress = Callable[[int], None]


class _Unasked(HubError):
    """A write's answer was lost and the vendor could not be asked whether it happened."""


class Applier:
    def __init__(self, state: StateStore, accounts: Sequence[Account], *, prune: bool,
                 progress: Progress | None = None, stop: threading.Event | None = None) -> None:
        self.state = state
        self.accounts = {a.key: a for a in accounts}
        self.prune = prune
        self.progress = progress or (lambda n: None)
        self.stop = stop or threading.Event()  # shared with providers doing long work (an SMS fan-out)
        self.run_id = uuid.uuid4().hex[:12]

    # -- reconcile -------------------------------------------------------------------------------
    def reconcile(self) -> int:
        """Settle journal entries left pending by a crash: ask the vendor whether each write happened."""
        settled: list[Settlement] = []
        refs: dict[tuple[str, str], References] = {}
        for entry in self.state.pending():
            acc = self.accounts.get((entry.client, entry.account))
            if acc is None:
                continue
            if acc.key not in refs:
                refs[acc.key] = build_refs(self.state, acc)
            try:
                res = acc.provider.resource(entry.kind)
            except HubError:
                settled.append(Settlement(entry.id, "absent", error="provider no longer handles this kind"))
                continue
            settled.append(self._reconciled(res, entry, refs[acc.key]))
        self.state.settle(settled)
        return len(settled) + self._confirm()

    @staticmethod
    def _reconciled(res: Resource, entry: JournalEntry, refs: References) -> Settlement:
        if entry.op == "delete":
            live = res.lookup(entry.natural_key, refs) if res.live_read else None
            return Settlement(entry.id, "ok" if live is None else "absent", entry.vendor_id, error="reconciled")
        if res.live_read:
            live = res.lookup(entry.natural_key, refs)
            if live is None and entry.vendor_id:
                return Settlement(entry.id, "absent", error="reconciled: made, then gone from the vendor")
            if live is None:
                return Settlement(entry.id, "absent", error="reconciled: not in vendor")
            if entry.op == "update" or (res.multi_step and entry.op == "create"):
                # it exists, but whether its later steps (or the update) happened is not known: finished next time
                return Settlement(entry.id, "unfinished", live.vendor_id,
                                  error="interrupted before it was finished; hub finishes it")
            return Settlement(entry.id, "ok", live.vendor_id, error="reconciled: found in vendor")
        if res.unknown_outcome == "ask":  # settled by the next plan, which knows what was being written
            return Settlement(entry.id, "unknown", error="interrupted before the vendor answered")
        # idempotent writes: the next plan sends them again if they did not land
        return Settlement(entry.id, "absent", error="reconciled: outcome unknown, will resend")

    def _confirm(self) -> int:
        """Ask the vendors how writes they accepted asynchronously ended; a failed one is forgotten, so
        that the plan sends it again."""
        done = 0
        for acc in self.accounts.values():
            for res in acc.provider.resources:
                records = [r for r in self.state.items_with(("confirm",), acc.client.name, acc.name, res.kind)
                           if r.data["confirm"]]
                if not records:
                    continue
                pending: dict[str, list[str]] = {}
                for r in records:
                    pending.setdefault(r.data["confirm"], []).append(r.neutral_id)
                try:
                    outcome = res.confirm(pending, build_refs(self.state, acc))
                except HubError:
                    continue  # the vendor is not answering: ask again next time
                by_id = {r.neutral_id: r for r in records}
                for neutral_id, result in outcome.items():
                    rec = by_id.get(neutral_id)
                    if rec is None:
                        continue
                    if result.ok:
                        data = {k: v for k, v in rec.data.items() if k != "confirm"}
                        self.state.confirm_item(rec.client, rec.account, rec.kind, rec.neutral_id,
                                                result.vendor_id or rec.vendor_id, data)
                    else:
                        self.state.forget(rec.client, rec.account, rec.kind, rec.neutral_id)
                    done += 1
        return done

    # -- apply -----------------------------------------------------------------------------------
    def apply(self, plan: Plan) -> ApplyReport:
        self.stop.clear()
        report = ApplyReport(self.run_id, plan.changes)
        by_account: dict[tuple[str, str], list[Change]] = {}
        for change in plan.changes:
            by_account.setdefault((change.client, change.account), []).append(change)
        for change in plan.changes:
            if change.action == "delete" and not self.prune and not change.details.get("vendor_gone"):
                change.result, change.error = "skipped", "deletion needs --prune"
            elif not (change.writes or change.adopt):
                change.result = "ok" if change.action == "noop" else "skipped"
        work = [(self.accounts[key], changes) for key, changes in by_account.items() if key in self.accounts]
        with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_ACCOUNTS, len(work)))) as pool:
            futures = [pool.submit(self._apply_account, acc, changes) for acc, changes in work]
            try:
                for f in futures:
                    f.result()
            except KeyboardInterrupt:
                self.stop.set()
                for f in futures:
                    f.result()
        report.interrupted = self.stop.is_set()
        for change in plan.changes:
            if not change.result:
                change.result = "skipped"
                change.error = change.error or ("interrupted" if report.interrupted else "not run")
        report.failed = [c for c in plan.changes if c.result == "failed"]
        report.unknown = [c for c in plan.changes if c.result == "unknown"]
        if report.interrupted:
            raise Interrupted("interrupted: finished writes are recorded; run apply again to continue")
        return report

    def _apply_account(self, acc: Account, changes: list[Change]) -> None:
        refs = build_refs(self.state, acc)
        pending = [c for c in changes if not c.result]
        upserts = [c for c in pending if c.action != "delete"]
        deletes = [c for c in pending if c.action == "delete"]
        for res in acc.provider.resources:
            self._run_kind(acc, res, [c for c in upserts if c.kind == res.kind], refs)
        for res in reversed(acc.provider.resources):
            self._run_kind(acc, res, [c for c in deletes if c.kind == res.kind], refs)

    def _run_kind(self, acc: Account, res: Resource, changes: list[Change], refs: References) -> None:
        if not changes:
            return
        for c in changes:
            if not c.writes:
                self._adopt(c, refs)
        writes = [c for c in changes if c.writes]
        units: list[Callable[[], None]] = []
        singles = writes
        if res.batch_size:  # creates and updates go in chunks of one action (a vendor may take each its own way,
            # under its own limits); deletions one by one
            singles = [c for c in writes if c.action == "delete"]
            for action in ("create", "update"):
                batched = [c for c in writes if c.action == action]
                units += [partial(self._batch, acc, res, batched[i:i + res.batch_size], refs)
                          for i in range(0, len(batched), res.batch_size)]
        units += [partial(self._one, acc, res, c, refs) for c in singles]
        # a few more units than connections: while some wait on the vendor, others journal, build and settle theirs
        # (the account's gate keeps the requests in flight within the vendor's connection limit); and more threads
        # than that, for units that give their slot away while they wait (a retry, a vendor's batch job)
        connections = acc.provider.api.limits.max_concurrency
        running = connections + max(1, connections // UNITS_AHEAD_PER)
        WorkSlots(running, running * THREADS_PER_SLOT).run_all(partial(self._guarded, u) for u in units)

    def _guarded(self, unit: Callable[[], None]) -> None:
        if not self.stop.is_set():
            unit()

    # -- one change -------------------------------------------------------------------------------
    def _adopt(self, c: Change, refs: References) -> None:
        self.state.record(self.run_id, c.client, c.account, c.provider, c.kind, c.id, c.natural_key, c.fingerprint,
                          c.vendor_id, c.details.get("record"))
        refs.add(c.kind, c.id, c.vendor_id)
        c.result = "ok"

    def _one(self, acc: Account, res: Resource, c: Change, refs: References) -> None:
        [jid] = self.state.begin(self.run_id, c.client, c.account, c.provider, c.kind,
                                 [(c.id, c.action, c.natural_key, c.fingerprint)])
        want = c.desired()
        try:
            if c.action == "create":
                vendor_id = self._create(res, want, refs, jid, c)
            elif c.action == "update":
                vendor_id = res.update(c.vendor_id, want, None, refs)
            else:
                if not c.details.get("vendor_gone"):
                    res.delete(c.vendor_id, refs)
                vendor_id = c.vendor_id
        except HubError as exc:
            self.state.settle([self._not_done(res, c, exc, jid)])
            self.progress(1)
            return
        c.result, c.vendor_id = "ok", vendor_id
        refs.add(c.kind, c.id, vendor_id)
        self.state.settle([Settlement(jid, "ok", vendor_id, data=c.details.get("record"))])
        self.progress(1)

    @staticmethod
    def _not_done(res: Resource, c: Change, exc: HubError, jid: int) -> Settlement:
        """How a write that raised ends: unknown (asked again by the next plan, or settled by the user),
        unfinished (it exists at the vendor, not as planned: finished next time, never taken for drift), or
        failed."""
        record = c.details.get("record")
        if isinstance(exc, _Unasked):
            c.result, c.error = "failed", without_source(exc)
            return Settlement(jid, "unknown", c.vendor_id, error=without_source(exc), data=record)
        if isinstance(exc, OutcomeUnknown):
            c.result = "unknown"
            c.error = (f"{exc.message}: check in the vendor, then `hub resolve {c.client} {c.kind}:{c.id} --done`"
                       " if it happened, or `--retry` to make it again")
            return Settlement(jid, "unknown", error=exc.message, data=record)
        c.result, c.error = "failed", without_source(exc)
        exists = res.live_read and c.action != "delete" and bool(c.vendor_id)
        return Settlement(jid, "unfinished" if exists else "failed", c.vendor_id, error=without_source(exc))

    def _create(self, res: Resource, want: Desired, refs: References, jid: int, c: Change) -> str:
        lost: AmbiguousWrite | None = None
        for _ in range(CREATE_ATTEMPTS):
            sent = res.ctx.clock.utcnow()
            try:
                vendor_id = res.create(want, refs)
            except AmbiguousWrite as exc:
                # the vendor may have done it: ask before doing it again, so that nothing exists twice
                try:
                    found = res.find_write(want, refs, since=sent)
                except OutcomeUnknown:
                    raise
                except HubError as why:
                    raise _Unasked(f"{exc}; asking {res.api.display_name} whether it"
                                   f" happened failed too ({why}): the next apply asks again first") from None
                if found is None:
                    lost = exc
                    continue
                self._made(jid, c, found)
                return res.update(found, want, None, refs) if res.multi_step else found
            self._made(jid, c, vendor_id)
            if res.multi_step:
                try:
                    res.finish(vendor_id, want, refs)
                except AmbiguousWrite:  # a later step's answer was lost: bring the item where it should be
                    return res.update(vendor_id, want, None, refs)
            return vendor_id
        assert lost is not None
        raise lost

    def _made(self, jid: int, c: Change, vendor_id: str) -> None:
        self.state.progress(jid, vendor_id)
        c.vendor_id = vendor_id

    def _batch(self, acc: Account, res: Resource, chunk: list[Change], refs: References) -> None:
        jids = self.state.begin(self.run_id, acc.client.name, acc.name, acc.provider.name, res.kind,
                                [(c.id, c.action, c.natural_key, c.fingerprint) for c in chunk])
        try:
            results = res.apply_batch([c.desired() for c in chunk], refs)
        except HubError as exc:
            results = [ItemResult(c.id, False, error=without_source(exc)) for c in chunk]
        by_id = {r.id: r for r in results}
        settlements = []
        for jid, c in zip(jids, chunk, strict=True):
            r = by_id.get(c.id) or ItemResult(c.id, False, error="no result from the vendor")
            if r.ok:
                c.result = "ok"
                if not c.many:  # (of many alike, the state keeps it and no output shows it: 50,000 ids were 4 MB)
                    c.vendor_id = r.vendor_id
                if r.note or r.incomplete:
                    c.details["note"] = "; ".join(x for x in (r.note, r.incomplete) if x)
                data = r.record if r.record is not None else c.details.get("record") or {}
                if r.confirm or r.incomplete:
                    data = dict(data)  # (records are shared by contacts alike)
                    if r.confirm:
                        data["confirm"] = r.confirm
                    if r.incomplete:  # recorded as written, so that the next plan writes the rest
                        data["incomplete"] = r.incomplete
                settlements.append(Settlement(jid, "ok", r.vendor_id, data=data,
                                              fingerprint="" if r.incomplete else None))
            else:
                c.result, c.error = "failed", r.error
                settlements.append(Settlement(jid, "failed", error=r.error))
        self.state.settle(settlements)
        self.progress(len(chunk))

