"""`hub report sync`: ask each vendor for the results of what hub sent, and keep them in hub's state.

What hub sent, per account, as `Sent`s: the campaigns and posts it applied (state items of every kind whose
resource `reports` something, once their send time has passed), the email step batches its runner sent (one vendor
campaign each, `step_sends`) and the texts of its SMS steps (one delivery-ledger name per step and pass). Anything
already settled is never asked about again. Each resource is asked once, with all of its `Sent`s, so that the
provider reads in the fewest requests; accounts are read concurrently, as a plan reads them, and one account's
trouble never stops the others: it is named, and the command's exit code says what kind of trouble it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..clock import Clock
from ..errors import AuthError, ConfigError, ExitCode, HubError, NotSupported, without_source
from ..model import Channel
from ..provider import Capability, Resource
from ..state import StateStore
from ..state.results import FigureRow, ReportTables, SourceRow
from ..state.store import ItemRecord
from ..sync.accounts import Account
from ..sync.plan import MAX_PARALLEL_ACCOUNTS, build_refs  # as many accounts at once as a plan reads
from .figures import AMOUNTS, Result, Sent

STEP_TEXTS = "auto:"  # the runner's ledger names of SMS steps: auto:<automation>/<step>#<pass> (hub.runner.engine)
CHANNELS = {Capability.EMAIL_CAMPAIGNS: Channel.EMAIL, Capability.SMS_CAMPAIGNS: Channel.SMS,
            Capability.SOCIAL: Channel.SOCIAL}
KINDS = {Capability.SOCIAL: "post"}  # Sent.kind of items each capability applied; "campaign" otherwise


@dataclass
class AccountSync:
    """What one account's read did."""

    client: str
    account: str
    provider: str
    read: int = 0  # sent things asked about
    results: int = 0  # results stored (one per sent thing and day)
    settled: int = 0  # sent things whose figures settled with this read (never read again)
    skipped: int = 0  # sent things settled earlier, not asked about
    missing: int = 0  # sent things the vendor gave nothing for (it no longer knows them)
    failures: list[dict[str, str]] = field(default_factory=list)  # {"kind", "error"} per resource that failed
    exit_code: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"client": self.client, "account": self.account, "provider": self.provider, "read": self.read,
                "results": self.results, "settled": self.settled, "skipped_settled": self.skipped,
                "missing": self.missing, "failures": self.failures}

    def line(self) -> str:
        text = f"{self.client}/{self.account} ({self.provider}): {self.read} sent item(s) read, {self.results}" \
               f" result(s) stored, {self.settled} settled"
        if self.skipped:
            text += f", {self.skipped} settled earlier (not read again)"
        if self.missing:
            text += f", {self.missing} unknown to the vendor"
        return text


def channel_of(resource: Resource) -> str:
    channel = CHANNELS.get(resource.capability)
    if channel is None:  # a plugin's own kind that reports: its provider's one channel, if it has only one
        channels = sorted(resource.api.vendor.channels)
        channel = channels[0] if len(channels) == 1 else Channel.EMAIL
    return channel.value


def _stamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def sent_item(resource: Resource, rec: ItemRecord, now: datetime) -> Sent | None:
    """The `Sent` for one applied item, or None while it has not gone out (a draft, a send time still ahead, a post
    held by hub without its vendor id yet)."""
    texts = resource.capability == Capability.SMS_CAMPAIGNS
    vendor_id = rec.neutral_id if texts else rec.vendor_id  # texts: the delivery ledger's name is the campaign id
    if not vendor_id:
        return None
    sent_at = _stamp(rec.applied_at)
    if "send_at" in rec.data:  # kinds that record a send time: draft (None), "now", or a time
        when = rec.data["send_at"]
        if when is None:
            return None
        if when != "now":
            sent_at = _stamp(str(when))
            if sent_at is None or sent_at > now:
                return None
    return Sent(KINDS.get(resource.capability, "campaign"), rec.neutral_id, rec.natural_key or rec.neutral_id,
                channel_of(resource), vendor_id, sent_at, rec.data)


