"""Bulk contact import in the ActiveCampaign simulator: ``/import/bulk_import`` and ``/import/info``.

``POST /import/bulk_import`` takes up to 250 contacts (``email``, ``first_name``, ``last_name``,
``phone``, ``tags`` by name — created when missing —, ``fields: [{id, value}]``,
``subscribe``/``unsubscribe: [{listid}]``). A payload that fails validation is refused whole with the
documented 400 ``{"success": 0, "message": ..., "failureReasons": [...]}``; otherwise the batch is
queued (``{"success": 1, "queued_contacts": N, "batchId": ..., "message": "Contact import queued"}``)
and processed ``import_delay`` vendor seconds later, on the first request (or helper call) after that
— with the default delay of 0, on the very next one, typically the first ``GET /import/info`` poll.
``/import/info?batchId=`` reports ``processing`` until then and ``completed`` with the contact ids that
succeeded and the addresses that failed afterwards.

As documented, an import never re-subscribes a contact who unsubscribed from (or bounced on) a list,
and fires no webhooks. Simulator choices (unverified):
- payload validation checks shapes only (an ``email`` with an ``@`` and no spaces); addresses that
  pass it but not the stricter check at processing (e.g. no dot in the domain) end in ``failure``;
- list ids and field ids that do not exist are skipped (the contact still succeeds);
- non-empty ``first_name``/``last_name``/``phone`` overwrite an existing contact's values;
- a contact the batch names twice is merged into one (its id appears once in ``success``);
- ``/import/info`` for an unknown ``batchId`` is a 404 ``{"success": 0, "message": ...}``;
- ``callback`` is stored, never called.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from hub.simulator import Abort, SimRequest, route
from hub_activecampaign.sim_shapes import EMAIL_RE, sid, text

IMPORT_MAX = 250
_SPACE = re.compile(r"\s")
VALIDATION_FAILED = (
    "JSON payload did not pass validation. Please fix failure Reasons and retry. "
    "The import was not queued for processing."
)


def _refused(reasons: list[Any]) -> Abort:
    return Abort(400, {"success": 0, "message": VALIDATION_FAILED, "failureReasons": reasons})


def _contact_reasons(index: int, item: Any) -> list[dict[str, Any]]:
    """What the payload validation finds wrong with one contact (the vendor checks shapes, not domains)."""
    if not isinstance(item, dict):
        return [{"contact": index, "failureReason": "Contact must be an object"}]
    reasons: list[str] = []
    email = item.get("email")
    if email is None or email == "":
        reasons.append("Field 'email' is required")
    elif not isinstance(email, str) or "@" not in email or _SPACE.search(email.strip()):
        reasons.append("Field 'email' incorrect format")
    tags = item.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str | int) for t in tags)):
        reasons.append("Field 'tags' must be an array of strings")
    fields = item.get("fields")
    if fields is not None and not (
        isinstance(fields, list) and all(isinstance(f, dict) and "id" in f and "value" in f for f in fields)
    ):
        reasons.append("Field 'fields' must be an array of objects with 'id' and 'value'")
    for key in ("subscribe", "unsubscribe"):
        value = item.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(x, dict) and "listid" in x for x in value)
        ):
            reasons.append(f"Field '{key}' must be an array of objects with 'listid'")
    return [{"contact": index, "failureReason": r} for r in reasons]


class ImportsMixin:
    """``POST|GET /import/bulk_import`` and ``GET /import/info``."""

    import_delay: float

    @route("POST", "/api/3/import/bulk_import")
    def bulk_import(self, req: SimRequest) -> Any:
        st = self._st(req)
        body = self._json(req)
        contacts = body.get("contacts")
        if not isinstance(contacts, list) or not contacts:
            raise _refused(["Field 'contacts' is required and must be a non-empty array"])
        if len(contacts) > IMPORT_MAX:
            raise _refused(
                [f"Up to {IMPORT_MAX} contacts may be included in a single request; this one has {len(contacts)}."]
            )
        reasons = [r for i, item in enumerate(contacts) for r in _contact_reasons(i, item)]
        if reasons:
            raise _refused(reasons)
        rng = random.Random(f"{self.seed}:import:{self.next_seq()}")  # deterministic per simulator seed
        batch_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        st["imports"][batch_id] = {
            "batchId": batch_id,
            "status": "processing",
            "contacts": contacts,
            "count": len(contacts),
            "ready_at": self.clock.now() + self.import_delay,
            "date": self._now_dt().strftime("%Y-%m-%d"),
            "callback": body.get("callback"),
            "success": [],
            "failure": [],
        }
        st["pending_imports"].append(batch_id)
        return 200, {
            "success": 1,
            "queued_contacts": len(contacts),
            "batchId": batch_id,
            "message": "Contact import queued",
        }

    @route("GET", "/api/3/import/info")
    def import_info(self, req: SimRequest) -> Any:
        st = self._st(req)
        batch_id = req.arg("batchId")
        if not batch_id:
            raise Abort(400, {"success": 0, "message": "'batchId' is a required field."})
        batch = st["imports"].get(batch_id)
        if batch is None:
            raise Abort(404, {"success": 0, "message": f"No import batch found with batchId '{batch_id}'."})
        return 200, {"status": batch["status"], "success": list(batch["success"]), "failure": list(batch["failure"])}

    @route("GET", "/api/3/import/bulk_import")
    def import_overview(self, req: SimRequest) -> Any:
        st = self._st(req)
        groups: dict[str, dict[str, dict[str, int]]] = {"outstanding": {}, "recentlyCompleted": {}}
        for batch in st["imports"].values():
            group = groups["recentlyCompleted" if batch["status"] == "completed" else "outstanding"]
            day = group.setdefault(batch["date"], {"batches": 0, "contacts": 0})
            day["batches"] += 1
            day["contacts"] += batch["count"]
        return 200, {
            name: [
                {"forDate": d, "batches": str(v["batches"]), "contacts": str(v["contacts"])}
                for d, v in sorted(days.items())
            ]
            for name, days in groups.items()
        }

    # ---------------------------------------------------------------- processing

    def _run_due_imports(self, st: dict[str, Any], *, force: bool = False) -> None:
        pending = st["pending_imports"]
        if not pending:
            return
        now = self.clock.now()
        while pending:
            batch = st["imports"][pending[0]]
            # a batch that looks further away than the delay was queued under another clock (a restart)
            if not force and now < batch["ready_at"] <= now + self.import_delay:
                break
            pending.pop(0)
            with self._one_instant():
                self._process_import(st, batch)

    def _process_import(self, st: dict[str, Any], batch: dict[str, Any]) -> None:
        for item in batch.pop("contacts"):
            email = text(item.get("email")).strip()
            if not EMAIL_RE.match(email):
                batch["failure"].append(email)
                continue
            attrs = {
                key: text(item[src]).strip()
                for src, key in (("first_name", "firstName"), ("last_name", "lastName"), ("phone", "phone"))
                if item.get(src) not in (None, "")
            }
            contact = self._contact_by_email(st, email)
            if contact is None:
                contact = self._new_contact(st, email, attrs)
            else:
                self._update_contact(st, contact, attrs)
            for name in item.get("tags") or ():
                name = text(name).strip()
                if not name:
                    continue
                tag = self._tag_by_name(st, name) or self._new_tag(st, name)
                self._tag_contact(st, contact, tag["id"], webhook_source=None)
            for entry in item.get("fields") or ():
                fid = sid(entry.get("id"))
                if fid in st["fields"]:
                    self._put_field_value(st, contact, fid, entry.get("value"))
            for key, status in (("subscribe", "1"), ("unsubscribe", "2")):
                for entry in item.get(key) or ():
                    lid = sid(entry.get("listid"))
                    if lid in st["lists"]:
                        self._set_membership(st, contact, lid, status, resubscribe=False, webhook_source=None)
            if contact["id"] not in batch["success"]:
                batch["success"].append(contact["id"])
        batch["status"] = "completed"
