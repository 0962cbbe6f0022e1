"""Subscribers: the ``/subscribers`` routes, the non-destructive upsert by email (201 new / 200 existing) that
never re-activates an unsubscribed, bounced or junk address, status changes that keep every group's
per-status counts in step, and joining and leaving groups (joining may trigger an automation)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from hub.simulator import Row, SimRequest, SimResponse, route

from .automations import Automations
from .shapes import BLOCKED_STATUSES, FIELDS, GROUPS, STATUSES, SUBSCRIBERS, St
from .validation import TS, Errors, invalid, one_of, reject, validate

SUBSCRIBER_RULES = {"status": one_of(*STATUSES), "subscribed_at": "datetime", "opted_in_at": "datetime",
                    "unsubscribed_at": "datetime", "ip_address": "ip", "optin_ip": "ip"}

FIELD_RULES = {"number": "numeric", "date": "date", "text": "scalar|max:1024"}


def _clean(ftype: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if ftype == "number":
        number = float(value)
        return int(number) if number.is_integer() and not isinstance(value, float) else number
    return value[:10] if ftype == "date" else value


class Subscribers(Automations):
    def render_subscriber(self, st: St, sub: Row, *, groups: bool = True) -> Row:
        out = {k: sub[k] for k in ("id", "email", "status", "source")}
        out.update(sent=0, opens_count=0, clicks_count=0, open_rate=0, click_rate=0)
        out.update({k: sub[k] for k in ("ip_address", "subscribed_at", "unsubscribed_at", "created_at", "updated_at")})
        out["fields"] = {f["key"]: sub["fields"].get(f["key"]) for f in FIELDS.table(st).values()}
        if groups:
            all_groups = GROUPS.table(st)
            out["groups"] = [self.render_group(st, all_groups[g]) for g in sub["groups"] if g in all_groups]
        return {**out, "opted_in_at": sub["opted_in_at"], "optin_ip": sub["optin_ip"]}

    def _find_subscriber(self, st: St, ident: str) -> Row:
        """By id or email; the vendor's subscriber 404 names no id."""
        subs = SUBSCRIBERS.table(st)
        return (subs.find("email", ident.strip()) if "@" in ident else None) or subs.require(ident)

    def _set_status(self, st: St, sub: Row, status: str, at: str | None = None) -> None:
        old = sub["status"]
        if old == status:
            return
        groups = GROUPS.table(st)
        for group in (groups[g] for g in sub["groups"] if g in groups):
            group["counts"][old] -= 1
            group["counts"][status] += 1
        sub["status"] = status
        if status == "unsubscribed":
            sub["unsubscribed_at"] = at or self._now()
        elif status == "active" and sub["subscribed_at"] is None:
            sub["subscribed_at"] = at or self._now()

    def _join(self, st: St, sub: Row, gid: str) -> bool:
        if gid in sub["groups"]:
            return False
        sub["groups"].append(gid)
        GROUPS.table(st)[gid]["counts"][sub["status"]] += 1
        if sub["status"] == "active":
            self._trigger_automations(st, sub, gid)
        return True

    def _leave(self, st: St, sub: Row, gid: str) -> None:
        if gid in sub["groups"]:
            sub["groups"].remove(gid)
            if gid in GROUPS.table(st):
                GROUPS.table(st)[gid]["counts"][sub["status"]] -= 1

    def _remove_subscriber(self, st: St, sub: Row) -> None:
        for gid in list(sub["groups"]):
            self._leave(st, sub, gid)
        SUBSCRIBERS.table(st).pop(sub["id"])

    def _field_values(self, st: St, fields: Any, errors: Errors) -> Row:
        """Clean values of the known fields (simulator choice: unknown keys are ignored, as the vendor appears to)."""
        if not isinstance(fields, dict):
            return {}
        types = {f["key"]: f["type"] for f in FIELDS.table(st).values()}
        given = {k: json.dumps(v) if types[k] == "text" and not isinstance(v, str | dict | list | None) else v
                 for k, v in fields.items() if k in types}
        failed = validate(given, {k: FIELD_RULES[types[k]] for k in given}, prefix="fields.")
        errors.update(failed)
        return {k: _clean(types[k], v) for k, v in given.items() if f"fields.{k}" not in failed}

    def _validate_subscriber(self, st: St, data: Row, *, create: bool) -> tuple[str | None, Row, list[str]]:
        """(lower-cased email, clean field values, group ids), or Laravel's 422."""
        rules = {"email": "required|email" if create else "email", "fields": "object", "groups": "list"}
        errors = validate(data, {**rules, **SUBSCRIBER_RULES})
        values = self._field_values(st, data.get("fields"), errors)
        groups = given if isinstance(given := data.get("groups"), list) else []
        for i, gid in enumerate(groups):
            if str(gid) not in GROUPS.table(st):
                errors[f"groups.{i}"] = [f"The selected groups.{i} is invalid."]
        reject(errors)
        email = data.get("email")
        return (email.strip().lower() if email else None), values, [str(g) for g in groups]

    def _update(self, st: St, sub: Row, data: Row, values: Row, group_ids: list[str]) -> None:
        status = data.get("status") or None
        if status in ("active", "unconfirmed") and sub["status"] in BLOCKED_STATUSES:
            raise invalid({"email": [f"This subscriber is {sub['status']} and cannot be imported."]})
        sub["fields"].update(values)
        for key in ("ip_address", "opted_in_at", "optin_ip", "subscribed_at"):
            if data.get(key):
                sub[key] = data[key]
        if status is not None:
            self._set_status(st, sub, status, data.get("unsubscribed_at"))
        elif data.get("unsubscribed_at") and sub["status"] == "unsubscribed":
            sub["unsubscribed_at"] = data["unsubscribed_at"]
        sub["updated_at"] = self._now()
        for gid in group_ids:  # simulator choice: groups are added, never removed
            self._join(st, sub, gid)

    def upsert(self, st: St, data: Row, *, source: str = "api") -> tuple[Row, bool]:
        """Create or update by email, non-destructively; returns (subscriber row, created)."""
        email, values, group_ids = self._validate_subscriber(st, data, create=True)
        subs = SUBSCRIBERS.table(st)
        sub = subs.find("email", email)
        if sub is None:
            now, status = self._now(), data.get("status") or "active"
            sub = subs.insert({
                "id": self._new_id(), "email": email, "status": status, "source": source,
                "ip_address": data.get("ip_address"), "subscribed_at": data.get("subscribed_at") or now,
                "unsubscribed_at": (data.get("unsubscribed_at") or now) if status == "unsubscribed" else None,
                "created_at": now, "updated_at": now, "fields": {k: v for k, v in values.items() if v is not None},
                "groups": [], "opted_in_at": data.get("opted_in_at"), "optin_ip": data.get("optin_ip"),
            })
            for gid in group_ids:
                self._join(st, sub, gid)
            return sub, True
        self._update(st, sub, data, values, group_ids)
        return sub, False

    def _subscriber_rows(self, st: St, status: str | None, ids: Iterable[str] | None = None) -> list[Row]:
        """Newest first, of `status` (any when None), among `ids` (all when None)."""
        subs = SUBSCRIBERS.table(st)
        pool = subs.values() if ids is None else (subs[i] for i in ids if i in subs)
        return sorted((s for s in pool if status is None or s["status"] == status), key=lambda s: -int(s["id"]))

    def _subscriber_page(self, req: SimRequest, st: St, rows: list[Row], limit: int, groups: bool = False) -> Row:
        groups = groups or req.arg("include") == "groups"
        return self.cursor_envelope(req, rows, limit, lambda s: self.render_subscriber(st, s, groups=groups))

    @route("GET", "/api/subscribers")
    def list_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        status = self._filter(req, "status", STATUSES)  # simulator choice per docs: no default filter
        if req.arg("limit") == "0":
            return {"total": sum(1 for s in SUBSCRIBERS.table(st).values() if status in (None, s["status"]))}
        return self._subscriber_page(req, st, self._subscriber_rows(st, status), 25)

    @route("POST", "/api/subscribers")
    def upsert_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub, created = self.upsert(st, self._body(req))
        return (201 if created else 200), {"data": self.render_subscriber(st, sub)}

    @route("GET", "/api/subscribers/{id}")
    def get_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        return {"data": self.render_subscriber(st, self._find_subscriber(st, req.params["id"]))}

    @route("PUT", "/api/subscribers/{id}")
    def update_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["id"])
        data = self._body(req)
        email, values, group_ids = self._validate_subscriber(st, data, create=False)
        if email and email != sub["email"]:
            if SUBSCRIBERS.table(st).find("email", email):
                raise invalid({"email": ["The email has already been taken."]})
            SUBSCRIBERS.table(st).update(sub, email=email)
        self._update(st, sub, data, values, group_ids)
        return {"data": self.render_subscriber(st, sub)}

    @route("DELETE", "/api/subscribers/{id}")
    def delete_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        self._remove_subscriber(st, self._find_subscriber(st, req.params["id"]))
        return SimResponse(204)

    @route("POST", "/api/subscribers/{id}/forget")
    def forget_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["id"])
        now = self.clock.utcnow()
        data = {**self.render_subscriber(st, sub), "deleted_at": now.strftime(TS), "location": None,
                "forget_at": (now + timedelta(days=30)).strftime(TS)}
        self._remove_subscriber(st, sub)
        return {"data": data, "message": "Subscriber data will be completely deleted and forgotten within 30 days."}

    @route("POST", "/api/subscribers/{sid}/groups/{gid}")
    def assign_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["sid"])
        group = GROUPS.table(st).require(req.params["gid"])
        if self._join(st, sub, group["id"]):
            sub["updated_at"] = self._now()
        return {"data": self.render_group(st, group)}

    @route("DELETE", "/api/subscribers/{sid}/groups/{gid}")
    def unassign_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["sid"])
        self._leave(st, sub, GROUPS.table(st).require(req.params["gid"])["id"])
        return SimResponse(204)

    def subscriber(self, email: str, account: str = "sandbox") -> Row | None:
        """The subscriber with `email` as the API shows it, or None (for tests)."""
        with self.lock:
            st = self.account_state(account)
            sub = SUBSCRIBERS.table(st).find("email", email.strip())
            return self.render_subscriber(st, sub) if sub else None
