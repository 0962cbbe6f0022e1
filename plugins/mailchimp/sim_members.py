"""Audience members in the Mailchimp simulator: members, batch subscribe, member tags and tag search.

Members are keyed by subscriber hash (md5 of the lowercased address; the routes also take the
address itself, as the vendor does). The status rules live in one place, `_write_member`, shared by
``POST …/members`` (400 Member Exists), ``PUT …/members/{hash}`` (upsert with ``status_if_new``),
``PATCH``, batch subscribe rows and the ``/batches`` operations that reach them: an unsubscribed or
cleaned member cannot be set back to ``subscribed`` (400 Member In Compliance State), a permanently
deleted address cannot be re-added except as ``pending`` (400 Forgotten Email Not Subscribed).
``DELETE`` archives; ``…/actions/delete-permanent`` forgets. Merge field values are validated
against the audience's merge fields (unless ``skip_merge_validation``); interests by id.
``GET /search-members`` finds exact address matches and substring matches on address and names.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from hub.simulator import Abort, SimRequest
from hub_mailchimp.sim_shapes import (
    COMPLIANCE_STATUSES,
    LIST_STATUSES,
    MEMBER_STATUSES,
    ShapesMixin,
    api,
    collection,
    email_problem,
    field_errors,
    fmt_time,
    invalid,
    not_found,
    parse_time,
    problem,
    subscriber_hash,
)

BATCH_SUBSCRIBE_MAX = 500
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_DATE_RE = re.compile(r"^\d{1,4}[-/]\d{1,2}(?:[-/]\d{1,4})?$")
_BIRTHDAY_RE = re.compile(r"^\d{1,2}/\d{1,2}$")
ADDRESS_REQUIRED = ("addr1", "city", "state", "zip")
_EXISTS_BATCH = (
    "{email} is already a list member, do you want to update? please provide update_existing:true in the request body"
)


class MembersMixin(ShapesMixin):
    """Members, batch subscribe and member tags (uses `SegmentsMixin` for tags = static segments)."""

    # ---------------------------------------------------------------- rendering

    def render_member(
        self,
        lst: dict[str, Any],
        h: str,
        m: dict[str, Any],
        statics: list[dict[str, Any]] | None = None,
        interest_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        if statics is None:
            statics = self._static_segments(lst)
        if interest_ids is None:
            interest_ids = self._interest_ids(lst)
        tags = [{"id": s["id"], "name": s["name"]} for s in statics if h in s["members"]]
        merge = m["merge"]
        return {
            "id": h,
            "email_address": m["email_address"],
            "unique_email_id": m["unique_email_id"],
            "contact_id": m["contact_id"],
            "full_name": " ".join(v for v in (merge.get("1", ""), merge.get("2", "")) if isinstance(v, str) and v),
            "web_id": m["web_id"],
            "email_type": m["email_type"],
            "status": m["status"],
            "consents_to_one_to_one_messaging": True,
            "merge_fields": {f["tag"]: merge.get(mid, "") for mid, f in lst["merge_fields"].items()},
            "interests": {iid: bool(m["interests"].get(iid, False)) for iid in interest_ids},
            "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
            "ip_signup": m["ip_signup"],
            "timestamp_signup": m["timestamp_signup"],
            "ip_opt": m["ip_opt"],
            "timestamp_opt": m["timestamp_opt"],
            "member_rating": 2,
            "last_changed": m["last_changed"],
            "language": m["language"],
            "vip": m["vip"],
            "email_client": "",
            "location": dict(m["location"]),
            "marketing_permissions": list(m["marketing_permissions"]),
            "source": m["source"],
            "tags_count": len(tags),
            "tags": tags,
            "list_id": lst["id"],
            "_links": [],
        }

    def _interest_ids(self, lst: dict[str, Any]) -> list[str]:
        return [iid for cat in lst["categories"].values() for iid in cat["interests"]]

    # ---------------------------------------------------------------- model

    def _member_hash(self, req: SimRequest) -> str:
        raw = req.params["subscriber_hash"]
        return subscriber_hash(raw) if "@" in raw else raw.lower()

    def _member(self, lst: dict[str, Any], h: str) -> dict[str, Any]:
        m = lst["members"].get(h)
        if m is None:
            raise not_found()
        return m

    def _set_status(self, lst: dict[str, Any], m: dict[str, Any], status: str) -> None:
        old = m["status"]
        if old == status:
            return
        counts = lst["counts"]
        if old:
            counts[old] -= 1
        counts[status] += 1
        m["status"] = status
        now = self._now()
        if status == "subscribed":
            m["timestamp_opt"] = m["timestamp_opt"] or now
            lst["last_sub_date"] = now
        elif status == "unsubscribed":
            lst["last_unsub_date"] = now

    def _validate_merge(self, lst: dict[str, Any], values: Any, *, create: bool, skip: bool) -> dict[str, Any]:
        """Merge values keyed by merge id (unknown tags are ignored, as the vendor does)."""
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise field_errors({"merge_fields": "Schema describes object, but a different type was found instead"})
        by_tag = {f["tag"]: mid for mid, f in lst["merge_fields"].items()}
        out: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for tag, value in values.items():
            mid = by_tag.get(str(tag).upper())
            if mid is None:
                continue
            field = lst["merge_fields"][mid]
            message = None if skip else _merge_value_problem(field, value)
            if message:
                errors[field["tag"]] = message
            else:
                out[mid] = "" if value is None else (value if isinstance(value, dict) else str(value))
        if create and not skip:
            for mid, field in lst["merge_fields"].items():
                if field["required"] and out.get(mid, "") in ("", None) and not field["default_value"]:
                    errors[field["tag"]] = "Please enter a value"
        if errors:
            raise invalid("Your merge fields were invalid.", [{"field": k, "message": v} for k, v in errors.items()])
        return out

    def _validate_member_fields(self, lst: dict[str, Any], data: dict[str, Any], *, create: bool, skip: bool) -> None:
        errors: dict[str, str] = {}
        for key in ("language", "ip_signup", "ip_opt"):
            self._str(data, key, errors)
        self._bool(data, "vip", errors)
        email_type = data.get("email_type")
        if email_type is not None and email_type not in ("html", "text"):
            errors["email_type"] = "Value must be one of: html, text"
        for key in ("timestamp_signup", "timestamp_opt"):
            value = data.get(key)
            if value not in (None, "") and parse_time(value) is None:
                errors[key] = "This value should be a valid datetime."
        interests = data.get("interests")
        if interests is not None:
            known = set(self._interest_ids(lst))
            if not isinstance(interests, dict):
                errors["interests"] = "Schema describes object, but a different type was found instead"
            else:
                for iid, flag in interests.items():
                    if iid not in known:
                        raise invalid(f"Invalid interest ID: '{iid}'.")
                    if not isinstance(flag, bool):
                        errors[f"interests.{iid}"] = "This value should be of type boolean."
        location = data.get("location")
        if location is not None and not isinstance(location, dict):
            errors["location"] = "Schema describes object, but a different type was found instead"
        tags = data.get("tags")
        if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags)):
            errors["tags"] = "Schema describes array of strings, but a different type was found instead"
        if errors:
            raise field_errors(errors)

    def _write_member(
        self,
        lst: dict[str, Any],
        data: dict[str, Any],
        *,
        mode: str,
        skip_merge_validation: bool = False,
        expect_hash: str | None = None,
    ) -> tuple[str, dict[str, Any], bool]:
        """Create or update a member per the vendor's rules; `mode` is add, put, patch or batch.
        Returns (hash, member, created). Raises the vendor's problem answer."""
        move_to: str | None = None
        if mode == "patch":
            assert expect_hash is not None
            h = expect_hash
            existing: dict[str, Any] | None = self._member(lst, h)
            assert existing is not None
            email = existing["email_address"]
            if data.get("email_address") is not None:
                email = _checked_email(data["email_address"])
                new_hash = subscriber_hash(email)
                if new_hash != h:
                    other = lst["members"].get(new_hash)
                    if other is not None:
                        raise _member_exists(email)
                    move_to = new_hash
        else:
            email = _checked_email(data.get("email_address"))
            h = subscriber_hash(email)
            if expect_hash is not None and h != expect_hash:
                raise invalid(
                    "The subscriber hash in the URL does not match the email address in the request body.",
                    [{"field": "email_address", "message": "Must match the subscriber hash in the URL."}],
                )
            existing = lst["members"].get(h)
            if mode == "add" and existing is not None and existing["status"] != "archived":
                raise _member_exists(email)
        # an archived member is re-added, except by a PATCH that sets no status (it stays archived)
        revive = existing is not None and existing["status"] == "archived"
        if revive and mode == "patch" and data.get("status") is None:
            revive = False
        is_new = existing is None or revive

        errors: dict[str, str] = {}
        status = data.get("status")
        if_new = data.get("status_if_new")
        for key, value in (("status", status), ("status_if_new", if_new)):
            if value is not None and value not in MEMBER_STATUSES:
                errors[key] = f"Value must be one of: {', '.join(MEMBER_STATUSES)}"
        if is_new and if_new is not None and (mode == "put" or status is None):
            status = if_new  # simulator choice: for a new member status_if_new wins over status
        if is_new and status is None and not errors:
            errors["status_if_new" if mode == "put" else "status"] = "This value should not be blank."
        if errors:
            raise field_errors(errors)
        self._validate_member_fields(lst, data, create=is_new, skip=skip_merge_validation)
        merge = self._validate_merge(lst, data.get("merge_fields"), create=is_new, skip=skip_merge_validation)

        if is_new and h in lst["forgotten"] and status != "pending":
            raise problem(
                400,
                "Forgotten Email Not Subscribed",
                f"{email} was permanently deleted and cannot be re-imported. "
                "The contact must re-subscribe to get back on the list.",
            )
        before = None if existing is None else (existing["prior_status"] if revive else existing["status"])
        if status is not None and before is not None and _compliance_blocks(before, status):
            raise problem(
                400,
                "Member In Compliance State",
                f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review "
                "and cannot be subscribed.",
            )

        now = self._now()
        if existing is None:
            existing = self._new_member(lst, h, email, now)
        m = existing
        if move_to is not None:
            lst["members"][move_to] = lst["members"].pop(h)
            for seg in lst["segments"].values():
                if h in seg["members"]:
                    seg["members"][move_to] = seg["members"].pop(h)
            lst["forgotten"].pop(move_to, None)
            h = move_to
        if status is not None:
            self._set_status(lst, m, status)
        if revive:
            m["prior_status"] = None
        m["email_address"] = email
        m["merge"].update(merge)
        if isinstance(data.get("interests"), dict):
            m["interests"].update(data["interests"])
        for key in ("language", "ip_signup", "ip_opt"):
            if data.get(key) is not None:
                m[key] = data[key]
        for key in ("timestamp_signup", "timestamp_opt"):
            parsed = parse_time(data.get(key))
            if parsed is not None:
                m[key] = fmt_time(parsed)
        if data.get("vip") is not None:
            m["vip"] = data["vip"]
        if data.get("email_type") is not None:
            m["email_type"] = data["email_type"]
        if isinstance(data.get("location"), dict):
            loc = data["location"]
            m["location"].update({k: loc[k] for k in ("latitude", "longitude") if isinstance(loc.get(k), int | float)})
        if isinstance(data.get("marketing_permissions"), list):
            m["marketing_permissions"] = [p for p in data["marketing_permissions"] if isinstance(p, dict)]
        m["last_changed"] = now
        if mode in ("add", "batch") and data.get("tags"):
            for name in data["tags"]:
                self._tag_member(lst, h, name, True)
        return h, m, is_new

    def _new_member(self, lst: dict[str, Any], h: str, email: str, now: str) -> dict[str, Any]:
        m = {
            "email_address": email,
            "status": "",
            "prior_status": None,
            "merge": {},
            "interests": {},
            "language": "",
            "vip": False,
            "email_type": "html",
            "ip_signup": "",
            "timestamp_signup": "",
            "ip_opt": "",
            "timestamp_opt": "",
            "last_changed": now,
            "unique_email_id": hashlib.md5(f"{lst['id']}:{h}".encode()).hexdigest()[:10],
            "contact_id": hashlib.md5(f"contact:{lst['id']}:{h}".encode()).hexdigest(),
            "web_id": self._int_id(500_000_000),
            "location": {"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "country_code": "", "timezone": ""},
            "marketing_permissions": [],
            "source": "API - Generic",
        }
        lst["members"][h] = m
        return m

    # ---------------------------------------------------------------- member routes

    @api("GET", "/lists/{list_id}/members")
    def list_members(self, req: SimRequest) -> Any:
        lst = self._list(req)
        status = req.arg("status")
        if status and status not in LIST_STATUSES:
            raise field_errors({"status": f"Value must be one of: {', '.join(LIST_STATUSES)}"})
        rows = [
            (h, m)
            for h, m in lst["members"].items()
            if (m["status"] == status if status else m["status"] != "archived")
        ]
        if self._flag(req, "vip_only"):
            rows = [(h, m) for h, m in rows if m["vip"]]
        unique = req.arg("unique_email_id")
        if unique:
            rows = [(h, m) for h, m in rows if m["unique_email_id"] == unique]
        since = parse_time(req.arg("since_last_changed"))
        if since:
            rows = [(h, m) for h, m in rows if (parse_time(m["last_changed"]) or since) > since]
        before = parse_time(req.arg("before_last_changed"))
        if before:
            rows = [(h, m) for h, m in rows if (parse_time(m["last_changed"]) or before) < before]
        sort_field = req.arg("sort_field")
        if sort_field in ("timestamp_opt", "timestamp_signup", "last_changed"):
            rows.sort(key=lambda r: r[1][sort_field] or "", reverse=(req.arg("sort_dir") or "").upper() == "DESC")
        statics = self._static_segments(lst)
        interest_ids = self._interest_ids(lst)
        return self._page(
            req,
            "members",
            rows,
            lambda r: self.render_member(lst, r[0], r[1], statics, interest_ids),
            list_id=lst["id"],
        )

    @api("POST", "/lists/{list_id}/members")
    def add_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        h, m, _ = self._write_member(
            lst, self._body(req), mode="add", skip_merge_validation=bool(self._flag(req, "skip_merge_validation"))
        )
        return self.render_member(lst, h, m)

    @api("GET", "/lists/{list_id}/members/{subscriber_hash}")
    def get_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        h = self._member_hash(req)
        return self.render_member(lst, h, self._member(lst, h))

    @api("PUT", "/lists/{list_id}/members/{subscriber_hash}")
    def put_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        h, m, _ = self._write_member(
            lst,
            self._body(req),
            mode="put",
            expect_hash=self._member_hash(req),
            skip_merge_validation=bool(self._flag(req, "skip_merge_validation")),
        )
        return self.render_member(lst, h, m)

    @api("PATCH", "/lists/{list_id}/members/{subscriber_hash}")
    def patch_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        h = self._member_hash(req)
        self._member(lst, h)
        h, m, _ = self._write_member(
            lst,
            self._body(req),
            mode="patch",
            expect_hash=h,
            skip_merge_validation=bool(self._flag(req, "skip_merge_validation")),
        )
        return self.render_member(lst, h, m)

    @api("DELETE", "/lists/{list_id}/members/{subscriber_hash}")
    def archive_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        m = self._member(lst, self._member_hash(req))
        if m["status"] == "archived":
            raise not_found()  # simulator choice: archiving twice is a 404
        m["prior_status"] = m["status"]
        self._set_status(lst, m, "archived")
        m["last_changed"] = self._now()
        return None

    @api("POST", "/lists/{list_id}/members/{subscriber_hash}/actions/delete-permanent")
    def delete_member_permanent(self, req: SimRequest) -> Any:
        lst = self._list(req)
        h = self._member_hash(req)
        m = self._member(lst, h)
        lst["counts"][m["status"]] -= 1
        del lst["members"][h]
        for seg in lst["segments"].values():
            seg["members"].pop(h, None)
        lst["forgotten"][h] = True
        return None

    # ---------------------------------------------------------------- batch subscribe

    @api("POST", "/lists/{list_id}")
    def batch_subscribe(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        rows = data.get("members")
        errors: dict[str, str] = {}
        if rows is None:
            errors["members"] = "This value should not be blank."
        elif not isinstance(rows, list):
            errors["members"] = "Schema describes array, but a different type was found instead"
        elif len(rows) > BATCH_SUBSCRIBE_MAX:
            errors["members"] = f"This collection should contain {BATCH_SUBSCRIBE_MAX} elements or less."
        update_existing = self._bool(data, "update_existing", errors) or False
        sync_tags = self._bool(data, "sync_tags", errors) or False
        if errors:
            raise field_errors(errors)
        assert isinstance(rows, list)
        skip = bool(self._flag(req, "skip_merge_validation"))
        created: list[tuple[str, dict[str, Any]]] = []
        updated: list[tuple[str, dict[str, Any]]] = []
        row_errors: list[dict[str, Any]] = []
        for row in rows:
            if not isinstance(row, dict):
                row_errors.append(_row_error("", "Schema describes object, but a different type was found instead"))
                continue
            email = row.get("email_address")
            if isinstance(email, str) and not update_existing:
                current = lst["members"].get(subscriber_hash(email))
                if current is not None and current["status"] != "archived":
                    row_errors.append(_row_error(email, _EXISTS_BATCH.format(email=email), "ERROR_CONTACT_EXISTS"))
                    continue
            try:
                h, m, is_new = self._write_member(lst, row, mode="batch", skip_merge_validation=skip)
            except Abort as abort:
                body = abort.response.body
                first = (body.get("errors") or [{}])[0]
                row_errors.append(
                    _row_error(
                        email if isinstance(email, str) else "",
                        body.get("detail", ""),
                        field=first.get("field", ""),
                        field_message=first.get("message", ""),
                    )
                )
                continue
            if sync_tags and isinstance(row.get("tags"), list):
                keep = {str(t).strip().lower() for t in row["tags"]}
                for seg in self._static_segments(lst):
                    if h in seg["members"] and seg["name"].lower() not in keep:
                        del seg["members"][h]
                        seg["updated_at"] = self._now()
            (created if is_new else updated).append((h, m))
        statics = self._static_segments(lst)
        interest_ids = self._interest_ids(lst)
        return {
            "new_members": [self.render_member(lst, h, m, statics, interest_ids) for h, m in created],
            "updated_members": [self.render_member(lst, h, m, statics, interest_ids) for h, m in updated],
            "errors": row_errors,
            "total_created": len(created),
            "total_updated": len(updated),
            "error_count": len(row_errors),
            "_links": [],
        }

    # ---------------------------------------------------------------- tags

    @api("POST", "/lists/{list_id}/members/{subscriber_hash}/tags")
    def update_member_tags(self, req: SimRequest) -> Any:
        lst = self._list(req)
        h = self._member_hash(req)
        self._member(lst, h)
        data = self._body(req)
        tags = data.get("tags")
        errors: dict[str, str] = {}
        if not isinstance(tags, list):
            errors["tags"] = "This value should not be blank." if tags is None else "Schema describes array"
        else:
            for i, tag in enumerate(tags):
                if not isinstance(tag, dict) or not isinstance(tag.get("name"), str) or not tag["name"].strip():
                    errors[f"tags[{i}].name"] = "This value should not be blank."
                elif tag.get("status") not in ("active", "inactive"):
                    errors[f"tags[{i}].status"] = "Value must be one of: active, inactive"
        self._bool(data, "is_syncing", errors)
        if errors:
            raise field_errors(errors)
        for tag in tags or ():
            self._tag_member(lst, h, tag["name"], tag["status"] == "active")
        lst["members"][h]["last_changed"] = self._now()
        return None

    @api("GET", "/lists/{list_id}/members/{subscriber_hash}/tags")
    def list_member_tags(self, req: SimRequest) -> Any:
        lst = self._list(req)
        h = self._member_hash(req)
        self._member(lst, h)
        tags = [s for s in self._static_segments(lst) if h in s["members"]]
        return self._page(
            req, "tags", tags, lambda s: {"id": s["id"], "name": s["name"], "date_added": s["members"][h]}
        )

    @api("GET", "/lists/{list_id}/tag-search")
    def tag_search(self, req: SimRequest) -> Any:
        lst = self._list(req)
        prefix = (req.arg("name") or "").lower()
        tags = [
            {"id": s["id"], "name": s["name"]}
            for s in self._static_segments(lst)
            if s["name"].lower().startswith(prefix)
        ]
        return collection("tags", tags, len(tags))

    @api("GET", "/search-members")
    def search_members(self, req: SimRequest) -> Any:
        """Exact matches on the address; full-text matches on address, first and last name."""
        query = (req.arg("query") or "").strip().lower()
        if not query:
            raise field_errors({"query": "This value should not be blank."})
        st = self._st(req)
        list_id = req.arg("list_id")
        lists = [st["lists"][list_id]] if list_id in st["lists"] else ([] if list_id else list(st["lists"].values()))
        exact: list[dict[str, Any]] = []
        full: list[dict[str, Any]] = []
        for lst in lists:
            statics = self._static_segments(lst)
            for h, m in lst["members"].items():
                if m["status"] == "archived":
                    continue
                names = " ".join(str(m["merge"].get(k, "")) for k in ("1", "2")).lower()
                if m["email_address"].lower() == query:
                    exact.append(self.render_member(lst, h, m, statics))
                elif query in m["email_address"].lower() or query in names:
                    full.append(self.render_member(lst, h, m, statics))
        return {
            "exact_matches": {"members": exact[:10], "total_items": len(exact)},
            "full_search": {"members": full[:10], "total_items": len(full)},
            "_links": [],
        }


# --------------------------------------------------------------------------------------------------


def _compliance_blocks(current: str, wanted: str) -> bool:
    """Simulator choice: unsubscribed/cleaned → subscribed is refused; cleaned → pending too."""
    if current not in COMPLIANCE_STATUSES:
        return False
    return wanted == "subscribed" or (current == "cleaned" and wanted == "pending")


def _checked_email(email: Any) -> str:
    reason = email_problem(email)
    if reason:
        raise invalid(reason, [{"field": "email_address", "message": reason}])
    return str(email).strip()


def _member_exists(email: str) -> Abort:
    return problem(400, "Member Exists", f"{email} is already a list member. Use PUT to insert or update list members.")


def _row_error(
    email: str, error: str, code: str = "ERROR_GENERIC", field: str = "", field_message: str = ""
) -> dict[str, Any]:
    return {"email_address": email, "error": error, "error_code": code, "field": field, "field_message": field_message}


def _merge_value_problem(field: dict[str, Any], value: Any) -> str | None:
    if value is None or value == "":
        return "Please enter a value" if field["required"] else None
    kind = field["type"]
    if kind == "address":
        if isinstance(value, str):
            return None
        if not isinstance(value, dict):
            return "Please enter a complete address"
        missing = [k for k in ADDRESS_REQUIRED if not str(value.get(k) or "").strip()]
        return "Please enter a complete address" if missing else None
    if isinstance(value, dict | list):
        return "Please enter a string value"
    text = str(value).strip()
    if kind == "number":
        return None if isinstance(value, int | float) or _NUMBER_RE.match(text) else "Please enter a number"
    if kind == "date":
        return None if _DATE_RE.match(text) else "Please enter a date"
    if kind == "birthday":
        return None if _BIRTHDAY_RE.match(text) or _DATE_RE.match(text) else "Please enter a valid birthday (MM/DD)"
    if kind in ("dropdown", "radio"):
        choices = (field.get("options") or {}).get("choices") or []
        if choices and text not in choices:
            return f"Value must be one of: {', '.join(choices)}"
    return None
