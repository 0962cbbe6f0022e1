"""Batch operations: ``/batches`` and the result archive.

``POST /batches {operations: [{method, path, params, body (a JSON string), operation_id}]}`` answers
``status: "pending"``. An account's batches run one at a time, in the order they came ("only one batch request is run
at a time", the vendor's reference for ``DELETE /batches/{id}``): a batch stays ``pending`` while one before it runs.
Once its turn comes it moves ``preprocessing → started → finalizing → finished``: each of the first three phases
lasts ``batch_seconds / 3`` vendor seconds on the simulator clock, and (with ``batch_poll_advance``, the default)
every ``GET /batches/{id}`` of a running batch also moves it on by at least one phase, so a poller that never sleeps
still finishes. The operations run when the batch reaches ``started`` — through the simulator's own routing
(``self.call``), so they obey every rule the direct calls do; they may not create or read batches — and the batch
advances on any request of the account, as the vendor's work goes on in the background. A finished batch has
``response_body_url`` pointing at this simulator (``/mailchimp-api-batch/<id>-response.tar.gz``, served without auth
like the vendor's pre-signed S3 link): a gzipped tar of JSON files, each an array of ``{status_code, operation_id,
response}`` with ``response`` the JSON text of the answer. ``DELETE /batches/{id}`` stops and removes a batch.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Iterable
from typing import Any

from hub.simulator import Row, SimRequest, SimResponse, route

from . import shapes as sh
from .automations import Automations

PHASES = ("pending", "preprocessing", "started", "finalizing", "finished")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RESULTS_PER_FILE = 1000
ARCHIVE_PREFIX = "/mailchimp-api-batch/"
ARCHIVE_SUFFIX = "-response.tar.gz"
NO_SUCH_KEY = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
               "<Message>The specified key does not exist.</Message></Error>")


class Batches(Automations):
    batch_seconds: float = 4.0
    batch_poll_advance: bool = True

    def _advance_batches(self, account: str, batches: Iterable[Row], *, polled: str | None = None) -> None:
        """Move an account's batches (oldest first) on to where vendor time has brought them, one running at a
        time; `polled`: the id of a batch just polled."""
        free_at: float | None = None  # vendor time the batch before ended
        for batch in batches:
            if batch.get("t0") is None:  # its turn comes now
                queued = batch.get("queued_at", self.clock.now())
                batch["t0"] = queued if free_at is None else max(queued, free_at)
            self._advance_batch(account, batch, poll=batch["id"] == polled)
            if batch["status"] != "finished":
                return  # the batches after it wait
            free_at = batch.get("ended_at", batch["t0"] + self.batch_seconds)

    def _advance_batch(self, account: str, batch: Row, *, poll: bool = False) -> None:
        if batch["status"] == "finished":
            return
        if poll and self.batch_poll_advance:
            batch["polls"] += 1
        last = len(PHASES) - 1
        now = self.clock.now()
        # (a batch whose turn has come is no longer pending: the vendor has begun it)
        by_time = last if self.batch_seconds <= 0 else 1 + int((now - batch["t0"]) // (self.batch_seconds / 3))
        phase = max(min(by_time, last), min(batch["polls"], last), PHASES.index(batch["status"]))
        if phase >= PHASES.index("started") and batch["results"] is None:
            self._run_operations(account, batch)
        batch["status"] = PHASES[phase]
        if batch["status"] == "finished":
            batch["completed_at"] = self._now()
            batch["ended_at"] = min(now, batch["t0"] + max(self.batch_seconds, 0.0))

    def _run_operations(self, account: str, batch: Row) -> None:
        results = []
        for op in batch["operations"]:
            path = op["path"] if op["path"].startswith(sh.BASE + "/") else sh.BASE + op["path"]
            query = {str(k): [str(x) for x in v] if isinstance(v, list) else [_param(v)]
                     for k, v in (op.get("params") or {}).items()}
            if path.split("?")[0].rstrip("/") == sh.BASE + "/batches" or path.startswith(sh.BASE + "/batches/"):
                resp = self.error(400, "Batch operations cannot manage batches.")
            else:
                body = op["body"].encode("utf-8") if isinstance(op.get("body"), str) else b""
                resp = self.call(op["method"], path, body, account=account, query=query,
                                 headers={"Content-Type": "application/json"})
            payload = resp.json() if resp.body not in (None, b"", "") else None
            results.append({"status_code": resp.status, "operation_id": op.get("operation_id"),
                            "response": "" if payload is None else json.dumps(payload, separators=(",", ":"))})
        batch.update(results=results, finished_operations=len(results),
                     errored_operations=sum(1 for r in results if r["status_code"] >= 400))

    def render_batch(self, st: dict[str, Any], batch: Row) -> Row:
        done = batch["status"] == "finished"
        started = PHASES.index(batch["status"]) >= PHASES.index("started")
        return {
            "id": batch["id"], "status": batch["status"], "total_operations": batch["total_operations"],
            "finished_operations": batch["finished_operations"] if started else 0,
            "errored_operations": batch["errored_operations"] if started else 0,
            "submitted_at": batch["submitted_at"], "completed_at": batch["completed_at"] if done else "",
            "response_body_url": f"{self.root_url}{ARCHIVE_PREFIX}{batch['id']}{ARCHIVE_SUFFIX}" if done else "",
            "_links": [],
        }

    def batch_archive(self, batch: Row) -> bytes:
        """The result archive: a gzipped tar of ``<n>.json`` files, each a JSON array of results."""
        results = batch["results"] or []
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
            chunks = [results[i : i + RESULTS_PER_FILE] for i in range(0, len(results), RESULTS_PER_FILE)] or [[]]
            for n, chunk in enumerate(chunks):
                data = json.dumps(chunk).encode("utf-8")
                info = tarfile.TarInfo(f"{batch['id']}/{n}.json")
                info.size, info.mtime = len(data), 0
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    @sh.api("POST", "/batches")
    def start_batch(self, req: SimRequest) -> Any:
        errors: dict[str, str] = {}
        ops = sh.array(self._body(req), "operations", errors, required=True)
        for i, op in enumerate(ops):
            at = f"operations[{i}]"
            if not isinstance(op, dict):
                errors[at] = sh.TYPE_ERRORS[dict]
                continue
            if str(op.get("method", "")).upper() not in METHODS:
                errors[f"{at}.method"] = sh.one_of(METHODS)
            if not isinstance(op.get("path"), str) or not op["path"].startswith("/"):
                errors[f"{at}.path"] = "This value should be a path starting with '/'."
            sh.check_types(op, errors, f"{at}.", params=dict, operation_id=str)
            if op.get("body") is not None and not isinstance(op["body"], str):
                errors[f"{at}.body"] = "The body of an operation must be a JSON string."
        self.check(errors)
        batch = sh.BATCHES.table(self._st(req)).insert({
            "id": self._hex_id("batch"), "status": "pending", "total_operations": len(ops),
            "finished_operations": 0, "errored_operations": 0, "submitted_at": self._now(), "completed_at": "",
            "t0": None, "queued_at": self.clock.now(), "polls": 0, "results": None,
            "operations": [{"method": str(op["method"]).upper(), "path": op["path"], "params": op.get("params") or {},
                            "body": op.get("body"), "operation_id": op.get("operation_id")} for op in ops],
        })
        return self.render_batch({}, batch)

    @sh.api("GET", "/batches")
    def list_batches(self, req: SimRequest) -> Any:
        st = self._st(req)
        return self._page(req, "batches", sh.BATCHES.table(st).rows(), lambda b: self.render_batch(st, b))

    @sh.api("GET", "/batches/{batch_id}")
    def get_batch(self, req: SimRequest) -> Any:
        st = self._st(req)
        batches = sh.BATCHES.table(st)
        batch = batches.require(req.params["batch_id"])
        self._advance_batches(req.account or "", list(batches.values()), polled=batch["id"])
        return self.render_batch(st, batch)

    @sh.api("DELETE", "/batches/{batch_id}")
    def delete_batch(self, req: SimRequest) -> Any:
        batches = sh.BATCHES.table(self._st(req))
        del batches[batches.require(req.params["batch_id"])["id"]]

    @route("GET", ARCHIVE_PREFIX + "{name}")
    def batch_results(self, req: SimRequest) -> Any:
        name = req.params["name"]
        bid = name[: -len(ARCHIVE_SUFFIX)] if name.endswith(ARCHIVE_SUFFIX) else None
        for st in self.state.values():
            batch = sh.BATCHES.table(st).get(bid) if bid else None
            if batch is not None and batch["status"] == "finished":
                return SimResponse(200, self.batch_archive(batch), {}, "application/x-gzip")
        return SimResponse(404, NO_SUCH_KEY, {}, "application/xml")


def _param(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
