"""hub's durable state (versioned schema): an SQLite file under `.hub/`, or a PostgreSQL database named by
URL (`database.py`), through the same statements.

- items:   (client, account, kind, neutral id) -> vendor id + fingerprint of what was applied
- journal: one row written *before* each vendor write and settled after it; rows still `pending` on
           start-up are writes whose outcome is unknown (crash, kill -9) and get reconciled
- audit:   append-only: who did what, when, with what result
- meta:    schema version and a revision counter that moves on every item change (binds saved plans)
- deliveries: the per-recipient ledger of one-to-one sends (SMS): written before each message is created
           and settled with the vendor's message id, so that nobody gets a campaign twice and nobody is
           skipped, whatever crashes in between
- optouts: addresses that asked not to be messaged on a channel (STOP), never messaged again
- locks:   which apply holds a client (two applies of one client never interleave)
- journeys, journey_log, step_sends, events, workers: hub's automation runner (`journeys.py`)
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ClientBusy, ConfigError
from .database import Database, connect

if TYPE_CHECKING:
    from ..clock import Clock

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    client TEXT NOT NULL, account TEXT NOT NULL, provider TEXT NOT NULL, kind TEXT NOT NULL,
    neutral_id TEXT NOT NULL, vendor_id TEXT NOT NULL, natural_key TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL, applied_at TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (client, account, kind, neutral_id)
);
CREATE TABLE IF NOT EXISTS journal (
    id {serial}, run_id TEXT NOT NULL,
    client TEXT NOT NULL, account TEXT NOT NULL, provider TEXT NOT NULL, kind TEXT NOT NULL,
    neutral_id TEXT NOT NULL, op TEXT NOT NULL, natural_key TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'pending',
    vendor_id TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, settled_at TEXT
);
CREATE INDEX IF NOT EXISTS journal_pending ON journal (status) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS audit (
    id {serial}, at TEXT NOT NULL, actor TEXT NOT NULL, run_id TEXT NOT NULL,
    client TEXT NOT NULL, account TEXT NOT NULL, provider TEXT NOT NULL, kind TEXT NOT NULL,
    neutral_id TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL,
    vendor_id TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS deliveries (
    client TEXT NOT NULL, account TEXT NOT NULL, campaign TEXT NOT NULL, recipient TEXT NOT NULL,
    status TEXT NOT NULL, message_id TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL DEFAULT '',
    send_at TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (client, account, campaign, recipient)
);
CREATE TABLE IF NOT EXISTS locks (
    client TEXT PRIMARY KEY, holder TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, since TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS optouts (
    client TEXT NOT NULL, channel TEXT NOT NULL, address TEXT NOT NULL, source TEXT NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (client, channel, address)
);
CREATE TABLE IF NOT EXISTS journeys (
    client TEXT NOT NULL, automation TEXT NOT NULL, contact TEXT NOT NULL, pass TEXT NOT NULL,
    step TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, due_at TEXT NOT NULL, batch TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}', enrolled_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (client, automation, contact, pass)
);
CREATE INDEX IF NOT EXISTS journeys_due ON journeys (status, due_at);
CREATE INDEX IF NOT EXISTS journeys_batch ON journeys (batch);
CREATE TABLE IF NOT EXISTS journey_log (
    id {serial}, client TEXT NOT NULL, automation TEXT NOT NULL, contact TEXT NOT NULL, pass TEXT NOT NULL,
    step TEXT NOT NULL, outcome TEXT NOT NULL, batch TEXT NOT NULL DEFAULT '', at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journey_log_contact ON journey_log (client, contact);
CREATE TABLE IF NOT EXISTS step_sends (
    client TEXT NOT NULL, batch TEXT NOT NULL, automation TEXT NOT NULL, step TEXT NOT NULL,
    account TEXT NOT NULL, status TEXT NOT NULL, vendor_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, settled_at TEXT,
    PRIMARY KEY (client, batch)
);
CREATE TABLE IF NOT EXISTS workers (
    executor TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, seen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id {serial}, client TEXT NOT NULL, name TEXT NOT NULL, contact TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}', at TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'new'
);
"""


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ItemRecord:
    """One item hub applied, as the state holds it (read-only by convention: a plan reads tens of thousands, and a
    frozen dataclass took four times as long to make)."""

    __slots__ = ("_data", "account", "applied_at", "client", "fingerprint", "kind", "natural_key", "neutral_id",
                 "provider", "raw_data", "vendor_id")

    def __init__(self, client: str, account: str, provider: str, kind: str, neutral_id: str, vendor_id: str,
                 natural_key: str, fingerprint: str, applied_at: str, raw_data: str) -> None:
        self.client, self.account, self.provider, self.kind = client, account, provider, kind
        self.neutral_id, self.vendor_id, self.natural_key = neutral_id, vendor_id, natural_key
        self.fingerprint, self.applied_at = fingerprint, applied_at
        self.raw_data = raw_data  # JSON, decoded when asked for: a plan of 64,000 unchanged contacts never needs it
        self._data: dict[str, Any] | None = None

    def _row(self) -> tuple[str, ...]:
        return (self.client, self.account, self.provider, self.kind, self.neutral_id, self.vendor_id,
                self.natural_key, self.fingerprint, self.applied_at, self.raw_data)

    def __eq__(self, other: object) -> bool:  # the same row of the state (the runner's check that none changed)
        return isinstance(other, ItemRecord) and self._row() == other._row()

    def __hash__(self) -> int:
        return hash(self._row())

    def __repr__(self) -> str:
        return f"ItemRecord({self.client}/{self.account} {self.kind}:{self.neutral_id} -> {self.vendor_id})"

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = json.loads(self.raw_data or "{}")
        return self._data

    def has(self, key: str) -> bool:
        """Whether `data` holds `key` (decoding it only when the text mentions the key)."""
        return f'"{key}"' in self.raw_data and key in self.data


