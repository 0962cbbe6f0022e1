"""Bulk contact import in the ActiveCampaign simulator: ``/import/bulk_import`` and ``/import/info``.

``POST /import/bulk_import`` takes up to 250 contacts (``email``, ``first_name``, ``last_name``,
``phone``, ``tags`` by name — created when missing —, ``fields: [{id, value}]``,
``subscribe``/``unsubscribe: [{listid}]``). A payload that fails validation is refused whole with the
documented 400 ``{"success": 0, "message": ..., "failureReasons": [...]}``; otherwise the batch is
queued (``{"success": 1, "queued_contacts": N, "batchId": ..., "message": "Contact import queued"}``)
and processed ``import_delay`` vendor seconds later, on the first request (or helper call) after that
— with the default delay of 0, on the very next one, typically the first ``GET /import/info`` poll.
``/import/info?batchId=`` reports ``processing`` until then and ``completed`` with the contact ids that
succeeded and the addresses that failed afterwards. Bulk imports also count against ``import_limit``
requests per ``import_window`` seconds, answered with the documented 400 "Rate limit exceeded.".

As documented, an import never re-subscribes a contact who unsubscribed from (or bounced on) a list.
Simulator choices (unverified):
- payload validation checks shapes only (an ``email`` with an ``@`` and no spaces); addresses that
  pass it but not the stricter check at processing (e.g. no dot in the domain) end in ``failure``;
- list ids and field ids that do not exist are skipped (the contact still succeeds);
- non-empty ``first_name``/``last_name``/``phone`` overwrite an existing contact's values;
- a contact the batch names twice is merged into one (its id appears once in ``success``);
- ``/import/info`` for an unknown ``batchId`` is a 404 ``{"success": 0, "message": ...}``;
- ``callback`` is stored, never called; the answer spells ``success`` in lower case (the spec's 200
  example has ``Success``, its 400s and the vendor notes ``success``).
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from hub.simulator import Abort, Collection, Row, SimRequest, Simulator, control, route

from .contacts import ActiveCampaignContacts
from .fields import FIELDS
from .lists import LISTS
from .shapes import CONTACTS, EMAIL_RE, State, sid, text

IMPORTS = Collection("imports", model="Import", key="batchId", index=("status",), render="show_import")
IMPORT_MAX = 250
_SPACE = re.compile(r"\s")
VALIDATION_FAILED = ("JSON payload did not pass validation. Please fix failure Reasons and retry. "
                     "The import was not queued for processing.")


def _refused(reasons: list[Any]) -> Abort:
    return Abort(400, {"success": 0, "message": VALIDATION_FAILED, "failureReasons": reasons})


def _contact_reasons(index: int, item: Any) -> list[Row]:
    """What the payload validation finds wrong with one contact (the vendor checks shapes, not domains)."""
    if not isinstance(item, dict):
        return [{"contact": index, "failureReason": "Contact must be an object"}]
    reasons: list[str] = []
    email = item.get("email")
    if email is None or email == "":
        reasons.append("Field 'email' is required")
    elif not isinstance(email, str) or "@" not in email or _SPACE.search(email.strip()):
        reasons.append("Field 'email' incorrect format")

    def array_of(key: str, ok: Any) -> bool:
        value = item.get(key)
        return value is None or (isinstance(value, list) and all(ok(x) for x in value))

    if not array_of("tags", lambda t: isinstance(t, str | int)):
        reasons.append("Field 'tags' must be an array of strings")
    if not array_of("fields", lambda f: isinstance(f, dict) and "id" in f and "value" in f):
        reasons.append("Field 'fields' must be an array of objects with 'id' and 'value'")
    for key in ("subscribe", "unsubscribe"):
        if not array_of(key, lambda x: isinstance(x, dict) and "listid" in x):
            reasons.append(f"Field '{key}' must be an array of objects with 'listid'")
    return [{"contact": index, "failureReason": r} for r in reasons]


class ActiveCampaignImports(ActiveCampaignContacts):
    """``POST|GET /import/bulk_import`` and ``GET /import/info``."""

    def show_import(self, st: State, batch: Row) -> Row:
        """The ``imports()`` control: batchId, status, count, success (contact ids), failure (emails)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in batch.items()
                if k in ("batchId", "status", "count", "success", "failure")}

    @route("POST", "/api/3/import/bulk_import")
    def bulk_import(self, req: SimRequest) -> Any:
        st = self._st(req)
        body = self._body(req)
        contacts = body.get("contacts")
        if not isinstance(contacts, list) or not contacts:
            raise _refused(["Field 'contacts' is required and must be a non-empty array"])
        if len(contacts) > IMPORT_MAX:
            raise _refused([f"Up to {IMPORT_MAX} contacts may be included in a single request; this one has "
                            f"{len(contacts)}."])
        reasons = [r for i, item in enumerate(contacts) for r in _contact_reasons(i, item)]
        if reasons:
            raise _refused(reasons)
        rng = random.Random(f"{self.seed}:import:{self.next_seq()}")  # deterministic per simulator seed
        batch_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        IMPORTS.table(st).insert({
            "batchId": batch_id, "status": "processing", "contacts": contacts, "count": len(contacts),
            "ready_at": self.clock.now() + self.import_delay, "date": self._now_dt().strftime("%Y-%m-%d"),
            "callback": body.get("callback"), "success": [], "failure": [],
        })
        return 200, {"success": 1, "queued_contacts": len(contacts), "batchId": batch_id,
                     "message": "Contact import queued"}

    @route("GET", "/api/3/import/info")
    def import_info(self, req: SimRequest) -> Any:
        batch_id = req.arg("batchId")
        if not batch_id:
            raise Abort(400, {"success": 0, "message": "'batchId' is a required field."})
        batch = IMPORTS.table(self._st(req)).get(batch_id)
        if batch is None:
            raise Abort(404, {"success": 0, "message": f"No import batch found with batchId '{batch_id}'."})
        return 200, {"status": batch["status"], "success": list(batch["success"]), "failure": list(batch["failure"])}

    @route("GET", "/api/3/import/bulk_import")
    def import_overview(self, req: SimRequest) -> Any:
        groups: dict[str, dict[str, dict[str, int]]] = {"outstanding": {}, "recentlyCompleted": {}}
        for batch in IMPORTS.table(self._st(req)).values():
            group = groups["recentlyCompleted" if batch["status"] == "completed" else "outstanding"]
            day = group.setdefault(batch["date"], {"batches": 0, "contacts": 0})
            day["batches"] += 1
            day["contacts"] += batch["count"]
        return 200, {name: [{"forDate": d, "batches": str(v["batches"]), "contacts": str(v["contacts"])}
                            for d, v in sorted(days.items())] for name, days in groups.items()}

    @control("run_imports")
    def run_imports(self, account: str = "sandbox") -> Row:
        """Process every queued import now, whatever its delay."""
        with self.lock:
            st = Simulator.account_state(self, account)  # without running what fell due first: count it too
            pending = len(IMPORTS.table(st).where("status", "processing"))
            self._run_due_imports(st, force=True)
            return {"processed": pending}

    # ---------------------------------------------------------------- processing

    def _tick(self, st: State) -> None:
        super()._tick(st)
        self._run_due_imports(st)

    def _run_due_imports(self, st: State, *, force: bool = False) -> None:
        imports, now = IMPORTS.table(st), self.clock.now()
        for batch in imports.where("status", "processing"):
            # a batch that looks further away than the delay was queued under another clock (a restart)
            if not force and now < batch["ready_at"] <= now + self.import_delay:
                break
            with self._one_instant():
                self._process_import(st, batch)
            imports.update(batch, status="completed")

    def _process_import(self, st: State, batch: Row) -> None:
        contacts, fields, lists = CONTACTS.table(st), FIELDS.table(st), LISTS.table(st)
        for item in batch.pop("contacts"):
            email = text(item.get("email")).strip()
            if not EMAIL_RE.match(email):
                batch["failure"].append(email)
                continue
            attrs = {key: text(item[src]).strip() for src, key in (("first_name", "firstName"),
                     ("last_name", "lastName"), ("phone", "phone")) if item.get(src) not in (None, "")}
            contact = contacts.find("email", email)
            if contact is None:
                contact = self._new_contact(st, email, attrs)
            else:
                self._update_contact(st, contact, attrs)
            for name in item.get("tags") or ():
                name = text(name).strip()
                if name:
                    self._tag_contact(st, contact, (self._tag_by_name(st, name) or self._new_tag(st, name))["id"])
            for entry in item.get("fields") or ():
                fid = sid(entry.get("id")) or ""
                if fid in fields:
                    self._put_field_value(st, contact, fid, entry.get("value"))
            for key, status in (("subscribe", "1"), ("unsubscribe", "2")):
                for entry in item.get(key) or ():
                    lid = sid(entry.get("listid")) or ""
                    if lid in lists:
                        self._set_membership(st, contact, lid, status, resubscribe=False)
            if contact["id"] not in batch["success"]:
                batch["success"].append(contact["id"])
