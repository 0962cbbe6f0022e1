"""Subscribers in the MailerLite simulator: the ``/subscribers`` routes and the subscriber model.

Validation of emails, custom field values, timestamps and IPs; the non-destructive upsert by email
(201 new / 200 existing) that refuses to re-activate an unsubscribed, bounced or junk address;
status changes that keep every group's per-status counts in step; joining and leaving groups
(joining may trigger an automation); forgetting; and the subscriber rendering the other models
embed. Relies on `ShapesMixin`, `GroupsMixin.render_group` and
`AutomationsMixin._trigger_automations` through the assembled `MailerLiteSimulator`.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from hub.simulator import SimRequest, SimResponse, route
from hub_mailerlite.sim_shapes import (
    BLOCKED_STATUSES,
    DATE_RE,
    EMAIL_RE,
    STATUSES,
    TS,
    humanize,
    invalid,
    missing,
)


def _valid_ts(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.strptime(value, TS)
    except ValueError:
        return False
    return True


def _valid_date(value: str) -> bool:
    if not DATE_RE.match(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _valid_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


class SubscribersMixin:
    """The subscriber model and its routes."""

    def _field_keys(self, st: dict[str, Any]) -> list[str]:
        return [f["key"] for f in st["fields"].values()]

    def render_subscriber(
        self,
        st: dict[str, Any],
        sub: dict[str, Any],
        *,
        groups: bool = True,
        keys: list[str] | None = None,
    ) -> dict[str, Any]:
        keys = keys if keys is not None else self._field_keys(st)
        values = sub["fields"]
        out = {
            "id": sub["id"],
            "email": sub["email"],
            "status": sub["status"],
            "source": sub["source"],
            "sent": 0,
            "opens_count": 0,
            "clicks_count": 0,
            "open_rate": 0,
            "click_rate": 0,
            "ip_address": sub["ip_address"],
            "subscribed_at": sub["subscribed_at"],
            "unsubscribed_at": sub["unsubscribed_at"],
            "created_at": sub["created_at"],
            "updated_at": sub["updated_at"],
            "fields": {k: values.get(k) for k in keys},
        }
        if groups:
            all_groups = st["groups"]
            out["groups"] = [self.render_group(all_groups[g]) for g in sub["groups"] if g in all_groups]
        out["opted_in_at"] = sub["opted_in_at"]
        out["optin_ip"] = sub["optin_ip"]
        return out

    # ---------------------------------------------------------------- subscriber internals

    def _find_subscriber(self, st: dict[str, Any], ident: str) -> dict[str, Any]:
        sid = st["by_email"].get(ident.strip().lower()) if "@" in ident else ident
        sub = st["subscribers"].get(sid) if sid else None
        if sub is None:
            raise missing("subscriber")
        return sub

    def _set_status(self, st: dict[str, Any], sub: dict[str, Any], status: str, at: str | None = None) -> None:
        old = sub["status"]
        if old == status:
            return
        for gid in sub["groups"]:
            group = st["groups"].get(gid)
            if group is not None:
                group["counts"][old] -= 1
                group["counts"][status] += 1
        sub["status"] = status
        if status == "unsubscribed":
            sub["unsubscribed_at"] = at or self._now()
        elif status == "active" and sub["subscribed_at"] is None:
            sub["subscribed_at"] = at or self._now()

    def _join(self, st: dict[str, Any], sub: dict[str, Any], gid: str) -> bool:
        if gid in sub["groups"]:
            return False
        sub["groups"].append(gid)
        st["groups"][gid]["counts"][sub["status"]] += 1
        if sub["status"] == "active":
            self._trigger_automations(st, sub, gid)
        return True

    def _leave(self, st: dict[str, Any], sub: dict[str, Any], gid: str) -> None:
        if gid not in sub["groups"]:
            return
        sub["groups"].remove(gid)
        group = st["groups"].get(gid)
        if group is not None:
            group["counts"][sub["status"]] -= 1

    def _remove_subscriber(self, st: dict[str, Any], sub: dict[str, Any]) -> None:
        for gid in list(sub["groups"]):
            self._leave(st, sub, gid)
        st["subscribers"].pop(sub["id"], None)
        st["by_email"].pop(sub["email"], None)

    def _validate_field_values(self, st: dict[str, Any], fields: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
        if fields is None:
            return {}
        if not isinstance(fields, dict):
            errors["fields"] = ["The fields must be an array."]
            return {}
        by_key = {f["key"]: f for f in st["fields"].values()}
        clean: dict[str, Any] = {}
        for key, value in fields.items():
            field = by_key.get(key)
            if field is None:  # simulator choice: unknown keys are ignored, as the vendor appears to
                continue
            path = f"fields.{key}"
            if value is None or value == "":
                clean[key] = None
            elif field["type"] == "number":
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    errors[path] = [f"The {humanize(path)} must be a number."]
                    continue
                try:
                    number = float(value)
                except ValueError:
                    errors[path] = [f"The {humanize(path)} must be a number."]
                    continue
                clean[key] = int(number) if number.is_integer() and not isinstance(value, float) else number
            elif field["type"] == "date":
                if not isinstance(value, str) or not (_valid_date(value) or _valid_ts(value)):
                    errors[path] = [f"The {humanize(path)} does not match the format Y-m-d."]
                    continue
                clean[key] = value[:10]
            else:
                if isinstance(value, dict | list):
                    errors[path] = [f"The {humanize(path)} must be a string."]
                    continue
                text = value if isinstance(value, str) else json.dumps(value)
                if len(text) > 1024:
                    errors[path] = [f"The {humanize(path)} must not be greater than 1024 characters."]
                    continue
                clean[key] = text
        return clean

    def _validate_subscriber(
        self, st: dict[str, Any], data: dict[str, Any], *, email_required: bool
    ) -> tuple[str | None, dict[str, Any], list[str] | None]:
        errors: dict[str, list[str]] = {}
        email = data.get("email")
        if email is None or email == "":
            if email_required:
                errors["email"] = ["The email field is required."]
            email = None
        elif not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
            errors["email"] = ["The email must be a valid email address."]
        values = self._validate_field_values(st, data.get("fields"), errors)
        groups = data.get("groups")
        group_ids: list[str] | None = None
        if groups is not None:
            if not isinstance(groups, list):
                errors["groups"] = ["The groups must be an array."]
            else:
                group_ids = []
                for i, gid in enumerate(groups):
                    if str(gid) not in st["groups"]:
                        errors[f"groups.{i}"] = [f"The selected groups.{i} is invalid."]
                    else:
                        group_ids.append(str(gid))
        status = data.get("status")
        if status is not None and status not in STATUSES:
            errors["status"] = ["The selected status is invalid."]
        for key in ("subscribed_at", "opted_in_at", "unsubscribed_at"):
            if data.get(key) is not None and not _valid_ts(data[key]):
                errors[key] = [f"The {humanize(key)} does not match the format Y-m-d H:i:s."]
        for key in ("ip_address", "optin_ip"):
            if data.get(key) is not None and not _valid_ip(data[key]):
                errors[key] = [f"The {humanize(key)} must be a valid IP address."]
        if errors:
            raise invalid(errors)
        return (email.strip().lower() if email else None), values, group_ids

    @staticmethod
    def _refuse_reactivation(sub: dict[str, Any], status: str | None) -> None:
        if status in ("active", "unconfirmed") and sub["status"] in BLOCKED_STATUSES:
            raise invalid({"email": [f"This subscriber is {sub['status']} and cannot be imported."]})

    def _apply(self, st: dict[str, Any], sub: dict[str, Any], data: dict[str, Any], values: dict[str, Any]) -> None:
        sub["fields"].update(values)
        status = data.get("status")
        for key in ("ip_address", "opted_in_at", "optin_ip", "subscribed_at"):
            if data.get(key) is not None:
                sub[key] = data[key]
        if status is not None:
            self._set_status(st, sub, status, data.get("unsubscribed_at"))
        elif data.get("unsubscribed_at") is not None and sub["status"] == "unsubscribed":
            sub["unsubscribed_at"] = data["unsubscribed_at"]
        sub["updated_at"] = self._now()

    def upsert(self, st: dict[str, Any], data: dict[str, Any], *, source: str = "api") -> tuple[dict[str, Any], bool]:
        """Create or update by email, non-destructively; returns (subscriber record, created)."""
        email, values, group_ids = self._validate_subscriber(st, data, email_required=True)
        assert email is not None
        status = data.get("status")
        sid = st["by_email"].get(email)
        if sid is not None:
            sub = st["subscribers"][sid]
            self._refuse_reactivation(sub, status)
            self._apply(st, sub, data, values)
            created = False
        else:
            now = self._now()
            status = status or "active"
            sub = {
                "id": self._new_id(),
                "email": email,
                "status": status,
                "source": source,
                "ip_address": data.get("ip_address"),
                "subscribed_at": data.get("subscribed_at") or now,
                "unsubscribed_at": (data.get("unsubscribed_at") or now) if status == "unsubscribed" else None,
                "created_at": now,
                "updated_at": now,
                "fields": {k: v for k, v in values.items() if v is not None},
                "groups": [],
                "opted_in_at": data.get("opted_in_at"),
                "optin_ip": data.get("optin_ip"),
            }
            st["subscribers"][sub["id"]] = sub
            st["by_email"][email] = sub["id"]
            created = True
        for gid in group_ids or ():
            self._join(st, sub, gid)
        return sub, created

    def _subscriber_rows(self, st: dict[str, Any], status: str | None, ids: Iterable[str] | None = None) -> list[Any]:
        subs = st["subscribers"]
        if ids is None:
            pool: Iterable[dict[str, Any]] = subs.values()
        else:
            pool = (subs[i] for i in ids if i in subs)
        rows = [s for s in pool if status is None or s["status"] == status]
        rows.sort(key=lambda s: int(s["id"]), reverse=True)
        return rows

    # ---------------------------------------------------------------- subscribers

    @route("GET", "/api/subscribers")
    def list_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        status = self._status_filter(req, None)  # simulator choice per docs: no default filter
        if req.arg("limit") == "0":
            subs = st["subscribers"].values()
            return 200, {"total": sum(1 for s in subs if status is None or s["status"] == status)}
        rows = self._subscriber_rows(st, status)
        include = req.arg("include") == "groups"
        keys = self._field_keys(st)
        return 200, self.cursor_envelope(
            req, rows, 25, lambda s: self.render_subscriber(st, s, groups=include, keys=keys)
        )

    @route("POST", "/api/subscribers")
    def upsert_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub, created = self.upsert(st, self._body(req))
        return (201 if created else 200), {"data": self.render_subscriber(st, sub)}

    @route("GET", "/api/subscribers/{id}")
    def get_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"data": self.render_subscriber(st, self._find_subscriber(st, req.params["id"]))}

    @route("PUT", "/api/subscribers/{id}")
    def update_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["id"])
        data = self._body(req)
        email, values, group_ids = self._validate_subscriber(st, data, email_required=False)
        if email and email != sub["email"]:
            if email in st["by_email"]:
                raise invalid({"email": ["The email has already been taken."]})
            st["by_email"].pop(sub["email"], None)
            st["by_email"][email] = sub["id"]
            sub["email"] = email
        self._refuse_reactivation(sub, data.get("status"))
        self._apply(st, sub, data, values)
        for gid in group_ids or ():  # simulator choice: groups are added, never removed
            self._join(st, sub, gid)
        return 200, {"data": self.render_subscriber(st, sub)}

    @route("DELETE", "/api/subscribers/{id}")
    def delete_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        self._remove_subscriber(st, self._find_subscriber(st, req.params["id"]))
        return SimResponse(204)

    @route("POST", "/api/subscribers/{id}/forget")
    def forget_subscriber(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["id"])
        rendered = self.render_subscriber(st, sub)
        now = self.clock.utcnow()
        data: dict[str, Any] = {}
        for key, value in rendered.items():
            if key == "fields":
                data["deleted_at"] = now.strftime(TS)
                data["forget_at"] = (now + timedelta(days=30)).strftime(TS)
            if key == "opted_in_at":
                data["location"] = None
            data[key] = value
        self._remove_subscriber(st, sub)
        message = "Subscriber data will be completely deleted and forgotten within 30 days."
        return 200, {"data": data, "message": message}

    @route("POST", "/api/subscribers/{sid}/groups/{gid}")
    def assign_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["sid"])
        group = self._find(st, "group", "groups", req.params["gid"])
        if self._join(st, sub, group["id"]):
            sub["updated_at"] = self._now()
        return 200, {"data": self.render_group(group)}

    @route("DELETE", "/api/subscribers/{sid}/groups/{gid}")
    def unassign_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        sub = self._find_subscriber(st, req.params["sid"])
        group = self._find(st, "group", "groups", req.params["gid"])
        self._leave(st, sub, group["id"])
        return SimResponse(204)
