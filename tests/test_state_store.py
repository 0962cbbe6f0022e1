"""The state store behaves the same on its two databases: an SQLite file (the default) and PostgreSQL (a team
or several workers sharing one state). Every test runs on both."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)

from hub.errors import ConfigError
from hub.state import StateStore
from hub.state.store import Settlement


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: Any, tmp_path: Path) -> str | Path:
    if request.param == "sqlite":
        return tmp_path / "state.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(location: str | Path) -> Any:
    s = StateStore(location)
    yield s
    s.close()


def test_a_journalled_write_is_pending_until_settled_then_recorded(store: StateStore) -> None:
    revision = store.revision
    [jid] = store.begin("run1", "acme", "main", "mailerlite", "list", [("news", "create", "News", "fp1")])
    assert [(e.neutral_id, e.op, e.status) for e in store.pending()] == [("news", "create", "pending")]
    store.progress(jid, "g1")  # the first step of a create is done
    store.settle([Settlement(jid, "ok", data={"count": 2})])
    assert store.pending() == []
    item = store.item("acme", "main", "list", "news")
    assert item is not None and (item.vendor_id, item.fingerprint, item.data) == ("g1", "fp1", {"count": 2})
    assert store.revision == revision + 1
    [jid] = store.begin("run2", "acme", "main", "mailerlite", "list", [("news", "update", "News", "fp2")])
    store.settle([Settlement(jid, "ok", "g1")])
    assert store.item("acme", "main", "list", "news").fingerprint == "fp2"  # type: ignore[union-attr]
    [jid] = store.begin("run3", "acme", "main", "mailerlite", "list", [("news", "delete", "News", "")])
    store.settle([Settlement(jid, "ok")])
    assert store.items("acme") == []
    assert [(a.action, a.result) for a in store.audit("acme")] == [("create", "ok"), ("update", "ok"),
                                                                    ("delete", "ok")]


def test_a_batch_journalled_at_once_gives_each_write_its_own_entry_in_order(store: StateStore) -> None:
    # more rows than one INSERT holds, and one item written twice: each id names the write given at its place
    ops = [(f"c{i}", "create", f"c{i}@x.example", f"fp{i}") for i in range(1203)]
    ops.insert(700, ("c5", "create", "c5@x.example", "fp5-again"))
    ids = store.begin("run1", "acme", "main", "mailerlite", "contact", ops)
    assert len(set(ids)) == len(ops)
    by_id = {e.id: e for e in store.pending()}
    assert [(by_id[i].neutral_id, by_id[i].fingerprint) for i in ids] == [(o[0], o[3]) for o in ops]
    assert ids[5] < ids[700]  # an item given twice: its first write has the earlier entry
    store.settle([Settlement(i, "ok", f"v{n}") for n, i in enumerate(ids)])
    assert store.pending() == []
    assert len(store.items("acme")) == 1203
    twice = store.item("acme", "main", "contact", "c5")
    assert twice is not None and (twice.fingerprint, twice.vendor_id) == ("fp5-again", "v700")  # the later write


def test_an_unknown_outcome_is_kept_until_the_user_resolves_it(store: StateStore) -> None:
    [jid] = store.begin("run1", "acme", "main", "mailchimp", "enrolment", [("w/a@x.example", "create", "a", "fp")])
    store.settle([Settlement(jid, "unknown", error="answer lost")])
    record = store.item("acme", "main", "enrolment", "w/a@x.example")
    assert record is not None and record.data["unknown"] == "answer lost"
    store.resolve(record, done=True)
    assert "unknown" not in store.item("acme", "main", "enrolment", "w/a@x.example").data  # type: ignore[union-attr]


def test_work_in_progress_is_found_among_records_that_hold_none(store: StateStore) -> None:
    for name, data in (("a", {"confirm": "imp-1"}), ("b", {"groups": ["tag:confirm"]}), ("c", {"note": "unknown"}),
                       ("d", {"held_until": "2026-12-01T09:00:00Z"}), ("e", {})):
        store.record("run", "acme", "main", "activecampaign", "contact", name, name, "fp", f"v-{name}", data)
    store.record("run", "other", "main", "activecampaign", "contact", "f", "f", "fp", "v-f", {"confirm": "imp-2"})
    found = store.items_with(("confirm", "unknown"), "acme", "main", "contact")
    assert [r.neutral_id for r in found] == ["a"]  # values that mention a key do not count
    assert [r.neutral_id for r in store.items_with(("held_until", "confirm"), "acme")] == ["a", "d"]
    assert [r.neutral_id for r in store.items_with(("confirm",))] == ["a", "f"]
    assert store.holders("acme", "contact") == {("main", "activecampaign")}


def test_deliveries_are_upserted_and_opt_outs_recorded_once(store: StateStore) -> None:
    ledger = store.ledger("acme", "sms")
    ledger.record("flash", [("+15550001", "pending", "", "fp", "", ""), ("+15550002", "held", "", "fp", "", "")])
    ledger.record("flash", [("+15550001", "sent", "SM1", "fp", "", "")])
    rows = ledger.deliveries("flash")
    assert (rows["+15550001"].status, rows["+15550001"].message_id) == ("sent", "SM1")
    assert {c: [d.recipient for d in ds] for c, ds in ledger.deliveries_in(["held"]).items()} == {
        "flash": ["+15550002"]}
    assert store.record_optout("acme", "sms", "+15550001", "STOP") is True
    assert store.record_optout("acme", "sms", "+15550001", "STOP") is False
    assert list(store.optouts("acme", "sms")) == ["+15550001"]


def test_the_audit_log_cannot_be_rewritten(store: StateStore) -> None:
    store.record("run1", "acme", "main", "mailerlite", "list", "news", "News", "fp", "g1")
    with pytest.raises(Exception, match="append-only"), store._tx() as db:
        db.execute("UPDATE audit SET result = 'failed'")
    assert [a.result for a in store.audit("acme")] == ["ok"]


def test_two_processes_share_one_state(location: str | Path) -> None:
    first, second = StateStore(location), StateStore(location)
    try:
        first.record("run1", "acme", "main", "mailerlite", "list", "news", "News", "fp", "g1")
        assert second.item("acme", "main", "list", "news").vendor_id == "g1"  # type: ignore[union-attr]
        assert second.revision == first.revision
    finally:
        first.close()
        second.close()


def test_a_newer_schema_is_refused_naming_where_and_what_to_do(location: str | Path) -> None:
    if isinstance(location, str):  # a password in the URL never reaches a message
        location = location.replace("postgresql://hub@", "postgresql://hub:s3cret-pw@")
    store = StateStore(location)
    with store._tx() as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    store.close()
    with pytest.raises(ConfigError, match="v99 is newer than this hub") as refused:
        StateStore(location)
    assert "upgrade hub" in str(refused.value) and "s3cret-pw" not in str(refused.value)


def test_an_apply_on_a_shared_database_converges_as_on_a_file(location: str | Path, tmp_path: Path) -> None:
    from hub.clock import FakeClock
    from hub.plugins import make_plugins
    from hub.testing import Harness, sample_client

    h = Harness(make_plugins().registry.get("mailerlite"), sample_client("mailerlite"), tmp_path, FakeClock(),
                state=location)
    try:
        assert not h.apply().failed
        assert [c for c in h.plan().changes if c.writes] == []
    finally:
        h.close()


HOLDER = """
import sys
from hub.state import StateStore
store = StateStore(sys.argv[1])
with store.client_lock([sys.argv[2]]):
    print("holding", flush=True)
    sys.stdin.read()
