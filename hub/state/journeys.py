"""The automation runner's durable state: one row per journey (automation x contact x pass), in the same
database as the rest of hub's state (SQLite or PostgreSQL, through the same statements).

- journeys:    where each journey rests (`step`), from when (`due_at`), and how it stands: `waiting` (for its
               time), `claimed` (in a batch a worker is carrying out: `batch` names it), `done`, `exited`,
               `skipped` (never started: e.g. the contact held the tag before the automation was armed),
               `stopped` (its automation was removed) or `failed` (the step cannot be carried out; `detail`)
- journey_log: every step a journey went through, with the batch that carried it out (its history, and the
               link from a contact to the email campaign that an `opened` condition reads)
- step_sends:  one row per batch of an email step, written before the vendor is asked to send and settled
               with the campaign's id: after a crash, the batch is finished by name, never sent again
- events:      custom events (`hub event`) waiting to start journeys
- workers:     each `hub run` worker's heartbeat: the batches of a worker that stopped beating (or whose process
               on this machine is gone) are taken over by the others

100,000 contacts waiting are 100,000 rows, not 100,000 live objects: a worker claims the rows that are due
in batches and moves them on in one transaction per batch, guarded by the batch's name, so that a batch
carried out twice (a crash after the work, before the bookkeeping) moves nobody twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .store import StateStore

WAITING, CLAIMED = "waiting", "claimed"
FINISHED = ("done", "exited", "skipped", "stopped", "failed")
IN_CHUNK = 500  # values in one `IN (...)` (SQLite allows 32,766 parameters; a short statement is cheaper to plan)


@dataclass(frozen=True, slots=True)
class Journey:
    client: str
    automation: str
    contact: str  # the contact's key: lower-case email, else phone
    pass_: str  # which enrolment: "1", an anniversary's year, an event's id
    step: str
    status: str
    due_at: str
    batch: str = ""
    seq: int = 0
    attempt: int = 0  # how many times its batch was tried and failed (a retry is due at `due_at`)
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    enrolled_at: str = ""
    updated_at: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.contact, self.pass_)


@dataclass(frozen=True, slots=True)
class Move:
    """Where one journey of a batch goes once the batch's step is carried out (or why it stays)."""

    contact: str
    pass_: str
    step: str
    status: str
    due_at: str
    detail: str = ""
    log: tuple[tuple[str, str], ...] = ()  # (step, outcome) passed, in order
    advanced: bool = True  # False: the journey stays at its step (retried later), seq unchanged


@dataclass(frozen=True, slots=True)
class StepSend:
    client: str
    batch: str
    automation: str
    step: str
    account: str
    status: str  # pending | sent | failed
    vendor_id: str
    detail: str
    fresh: bool = False  # recorded just now: nothing was asked of the vendor for this batch before


