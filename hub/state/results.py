"""What `hub report` keeps: the figures vendors gave for what hub sent, in the same database as the rest of hub's
state (SQLite or PostgreSQL, through the same statements).

- report_sources: one row per thing hub sent and asked a vendor about (client, account, vendor id): what it is
                  (kind, item, channel), the metrics its provider reports for it and the vendor field of each
                  (`declared`: a figure missing from a read is then known to be 0, and a metric not declared is
                  "n/a", never 0), and whether its figures are `settled` (never read again)
- report_figures: one row per (client, account, provider, channel, kind, item, vendor id, day, metric): the value
                  the vendor last gave (totals so far: a later read replaces, never adds), its currency for
                  amounts, the vendor field it came from and when it was read

The runner's own tables are read here too (never written): which email step batches it sent, and the delivery
ledger's names of the texts of SMS steps, which are what a report asks the vendors about.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .store import StateStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS report_sources (
    client TEXT NOT NULL, account TEXT NOT NULL, provider TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL,
    item TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', vendor_id TEXT NOT NULL, sent_at TEXT NOT NULL DEFAULT '',
    declared TEXT NOT NULL DEFAULT '{}', settled INTEGER NOT NULL DEFAULT 0, read_at TEXT NOT NULL,
    PRIMARY KEY (client, account, vendor_id)
);
CREATE TABLE IF NOT EXISTS report_figures (
    client TEXT NOT NULL, account TEXT NOT NULL, provider TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL,
    item TEXT NOT NULL, vendor_id TEXT NOT NULL, day TEXT NOT NULL, metric TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL, currency TEXT NOT NULL DEFAULT '', field TEXT NOT NULL DEFAULT '',
    read_at TEXT NOT NULL,
    PRIMARY KEY (client, account, provider, channel, kind, item, vendor_id, day, metric)
);
CREATE INDEX IF NOT EXISTS report_figures_source ON report_figures (client, account, vendor_id);
"""


@dataclass(frozen=True)
class SourceRow:
    """One thing hub sent, as the report knows it."""

    client: str
    account: str
    provider: str
    channel: str
    kind: str
    item: str
    name: str
    vendor_id: str
    sent_at: str = ""
    declared: dict[str, str] = field(default_factory=dict)  # metric -> vendor field
    settled: bool = False
    read_at: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.client, self.account, self.vendor_id)


@dataclass(frozen=True)
class FigureRow:
    """One metric's value for one source and day (the day as YYYY-MM-DD)."""

    client: str
    account: str
    provider: str
    channel: str
    kind: str
    item: str
    vendor_id: str
    day: str
    metric: str
    value: float
    currency: str = ""
    field: str = ""
    read_at: str = ""

    @property
    def source(self) -> tuple[str, str, str]:
        return (self.client, self.account, self.vendor_id)


@dataclass(frozen=True)
class StepBatch:
    """One email step batch hub's runner sent (`step_sends`)."""

    automation: str
    step: str
    batch: str
    vendor_id: str
    sent_at: str


@dataclass(frozen=True)
class LedgerCampaign:
    """One name in an account's delivery ledger, with when its first text was recorded and how many it holds."""

    name: str
    first_at: str
    texts: int


