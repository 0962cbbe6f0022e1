"""Batch operations in the Mailchimp simulator: ``/batches`` and the result archive.

``POST /batches {operations: [{method, path, params, body (a JSON string), operation_id}]}`` answers
``status: "pending"``. The batch then moves ``pending → preprocessing → started → finalizing →
finished``: each phase lasts ``batch_seconds / 4`` vendor seconds on the simulator clock, and (with
``batch_poll_advance``, the default) every ``GET /batches/{id}`` also moves it on by at least one
phase, so a poller that never sleeps still finishes. The operations run when the batch reaches
``started`` — through the simulator's own routing (``self.call``), so they obey every rule the
direct calls do — and the batch advances on any request of the account, as the vendor's work goes
on in the background. A finished batch has ``response_body_url`` pointing at this simulator
(``/mailchimp-api-batch/<id>-response.tar.gz``, served without auth like the vendor's pre-signed S3
link): a gzipped tar of JSON files, each an array of ``{status_code, operation_id, response}`` with
``response`` the JSON text of the answer. ``DELETE /batches/{id}`` stops and removes a batch.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from typing import Any

from hub.simulator import SimRequest, SimResponse, route
from hub_mailchimp.sim_shapes import BASE, ShapesMixin, api, field_errors, not_found, problem_response

PHASES = ("pending", "preprocessing", "started", "finalizing", "finished")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RESULTS_PER_FILE = 1000
ARCHIVE_PREFIX = "/mailchimp-api-batch/"
ARCHIVE_SUFFIX = "-response.tar.gz"


class BatchesMixin(ShapesMixin):
    """Batch operations."""

    batch_seconds: float = 4.0
    batch_poll_advance: bool = True

    # ---------------------------------------------------------------- model

    def _advance_batch(self, account: str, batch: dict[str, Any], *, poll: bool = False) -> None:
        if batch["status"] == "finished":
            return
        if poll and self.batch_poll_advance:
            batch["polls"] += 1
        if self.batch_seconds <= 0:
            by_time = len(PHASES) - 1
        else:
            elapsed = self.clock.now() - batch["t0"]  # type: ignore[attr-defined]
            by_time = min(len(PHASES) - 1, int(elapsed // (self.batch_seconds / 4)))
        phase = max(by_time, min(batch["polls"], len(PHASES) - 1), PHASES.index(batch["status"]))
        if phase >= PHASES.index("started") and batch["results"] is None:
            self._run_operations(account, batch)
        batch["status"] = PHASES[phase]
        if batch["status"] == "finished":
            batch["completed_at"] = self._now()

    def _tick_batches(self, account: str, st: dict[str, Any]) -> None:
        for batch in st["batches"].values():
            if batch["status"] != "finished":
                self._advance_batch(account, batch)

    def _run_operations(self, account: str, batch: dict[str, Any]) -> None:
        results = []
        for op in batch["operations"]:
            path = op["path"] if op["path"].startswith(BASE + "/") else BASE + op["path"]
            query = {
                str(k): [str(x) for x in v] if isinstance(v, list) else [_param(v)]
                for k, v in (op.get("params") or {}).items()
            }
            if path.split("?")[0].rstrip("/") in (BASE + "/batches",) or path.startswith(BASE + "/batches/"):
                resp = problem_response(400, "Invalid Resource", "Batch operations cannot manage batches.")
            else:
                body = op.get("body")
                raw = body.encode("utf-8") if isinstance(body, str) else b""
                resp = self.call(
                    op["method"],
                    path,
                    raw,
                    account=account,
                    query=query,  # type: ignore[attr-defined]
                    headers={"Content-Type": "application/json"},
                )
            payload = resp.json() if resp.body not in (None, b"", "") else None
            results.append(
                {
                    "status_code": resp.status,
                    "operation_id": op.get("operation_id"),
                    "response": "" if payload is None else json.dumps(payload, separators=(",", ":")),
                }
            )
        batch["results"] = results
        batch["finished_operations"] = len(results)
        batch["errored_operations"] = sum(1 for r in results if r["status_code"] >= 400)

    def render_batch(self, batch: dict[str, Any]) -> dict[str, Any]:
        done = batch["status"] == "finished"
        started = PHASES.index(batch["status"]) >= PHASES.index("started")
        return {
            "id": batch["id"],
            "status": batch["status"],
            "total_operations": batch["total_operations"],
            "finished_operations": batch["finished_operations"] if started else 0,
            "errored_operations": batch["errored_operations"] if started else 0,
            "submitted_at": batch["submitted_at"],
            "completed_at": batch["completed_at"] if done else "",
            "response_body_url": f"{self.root_url}{ARCHIVE_PREFIX}{batch['id']}{ARCHIVE_SUFFIX}" if done else "",  # type: ignore[attr-defined]
            "_links": [],
        }

    def batch_archive(self, batch: dict[str, Any]) -> bytes:
        """The result archive: a gzipped tar of ``<n>.json`` files, each a JSON array of results."""
        results = batch["results"] or []
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
            chunks = [results[i : i + RESULTS_PER_FILE] for i in range(0, len(results), RESULTS_PER_FILE)] or [[]]
            for n, chunk in enumerate(chunks):
                data = json.dumps(chunk).encode("utf-8")
                info = tarfile.TarInfo(f"{batch['id']}/{n}.json")
                info.size = len(data)
                info.mtime = 0
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    # ---------------------------------------------------------------- routes

    @api("POST", "/batches")
    def start_batch(self, req: SimRequest) -> Any:
        data = self._body(req)
        ops = data.get("operations")
        errors: dict[str, str] = {}
        if not isinstance(ops, list):
            errors["operations"] = "This value should not be blank." if ops is None else "Schema describes array."
        else:
            for i, op in enumerate(ops):
                if not isinstance(op, dict):
                    errors[f"operations[{i}]"] = "Schema describes object."
                    continue
                if str(op.get("method", "")).upper() not in METHODS:
                    errors[f"operations[{i}].method"] = f"Value must be one of: {', '.join(METHODS)}"
                if not isinstance(op.get("path"), str) or not op["path"].startswith("/"):
                    errors[f"operations[{i}].path"] = "This value should be a path starting with '/'."
                if op.get("params") is not None and not isinstance(op["params"], dict):
                    errors[f"operations[{i}].params"] = "Schema describes object."
                if op.get("body") is not None and not isinstance(op["body"], str):
                    errors[f"operations[{i}].body"] = "The body of an operation must be a JSON string."
                if op.get("operation_id") is not None and not isinstance(op["operation_id"], str):
                    errors[f"operations[{i}].operation_id"] = "This value should be of type string."
        if errors:
            raise field_errors(errors)
        assert isinstance(ops, list)
        st = self._st(req)
        bid = self._hex_id("batch")
        batch = {
            "id": bid,
            "status": "pending",
            "total_operations": len(ops),
            "finished_operations": 0,
            "errored_operations": 0,
            "submitted_at": self._now(),
            "completed_at": "",
            "t0": self.clock.now(),  # type: ignore[attr-defined]
            "polls": 0,
            "operations": [
                {
                    "method": str(op["method"]).upper(),
                    "path": op["path"],
                    "params": op.get("params") or {},
                    "body": op.get("body"),
                    "operation_id": op.get("operation_id"),
                }
                for op in ops
            ],
            "results": None,
        }
        st["batches"][bid] = batch
        return self.render_batch(batch)

    @api("GET", "/batches")
    def list_batches(self, req: SimRequest) -> Any:
        st = self._st(req)
        return self._page(req, "batches", list(st["batches"].values()), self.render_batch)

    @api("GET", "/batches/{batch_id}")
    def get_batch(self, req: SimRequest) -> Any:
        st = self._st(req)
        batch = st["batches"].get(req.params["batch_id"])
        if batch is None:
            raise not_found()
        assert req.account is not None
        self._advance_batch(req.account, batch, poll=True)
        return self.render_batch(batch)

    @api("DELETE", "/batches/{batch_id}")
    def delete_batch(self, req: SimRequest) -> Any:
        st = self._st(req)
        if req.params["batch_id"] not in st["batches"]:
            raise not_found()
        del st["batches"][req.params["batch_id"]]
        return None

    @route("GET", ARCHIVE_PREFIX + "{name}")
    def batch_results(self, req: SimRequest) -> Any:
        name = req.params["name"]
        bid = name[: -len(ARCHIVE_SUFFIX)] if name.endswith(ARCHIVE_SUFFIX) else None
        for st in self.state.values():  # type: ignore[attr-defined]
            batch = st.get("batches", {}).get(bid) if bid else None
            if batch is not None and batch["status"] == "finished":
                return SimResponse(200, self.batch_archive(batch), {}, "application/x-gzip")
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
            "<Message>The specified key does not exist.</Message></Error>"
        )
        return SimResponse(404, xml, {}, "application/xml")


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
