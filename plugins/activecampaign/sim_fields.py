"""Custom fields, field-to-list relations and field values in the ActiveCampaign simulator.

A field needs a ``title`` (unique, compared case-insensitively: 422 ``duplicate`` with the vendor's
"There is already a field with this title" body) and a ``type``. Its personalisation tag
(``perstag``, used as ``%PERSTAG%`` in messages) follows the two documented examples:

- given: upper-cased with everything but ``A-Z0-9_`` removed ("Personalized Tag" → ``PERSONALIZEDTAG``);
- absent: the title upper-cased with each run of other characters turned into one ``_`` and the ends
  trimmed ("Another Test Title" → ``ANOTHER_TEST_TITLE``); a derived tag that is taken gets ``_2``,
  ``_3``… (a given tag that is taken is a 422 ``duplicate``).

``POST /fieldValues`` sets a contact's value for a field (one value per contact and field: a second
POST updates the same record); contacts can also carry ``fieldValues`` inline (see `sim_contacts`).
"""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import Abort, SimRequest, route
from hub_activecampaign.sim_shapes import (
    MODEL_CONTACT,
    MODEL_FIELD,
    MODEL_FIELD_VALUE,
    MODEL_LIST,
    flag,
    missing_attribute,
    not_found,
    sid,
    text,
    unprocessable,
)

FIELD_TYPES = (
    "text",
    "textarea",
    "date",
    "datetime",
    "dropdown",
    "listbox",
    "radio",
    "checkbox",
    "hidden",
    "number",
    "currency",
    "NULL",
)

_NOT_TAG = re.compile(r"[^A-Z0-9_]")
_TAG_RUNS = re.compile(r"[^A-Z0-9]+")


def perstag_from(value: str, *, given: bool) -> str:
    """The perstag the vendor stores for a given perstag (``given=True``) or for a title."""
    upper = value.upper()
    if given:
        return _NOT_TAG.sub("", upper)
    return _TAG_RUNS.sub("_", upper).strip("_")


