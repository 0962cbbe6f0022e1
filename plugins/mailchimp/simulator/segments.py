"""Segments and tags: ``/lists/{list_id}/segments…``.

Tags are static segments (type ``static``), as in the vendor: creating a segment with ``static_segment: [emails]``
makes a tag, and tagging a member with an unknown name creates one. ``options: {match, conditions}`` makes a saved
segment (type ``saved``) whose members are computed from the conditions the simulator understands — ``StaticSegment``
(``static_is``/``static_not``), ``TextMerge``/``EmailAddress``/``SelectMerge`` (``is``, ``not``, ``contains``,
``notcontain``, ``starts``, ``ends``, ``blank``, ``blank_not``) and ``Interests`` (``interestcontains``,
``interestnotcontains``); any other condition matches nobody (simulator choice). ``member_count`` and the segment
member list count subscribed members, plus the statuses named by
``include_unsubscribed``/``include_cleaned``/``include_transactional``. Tag and segment names match case-insensitively
and are unique per audience (400); a tag set ``inactive`` that does not exist is ignored. Emails in ``static_segment``
that are not on the audience are ignored; in segment batch add/remove they are reported under
``errors[{email_addresses, error}]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.simulator import Abort, Row, SimRequest

from . import shapes as sh
from .members import Members

SEGMENT_BATCH_MAX = 500
SEGMENT_TYPES = ("saved", "static", "fuzzy")
TEXT_CONDITIONS = ("TextMerge", "EmailAddress", "SelectMerge")
TEXT_OPS: dict[str, Callable[[str, str], bool]] = {
    "is": lambda t, v: t == v, "not": lambda t, v: t != v, "contains": lambda t, v: v in t,
    "notcontain": lambda t, v: v not in t, "starts": str.startswith, "ends": str.endswith,
    "blank": lambda t, v: t == "", "blank_not": lambda t, v: t != "",
}
NOT_ON_AUDIENCE = "Email addresses are not on this audience."


class Segments(Members):
    def _segment_hashes(self, lst: Row, seg: Row) -> list[str]:
        if seg["type"] == "static":
            return [h for h in seg["members"] if h in sh.MEMBERS.table(lst)]
        options = seg.get("options") or {}
        return self._match_conditions(lst, options.get("match", "all"), options.get("conditions") or [])

    def _match_conditions(self, lst: Row, match: str, conditions: list[Any]) -> list[str]:
        combine = any if match == "any" else all
        return [h for h, m in sh.MEMBERS.table(lst).items()
                if conditions and m["status"] != "archived" and combine(self._condition(lst, m, c) for c in conditions)]

    def _condition(self, lst: Row, m: Row, cond: Any) -> bool:
        if not isinstance(cond, dict):
            return False
        kind, op, value = cond.get("condition_type"), cond.get("op"), cond.get("value")
        if kind == "StaticSegment":
            seg = sh.SEGMENTS.table(lst).get(str(value))
            inside = seg is not None and m["id"] in seg["members"]
            return {"static_is": inside, "static_not": not inside}.get(str(op), False)
        if kind == "Interests":
            has = any(m["interests"].get(str(i)) for i in (value if isinstance(value, list) else [value]))
            return {"interestcontains": has, "interestnotcontains": not has}.get(str(op), False)
        if kind not in TEXT_CONDITIONS or str(op) not in TEXT_OPS:
            return False
        tag = str(cond.get("field") or "").upper()
        if tag in ("EMAIL", "MERGE0") or kind == "EmailAddress":
            text = m["email_address"]
        else:
            field = sh.MERGE_FIELDS.table(lst).find("tag", tag)
            if field is None:
                return False
            raw = m["merge"].get(str(field["merge_id"]), "")
            text = raw if isinstance(raw, str) else ""
        return TEXT_OPS[str(op)](text.lower(), str(value if value is not None else "").lower())

    def _counted(self, lst: Row, seg: Row, req: SimRequest | None) -> list[Row]:
        """The segment's members counted: subscribed ones, and those of each ``include_<status>`` flag given."""
        statuses = {"subscribed"} | {status for status in ("unsubscribed", "cleaned", "transactional")
                                     if req is not None and self._flag(req, f"include_{status}")}
        members = sh.MEMBERS.table(lst)
        return [members[h] for h in self._segment_hashes(lst, seg) if members[h]["status"] in statuses]

    def render_segment(self, lst: Row, seg: Row, req: SimRequest | None = None) -> Row:
        out = {"id": seg["id"], "name": seg["name"], "member_count": len(self._counted(lst, seg, req)),
               "type": seg["type"], "created_at": seg["created_at"], "updated_at": seg["updated_at"],
               "list_id": lst["id"], "_links": []}
        if seg["type"] == "saved":
            out["options"] = dict(seg["options"] or {"match": "all", "conditions": []})
        return out

    def _segment(self, req: SimRequest) -> tuple[Row, Row]:
        lst = self._list(req)
        return lst, sh.SEGMENTS.table(lst).require(req.params["segment_id"])

    def _check_name(self, lst: Row, name: Any, errors: dict[str, str], own: int | None = None) -> None:
        if not sh.nonblank(name):
            errors["name"] = sh.BLANK
        elif len(name) > 100:
            errors["name"] = "This value is too long. It should have 100 characters or less."
        else:
            self.taken(sh.SEGMENTS.table(lst), "name", name.strip(), own,
                       f"Sorry, the segment or tag name '{name.strip()}' is already taken.")

    @staticmethod
    def _check_options(options: Any, errors: dict[str, str]) -> dict[str, Any] | None:
        if not isinstance(options, dict):
            errors["options"] = sh.TYPE_ERRORS[dict]
            return None
        match, conditions = options.get("match", "all"), options.get("conditions", [])
        if match not in ("any", "all"):
            errors["options.match"] = sh.one_of(("any", "all"))
        if not isinstance(conditions, list) or not all(isinstance(c, dict) and isinstance(c.get("condition_type"), str)
                                                       for c in conditions):
            errors["options.conditions"] = "Each condition needs a condition_type."
        return {"match": match, "conditions": conditions}

    def _on_audience(self, lst: Row, emails: list[Any]) -> tuple[list[str], list[str]]:
        """(hashes of the addresses on the audience, the addresses that are not)."""
        found: list[str] = []
        missing: list[str] = []
        for email in emails:
            m = sh.MEMBERS.table(lst).get(sh.subscriber_hash(email)) if not sh.email_problem(email) else None
            if m is not None and m["status"] != "archived":
                found.append(m["id"])
            else:
                missing.append(str(email))
        return found, missing

    @sh.api("GET", "/lists/{list_id}/segments")
    def list_segments(self, req: SimRequest) -> Any:
        lst = self._list(req)
        kind = req.arg("type")
        if kind and kind not in SEGMENT_TYPES:
            raise self.field_errors({"type": sh.one_of(SEGMENT_TYPES)})
        segs = [s for s in sh.SEGMENTS.table(lst).values() if not kind or s["type"] == kind]
        return self._page(req, "segments", segs, lambda s: self.render_segment(lst, s, req), list_id=lst["id"])

    @sh.api("POST", "/lists/{list_id}/segments")
    def create_segment(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        errors: dict[str, str] = {}
        self._check_name(lst, data.get("name"), errors)
        emails = sh.array(data, "static_segment", errors)
        options = None
        if data.get("options") is not None:
            options = self._check_options(data["options"], errors)
            if data.get("static_segment") is not None:
                errors["static_segment"] = "A segment is either static (static_segment) or saved (options), not both."
        self.check(errors)
        seg = self._new_segment(lst, data["name"].strip(), "saved" if options is not None else "static", options)
        if seg["type"] == "static":
            seg["members"] = dict.fromkeys(self._on_audience(lst, emails)[0], self._now())
        return self.render_segment(lst, seg)

    @sh.api("GET", "/lists/{list_id}/segments/{segment_id}")
    def get_segment(self, req: SimRequest) -> Any:
        return self.render_segment(*self._segment(req), req)

    @sh.api("PATCH", "/lists/{list_id}/segments/{segment_id}")
    def update_segment(self, req: SimRequest) -> Any:
        lst, seg = self._segment(req)
        data = self._body(req)
        errors: dict[str, str] = {}
        if "name" in data:
            self._check_name(lst, data["name"], errors, own=seg["id"])
        emails = sh.array(data, "static_segment", errors)
        options = None
        if data.get("options") is not None:
            if seg["type"] != "saved":
                raise self.invalid("A static segment cannot be given conditions.")
            options = self._check_options(data["options"], errors)
        if data.get("static_segment") is not None and seg["type"] != "static":
            raise self.invalid("A saved segment cannot be given a static list of members.")
        self.check(errors)
        if "name" in data:
            sh.SEGMENTS.table(lst).update(seg, name=data["name"].strip())
        if options is not None:
            seg["options"] = options
        if data.get("static_segment") is not None:
            seg["members"] = {h: seg["members"].get(h, self._now()) for h in self._on_audience(lst, emails)[0]}
        seg["updated_at"] = self._now()
        return self.render_segment(lst, seg)

    @sh.api("DELETE", "/lists/{list_id}/segments/{segment_id}")
    def delete_segment(self, req: SimRequest) -> Any:
        lst, seg = self._segment(req)
        del sh.SEGMENTS.table(lst)[str(seg["id"])]

    @sh.api("GET", "/lists/{list_id}/segments/{segment_id}/members")
    def list_segment_members(self, req: SimRequest) -> Any:
        lst, seg = self._segment(req)
        return self._page(req, "members", self._counted(lst, seg, req), self._renderer(lst))

    @sh.api("POST", "/lists/{list_id}/segments/{segment_id}")
    def batch_segment_members(self, req: SimRequest) -> Any:
        lst, seg = self._segment(req)
        data = self._body(req)
        errors: dict[str, str] = {}
        to_add = sh.array(data, "members_to_add", errors, SEGMENT_BATCH_MAX)
        to_remove = sh.array(data, "members_to_remove", errors, SEGMENT_BATCH_MAX)
        self.check(errors)
        if seg["type"] != "static":
            raise self.invalid("Members can only be added to or removed from static segments (tags).")
        add_h, missing_add = self._on_audience(lst, to_add)
        remove_h, missing_remove = self._on_audience(lst, to_remove)
        added = [h for h in dict.fromkeys(add_h) if h not in seg["members"]]
        seg["members"].update(dict.fromkeys(added, self._now()))
        removed = [h for h in dict.fromkeys(remove_h) if seg["members"].pop(h, None) is not None]
        if added or removed:
            seg["updated_at"] = self._now()
        row_errors = [{"email_addresses": missing, "error": NOT_ON_AUDIENCE}
                      for missing in (missing_add, missing_remove) if missing]
        render, members = self._renderer(lst), sh.MEMBERS.table(lst)
        return {"members_added": [render(members[h]) for h in added],
                "members_removed": [render(members[h]) for h in removed], "errors": row_errors,
                "total_added": len(added), "total_removed": len(removed),
                "error_count": sum(len(e["email_addresses"]) for e in row_errors), "_links": []}

    @sh.api("POST", "/lists/{list_id}/segments/{segment_id}/members")
    def add_segment_member(self, req: SimRequest) -> Any:
        lst, seg = self._segment(req)
        email = self._address(req)
        if seg["type"] != "static":
            raise self.invalid("Members can only be added to static segments (tags).")
        found, _ = self._on_audience(lst, [email])
        if not found:
            raise self.invalid(f"{email} is not a member of this audience.")
        seg["members"].setdefault(found[0], self._now())
        return self.render_member(lst, sh.MEMBERS.table(lst)[found[0]])

    @sh.api("DELETE", "/lists/{list_id}/segments/{segment_id}/members/{subscriber_hash}")
    def remove_segment_member(self, req: SimRequest) -> Any:
        _, seg = self._segment(req)
        if seg["type"] != "static" or seg["members"].pop(self._hash(req), None) is None:
            raise Abort(self.error(404))
        seg["updated_at"] = self._now()
