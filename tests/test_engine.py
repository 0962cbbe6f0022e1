"""Engine guarantees, shown with the test vendor and its simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.clock import FakeClock, ScaledClock
from hub.errors import Interrupted
from hub.plugins import make_plugins
from hub.simulator import Fault
from hub.state import StateStore
from hub.sync.accounts import Account, HttpFactory, open_provider
from hub.sync.apply import Applier
from hub.sync.plan import Plan, compute_plan
from hub.testing import Harness, make_client, sample_client


@pytest.fixture
def vendor():  # type: ignore[no-untyped-def]
    return make_plugins().registry.get("testvendor")


def many_lists(n: int, name: str = "acme") -> dict:  # type: ignore[type-arg]
    return {"lists": [{"id": f"l{i}", "name": f"List {i}"} for i in range(n)]}


def test_second_apply_makes_no_writes(vendor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    h = Harness(vendor, sample_client("testvendor"), tmp_path, FakeClock())
    try:
        first = h.apply()
        assert not first.failed
        writes = h.writes()
        second = h.apply()
        assert h.writes() == writes
        assert {c.action for c in second.changes} <= {"noop"}
    finally:
        h.close()


def test_429_retry_after_is_waited_on_the_simulated_clock(vendor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    h = Harness(vendor, sample_client("testvendor"), tmp_path, clock)
    try:
        h.simulator.inject(Fault("status", status=429, retry_after=2, count=1, method="POST"))
        report = h.apply()
        assert not report.failed
        assert 2 in clock.slept  # waited out on the simulated clock, not on the wall clock
        refused = [e for e in h.simulator.log if e.status == 429]
        retried = [e for e in h.simulator.log if e.time >= refused[0].time + 2 and e.method == refused[0].method
                   and e.path == refused[0].path]
        assert refused and retried
    finally:
        h.close()


def test_two_accounts_run_concurrently_each_within_its_limit(vendor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = ScaledClock(20.0)  # 10 requests per vendor second = 200 per real second
    http = HttpFactory(clock)
    sims, accounts = [], []
    for name in ("north", "south"):
        sim = vendor.create_simulator(clock)
        sims.append(sim)
        settings = vendor.Settings.model_validate(vendor.sandbox_settings(sim.start()))
        client = make_client("testvendor", name=name, audience=many_lists(40))
        accounts.append(Account(client, "main", open_provider(vendor, settings, name, "main", clock, http)))
    state = StateStore(tmp_path / "state.db")
    try:
        plan = compute_plan(accounts, state, workspace_digest="x", sandbox=True, prune=False,
                            clients=["north", "south"])
        report = Applier(state, accounts, prune=False).apply(plan)
        assert not report.failed
        spans = []
        for sim in sims:
            writes = sim.log.writes()
            assert len(writes) == 40
            assert all(e.status < 400 for e in sim.log), "the client must keep under the vendor's limit"
            times = sorted(e.time for e in sim.log)
            # never more than 10 requests in any window of one vendor second
            assert all(times[i + 10] - times[i] >= 1.0 for i in range(len(times) - 10))
            spans.append((times[0], times[-1]))
        (a0, a1), (b0, b1) = spans
        assert a0 < b1 and b0 < a1, "the two accounts were applied one after the other, not concurrently"
    finally:
        state.close()
        http.close()
        for sim in sims:
            sim.stop()


def test_interrupt_leaves_state_consistent_and_a_rerun_continues(vendor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    h = Harness(vendor, make_client("testvendor", audience=many_lists(30)), tmp_path, FakeClock())
    try:
        plan = h.plan()
        applier = h.applier()
        calls = {"n": 0}

        def progress(n: int) -> None:
            calls["n"] += n
            if calls["n"] == 10:
                applier.stop.set()  # what Ctrl-C does

        applier.progress = progress
        report_interrupted = False
        try:
            applier.apply(plan)
        except Interrupted:
            report_interrupted = True
        assert report_interrupted
        assert h.state.pending() == []
        done = len(h.state.items())
        assert 10 <= done < 30
        h.apply()
        names = [x["name"] for x in h.simulator.items("lists")]
        assert len(names) == 30 == len(set(names))
    finally:
        h.close()


def test_saved_plan_is_refused_when_stale(vendor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    h = Harness(vendor, sample_client("testvendor"), tmp_path, FakeClock())
    try:
        plan = h.plan()
        path = tmp_path / "plan.json"
        plan.save(path)
        loaded = Plan.load(path)
        loaded.check_binding("test", h.state.revision, True)  # fresh: accepted
        assert [c.public() for c in loaded.changes] == [c.public() for c in plan.changes]
        h.apply()
        with pytest.raises(Exception, match="stale"):
            loaded.check_binding("test", h.state.revision, True)
        with pytest.raises(Exception, match="stale"):
            loaded.check_binding("edited", plan.state_revision, True)
    finally:
        h.close()


def test_drift_is_shown_when_a_list_is_renamed_in_the_vendor(vendor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    h = Harness(vendor, sample_client("testvendor"), tmp_path, FakeClock())
    try:
        h.apply()
        with h.simulator.lock:
            lst = next(x for x in h.simulator.account_state("main")["lists"].values() if x["name"] == "Newsletter")
            lst["name"] = "Renamed in the UI"
        plan = h.plan()
        change = next(c for c in plan.changes if c.kind == "list" and c.id == "newsletter")
        assert change.action == "update" and change.drift
        assert "Renamed in the UI" in change.reason
        h.apply(plan)
        assert "Newsletter" in [x["name"] for x in h.simulator.items("lists")]
    finally:
        h.close()


def test_prune_is_required_to_delete(vendor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    h = Harness(vendor, make_client("testvendor", audience=many_lists(2)), tmp_path, FakeClock())
    try:
        h.apply()
        h.account.client = make_client("testvendor", audience=many_lists(1))
        plan = h.plan()
        assert [c.action for c in plan.changes if c.id == "l1"] == ["delete"]
        report = h.apply(plan)
        assert [c.result for c in report.changes if c.id == "l1"] == ["skipped"]
        assert len(h.simulator.items("lists")) == 2
        h.apply(prune=True)
        assert [x["name"] for x in h.simulator.items("lists")] == ["List 0"]
    finally:
        h.close()


def test_thousands_of_unchanged_contacts_are_planned_as_one_count(vendor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Re-planning a big audience: the unchanged contacts are one noop item with a count and a sample (in memory,
    in JSON and in a saved plan), while the one that changed is an item of its own."""
    contacts = [{"email": f"p{i:04d}@example.com", "first_name": "P", "lists": ["news"]} for i in range(1500)]
    client = make_client("testvendor", audience={"lists": [{"id": "news", "name": "News"}], "contacts": contacts})
    h = Harness(vendor, client, tmp_path, ScaledClock(1000.0))
    try:
        assert not h.apply().failed
        client.audience.contacts[7].first_name = "Changed"
        plan = h.plan()
        contact_changes = [c for c in plan.changes if c.kind == "contact"]
        assert [(c.id, c.action, c.count) for c in contact_changes if c.action != "noop"] == [
            ("p0007@example.com", "update", 1)]
        [folded] = [c for c in contact_changes if c.action == "noop"]
        assert (folded.id, folded.count, folded.details["sample"][:2]) == ("*", 1499, ["p0000@example.com",
                                                                                      "p0001@example.com"])
        assert plan.summary()["noop"] >= 1499 and plan.summary()["update"] == 1
        [entry] = [c for cl in plan.to_json()["clients"] for c in cl["changes"]
                   if c["kind"] == "contact" and c["action"] == "noop"]
        assert entry["count"] == 1499 and len(entry["sample"]) == 10
        path = tmp_path / "plan.json"
        plan.save(path)
        loaded = Plan.load(path)
        assert loaded.summary() == plan.summary()
        assert [c.id for c in loaded.writes if c.kind == "contact"] == ["p0007@example.com"]
    finally:
        h.close()
