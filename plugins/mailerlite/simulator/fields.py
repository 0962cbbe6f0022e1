"""Custom fields: the ``/fields`` routes. Every account starts with the vendor's eight default fields (which
cannot be renamed or deleted); new ones are ``text``, ``number`` or ``date``, keyed by `field_key`. Deleting a
field drops its values from every subscriber."""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import Row, SimRequest, SimResponse, route

from .shapes import FIELDS, SUBSCRIBERS, Base, St
from .validation import invalid, one_of, reject, validate

FIELD_TYPES = ("text", "number", "date")
DEFAULT_FIELDS = {"1": "Name", "2": "Last name", "3": "Company", "4": "Country", "5": "City", "6": "Phone",
                  "7": "State", "8": "Zip"}


def field_key(name: str) -> str:
    """Laravel ``Str::snake`` of the field name, then only ``[a-z0-9_]`` (simulator choice)."""
    value = name
    if not value.islower():
        value = re.sub(r"\s+", "", " ".join(w[:1].upper() + w[1:] for w in value.split(" ")))
        value = re.sub(r"(.)(?=[A-Z])", r"\1_", value).lower()
    value = re.sub(r"[^a-z0-9_]+", "_", value.replace(" ", "_"))
    return re.sub(r"_+", "_", value).strip("_") or "field"


class Fields(Base):
    def initial_state(self) -> dict[str, Any]:
        """A fresh account has the vendor's default fields ("Zip" keyed ``z_i_p``, as recorded)."""
        key = {"Zip": "z_i_p"}
        return {"fields": {fid: {"id": fid, "name": name, "key": key.get(name, field_key(name)), "type": "text",
                                 "is_default": True} for fid, name in DEFAULT_FIELDS.items()}}

    def render_field(self, st: St, field: Row, *, listing: bool = False) -> Row:
        out = {k: field[k] for k in ("id", "name", "key", "type", "is_default")}
        return {**out, "used_in_automations": False} if listing else out

    @route("GET", "/api/fields")
    def list_fields(self, req: SimRequest) -> Any:
        st = self._st(req)
        fields = list(FIELDS.table(st).values())
        if keyword := req.arg("filter[keyword]"):
            fields = [f for f in fields if keyword.lower() in f["name"].lower()]
        if ftype := req.arg("filter[type]"):
            fields = [f for f in fields if f["type"] == ftype]
        if sort := req.arg("sort"):
            if (attr := sort.lstrip("-")) not in ("name", "type"):
                raise invalid({"sort": ["The selected sort is invalid."]})
            fields.sort(key=lambda f: str(f[attr]).lower(), reverse=sort.startswith("-"))
        return self.page_envelope(req, fields, 25, lambda f: self.render_field(st, f, listing=True))

    @route("POST", "/api/fields")
    def create_field(self, req: SimRequest) -> Any:
        st, data = self._st(req), self._body(req)
        fields = FIELDS.table(st)
        errors = validate(data, {"name": "required|string|max:255", "type": "required|" + one_of(*FIELD_TYPES)})
        name = data.get("name") if "name" not in errors else None
        names = {f["name"].lower() for f in fields.values()}
        if name and (fields.find("key", field_key(name)) or name.lower() in names):
            errors["name"] = ["The name has already been taken."]
        reject(errors)
        assert isinstance(name, str)
        field = {"id": str(900_000 + self.next_seq()), "name": name, "key": field_key(name), "type": data["type"],
                 "is_default": False}
        return 201, {"data": self.render_field(st, fields.insert(field))}

    @route("PUT", "/api/fields/{id}")
    def update_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = FIELDS.table(st).require(req.params["id"])
        reject(validate(data := self._body(req), {"name": "required|string|max:255"}))
        if field["is_default"]:
            raise invalid({"name": ["Default fields cannot be changed."]})
        field["name"] = data["name"]  # the key is not re-derived (recorded)
        return {"data": self.render_field(st, field)}

    @route("DELETE", "/api/fields/{id}")
    def delete_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = FIELDS.table(st).require(req.params["id"])
        if field["is_default"]:
            raise invalid({"field": ["Default fields cannot be deleted."]})
        del FIELDS.table(st)[field["id"]]
        for sub in SUBSCRIBERS.table(st).values():
            sub["fields"].pop(field["key"], None)
        return SimResponse(204)
