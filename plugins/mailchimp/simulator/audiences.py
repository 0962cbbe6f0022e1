"""Audiences (``/lists``), their merge fields and their interest categories (groups) with interests.

A new audience ships with the vendor's default merge fields (FNAME, LNAME, ADDRESS, PHONE, BIRTHDAY = merge ids 1..5);
`new_audience` is also what the ``create_audience`` control and the sandbox seed use. Audience ``stats`` are counted
from the members' statuses. Members refer to interests by id (``interests: {id: bool}``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from hub.simulator import Row, SimRequest, Table

from . import shapes as sh

CONTACT_REQUIRED = ("company", "address1", "city", "state", "zip", "country")
CONTACT_KEYS = (*CONTACT_REQUIRED[:2], "address2", *CONTACT_REQUIRED[2:], "phone")
DEFAULTS_REQUIRED = ("from_name", "from_email", "subject", "language")
LIST_TEXT = ("name", "permission_reminder", "notify_on_subscribe", "notify_on_unsubscribe")
LIST_FLAGS = ("use_archive_bar", "email_type_option", "double_optin", "marketing_permissions")
LIST_KEYS = ("id", "web_id", *LIST_TEXT, "contact", "campaign_defaults", "date_created", *LIST_FLAGS, "visibility")
DEFAULT_MERGE_FIELDS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (  # (tag, name, type, options): ids 1..5
    ("FNAME", "First Name", "text", {"size": 25}), ("LNAME", "Last Name", "text", {"size": 25}),
    ("ADDRESS", "Address", "address", {"default_country": 164}),
    ("PHONE", "Phone Number", "phone", {"phone_format": "none"}),
    ("BIRTHDAY", "Birthday", "birthday", {"date_format": "MM/DD"}),
)
MERGE_TYPES = ("text", "number", "address", "phone", "date", "url", "imageurl", "radio", "dropdown", "birthday", "zip")
TYPE_OPTIONS: dict[str, dict[str, Any]] = {
    "text": {"size": 25}, "address": {"default_country": 164}, "phone": {"phone_format": "none"},
    "date": {"date_format": "MM/DD/YYYY"}, "birthday": {"date_format": "MM/DD"}, "radio": {"choices": []},
    "dropdown": {"choices": []},
}
RESERVED_TAGS = frozenset({"EMAIL", "UNSUB", "FORWARD", "UPDATE_PROFILE", "ARCHIVE", "LIST", "MC", "DATE",
                           "CURRENT_YEAR", "REWARDS", "INTERESTS", "GROUPINGS", "MERGE0"})
"""Simulator choice: tags that collide with Mailchimp's own merge tags."""
TAG_RE = re.compile(r"^[A-Z0-9_]{1,10}$")
CATEGORY_TYPES = ("checkboxes", "dropdown", "radio", "hidden")


