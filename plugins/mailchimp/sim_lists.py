"""Audiences (lists) in the Mailchimp simulator: ``/lists`` and ``/lists/{list_id}``.

Create (every documented required field checked), read with ``stats`` kept in step with member
statuses, update, delete, and list with ``count``/``offset`` and the ``email`` filter. A new audience
ships with the vendor's default merge fields (FNAME, LNAME, ADDRESS, PHONE, BIRTHDAY = merge ids 1..5).
`new_audience` is also what the ``create_audience`` control action and the sandbox seed use.
"""

from __future__ import annotations

from typing import Any

from hub.simulator import SimRequest
from hub_mailchimp.sim_shapes import (
    LIST_STATUSES,
    ShapesMixin,
    api,
    email_problem,
    field_errors,
    subscriber_hash,
)

CONTACT_REQUIRED = ("company", "address1", "city", "state", "zip", "country")
CONTACT_KEYS = (*CONTACT_REQUIRED[:2], "address2", *CONTACT_REQUIRED[2:], "phone")
DEFAULTS_REQUIRED = ("from_name", "from_email", "subject", "language")

DEFAULT_MERGE_FIELDS = (
    # (merge_id, tag, name, type, display_order, options)
    (1, "FNAME", "First Name", "text", 2, {"size": 25}),
    (2, "LNAME", "Last Name", "text", 3, {"size": 25}),
    (3, "ADDRESS", "Address", "address", 4, {"default_country": 164}),
    (4, "PHONE", "Phone Number", "phone", 5, {"phone_format": "none"}),
    (5, "BIRTHDAY", "Birthday", "birthday", 6, {"date_format": "MM/DD"}),
)