"""


def hold(location: str | Path, client: str = "acme") -> Any:
    """Another process applying `client` on the same state, until it ends or is killed."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(location), client], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_two_applies_of_one_client_never_interleave(location: str | Path) -> None:
    from hub.errors import ClientBusy, ExitCode

    other = hold(location)
    store = StateStore(location)
    try:
        held_by_other = f"client 'acme' is being applied by .*pid {other.pid}"
        with pytest.raises(ClientBusy, match=held_by_other) as busy, store.client_lock(["acme"]):
            pass
        assert busy.value.exit_code == ExitCode.UNAVAILABLE
        with store.client_lock(["law-firm"]):  # other clients are free meanwhile
            pass
        other.stdin.close()  # the other apply ends
        other.wait(timeout=30)
        with store.client_lock(["acme"]):
            pass
    finally:
        other.kill()
        store.close()


def test_a_killed_apply_holds_nothing(location: str | Path) -> None:
    import time

    from hub.errors import ClientBusy

    other = hold(location)
    other.kill()  # kill -9: no chance to give anything back
    other.wait(timeout=30)
    store = StateStore(location)
    try:
        for _ in range(100):  # PostgreSQL drops the dead session's lock once it sees the connection close
            try:
                with store.client_lock(["acme"]):
                    break
            except ClientBusy:
                time.sleep(0.05)
        else:
            pytest.fail("a killed apply still holds its client")
    finally:
        store.close()


def test_apply_says_who_holds_a_client_and_exits_5(tmp_path: Path, capsys: Any) -> None:
    from cli_helpers import hub

    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    other = hold(root / ".hub" / "sandbox" / "state.db", "bakery")
    try:
        result = hub(capsys, "apply", "-w", str(root), "--sandbox", "--yes", "-c", "bakery")
        assert result.code == 5
        assert "client 'bakery' is being applied by" in result.err and f"pid {other.pid}" in result.err
        assert "try again when it is done" in result.err
    finally:
        other.kill()
        other.wait(timeout=30)
    assert hub(capsys, "apply", "-w", str(root), "--sandbox", "--yes", "-c", "bakery").code == 0


