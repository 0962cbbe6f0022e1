"""Contacts in the ActiveCampaign simulator: ``/contacts``, ``/contact/sync`` and a contact's sub-resources.

``POST /contacts`` refuses an existing address (422 ``duplicate``, compared case-insensitively);
``POST /contact/sync`` upserts by address (201 created / 200 updated) and changes only what it is
given; neither touches list memberships. Both take custom field values inline
(``fieldValues: [{field, value}]``). ``GET /contacts`` pages with ``limit``/``offset`` and filters by
``email``, ``email_like``, ``search``, ``ids[]``, ``listid``, ``tagid``, ``segmentid``, ``seriesid``,
``status`` (a list status; with ``listid`` the status on that list), ``id_greater``/``id_less``,
``filters[created_*|updated_*]`` and ``orders[...]``. A contact's lists, tags, field values and
automations are at ``/contacts/{id}/contactLists|contactTags|fieldValues|contactAutomations``.

Simulator choices (unverified): addresses are stored as given and matched case-insensitively; an
invalid address is a 422 ``email_invalid`` ("Contact Email Address is not valid."); inline
``fieldValues`` for fields that do not exist are ignored; ``GET /contacts`` lists every contact
(whatever its list statuses) oldest first; ``DELETE /contacts/{id}`` of an unknown id answers the
spec's lower-case "No result found for contact with id …".
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from hub.simulator import Abort, SimRequest, route
from hub_activecampaign.sim_shapes import (
    CONTACT_LINKS,
    EMAIL_RE,
    MODEL_CONTACT,
    missing_attribute,
    sid,
    text,
    unprocessable,
)

LIST_STATUS_WORDS = {"0": "unconfirmed", "1": "active", "2": "unsubscribed", "3": "bounced"}


def email_invalid() -> Abort:
    return unprocessable("Contact Email Address is not valid.", "email", code="email_invalid", detail="")


def email_taken() -> Abort:
    return unprocessable("Email address already exists in the system", "email", code="duplicate")


def _date_bound(raw: str) -> float | None:
    """``YYYY-MM-DD`` or ISO-8601 (naive = UTC) → epoch seconds; None when unreadable."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _int_arg(req: SimRequest, name: str, default: int) -> int:
    raw = (req.arg(name) or "").strip()
    return int(raw) if raw.lstrip("-").isdigit() else default


