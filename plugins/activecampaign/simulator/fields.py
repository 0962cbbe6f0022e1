"""Custom fields, field-to-list relations and field values in the ActiveCampaign simulator.

A field needs a ``title`` (unique, compared case-insensitively: 422 ``duplicate`` with the vendor's
"There is already a field with this title" body) and a ``type``. Its personalisation tag
(``perstag``, used as ``%PERSTAG%`` in messages) follows the two documented examples:

- given: upper-cased with everything but ``A-Z0-9_`` removed ("Personalized Tag" → ``PERSONALIZEDTAG``);
- absent: the title upper-cased with each run of other characters turned into one ``_`` and the ends
  trimmed ("Another Test Title" → ``ANOTHER_TEST_TITLE``); a derived tag that is taken gets ``_2``,
  ``_3``… (a given tag that is taken is a 422 ``duplicate``).

``POST /fieldValues`` sets a contact's value for a field (one value per contact and field: a second
POST updates the same record); contacts can also carry ``fieldValues`` inline (see `contacts`).
"""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import Abort, Collection, Row, SimRequest, route

from .lists import LISTS
from .shapes import CONTACTS, State, flag, sid, text
from .tags import ActiveCampaignTags

FIELDS = Collection("fields", model="Field", unique=("title", "perstag"), render="render_field")
FIELD_RELS = Collection("field_rels", model="FieldRel", index=("field",))
FIELD_VALUES = Collection("field_values", model="FieldValue", index=("contact", "field"))
FIELD_TYPES = ("text", "textarea", "date", "datetime", "dropdown", "listbox", "radio", "checkbox", "hidden", "number",
               "currency", "NULL")

_NOT_TAG = re.compile(r"[^A-Z0-9_]")
_TAG_RUNS = re.compile(r"[^A-Z0-9]+")


def perstag_from(value: str, *, given: bool) -> str:
    """The perstag the vendor stores for a given perstag (``given=True``) or for a title."""
    upper = value.upper()
    return _NOT_TAG.sub("", upper) if given else _TAG_RUNS.sub("_", upper).strip("_")


