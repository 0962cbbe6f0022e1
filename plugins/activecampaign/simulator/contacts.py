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

from hub.simulator import Abort, Row, SimRequest, control, route

from .automations import ENROLMENTS, ActiveCampaignAutomations
from .fields import FIELD_VALUES, FIELDS
from .lists import LISTS, MEMBERSHIPS, SEGMENTS
from .shapes import CONTACT_LINKS, CONTACTS, EMAIL_RE, LIST_STATUS_WORDS, State, sid, text
from .tags import CONTACT_TAGS, TAGS

STATUS_CODES = {"unconfirmed": "0", "active": "1", "unsubscribed": "2", "bounced": "3"}
DATE_FILTERS = (("filters[created_before]", "cts", False), ("filters[created_after]", "cts", True),
                ("filters[updated_before]", "uts", False), ("filters[updated_after]", "uts", True))


def _date_bound(raw: str) -> float | None:
    """``YYYY-MM-DD`` or ISO-8601 (naive = UTC) → epoch seconds; None when unreadable."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _int_arg(req: SimRequest, name: str, default: int) -> int:
    raw = (req.arg(name) or "").strip()
    return int(raw) if raw.lstrip("-").isdigit() else default


class ActiveCampaignContacts(ActiveCampaignAutomations):
    """Contacts, their upserts, listing filters and sub-resources."""

    def _render_short(self, st: State, c: Row, *, synced: bool) -> Row:
        """The contact object of ``POST /contacts`` (short) and of ``POST /contact/sync`` (`synced`)."""
        head = {"email": c["email"] or "", "phone": c["phone"], "firstName": c["firstName"], "lastName": c["lastName"]}
        links = self._links(f"/contacts/{c['id']}", CONTACT_LINKS)
        if not synced:
            return {**head, "cdate": c["cdate"], "udate": c["udate"], "orgid": "", "links": links, "id": c["id"],
                    "organization": ""}
        values = [fv["id"] for fv in FIELD_VALUES.table(st).where("contact", c["id"])]
        return {**head, "email_empty": not c["email"], "cdate": c["cdate"], "udate": c["udate"], "orgid": "",
                "orgname": "", "links": links, "hash": c["hash"], "fieldValues": values, "id": c["id"],
                "organization": ""}

    def summary(self, st: State, contact: Row) -> Row:
        """The ``contacts()`` control: id, email, names, phone, ``status`` (`contact_status_word`), ``lists``
        ({list id: status word}), ``tags`` (names), ``fields`` ({perstag: value}) and ``sentcnt``."""
        cid = contact["id"]
        tags, fields = TAGS.table(st), FIELDS.table(st)
        return {
            "id": cid, "email": contact["email"] or "", "firstName": contact["firstName"],
            "lastName": contact["lastName"], "phone": contact["phone"], "status": self.contact_status_word(st, contact),
            "lists": {m["list"]: LIST_STATUS_WORDS[m["status"]] for m in MEMBERSHIPS.table(st).where("contact", cid)},
            "tags": [tags[ct["tag"]]["tag"] for ct in CONTACT_TAGS.table(st).where("contact", cid)],
            "fields": {fields[v["field"]]["perstag"]: v["value"] for v in FIELD_VALUES.table(st).where("contact", cid)},
            "sentcnt": contact["sentcnt"],
        }

    def contact_status_word(self, st: State, contact: Row) -> str:
        """One word for the contact's standing across its lists: bounced (a hard bounce or any
        bounced membership) > active (any active list) > unsubscribed > unconfirmed > none."""
        statuses = {m["status"] for m in MEMBERSHIPS.table(st).where("contact", contact["id"])}
        if contact["bounced_hard"] != "0" or "3" in statuses:
            return "bounced"
        return next((LIST_STATUS_WORDS[code] for code in ("1", "2", "0") if code in statuses), "none")

    @control("contact")
    def contact(self, email: str, account: str = "sandbox") -> Row | None:
        with self.lock:
            st = self.account_state(account)
            found = CONTACTS.table(st).find("email", email.strip())
            return self.summary(st, found) if found else None

    @control("set_contact_status")
    def set_contact_status(self, account: str, email: str, status: str, list_id: str | None = None) -> Row:
        """What a recipient or the vendor does outside the API: ``unsubscribed`` (the recipient clicks
        unsubscribe), ``bounced`` (a hard bounce: marks the contact and its memberships), ``complained`` (the
        recipient marked an email as spam: ActiveCampaign has no complaint status and unsubscribes them, a
        simulator choice, unverified), ``active`` or ``unconfirmed`` — on `list_id` (the membership created if
        needed) or on every list the contact is on."""
        code = STATUS_CODES.get("unsubscribed" if status == "complained" else status)
        if code is None:
            raise ValueError(f"status must be one of {', '.join(STATUS_CODES)}, complained")
        with self.lock:
            st = self.account_state(account)
            contact = CONTACTS.table(st).find("email", email.strip())
            if contact is None:
                raise KeyError(f"no contact {email!r}")
            members = MEMBERSHIPS.table(st).where("contact", contact["id"])
            for lid in [str(list_id)] if list_id is not None else [m["list"] for m in members]:
                if lid not in LISTS.table(st):
                    raise KeyError(f"no list {lid!r}")
                self._set_membership(st, contact, lid, code)
            if code == "3":
                contact.update({"bounced_hard": "1", "bounced_date": self._now_dt().strftime("%Y-%m-%d")})
            self._touch(contact)
            return self.summary(st, contact)

    # ---------------------------------------------------------------- state operations

    def _new_contact(self, st: State, email: str, attrs: dict[str, str]) -> Row:
        cid = self._next_id(st, CONTACTS.name)
        now, utc, ts = self._now(), self._utc_stamp(), self._epoch()
        return CONTACTS.table(st).insert({
            "id": cid, "email": email or None, "phone": attrs.get("phone", ""), "firstName": attrs.get("firstName", ""),
            "lastName": attrs.get("lastName", ""), "cdate": now, "udate": now, "cts": ts, "uts": ts,
            "created_utc": utc, "updated_utc": utc, "hash": hashlib.md5(f"{cid}:{email.lower()}".encode()).hexdigest(),
            "bounced_hard": "0", "bounced_soft": "0", "bounced_date": None, "sentcnt": 0,
        })

    def _touch(self, contact: Row) -> None:
        contact.update(udate=self._now(), updated_utc=self._utc_stamp(), uts=self._epoch())

    def _update_contact(self, st: State, contact: Row, attrs: dict[str, str]) -> None:
        """Apply the given attributes (the email only through the table: it is a unique key)."""
        changes = {k: v for k, v in attrs.items() if contact.get(k) != v}
        if "email" in changes:
            holder = CONTACTS.table(st).find("email", changes["email"])
            if holder is not None and holder is not contact:
                raise self.unprocessable("Email address already exists in the system", "email", code="duplicate")
        if changes:
            CONTACTS.table(st).update(contact, changes)
            self._touch(contact)

    def _delete_contact(self, st: State, contact: Row) -> None:
        for spec in (MEMBERSHIPS, CONTACT_TAGS, FIELD_VALUES, ENROLMENTS):
            table = spec.table(st)
            for row in table.where("contact", contact["id"]):
                del table[row["id"]]
        del CONTACTS.table(st)[contact["id"]]

    def _contact_attrs(self, data: Row, *, email_required: bool) -> dict[str, str]:
        """The contact attributes present in a request body, validated."""
        attrs = {k: text(data[k]).strip() for k in ("firstName", "lastName", "phone") if data.get(k) is not None}
        email = data.get("email")
        if email is None or (isinstance(email, str) and not email.strip()):
            if email_required and not (data.get("allowNullEmail") and attrs.get("phone")):
                raise self.missing_attribute("email")
            return attrs
        if not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
            raise self.unprocessable("Contact Email Address is not valid.", "email", code="email_invalid")
        return {**attrs, "email": email.strip()}

    def _inline_field_values(self, st: State, contact: Row, data: Row) -> list[Row]:
        """Apply ``fieldValues: [{field, value}]``; values for unknown fields are ignored."""
        items = data.get("fieldValues")
        fields = FIELDS.table(st)
        return [self.render_field_value(self._put_field_value(st, contact, fid, item.get("value")))
                for item in (items if isinstance(items, list) else []) if isinstance(item, dict)
                for fid in [sid(item.get("field"))] if fid is not None and fid in fields]

    # ---------------------------------------------------------------- routes

    @route("POST", "/api/3/contacts")
    def create_contact(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contact")
        attrs = self._contact_attrs(data, email_required=True)
        email = attrs.pop("email", "")
        if email and CONTACTS.table(st).find("email", email) is not None:
            raise self.unprocessable("Email address already exists in the system", "email", code="duplicate")
        contact = self._new_contact(st, email, attrs)
        values = self._inline_field_values(st, contact, data)
        return 201, {"fieldValues": values, "contact": self._render_short(st, contact, synced=False)}

    @route("POST", "/api/3/contact/sync")
    def sync_contact(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contact")
        attrs = self._contact_attrs(data, email_required=True)
        email = attrs.pop("email", "")
        contact = CONTACTS.table(st).find("email", email) if email else None
        created = contact is None
        if contact is None:
            contact = self._new_contact(st, email, attrs)
        else:
            self._update_contact(st, contact, attrs)
        values = self._inline_field_values(st, contact, data)
        body = {"fieldValues": values, "contact": self._render_short(st, contact, synced=True)}
        return (201 if created else 200), body

    @route("GET", "/api/3/contacts")
    def list_contacts(self, req: SimRequest) -> Any:
        rows = self._ordered(req, self._filter_contacts(self._st(req), req), {
            "id": lambda c: int(c["id"]), "cdate": lambda c: c["cts"], "email": lambda c: (c["email"] or "").lower(),
            "first_name": lambda c: c["firstName"].lower(), "last_name": lambda c: c["lastName"].lower(),
            "name": lambda c: (c["firstName"] + " " + c["lastName"]).lower(),
        })
        page, meta = self._page(req, rows)
        limit, offset = self._window(req)
        meta["page_input"] = {
            "segmentid": _int_arg(req, "segmentid", 0), "formid": 0, "listid": _int_arg(req, "listid", 0),
            "tagid": _int_arg(req, "tagid", 0), "limit": limit, "offset": offset, "search": req.arg("search"),
            "sort": None, "seriesid": _int_arg(req, "seriesid", 0), "waitid": 0, "status": _int_arg(req, "status", -1),
            "forceQuery": 0, "cacheid": hashlib.md5(repr(sorted(req.query.items())).encode()).hexdigest(),
        }
        return 200, {"scoreValues": [], "contacts": [self.render_contact(c) for c in page], "meta": meta}

    def _filter_contacts(self, st: State, req: SimRequest) -> list[Row]:
        contacts = CONTACTS.table(st)
        email, like, search, phone = req.arg("email"), req.arg("email_like"), req.arg("search"), req.arg("phone")
        rows = [c for c in [contacts.find("email", email.strip())] if c is not None] if email else contacts.rows()
        if like:
            rows = [c for c in rows if like.lower() in (c["email"] or "").lower()]
        if search:
            needle = search.lower()
            rows = [c for c in rows if needle in (c["email"] or "").lower()
                    or needle in f"{c['firstName']} {c['lastName']}".lower() or needle in c["phone"].lower()]
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
        for name, key, after in DATE_FILTERS:
            raw = req.arg(name)
            moment = _date_bound(raw) if raw else None
            if moment is not None:
                rows = [c for c in rows if (c[key] > moment if after else c[key] < moment)]
        status = req.arg("status")
        status = None if status in (None, "", "-1") else status
        listid, tagid, segmentid, seriesid = (sid(req.arg(k)) for k in ("listid", "tagid", "segmentid", "seriesid"))
        keep: set[str] | None = None  # the contact ids the list, tag, segment and automation filters allow
        if listid and listid != "0":
            keep = {m["contact"] for m in MEMBERSHIPS.table(st).where("list", listid) if status in (None, m["status"])}
        elif status is not None:
            keep = {m["contact"] for m in MEMBERSHIPS.table(st).values() if m["status"] == status}
        if tagid and tagid != "0":
            keep = _narrow(keep, {ct["contact"] for ct in CONTACT_TAGS.table(st).where("tag", tagid)})
        if segmentid and segmentid != "0":
            segment = SEGMENTS.table(st).get(segmentid)
            members = self._segment_member_ids(st, segment) if segment else set()
            if members is not None:
                keep = _narrow(keep, members)
        if seriesid and seriesid != "0":
            keep = _narrow(keep, {e["contact"] for e in ENROLMENTS.table(st).where("automation", seriesid)})
        return rows if keep is None else [c for c in rows if c["id"] in keep]

    @route("GET", "/api/3/contacts/{id}")
    def get_contact(self, req: SimRequest) -> Any:
        st, contact = self._row(req, CONTACTS)
        lists, values, enrolments = (spec.table(st).where("contact", contact["id"])
                                     for spec in (MEMBERSHIPS, FIELD_VALUES, ENROLMENTS))
        body = self.render_contact(contact)
        tail = {key: body.pop(key) for key in ("scoreValues", "links", "id", "organization")}
        body.update({  # the ids of the side-loaded objects, then the usual tail (the vendor's key order)
            "contactAutomations": [e["id"] for e in enrolments], "contactLists": [m["id"] for m in lists],
            "fieldValues": [v["id"] for v in values], "geoIps": [], "deals": [], "accountContacts": [],
            "links": tail["links"], "id": tail["id"], "organization": tail["organization"],
        })
        return 200, {
            "contactAutomations": [self.render_enrolment(e) for e in enrolments],
            "contactLists": [self.render_contact_list(st, m) for m in lists], "deals": [],
            "fieldValues": [self.render_field_value(v) for v in values], "geoAddresses": [], "geoIps": [],
            "contact": body,
        }

    @route("PUT", "/api/3/contacts/{id}")
    def update_contact(self, req: SimRequest) -> Any:
        st, contact = self._row(req, CONTACTS)
        data = self._wrapped(req, "contact")
        self._update_contact(st, contact, self._contact_attrs(data, email_required=False))
        values = self._inline_field_values(st, contact, data)
        return 200, {"fieldValues": values, "contact": self.render_contact(contact)}

    @route("DELETE", "/api/3/contacts/{id}")
    def delete_contact(self, req: SimRequest) -> Any:
        st = self._st(req)
        contact = CONTACTS.table(st).get(req.params["id"])
        if contact is None:  # this endpoint's documented 404 spells the model in lower case
            raise Abort(self.error(404, f"No result found for contact with id {req.params['id']}"))
        self._delete_contact(st, contact)
        return 200, {}

    @route("GET", "/api/3/contacts/{id}/contactLists")
    @route("GET", "/api/3/contacts/{id}/contactTags")
    @route("GET", "/api/3/contacts/{id}/fieldValues")
    @route("GET", "/api/3/contacts/{id}/contactAutomations")
    def contact_children(self, req: SimRequest) -> Any:
        st, contact = self._row(req, CONTACTS)
        kind = req.path.rsplit("/", 1)[1]
        spec, render = {
            "contactLists": (MEMBERSHIPS, lambda m: self.render_contact_list(st, m)),
            "contactTags": (CONTACT_TAGS, self.render_contact_tag),
            "fieldValues": (FIELD_VALUES, self.render_field_value),
            "contactAutomations": (ENROLMENTS, self.render_enrolment),
        }[kind]
        return 200, {kind: [render(row) for row in spec.table(st).where("contact", contact["id"])]}


def _narrow(keep: set[str] | None, allowed: set[str]) -> set[str]:
    return allowed if keep is None else keep & allowed