def test_hub_yaml_says_where_the_state_is(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    from cli_helpers import hub

    from hub.sync.engine import state_location

    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    config = root / "hub.yaml"
    config.write_text(config.read_text().replace("state_dir: .hub ", "state_dir: .state"))
    assert hub(capsys, "apply", "-w", str(root), "--sandbox", "--yes", "-c", "bakery").code == 0
    assert (root / ".state" / "sandbox" / "state.db").exists() and not (root / ".hub").exists()

    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    assert state_location(root, sandbox=False) == root / ".state" / "state.db"
    config.write_text(config.read_text() + "database: env:TEAM_DB\n")
    monkeypatch.setenv("TEAM_DB", "postgresql://team:pw@db.example/hub")
    assert state_location(root, sandbox=False) == "postgresql://team:pw@db.example/hub"
    assert state_location(root, sandbox=True) == root / ".state" / "sandbox" / "state.db"  # always its own
    config.write_text(config.read_text().replace("env:TEAM_DB", "postgresql://team:pw@db.example/hub"))
    with pytest.raises(ConfigError, match=r"database: the URL holds a password.*database: env:NAME") as literal:
        state_location(root, sandbox=False)
    assert "pw@" not in str(literal.value)
    config.write_text(config.read_text().replace("team:pw@", "team@"))  # no password: fine as written
    assert state_location(root, sandbox=False) == "postgresql://team@db.example/hub"


def test_a_runner_sees_the_journeys_another_worker_started(store: StateStore) -> None:
    """The runner reads who has a journey in full once, then asks only about contacts it does not know yet."""
    from hub.runner.enrol import Enrolment
    from hub.state.journeys import Journey, Journeys

    j = Journeys(store)
    enrolment = Enrolment(j, "acme", "welcome")
    keys = {f"p{i}@x.example" for i in range(600)}  # more than one `IN (...)` of them
    assert enrolment.among(keys) == set()
    others = [Journey("", "", f"p{i}@x.example", "1", "step-1", "waiting", "2026-05-01T09:00:00Z")
              for i in range(0, 600, 7)]
    j.enrol("acme", "welcome", others)  # another worker
    j.enrol("acme", "other", [Journey("", "", "p1@x.example", "1", "s", "waiting", "2026-05-01T09:00:00Z")])
    assert enrolment.among(keys) == {r.contact for r in others}


def test_journeys_are_started_once_claimed_in_batches_and_moved_on_once(store: StateStore) -> None:
    from hub.state.journeys import Journey, Journeys, Move

    j = Journeys(store)
    rows = [Journey("", "", f"p{i}@x.example", "2026", "step-1", "waiting", "2026-05-01T09:00:00Z") for i in range(5)]
    assert j.enrol("acme", "birthday", rows) == 5
    assert j.enrol("acme", "birthday", rows) == 0  # a journey's key is its contact and pass: started once
    assert j.claim("2026-05-01T08:59:59Z", "t0", limit=100, batch_size=lambda *_: 2) == []  # not due yet
    batches = j.claim("2026-05-01T09:00:00Z", "t1", limit=100, batch_size=lambda *_: 2)
    assert [len(j.in_batch(b)) for b in batches] == [2, 2, 1]
    # claimed rows are not claimed again
    assert j.claim("2026-05-01T10:00:00Z", "t2", limit=100, batch_size=lambda *_: 2) == []
    assert [b for b, _ in j.outstanding("2026-05-01T10:00:00Z")] == sorted(batches)

    first = batches[0]
    members = j.in_batch(first)
    moves = [Move(r.contact, r.pass_, "step-2", "waiting", "2026-05-02T09:00:00Z", log=(("step-1", "sent"),))
             for r in members]
    assert j.settle("acme", "birthday", first, moves, "step-1") == 2
    assert j.settle("acme", "birthday", first, moves, "step-1") == 0  # the same batch again moves nobody twice
    assert j.count_log("acme", "birthday", "step-1") == {f"{r.contact}#2026": 1 for r in members}

    # a batch that failed stays claimed under its name, tried again later (the next attempt)
    j.retry_later(batches[1], "2026-05-01T11:00:00Z", "vendor down")
    assert (batches[1], 1) not in j.outstanding("2026-05-01T10:30:00Z")
    assert (batches[1], 1) in j.outstanding("2026-05-01T11:00:00Z")

    send = j.begin_send("acme", first, "birthday", "step-1", "email")
    again = j.begin_send("acme", first, "birthday", "step-1", "email")
    assert send.status == "pending" and send.fresh and again == replace(send, fresh=False)
    j.settle_send("acme", first, "sent", "c-42")
    keys = [(r.contact, r.pass_) for r in members]
    assert j.campaigns_of("acme", "birthday", "step-1", keys) == {k: ("email", "c-42") for k in keys}

    event = j.add_event("acme", "order", "p9@x.example", {"total": 42})
    assert j.new_events("acme", "order")[0][:3] == (event, "p9@x.example", {"total": 42})
    j.take_events([event])
    assert j.new_events("acme", "order") == []
    summary = {(r["step"], r["status"]): r["n"] for r in j.summary("acme")}
    assert summary == {("step-1", "claimed"): 3, ("step-2", "waiting"): 2}
