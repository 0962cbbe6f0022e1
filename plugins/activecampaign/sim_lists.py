"""Lists, list memberships and segments in the ActiveCampaign simulator.

``POST /lists`` needs ``name``, ``stringid``, ``sender_url`` and ``sender_reminder``; ``GET /lists``
filters with ``filters[name]`` (contains) or ``filters[name][<op>]``. ``POST /contactLists`` sets a
contact's status on a list: "1" subscribes, "2" unsubscribes — and, exactly like the vendor (whose
docs carry a warning about it), "1" re-subscribes someone who had unsubscribed or bounced. Membership
statuses read back as "0" unconfirmed, "1" active, "2" unsubscribed, "3" bounced. Segments are
read-only through the API; they are made as a user would in the UI (the ``add_segment`` control).

Simulator choices (unverified): ``POST /contactLists`` accepts only status 1 and 2 (anything else is
a 422 ``invalid``); it creates the membership when there is none (also for status 2); its answer
echoes ``status`` as sent (the spec's example shows the integer); unknown contact or list ids are the
model-named 404s. Deleting a list removes its memberships.
"""

from __future__ import annotations

from typing import Any

from hub.simulator import SimRequest, route
from hub_activecampaign.sim_shapes import (
    MODEL_CONTACT,
    MODEL_LIST,
    MODEL_SEGMENT,
    flag,
    missing_attribute,
    name_filters,
    not_found,
    op_matches,
    sid,
    text,
    unprocessable,
)

LIST_REQUIRED = ("name", "stringid", "sender_url", "sender_reminder")
LIST_OPTIONAL = ("carboncopy", "subscription_notify", "unsubscription_notify")


