"""Tags and contact tags in the ActiveCampaign simulator.

Tag names are unique case-insensitively within a tag type (the vendor's ``typetag`` key), so a second
``POST /tags`` of "vip" after "VIP" is a 422 ``duplicate``. ``GET /tags`` searches with ``search``
(contains) or ``filters[search][<op>]`` and pages 20 at a time by default — the pitfall that makes
integrations miss tags and re-create them. A tag is put on a contact with ``POST /contactTags`` and
taken off with ``DELETE /contactTags/{id}``, where the id is the association's, not the tag's.

Simulator choices (unverified): the duplicate-tag 422 body is ``{"errors": [{"title": "The tag name
already exists", "code": "duplicate", "source": {"pointer": "/data/attributes/tag"}, ...}]}``; tagging a
contact that already has the tag answers 201 with the existing association (no second one); an
unknown tag in ``POST /contactTags`` is a 404 "Tag not found" in the same shape as "Contact not found".
"""

from __future__ import annotations

from typing import Any

from hub.simulator import SimRequest, route
from hub_activecampaign.sim_shapes import (
    MODEL_CONTACT_TAG,
    MODEL_TAG,
    missing_attribute,
    not_found_detail,
    op_matches,
    sid,
    text,
    unprocessable,
)

TAG_TYPES = ("contact", "template")


