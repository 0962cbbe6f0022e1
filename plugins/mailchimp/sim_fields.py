"""Merge fields and interests (groups) in the Mailchimp simulator.

``/lists/{list_id}/merge-fields[/{merge_id}]``: a tag is upper-cased, then must be 1–10 letters, digits
or underscores, not reserved and unique per audience (else 400 Invalid Resource); without a tag the
vendor's ``MMERGE<n>`` is used. ``/lists/{list_id}/interest-categories[/{id}[/interests[/{id}]]]``:
basic CRUD; members refer to interests by id in ``interests: {id: bool}``.
"""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import SimRequest
from hub_mailchimp.sim_shapes import ShapesMixin, api, field_errors, invalid, not_found

MERGE_TYPES = (
    "text",
    "number",
    "address",
    "phone",
    "date",
    "url",
    "imageurl",
    "radio",
    "dropdown",
    "birthday",
    "zip",
)
TYPE_OPTIONS: dict[str, dict[str, Any]] = {
    "text": {"size": 25},
    "address": {"default_country": 164},
    "phone": {"phone_format": "none"},
    "date": {"date_format": "MM/DD/YYYY"},
    "birthday": {"date_format": "MM/DD"},
    "radio": {"choices": []},
    "dropdown": {"choices": []},
}
RESERVED_TAGS = frozenset(
    {
        "EMAIL",
        "UNSUB",
        "FORWARD",
        "UPDATE_PROFILE",
        "ARCHIVE",
        "LIST",
        "MC",
        "DATE",
        "CURRENT_YEAR",
        "REWARDS",
        "INTERESTS",
        "GROUPINGS",
        "MERGE0",
    }
)
"""Simulator choice: tags that collide with Mailchimp's own merge tags."""
TAG_RE = re.compile(r"^[A-Z0-9_]{1,10}$")
CATEGORY_TYPES = ("checkboxes", "dropdown", "radio", "hidden")