class ListsMixin:
    """Lists, ``/contactLists`` and segments."""

    # ---------------------------------------------------------------- rendering

    def render_list(self, lst: dict[str, Any]) -> dict[str, Any]:
        return {
            "stringid": lst["stringid"],
            "userid": lst["userid"],
            "name": lst["name"],
            "cdate": lst["cdate"],
            "p_use_tracking": "1",
            "p_use_analytics_read": "0",
            "p_use_analytics_link": "0",
            "p_use_twitter": "0",
            "p_use_facebook": "0",
            "p_embed_image": "1",
            "p_use_captcha": "1",
            "send_last_broadcast": lst["send_last_broadcast"],
            "private": "0",
            "analytics_domains": None,
            "analytics_source": "",
            "analytics_ua": "",
            "twitter_token": "",
            "twitter_token_secret": "",
            "facebook_session": None,
            "carboncopy": lst["carboncopy"],
            "subscription_notify": lst["subscription_notify"],
            "unsubscription_notify": lst["unsubscription_notify"],
            "require_name": "0",
            "get_unsubscribe_reason": "0",
            "to_name": "Subscriber",
            "optinoptout": "1",
            "sender_name": "",
            "sender_addr1": "",
            "sender_addr2": "",
            "sender_city": "",
            "sender_state": "",
            "sender_zip": "",
            "sender_country": "",
            "sender_phone": "",
            "sender_url": lst["sender_url"],
            "sender_reminder": lst["sender_reminder"],
            "fulladdress": "",
            "optinmessageid": "0",
            "optoutconf": "0",
            "deletestamp": None,
            "udate": lst["udate"],
            "channel": lst["channel"],
            "links": self._list_links(lst["id"]),
            "id": lst["id"],
            "user": lst["userid"],
        }

    def _list_links(self, lid: str) -> dict[str, str]:
        return self._links(f"/lists/{lid}", ("addressLists", "contactGoalLists", "user"))

    def render_contact_list(self, st: dict[str, Any], m: dict[str, Any]) -> dict[str, Any]:
        contact = st["contacts"].get(m["contact"], {})
        return {
            "contact": m["contact"],
            "list": m["list"],
            "form": None,
            "seriesid": "0",
            "sdate": m["sdate"],
            "udate": m["udate"],
            "status": m["status"],
            "responder": "1",
            "sync": "0",
            "unsubreason": m["unsubreason"],
            "campaign": None,
            "message": None,
            "first_name": contact.get("firstName", ""),
            "last_name": contact.get("lastName", ""),
            "ip4Sub": "0",
            "sourceid": m["sourceid"],
            "autosyncLog": None,
            "ip4_last": "0",
            "ip4Unsub": "0",
            "created_timestamp": m["created_timestamp"],
            "updated_timestamp": m["updated_timestamp"],
            "created_by": None,
            "updated_by": None,
            "unsubscribeAutomation": None,
            "links": self._links(
                f"/contactLists/{m['id']}",
                (
                    "automation",
                    "list",
                    "contact",
                    "form",
                    "autosyncLog",
                    "campaign",
                    "unsubscribeAutomation",
                    "message",
                ),
            ),
            "id": m["id"],
            "automation": None,
        }

    def render_segment(self, segment: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": segment["name"],
            "logic": segment["logic"],
            "hidden": "0",
            "seriesid": "0",
            "cdate": segment["cdate"],
            "udate": segment["udate"],
            "links": self._links(f"/segments/{segment['id']}", ("segmentGroups",)),
            "id": segment["id"],
        }

    # ---------------------------------------------------------------- memberships

    def _set_membership(
        self,
        st: dict[str, Any],
        contact: dict[str, Any],
        list_id: str,
        status: str,
        *,
        resubscribe: bool = True,
        sourceid: str = "0",
        webhook_source: str | None = "api",
    ) -> tuple[dict[str, Any], bool]:
        """Set the contact's status on a list (creating the membership); returns (membership, changed).
        With ``resubscribe=False`` (imports) status "1" leaves an unsubscribed or bounced member alone."""
        cid = contact["id"]
        by_list = st["cl_by_contact"].setdefault(cid, {})
        clid = by_list.get(list_id)
        now, utc = self._now(), self._utc_stamp()
        if clid is None:
            clid = self._new_id(st, "contact_lists")
            member = {
                "id": clid,
                "contact": cid,
                "list": list_id,
                "status": status,
                "sdate": now,
                "udate": None,
                "sourceid": sourceid,
                "unsubreason": None,
                "created_timestamp": utc,
                "updated_timestamp": utc,
            }
            st["contact_lists"][clid] = member
            by_list[list_id] = clid
            changed = True
        else:
            member = st["contact_lists"][clid]
            if member["status"] == status or (status == "1" and not resubscribe and member["status"] in ("2", "3")):
                return member, False
            member.update({"status": status, "udate": now, "updated_timestamp": utc, "sourceid": sourceid})
            if status == "1":
                member["sdate"] = now
            changed = True
        if changed and webhook_source is not None and status in ("1", "2"):
            event = "subscribe" if status == "1" else "unsubscribe"
            self._fire(st, event, webhook_source, list_id=list_id, contact=contact)
        return member, changed

    def _list_member_ids(self, st: dict[str, Any], list_id: str, status: str = "1") -> list[str]:
        """Contact ids with `status` on the list, oldest membership first."""
        return [m["contact"] for m in st["contact_lists"].values() if m["list"] == list_id and m["status"] == status]

    def _segment_member_ids(self, st: dict[str, Any], segment: dict[str, Any]) -> set[str] | None:
        """The contacts a segment matches: the ones named when it was built, or None (everyone)."""
        emails = segment.get("emails")
        if emails is None:
            return None
        return {st["by_email"][e.lower()] for e in emails if e.lower() in st["by_email"]}

    # ---------------------------------------------------------------- lists

    def _list_fields(self, data: dict[str, Any], *, create: bool) -> dict[str, Any]:
        if create:
            absent = [k for k in LIST_REQUIRED if data.get(k) in (None, "")]
            if absent:
                raise missing_attribute(*absent)
        fields: dict[str, Any] = {}
        for key in LIST_REQUIRED:
            if data.get(key) not in (None, ""):
                fields[key] = text(data[key]).strip()
        for key in LIST_OPTIONAL:
            if key in data:
                fields[key] = text(data[key]) or None
        if "send_last_broadcast" in data:
            fields["send_last_broadcast"] = flag(data["send_last_broadcast"])
        if data.get("user") not in (None, ""):
            fields["userid"] = text(data["user"])
        if "channel" in data:
            channel = text(data["channel"]).lower()
            if channel not in ("email", "sms"):
                raise unprocessable("Invalid channel", "channel", detail="channel must be email or sms")
            fields["channel"] = channel
        return fields

    def _check_stringid(self, st: dict[str, Any], stringid: str | None, own: str | None = None) -> None:
        if stringid is None:
            return
        for lst in st["lists"].values():
            if lst["id"] != own and lst["stringid"].lower() == stringid.lower():
                raise unprocessable("The list stringid is already in use", "stringid", code="duplicate")

    @route("POST", "/api/3/lists")
    def create_list(self, req: SimRequest) -> Any:
        st = self._st(req)
        fields = self._list_fields(self._wrapped(req, "list"), create=True)
        self._check_stringid(st, fields.get("stringid"))
        lid = self._new_id(st, "lists")
        now = self._now()
        lst = {
            "id": lid,
            "userid": "1",
            "send_last_broadcast": "0",
            "carboncopy": None,
            "subscription_notify": None,
            "unsubscription_notify": None,
            "channel": "email",
            "cdate": now,
            "udate": now,
            **fields,
        }
        st["lists"][lid] = lst
        short = {"name": lst["name"], "stringid": lst["stringid"], "cdate": now, "udate": now}
        return 200, {"list": {**short, "links": self._list_links(lid), "id": lid}}

    @route("GET", "/api/3/lists")
    def list_lists(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = list(st["lists"].values())
        for op, needle in name_filters(req, "name"):
            rows = [lst for lst in rows if op_matches(lst["name"], op, needle)]
        order = (req.arg("orders[name]") or "").upper()
        if order in ("ASC", "DESC"):
            rows.sort(key=lambda lst: lst["name"].lower(), reverse=order == "DESC")
        elif order == "WEIGHT":
            needle = (req.arg("filters[name]") or "").lower()
            rows.sort(key=lambda lst: (lst["name"].lower() != needle, not lst["name"].lower().startswith(needle)))
        page, meta = self._page(req, rows)
        return 200, {"lists": [self.render_list(lst) for lst in page], "meta": meta}

    @route("GET", "/api/3/lists/{id}")
    def get_list(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"list": self.render_list(self._find(st, "lists", req.params["id"], MODEL_LIST))}

    @route("PUT", "/api/3/lists/{id}")
    def update_list(self, req: SimRequest) -> Any:
        st = self._st(req)
        lst = self._find(st, "lists", req.params["id"], MODEL_LIST)
        fields = self._list_fields(self._wrapped(req, "list"), create=False)
        self._check_stringid(st, fields.get("stringid"), own=lst["id"])
        lst.update(fields)
        lst["udate"] = self._now()
        return 200, {"list": self.render_list(lst)}

    @route("DELETE", "/api/3/lists/{id}")
    def delete_list(self, req: SimRequest) -> Any:
        st = self._st(req)
        lst = self._find(st, "lists", req.params["id"], MODEL_LIST)
        lid = lst["id"]
        for clid in [m["id"] for m in st["contact_lists"].values() if m["list"] == lid]:
            member = st["contact_lists"].pop(clid)
            st["cl_by_contact"].get(member["contact"], {}).pop(lid, None)
        del st["lists"][lid]
        return 200, {}

    # ---------------------------------------------------------------- contactLists

    @route("POST", "/api/3/contactLists")
    def post_contact_list(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contactList")
        absent = [k for k in ("list", "contact", "status") if data.get(k) in (None, "")]
        if absent:
            raise missing_attribute(*absent)
        contact = st["contacts"].get(sid(data["contact"]) or "")
        if contact is None:
            raise not_found(MODEL_CONTACT, data["contact"])
        list_id = sid(data["list"]) or ""
        if list_id not in st["lists"]:
            raise not_found(MODEL_LIST, data["list"])
        status = text(data["status"]).strip()
        if status not in ("1", "2"):
            raise unprocessable("Invalid status", "status", detail="status must be 1 (subscribe) or 2 (unsubscribe)")
        sourceid = text(data.get("sourceid")) or "0"
        member, _ = self._set_membership(st, contact, list_id, status, sourceid=sourceid)
        rendered = self.render_contact_list(st, member)
        rendered["status"] = data["status"]  # echoed as sent, like the vendor's example
        return 200, {"contacts": [self.render_contact(contact)], "contactList": rendered}

    # ---------------------------------------------------------------- segments (read-only)

    @route("GET", "/api/3/segments")
    def list_segments(self, req: SimRequest) -> Any:
        st = self._st(req)
        page, meta = self._page(req, list(st["segments"].values()))
        return 200, {"segments": [self.render_segment(s) for s in page], "meta": meta}

    @route("GET", "/api/3/segments/{id}")
    def get_segment(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"segment": self.render_segment(self._find(st, "segments", req.params["id"], MODEL_SEGMENT))}
