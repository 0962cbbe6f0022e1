"""Segments and tags in the Mailchimp simulator: ``/lists/{list_id}/segments…``.

Tags are static segments (type ``static``), as in the vendor: creating a segment with
``static_segment: [emails]`` makes a tag, and tagging a member with an unknown name creates one.
``options: {match, conditions}`` makes a saved segment (type ``saved``) whose members are computed
from the conditions the simulator understands — ``StaticSegment`` (``static_is``/``static_not``),
``TextMerge``/``EmailAddress``/``SelectMerge`` (``is``, ``not``, ``contains``, ``notcontain``,
``starts``, ``ends``, ``blank``, ``blank_not``) and ``Interests`` (``interestcontains``,
``interestnotcontains``); any other condition matches nobody (simulator choice). ``member_count``
and the segment member list count subscribed members, plus the statuses named by
``include_unsubscribed``/``include_cleaned``/``include_transactional``.
"""

from __future__ import annotations

from typing import Any

from hub.simulator import SimRequest
from hub_mailchimp.sim_shapes import (
    ShapesMixin,
    api,
    email_problem,
    field_errors,
    invalid,
    not_found,
    subscriber_hash,
)

SEGMENT_BATCH_MAX = 500
SEGMENT_TYPES = ("saved", "static", "fuzzy")
TEXT_CONDITIONS = ("TextMerge", "EmailAddress", "SelectMerge")