class ListsMixin(ShapesMixin):
    """Audiences and their routes."""

    # ---------------------------------------------------------------- model

    def new_audience(self, st: dict[str, Any], data: dict[str, Any], list_id: str | None = None) -> dict[str, Any]:
        lid = list_id or self._hex_id("list")
        now = self._now()
        contact = data.get("contact") or {}
        defaults = data.get("campaign_defaults") or {}
        lst: dict[str, Any] = {
            "id": lid,
            "web_id": self._int_id(100_000),
            "name": data.get("name") or "Audience",
            "contact": {k: str(contact.get(k) or "") for k in CONTACT_KEYS},
            "permission_reminder": data.get("permission_reminder") or "",
            "use_archive_bar": bool(data.get("use_archive_bar", True)),
            "campaign_defaults": {k: str(defaults.get(k) or "") for k in DEFAULTS_REQUIRED},
            "notify_on_subscribe": data.get("notify_on_subscribe") or "",
            "notify_on_unsubscribe": data.get("notify_on_unsubscribe") or "",
            "date_created": now,
            "email_type_option": bool(data.get("email_type_option", False)),
            "double_optin": bool(data.get("double_optin", False)),
            "marketing_permissions": bool(data.get("marketing_permissions", False)),
            "visibility": "pub",
            "members": {},
            "counts": dict.fromkeys(LIST_STATUSES, 0),
            "forgotten": {},
            "merge_fields": {},
            "next_merge_id": 1,
            "segments": {},
            "categories": {},
            "webhooks": {},
            "last_sub_date": "",
            "last_unsub_date": "",
        }
        for merge_id, tag, name, kind, order, options in DEFAULT_MERGE_FIELDS:
            lst["merge_fields"][str(merge_id)] = {
                "merge_id": merge_id,
                "tag": tag,
                "name": name,
                "type": kind,
                "required": False,
                "default_value": "",
                "public": True,
                "display_order": order,
                "options": dict(options),
                "help_text": "",
            }
        lst["next_merge_id"] = len(DEFAULT_MERGE_FIELDS) + 1
        st["lists"][lid] = lst
        return lst

    def render_list(self, st: dict[str, Any], lst: dict[str, Any]) -> dict[str, Any]:
        counts = lst["counts"]
        sent = [
            c
            for c in st["campaigns"].values()
            if c["recipients"].get("list_id") == lst["id"] and c["status"] in ("sent", "sending")
        ]
        last_sent = max((c["send_time"] for c in sent), default="")
        lid = lst["id"]
        return {
            "id": lid,
            "web_id": lst["web_id"],
            "name": lst["name"],
            "contact": dict(lst["contact"]),
            "permission_reminder": lst["permission_reminder"],
            "use_archive_bar": lst["use_archive_bar"],
            "campaign_defaults": dict(lst["campaign_defaults"]),
            "notify_on_subscribe": lst["notify_on_subscribe"],
            "notify_on_unsubscribe": lst["notify_on_unsubscribe"],
            "date_created": lst["date_created"],
            "list_rating": 0,
            "email_type_option": lst["email_type_option"],
            "subscribe_url_short": f"http://eepurl.com/{lid[:6]}",
            "subscribe_url_long": f"https://sim.us1.list-manage.com/subscribe?u=sim&id={lid}",
            "beamer_address": f"us1-{lid}@inbound.mailchimp.com",
            "visibility": lst["visibility"],
            "double_optin": lst["double_optin"],
            "has_welcome": False,
            "marketing_permissions": lst["marketing_permissions"],
            "modules": [],
            "stats": {
                "member_count": counts["subscribed"],
                "total_contacts": sum(n for s, n in counts.items() if s != "archived"),
                "unsubscribe_count": counts["unsubscribed"],
                "cleaned_count": counts["cleaned"],
                "member_count_since_send": counts["subscribed"],
                "unsubscribe_count_since_send": counts["unsubscribed"],
                "cleaned_count_since_send": counts["cleaned"],
                "campaign_count": len(sent),
                "campaign_last_sent": last_sent,
                "merge_field_count": len(lst["merge_fields"]),
                "avg_sub_rate": 0,
                "avg_unsub_rate": 0,
                "target_sub_rate": 0,
                "open_rate": 0,
                "click_rate": 0,
                "last_sub_date": lst["last_sub_date"],
                "last_unsub_date": lst["last_unsub_date"],
            },
            "_links": [],
        }

    def _validate_list(self, data: dict[str, Any], *, create: bool) -> None:
        errors: dict[str, str] = {}
        for key in ("name", "permission_reminder"):
            value = data.get(key)
            if (key in data or create) and (not isinstance(value, str) or not value.strip()):
                errors[key] = "This value should not be blank."
        # (an empty default subject is allowed: simulator choice)
        for key, required in (("contact", CONTACT_REQUIRED), ("campaign_defaults", DEFAULTS_REQUIRED)):
            block = data.get(key)
            if block is None and not create:
                continue
            if block is None:
                errors.update({f"{key}.{sub}": "This value should not be blank." for sub in required})
                continue
            if not isinstance(block, dict):
                errors[key] = "Schema describes object, but a different type was found instead"
                continue
            for sub in required:
                if sub in block or create:
                    value = block.get(sub)
                    if not isinstance(value, str) or (not value.strip() and sub != "subject"):
                        errors[f"{key}.{sub}"] = "This value should not be blank."
            from_email = block.get("from_email") if key == "campaign_defaults" else None
            if isinstance(from_email, str) and from_email and email_problem(from_email):
                errors["campaign_defaults.from_email"] = "Please provide a valid email address."
        if ("email_type_option" in data or create) and not isinstance(data.get("email_type_option"), bool):
            errors["email_type_option"] = "This value should be of type boolean."
        for key in ("use_archive_bar", "double_optin", "marketing_permissions"):
            self._bool(data, key, errors)
        if errors:
            raise field_errors(errors)

    # ---------------------------------------------------------------- routes

    @api("GET", "/lists")
    def list_lists(self, req: SimRequest) -> Any:
        st = self._st(req)
        lists = list(st["lists"].values())
        email = req.arg("email")
        if email:
            h = subscriber_hash(email)
            lists = [lst for lst in lists if h in lst["members"] and lst["members"][h]["status"] != "archived"]
        if req.arg("sort_field") == "date_created" and (req.arg("sort_dir") or "").upper() == "DESC":
            lists = lists[::-1]
        return self._page(
            req,
            "lists",
            lists,
            lambda lst: self.render_list(st, lst),
            constraints={"may_create": True, "max_instances": 100_000, "current_total_instances": len(st["lists"])},
        )

    @api("POST", "/lists")
    def create_list(self, req: SimRequest) -> Any:
        data = self._body(req)
        self._validate_list(data, create=True)
        st = self._st(req)
        return self.render_list(st, self.new_audience(st, data))

    @api("GET", "/lists/{list_id}")
    def get_list(self, req: SimRequest) -> Any:
        return self.render_list(self._st(req), self._list(req))

    @api("PATCH", "/lists/{list_id}")
    def update_list(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        self._validate_list(data, create=False)
        for key in ("name", "permission_reminder", "notify_on_subscribe", "notify_on_unsubscribe"):
            if key in data and data[key] is not None:
                lst[key] = str(data[key])
        for key in ("use_archive_bar", "email_type_option", "double_optin", "marketing_permissions"):
            if key in data and data[key] is not None:
                lst[key] = data[key]
        for key in ("contact", "campaign_defaults"):
            if isinstance(data.get(key), dict):
                lst[key].update({k: str(v) for k, v in data[key].items() if k in lst[key] and v is not None})
        return self.render_list(self._st(req), lst)

    @api("DELETE", "/lists/{list_id}")
    def delete_list(self, req: SimRequest) -> Any:
        self._list(req)
        del self._st(req)["lists"][req.params["list_id"]]
        return None