class Audiences(sh.Shapes):
    def new_audience(self, st: dict[str, Any], data: dict[str, Any], list_id: str | None = None) -> Row:
        contact, defaults = data.get("contact") or {}, data.get("campaign_defaults") or {}
        lst = sh.LISTS.table(st).insert({
            "id": list_id or self._hex_id("list"), "web_id": self._int_id(100_000),
            **{k: data.get(k) or "" for k in LIST_TEXT}, "name": data.get("name") or "Audience",
            "contact": {k: str(contact.get(k) or "") for k in CONTACT_KEYS},
            "campaign_defaults": {k: str(defaults.get(k) or "") for k in DEFAULTS_REQUIRED},
            "date_created": self._now(), "use_archive_bar": bool(data.get("use_archive_bar", True)),
            **{k: bool(data.get(k, False)) for k in LIST_FLAGS[1:]}, "visibility": "pub",
            "last_sub_date": "", "last_unsub_date": "", "forgotten": {}, "next_merge_id": len(DEFAULT_MERGE_FIELDS) + 1,
        })
        fields = sh.MERGE_FIELDS.table(lst)
        for merge_id, (tag, name, kind, options) in enumerate(DEFAULT_MERGE_FIELDS, start=1):
            fields.insert({"merge_id": merge_id, "tag": tag, "name": name, "type": kind, "required": False,
                           "default_value": "", "public": True, "display_order": merge_id + 1,
                           "options": dict(options), "help_text": ""})
        return lst

    def render_list(self, st: dict[str, Any], lst: Row) -> Row:
        counts = Counter(m["status"] for m in sh.MEMBERS.table(lst).values())
        lid = lst["id"]
        sent = [c["send_time"] for c in sh.CAMPAIGNS.table(st).values()
                if c["recipients"].get("list_id") == lid and c["status"] in ("sent", "sending")]
        return {
            **sh.copied(lst, LIST_KEYS), "list_rating": 0, "subscribe_url_short": f"http://eepurl.com/{lid[:6]}",
            "subscribe_url_long": f"https://sim.us1.list-manage.com/subscribe?u=sim&id={lid}",
            "beamer_address": f"us1-{lid}@inbound.mailchimp.com", "has_welcome": False, "modules": [],
            "stats": {
                "member_count": counts["subscribed"],
                "total_contacts": sum(n for s, n in counts.items() if s != "archived"),
                "unsubscribe_count": counts["unsubscribed"], "cleaned_count": counts["cleaned"],
                "member_count_since_send": counts["subscribed"],
                "unsubscribe_count_since_send": counts["unsubscribed"], "cleaned_count_since_send": counts["cleaned"],
                "campaign_count": len(sent), "campaign_last_sent": max(sent, default=""),
                "merge_field_count": len(sh.MERGE_FIELDS.table(lst)), "avg_sub_rate": 0, "avg_unsub_rate": 0,
                "target_sub_rate": 0, "open_rate": 0, "click_rate": 0,
                "last_sub_date": lst["last_sub_date"], "last_unsub_date": lst["last_unsub_date"],
            },
            "_links": [],
        }

    def _check_list(self, data: dict[str, Any], *, create: bool) -> None:
        errors: dict[str, str] = {}
        sh.need(data, errors, ("name", "permission_reminder"), create=create)
        for key, required in (("contact", CONTACT_REQUIRED), ("campaign_defaults", DEFAULTS_REQUIRED)):
            block = data.get(key)
            if block is not None and not isinstance(block, dict):
                errors[key] = sh.OBJECT
            elif block is not None or create:  # an empty default subject is allowed: simulator choice
                sh.need(block or {}, errors, required, f"{key}.", create, blank_ok=("subject",))
                from_email = (block or {}).get("from_email") if key == "campaign_defaults" else None
                if isinstance(from_email, str) and from_email and sh.email_problem(from_email):
                    errors["campaign_defaults.from_email"] = "Please provide a valid email address."
        if ("email_type_option" in data or create) and not isinstance(data.get("email_type_option"), bool):
            errors["email_type_option"] = "This value should be of type boolean."
        sh.check_types(data, errors, use_archive_bar=bool, double_optin=bool, marketing_permissions=bool)
        self.check(errors)

    def _interest_ids(self, lst: Row) -> list[str]:
        return [iid for cat in sh.CATEGORIES.table(lst).values() for iid in sh.INTERESTS.table(cat)]

    @sh.api("GET", "/lists")
    def list_lists(self, req: SimRequest) -> Any:
        st = self._st(req)
        lists = sh.LISTS.table(st).rows()
        email = req.arg("email")
        if email:
            h = sh.subscriber_hash(email)
            lists = [lst for lst in lists if sh.MEMBERS.table(lst).get(h, {}).get("status", "archived") != "archived"]
        if req.arg("sort_field") == "date_created" and (req.arg("sort_dir") or "").upper() == "DESC":
            lists = lists[::-1]
        limits = {"may_create": True, "max_instances": 100_000, "current_total_instances": len(sh.LISTS.table(st))}
        return self._page(req, "lists", lists, lambda lst: self.render_list(st, lst), constraints=limits)

    @sh.api("POST", "/lists")
    def create_list(self, req: SimRequest) -> Any:
        data = self._body(req)
        self._check_list(data, create=True)
        st = self._st(req)
        return self.render_list(st, self.new_audience(st, data))

    @sh.api("GET", "/lists/{list_id}")
    def get_list(self, req: SimRequest) -> Any:
        return self.render_list(self._st(req), self._list(req))

    @sh.api("PATCH", "/lists/{list_id}")
    def update_list(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        self._check_list(data, create=False)
        lst.update({k: str(data[k]) for k in LIST_TEXT if data.get(k) is not None})
        lst.update({k: data[k] for k in LIST_FLAGS if data.get(k) is not None})
        for key in ("contact", "campaign_defaults"):
            if isinstance(data.get(key), dict):
                lst[key].update({k: str(v) for k, v in data[key].items() if k in lst[key] and v is not None})
        return self.render_list(self._st(req), lst)

    @sh.api("DELETE", "/lists/{list_id}")
    def delete_list(self, req: SimRequest) -> Any:
        del sh.LISTS.table(self._st(req))[self._list(req)["id"]]

    def render_merge_field(self, lst: Row, field: Row) -> Row:
        return {**field, "options": dict(field["options"]), "list_id": lst["id"], "_links": []}

    def _save_field(self, lst: Row, data: dict[str, Any], field: Row | None = None) -> Row:
        """Create or update (`field`) a merge field; a tag given is upper-cased."""
        fields = sh.MERGE_FIELDS.table(lst)
        if field is not None and data.get("type") not in (None, field["type"]):
            raise self.invalid("The type of an existing merge field cannot be changed.")
        errors: dict[str, str] = {}
        sh.need(data, errors, ("name",), create=field is None)
        kind, name, options = data.get("type"), data.get("name"), data.get("options")
        if field is None and kind not in MERGE_TYPES:
            errors["type"] = sh.one_of(MERGE_TYPES)
        if "name" not in errors and isinstance(name, str) and len(name) > 50:
            errors["name"] = "This value is too long. It should have 50 characters or less."
        sh.check_types(data, errors, required=bool, public=bool, default_value=str, help_text=str, display_order=int,
                       options=dict)
        choices = options.get("choices", []) if isinstance(options, dict) else []
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            errors["options.choices"] = "Schema describes array of strings."
        tag = data.get("tag")
        if "tag" in data and (tag is not None or field is not None) and not sh.nonblank(tag):
            errors["tag"] = sh.BLANK
        elif isinstance(tag, str) and tag.strip():
            tag = tag.strip().upper()
            if not TAG_RE.match(tag):
                errors["tag"] = "The merge tag must be 1 to 10 characters: letters, numbers and underscores only."
            elif tag in RESERVED_TAGS:
                errors["tag"] = f"The merge tag '{tag}' is reserved."
            else:
                self.taken(fields, "tag", tag, field and field["merge_id"],
                           f'A Merge Field with the tag "{tag}" already exists for this list.')
        self.check(errors)
        if field is not None:
            changes = sh.given(data, ("name", "required", "public", "display_order", "default_value", "help_text"),
                               "name")
            if isinstance(options, dict):
                changes["options"] = {**field["options"], **options}
            if tag:
                changes["tag"] = tag
            return fields.update(field, changes)
        merge_id = lst["next_merge_id"]
        lst["next_merge_id"] = merge_id + 1
        order = data.get("display_order") or max((f["display_order"] for f in fields.values()), default=1) + 1
        return fields.insert({
            "merge_id": merge_id, "tag": tag or f"MMERGE{merge_id}", "name": data["name"].strip(), "type": kind,
            "required": bool(data.get("required", False)), "default_value": data.get("default_value") or "",
            "public": bool(data.get("public", False)), "display_order": order,
            "options": {**TYPE_OPTIONS.get(str(kind), {}), **(options or {})}, "help_text": data.get("help_text") or "",
        })

    @sh.api("GET", "/lists/{list_id}/merge-fields")
    def list_merge_fields(self, req: SimRequest) -> Any:
        lst = self._list(req)
        kind, required = req.arg("type"), self._flag(req, "required")
        fields = sorted(sh.MERGE_FIELDS.table(lst).values(), key=lambda f: (f["display_order"], f["merge_id"]))
        fields = [f for f in fields if (not kind or f["type"] == kind) and required in (None, f["required"])]
        return self._page(req, "merge_fields", fields, lambda f: self.render_merge_field(lst, f), list_id=lst["id"])

    @sh.api("POST", "/lists/{list_id}/merge-fields")
    def create_merge_field(self, req: SimRequest) -> Any:
        lst = self._list(req)
        return self.render_merge_field(lst, self._save_field(lst, self._body(req)))

    @sh.api("GET", "/lists/{list_id}/merge-fields/{merge_id}")
    def get_merge_field(self, req: SimRequest) -> Any:
        lst = self._list(req)
        return self.render_merge_field(lst, sh.MERGE_FIELDS.table(lst).require(req.params["merge_id"]))

    @sh.api("PATCH", "/lists/{list_id}/merge-fields/{merge_id}")
    def update_merge_field(self, req: SimRequest) -> Any:
        lst = self._list(req)
        field = sh.MERGE_FIELDS.table(lst).require(req.params["merge_id"])
        return self.render_merge_field(lst, self._save_field(lst, self._body(req), field))

    @sh.api("DELETE", "/lists/{list_id}/merge-fields/{merge_id}")
    def delete_merge_field(self, req: SimRequest) -> Any:
        lst = self._list(req)
        fields = sh.MERGE_FIELDS.table(lst)
        mid = str(fields.require(req.params["merge_id"])["merge_id"])
        del fields[mid]
        for m in sh.MEMBERS.table(lst).values():
            m["merge"].pop(mid, None)

    # ---------------------------------------------------------------- interest categories and interests

    def render_category(self, lst: Row, cat: Row) -> Row:
        return {"list_id": lst["id"], **sh.copied(cat, ("id", "title", "display_order", "type")), "_links": []}

    def render_interest(self, lst: Row, cat: Row, interest: Row) -> Row:
        iid, members = interest["id"], sh.MEMBERS.table(lst).values()
        count = sum(1 for m in members if m["status"] == "subscribed" and m["interests"].get(iid))
        return {"category_id": cat["id"], "list_id": lst["id"], "id": iid, "name": interest["name"],
                "subscriber_count": str(count), "display_order": interest["display_order"], "_links": []}

    def _category(self, req: SimRequest) -> tuple[Row, Row]:
        lst = self._list(req)
        return lst, sh.CATEGORIES.table(lst).require(req.params["interest_category_id"])

    def _interest(self, req: SimRequest) -> tuple[Row, Row, Row]:
        lst, cat = self._category(req)
        return lst, cat, sh.INTERESTS.table(cat).require(req.params["interest_id"])

    def _save_named(self, table: Table, data: dict[str, Any], row: Row | None = None, **new: Any) -> Row:
        """Create (with the `new` fields) or update `row`: a category (unique ``title``, ``type``) or an interest
        (unique ``name``), both with ``display_order``."""
        field = "title" if table.spec is sh.CATEGORIES else "name"
        errors: dict[str, str] = {}
        sh.need(data, errors, (field,), create=row is None)
        if field not in errors and data.get(field) is not None:
            value = data[field].strip()
            self.taken(table, field, value, row and row["id"], f'Cannot add "{value}" because it already exists on the '
                       "list.")
        sh.check_types(data, errors, display_order=int)
        if field == "title" and (row is None or "type" in data) and data.get("type") not in CATEGORY_TYPES:
            errors["type"] = sh.one_of(CATEGORY_TYPES)
        self.check(errors)
        changes = sh.given(data, (field, "display_order", "type")[: 3 if field == "title" else 2], field)
        if row is not None:
            return table.update(row, changes)
        new["display_order"] = data.get("display_order") or new["display_order"]
        return table.insert({"id": self._hex_id("category" if field == "title" else "interest"), **changes, **new})

    @sh.api("GET", "/lists/{list_id}/interest-categories")
    def list_categories(self, req: SimRequest) -> Any:
        lst = self._list(req)
        kind = req.arg("type")
        cats = [c for c in sh.CATEGORIES.table(lst).values() if not kind or c["type"] == kind]
        return self._page(req, "categories", cats, lambda c: self.render_category(lst, c), list_id=lst["id"])

    @sh.api("POST", "/lists/{list_id}/interest-categories")
    def create_category(self, req: SimRequest) -> Any:
        lst = self._list(req)
        cat = self._save_named(sh.CATEGORIES.table(lst), self._body(req), display_order=0, interests={})
        return self.render_category(lst, cat)

    @sh.api("GET", "/lists/{list_id}/interest-categories/{interest_category_id}")
    def get_category(self, req: SimRequest) -> Any:
        return self.render_category(*self._category(req))

    @sh.api("PATCH", "/lists/{list_id}/interest-categories/{interest_category_id}")
    def update_category(self, req: SimRequest) -> Any:
        lst, cat = self._category(req)
        return self.render_category(lst, self._save_named(sh.CATEGORIES.table(lst), self._body(req), cat))

    @sh.api("DELETE", "/lists/{list_id}/interest-categories/{interest_category_id}")
    def delete_category(self, req: SimRequest) -> Any:
        lst, cat = self._category(req)
        del sh.CATEGORIES.table(lst)[cat["id"]]

    @sh.api("GET", "/lists/{list_id}/interest-categories/{interest_category_id}/interests")
    def list_interests(self, req: SimRequest) -> Any:
        lst, cat = self._category(req)
        items = sorted(sh.INTERESTS.table(cat).values(), key=lambda i: i["display_order"])
        return self._page(req, "interests", items, lambda i: self.render_interest(lst, cat, i), list_id=lst["id"],
                          category_id=cat["id"])

    @sh.api("POST", "/lists/{list_id}/interest-categories/{interest_category_id}/interests")
    def create_interest(self, req: SimRequest) -> Any:
        lst, cat = self._category(req)
        interests = sh.INTERESTS.table(cat)
        return self.render_interest(lst, cat, self._save_named(interests, self._body(req),
                                                               display_order=len(interests) + 1))

    @sh.api("GET", "/lists/{list_id}/interest-categories/{interest_category_id}/interests/{interest_id}")
    def get_interest(self, req: SimRequest) -> Any:
        return self.render_interest(*self._interest(req))

    @sh.api("PATCH", "/lists/{list_id}/interest-categories/{interest_category_id}/interests/{interest_id}")
    def update_interest(self, req: SimRequest) -> Any:
        lst, cat, interest = self._interest(req)
        return self.render_interest(lst, cat, self._save_named(sh.INTERESTS.table(cat), self._body(req), interest))

    @sh.api("DELETE", "/lists/{list_id}/interest-categories/{interest_category_id}/interests/{interest_id}")
    def delete_interest(self, req: SimRequest) -> Any:
        _, cat, interest = self._interest(req)
        del sh.INTERESTS.table(cat)[interest["id"]]