class SegmentsMixin(ShapesMixin):
    """Segments (saved and static) and tag bookkeeping."""

    # ---------------------------------------------------------------- model

    def _static_segments(self, lst: dict[str, Any]) -> list[dict[str, Any]]:
        return [s for s in lst["segments"].values() if s["type"] == "static"]

    def _find_tag(self, lst: dict[str, Any], name: str) -> dict[str, Any] | None:
        wanted = name.strip().lower()
        for seg in lst["segments"].values():
            if seg["type"] == "static" and seg["name"].lower() == wanted:
                return seg
        return None

    def _new_segment(self, lst: dict[str, Any], name: str, kind: str, options: dict[str, Any] | None) -> dict[str, Any]:
        now = self._now()
        sid = self._int_id(1_000_000)
        seg = {
            "id": sid,
            "name": name,
            "type": kind,
            "created_at": now,
            "updated_at": now,
            "options": options,
            "members": {},
        }
        lst["segments"][str(sid)] = seg
        return seg

    def _tag_member(self, lst: dict[str, Any], h: str, name: str, active: bool) -> None:
        """Add (creating the tag when unknown) or remove one tag of a member."""
        name = str(name).strip()
        seg = self._find_tag(lst, name)
        if active:
            if seg is None:
                seg = self._new_segment(lst, name[:100], "static", None)
            if h not in seg["members"]:
                seg["members"][h] = self._now()
                seg["updated_at"] = self._now()
        elif seg is not None and h in seg["members"]:
            del seg["members"][h]
            seg["updated_at"] = self._now()

    def _segment_hashes(self, lst: dict[str, Any], seg: dict[str, Any]) -> list[str]:
        members = lst["members"]
        if seg["type"] == "static":
            return [h for h in seg["members"] if h in members]
        options = seg.get("options") or {}
        return self._match_conditions(lst, options.get("match", "all"), options.get("conditions") or [])

    def _match_conditions(self, lst: dict[str, Any], match: str, conditions: list[Any]) -> list[str]:
        if not conditions:
            return []
        combine = any if match == "any" else all
        return [
            h
            for h, m in lst["members"].items()
            if m["status"] != "archived" and combine(self._condition(lst, h, m, c) for c in conditions)
        ]

    def _condition(self, lst: dict[str, Any], h: str, m: dict[str, Any], cond: Any) -> bool:
        if not isinstance(cond, dict):
            return False
        kind, op, value = cond.get("condition_type"), cond.get("op"), cond.get("value")
        if kind == "StaticSegment":
            seg = lst["segments"].get(str(value))
            inside = seg is not None and h in seg["members"]
            return inside if op == "static_is" else (not inside if op == "static_not" else False)
        if kind == "Interests":
            wanted = value if isinstance(value, list) else [value]
            has = any(m["interests"].get(str(i)) for i in wanted)
            return has if op == "interestcontains" else (not has if op == "interestnotcontains" else False)
        if kind in TEXT_CONDITIONS:
            field = str(cond.get("field") or "")
            if field.upper() in ("EMAIL", "MERGE0") or kind == "EmailAddress":
                text = m["email_address"]
            else:
                mid = next((k for k, f in lst["merge_fields"].items() if f["tag"] == field.upper()), None)
                if mid is None:
                    return False
                raw = m["merge"].get(mid, "")
                text = raw if isinstance(raw, str) else ""
            return _text_op(op, text.lower(), str(value if value is not None else "").lower())
        return False

    def _count_statuses(self, req: SimRequest | None) -> set[str]:
        statuses = {"subscribed"}
        if req is not None:
            for flag, status in (
                ("include_unsubscribed", "unsubscribed"),
                ("include_cleaned", "cleaned"),
                ("include_transactional", "transactional"),
            ):
                if self._flag(req, flag):
                    statuses.add(status)
        return statuses

    def render_segment(self, lst: dict[str, Any], seg: dict[str, Any], req: SimRequest | None = None) -> dict[str, Any]:
        statuses = self._count_statuses(req)
        members = lst["members"]
        count = sum(1 for h in self._segment_hashes(lst, seg) if members[h]["status"] in statuses)
        out = {
            "id": seg["id"],
            "name": seg["name"],
            "member_count": count,
            "type": seg["type"],
            "created_at": seg["created_at"],
            "updated_at": seg["updated_at"],
            "list_id": lst["id"],
            "_links": [],
        }
        if seg["type"] == "saved":
            out["options"] = dict(seg["options"] or {"match": "all", "conditions": []})
        return out

    def _segment(self, lst: dict[str, Any], req: SimRequest) -> dict[str, Any]:
        seg = lst["segments"].get(req.params["segment_id"])
        if seg is None:
            raise not_found()
        return seg

    def _validate_name(self, lst: dict[str, Any], name: Any, errors: dict[str, str], own_id: int | None = None) -> None:
        if not isinstance(name, str) or not name.strip():
            errors["name"] = "This value should not be blank."
            return
        if len(name) > 100:
            errors["name"] = "This value is too long. It should have 100 characters or less."
            return
        for seg in lst["segments"].values():
            if seg["id"] != own_id and seg["name"].lower() == name.strip().lower():
                raise invalid(f"Sorry, the segment or tag name '{name.strip()}' is already taken.")

    @staticmethod
    def _validate_options(options: Any, errors: dict[str, str]) -> dict[str, Any] | None:
        if not isinstance(options, dict):
            errors["options"] = "Schema describes object, but a different type was found instead"
            return None
        match = options.get("match", "all")
        if match not in ("any", "all"):
            errors["options.match"] = "Value must be one of: any, all"
        conditions = options.get("conditions", [])
        if not isinstance(conditions, list) or not all(
            isinstance(c, dict) and isinstance(c.get("condition_type"), str) for c in conditions
        ):
            errors["options.conditions"] = "Each condition needs a condition_type."
        return {"match": match, "conditions": conditions}

    def _emails_to_hashes(self, lst: dict[str, Any], emails: list[Any]) -> tuple[list[str], list[str]]:
        """(hashes of addresses on the audience, addresses that are not)."""
        found: list[str] = []
        missing: list[str] = []
        for email in emails:
            h = subscriber_hash(email) if isinstance(email, str) and not email_problem(email) else None
            m = lst["members"].get(h) if h else None
            if h and m is not None and m["status"] != "archived":
                found.append(h)
            else:
                missing.append(str(email))
        return found, missing

    @staticmethod
    def _email_list(data: dict[str, Any], key: str, errors: dict[str, str], maximum: int | None = None) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            errors[key] = "Schema describes array, but a different type was found instead"
            return []
        if maximum is not None and len(value) > maximum:
            errors[key] = f"This collection should contain {maximum} elements or less."
        return value

    # ---------------------------------------------------------------- routes

    @api("GET", "/lists/{list_id}/segments")
    def list_segments(self, req: SimRequest) -> Any:
        lst = self._list(req)
        kind = req.arg("type")
        if kind and kind not in SEGMENT_TYPES:
            raise field_errors({"type": f"Value must be one of: {', '.join(SEGMENT_TYPES)}"})
        segs = [s for s in lst["segments"].values() if not kind or s["type"] == kind]
        return self._page(req, "segments", segs, lambda s: self.render_segment(lst, s, req), list_id=lst["id"])

    @api("POST", "/lists/{list_id}/segments")
    def create_segment(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        errors: dict[str, str] = {}
        self._validate_name(lst, data.get("name"), errors)
        emails = self._email_list(data, "static_segment", errors)
        options = None
        if data.get("options") is not None:
            options = self._validate_options(data["options"], errors)
            if data.get("static_segment") is not None:
                errors["static_segment"] = "A segment is either static (static_segment) or saved (options), not both."
        if errors:
            raise field_errors(errors)
        seg = self._new_segment(lst, data["name"].strip(), "saved" if options is not None else "static", options)
        if seg["type"] == "static":
            found, _ = self._emails_to_hashes(lst, emails)
            now = self._now()
            for h in found:
                seg["members"][h] = now
        return self.render_segment(lst, seg)

    @api("GET", "/lists/{list_id}/segments/{segment_id}")
    def get_segment(self, req: SimRequest) -> Any:
        lst = self._list(req)
        return self.render_segment(lst, self._segment(lst, req), req)

    @api("PATCH", "/lists/{list_id}/segments/{segment_id}")
    def update_segment(self, req: SimRequest) -> Any:
        lst = self._list(req)
        seg = self._segment(lst, req)
        data = self._body(req)
        errors: dict[str, str] = {}
        if "name" in data:
            self._validate_name(lst, data["name"], errors, own_id=seg["id"])
        emails = self._email_list(data, "static_segment", errors)
        options = None
        if data.get("options") is not None:
            if seg["type"] != "saved":
                raise invalid("A static segment cannot be given conditions.")
            options = self._validate_options(data["options"], errors)
        if data.get("static_segment") is not None and seg["type"] != "static":
            raise invalid("A saved segment cannot be given a static list of members.")
        if errors:
            raise field_errors(errors)
        if "name" in data:
            seg["name"] = data["name"].strip()
        if options is not None:
            seg["options"] = options
        if data.get("static_segment") is not None:
            found, _ = self._emails_to_hashes(lst, emails)
            now = self._now()
            seg["members"] = {h: seg["members"].get(h, now) for h in found}
        seg["updated_at"] = self._now()
        return self.render_segment(lst, seg)

    @api("DELETE", "/lists/{list_id}/segments/{segment_id}")
    def delete_segment(self, req: SimRequest) -> Any:
        lst = self._list(req)
        seg = self._segment(lst, req)
        del lst["segments"][str(seg["id"])]
        return None

    @api("POST", "/lists/{list_id}/segments/{segment_id}")
    def batch_segment_members(self, req: SimRequest) -> Any:
        lst = self._list(req)
        seg = self._segment(lst, req)
        data = self._body(req)
        errors: dict[str, str] = {}
        to_add = self._email_list(data, "members_to_add", errors, SEGMENT_BATCH_MAX)
        to_remove = self._email_list(data, "members_to_remove", errors, SEGMENT_BATCH_MAX)
        if errors:
            raise field_errors(errors)
        if seg["type"] != "static":
            raise invalid("Members can only be added to or removed from static segments (tags).")
        now = self._now()
        added_h, missing_add = self._emails_to_hashes(lst, to_add)
        removed_h, missing_remove = self._emails_to_hashes(lst, to_remove)
        added = [h for h in dict.fromkeys(added_h) if h not in seg["members"]]
        for h in added:
            seg["members"][h] = now
        removed = [h for h in dict.fromkeys(removed_h) if h in seg["members"]]
        for h in removed:
            del seg["members"][h]
        if added or removed:
            seg["updated_at"] = now
        row_errors = []
        if missing_add:
            row_errors.append({"email_addresses": missing_add, "error": "Email addresses are not on this audience."})
        if missing_remove:
            row_errors.append({"email_addresses": missing_remove, "error": "Email addresses are not on this audience."})
        statics = self._static_segments(lst)
        return {
            "members_added": [self.render_member(lst, h, lst["members"][h], statics) for h in added],  # type: ignore[attr-defined]
            "members_removed": [self.render_member(lst, h, lst["members"][h], statics) for h in removed],  # type: ignore[attr-defined]
            "errors": row_errors,
            "total_added": len(added),
            "total_removed": len(removed),
            "error_count": sum(len(e["email_addresses"]) for e in row_errors),
            "_links": [],
        }

    @api("GET", "/lists/{list_id}/segments/{segment_id}/members")
    def list_segment_members(self, req: SimRequest) -> Any:
        lst = self._list(req)
        seg = self._segment(lst, req)
        statuses = self._count_statuses(req)
        members = lst["members"]
        hashes = [h for h in self._segment_hashes(lst, seg) if members[h]["status"] in statuses]
        statics = self._static_segments(lst)
        return self._page(req, "members", hashes, lambda h: self.render_member(lst, h, members[h], statics))  # type: ignore[attr-defined]

    @api("POST", "/lists/{list_id}/segments/{segment_id}/members")
    def add_segment_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        seg = self._segment(lst, req)
        data = self._body(req)
        email = data.get("email_address")
        reason = email_problem(email)
        if reason:
            raise field_errors({"email_address": reason})
        if seg["type"] != "static":
            raise invalid("Members can only be added to static segments (tags).")
        found, _ = self._emails_to_hashes(lst, [email])
        if not found:
            raise invalid(f"{email} is not a member of this audience.")
        h = found[0]
        seg["members"].setdefault(h, self._now())
        return self.render_member(lst, h, lst["members"][h])  # type: ignore[attr-defined]

    @api("DELETE", "/lists/{list_id}/segments/{segment_id}/members/{subscriber_hash}")
    def remove_segment_member(self, req: SimRequest) -> Any:
        lst = self._list(req)
        seg = self._segment(lst, req)
        raw = req.params["subscriber_hash"]
        h = subscriber_hash(raw) if "@" in raw else raw.lower()
        if seg["type"] != "static" or h not in seg["members"]:
            raise not_found()
        del seg["members"][h]
        seg["updated_at"] = self._now()
        return None


def _text_op(op: Any, text: str, value: str) -> bool:
    if op == "is":
        return text == value
    if op == "not":
        return text != value
    if op == "contains":
        return value in text
    if op == "notcontain":
        return value not in text
    if op == "starts":
        return text.startswith(value)
    if op == "ends":
        return text.endswith(value)
    if op == "blank":
        return text == ""
    if op == "blank_not":
        return text != ""
    return False
