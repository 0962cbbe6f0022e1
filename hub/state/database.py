"""The state store's two databases behind one small interface: an SQLite file (the default, nothing to
install) or PostgreSQL named by URL (several consultants, or several `hub run` workers, sharing one state).

Statements are written once, in the SQL both understand (`?` placeholders, `ON CONFLICT`, `RETURNING`);
what differs is said here: the schema's id columns and triggers, how a write transaction starts, and the
placeholder style. psycopg is imported only when a PostgreSQL URL is given.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Database:
    """One connection shared by the store's threads (under `lock`); rows read by column name."""

    name: str
    lock: threading.RLock

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def script(self, sql: str) -> None:
        """Run several statements (the idempotent schema)."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """A write transaction that holds the database's write lock from its start."""
        with self.lock:
            self.execute(self.begin)
            try:
                yield self
            except BaseException:
                self.execute("ROLLBACK")
                raise
            self.execute("COMMIT")

    def session_lock(self, name: str) -> bool | None:
        """Take the lock `name` for as long as this connection lives (released with `session_unlock`, or
        when the process dies): True when taken, False when another connection holds it, None when the
        database has no such locks (SQLite: the caller keeps a row instead)."""
        return None

    def session_unlock(self, name: str) -> None:
        """Give back `name` (see `session_lock`)."""

    begin = "BEGIN"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
    append_only = ""  # the audit table's guard (triggers)

    def close(self) -> None:
        raise NotImplementedError


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


def connect(location: str | Path) -> Database:
    """The database at `location`: a PostgreSQL URL, else an SQLite file path."""
    return PostgresDatabase(str(location)) if is_url(location) else SqliteDatabase(Path(location))


class SqliteDatabase(Database):
    begin = "BEGIN IMMEDIATE"
    append_only = """
CREATE TRIGGER IF NOT EXISTS audit_append_only_u BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_d BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.name = str(path)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        with self.lock:
            return self._db.execute(sql, tuple(args))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock:
            self._db.executemany(sql, rows)

    def script(self, sql: str) -> None:
        with self.lock:
            self._db.executescript(sql)  # manages its own transaction

    def close(self) -> None:
        with self.lock:
            self._db.close()


class PostgresDatabase(Database):
    serial = "BIGSERIAL PRIMARY KEY"
    append_only = """
CREATE OR REPLACE FUNCTION hub_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
    $fn$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $fn$;
CREATE OR REPLACE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION hub_audit_append_only();
"""

    def __init__(self, url: str) -> None:
        import psycopg
        from psycopg.rows import dict_row

        self.name = _without_password(url)
        self.lock = threading.RLock()
        self._db = psycopg.connect(url, autocommit=True, row_factory=dict_row)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        # several processes share the database: one writer at a time, as SQLite's BEGIN IMMEDIATE gives
        with super().transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(hashtext('hub state'))")
            yield db

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        with self.lock:
            return self._db.execute(_pg(sql), tuple(args) or None)

    def session_lock(self, name: str) -> bool | None:
        row = self.execute("SELECT pg_try_advisory_lock(hashtext(?)) AS taken", (name,)).fetchone()
        return bool(row["taken"])

    def session_unlock(self, name: str) -> None:
        self.execute("SELECT pg_advisory_unlock(hashtext(?))", (name,))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock, self._db.cursor() as cursor:
            cursor.executemany(_pg(sql), [tuple(r) for r in rows])

    def script(self, sql: str) -> None:
        with self.lock:
            self._db.execute(sql.encode())  # several statements: no parameters, sent as they are

    def close(self) -> None:
        with self.lock:
            self._db.close()


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


def _without_password(url: str) -> str:
    """The URL as shown in messages: never with its password."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}@{host}"