class Journeys:
    """The runner's rows in a `StateStore` (its database, lock and clock)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._db = store._db  # one database, one lock: the store's
        self._lock = store._lock

    def _now(self) -> str:
        return self.store._now()

    # -- enrolment ---------------------------------------------------------------------------------
    def enrol(self, client: str, automation: str, rows: Iterable[Journey]) -> int:
        """Start journeys not started before (a journey's key is its contact and pass): how many are new."""
        now = self._now()
        new = 0
        with self.store._tx() as db:
            for j in rows:
                cur = db.execute(
                    "INSERT INTO journeys VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    (client, automation, j.contact, j.pass_, j.step, j.status, j.due_at, "", 0, 0, j.detail,
                     json.dumps(j.data), now, now))
                new += cur.rowcount
        return new

    def started(self, client: str, automation: str) -> set[str]:
        """Contacts with any journey through `automation` (any pass)."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT contact FROM journeys WHERE client=? AND automation=?",
                                    (client, automation)).fetchall()
        return {r["contact"] for r in rows}

    def started_among(self, client: str, automation: str, contacts: Iterable[str]) -> set[str]:
        """Which of `contacts` have any journey through `automation`."""
        wanted = sorted(set(contacts))
        found: set[str] = set()
        with self._lock:
            for i in range(0, len(wanted), IN_CHUNK):
                chunk = wanted[i:i + IN_CHUNK]
                rows = self._db.execute(
                    f"SELECT DISTINCT contact FROM journeys WHERE client=? AND automation=? AND contact IN"
                    f" ({','.join('?' * len(chunk))})", (client, automation, *chunk)).fetchall()
                found.update(r["contact"] for r in rows)
        return found

    # -- claiming and moving on ----------------------------------------------------------------------
    def claim(self, now: str, name: str, *, limit: int, batch_size: Callable[[str, str, str], int]) -> list[str]:
        """Claim up to `limit` journeys due by `now`, in batches of one automation step (at most
        `batch_size(client, automation, step)` each, named `.../name/<n>`): the names of the batches."""
        batches: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        with self.store._tx() as db:
            rows = db.execute("SELECT client, automation, contact, pass, step FROM journeys WHERE status=? AND"
                              " due_at <= ? ORDER BY due_at LIMIT ?", (WAITING, now, limit)).fetchall()
            for r in rows:
                batches.setdefault((r["client"], r["automation"], r["step"]), []).append((r["contact"], r["pass"]))
            names: list[str] = []
            updated = self._now()
            for (client, automation, step), members in batches.items():
                size = max(1, batch_size(client, automation, step))
                for start in range(0, len(members), size):
                    batch = f"{client}/{automation}/{step}/{name}/{len(names)}"
                    names.append(batch)
                    db.executemany("UPDATE journeys SET status=?, batch=?, updated_at=? WHERE client=? AND"
                                   " automation=? AND contact=? AND pass=? AND status=?",
                                   [(CLAIMED, batch, updated, client, automation, c, p, WAITING)
                                    for c, p in members[start:start + size]])
        return names

    def outstanding(self, now: str) -> list[tuple[str, int]]:
        """Batches claimed and not carried out yet, due by `now` (a worker is on them, died on them, or they
        failed and wait to be tried again), with how many times each was tried."""
        with self._lock:
            rows = self._db.execute("SELECT batch, max(attempt) AS attempt FROM journeys WHERE status=? AND"
                                    " due_at <= ? GROUP BY batch", (CLAIMED, now)).fetchall()
        return sorted((r["batch"], int(r["attempt"])) for r in rows)

    def retry_later(self, batch: str, due_at: str, detail: str) -> None:
        """The batch failed (a vendor down): its journeys stay in it, to be tried again from `due_at` (under the
        same name: what the vendor did for it is found again, never done twice)."""
        with self.store._tx() as db:
            db.execute("UPDATE journeys SET attempt=attempt+1, due_at=?, detail=?, updated_at=? WHERE batch=? AND"
                       " status=?", (due_at, detail, self._now(), batch, CLAIMED))

    def in_batch(self, batch: str) -> list[Journey]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM journeys WHERE batch=? AND status=? ORDER BY contact, pass",
                                    (batch, CLAIMED)).fetchall()
        return [_journey(r) for r in rows]

    def settle(self, client: str, automation: str, batch: str, moves: Sequence[Move], step: str) -> int:
        """Move the batch's journeys on, and log the steps they went through, in one transaction; a journey
        no longer in the batch (moved on by an earlier run of the same batch) is left alone. How many moved."""
        now = self._now()
        with self.store._tx() as db:
            still = {(r["contact"], r["pass"]) for r in db.execute(
                "SELECT contact, pass FROM journeys WHERE batch=? AND status=?", (batch, CLAIMED)).fetchall()}
            moves = [m for m in moves if (m.contact, m.pass_) in still]
            db.executemany(
                "UPDATE journeys SET step=?, status=?, due_at=?, batch='', seq=seq+?, attempt=0, detail=?,"
                " updated_at=? WHERE client=? AND automation=? AND contact=? AND pass=?",
                [(m.step, m.status, m.due_at, 1 if m.advanced else 0, m.detail, now, client, automation, m.contact,
                  m.pass_) for m in moves])
            db.executemany("INSERT INTO journey_log (client, automation, contact, pass, step, outcome, batch, at)"
                           " VALUES (?,?,?,?,?,?,?,?)",
                           [(client, automation, m.contact, m.pass_, s, outcome, batch if s == step else "", now)
                            for m in moves for s, outcome in m.log])
        return len(moves)

    def stop(self, client: str, automation: str, why: str) -> int:
        """End the waiting journeys of an automation that is no longer run (a claimed batch finishes its step)."""
        with self.store._tx() as db:
            cur = db.execute("UPDATE journeys SET status='stopped', detail=?, updated_at=? WHERE client=? AND"
                             " automation=? AND status=?", (why, self._now(), client, automation, WAITING))
            return cur.rowcount

    def relocate(self, client: str, automation: str, moves: dict[str, str | None], why: str) -> int:
        """Journeys waiting at a removed step move to `moves[step]` (None: they end), due now."""
        now = self._now()
        n = 0
        with self.store._tx() as db:
            for old, new in moves.items():
                if new is None:
                    cur = db.execute("UPDATE journeys SET status='done', detail=?, updated_at=? WHERE client=? AND"
                                     " automation=? AND step=? AND status=?", (why, now, client, automation, old,
                                                                             WAITING))
                else:
                    cur = db.execute("UPDATE journeys SET step=?, due_at=?, detail=?, updated_at=? WHERE client=?"
                                     " AND automation=? AND step=? AND status=?",
                                     (new, now, why, now, client, automation, old, WAITING))
                n += cur.rowcount
        return n

    # -- email step batches (a journal of their own) ---------------------------------------------------
    def begin_send(self, client: str, batch: str, automation: str, step: str, account: str) -> StepSend:
        """The batch's send, recorded before the vendor is asked (an existing record is returned as it is; one
        recorded by this call is `fresh`)."""
        with self.store._tx() as db:
            cur = db.execute("INSERT INTO step_sends VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                             (client, batch, automation, step, account, "pending", "", "", self._now(), None))
            fresh = cur.rowcount == 1
            row = db.execute("SELECT * FROM step_sends WHERE client=? AND batch=?", (client, batch)).fetchone()
        return replace(_send(row), fresh=fresh)

    def settle_send(self, client: str, batch: str, status: str, vendor_id: str = "", detail: str = "") -> None:
        with self.store._tx() as db:
            db.execute("UPDATE step_sends SET status=?, vendor_id=?, detail=?, settled_at=? WHERE client=? AND"
                       " batch=?", (status, vendor_id, detail, self._now(), client, batch))

    def campaigns_of(self, client: str, automation: str, step: str,
                     keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
        """(contact, pass) -> (account, campaign id) of the email `step` each of these journeys was sent."""
        wanted = set(keys)
        contacts = sorted({c for c, _ in wanted})
        rows = []
        with self._lock:
            for i in range(0, len(contacts), IN_CHUNK):
                chunk = contacts[i:i + IN_CHUNK]
                rows += self._db.execute(
                    "SELECT l.contact, l.pass, s.account, s.vendor_id FROM journey_log l JOIN step_sends s ON"
                    " s.client = l.client AND s.batch = l.batch WHERE l.client=? AND l.automation=? AND l.step=?"
                    f" AND s.status='sent' AND l.contact IN ({','.join('?' * len(chunk))}) ORDER BY l.id",
                    (client, automation, step, *chunk)).fetchall()
        return {(r["contact"], r["pass"]): (r["account"], r["vendor_id"]) for r in rows
                if (r["contact"], r["pass"]) in wanted}

    def last_logged(self, client: str, automation: str, steps: Sequence[str],
                    keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(contact, pass) -> when each of these journeys last went through one of `steps`."""
        wanted = set(keys)
        contacts = sorted({c for c, _ in wanted})
        if not steps:
            return {}
        rows = []
        with self._lock:
            for i in range(0, len(contacts), IN_CHUNK):
                chunk = contacts[i:i + IN_CHUNK]
                rows += self._db.execute(
                    "SELECT contact, pass, max(at) AS at FROM journey_log WHERE client=? AND automation=? AND step IN"
                    f" ({','.join('?' * len(steps))}) AND contact IN ({','.join('?' * len(chunk))})"
                    " GROUP BY contact, pass", (client, automation, *steps, *chunk)).fetchall()
        return {(r["contact"], r["pass"]): r["at"] for r in rows if (r["contact"], r["pass"]) in wanted}

    # -- custom events -------------------------------------------------------------------------------
    def add_event(self, client: str, name: str, contact: str, data: dict[str, Any]) -> int:
        with self.store._tx() as db:
            cur = db.execute("INSERT INTO events (client, name, contact, data, at, status) VALUES (?,?,?,?,?,?)"
                             " RETURNING id", (client, name, contact, json.dumps(data), self._now(), "new"))
            return int(cur.fetchone()["id"])

    def new_events(self, client: str, name: str) -> list[tuple[int, str, dict[str, Any], str]]:
        """(id, contact, data, at) of events not taken yet."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM events WHERE client=? AND name=? AND status='new' ORDER BY id",
                                    (client, name)).fetchall()
        return [(int(r["id"]), r["contact"], json.loads(r["data"]), r["at"]) for r in rows]

    def take_events(self, ids: Iterable[int]) -> None:
        with self.store._tx() as db:
            db.executemany("UPDATE events SET status='taken' WHERE id=?", [(i,) for i in ids])

    def poll_due(self, name: str, now: str, every_s: float) -> bool:
        """Whether `every_s` seconds have passed since `name` was last polled (and note that it is now): several
        workers and `hub run --once` every minute share one cadence."""
        key = f"poll:{name}"
        with self.store._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            if row is not None and (_stamp_s(now) - _stamp_s(row["value"])) < every_s:
                return False
            db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                       (key, now))
        return True

    # -- workers -----------------------------------------------------------------------------------------
    def heartbeat(self, executor: str, host: str, pid: int, at: str) -> None:
        with self.store._tx() as db:
            db.execute("INSERT INTO workers VALUES (?,?,?,?) ON CONFLICT (executor) DO UPDATE SET"
                       " seen_at=excluded.seen_at", (executor, host, pid, at))

    def dead_workers(self, stale_before: str, alive: Callable[[str, int], bool | None]) -> list[str]:
        """Workers whose heartbeat is older than `stale_before`, or whose process `alive(host, pid)` says is
        gone (None: it cannot tell, e.g. another machine's)."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM workers").fetchall()
        return [r["executor"] for r in rows
                if r["seen_at"] < stale_before or alive(r["host"], int(r["pid"])) is False]

    def forget_worker(self, executor: str) -> None:
        with self.store._tx() as db:
            db.execute("DELETE FROM workers WHERE executor=?", (executor,))

    # -- reading ------------------------------------------------------------------------------------
    def summary(self, client: str | None = None, automation: str | None = None) -> list[dict[str, Any]]:
        """Per client, automation, step and status: how many journeys, and the earliest due."""
        sql = ("SELECT client, automation, step, status, count(*) AS n, min(due_at) AS next_due FROM journeys"
               " WHERE contact <> '*'")  # not the runner's own note of who held a trigger
        args: list[Any] = []
        for col, val in (("client", client), ("automation", automation)):
            if val is not None:
                sql += f" AND {col}=?"
                args.append(val)
        with self._lock:
            rows = self._db.execute(sql + " GROUP BY client, automation, step, status ORDER BY client, automation,"
                                    " step, status", args).fetchall()
        return [{k: r[k] for k in ("client", "automation", "step", "status", "n", "next_due")} for r in rows]

    def of_contact(self, contact: str, client: str | None = None) -> list[Journey]:
        sql, args = "SELECT * FROM journeys WHERE contact=?", [contact]
        if client:
            sql += " AND client=?"
            args.append(client)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY client, automation, enrolled_at", args).fetchall()
        return [_journey(r) for r in rows]

    def log_of(self, client: str, contact: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT automation, pass, step, outcome, batch, at FROM journey_log WHERE"
                                    " client=? AND contact=? ORDER BY id", (client, contact)).fetchall()
        return [{k: r[k] for k in ("automation", "pass", "step", "outcome", "batch", "at")} for r in rows]

    def standing(self, client: str) -> dict[str, Any]:
        """A client's journeys at a glance: how many are in flight, failed, and the oldest due moment not
        carried out yet (the runner's lag is how long ago that was)."""
        with self._lock:
            row = self._db.execute(
                "SELECT sum(CASE WHEN status IN (?, ?) THEN 1 ELSE 0 END) AS in_flight,"
                " sum(CASE WHEN status='failed' THEN 1 ELSE 0 END) AS failed,"
                " min(CASE WHEN status IN (?, ?) THEN due_at END) AS oldest_due"
                " FROM journeys WHERE client=? AND contact <> '*'",
                (WAITING, CLAIMED, WAITING, CLAIMED, client)).fetchone()
        return {"in_flight": int(row["in_flight"] or 0), "failed": int(row["failed"] or 0),
                "oldest_due": row["oldest_due"]}

    def next_due(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT min(due_at) AS due FROM journeys WHERE status=?", (WAITING,)).fetchone()
        return row["due"] if row else None

    def count_log(self, client: str, automation: str, step: str) -> dict[str, int]:
        """Per contact, how many times `step` was carried out (a test's view: never more than once a pass)."""
        with self._lock:
            rows = self._db.execute("SELECT contact, pass, count(*) AS n FROM journey_log WHERE client=? AND"
                                    " automation=? AND step=? GROUP BY contact, pass",
                                    (client, automation, step)).fetchall()
        return {f"{r['contact']}#{r['pass']}": int(r["n"]) for r in rows}


def _stamp_s(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _journey(r: Any) -> Journey:
    return Journey(r["client"], r["automation"], r["contact"], r["pass"], r["step"], r["status"], r["due_at"],
                   r["batch"], int(r["seq"]), int(r["attempt"]), r["detail"], json.loads(r["data"] or "{}"),
                   r["enrolled_at"], r["updated_at"])


def _send(r: Any) -> StepSend:
    return StepSend(r["client"], r["batch"], r["automation"], r["step"], r["account"], r["status"], r["vendor_id"],
                    r["detail"])