class ActiveCampaignFields(ActiveCampaignTags):
    """``/fields``, ``/fieldRels`` and ``/fieldValues``."""

    def render_field(self, st: State, f: Row) -> Row:
        return {
            "title": f["title"], "descript": f["descript"], "type": f["type"], "isrequired": f["isrequired"],
            "perstag": f["perstag"], "defval": f["defval"], "show_in_list": f["show_in_list"], "rows": "0",
            "cols": "0", "visible": f["visible"], "service": f["service"], "ordernum": f["ordernum"],
            "cdate": f["cdate"], "udate": f["udate"], "options": [],
            "relations": [r["id"] for r in FIELD_RELS.table(st).where("field", f["id"])],
            "links": self._links(f"/fields/{f['id']}", ("options", "relations")), "id": f["id"],
        }

    def _field_rels(self, st: State, fields: list[Row]) -> list[Row]:
        ids = {f["id"] for f in fields}
        return [{"field": r["field"], "relid": r["relid"], "dorder": "0", "cdate": r["cdate"], "links": [],
                 "id": r["id"]} for r in FIELD_RELS.table(st).values() if r["field"] in ids]

    def render_field_value(self, fv: Row) -> Row:
        return {"contact": fv["contact"], "field": fv["field"], "value": fv["value"], "cdate": fv["cdate"],
                "udate": fv["udate"], "created_by": None, "updated_by": None,
                "links": self._links(f"/fieldValues/{fv['id']}", ("owner", "field")), "id": fv["id"],
                "owner": fv["contact"]}

    def _put_field_value(self, st: State, contact: Row, field_id: str, value: Any) -> Row:
        """Set the contact's value for the field (one record per contact and field)."""
        found = FIELD_VALUES.table(st).rows(("contact", contact["id"]), ("field", field_id))
        now, value = self._now(), None if value is None else text(value)
        if not found:
            return self._add(st, FIELD_VALUES, contact=contact["id"], field=field_id, value=value, cdate=now, udate=now)
        if found[0]["value"] != value:
            found[0].update(value=value, udate=now)
        return found[0]

    def _field_input(self, st: State, data: Row, own: Row | None) -> Row:
        if own is None:
            self.required(data, "title", "type")
        fields, out = FIELDS.table(st), dict[str, Any]()
        if data.get("title") not in (None, ""):
            title = text(data["title"]).strip()
            if fields.find("title", title) not in (None, own):
                detail = f"There is already a field named '{title}' -- choose another name"
                raise Abort(422, {"errors": [{"title": "There is already a field with this title", "detail": detail,
                                              "code": "duplicate"}]})
            out["title"] = title
        if data.get("type") not in (None, ""):
            kind = text(data["type"]).strip()
            if kind not in FIELD_TYPES:
                raise self.unprocessable("Invalid field type", "type", detail=f"'{kind}' is not a field type")
            out["type"] = "" if kind == "NULL" else kind
        if data.get("perstag") not in (None, ""):
            out["perstag"] = perstag_from(text(data["perstag"]), given=True)
            if fields.find("perstag", out["perstag"]) not in (None, own):
                raise self.unprocessable("There is already a field with this personalization tag", "perstag",
                                         code="duplicate")
        elif own is None:
            base = perstag_from(out["title"], given=False) or "FIELD"
            tag, n = base, 1
            while fields.find("perstag", tag) is not None:
                n += 1
                tag = f"{base}_{n}"
            out["perstag"] = tag
        out.update({k: None if data[k] is None else text(data[k]) for k in ("descript", "defval", "service")
                    if k in data})
        out.update({k: flag(data[k]) for k in ("visible", "show_in_list", "isrequired") if k in data})
        if data.get("ordernum") not in (None, ""):
            out["ordernum"] = text(data["ordernum"])
        return out

    @route("POST", "/api/3/fields")
    def create_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        values = self._field_input(st, self._wrapped(req, "field"), None)
        now = self._now()
        field = self._add(st, FIELDS, **{"descript": None, "isrequired": "0", "defval": None, "show_in_list": "0",
                                         "visible": "1", "service": "", "ordernum": str(len(FIELDS.table(st)) + 1),
                                         "cdate": now, "udate": now, **values})
        return 201, {"field": self.render_field(st, field)}

    @route("GET", "/api/3/fields")
    def list_fields(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = FIELDS.table(st).rows()
        perstag = req.arg("filters[perstag]")
        if perstag:
            rows = [f for f in rows if f["perstag"] == perstag.upper()]
        page, meta = self._page(req, rows)
        fields = [self.render_field(st, f) for f in page]
        return 200, {"fieldOptions": [], "fieldRels": self._field_rels(st, page), "fields": fields, "meta": meta}

    @route("GET", "/api/3/fields/{id}")
    def get_field(self, req: SimRequest) -> Any:
        st, field = self._row(req, FIELDS)
        return 200, {"fieldOptions": [], "fieldRels": self._field_rels(st, [field]),
                     "field": self.render_field(st, field)}

    @route("PUT", "/api/3/fields/{id}")
    def update_field(self, req: SimRequest) -> Any:
        st, field = self._row(req, FIELDS)
        FIELDS.table(st).update(field, self._field_input(st, self._wrapped(req, "field"), field), udate=self._now())
        return 200, {"field": self.render_field(st, field)}

    @route("DELETE", "/api/3/fields/{id}")
    def delete_field(self, req: SimRequest) -> Any:
        st, field = self._row(req, FIELDS, remove=True)
        for spec in (FIELD_VALUES, FIELD_RELS):
            table = spec.table(st)
            for row in table.where("field", field["id"]):
                del table[row["id"]]
        return 200, {}

    @route("POST", "/api/3/fieldRels")
    def create_field_rel(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "fieldRel")
        self.required(data, "field", "relid")
        field, relid = self._ref(st, FIELDS, data["field"]), sid(data["relid"]) or "0"
        if relid != "0":
            self._ref(st, LISTS, data["relid"])
        rel = self._add(st, FIELD_RELS, field=field["id"], relid=relid, cdate=self._now())
        return 201, {"fieldRel": {"relid": data["relid"], "field": data["field"], "cdate": rel["cdate"], "links": [],
                                  "id": rel["id"]}}

    def _echo_field_value(self, st: State, record: Row, data: Row) -> Row:
        """A ``fieldValue`` write answer: contact and field echoed as sent (the vendor's examples)."""
        body = self.render_field_value(record)
        body = {k: v for k, v in body.items() if k not in ("created_by", "updated_by", "owner", "id")}
        body.update(contact=data.get("contact", record["contact"]), field=data.get("field", record["field"]),
                    owner=data.get("contact", record["contact"]), id=record["id"])
        return {"contacts": [self.render_contact(CONTACTS.table(st)[record["contact"]])], "fieldValue": body}

    @route("POST", "/api/3/fieldValues")
    def create_field_value(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "fieldValue")
        absent = [k for k in ("contact", "field") if data.get(k) in (None, "")] + ([] if "value" in data else ["value"])
        if absent:
            raise self.missing_attribute(*absent)
        contact, field = self._ref(st, CONTACTS, data["contact"]), self._ref(st, FIELDS, data["field"])
        return 200, self._echo_field_value(st, self._put_field_value(st, contact, field["id"], data["value"]), data)

    @route("GET", "/api/3/fieldValues")
    def list_field_values(self, req: SimRequest) -> Any:
        rows = FIELD_VALUES.table(self._st(req)).rows()
        fieldid, val = sid(req.arg("filters[fieldid]")), req.arg("filters[val]")
        if fieldid:
            rows = [fv for fv in rows if fv["field"] == fieldid]
        if val:
            rows = [fv for fv in rows if fv["value"] == val]
        page, meta = self._page(req, rows)
        return 200, {"fieldValues": [self.render_field_value(fv) for fv in page], "meta": meta}

    @route("GET", "/api/3/fieldValues/{id}")
    def get_field_value(self, req: SimRequest) -> Any:
        return 200, {"fieldValue": self.render_field_value(self._row(req, FIELD_VALUES)[1])}

    @route("PUT", "/api/3/fieldValues/{id}")
    def update_field_value(self, req: SimRequest) -> Any:
        st, record = self._row(req, FIELD_VALUES)
        data = self._wrapped(req, "fieldValue")
        if "value" not in data:
            raise self.missing_attribute("value")
        value = None if data["value"] is None else text(data["value"])
        if value != record["value"]:
            record.update(value=value, udate=self._now())
        return 200, self._echo_field_value(st, record, data)

    @route("DELETE", "/api/3/fieldValues/{id}")
    def delete_field_value(self, req: SimRequest) -> Any:
        self._row(req, FIELD_VALUES, remove=True)
        return 200, {}