@dataclass(frozen=True)
class JournalEntry:
    id: int
    run_id: str
    client: str
    account: str
    provider: str
    kind: str
    neutral_id: str
    op: str
    natural_key: str
    fingerprint: str
    status: str
    vendor_id: str
    error: str
    created_at: str


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str
    client: str
    account: str
    kind: str
    neutral_id: str
    action: str
    result: str
    vendor_id: str
    detail: str


# How a journalled write ended. "ok": done as planned; "failed": nothing changed at the vendor; "absent": it
# never reached the vendor; "unfinished": the item exists at the vendor but not as planned (a create whose later
# steps, or an update, did not complete): hub finishes it next time and never calls that drift; "unknown": it may
# or may not have happened and the vendor cannot tell (the user settles it with `hub resolve`).
RECORDED = ("ok", "unfinished", "unknown")
UPSERT_ITEM = ("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (client, account, kind, neutral_id)"
               " DO UPDATE SET provider=excluded.provider, vendor_id=excluded.vendor_id,"
               " natural_key=excluded.natural_key, fingerprint=excluded.fingerprint,"
               " applied_at=excluded.applied_at, data=excluded.data")
AUDIT = ("INSERT INTO audit (at, actor, run_id, client, account, provider, kind, neutral_id, action, result, vendor_id,"
         " detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
SQL_IN_MAX = 500  # ids in one `IN (...)`: well within every database's limit on parameters
# A batch's rows go a hundred to a statement, not one (sqlite3 gives up the GIL and takes it back for every row of
# an `executemany`: 1,500 times for a batch of 500 contacts, each a wait behind the threads building the next
# batches). Not five hundred: sqlite3 keeps each statement compiled, and one of 500 rows is large (3 MB more for
# a 50,000-contact push)
ROWS_PER_STATEMENT = 100
JOURNAL_INSERT = ("INSERT INTO journal (run_id, client, account, provider, kind, neutral_id, op, natural_key,"
                  " fingerprint, created_at) VALUES {rows} RETURNING id, neutral_id, op")
UPSERT_ITEMS = UPSERT_ITEM.replace("VALUES (?,?,?,?,?,?,?,?,?,?)", "VALUES {rows}")
AUDITS = AUDIT.replace("VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", "VALUES {rows}")
CLOSE_JOURNAL = ("UPDATE journal SET status=v.column2, vendor_id=v.column3, error=v.column4, settled_at=v.column5"
                 " FROM (VALUES {rows}) AS v WHERE journal.id = v.column1")


def _many(db: Database, sql: str, rows: Sequence[Sequence[Any]], *, returning: bool = False) -> list[Any]:
    """Run `sql` (its `{rows}` a VALUES list) for `rows`, ROWS_PER_STATEMENT at a time; the rows it returns."""
    out: list[Any] = []
    for at in range(0, len(rows), ROWS_PER_STATEMENT):
        part = rows[at:at + ROWS_PER_STATEMENT]
        one = "(" + ",".join("?" * len(part[0])) + ")"
        cur = db.execute(sql.format(rows=",".join([one] * len(part))), [v for row in part for v in row])
        if returning:
            out += cur.fetchall()
    return out


@dataclass(frozen=True)
class Settlement:
    """How one journalled write ended (see RECORDED), and what to record for the item."""

    journal_id: int
    status: str
    vendor_id: str = ""
    error: str = ""
    data: dict[str, Any] | None = None
    fingerprint: str | None = None  # instead of the planned one (e.g. "" for an item written only in part)


class StateStore:
    def __init__(self, location: str | Path, clock: Clock | None = None) -> None:
        """`location`: an SQLite file path, or a PostgreSQL URL (``postgresql://...``)."""
        # timestamps follow the engine's clock, so that they compare with the vendor's (simulated) times
        self.clock = clock
        self._db: Database = connect(location)
        self.location = self._db.name  # for messages: a path, or the URL without its password
        self._lock = self._db.lock
        self._migrate()
        self.actor = os.environ.get("HUB_ACTOR") or _user()

    def close(self) -> None:
        self._db.close()

    def _now(self) -> str:
        return _stamp(self.clock.utcnow() if self.clock else datetime.now(UTC))

    # -- schema ----------------------------------------------------------------------------------
    def _migrate(self) -> None:
        self._db.script(_SCHEMA.replace("{serial}", self._db.serial) + self._db.append_only)  # idempotent DDL
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row["value"]) if row else 0
            if version > SCHEMA_VERSION:
                raise ConfigError(f"{self.location}: state schema v{version} is newer than this hub"
                                  f" (v{SCHEMA_VERSION}); upgrade hub")
            # future migrations run here, one step per version
            db.execute("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE"
                       " SET value = excluded.value", (str(SCHEMA_VERSION),))
            db.execute("INSERT INTO meta VALUES ('revision', '0') ON CONFLICT (key) DO NOTHING")

    def _tx(self) -> AbstractContextManager[Database]:
        return self._db.transaction()

    def _bump(self, db: Database) -> None:
        db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'revision'")

    @property
    def revision(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT value FROM meta WHERE key='revision'").fetchone()["value"])

    # -- items -----------------------------------------------------------------------------------
    def items(self, client: str | None = None, account: str | None = None, kind: str | None = None, *,
              neutral_id: str | None = None) -> list[ItemRecord]:
        sql, args = "SELECT * FROM items WHERE 1=1", []
        for col, val in (("client", client), ("account", account), ("kind", kind), ("neutral_id", neutral_id)):
            if val is not None:
                sql += f" AND {col} = ?"
                args.append(val)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY client, account, kind, neutral_id", args).fetchall()
        return [_item(r) for r in rows]

    def items_with(self, keys: Iterable[str], client: str | None = None, account: str | None = None,
                   kind: str | None = None) -> list[ItemRecord]:
        """The records whose data holds any of `keys` (work in progress: a queued import, a held post, a lost
        answer), found by the database among tens of thousands that hold none."""
        keys = list(keys)
        sql, args = "SELECT * FROM items WHERE 1=1", []
        for col, val in (("client", client), ("account", account), ("kind", kind)):
            if val is not None:
                sql += f" AND {col} = ?"
                args.append(val)
        sql += " AND (" + " OR ".join("data LIKE ?" for _ in keys) + ")"
        args += [f'%"{key}"%' for key in keys]  # the exact check is `has`: a value may mention the key too
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY client, account, kind, neutral_id", args).fetchall()
        return [rec for rec in map(_item, rows) if any(rec.has(key) for key in keys)]

    def holders(self, client: str, kind: str) -> set[tuple[str, str]]:
        """The (account, provider) pairs that hold items of `kind` for `client` (one small query, however many)."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT account, provider FROM items WHERE client = ? AND kind = ?",
                                    (client, kind)).fetchall()
        return {(r["account"], r["provider"]) for r in rows}

    def item(self, client: str, account: str, kind: str, neutral_id: str) -> ItemRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM items WHERE client=? AND account=? AND kind=? AND neutral_id=?",
                (client, account, kind, neutral_id)).fetchone()
        return _item(row) if row else None

    def confirm_item(self, client: str, account: str, kind: str, neutral_id: str, vendor_id: str,
                     data: dict[str, Any]) -> None:
        """An asynchronous write turned out well: keep the item, with what the vendor reported."""
        with self._tx() as db:
            db.execute("UPDATE items SET vendor_id=?, data=? WHERE client=? AND account=? AND kind=? AND neutral_id=?",
                       (vendor_id, json.dumps(data), client, account, kind, neutral_id))

    def refingerprint(self, client: str, account: str, kind: str, neutral_id: str, old: str, new: str) -> bool:
        """Record that the vendor now holds `new` for an item hub last applied as `old`, written there by a
        side way (an SMS opt-out written back to the contact source): only when the item is still `old` and
        no write of it is in flight, so that a change still to push is never hidden. True when changed."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE items SET fingerprint=? WHERE client=? AND account=? AND kind=? AND neutral_id=?"
                " AND fingerprint=? AND NOT EXISTS (SELECT 1 FROM journal WHERE status='pending' AND client=?"
                " AND account=? AND kind=? AND neutral_id=?)",
                (new, client, account, kind, neutral_id, old, client, account, kind, neutral_id))
            if cur.rowcount:
                self._bump(db)
            return cur.rowcount > 0

    def forget(self, client: str, account: str, kind: str, neutral_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM items WHERE client=? AND account=? AND kind=? AND neutral_id=?",
                       (client, account, kind, neutral_id))
            self._bump(db)

    # -- journal ---------------------------------------------------------------------------------
    def begin(self, run_id: str, client: str, account: str, provider: str, kind: str,
              ops: Iterable[tuple[str, str, str, str]]) -> list[int]:
        """Journal writes about to be sent: ops are (neutral_id, op, natural_key, fingerprint). Their journal ids,
        in the order of `ops`.

        A batch goes in INSERTs of many rows, not one per row. Neither database promises the order of the rows
        `RETURNING` gives, so each id is matched back by (neutral_id, op); an item named twice takes its ids in
        ascending order, the order its rows were given in."""
        now = self._now()
        ops = list(ops)
        given: dict[tuple[str, str], list[int]] = {}
        with self._tx() as db:
            made = _many(db, JOURNAL_INSERT, [(run_id, client, account, provider, kind, neutral_id, op, natural_key,
                                               fp, now) for neutral_id, op, natural_key, fp in ops], returning=True)
        for row in made:
            given.setdefault((row["neutral_id"], row["op"]), []).append(int(row["id"]))
        for ids in given.values():
            ids.sort(reverse=True)
        return [given[(neutral_id, op)].pop() for neutral_id, op, _, _ in ops]

    def progress(self, journal_id: int, vendor_id: str) -> None:
        """A create's first step is done: the item exists at the vendor with this id (a multi-step create
        interrupted later is finished, not made again)."""
        with self._tx() as db:
            db.execute("UPDATE journal SET vendor_id=? WHERE id=? AND status='pending'", (vendor_id, journal_id))

    def settle(self, settlements: Iterable[Settlement]) -> None:
        """Close journal entries and, in the same transaction, update the item map and the audit log.

        A batch's settlements are written a few statements per table (ROWS_PER_STATEMENT rows each), not a
        statement per row and table: a batch of 500 contacts took 2,000 statements. The rows of one settlement are
        still written in the order given (a write that depends on what is already held flushes those before it)."""
        now = self._now()
        settlements = list(settlements)
        with self._tx() as db:
            rows: dict[int, Any] = {}
            ids = [s.journal_id for s in settlements]
            for at in range(0, len(ids), SQL_IN_MAX):
                part = ids[at:at + SQL_IN_MAX]
                rows.update((r["id"], r) for r in db.execute(
                    f"SELECT * FROM journal WHERE id IN ({','.join('?' * len(part))})", part).fetchall())
            closed: list[tuple[Any, ...]] = []
            # by item: one written twice in a batch keeps its later write (PostgreSQL's upsert touches a row once)
            written: dict[tuple[str, ...], tuple[Any, ...]] = {}
            audited: list[tuple[Any, ...]] = []

            def flush() -> None:
                _many(db, CLOSE_JOURNAL, closed)
                _many(db, UPSERT_ITEMS, list(written.values()))
                _many(db, AUDITS, audited)
                closed.clear()
                written.clear()
                audited.clear()

            changed = False
            as_json: dict[int, str] = {}  # each record once: contacts alike share theirs (`settlements` holds them)
            for s in settlements:
                row = rows.pop(s.journal_id, None)  # (an id given twice is settled once, as it always was)
                if row is None or row["status"] != "pending":
                    continue
                vendor_id = s.vendor_id or row["vendor_id"]
                closed.append((s.journal_id, s.status, vendor_id, s.error, now))
                key = (row["client"], row["account"], row["kind"], row["neutral_id"])
                if s.status in RECORDED:
                    changed = True
                    if row["op"] == "delete" and s.status == "ok":
                        flush()
                        db.execute("DELETE FROM items WHERE client=? AND account=? AND kind=? AND neutral_id=?", key)
                    elif s.status == "ok":
                        data = s.data or {}
                        text = as_json.get(id(data))
                        if text is None:
                            text = as_json[id(data)] = json.dumps(data)
                        written[key] = self._item_row(row, s, vendor_id, now, text)
                    else:
                        flush()
                        self._write_item(db, row, s, vendor_id, now)
                audited.append((now, self.actor, row["run_id"], row["client"], row["account"], row["provider"],
                                row["kind"], row["neutral_id"], row["op"], s.status, vendor_id, s.error))
            flush()
            if changed:
                self._bump(db)

    @staticmethod
    def _item_row(row: Any, s: Settlement, vendor_id: str, now: str, data_json: str,
                  fingerprint: str | None = None) -> tuple[Any, ...]:
        """The items row a settlement leaves (UPSERT_ITEM's parameters)."""
        if fingerprint is None:
            fingerprint = row["fingerprint"] if s.fingerprint is None else s.fingerprint
        return (row["client"], row["account"], row["provider"], row["kind"], row["neutral_id"], vendor_id,
                row["natural_key"], fingerprint, now, data_json)

    def _write_item(self, db: Database, row: Any, s: Settlement, vendor_id: str, now: str) -> None:
        key = (row["client"], row["account"], row["kind"], row["neutral_id"])
        data = dict(s.data or {})
        fingerprint = row["fingerprint"] if s.fingerprint is None else s.fingerprint
        if s.status != "ok":
            old = db.execute("SELECT * FROM items WHERE client=? AND account=? AND kind=? AND neutral_id=?",
                             key).fetchone()
            if old is not None:  # what was applied before still stands, with a note of what is left to do
                data = {**json.loads(old["data"] or "{}"), **data}
                vendor_id = vendor_id or old["vendor_id"]
                if s.status == "unfinished" and row["op"] == "update":
                    fingerprint = old["fingerprint"]
            data[s.status] = s.error or s.status
            if s.status == "unknown":
                now = row["created_at"]  # when the write went out: what the vendor is asked about
        db.execute(UPSERT_ITEM, self._item_row(row, s, vendor_id, now, json.dumps(data), fingerprint))

    def resolve(self, record: ItemRecord, *, done: bool) -> None:
        """The user settled a write whose outcome was unknown: it happened (`done`: kept as applied) or it did
        not (forgotten: the next plan makes it again). Audited."""
        key = (record.client, record.account, record.kind, record.neutral_id)
        now = self._now()
        with self._tx() as db:
            if done:
                data = {k: v for k, v in record.data.items() if k != "unknown"}
                db.execute("UPDATE items SET data=?, applied_at=? WHERE client=? AND account=? AND kind=?"
                           " AND neutral_id=?", (json.dumps(data), now, *key))
            else:
                db.execute("DELETE FROM items WHERE client=? AND account=? AND kind=? AND neutral_id=?", key)
            self._audit(db, now, "resolve", record.client, record.account, record.provider, record.kind,
                        record.neutral_id, "resolve", "done" if done else "retry", record.vendor_id,
                        "settled by the user: " + ("it happened" if done else "it did not happen; make it again"))
            self._bump(db)

    def _audit(self, db: Database, at: str, run_id: str, *entry: str) -> None:
        """Append (client, account, provider, kind, neutral_id, action, result, vendor_id, detail) to the log."""
        db.execute(AUDIT, (at, self.actor, run_id, *entry))

    def record(self, run_id: str, client: str, account: str, provider: str, kind: str, neutral_id: str,
               natural_key: str, fingerprint: str, vendor_id: str, data: dict[str, Any] | None = None) -> None:
        """Record an item found in the vendor without a write (adoption of an existing object)."""
        self.record_many(run_id, client, account, provider, kind, [(neutral_id, natural_key, fingerprint, vendor_id,
                                                                    data)])

    def record_many(self, run_id: str, client: str, account: str, provider: str, kind: str,
                    items: Sequence[tuple[str, str, str, str, dict[str, Any] | None]]) -> None:
        """`record` for many items of one kind at once: (neutral id, natural key, fingerprint, vendor id, data)
        each, journalled and settled in two transactions however many (an imported account's contacts)."""
        ids = self.begin(run_id, client, account, provider, kind, [(n, "adopt", k, fp) for n, k, fp, _, _ in items])
        self.settle([Settlement(jid, "ok", vendor_id, data=data)
                     for jid, (_, _, _, vendor_id, data) in zip(ids, items, strict=True)])

    def pending(self) -> list[JournalEntry]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM journal WHERE status='pending' ORDER BY id").fetchall()
        return [JournalEntry(**{k: r[k] for k in JournalEntry.__dataclass_fields__}) for r in rows]

    def journal(self, limit: int = 1000) -> list[JournalEntry]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM journal ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [JournalEntry(**{k: r[k] for k in JournalEntry.__dataclass_fields__}) for r in rows]

    # -- delivery ledger --------------------------------------------------------------------------
    def deliveries(self, client: str, account: str, campaign: str,
                   recipients: Iterable[str] | None = None) -> dict[str, Delivery]:
        """recipient -> row of one campaign (only those of `recipients`, when given: a batch of a large one)."""
        sql = "SELECT * FROM deliveries WHERE client=? AND account=? AND campaign=?"
        if recipients is None:
            chunks: list[list[str]] = [[]]
        else:
            wanted = list(recipients)
            chunks = [wanted[i:i + 500] for i in range(0, len(wanted), 500)]
        rows = []
        with self._lock:
            for chunk in chunks:
                where = f" AND recipient IN ({','.join('?' * len(chunk))})" if recipients is not None else ""
                if recipients is None or chunk:
                    rows += self._db.execute(sql + where, (client, account, campaign, *chunk)).fetchall()
        return {r["recipient"]: Delivery(**{k: r[k] for k in Delivery.__dataclass_fields__}) for r in rows}

    def record_deliveries(self, client: str, account: str, campaign: str,
                          rows: Iterable[tuple[str, str, str, str, str, str]]) -> None:
        """Upsert (recipient, status, message_id, fingerprint, send_at, detail) rows in one transaction."""
        now = self._now()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO deliveries VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (client, account, campaign,"
                " recipient) DO UPDATE SET status=excluded.status, message_id=excluded.message_id,"
                " fingerprint=excluded.fingerprint, send_at=excluded.send_at, detail=excluded.detail,"
                " updated_at=excluded.updated_at",
                [(client, account, campaign, r, st, mid, fp, at, detail, now, now)
                 for r, st, mid, fp, at, detail in rows])

    def ledger(self, client: str, account: str) -> AccountLedger:
        """One account's delivery ledger (`hub.services.DeliveryLedger`), as a provider is lent it."""
        return AccountLedger(self, client, account)

    def pending_deliveries(self, client: str, account: str) -> dict[str, list[Delivery]]:
        """Per campaign, the sends journalled but never settled (a crash between the call and its answer)."""
        return self.deliveries_in(client, account, ("pending",))

    def deliveries_in(self, client: str, account: str, statuses: Iterable[str]) -> dict[str, list[Delivery]]:
        """Per campaign, the rows of an account in one of `statuses` (e.g. every text still scheduled)."""
        statuses = list(statuses)
        marks = ",".join("?" * len(statuses))
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM deliveries WHERE client=? AND account=? AND status IN ({marks})",
                                    (client, account, *statuses)).fetchall()
        out: dict[str, list[Delivery]] = {}
        for r in rows:
            out.setdefault(r["campaign"], []).append(Delivery(**{k: r[k] for k in Delivery.__dataclass_fields__}))
        return out

    # -- opt-outs -----------------------------------------------------------------------------------
    def record_optout(self, client: str, channel: str, address: str, source: str) -> bool:
        """Remember that `address` opted out of `channel`; True when it is news."""
        with self._tx() as db:
            cur = db.execute("INSERT INTO optouts VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                             (client, channel, address, source, self._now()))
            return cur.rowcount > 0

    def optouts(self, client: str, channel: str) -> dict[str, str]:
        """address -> when it opted out."""
        with self._lock:
            rows = self._db.execute("SELECT address, at FROM optouts WHERE client=? AND channel=?",
                                    (client, channel)).fetchall()
        return {r["address"]: r["at"] for r in rows}

    # -- one apply per client --------------------------------------------------------------------------
    @contextmanager
    def client_lock(self, clients: Iterable[str]) -> Iterator[None]:
        """Hold `clients` for one apply: another apply of any of them (another process, machine or consultant
        on the same database) gets `ClientBusy` naming who holds it. A holder that died (kill -9, a lost
        machine) holds nothing: PostgreSQL drops its session lock, and on SQLite its process is gone."""
        held: list[str] = []
        try:
            for client in sorted(set(clients)):
                self._take(client)
                held.append(client)
            yield
        finally:
            for client in held:
                self._give_back(client)

    def _take(self, client: str) -> None:
        me = (f"{self.actor} (pid {os.getpid()} on {HOST})", HOST, os.getpid(), self._now())
        with self._tx() as db:
            free = self._db.session_lock(f"apply {client}")
            row = db.execute("SELECT * FROM locks WHERE client=?", (client,)).fetchone()
            if free is None:  # SQLite has no session locks: the row says who holds it, if that process lives
                free = row is None or (row["host"], row["pid"]) == (HOST, os.getpid()) or _gone(row)
            if free:
                db.execute("INSERT INTO locks VALUES (?,?,?,?,?) ON CONFLICT (client) DO UPDATE SET"
                           " holder=excluded.holder, host=excluded.host, pid=excluded.pid, since=excluded.since",
                           (client, *me))
                return
        holder = f"{row['holder']}, since {row['since']}" if row else "another apply"
        raise ClientBusy(f"client '{client}' is being applied by {holder}; try again when it is done")

    def _give_back(self, client: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM locks WHERE client=? AND host=? AND pid=?", (client, HOST, os.getpid()))
        self._db.session_unlock(f"apply {client}")

    # -- audit -----------------------------------------------------------------------------------
    def audit(self, client: str | None = None) -> list[AuditEntry]:
        sql, args = "SELECT * FROM audit", []
        if client:
            sql += " WHERE client = ?"
            args.append(client)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [AuditEntry(**{k: r[k] for k in AuditEntry.__dataclass_fields__}) for r in rows]

    def last_apply(self, client: str, account: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT max(at) AS at FROM audit WHERE client=? AND account=?",
                                   (client, account)).fetchone()
        return row["at"] if row else None


@dataclass(frozen=True)
class Delivery:
    recipient: str
    # planned | pending | scheduled | sent | delivered | undelivered | failed | held | opted_out | canceling | canceled
    status: str
    message_id: str
    fingerprint: str
    send_at: str
    detail: str
    created_at: str
    updated_at: str

    @property
    def final(self) -> bool:
        """Nothing more to do for this recipient (a planned, held, pending or canceling one still needs work)."""
        return self.status not in ("planned", "pending", "held", "canceling")


@dataclass(frozen=True)
class AccountLedger:
    store: StateStore
    client: str
    account: str

    def deliveries(self, campaign: str, recipients: Iterable[str] | None = None) -> dict[str, Delivery]:
        return self.store.deliveries(self.client, self.account, campaign, recipients)

    def record(self, campaign: str, rows: Iterable[tuple[str, str, str, str, str, str]]) -> None:
        self.store.record_deliveries(self.client, self.account, campaign, rows)

    def deliveries_in(self, statuses: Iterable[str]) -> dict[str, list[Delivery]]:
        return self.store.deliveries_in(self.client, self.account, statuses)


def _item(row: Any) -> ItemRecord:
    return ItemRecord(row["client"], row["account"], row["provider"], row["kind"], row["neutral_id"],
                      row["vendor_id"], row["natural_key"], row["fingerprint"], row["applied_at"], row["data"])


HOST = socket.gethostname()


def process_alive(host: str, pid: int) -> bool | None:
    """Whether process `pid` on `host` still runs: None when it is another machine's (it cannot be asked)."""
    if host != HOST:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def _gone(row: Any) -> bool:
    """The lock's holder ran on this machine and its process no longer exists (killed, crashed)."""
    return process_alive(row["host"], int(row["pid"])) is False


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
