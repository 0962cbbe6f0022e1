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

from hub.simulator import Collection, Row, SimRequest, route

from .lists import ActiveCampaignLists
from .shapes import CONTACTS, State, name_filtered, name_ordered, sid, text

TAGS = Collection("tags", model="Tag", unique=("key",), render="show_tag")  # key: "<tagType>:<name>"
CONTACT_TAGS = Collection("contact_tags", model="SubscriberTag", index=("contact", "tag"))
TAG_TYPES = ("contact", "template")


class ActiveCampaignTags(ActiveCampaignLists):
    """Tags and ``/contactTags``."""

    def render_tag(self, st: State, tag: Row, *, count: bool = False) -> Row:
        body: Row = {"tagType": tag["tagType"], "tag": tag["tag"], "description": tag["description"],
                     "cdate": tag["cdate"]}
        if count:
            body["subscriber_count"] = str(len(CONTACT_TAGS.table(st).where("tag", tag["id"])))
        return {**body, "links": self._links(f"/tags/{tag['id']}", ("contactGoalTags",)), "id": tag["id"]}

    def show_tag(self, st: State, tag: Row) -> Row:
        return self.render_tag(st, tag, count=True)

    def render_contact_tag(self, ct: Row) -> Row:
        return {"cdate": ct["cdate"], "contact": ct["contact"], "id": ct["id"],
                "links": self._links(f"/contactTags/{ct['id']}", ("contact", "tag")), "tag": ct["tag"]}

    def _tag_by_name(self, st: State, name: str, tag_type: str = "contact") -> Row | None:
        return TAGS.table(st).find("key", f"{tag_type}:{name}")

    def _new_tag(self, st: State, name: str, tag_type: str = "contact", description: str = "") -> Row:
        return self._add(st, TAGS, tag=name, tagType=tag_type, description=description, cdate=self._now(),
                         key=f"{tag_type}:{name}")

    def _tag_contact(self, st: State, contact: Row, tag_id: str) -> Row:
        """Put the tag on the contact (once); returns the association."""
        found = CONTACT_TAGS.table(st).rows(("contact", contact["id"]), ("tag", tag_id))
        return found[0] if found else self._add(st, CONTACT_TAGS, contact=contact["id"], tag=tag_id, cdate=self._now())

    def _tag_input(self, st: State, data: Row, own: Row | None) -> Row:
        name, tag_type = data.get("tag"), data.get("tagType")
        if name is None or (isinstance(name, str) and not name.strip()):
            if own is None:
                raise self.missing_attribute("tag")
            name = own["tag"]
        kind = (own or {}).get("tagType", "contact") if tag_type is None else text(tag_type).strip().lower()
        kind = kind or "contact"
        out: Row = {"tag": text(name).strip(), "tagType": kind}
        if kind not in TAG_TYPES:
            raise self.unprocessable("Invalid tag type", "tagType", detail="tagType must be contact or template")
        out["key"] = f"{out['tagType']}:{out['tag']}"
        holder = TAGS.table(st).find("key", out["key"])
        if holder is not None and holder is not own:
            raise self.unprocessable("The tag name already exists", "tag", code="duplicate",
                                     detail=f"Tag '{out['tag']}' exists")
        if data.get("description") is not None:
            out["description"] = text(data["description"])
        return out

    @route("POST", "/api/3/tags")
    def create_tag(self, req: SimRequest) -> Any:
        st = self._st(req)
        values = self._tag_input(st, self._wrapped(req, "tag"), None)
        tag = self._new_tag(st, values["tag"], values["tagType"], values.get("description", ""))
        body = self.render_tag(st, tag)
        return 201, {"tag": {"tag": body["tag"], "description": body["description"], **body}}

    @route("GET", "/api/3/tags")
    def list_tags(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = name_filtered(req, TAGS.table(st).rows(), "tag", "search", plain="search")
        page, meta = self._page(req, name_ordered(rows, "tag", req.arg("orders[search]"), req.arg("search")))
        return 200, {"tags": [self.render_tag(st, t) for t in page], "meta": meta}

    @route("GET", "/api/3/tags/{id}")
    def get_tag(self, req: SimRequest) -> Any:
        return 200, {"tag": self.render_tag(*self._row(req, TAGS), count=True)}

    @route("PUT", "/api/3/tags/{id}")
    def update_tag(self, req: SimRequest) -> Any:
        st, tag = self._row(req, TAGS)
        TAGS.table(st).update(tag, self._tag_input(st, self._wrapped(req, "tag"), tag))
        return 200, {"tag": self.render_tag(st, tag)}

    @route("DELETE", "/api/3/tags/{id}")
    def delete_tag(self, req: SimRequest) -> Any:
        st, tag = self._row(req, TAGS, remove=True)
        links = CONTACT_TAGS.table(st)
        for ct in links.where("tag", tag["id"]):
            del links[ct["id"]]
        return 200, {}

    @route("POST", "/api/3/contactTags")
    def create_contact_tag(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contactTag")
        self.required(data, "contact", "tag")
        contact = CONTACTS.table(st).get(sid(data["contact"]) or "")
        if contact is None:
            raise self.not_found_detail("Contact not found")
        tag_id = sid(data["tag"]) or ""
        if tag_id not in TAGS.table(st):
            raise self.not_found_detail("Tag not found")
        return 201, {"contactTag": self.render_contact_tag(self._tag_contact(st, contact, tag_id))}

    @route("DELETE", "/api/3/contactTags/{id}")
    def delete_contact_tag(self, req: SimRequest) -> Any:
        self._row(req, CONTACT_TAGS, remove=True)
        return 200, {}
