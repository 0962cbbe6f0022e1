"""A PostgreSQL server of the test's own: a cluster made with `initdb` in a temp directory, started with
`pg_ctl` on a Unix socket there (nothing on the network, nothing left running), one fresh database per
test. PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` account."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PORT = 55432


def _as_owner(argv: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *argv] if owner else argv


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The admin URL of a running server (database `postgres`)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL is not installed (initdb and pg_ctl not found)")
    owner = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if owner:
        try:
            entry = pwd.getpwnam(owner)
        except KeyError:
            pytest.skip("running as root, and no 'postgres' account to run PostgreSQL as (it refuses root)")
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = PORT + (os.getpid() % 500)  # xdist workers each start their own
    subprocess.run(_as_owner([initdb, "-D", str(data), "-A", "trust", "-U", "hub", "--no-sync"], owner),
                   check=True, capture_output=True)
    options = f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off"
    subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"], owner),
                   check=True, capture_output=True)
    try:
        yield f"postgresql://hub@/postgres?host={sockets}&port={port}"
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], owner), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the test's server."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return postgres_server.replace("/postgres?", f"/{name}?")
