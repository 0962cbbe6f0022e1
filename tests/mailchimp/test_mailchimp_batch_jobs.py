"""Member writes of many units as few /batches jobs: Mailchimp runs an account's jobs one at a time, so writes
handed over while a job runs go together in the next, and each unit gets its own results."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hub_mailchimp.batch_jobs import BatchJobs


class Vendor:
    """Runs jobs: each is seen at work once `work` is set, and ends once `release` is."""

    def __init__(self) -> None:
        self.jobs: list[list[str]] = []
        self.work, self.release = threading.Event(), threading.Event()
        self.fail = False

    def run(self, operations: list[dict[str, Any]], repeatable: bool,
            running: Any) -> dict[str, tuple[int, str]]:
        self.jobs.append([op["path"] for op in operations])
        assert self.work.wait(10)
        running()
        assert self.release.wait(10)
        if self.fail:
            raise RuntimeError("batch abc did not finish in time")
        return {op["operation_id"]: (200, op["path"]) for op in operations}

    def free(self) -> Vendor:
        self.work.set()
        self.release.set()
        return self


def unit(jobs: BatchJobs, name: str, n: int, out: dict[str, Any]) -> None:
    ops = [{"method": "PUT", "path": f"/{name}/{i}", "operation_id": str(i)} for i in range(n)]
    try:
        out[name] = jobs.run(ops, repeatable=True)
    except RuntimeError as exc:
        out[name] = exc


def until(done: Any) -> None:
    deadline = time.monotonic() + 10
    while not done() and time.monotonic() < deadline:
        threading.Event().wait(0.01)


def test_the_next_job_waits_behind_the_running_one_with_everything_handed_over_until_then() -> None:
    """Started once the running job is seen at work, the next job waits at the vendor behind it (no gap between
    them), and holds every write handed over until then, each unit getting its own results."""
    vendor, out = Vendor(), {}
    jobs = BatchJobs(vendor.run)
    units = [threading.Thread(target=unit, args=(jobs, name, 2 if name == "a" else 3, out)) for name in "abcd"]
    units[0].start()
    until(lambda: len(vendor.jobs) == 1)  # a's job started, not yet at work
    for t in units[1:]:
        t.start()
    until(lambda: len(jobs._waiting) == 3)
    assert len(vendor.jobs) == 1  # nothing started behind a job the vendor is not seen working on
    vendor.work.set()
    until(lambda: len(vendor.jobs) == 2)
    vendor.release.set()
    for t in units:
        t.join(10)
    assert vendor.jobs[0] == ["/a/0", "/a/1"]
    assert len(vendor.jobs) == 2 and sorted(vendor.jobs[1]) == sorted(f"/{n}/{i}" for n in "bcd" for i in range(3))
    assert out["a"] == {"0": (200, "/a/0"), "1": (200, "/a/1")}
    assert out["c"] == {str(i): (200, f"/c/{i}") for i in range(3)}  # its own ids, its own results


def test_a_job_that_fails_fails_every_unit_in_it() -> None:
    vendor, out = Vendor().free(), {}
    vendor.fail = True
    unit(BatchJobs(vendor.run), "a", 2, out)
    assert isinstance(out["a"], RuntimeError) and "did not finish" in str(out["a"])


def test_a_unit_alone_runs_its_own_job() -> None:
    vendor, out = Vendor().free(), {}
    jobs = BatchJobs(vendor.run)
    unit(jobs, "a", 1, out)
    unit(jobs, "b", 1, out)
    assert vendor.jobs == [["/a/0"], ["/b/0"]] and out["b"] == {"0": (200, "/b/0")}


@pytest.mark.parametrize("n", [5000, 6000])
def test_a_job_holds_at_most_five_thousand_operations_but_never_splits_a_units(n: int) -> None:
    vendor, out = Vendor().free(), {}
    unit(BatchJobs(vendor.run), "a", n, out)
    assert len(vendor.jobs) == 1 and len(out["a"]) == n