class FieldsMixin(ShapesMixin):
    """Merge fields, interest categories and interests."""

    # ---------------------------------------------------------------- merge fields

    def render_merge_field(self, lst: dict[str, Any], field: dict[str, Any]) -> dict[str, Any]:
        return {**field, "options": dict(field["options"]), "list_id": lst["id"], "_links": []}

    def _merge_field(self, lst: dict[str, Any], req: SimRequest) -> dict[str, Any]:
        field = lst["merge_fields"].get(req.params["merge_id"])
        if field is None:
            raise not_found()
        return field

    def _check_tag(self, lst: dict[str, Any], tag: Any, errors: dict[str, str], own: int | None = None) -> str | None:
        if not isinstance(tag, str) or not tag.strip():
            errors["tag"] = "This value should not be blank."
            return None
        tag = tag.strip().upper()
        if not TAG_RE.match(tag):
            errors["tag"] = "The merge tag must be 1 to 10 characters: letters, numbers and underscores only."
        elif tag in RESERVED_TAGS:
            errors["tag"] = f"The merge tag '{tag}' is reserved."
        elif any(f["tag"] == tag and f["merge_id"] != own for f in lst["merge_fields"].values()):
            raise invalid(f'A Merge Field with the tag "{tag}" already exists for this list.')
        return tag

    def _check_field_data(self, data: dict[str, Any], errors: dict[str, str]) -> None:
        name = data.get("name")
        if "name" in data and (not isinstance(name, str) or not name.strip()):
            errors["name"] = "This value should not be blank."
        elif isinstance(name, str) and len(name) > 50:
            errors["name"] = "This value is too long. It should have 50 characters or less."
        for key in ("required", "public"):
            self._bool(data, key, errors)
        for key in ("default_value", "help_text"):
            self._str(data, key, errors)
        order = data.get("display_order")
        if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
            errors["display_order"] = "This value should be of type integer."
        options = data.get("options")
        if options is not None:
            if not isinstance(options, dict):
                errors["options"] = "Schema describes object, but a different type was found instead"
            elif "choices" in options and (
                not isinstance(options["choices"], list) or not all(isinstance(c, str) for c in options["choices"])
            ):
                errors["options.choices"] = "Schema describes array of strings."

    @api("GET", "/lists/{list_id}/merge-fields")
    def list_merge_fields(self, req: SimRequest) -> Any:
        lst = self._list(req)
        fields = sorted(lst["merge_fields"].values(), key=lambda f: (f["display_order"], f["merge_id"]))
        kind = req.arg("type")
        if kind:
            fields = [f for f in fields if f["type"] == kind]
        required = self._flag(req, "required")
        if required is not None:
            fields = [f for f in fields if f["required"] == required]
        return self._page(req, "merge_fields", fields, lambda f: self.render_merge_field(lst, f), list_id=lst["id"])

    @api("POST", "/lists/{list_id}/merge-fields")
    def create_merge_field(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        errors: dict[str, str] = {}
        if not isinstance(data.get("name"), str) or not data["name"].strip():
            errors["name"] = "This value should not be blank."
        kind = data.get("type")
        if kind not in MERGE_TYPES:
            errors["type"] = f"Value must be one of: {', '.join(MERGE_TYPES)}"
        self._check_field_data(data, errors)
        merge_id = lst["next_merge_id"]
        tag = self._check_tag(lst, data["tag"], errors) if data.get("tag") is not None else f"MMERGE{merge_id}"
        if errors:
            raise field_errors(errors)
        assert tag is not None
        options = {**TYPE_OPTIONS.get(kind, {}), **(data.get("options") or {})}
        field = {
            "merge_id": merge_id,
            "tag": tag,
            "name": data["name"].strip(),
            "type": kind,
            "required": bool(data.get("required", False)),
            "default_value": data.get("default_value") or "",
            "public": bool(data.get("public", False)),
            "display_order": data.get("display_order")
            or max((f["display_order"] for f in lst["merge_fields"].values()), default=1) + 1,
            "options": options,
            "help_text": data.get("help_text") or "",
        }
        lst["merge_fields"][str(merge_id)] = field
        lst["next_merge_id"] = merge_id + 1
        return self.render_merge_field(lst, field)

    @api("GET", "/lists/{list_id}/merge-fields/{merge_id}")
    def get_merge_field(self, req: SimRequest) -> Any:
        lst = self._list(req)
        return self.render_merge_field(lst, self._merge_field(lst, req))

    @api("PATCH", "/lists/{list_id}/merge-fields/{merge_id}")
    def update_merge_field(self, req: SimRequest) -> Any:
        lst = self._list(req)
        field = self._merge_field(lst, req)
        data = self._body(req)
        errors: dict[str, str] = {}
        if data.get("type") is not None and data["type"] != field["type"]:
            raise invalid("The type of an existing merge field cannot be changed.")
        self._check_field_data(data, errors)
        tag = self._check_tag(lst, data["tag"], errors, own=field["merge_id"]) if "tag" in data else None
        if errors:
            raise field_errors(errors)
        if tag:
            field["tag"] = tag
        if data.get("name") is not None:
            field["name"] = data["name"].strip()
        for key in ("required", "public", "display_order", "default_value", "help_text"):
            if data.get(key) is not None:
                field[key] = data[key]
        if isinstance(data.get("options"), dict):
            field["options"] = {**field["options"], **data["options"]}
        return self.render_merge_field(lst, field)

    @api("DELETE", "/lists/{list_id}/merge-fields/{merge_id}")
    def delete_merge_field(self, req: SimRequest) -> Any:
        lst = self._list(req)
        field = self._merge_field(lst, req)
        mid = str(field["merge_id"])
        del lst["merge_fields"][mid]
        for m in lst["members"].values():
            m["merge"].pop(mid, None)
        return None

    # ---------------------------------------------------------------- interest categories

    def render_category(self, lst: dict[str, Any], cat: dict[str, Any]) -> dict[str, Any]:
        return {
            "list_id": lst["id"],
            "id": cat["id"],
            "title": cat["title"],
            "display_order": cat["display_order"],
            "type": cat["type"],
            "_links": [],
        }

    def render_interest(self, lst: dict[str, Any], cat: dict[str, Any], interest: dict[str, Any]) -> dict[str, Any]:
        iid = interest["id"]
        count = sum(1 for m in lst["members"].values() if m["status"] == "subscribed" and m["interests"].get(iid))
        return {
            "category_id": cat["id"],
            "list_id": lst["id"],
            "id": iid,
            "name": interest["name"],
            "subscriber_count": str(count),
            "display_order": interest["display_order"],
            "_links": [],
        }

    def _category(self, lst: dict[str, Any], req: SimRequest) -> dict[str, Any]:
        cat = lst["categories"].get(req.params["interest_category_id"])
        if cat is None:
            raise not_found()
        return cat

    def _interest(self, cat: dict[str, Any], req: SimRequest) -> dict[str, Any]:
        interest = cat["interests"].get(req.params["interest_id"])
        if interest is None:
            raise not_found()
        return interest

    def _check_category(
        self, lst: dict[str, Any], data: dict[str, Any], *, create: bool, own: str | None = None
    ) -> None:
        errors: dict[str, str] = {}
        title = data.get("title")
        if "title" in data or create:
            if not isinstance(title, str) or not title.strip():
                errors["title"] = "This value should not be blank."
            elif any(
                c["title"].lower() == title.strip().lower() and c["id"] != own for c in lst["categories"].values()
            ):
                raise invalid(f'Cannot add "{title.strip()}" because it already exists on the list.')
        if ("type" in data or create) and data.get("type") not in CATEGORY_TYPES:
            errors["type"] = f"Value must be one of: {', '.join(CATEGORY_TYPES)}"
        order = data.get("display_order")
        if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
            errors["display_order"] = "This value should be of type integer."
        if errors:
            raise field_errors(errors)

    @api("GET", "/lists/{list_id}/interest-categories")
    def list_categories(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cats = list(lst["categories"].values())
        kind = req.arg("type")
        if kind:
            cats = [c for c in cats if c["type"] == kind]
        return self._page(req, "categories", cats, lambda c: self.render_category(lst, c), list_id=lst["id"])

    @api("POST", "/lists/{list_id}/interest-categories")
    def create_category(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        self._check_category(lst, data, create=True)
        cid = self._hex_id("category")
        cat = {
            "id": cid,
            "title": data["title"].strip(),
            "type": data["type"],
            "display_order": data.get("display_order") or 0,
            "interests": {},
        }
        lst["categories"][cid] = cat
        return self.render_category(lst, cat)

    @api("GET", "/lists/{list_id}/interest-categories/{interest_category_id}")
    def get_category(self, req: SimRequest) -> Any:
        lst = self._list(req)
        return self.render_category(lst, self._category(lst, req))

    @api("PATCH", "/lists/{list_id}/interest-categories/{interest_category_id}")
    def update_category(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cat = self._category(lst, req)
        data = self._body(req)
        self._check_category(lst, data, create=False, own=cat["id"])
        if data.get("title") is not None:
            cat["title"] = data["title"].strip()
        for key in ("type", "display_order"):
            if data.get(key) is not None:
                cat[key] = data[key]
        return self.render_category(lst, cat)

    @api("DELETE", "/lists/{list_id}/interest-categories/{interest_category_id}")
    def delete_category(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cat = self._category(lst, req)
        del lst["categories"][cat["id"]]
        return None

    @api("GET", "/lists/{list_id}/interest-categories/{interest_category_id}/interests")
    def list_interests(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cat = self._category(lst, req)
        items = sorted(cat["interests"].values(), key=lambda i: i["display_order"])
        return self._page(
            req,
            "interests",
            items,
            lambda i: self.render_interest(lst, cat, i),
            list_id=lst["id"],
            category_id=cat["id"],
        )

    def _check_interest(
        self, cat: dict[str, Any], data: dict[str, Any], *, create: bool, own: str | None = None
    ) -> None:
        errors: dict[str, str] = {}
        name = data.get("name")
        if "name" in data or create:
            if not isinstance(name, str) or not name.strip():
                errors["name"] = "This value should not be blank."
            elif any(i["name"].lower() == name.strip().lower() and i["id"] != own for i in cat["interests"].values()):
                raise invalid(f'Cannot add "{name.strip()}" because it already exists on the list.')
        order = data.get("display_order")
        if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
            errors["display_order"] = "This value should be of type integer."
        if errors:
            raise field_errors(errors)

    @api("POST", "/lists/{list_id}/interest-categories/{interest_category_id}/interests")
    def create_interest(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cat = self._category(lst, req)
        data = self._body(req)
        self._check_interest(cat, data, create=True)
        iid = self._hex_id("interest")
        interest = {
            "id": iid,
            "name": data["name"].strip(),
            "display_order": data.get("display_order") or len(cat["interests"]) + 1,
        }
        cat["interests"][iid] = interest
        return self.render_interest(lst, cat, interest)

    @api("GET", "/lists/{list_id}/interest-categories/{interest_category_id}/interests/{interest_id}")
    def get_interest(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cat = self._category(lst, req)
        return self.render_interest(lst, cat, self._interest(cat, req))

    @api("PATCH", "/lists/{list_id}/interest-categories/{interest_category_id}/interests/{interest_id}")
    def update_interest(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cat = self._category(lst, req)
        interest = self._interest(cat, req)
        data = self._body(req)
        self._check_interest(cat, data, create=False, own=interest["id"])
        if data.get("name") is not None:
            interest["name"] = data["name"].strip()
        if data.get("display_order") is not None:
            interest["display_order"] = data["display_order"]
        return self.render_interest(lst, cat, interest)

    @api("DELETE", "/lists/{list_id}/interest-categories/{interest_category_id}/interests/{interest_id}")
    def delete_interest(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cat = self._category(lst, req)
        interest = self._interest(cat, req)
        del cat["interests"][interest["id"]]
        return None