class ContactsMixin:
    """Contacts, their upserts, listing filters and sub-resources."""

    # ---------------------------------------------------------------- rendering

    def render_contact(self, c: dict[str, Any]) -> dict[str, Any]:
        """The full contact object of ``GET /contacts[/{id}]`` and ``PUT /contacts/{id}``."""
        return {
            "cdate": c["cdate"],
            "email": c["email"],
            "phone": c["phone"],
            "firstName": c["firstName"],
            "lastName": c["lastName"],
            "orgid": "0",
            "segmentio_id": "",
            "bounced_hard": c["bounced_hard"],
            "bounced_soft": c["bounced_soft"],
            "bounced_date": c["bounced_date"],
            "ip": "0",
            "ua": None,
            "hash": c["hash"],
            "socialdata_lastcheck": None,
            "email_local": "",
            "email_domain": "",
            "sentcnt": str(c["sentcnt"]),
            "rating_tstamp": None,
            "gravatar": "0",
            "deleted": "0",
            "anonymized": "0",
            "adate": None,
            "udate": c["udate"],
            "edate": None,
            "deleted_at": None,
            "created_utc_timestamp": c["created_utc"],
            "updated_utc_timestamp": c["updated_utc"],
            "scoreValues": [],
            "links": self._links(f"/contacts/{c['id']}", CONTACT_LINKS),
            "id": c["id"],
            "organization": None,
        }

    def _render_created(self, c: dict[str, Any]) -> dict[str, Any]:
        """The short contact object ``POST /contacts`` answers with."""
        return {
            "email": c["email"],
            "phone": c["phone"],
            "firstName": c["firstName"],
            "lastName": c["lastName"],
            "cdate": c["cdate"],
            "udate": c["udate"],
            "orgid": "",
            "links": self._links(f"/contacts/{c['id']}", CONTACT_LINKS),
            "id": c["id"],
            "organization": "",
        }

    def _render_synced(self, st: dict[str, Any], c: dict[str, Any]) -> dict[str, Any]:
        """The contact object ``POST /contact/sync`` answers with."""
        return {
            "email": c["email"],
            "phone": c["phone"],
            "firstName": c["firstName"],
            "lastName": c["lastName"],
            "email_empty": not c["email"],
            "cdate": c["cdate"],
            "udate": c["udate"],
            "orgid": "",
            "orgname": "",
            "links": self._links(f"/contacts/{c['id']}", CONTACT_LINKS),
            "hash": c["hash"],
            "fieldValues": list(st["fv_by_contact"].get(c["id"], {}).values()),
            "id": c["id"],
            "organization": "",
        }

    # ---------------------------------------------------------------- state operations

    def _contact_by_email(self, st: dict[str, Any], email: str) -> dict[str, Any] | None:
        cid = st["by_email"].get(email.strip().lower())
        return st["contacts"][cid] if cid else None

    def _new_contact(self, st: dict[str, Any], email: str, attrs: dict[str, str]) -> dict[str, Any]:
        cid = self._new_id(st, "contacts")
        now, utc, ts = self._now(), self._utc_stamp(), self._epoch()
        contact = {
            "id": cid,
            "email": email,
            "phone": attrs.get("phone", ""),
            "firstName": attrs.get("firstName", ""),
            "lastName": attrs.get("lastName", ""),
            "cdate": now,
            "udate": now,
            "cts": ts,
            "uts": ts,
            "created_utc": utc,
            "updated_utc": utc,
            "hash": hashlib.md5(f"{cid}:{email.lower()}".encode()).hexdigest(),
            "bounced_hard": "0",
            "bounced_soft": "0",
            "bounced_date": None,
            "sentcnt": 0,
        }
        st["contacts"][cid] = contact
        if email:
            st["by_email"][email.lower()] = cid
        return contact

    def _touch(self, contact: dict[str, Any]) -> None:
        contact["udate"] = self._now()
        contact["updated_utc"] = self._utc_stamp()
        contact["uts"] = self._epoch()

    def _update_contact(self, st: dict[str, Any], contact: dict[str, Any], attrs: dict[str, str]) -> bool:
        """Apply the given attributes; True if anything changed."""
        changed = False
        for key, value in attrs.items():
            if key == "email":
                if value.lower() != contact["email"].lower():
                    owner = st["by_email"].get(value.lower())
                    if owner and owner != contact["id"]:
                        raise email_taken()
                    st["by_email"].pop(contact["email"].lower(), None)
                    st["by_email"][value.lower()] = contact["id"]
                if value != contact["email"]:
                    contact["email"] = value
                    changed = True
            elif contact.get(key) != value:
                contact[key] = value
                changed = True
        if changed:
            self._touch(contact)
        return changed

    def _delete_contact(self, st: dict[str, Any], contact: dict[str, Any]) -> None:
        cid = contact["id"]
        for clid in st["cl_by_contact"].pop(cid, {}).values():
            st["contact_lists"].pop(clid, None)
        for ctid in st["ct_by_contact"].pop(cid, {}).values():
            st["contact_tags"].pop(ctid, None)
        for fvid in st["fv_by_contact"].pop(cid, {}).values():
            st["field_values"].pop(fvid, None)
        for caid in st["ca_by_contact"].pop(cid, []):
            st["contact_automations"].pop(caid, None)
        st["by_email"].pop(contact["email"].lower(), None)
        del st["contacts"][cid]

    def contact_status_word(self, st: dict[str, Any], contact: dict[str, Any]) -> str:
        """One word for the contact's standing across its lists: bounced (a hard bounce or any
        bounced membership) > active (any active list) > unsubscribed > unconfirmed > none."""
        statuses = {st["contact_lists"][clid]["status"] for clid in st["cl_by_contact"].get(contact["id"], {}).values()}
        if contact["bounced_hard"] != "0" or "3" in statuses:
            return "bounced"
        for code in ("1", "2", "0"):
            if code in statuses:
                return LIST_STATUS_WORDS[code]
        return "none"

    # ---------------------------------------------------------------- input

    def _contact_attrs(self, data: dict[str, Any], *, email_required: bool) -> dict[str, str]:
        """The contact attributes present in a request body, validated."""
        attrs: dict[str, str] = {}
        for key in ("firstName", "lastName", "phone"):
            if key in data and data[key] is not None:
                attrs[key] = text(data[key]).strip()
        email = data.get("email")
        if email is None or (isinstance(email, str) and not email.strip()):
            phone_only = bool(data.get("allowNullEmail")) and attrs.get("phone")
            if email_required and not phone_only:
                raise missing_attribute("email")
            return attrs
        if not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
            raise email_invalid()
        attrs["email"] = email.strip()
        return attrs

    def _inline_field_values(
        self, st: dict[str, Any], contact: dict[str, Any], data: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Apply ``fieldValues: [{field, value}]``; values for unknown fields are ignored."""
        rendered: list[dict[str, Any]] = []
        items = data.get("fieldValues")
        if not isinstance(items, list):
            return rendered
        for item in items:
            if not isinstance(item, dict):
                continue
            fid = sid(item.get("field"))
            if fid is None or fid not in st["fields"]:
                continue
            record, _ = self._put_field_value(st, contact, fid, item.get("value"))
            rendered.append(self.render_field_value(record))
        return rendered

    # ---------------------------------------------------------------- routes

    @route("POST", "/api/3/contacts")
    def create_contact(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contact")
        attrs = self._contact_attrs(data, email_required=True)
        email = attrs.pop("email", "")
        if email and email.lower() in st["by_email"]:
            raise email_taken()
        contact = self._new_contact(st, email, attrs)
        values = self._inline_field_values(st, contact, data)
        return 201, {"fieldValues": values, "contact": self._render_created(contact)}

    @route("POST", "/api/3/contact/sync")
    def sync_contact(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contact")
        attrs = self._contact_attrs(data, email_required=True)
        email = attrs.pop("email", "")
        contact = self._contact_by_email(st, email) if email else None
        created = contact is None
        if contact is None:
            contact = self._new_contact(st, email, attrs)
        elif self._update_contact(st, contact, attrs):
            self._fire(st, "update", "api", contact=contact)
        values = self._inline_field_values(st, contact, data)
        return (201 if created else 200), {"fieldValues": values, "contact": self._render_synced(st, contact)}

    @route("GET", "/api/3/contacts")
    def list_contacts(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = self._filter_contacts(st, req)
        rows = self._ordered(
            req,
            rows,
            {
                "id": lambda c: int(c["id"]),
                "cdate": lambda c: c["cts"],
                "email": lambda c: c["email"].lower(),
                "first_name": lambda c: c["firstName"].lower(),
                "last_name": lambda c: c["lastName"].lower(),
                "name": lambda c: (c["firstName"] + " " + c["lastName"]).lower(),
            },
        )
        page, meta = self._page(req, rows)
        limit, offset = self._window(req)
        meta["page_input"] = {
            "segmentid": _int_arg(req, "segmentid", 0),
            "formid": 0,
            "listid": _int_arg(req, "listid", 0),
            "tagid": _int_arg(req, "tagid", 0),
            "limit": limit,
            "offset": offset,
            "search": req.arg("search"),
            "sort": None,
            "seriesid": _int_arg(req, "seriesid", 0),
            "waitid": 0,
            "status": _int_arg(req, "status", -1),
            "forceQuery": 0,
            "cacheid": hashlib.md5(repr(sorted(req.query.items())).encode()).hexdigest(),
        }
        return 200, {"scoreValues": [], "contacts": [self.render_contact(c) for c in page], "meta": meta}

    def _filter_contacts(self, st: dict[str, Any], req: SimRequest) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = list(st["contacts"].values())
        email = req.arg("email")
        if email:
            contact = self._contact_by_email(st, email)
            rows = [contact] if contact else []
        like = req.arg("email_like")
        if like:
            rows = [c for c in rows if like.lower() in c["email"].lower()]
        search = req.arg("search")
        if search:
            needle = search.lower()
            rows = [
                c
                for c in rows
                if needle in c["email"].lower()
                or needle in f"{c['firstName']} {c['lastName']}".lower()
                or needle in c["phone"].lower()
            ]
        phone = req.arg("phone")
        if phone:
            rows = [c for c in rows if c["phone"].startswith(phone)]
        ids = req.query.get("ids[]") or req.query.get("ids")
        if ids:
            wanted = {i.strip() for raw in ids for i in raw.split(",")}
            rows = [c for c in rows if c["id"] in wanted]
        exclude = req.arg("exclude")
        if exclude:
            rows = [c for c in rows if c["id"] != exclude]
        above, below = _int_arg(req, "id_greater", -1), _int_arg(req, "id_less", -1)
        if above >= 0:
            rows = [c for c in rows if int(c["id"]) > above]
        if below >= 0:
            rows = [c for c in rows if int(c["id"]) < below]
        for name, key, after in (
            ("filters[created_before]", "cts", False),
            ("filters[created_after]", "cts", True),
            ("filters[updated_before]", "uts", False),
            ("filters[updated_after]", "uts", True),
        ):
            raw = req.arg(name)
            moment = _date_bound(raw) if raw else None
            if moment is not None:
                rows = [c for c in rows if (c[key] > moment if after else c[key] < moment)]
        status = req.arg("status")
        status = None if status in (None, "", "-1") else status
        listid = sid(req.arg("listid"))
        if listid and listid != "0":
            members = st["cl_by_contact"]
            cls = st["contact_lists"]
            rows = [
                c
                for c in rows
                if listid in members.get(c["id"], {})
                and (status is None or cls[members[c["id"]][listid]]["status"] == status)
            ]
        elif status is not None:
            members = st["cl_by_contact"]
            cls = st["contact_lists"]
            rows = [c for c in rows if any(cls[clid]["status"] == status for clid in members.get(c["id"], {}).values())]
        tagid = sid(req.arg("tagid"))
        if tagid and tagid != "0":
            rows = [c for c in rows if tagid in st["ct_by_contact"].get(c["id"], {})]
        segmentid = sid(req.arg("segmentid"))
        if segmentid and segmentid != "0":
            segment = st["segments"].get(segmentid)
            members = self._segment_member_ids(st, segment) if segment else set()
            rows = [c for c in rows if members is None or c["id"] in members]
        seriesid = sid(req.arg("seriesid"))
        if seriesid and seriesid != "0":
            enrolled = {e["contact"] for e in st["contact_automations"].values() if e["automation"] == seriesid}
            rows = [c for c in rows if c["id"] in enrolled]
        return rows

    @route("GET", "/api/3/contacts/{id}")
    def get_contact(self, req: SimRequest) -> Any:
        st = self._st(req)
        contact = self._find(st, "contacts", req.params["id"], MODEL_CONTACT)
        cid = contact["id"]
        lists = [st["contact_lists"][i] for i in st["cl_by_contact"].get(cid, {}).values()]
        values = [st["field_values"][i] for i in st["fv_by_contact"].get(cid, {}).values()]
        enrolments = [st["contact_automations"][i] for i in st["ca_by_contact"].get(cid, [])]
        body = self.render_contact(contact)
        tail = {key: body.pop(key) for key in ("scoreValues", "links", "id", "organization")}
        body.update(  # the ids of the side-loaded objects, then the usual tail (the vendor's key order)
            {
                "contactAutomations": [e["id"] for e in enrolments],
                "contactLists": [m["id"] for m in lists],
                "fieldValues": [v["id"] for v in values],
                "geoIps": [],
                "deals": [],
                "accountContacts": [],
                "links": tail["links"],
                "id": tail["id"],
                "organization": tail["organization"],
            }
        )
        return 200, {
            "contactAutomations": [self.render_enrolment(e) for e in enrolments],
            "contactLists": [self.render_contact_list(st, m) for m in lists],
            "deals": [],
            "fieldValues": [self.render_field_value(v) for v in values],
            "geoAddresses": [],
            "geoIps": [],
            "contact": body,
        }

    @route("PUT", "/api/3/contacts/{id}")
    def update_contact(self, req: SimRequest) -> Any:
        st = self._st(req)
        contact = self._find(st, "contacts", req.params["id"], MODEL_CONTACT)
        data = self._wrapped(req, "contact")
        attrs = self._contact_attrs(data, email_required=False)
        if self._update_contact(st, contact, attrs):
            self._fire(st, "update", "api", contact=contact)
        values = self._inline_field_values(st, contact, data)
        return 200, {"fieldValues": values, "contact": self.render_contact(contact)}

    @route("DELETE", "/api/3/contacts/{id}")
    def delete_contact(self, req: SimRequest) -> Any:
        st = self._st(req)
        contact = st["contacts"].get(req.params["id"])
        if contact is None:  # this endpoint's documented 404 spells the model in lower case
            raise Abort(404, {"message": f"No result found for contact with id {req.params['id']}"})
        self._delete_contact(st, contact)
        return 200, {}

    # ---------------------------------------------------------------- sub-resources

    def _contact_of(self, req: SimRequest) -> tuple[dict[str, Any], dict[str, Any]]:
        st = self._st(req)
        return st, self._find(st, "contacts", req.params["id"], MODEL_CONTACT)

    @route("GET", "/api/3/contacts/{id}/contactLists")
    def contact_lists_of(self, req: SimRequest) -> Any:
        st, contact = self._contact_of(req)
        ids = st["cl_by_contact"].get(contact["id"], {}).values()
        return 200, {"contactLists": [self.render_contact_list(st, st["contact_lists"][i]) for i in ids]}

    @route("GET", "/api/3/contacts/{id}/contactTags")
    def contact_tags_of(self, req: SimRequest) -> Any:
        st, contact = self._contact_of(req)
        ids = st["ct_by_contact"].get(contact["id"], {}).values()
        return 200, {"contactTags": [self.render_contact_tag(st["contact_tags"][i]) for i in ids]}

    @route("GET", "/api/3/contacts/{id}/fieldValues")
    def field_values_of(self, req: SimRequest) -> Any:
        st, contact = self._contact_of(req)
        ids = st["fv_by_contact"].get(contact["id"], {}).values()
        return 200, {"fieldValues": [self.render_field_value(st["field_values"][i]) for i in ids]}

    @route("GET", "/api/3/contacts/{id}/contactAutomations")
    def enrolments_of(self, req: SimRequest) -> Any:
        st, contact = self._contact_of(req)
        ids = st["ca_by_contact"].get(contact["id"], [])
        return 200, {"contactAutomations": [self.render_enrolment(st["contact_automations"][i]) for i in ids]}
