"""Audience members (by subscriber hash, or the address itself as the vendor allows), batch subscribe
(``POST /lists/{id}``), member tags, tag search and ``/search-members`` (exact address matches, and substring matches
on address and names). The status rules (see the package docstring) live in one place, `_write_member`, shared by POST,
PUT, PATCH, batch subscribe rows and the ``/batches`` operations that reach them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from hub.simulator import Abort, Row, SimRequest

from . import shapes as sh
from .audiences import Audiences

BATCH_SUBSCRIBE_MAX = 500
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_DATE_RE = re.compile(r"^\d{1,4}[-/]\d{1,2}(?:[-/]\d{1,4})?$")
_BIRTHDAY_RE = re.compile(r"^\d{1,2}/\d{1,2}$")
ADDRESS_REQUIRED = ("addr1", "city", "state", "zip")
MEMBER_KEYS = ("id", "email_address", "unique_email_id", "contact_id", "web_id", "email_type", "status", "ip_signup",
               "timestamp_signup", "ip_opt", "timestamp_opt", "last_changed", "language", "vip", "source")
MEMBER_EXISTS = "{email} is already a list member. Use PUT to insert or update list members."
_EXISTS_BATCH = (
    "{email} is already a list member, do you want to update? please provide update_existing:true in the request body"
)


class Members(Audiences):
    def render_member(self, lst: Row, m: Row, statics: list[Row] | None = None,
                      interest_ids: list[str] | None = None) -> Row:
        h, merge = m["id"], m["merge"]
        tags = [{"id": s["id"], "name": s["name"]} for s in (self._statics(lst) if statics is None else statics)
                if h in s["members"]]
        names = (merge.get("1", ""), merge.get("2", ""))
        return {
            **{k: m[k] for k in MEMBER_KEYS}, "full_name": " ".join(v for v in names if isinstance(v, str) and v),
            "consents_to_one_to_one_messaging": True,
            "merge_fields": {f["tag"]: merge.get(mid, "") for mid, f in sh.MERGE_FIELDS.table(lst).items()},
            "interests": {iid: bool(m["interests"].get(iid, False))
                          for iid in (self._interest_ids(lst) if interest_ids is None else interest_ids)},
            "stats": {"avg_open_rate": 0, "avg_click_rate": 0}, "member_rating": 2, "email_client": "",
            "location": dict(m["location"]), "marketing_permissions": list(m["marketing_permissions"]),
            "tags_count": len(tags), "tags": tags, "list_id": lst["id"], "_links": [],
        }

    def _renderer(self, lst: Row) -> Callable[[Row], Row]:
        """`render_member` for many members of `lst` (its tags and interests looked up once)."""
        statics, interest_ids = self._statics(lst), self._interest_ids(lst)
        return lambda m: self.render_member(lst, m, statics, interest_ids)

    # ---------------------------------------------------------------- tags (static segments)

    def _statics(self, lst: Row) -> list[Row]:
        return [s for s in sh.SEGMENTS.table(lst).values() if s["type"] == "static"]

    def _new_segment(self, lst: Row, name: str, kind: str, options: dict[str, Any] | None) -> Row:
        now = self._now()
        return sh.SEGMENTS.table(lst).insert({"id": self._int_id(1_000_000), "name": name, "type": kind,
                                           "created_at": now, "updated_at": now, "options": options, "members": {}})

    def _tag_member(self, lst: Row, h: str, name: str, active: bool) -> None:
        """Add (creating the tag when unknown) or remove one tag of a member."""
        name = str(name).strip()[:100]
        seg = sh.SEGMENTS.table(lst).find("name", name)
        if seg is not None and seg["type"] != "static" and active:
            raise self.invalid(f"Sorry, the segment or tag name '{name}' is already taken.")
        if active and seg is None:
            seg = self._new_segment(lst, name, "static", None)
        if seg is not None and seg["type"] == "static" and (h in seg["members"]) != active:
            if active:
                seg["members"][h] = self._now()
            else:
                del seg["members"][h]
            seg["updated_at"] = self._now()

    # ---------------------------------------------------------------- the status rules

    def _set_status(self, lst: Row, m: Row, status: str) -> None:
        if m["status"] == status:
            return
        m["prior_status"] = m["status"] if status == "archived" else None  # what an archived member comes back as
        m["status"] = status
        if status == "subscribed":
            m["timestamp_opt"] = m["timestamp_opt"] or self._now()
            lst["last_sub_date"] = self._now()
        elif status == "unsubscribed":
            lst["last_unsub_date"] = self._now()

    def _merge_values(self, lst: Row, values: Any, create: bool, skip: bool | None) -> dict[str, Any]:
        """Merge values keyed by merge id (unknown tags are ignored, as the vendor does)."""
        if not isinstance(values, dict | None):
            raise self.field_errors({"merge_fields": "Schema describes object, but a different type was found instead"})
        fields = sh.MERGE_FIELDS.table(lst)
        out: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for tag, value in (values or {}).items():
            field = fields.find("tag", str(tag))
            if field is None:
                continue
            message = None if skip else _merge_value_problem(field, value)
            if message:
                errors[field["tag"]] = message
            else:
                out[str(field["merge_id"])] = value if isinstance(value, dict) else "" if value is None else str(value)
        if create and not skip:
            for mid, field in fields.items():
                if field["required"] and out.get(mid, "") in ("", None) and not field["default_value"]:
                    errors[field["tag"]] = "Please enter a value"
        if errors:
            raise self.invalid("Your merge fields were invalid.", sh.field_list(errors))
        return out

    def _check_member_fields(self, lst: Row, data: dict[str, Any]) -> None:
        errors: dict[str, str] = {}
        sh.check_types(data, errors, language=str, ip_signup=str, ip_opt=str, vip=bool, location=dict, interests=dict)
        if data.get("email_type") not in (None, "html", "text"):
            errors["email_type"] = sh.one_of(("html", "text"))
        for key in ("timestamp_signup", "timestamp_opt"):
            if data.get(key) not in (None, "") and sh.parse_time(data[key]) is None:
                errors[key] = "This value should be a valid datetime."
        if isinstance(data.get("interests"), dict):
            known = set(self._interest_ids(lst))
            for iid, flag in data["interests"].items():
                if iid not in known:
                    raise self.invalid(f"Invalid interest ID: '{iid}'.")
                if not isinstance(flag, bool):
                    errors[f"interests.{iid}"] = sh.TYPE_ERRORS[bool]
        tags = data.get("tags")
        if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags)):
            errors["tags"] = "Schema describes array of strings, but a different type was found instead"
        self.check(errors)

    def _write_member(self, lst: Row, data: dict[str, Any], req: SimRequest, *, mode: str,
                      expect_hash: str | None = None) -> tuple[Row, bool]:
        """Create or update a member per the vendor's rules; `mode` is add, put, patch or batch. Returns
        (member, created); raises the vendor's problem answer."""
        members = sh.MEMBERS.table(lst)
        move_to: str | None = None
        existing: Row | None
        if mode == "patch":
            existing = members.require(expect_hash)
            h, email = existing["id"], existing["email_address"]
            if data.get("email_address") is not None:
                email = self.checked_email(data["email_address"])
                move_to = None if sh.subscriber_hash(email) == h else sh.subscriber_hash(email)
                if move_to in members:
                    raise self.invalid(MEMBER_EXISTS.format(email=email), title="Member Exists")
        else:
            email = self.checked_email(data.get("email_address"))
            h = sh.subscriber_hash(email)
            if expect_hash is not None and h != expect_hash:
                mismatch = {"email_address": "Must match the subscriber hash in the URL."}
                raise self.invalid("The subscriber hash in the URL does not match the email address in the request "
                                   "body.", sh.field_list(mismatch))
            existing = members.get(h)
            if mode == "add" and existing is not None and existing["status"] != "archived":
                raise self.invalid(MEMBER_EXISTS.format(email=email), title="Member Exists")
        # an archived member is re-added, except by a PATCH that sets no status (it stays archived)
        archived = existing is not None and existing["status"] == "archived"
        revive = archived and (mode != "patch" or data.get("status") is not None)
        is_new = existing is None or revive

        errors: dict[str, str] = {}
        status, if_new = data.get("status"), data.get("status_if_new")
        for key, value in (("status", status), ("status_if_new", if_new)):
            if value is not None and value not in sh.MEMBER_STATUSES:
                errors[key] = sh.one_of(sh.MEMBER_STATUSES)
        if is_new and if_new is not None and (mode == "put" or status is None):
            status = if_new  # simulator choice: for a new member status_if_new wins over status
        if is_new and status is None and not errors:
            errors["status_if_new" if mode == "put" else "status"] = sh.BLANK
        self.check(errors)
        self._check_member_fields(lst, data)
        merge = self._merge_values(lst, data.get("merge_fields"), is_new, self._flag(req, "skip_merge_validation"))

        if is_new and h in lst["forgotten"] and status != "pending":
            raise self.invalid(f"{email} was permanently deleted and cannot be re-imported. The contact must "
                               "re-subscribe to get back on the list.", title="Forgotten Email Not Subscribed")
        before = None if existing is None else (existing["prior_status"] if revive else existing["status"])
        if status is not None and before is not None and _compliance_blocks(before, status):
            raise self.invalid(f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review "
                               "and cannot be subscribed.", title="Member In Compliance State")

        m = existing if existing is not None else self._new_member(lst, h, email)
        if move_to is not None:
            members.pop(h)
            m["id"] = move_to
            members.insert(m)
            for seg in sh.SEGMENTS.table(lst).values():
                if h in seg["members"]:
                    seg["members"][move_to] = seg["members"].pop(h)
            lst["forgotten"].pop(move_to, None)
            h = move_to
        if status is not None:
            self._set_status(lst, m, status)
        members.update(m, email_address=email)
        m["merge"].update(merge)
        if isinstance(data.get("interests"), dict):
            m["interests"].update(data["interests"])
        m.update({k: data[k] for k in ("language", "ip_signup", "ip_opt", "vip", "email_type")
                  if data.get(k) is not None})
        for key in ("timestamp_signup", "timestamp_opt"):
            parsed = sh.parse_time(data.get(key))
            if parsed is not None:
                m[key] = sh.fmt_time(parsed)
        if isinstance(data.get("location"), dict):
            loc = data["location"]
            m["location"].update({k: loc[k] for k in ("latitude", "longitude") if isinstance(loc.get(k), int | float)})
        if isinstance(data.get("marketing_permissions"), list):
            m["marketing_permissions"] = [p for p in data["marketing_permissions"] if isinstance(p, dict)]
        m["last_changed"] = self._now()
        if mode in ("add", "batch") and data.get("tags"):
            for name in data["tags"]:
                self._tag_member(lst, h, name, True)
        return m, is_new

    def _new_member(self, lst: Row, h: str, email: str) -> Row:
        return sh.MEMBERS.table(lst).insert({
            "id": h, "email_address": email, "status": "", "prior_status": None, "merge": {}, "interests": {},
            "language": "", "vip": False, "email_type": "html", "ip_signup": "", "timestamp_signup": "", "ip_opt": "",
            "timestamp_opt": "", "last_changed": self._now(),
            "unique_email_id": hashlib.md5(f"{lst['id']}:{h}".encode()).hexdigest()[:10],
            "contact_id": hashlib.md5(f"contact:{lst['id']}:{h}".encode()).hexdigest(),
            "web_id": self._int_id(500_000_000),
            "location": {"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "country_code": "", "timezone": ""},
            "marketing_permissions": [], "source": "API - Generic",
        })

    @sh.api("GET", "/lists/{list_id}/members")
    def list_members(self, req: SimRequest) -> Any:
        lst = self._list(req)
        status, unique, vip = req.arg("status"), req.arg("unique_email_id"), self._flag(req, "vip_only")
        if status and status not in sh.LIST_STATUSES:
            raise self.field_errors({"status": sh.one_of(sh.LIST_STATUSES)})
        rows = [m for m in sh.MEMBERS.table(lst).values() if (not vip or m["vip"])
                and (m["status"] == status if status else m["status"] != "archived")
                and (not unique or m["unique_email_id"] == unique)]
        rows = sh.between(req, rows, "last_changed", strict=True)
        rows = sh.sort_rows(req, rows, ("timestamp_opt", "timestamp_signup", "last_changed"))
        return self._page(req, "members", rows, self._renderer(lst), list_id=lst["id"])

    @sh.api("POST", "/lists/{list_id}/members")
    def add_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        return self.render_member(lst, self._write_member(lst, self._body(req), req, mode="add")[0])

    @sh.api("GET", "/lists/{list_id}/members/{subscriber_hash}")
    def get_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        return self.render_member(lst, sh.MEMBERS.table(lst).require(self._hash(req)))

    @sh.api("PUT", "/lists/{list_id}/members/{subscriber_hash}")
    @sh.api("PATCH", "/lists/{list_id}/members/{subscriber_hash}")
    def write_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        m, _ = self._write_member(lst, self._body(req), req, mode=req.method.lower(), expect_hash=self._hash(req))
        return self.render_member(lst, m)

    @sh.api("DELETE", "/lists/{list_id}/members/{subscriber_hash}")
    def archive_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        m = sh.MEMBERS.table(lst).require(self._hash(req))
        if m["status"] == "archived":
            raise Abort(self.error(404))  # simulator choice: archiving twice is a 404
        self._set_status(lst, m, "archived")
        m["last_changed"] = self._now()

    @sh.api("POST", "/lists/{list_id}/members/{subscriber_hash}/actions/delete-permanent")
    def delete_member_permanent(self, req: SimRequest) -> Any:
        lst = self._list(req)
        members = sh.MEMBERS.table(lst)
        h = members.require(self._hash(req))["id"]
        del members[h]
        for seg in sh.SEGMENTS.table(lst).values():
            seg["members"].pop(h, None)
        lst["forgotten"][h] = True

    @sh.api("POST", "/lists/{list_id}")
    def batch_subscribe(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        errors: dict[str, str] = {}
        rows = sh.array(data, "members", errors, BATCH_SUBSCRIBE_MAX, required=True)
        sh.check_types(data, errors, update_existing=bool, sync_tags=bool)
        self.check(errors)
        update_existing, sync_tags = bool(data.get("update_existing")), bool(data.get("sync_tags"))
        created: list[Row] = []
        updated: list[Row] = []
        row_errors: list[dict[str, Any]] = []
        for row in rows:
            if not isinstance(row, dict):
                row_errors.append(_row_error("", sh.TYPE_ERRORS[dict]))
                continue
            email = row.get("email_address")
            if isinstance(email, str) and not update_existing:
                current = sh.MEMBERS.table(lst).get(sh.subscriber_hash(email))
                if current is not None and current["status"] != "archived":
                    row_errors.append(_row_error(email, _EXISTS_BATCH.format(email=email), "ERROR_CONTACT_EXISTS"))
                    continue
            try:
                m, is_new = self._write_member(lst, row, req, mode="batch")
            except Abort as abort:
                body = abort.response.body
                first = (body.get("errors") or [{}])[0]
                row_errors.append(_row_error(email if isinstance(email, str) else "", body.get("detail", ""),
                                             field=first.get("field", ""), field_message=first.get("message", "")))
                continue
            if sync_tags and isinstance(row.get("tags"), list):
                keep = {str(t).strip().lower() for t in row["tags"]}
                for seg in self._statics(lst):
                    if m["id"] in seg["members"] and seg["name"].lower() not in keep:
                        del seg["members"][m["id"]]
                        seg["updated_at"] = self._now()
            (created if is_new else updated).append(m)
        render = self._renderer(lst)
        return {"new_members": [render(m) for m in created] if sh.asks_for(req, "new_members") else [],
                "updated_members": [render(m) for m in updated] if sh.asks_for(req, "updated_members") else [],
                "errors": row_errors, "total_created": len(created), "total_updated": len(updated),
                "error_count": len(row_errors), "_links": []}

    # ---------------------------------------------------------------- tags and search

    @sh.api("POST", "/lists/{list_id}/members/{subscriber_hash}/tags")
    def update_member_tags(self, req: SimRequest) -> Any:
        lst = self._list(req)
        m = sh.MEMBERS.table(lst).require(self._hash(req))
        data = self._body(req)
        errors: dict[str, str] = {}
        tags = sh.array(data, "tags", errors, required=True)
        for i, tag in enumerate(tags):
            if not isinstance(tag, dict) or not sh.nonblank(tag.get("name")):
                errors[f"tags[{i}].name"] = sh.BLANK
            elif tag.get("status") not in ("active", "inactive"):
                errors[f"tags[{i}].status"] = sh.one_of(("active", "inactive"))
        sh.check_types(data, errors, is_syncing=bool)
        self.check(errors)
        for tag in tags:
            self._tag_member(lst, m["id"], tag["name"], tag["status"] == "active")
        m["last_changed"] = self._now()

    @sh.api("GET", "/lists/{list_id}/members/{subscriber_hash}/tags")
    def list_member_tags(self, req: SimRequest) -> Any:
        lst = self._list(req)
        h = sh.MEMBERS.table(lst).require(self._hash(req))["id"]
        tags = [s for s in self._statics(lst) if h in s["members"]]
        return self._page(req, "tags", tags, lambda t: {**sh.copied(t, ("id", "name")), "date_added": t["members"][h]})

    @sh.api("GET", "/lists/{list_id}/tag-search")
    def tag_search(self, req: SimRequest) -> Any:
        prefix = (req.arg("name") or "").lower()
        statics = self._statics(self._list(req))
        return sh.collection("tags", [{"id": s["id"], "name": s["name"]} for s in statics
                                   if s["name"].lower().startswith(prefix)])

    @sh.api("GET", "/search-members")
    def search_members(self, req: SimRequest) -> Any:
        query = (req.arg("query") or "").strip().lower()
        if not query:
            raise self.field_errors({"query": sh.BLANK})
        lists = sh.LISTS.table(self._st(req))
        list_id = req.arg("list_id")
        found: dict[bool, list[Row]] = {True: [], False: []}  # exact?
        for lst in lists.rows() if not list_id else [lists[list_id]] if list_id in lists else []:
            render = self._renderer(lst)
            for m in sh.MEMBERS.table(lst).values():
                names = " ".join(str(m["merge"].get(k, "")) for k in ("1", "2")).lower()
                address = m["email_address"].lower()
                if m["status"] != "archived" and (address == query or query in address or query in names):
                    found[address == query].append(render(m))
        return {"exact_matches": {"members": found[True][:10], "total_items": len(found[True])},
                "full_search": {"members": found[False][:10], "total_items": len(found[False])}, "_links": []}


def _compliance_blocks(current: str, wanted: str) -> bool:
    """Simulator choice: unsubscribed/cleaned → subscribed is refused; cleaned → pending too."""
    blocked = {"unsubscribed": ("subscribed",), "cleaned": ("subscribed", "pending")}
    return wanted in blocked.get(current, ())


def _row_error(email: str, error: str, code: str = "ERROR_GENERIC", field: str = "", field_message: str = "") -> Row:
    return {"email_address": email, "error": error, "error_code": code, "field": field, "field_message": field_message}


def _merge_value_problem(field: Row, value: Any) -> str | None:
    if value is None or value == "":
        return "Please enter a value" if field["required"] else None
    kind = field["type"]
    if kind == "address":
        complete = isinstance(value, str) or (isinstance(value, dict) and all(str(value.get(k) or "").strip()
                                                                               for k in ADDRESS_REQUIRED))
        return None if complete else "Please enter a complete address"
    if isinstance(value, dict | list):
        return "Please enter a string value"
    text = str(value).strip()
    if kind == "number":
        return None if isinstance(value, int | float) or _NUMBER_RE.match(text) else "Please enter a number"
    if kind == "date":
        return None if _DATE_RE.match(text) else "Please enter a date"
    if kind == "birthday":
        return None if _BIRTHDAY_RE.match(text) or _DATE_RE.match(text) else "Please enter a valid birthday (MM/DD)"
    choices = (field.get("options") or {}).get("choices") or []
    if kind in ("dropdown", "radio") and choices and text not in choices:
        return sh.one_of(choices)
    return None
