"""Groups and segments. Groups: list (name filter, sorts), create, rename, delete, member lists (active by
default) and ``POST /groups/{id}/import-subscribers`` with the import report it leaves at
``GET /subscribers/import/{id}``. Segments are the read-only kind of audience: the API lists, reads, renames
and deletes them and lists their members; they are made only as in the vendor's UI (``add_segment``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from hub.simulator import Abort, Row, SimRequest, SimResponse, control, route

from .shapes import BLOCKED_STATUSES, GROUPS, IMPORTS, SEGMENTS, STATUSES, SUBSCRIBERS, St, rate_block
from .subscribers import Subscribers
from .validation import EMAIL_RE, invalid, reject, validate

NAME_RULE = {"name": "required|string|max:255"}
GROUP_SORTS: dict[str, Callable[[Row], Any]] = {
    "name": lambda g: g["name"].lower(), "total": lambda g: g["counts"]["active"], "open_rate": lambda g: 0,
    "click_rate": lambda g: 0, "created_at": lambda g: (g["created_at"], int(g["id"])),
}
REPORT_LISTS = ("invalid", "mistyped", "changed", "unchanged", "unsubscribed", "role_based", "suspicious_format",
                "duplicate")


class Groups(Subscribers):
    def _name(self, req: SimRequest) -> str:
        data = self._body(req)
        reject(validate(data, NAME_RULE))
        return str(data["name"])

    @route("GET", "/api/groups")
    def list_groups(self, req: SimRequest) -> Any:
        st = self._st(req)
        groups = list(GROUPS.table(st).values())
        if needle := req.arg("filter[name]"):
            groups = [g for g in groups if needle.lower() in g["name"].lower()]
        if sort := req.arg("sort"):
            if sort.lstrip("-") not in GROUP_SORTS:
                raise invalid({"sort": ["The selected sort is invalid."]})
            groups.sort(key=GROUP_SORTS[sort.lstrip("-")], reverse=sort.startswith("-"))
        return self.page_envelope(req, groups, 100, lambda g: self.render_group(st, g))

    @route("POST", "/api/groups")
    def create_group(self, req: SimRequest) -> Any:
        st, name = self._st(req), self._name(req)
        group = {"id": self._new_id(), "name": name, "counts": dict.fromkeys(STATUSES, 0), "created_at": self._now()}
        return 201, {"data": self.render_group(st, GROUPS.table(st).insert(group))}

    @route("PUT", "/api/groups/{id}")
    def update_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        group = GROUPS.table(st).require(req.params["id"])
        return {"data": self.render_group(st, GROUPS.table(st).update(group, name=self._name(req)))}

    @route("DELETE", "/api/groups/{id}")
    def delete_group(self, req: SimRequest) -> Any:
        st = self._st(req)
        gid = GROUPS.table(st).require(req.params["id"])["id"]
        for sub in (s for s in SUBSCRIBERS.table(st).values() if gid in s["groups"]):
            sub["groups"].remove(gid)
        del GROUPS.table(st)[gid]
        return SimResponse(204)

    @route("GET", "/api/groups/{id}/subscribers")
    def group_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        gid = GROUPS.table(st).require(req.params["id"])["id"]
        status = self._filter(req, "status", STATUSES, "active")  # simulator choice: active by default
        return self._subscriber_page(req, st, [s for s in self._subscriber_rows(st, status) if gid in s["groups"]], 25)

    @route("POST", "/api/groups/{id}/import-subscribers")
    def import_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        gid = GROUPS.table(st).require(req.params["id"])["id"]
        items = self._body(req).get("subscribers")
        reject(validate({"subscribers": items}, {"subscribers": "required|list"}))
        assert isinstance(items, list)
        counts = {"imported": 0, "updated": 0, "errored": 0}
        lists: dict[str, list[Any]] = {key: [] for key in REPORT_LISTS}
        seen: set[str] = set()
        for item in items:
            data = item if isinstance(item, dict) else {}
            email = str(data.get("email") or "").strip().lower()
            existing = SUBSCRIBERS.table(st).find("email", email)
            if not email or not EMAIL_RE.match(email):
                lists["invalid"].append(data.get("email"))
            elif email in seen:
                lists["duplicate"].append(email)
            elif existing is not None and existing["status"] in BLOCKED_STATUSES:
                seen.add(email)
                lists["unsubscribed"].append(email)
            else:
                seen.add(email)
                fields = given if isinstance(given := data.get("fields"), dict) else {}
                top_level = {k: v for k, v in data.items() if k not in ("email", "fields")}  # {"email", "name"}
                before = json.dumps(existing, sort_keys=True) if existing else None
                try:
                    sub, created = self.upsert(st, {"email": email, "fields": {**top_level, **fields}}, source="import")
                except Abort:
                    counts["errored"] += 1
                    lists["invalid"].append(email)
                    continue
                self._join(st, sub, gid)
                counts["imported" if created else "updated"] += 1
                if existing is not None:
                    same = before == json.dumps({**sub, "updated_at": existing["updated_at"]}, sort_keys=True)
                    lists["unchanged" if same else "changed"].append(email)
        iid, now = self._new_id(), self._now("%Y-%m-%dT%H:%M:%S.000000Z")
        report: Row = {"id": iid, "account_id": self._account_number(req.account or ""), "total": len(items),
                       "processed": len(items), **counts, "percent": 100, "done": True}
        for key, found in lists.items():
            report.update({key: found, f"{key}_count": len(found)})
        report.update(banned_import_emails_count=0, updated_at=now, undone_at=None, stopped_at=None,
                      undo_started_at=None, finished_at=now)
        IMPORTS.table(st).insert(report)
        return {"import_progress_url": self._url(req, f"/api/subscribers/import/{iid}")}

    @route("GET", "/api/subscribers/import/{id}")
    def import_report(self, req: SimRequest) -> Any:
        return {"data": IMPORTS.table(self._st(req)).require(req.params["id"])}

    # ---------------------------------------------------------------- segments

    def render_segment(self, st: St, seg: Row, *, listing: bool = False) -> Row:
        subs = SUBSCRIBERS.table(st)
        total = sum(1 for sid in seg["subscriber_ids"] if sid in subs and subs[sid]["status"] == "active")
        out = {"id": seg["id"], "name": seg["name"], "total": total, "open_rate": rate_block(),
               "click_rate": rate_block(), "created_at": seg["created_at"]}
        return {**out, "automations_using_segment_count": 0} if listing else out

    @route("GET", "/api/segments")
    def list_segments(self, req: SimRequest) -> Any:
        st = self._st(req)
        segs = list(SEGMENTS.table(st).values())
        return self.page_envelope(req, segs, 25, lambda s: self.render_segment(st, s, listing=True))

    @route("GET", "/api/segments/{id}")
    def get_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        return {"data": self.render_segment(st, SEGMENTS.table(st).require(req.params["id"]))}

    @route("PUT", "/api/segments/{id}")
    def update_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        seg = SEGMENTS.table(st).require(req.params["id"])
        return {"data": self.render_segment(st, SEGMENTS.table(st).update(seg, name=self._name(req)))}

    @route("DELETE", "/api/segments/{id}")
    def delete_segment(self, req: SimRequest) -> Any:
        segments = SEGMENTS.table(self._st(req))
        del segments[segments.require(req.params["id"])["id"]]
        return SimResponse(204)

    @route("GET", "/api/segments/{id}/subscribers")
    def segment_subscribers(self, req: SimRequest) -> Any:
        st = self._st(req)
        seg = SEGMENTS.table(st).require(req.params["id"])
        status = self._filter(req, "status", STATUSES, "active")
        return self._subscriber_page(req, st, self._subscriber_rows(st, status, seg["subscriber_ids"]), 50, True)

    @control("add_segment")
    def add_segment(self, account: str, name: str, subscriber_ids: Iterable[str] = ()) -> Row:
        """Create a segment as a user would in the MailerLite UI (the API cannot); members by id or email."""
        with self.lock:
            st = self.account_state(account)
            subs = SUBSCRIBERS.table(st)
            ids = [(subs.find("email", i) or {"id": i})["id"] if "@" in i else str(i) for i in subscriber_ids]
            seg = {"id": self._new_id(), "name": name, "created_at": self._now(), "subscriber_ids": ids}
            return self.render_segment(st, SEGMENTS.table(st).insert(seg))
