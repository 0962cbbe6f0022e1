"""Groups and segments in the MailerLite simulator.

Groups: list (name filter, sorts), create, rename, delete, their member lists (active by
default), and ``POST /groups/{id}/import-subscribers`` with the import report it leaves at
``GET /subscribers/import/{id}``. Segments are the read-only kind of audience: the API can list,
read, rename and delete them and list their members; they are created only as a user would in
the vendor's UI (the ``add_segment`` control of `MailerLiteSimulator`). Both render with the
zeroed statistics the vendor shows for a fresh account.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hub.simulator import Abort, SimRequest, SimResponse, route
from hub_mailerlite.sim_shapes import BLOCKED_STATUSES, EMAIL_RE, STATUSES, invalid, rate_block


class GroupsMixin:
    """Groups, their members and group imports."""

    def render_group(self, group: dict[str, Any]) -> dict[str, Any]:
        counts = group["counts"]
        return {
            "id": group["id"],
            "name": group["name"],
            "active_count": counts["active"],
            "sent_count": 0,
            "opens_count": 0,
            "open_rate": rate_block(),
            "clicks_count": 0,
            "click_rate": rate_block(),
            "unsubscribed_count": counts["unsubscribed"],
            "unconfirmed_count": counts["unconfirmed"],
            "bounced_count": counts["bounced"],
            "junk_count": counts["junk"],
            "created_at": group["created_at"],
        }

    # ---------------------------------------------------------------- groups

    @route("GET", "/api/groups")
    def list_groups(self, req: SimRequest) -> Any:
        st = self._st(req)
        groups = list(st["groups"].values())
        needle = req.arg("filter[name]")
        if needle:
            groups = [g for g in groups if needle.lower() in g["name"].lower()]
        sort = req.arg("sort")
        if sort:
            keys: dict[str, Callable[[dict[str, Any]], Any]] = {
                "name": lambda g: g["name"].lower(),
                "total": lambda g: g["counts"]["active"],
                "open_rate": lambda g: 0,
                "click_rate": lambda g: 0,
                "created_at": lambda g: (g["created_at"], int(g["id"])),
            }
            key = keys.get(sort.lstrip("-"))
            if key is None:
                raise invalid({"sort": ["The selected sort is invalid."]})
            groups.sort(key=key, reverse=sort.startswith("-"))
        return 200, self.page_envelope(req, groups, 100, self.render_group)

    @route("POST", "/api/groups")
    def create_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        name = self._validate_name(self._body(req))
        gid = self._new_id()
        counts = dict.fromkeys(STATUSES, 0)
        st["groups"][gid] = {"id": gid, "name": name, "counts": counts, "created_at": self._now()}
        return 201, {"data": self.render_group(st["groups"][gid])}

    @route("PUT", "/api/groups/{id}")
    def update_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = self._find(st, "group", "groups", req.params["id"])
        group["name"] = self._validate_name(self._body(req))
        return 200, {"data": self.render_group(group)}

    @route("DELETE", "/api/groups/{id}")
    def delete_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = self._find(st, "group", "groups", req.params["id"])
        for sub in st["subscribers"].values():
            if group["id"] in sub["groups"]:
                sub["groups"].remove(group["id"])
        del st["groups"][group["id"]]
        return SimResponse(204)

    @route("GET", "/api/groups/{id}/subscribers")
    def group_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = self._find(st, "group", "groups", req.params["id"])
        status = self._status_filter(req, "active")  # simulator choice: defaults to active like segments
        gid = group["id"]
        rows = [s for s in self._subscriber_rows(st, status) if gid in s["groups"]]
        include = req.arg("include") == "groups"
        keys = self._field_keys(st)
        return 200, self.cursor_envelope(
            req, rows, 25, lambda s: self.render_subscriber(st, s, groups=include, keys=keys)
        )

    @route("POST", "/api/groups/{id}/import-subscribers")
    def import_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = self._find(st, "group", "groups", req.params["id"])
        items = self._body(req).get("subscribers")
        if items is None:
            raise invalid({"subscribers": ["The subscribers field is required."]})
        if not isinstance(items, list):
            raise invalid({"subscribers": ["The subscribers must be an array."]})
        report = {
            "imported": 0,
            "updated": 0,
            "errored": 0,
            "invalid": [],
            "changed": [],
            "unchanged": [],
            "unsubscribed": [],
            "duplicate": [],
        }
        seen: set[str] = set()
        for item in items:
            data = item if isinstance(item, dict) else {}
            email = str(data.get("email") or "").strip().lower()
            if not email or not EMAIL_RE.match(email):
                report["invalid"].append(data.get("email"))
                continue
            if email in seen:
                report["duplicate"].append(email)
                continue
            seen.add(email)
            existing = st["subscribers"].get(st["by_email"].get(email, ""))
            if existing is not None and existing["status"] in BLOCKED_STATUSES:
                report["unsubscribed"].append(email)
                continue
            fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
            top_level = {k: v for k, v in data.items() if k not in ("email", "fields")}  # {"email", "name"}
            clean = {"email": email, "fields": {**top_level, **fields}}
            try:
                before = json.dumps(existing, sort_keys=True) if existing else None
                sub, created = self.upsert(st, clean, source="import")
            except Abort:
                report["errored"] += 1
                report["invalid"].append(email)
                continue
            self._join(st, sub, group["id"])
            if created:
                report["imported"] += 1
            else:
                report["updated"] += 1
                unchanged = before == json.dumps({**sub, "updated_at": existing["updated_at"]}, sort_keys=True)
                report["unchanged" if unchanged else "changed"].append(email)
        iid = self._new_id()
        now_iso = self._now_iso()
        data = {"id": iid, "account_id": self._account_number(req.account or ""), "total": len(items)}
        data.update({"processed": len(items), "imported": report["imported"], "updated": report["updated"]})
        data.update({"errored": report["errored"], "percent": 100, "done": True})
        for key in ("invalid", "mistyped", "changed", "unchanged", "unsubscribed", "role_based"):
            data[key] = report.get(key, [])
            data[f"{key}_count"] = len(data[key])
        data.update({"suspicious_format": [], "suspicious_format_count": 0})
        data.update({"duplicate": report["duplicate"], "duplicate_count": len(report["duplicate"])})
        data.update({"banned_import_emails_count": 0, "updated_at": now_iso, "undone_at": None})
        data.update({"stopped_at": None, "undo_started_at": None, "finished_at": now_iso})
        st["imports"][iid] = data
        return 200, {"import_progress_url": self._url(req, f"/api/subscribers/import/{iid}")}

    @route("GET", "/api/subscribers/import/{id}")
    def import_report(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"data": self._find(st, "import", "imports", req.params["id"])}


class SegmentsMixin:
    """Segments: read, rename, delete and list members (the API cannot create them)."""

    def render_segment(self, st: dict[str, Any], seg: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
        subs = st["subscribers"]
        total = sum(1 for sid in seg["subscriber_ids"] if sid in subs and subs[sid]["status"] == "active")
        out = {
            "id": seg["id"],
            "name": seg["name"],
            "total": total,
            "open_rate": rate_block(),
            "click_rate": rate_block(),
            "created_at": seg["created_at"],
        }
        if listing:
            out["automations_using_segment_count"] = 0
        return out

    @route("GET", "/api/segments")
    def list_segments(self, req: SimRequest) -> Any:
        st = self._st(req)
        segs = list(st["segments"].values())
        return 200, self.page_envelope(req, segs, 25, lambda s: self.render_segment(st, s, listing=True))

    @route("GET", "/api/segments/{id}")
    def get_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"data": self.render_segment(st, self._find(st, "segment", "segments", req.params["id"]))}

    @route("PUT", "/api/segments/{id}")
    def update_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        seg = self._find(st, "segment", "segments", req.params["id"])
        seg["name"] = self._validate_name(self._body(req))
        return 200, {"data": self.render_segment(st, seg)}

    @route("DELETE", "/api/segments/{id}")
    def delete_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        seg = self._find(st, "segment", "segments", req.params["id"])
        del st["segments"][seg["id"]]
        return SimResponse(204)

    @route("GET", "/api/segments/{id}/subscribers")
    def segment_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        seg = self._find(st, "segment", "segments", req.params["id"])
        status = self._status_filter(req, "active")
        rows = self._subscriber_rows(st, status, seg["subscriber_ids"])
        keys = self._field_keys(st)
        return 200, self.cursor_envelope(req, rows, 50, lambda s: self.render_subscriber(st, s, keys=keys))
