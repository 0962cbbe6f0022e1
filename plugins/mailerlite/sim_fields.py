"""Custom fields in the MailerLite simulator: the ``/fields`` routes and the field-key rule.

Every account starts with the vendor's eight default fields (which cannot be renamed or deleted);
new ones are ``text``, ``number`` or ``date``, keyed by Laravel's ``Str::snake`` of their name
(`field_key`, a simulator choice). Deleting a field drops its values from every subscriber.
Subscriber field values themselves are validated in `sim_subscribers`.
"""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import Abort, SimRequest, SimResponse, route
from hub_mailerlite.sim_shapes import invalid

FIELD_TYPES = ("text", "number", "date")

DEFAULT_FIELDS = (
    ("1", "Name", "name"),
    ("2", "Last name", "last_name"),
    ("3", "Company", "company"),
    ("4", "Country", "country"),
    ("5", "City", "city"),
    ("6", "Phone", "phone"),
    ("7", "State", "state"),
    ("8", "Zip", "z_i_p"),
)


def field_key(name: str) -> str:
    """Laravel ``Str::snake`` of the field name, then only ``[a-z0-9_]`` (simulator choice, unverified)."""
    value = name
    if not value.islower():
        value = re.sub(r"\s+", "", " ".join(w[:1].upper() + w[1:] for w in value.split(" ")))
        value = re.sub(r"(.)(?=[A-Z])", r"\1_", value).lower()
    value = re.sub(r"[^a-z0-9_]+", "_", value.replace(" ", "_"))
    return re.sub(r"_+", "_", value).strip("_") or "field"


class FieldsMixin:
    """Custom fields and their routes."""

    def render_field(self, field: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
        out = {k: field[k] for k in ("id", "name", "key", "type", "is_default")}
        if listing:
            out["used_in_automations"] = False
        return out

    @route("GET", "/api/fields")
    def list_fields(self, req: SimRequest) -> Any:
        st = self._st(req)
        fields = list(st["fields"].values())
        keyword = req.arg("filter[keyword]")
        if keyword:
            fields = [f for f in fields if keyword.lower() in f["name"].lower()]
        ftype = req.arg("filter[type]")
        if ftype:
            fields = [f for f in fields if f["type"] == ftype]
        sort = req.arg("sort")
        if sort:
            if sort.lstrip("-") not in ("name", "type"):
                raise invalid({"sort": ["The selected sort is invalid."]})
            attr = sort.lstrip("-")
            fields.sort(key=lambda f: str(f[attr]).lower(), reverse=sort.startswith("-"))
        return 200, self.page_envelope(req, fields, 25, lambda f: self.render_field(f, listing=True))

    @route("POST", "/api/fields")
    def create_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._body(req)
        errors: dict[str, list[str]] = {}
        try:
            name = self._validate_name(data)
        except Abort as abort:
            errors.update(abort.response.body["errors"])
            name = None
        ftype = data.get("type")
        if ftype is None:
            errors["type"] = ["The type field is required."]
        elif ftype not in FIELD_TYPES:
            errors["type"] = ["The selected type is invalid."]
        if name is not None:
            key = field_key(name)
            taken = any(f["key"] == key or f["name"].lower() == name.lower() for f in st["fields"].values())
            if taken:
                errors["name"] = ["The name has already been taken."]
        if errors:
            raise invalid(errors)
        assert name is not None
        fid = str(900_000 + self.next_seq())
        field = {"id": fid, "name": name, "key": field_key(name), "type": ftype, "is_default": False}
        st["fields"][fid] = field
        return 201, {"data": self.render_field(field)}

    @route("PUT", "/api/fields/{id}")
    def update_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = self._find(st, "field", "fields", req.params["id"])
        name = self._validate_name(self._body(req))
        if field["is_default"]:
            raise invalid({"name": ["Default fields cannot be changed."]})
        field["name"] = name  # the key is not re-derived (recorded)
        return 200, {"data": self.render_field(field)}

    @route("DELETE", "/api/fields/{id}")
    def delete_field(self, req: SimRequest) -> Any:
        st = self._st(req)
        field = self._find(st, "field", "fields", req.params["id"])
        if field["is_default"]:
            raise invalid({"field": ["Default fields cannot be deleted."]})
        del st["fields"][field["id"]]
        for sub in st["subscribers"].values():
            sub["fields"].pop(field["key"], None)
        return SimResponse(204)