class ReportTables:
    """The report's rows in a `StateStore` (its database, lock and clock)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._db = store._db  # one database, one lock: the store's
        self._lock = store._lock
        self._db.script(_SCHEMA)  # idempotent: the tables are made the first time a report is asked for

    # -- writing -------------------------------------------------------------------------------------------
    def replace(self, source: SourceRow, figures: Sequence[FigureRow]) -> None:
        """Record what one read of `source` gave: its figures replace every earlier figure of it (vendors give
        totals so far), and the source's row (declared metrics, settled) is written, in one transaction."""
        now = self.store._now()
        with self.store._tx() as db:
            db.execute("DELETE FROM report_figures WHERE client=? AND account=? AND vendor_id=?",
                       (source.client, source.account, source.vendor_id))
            db.executemany("INSERT INTO report_figures VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                           [(f.client, f.account, f.provider, f.channel, f.kind, f.item, f.vendor_id, f.day, f.metric,
                             float(f.value), f.currency, f.field, now) for f in figures])
            db.execute(
                "INSERT INTO report_sources VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (client, account, vendor_id)"
                " DO UPDATE SET provider=excluded.provider, channel=excluded.channel, kind=excluded.kind,"
                " item=excluded.item, name=excluded.name, sent_at=excluded.sent_at, declared=excluded.declared,"
                " settled=excluded.settled, read_at=excluded.read_at",
                (source.client, source.account, source.provider, source.channel, source.kind, source.item,
                 source.name, source.vendor_id, source.sent_at, json.dumps(source.declared, sort_keys=True),
                 1 if source.settled else 0, now))

    # -- reading -------------------------------------------------------------------------------------------
    def settled(self, client: str, account: str) -> set[str]:
        """Vendor ids of the account whose figures can no longer change: never read again."""
        with self._lock:
            rows = self._db.execute("SELECT vendor_id FROM report_sources WHERE client=? AND account=? AND settled=1",
                                    (client, account)).fetchall()
        return {r["vendor_id"] for r in rows}

    def sources(self, clients: Iterable[str] | None = None) -> list[SourceRow]:
        sql, args = _filter("SELECT * FROM report_sources", clients)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY client, account, vendor_id", args).fetchall()
        return [SourceRow(r["client"], r["account"], r["provider"], r["channel"], r["kind"], r["item"], r["name"],
                          r["vendor_id"], r["sent_at"], json.loads(r["declared"] or "{}"), bool(r["settled"]),
                          r["read_at"]) for r in rows]

    def figures(self, clients: Iterable[str] | None = None, since: str | None = None) -> list[FigureRow]:
        """Figures of these clients (all by default) from day `since` (YYYY-MM-DD) on."""
        sql, args = _filter("SELECT * FROM report_figures", clients)
        if since:
            sql += " AND day >= ?"
            args.append(since)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY client, day, account, vendor_id, metric", args).fetchall()
        return [FigureRow(r["client"], r["account"], r["provider"], r["channel"], r["kind"], r["item"],
                          r["vendor_id"], r["day"], r["metric"], float(r["value"]), r["currency"], r["field"],
                          r["read_at"]) for r in rows]

    # -- what hub's runner sent (read only) ------------------------------------------------------------------
    def step_batches(self, client: str, account: str) -> list[StepBatch]:
        """Email step batches the runner sent through this account, each one vendor campaign."""
        with self._lock:
            rows = self._db.execute(
                "SELECT automation, step, batch, vendor_id, settled_at FROM step_sends WHERE client=? AND account=?"
                " AND status='sent' AND vendor_id <> '' ORDER BY batch", (client, account)).fetchall()
        return [StepBatch(r["automation"], r["step"], r["batch"], r["vendor_id"], r["settled_at"] or "") for r in rows]

    def ledger_campaigns(self, client: str, account: str, prefix: str) -> list[LedgerCampaign]:
        """Names in the account's delivery ledger starting with `prefix` (the runner's SMS steps: "auto:")."""
        with self._lock:
            rows = self._db.execute(
                "SELECT campaign, min(created_at) AS first_at, count(*) AS texts FROM deliveries WHERE client=? AND"
                " account=? AND substr(campaign, 1, ?) = ? GROUP BY campaign ORDER BY campaign",
                (client, account, len(prefix), prefix)).fetchall()
        return [LedgerCampaign(r["campaign"], r["first_at"], int(r["texts"])) for r in rows]


def _filter(sql: str, clients: Iterable[str] | None) -> tuple[str, list[str]]:
    sql += " WHERE 1=1"
    wanted = sorted(set(clients or ()))
    if not wanted:
        return sql, []
    return sql + f" AND client IN ({','.join('?' * len(wanted))})", list(wanted)