class FieldsMixin:
    """``/fields``, ``/fieldRels`` and ``/fieldValues``."""

    # ---------------------------------------------------------------- rendering

    def render_field(self, st: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        return {
            "title": f["title"],
            "descript": f["descript"],
            "type": f["type"],
            "isrequired": f["isrequired"],
            "perstag": f["perstag"],
            "defval": f["defval"],
            "show_in_list": f["show_in_list"],
            "rows": "0",
            "cols": "0",
            "visible": f["visible"],
            "service": f["service"],
            "ordernum": f["ordernum"],
            "cdate": f["cdate"],
            "udate": f["udate"],
            "options": [],
            "relations": [r["id"] for r in st["field_rels"].values() if r["field"] == f["id"]],
            "links": self._links(f"/fields/{f['id']}", ("options", "relations")),
            "id": f["id"],
        }

    def render_field_rel(self, rel: dict[str, Any]) -> dict[str, Any]:
        return {
            "field": rel["field"],
            "relid": rel["relid"],
            "dorder": "0",
            "cdate": rel["cdate"],
            "links": [],
            "id": rel["id"],
        }

    def render_field_value(self, fv: dict[str, Any]) -> dict[str, Any]:
        return {
            "contact": fv["contact"],
            "field": fv["field"],
            "value": fv["value"],
            "cdate": fv["cdate"],
            "udate": fv["udate"],
            "created_by": None,
            "updated_by": None,
            "links": self._links(f"/fieldValues/{fv['id']}", ("owner", "field")),
            "id": fv["id"],
            "owner": fv["contact"],
        }

    # ---------------------------------------------------------------- state operations

    def _put_field_value(
        self, st: dict[str, Any], contact: dict[str, Any], field_id: str, value: Any
    ) -> tuple[dict[str, Any], bool]:
        """Set the contact's value for the field; returns (record, created)."""
        by_field = st["fv_by_contact"].setdefault(contact["id"], {})
        fvid = by_field.get(field_id)
        now = self._now()
        value = None if value is None else text(value)
        if fvid is not None:
            record = st["field_values"][fvid]
            if record["value"] != value:
                record["value"] = value
                record["udate"] = now
            return record, False
        fvid = self._new_id(st, "field_values")
        record = {"id": fvid, "contact": contact["id"], "field": field_id, "value": value, "cdate": now, "udate": now}
        st["field_values"][fvid] = record
        by_field[field_id] = fvid
        return record, True

    def _drop_field_value(self, st: dict[str, Any], fv: dict[str, Any]) -> None:
        del st["field_values"][fv["id"]]
        st["fv_by_contact"].get(fv["contact"], {}).pop(fv["field"], None)

    def _field_input(self, st: dict[str, Any], data: dict[str, Any], own: dict[str, Any] | None) -> dict[str, Any]:
        create = own is None
        if create:
            absent = [k for k in ("title", "type") if data.get(k) in (None, "")]
            if absent:
                raise missing_attribute(*absent)
        out: dict[str, Any] = {}
        if data.get("title") not in (None, ""):
            title = text(data["title"]).strip()
            for f in st["fields"].values():
                if f is not own and f["title"].lower() == title.lower():
                    raise Abort(
                        422,
                        {
                            "errors": [
                                {
                                    "title": "There is already a field with this title",
                                    "detail": f"There is already a field named '{title}' -- choose another name",
                                    "code": "duplicate",
                                }
                            ]
                        },
                    )
            out["title"] = title
        if data.get("type") not in (None, ""):
            kind = text(data["type"]).strip()
            if kind not in FIELD_TYPES:
                raise unprocessable("Invalid field type", "type", detail=f"'{kind}' is not a field type")
            out["type"] = "" if kind == "NULL" else kind
        taken = {f["perstag"] for f in st["fields"].values() if f is not own}
        if data.get("perstag") not in (None, ""):
            tag = perstag_from(text(data["perstag"]), given=True)
            if tag in taken:
                raise unprocessable(
                    "There is already a field with this personalization tag", "perstag", code="duplicate"
                )
            out["perstag"] = tag
        elif create:
            base = perstag_from(out["title"], given=False) or "FIELD"
            tag, n = base, 1
            while tag in taken:
                n += 1
                tag = f"{base}_{n}"
            out["perstag"] = tag
        for key in ("descript", "defval", "service"):
            if key in data:
                out[key] = None if data[key] is None else text(data[key])
        for key in ("visible", "show_in_list", "isrequired"):
            if key in data:
                out[key] = flag(data[key])
        if data.get("ordernum") not in (None, ""):
            out["ordernum"] = text(data["ordernum"])
        return out

    # ---------------------------------------------------------------- fields

    @route("POST", "/api/3/fields")
    def create_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        values = self._field_input(st, self._wrapped(req, "field"), None)
        fid = self._new_id(st, "fields")
        now = self._now()
        field = {
            "id": fid,
            "descript": None,
            "isrequired": "0",
            "defval": None,
            "show_in_list": "0",
            "visible": "1",
            "service": "",
            "ordernum": str(len(st["fields"]) + 1),
            "cdate": now,
            "udate": now,
            **values,
        }
        st["fields"][fid] = field
        return 201, {"field": self.render_field(st, field)}

    @route("GET", "/api/3/fields")
    def list_fields(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = list(st["fields"].values())
        perstag = req.arg("filters[perstag]")
        if perstag:
            rows = [f for f in rows if f["perstag"] == perstag.upper()]
        page, meta = self._page(req, rows)
        ids = {f["id"] for f in page}
        rels = [self.render_field_rel(r) for r in st["field_rels"].values() if r["field"] in ids]
        return 200, {
            "fieldOptions": [],
            "fieldRels": rels,
            "fields": [self.render_field(st, f) for f in page],
            "meta": meta,
        }

    @route("GET", "/api/3/fields/{id}")
    def get_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = self._find(st, "fields", req.params["id"], MODEL_FIELD)
        rels = [self.render_field_rel(r) for r in st["field_rels"].values() if r["field"] == field["id"]]
        return 200, {"fieldOptions": [], "fieldRels": rels, "field": self.render_field(st, field)}

    @route("PUT", "/api/3/fields/{id}")
    def update_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = self._find(st, "fields", req.params["id"], MODEL_FIELD)
        field.update(self._field_input(st, self._wrapped(req, "field"), field))
        field["udate"] = self._now()
        return 200, {"field": self.render_field(st, field)}

    @route("DELETE", "/api/3/fields/{id}")
    def delete_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = self._find(st, "fields", req.params["id"], MODEL_FIELD)
        fid = field["id"]
        for fv in [fv for fv in st["field_values"].values() if fv["field"] == fid]:
            self._drop_field_value(st, fv)
        for rid in [r["id"] for r in st["field_rels"].values() if r["field"] == fid]:
            del st["field_rels"][rid]
        del st["fields"][fid]
        return 200, {}

    @route("POST", "/api/3/fieldRels")
    def create_field_rel(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "fieldRel")
        absent = [k for k in ("field", "relid") if data.get(k) in (None, "")]
        if absent:
            raise missing_attribute(*absent)
        fid, relid = sid(data["field"]) or "", sid(data["relid"]) or "0"
        if fid not in st["fields"]:
            raise not_found(MODEL_FIELD, data["field"])
        if relid != "0" and relid not in st["lists"]:
            raise not_found(MODEL_LIST, data["relid"])
        rid = self._new_id(st, "field_rels")
        now = self._now()
        st["field_rels"][rid] = {"id": rid, "field": fid, "relid": relid, "cdate": now}
        return 201, {"fieldRel": {"relid": data["relid"], "field": data["field"], "cdate": now, "links": [], "id": rid}}

    # ---------------------------------------------------------------- field values

    def _field_value_target(self, st: dict[str, Any], data: dict[str, Any]) -> tuple[dict[str, Any], str]:
        absent = [k for k in ("contact", "field") if data.get(k) in (None, "")]
        if "value" not in data:
            absent.append("value")
        if absent:
            raise missing_attribute(*absent)
        contact = st["contacts"].get(sid(data["contact"]) or "")
        if contact is None:
            raise not_found(MODEL_CONTACT, data["contact"])
        fid = sid(data["field"]) or ""
        if fid not in st["fields"]:
            raise not_found(MODEL_FIELD, data["field"])
        return contact, fid

    def _echo_field_value(self, record: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """The ``fieldValue`` of a write answer: contact and field echoed as sent (the vendor's examples)."""
        body = self.render_field_value(record)
        body.pop("created_by")
        body.pop("updated_by")
        owner = body.pop("owner")
        ident = body.pop("id")
        body["contact"] = data.get("contact", body["contact"])
        body["field"] = data.get("field", body["field"])
        body["owner"] = data.get("contact", owner)
        body["id"] = ident
        return body

    @route("POST", "/api/3/fieldValues")
    def create_field_value(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "fieldValue")
        contact, fid = self._field_value_target(st, data)
        record, _ = self._put_field_value(st, contact, fid, data.get("value"))
        return 200, {"contacts": [self.render_contact(contact)], "fieldValue": self._echo_field_value(record, data)}

    @route("GET", "/api/3/fieldValues")
    def list_field_values(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = list(st["field_values"].values())
        fieldid = sid(req.arg("filters[fieldid]"))
        if fieldid:
            rows = [fv for fv in rows if fv["field"] == fieldid]
        val = req.arg("filters[val]")
        if val is not None and val != "":
            rows = [fv for fv in rows if fv["value"] == val]
        page, meta = self._page(req, rows)
        return 200, {"fieldValues": [self.render_field_value(fv) for fv in page], "meta": meta}

    @route("GET", "/api/3/fieldValues/{id}")
    def get_field_value(self, req: SimRequest) -> Any:
        st = self._st(req)
        record = self._find(st, "field_values", req.params["id"], MODEL_FIELD_VALUE)
        return 200, {"fieldValue": self.render_field_value(record)}

    @route("PUT", "/api/3/fieldValues/{id}")
    def update_field_value(self, req: SimRequest) -> Any:
        st = self._st(req)
        record = self._find(st, "field_values", req.params["id"], MODEL_FIELD_VALUE)
        data = self._wrapped(req, "fieldValue")
        if "value" not in data:
            raise missing_attribute("value")
        value = None if data["value"] is None else text(data["value"])
        if value != record["value"]:
            record["value"] = value
            record["udate"] = self._now()
        contact = st["contacts"][record["contact"]]
        return 200, {"contacts": [self.render_contact(contact)], "fieldValue": self._echo_field_value(record, data)}

    @route("DELETE", "/api/3/fieldValues/{id}")
    def delete_field_value(self, req: SimRequest) -> Any:
        st = self._st(req)
        self._drop_field_value(st, self._find(st, "field_values", req.params["id"], MODEL_FIELD_VALUE))
        return 200, {}
