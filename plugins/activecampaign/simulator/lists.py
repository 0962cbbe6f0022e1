"""Lists, list memberships and segments in the ActiveCampaign simulator.

``POST /lists`` needs ``name``, ``stringid``, ``sender_url`` and ``sender_reminder``; ``GET /lists``
filters with ``filters[name]`` (contains) or ``filters[name][<op>]``. ``POST /contactLists`` sets a
contact's status on a list: "1" subscribes, "2" unsubscribes — and, exactly like the vendor (whose
docs carry a warning about it), "1" re-subscribes someone who had unsubscribed or bounced. Membership
statuses read back as "0" unconfirmed, "1" active, "2" unsubscribed, "3" bounced. Segments are
read-only through the API; they are made as a user would in the UI (the ``add_segment`` control).

Simulator choices (unverified): list names may repeat; a list ``stringid`` is unique (422 ``duplicate``);
``POST /contactLists`` accepts only status 1 and 2 (anything else is a 422 ``invalid``); it creates the
membership when there is none (also for status 2); its answer echoes ``status`` as sent (the spec's
example shows the integer); unknown contact or list ids are the model-named 404s. Deleting a list removes
its memberships.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.simulator import Collection, Row, SimRequest, control, route

from .shapes import CONTACTS, LIST_STATUS_WORDS, ActiveCampaignBase, State, flag, name_filtered, name_ordered, text

LISTS = Collection("lists", model="_List", unique=("stringid",), render="show_list")
MEMBERSHIPS = Collection("contact_lists", model="ContactList", index=("contact", "list"))
SEGMENTS = Collection("segments", model="Segment", render="render_segment")  # emails: None = everyone
LIST_REQUIRED = ("name", "stringid", "sender_url", "sender_reminder")
LIST_OPTIONAL = ("carboncopy", "subscription_notify", "unsubscription_notify")
MEMBERSHIP_LINKS = ("automation", "list", "contact", "form", "autosyncLog", "campaign", "unsubscribeAutomation",
                    "message")


class ActiveCampaignLists(ActiveCampaignBase):
    """Lists, ``/contactLists`` and segments."""

    def render_list(self, lst: Row) -> Row:
        return {
            "stringid": lst["stringid"], "userid": lst["userid"], "name": lst["name"], "cdate": lst["cdate"],
            "p_use_tracking": "1", "p_use_analytics_read": "0", "p_use_analytics_link": "0", "p_use_twitter": "0",
            "p_use_facebook": "0", "p_embed_image": "1", "p_use_captcha": "1",
            "send_last_broadcast": lst["send_last_broadcast"], "private": "0", "analytics_domains": None,
            "analytics_source": "", "analytics_ua": "", "twitter_token": "", "twitter_token_secret": "",
            "facebook_session": None, "carboncopy": lst["carboncopy"],
            "subscription_notify": lst["subscription_notify"], "unsubscription_notify": lst["unsubscription_notify"],
            "require_name": "0", "get_unsubscribe_reason": "0",
            "to_name": "Subscriber", "optinoptout": "1", "sender_name": "", "sender_addr1": "", "sender_addr2": "",
            "sender_city": "", "sender_state": "", "sender_zip": "", "sender_country": "", "sender_phone": "",
            "sender_url": lst["sender_url"], "sender_reminder": lst["sender_reminder"], "fulladdress": "",
            "optinmessageid": "0", "optoutconf": "0", "deletestamp": None, "udate": lst["udate"],
            "channel": lst["channel"], "links": self._list_links(lst["id"]), "id": lst["id"], "user": lst["userid"],
        }

    def show_list(self, st: State, lst: Row) -> Row:
        """The ``lists()`` control: every list as v3 renders it, with ``counts`` of members per status word."""
        counts = dict.fromkeys(LIST_STATUS_WORDS.values(), 0)
        for m in MEMBERSHIPS.table(st).where("list", lst["id"]):
            counts[LIST_STATUS_WORDS[m["status"]]] += 1
        return {**self.render_list(lst), "counts": counts}

    def _list_links(self, lid: str) -> dict[str, str]:
        return self._links(f"/lists/{lid}", ("addressLists", "contactGoalLists", "user"))

    def render_contact_list(self, st: State, m: Row) -> Row:
        contact = CONTACTS.table(st).get(m["contact"], {})
        return {
            "contact": m["contact"], "list": m["list"], "form": None, "seriesid": "0", "sdate": m["sdate"],
            "udate": m["udate"], "status": m["status"], "responder": "1", "sync": "0", "unsubreason": m["unsubreason"],
            "campaign": None, "message": None, "first_name": contact.get("firstName", ""),
            "last_name": contact.get("lastName", ""), "ip4Sub": "0", "sourceid": m["sourceid"], "autosyncLog": None,
            "ip4_last": "0", "ip4Unsub": "0", "created_timestamp": m["created_timestamp"],
            "updated_timestamp": m["updated_timestamp"], "created_by": None, "updated_by": None,
            "unsubscribeAutomation": None, "links": self._links(f"/contactLists/{m['id']}", MEMBERSHIP_LINKS),
            "id": m["id"], "automation": None,
        }

    def render_segment(self, st: State, segment: Row) -> Row:
        return {
            "name": segment["name"], "logic": segment["logic"], "hidden": "0", "seriesid": "0",
            "cdate": segment["cdate"], "udate": segment["udate"],
            "links": self._links(f"/segments/{segment['id']}", ("segmentGroups",)), "id": segment["id"],
        }

    @control("add_segment")
    def add_segment(self, account: str, name: str, emails: Iterable[str] | None = None) -> Row:
        """Build a segment as a user would in the UI (the API cannot). With `emails` the segment matches
        exactly those contacts; without, it matches everyone (its conditions are not simulated)."""
        with self.lock:
            st, now = self.account_state(account), self._now()
            segment = self._add(st, SEGMENTS, name=name, logic="and", cdate=now, udate=now,
                                emails=None if emails is None else [str(e) for e in emails])
            return self.render_segment(st, segment)

    # ---------------------------------------------------------------- memberships

    def _set_membership(self, st: State, contact: Row, list_id: str, status: str, *, resubscribe: bool = True,
                        sourceid: str = "0") -> Row:
        """Set the contact's status on a list (creating the membership). With ``resubscribe=False`` (imports)
        status "1" leaves an unsubscribed or bounced member alone."""
        found = MEMBERSHIPS.table(st).rows(("contact", contact["id"]), ("list", list_id))
        now, utc = self._now(), self._utc_stamp()
        if not found:
            return self._add(st, MEMBERSHIPS, contact=contact["id"], list=list_id, status=status, sdate=now, udate=None,
                             sourceid=sourceid, unsubreason=None, created_timestamp=utc, updated_timestamp=utc)
        member = found[0]
        if member["status"] == status or (status == "1" and not resubscribe and member["status"] in ("2", "3")):
            return member
        member.update({"status": status, "udate": now, "updated_timestamp": utc, "sourceid": sourceid})
        if status == "1":
            member["sdate"] = now
        return member

    def _segment_member_ids(self, st: State, segment: Row) -> set[str] | None:
        """The contacts a segment matches: the ones named when it was built, or None (everyone)."""
        if segment.get("emails") is None:
            return None
        contacts = CONTACTS.table(st)
        return {c["id"] for c in (contacts.find("email", e) for e in segment["emails"]) if c is not None}

    # ---------------------------------------------------------------- lists

    def _list_fields(self, st: State, data: Row, own: Row | None) -> Row:
        if own is None:
            self.required(data, *LIST_REQUIRED)
        fields: Row = {k: text(data[k]).strip() for k in LIST_REQUIRED if data.get(k) not in (None, "")}
        fields.update({k: text(data[k]) or None for k in LIST_OPTIONAL if k in data})
        if "send_last_broadcast" in data:
            fields["send_last_broadcast"] = flag(data["send_last_broadcast"])
        if data.get("user") not in (None, ""):
            fields["userid"] = text(data["user"])
        if "channel" in data:
            fields["channel"] = text(data["channel"]).lower()
            if fields["channel"] not in ("email", "sms"):
                raise self.unprocessable("Invalid channel", "channel", detail="channel must be email or sms")
        holder = LISTS.table(st).find("stringid", fields["stringid"]) if "stringid" in fields else None
        if holder is not None and holder is not own:
            raise self.unprocessable("The list stringid is already in use", "stringid", code="duplicate")
        return fields

    @route("POST", "/api/3/lists")
    def create_list(self, req: SimRequest) -> Any:
        st = self._st(req)
        fields = self._list_fields(st, self._wrapped(req, "list"), None)
        now = self._now()
        lst = self._add(st, LISTS, **{"userid": "1", "send_last_broadcast": "0", "carboncopy": None,
                                      "subscription_notify": None, "unsubscription_notify": None, "channel": "email",
                                      "cdate": now, "udate": now, **fields})
        short = {"name": lst["name"], "stringid": lst["stringid"], "cdate": now, "udate": now}
        return 200, {"list": {**short, "links": self._list_links(lst["id"]), "id": lst["id"]}}

    @route("GET", "/api/3/lists")
    def list_lists(self, req: SimRequest) -> Any:
        rows = name_filtered(req, LISTS.table(self._st(req)).rows(), "name", "name")
        rows = name_ordered(rows, "name", req.arg("orders[name]"), req.arg("filters[name]"))
        page, meta = self._page(req, rows)
        return 200, {"lists": [self.render_list(lst) for lst in page], "meta": meta}

    @route("GET", "/api/3/lists/{id}")
    def get_list(self, req: SimRequest) -> Any:
        return 200, {"list": self.render_list(self._row(req, LISTS)[1])}

    @route("PUT", "/api/3/lists/{id}")
    def update_list(self, req: SimRequest) -> Any:
        st, lst = self._row(req, LISTS)
        LISTS.table(st).update(lst, self._list_fields(st, self._wrapped(req, "list"), lst), udate=self._now())
        return 200, {"list": self.render_list(lst)}

    @route("DELETE", "/api/3/lists/{id}")
    def delete_list(self, req: SimRequest) -> Any:
        st, lst = self._row(req, LISTS, remove=True)
        members = MEMBERSHIPS.table(st)
        for m in members.where("list", lst["id"]):
            del members[m["id"]]
        return 200, {}

    @route("POST", "/api/3/contactLists")
    def post_contact_list(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._wrapped(req, "contactList")
        self.required(data, "list", "contact", "status")
        contact, lst = self._ref(st, CONTACTS, data["contact"]), self._ref(st, LISTS, data["list"])
        status = text(data["status"]).strip()
        if status not in ("1", "2"):
            detail = "status must be 1 (subscribe) or 2 (unsubscribe)"
            raise self.unprocessable("Invalid status", "status", detail=detail)
        member = self._set_membership(st, contact, lst["id"], status, sourceid=text(data.get("sourceid")) or "0")
        rendered = {**self.render_contact_list(st, member), "status": data["status"]}  # echoed as sent
        return 200, {"contacts": [self.render_contact(contact)], "contactList": rendered}

    @route("GET", "/api/3/segments")
    def list_segments(self, req: SimRequest) -> Any:
        st = self._st(req)
        page, meta = self._page(req, SEGMENTS.table(st).rows())
        return 200, {"segments": [self.render_segment(st, s) for s in page], "meta": meta}

    @route("GET", "/api/3/segments/{id}")
    def get_segment(self, req: SimRequest) -> Any:
        return 200, {"segment": self.render_segment(*self._row(req, SEGMENTS))}