class TagsMixin:
    """Tags and ``/contactTags``."""

    def render_tag(self, st: dict[str, Any], tag: dict[str, Any], *, count: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "tagType": tag["tagType"],
            "tag": tag["tag"],
            "description": tag["description"],
            "cdate": tag["cdate"],
        }
        if count:
            body["subscriber_count"] = str(sum(1 for ct in st["contact_tags"].values() if ct["tag"] == tag["id"]))
        body["links"] = self._links(f"/tags/{tag['id']}", ("contactGoalTags",))
        body["id"] = tag["id"]
        return body

    def render_contact_tag(self, ct: dict[str, Any]) -> dict[str, Any]:
        return {
            "cdate": ct["cdate"],
            "contact": ct["contact"],
            "id": ct["id"],
            "links": self._links(f"/contactTags/{ct['id']}", ("contact", "tag")),
            "tag": ct["tag"],
        }

    # ---------------------------------------------------------------- state operations

    def _tag_key(self, tag_type: str, name: str) -> str:
        return f"{tag_type}:{name.strip().lower()}"

    def _tag_by_name(self, st: dict[str, Any], name: str, tag_type: str = "contact") -> dict[str, Any] | None:
        tid = st["tag_names"].get(self._tag_key(tag_type, name))
        return st["tags"][tid] if tid else None

    def _new_tag(
        self, st: dict[str, Any], name: str, tag_type: str = "contact", description: str = ""
    ) -> dict[str, Any]:
        tid = self._new_id(st, "tags")
        tag = {"id": tid, "tag": name, "tagType": tag_type, "description": description, "cdate": self._now()}
        st["tags"][tid] = tag
        st["tag_names"][self._tag_key(tag_type, name)] = tid
        return tag

    def _tag_contact(
        self, st: dict[str, Any], contact: dict[str, Any], tag_id: str, *, webhook_source: str | None = "api"
    ) -> tuple[dict[str, Any], bool]:
        """Put the tag on the contact (once); returns (association, created)."""
        by_tag = st["ct_by_contact"].setdefault(contact["id"], {})
        ctid = by_tag.get(tag_id)
        if ctid is not None:
            return st["contact_tags"][ctid], False
        ctid = self._new_id(st, "contact_tags")
        ct = {"id": ctid, "contact": contact["id"], "tag": tag_id, "cdate": self._now()}
        st["contact_tags"][ctid] = ct
        by_tag[tag_id] = ctid
        if webhook_source is not None:
            extra = {"tag": st["tags"][tag_id]["tag"]}
            self._fire(st, "contact_tag_added", webhook_source, contact=contact, extra=extra)
        return ct, True

    def _untag(self, st: dict[str, Any], ct: dict[str, Any]) -> None:
        del st["contact_tags"][ct["id"]]
        st["ct_by_contact"].get(ct["contact"], {}).pop(ct["tag"], None)
        contact = st["contacts"].get(ct["contact"])
        tag = st["tags"].get(ct["tag"])
        if contact is not None and tag is not None:
            self._fire(st, "contact_tag_removed", "api", contact=contact, extra={"tag": tag["tag"]})

    def _tag_input(self, data: dict[str, Any], *, create: bool) -> tuple[str | None, str | None, str | None]:
        name = data.get("tag")
        if name is None or (isinstance(name, str) and not name.strip()):
            if create:
                raise missing_attribute("tag")
            name = None
        else:
            name = text(name).strip()
        tag_type = data.get("tagType")
        if tag_type is not None:
            tag_type = text(tag_type).strip().lower() or "contact"
            if tag_type not in TAG_TYPES:
                raise unprocessable("Invalid tag type", "tagType", detail="tagType must be contact or template")
        description = None if data.get("description") is None else text(data["description"])
        return name, tag_type, description

    def _refuse_duplicate_tag(self, st: dict[str, Any], name: str, tag_type: str, own: str | None = None) -> None:
        tid = st["tag_names"].get(self._tag_key(tag_type, name))
        if tid is not None and tid != own:
            raise unprocessable("The tag name already exists", "tag", code="duplicate", detail=f"Tag '{name}' exists")

    # ---------------------------------------------------------------- routes

    @route("POST", "/api/3/tags")
    def create_tag(self, req: SimRequest) -> Any:
        st = self._st(req)
        name, tag_type, description = self._tag_input(self._wrapped(req, "tag"), create=True)
        assert name is not None
        tag_type = tag_type or "contact"
        self._refuse_duplicate_tag(st, name, tag_type)
        tag = self._new_tag(st, name, tag_type, description or "")
        body = self.render_tag(st, tag)
        return 201, {"tag": {"tag": body["tag"], "description": body["description"], **body}}

    @route("GET", "/api/3/tags")
    def list_tags(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = list(st["tags"].values())
        search = req.arg("search")
        if search:
            rows = [t for t in rows if search.lower() in t["tag"].lower()]
        prefix = "filters[search]["
        for key, values in req.query.items():
            if key.startswith(prefix) and key.endswith("]") and values:
                op = key[len(prefix) : -1]
                rows = [t for t in rows if op_matches(t["tag"], op, values[0])]
        order = (req.arg("orders[search]") or "").upper()
        if order in ("ASC", "DESC"):
            rows.sort(key=lambda t: t["tag"].lower(), reverse=order == "DESC")
        elif order == "WEIGHT":
            needle = (search or "").lower()
            rows.sort(key=lambda t: (t["tag"].lower() != needle, not t["tag"].lower().startswith(needle)))
        page, meta = self._page(req, rows)
        return 200, {"tags": [self.render_tag(st, t) for t in page], "meta": meta}

    @route("GET", "/api/3/tags/{id}")
    def get_tag(self, req: SimRequest) -> Any:
        st = self._st(req)
        tag = self._find(st, "tags", req.params["id"], MODEL_TAG)
        return 200, {"tag": self.render_tag(st, tag, count=True)}

    @route("PUT", "/api/3/tags/{id}")
    def update_tag(self, req: SimRequest) -> Any:
        st = self._st(req)
        tag = self._find(st, "tags", req.params["id"], MODEL_TAG)
        name, tag_type, description = self._tag_input(self._wrapped(req, "tag"), create=False)
        new_name, new_type = name or tag["tag"], tag_type or tag["tagType"]
        self._refuse_duplicate_tag(st, new_name, new_type, own=tag["id"])
        st["tag_names"].pop(self._tag_key(tag["tagType"], tag["tag"]), None)
        tag.update({"tag": new_name, "tagType": new_type})
        if description is not None:
            tag["description"] = description
        st["tag_names"][self._tag_key(new_type, new_name)] = tag["id"]
        return 200, {"tag": self.render_tag(st, tag)}

    @route("DELETE", "/api/3/tags/{id}")
    def delete_tag(self, req: SimRequest) -> Any:
        st = self._st(req)
        tag = self._find(st, "tags", req.params["id"], MODEL_TAG)
        for ct in [ct for ct in st["contact_tags"].values() if ct["tag"] == tag["id"]]:
            del st["contact_tags"][ct["id"]]
            st["ct_by_contact"].get(ct["contact"], {}).pop(tag["id"], None)
        st["tag_names"].pop(self._tag_key(tag["tagType"], tag["tag"]), None)
        del st["tags"][tag["id"]]
        return 200, {}

    @route("POST", "/api/3/contactTags")
    def create_contact_tag(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contactTag")
        absent = [k for k in ("contact", "tag") if data.get(k) in (None, "")]
        if absent:
            raise missing_attribute(*absent)
        contact = st["contacts"].get(sid(data["contact"]) or "")
        if contact is None:
            raise not_found_detail("Contact not found")
        tag_id = sid(data["tag"]) or ""
        if tag_id not in st["tags"]:
            raise not_found_detail("Tag not found")
        ct, _ = self._tag_contact(st, contact, tag_id)
        return 201, {"contactTag": self.render_contact_tag(ct)}

    @route("DELETE", "/api/3/contactTags/{id}")
    def delete_contact_tag(self, req: SimRequest) -> Any:
        st = self._st(req)
        ct = self._find(st, "contact_tags", req.params["id"], MODEL_CONTACT_TAG)
        self._untag(st, ct)
        return 200, {}