def sent_by(account: Account, state: StateStore, tables: ReportTables, now: datetime,
            settled: set[str]) -> tuple[dict[int, tuple[Resource, list[Sent]]], int]:
    """What hub sent through `account` and is not settled, per resource that reports (keyed by its position in
    the provider's resources), and how many settled ones were left out."""
    out: dict[int, tuple[Resource, list[Sent]]] = {}
    skipped = 0

    def add(index: int, res: Resource, sent: Sent) -> None:
        nonlocal skipped
        if sent.vendor_id in settled:
            skipped += 1
            return
        out.setdefault(index, (res, []))[1].append(sent)

    reporting = [(i, r) for i, r in enumerate(account.provider.resources) if r.reports]
    client = account.client.name
    for index, res in reporting:
        for rec in state.items(client, account.name, res.kind):  # (not the account's tens of thousands of contacts)
            sent = sent_item(res, rec, now)
            if sent is not None:
                add(index, res, sent)
    email = next(((i, r) for i, r in reporting if r.capability == Capability.EMAIL_CAMPAIGNS), None)
    if email is not None:
        for b in tables.step_batches(client, account.name):
            add(*email, Sent("step", f"{b.automation}/{b.step}", f"{b.automation}/{b.step}", Channel.EMAIL.value,
                             b.vendor_id, _stamp(b.sent_at), {"batch": b.batch}))
    texts = next(((i, r) for i, r in reporting if r.capability == Capability.SMS_CAMPAIGNS), None)
    if texts is not None:
        for c in tables.ledger_campaigns(client, account.name, STEP_TEXTS):
            step = c.name.removeprefix(STEP_TEXTS).split("#", 1)[0]
            add(*texts, Sent("step", step, step, Channel.SMS.value, c.name, _stamp(c.first_at), {"texts": c.texts}))
    return out, skipped


def store_results(tables: ReportTables, account: Account, res: Resource, asked: Sequence[Sent],
                  results: Iterable[Result]) -> tuple[int, int, int]:
    """Keep what one read gave: (results stored, sent things settled, sent things the vendor gave nothing for)."""
    by_id = {s.vendor_id: s for s in asked}
    answered: dict[str, list[Result]] = {}
    for r in results:
        if r.sent.vendor_id in by_id:  # anything else was not asked about: not ours to keep
            answered.setdefault(r.sent.vendor_id, []).append(r)
    declared = {m.value: f for m, f in res.reports.items()}
    amounts = {m.value for m in AMOUNTS}
    stored = settled = 0
    client, provider = account.client.name, account.provider.name
    for vendor_id, rs in answered.items():
        sent = by_id[vendor_id]
        figures = [FigureRow(client, account.name, provider, sent.channel, sent.kind, sent.item, vendor_id,
                             r.day.isoformat(), metric.value, float(value), r.currency if metric.value in amounts
                             else "", res.reports.get(metric, ""))
                   for r in rs for metric, value in r.figures.items()]
        done = all(r.settled for r in rs)
        source = SourceRow(client, account.name, provider, sent.channel, sent.kind, sent.item, sent.name, vendor_id,
                           sent.sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if sent.sent_at else "",
                           declared, done)
        tables.replace(source, figures)
        stored += len(rs)
        settled += done
    return stored, settled, len(by_id) - len(answered)


def sync_account(account: Account, state: StateStore, tables: ReportTables, now: datetime) -> AccountSync:
    out = AccountSync(account.client.name, account.name, account.provider.name)
    work, out.skipped = sent_by(account, state, tables, now, tables.settled(account.client.name, account.name))
    refs = build_refs(state, account) if work else None
    for _, (res, sents) in sorted(work.items()):
        assert refs is not None
        try:
            results = res.read_results(sents, refs)
        except ConfigError:
            raise
        except HubError as exc:  # this resource's read failed: the account's others, and the other accounts, go on
            out.failures.append({"kind": res.kind, "error": without_source(exc)})
            out.exit_code = max(out.exit_code, exit_code_of(exc))
            continue
        out.read += len(sents)
        stored, settled, missing = store_results(tables, account, res, sents, results)
        out.results += stored
        out.settled += settled
        out.missing += missing
    return out


def exit_code_of(exc: HubError) -> int:
    # refused credentials, or a plugin that declares figures it cannot read, fail this account only (exit 3, named);
    # a vendor down or still rate-limiting is exit 5
    if isinstance(exc, AuthError | NotSupported):
        return int(ExitCode.PARTIAL_FAILURE)
    return int(exc.exit_code)


def collect(accounts: Sequence[Account], state: StateStore, clock: Clock,
            progress: Callable[[AccountSync], None] | None = None) -> list[AccountSync]:
    """Read every account's results (concurrently) and store them; one `AccountSync` per account, in order."""
    tables = ReportTables(state)
    now = clock.utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)

    def one(acc: Account) -> AccountSync:
        done = sync_account(acc, state, tables, now)
        if progress is not None:
            progress(done)
        return done

    if not accounts:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_ACCOUNTS, len(accounts)))) as pool:
        return list(pool.map(one, accounts))
