"""Campaigns and messages in the ActiveCampaign simulator (the v3 side; creating and sending is v1).

v3 lists and reads campaigns with their report counters as strings (``send_amt``, ``total_amt``,
``opens``, ``uniqueopens``, ``linkclicks``, ``uniquelinkclicks``, ``subscriberclicks``, ``forwards``,
``hardbounces``, ``softbounces``, ``unsubscribes``, ``replies``…), their tracked links, and deletes them;
messages have full CRUD. Campaigns are created — and sent — through the v1 ``campaign_create`` action
(`sim_v1`). Campaign statuses (v1 numbering, shared by v3): "0" draft, "1" scheduled, "2" sending,
"3" paused, "4" stopped, "5" completed. Sending delivers at once to the contacts that are active
("1") on any of the campaign's lists — once each, narrowed to the segment's contacts when the campaign
names a segment built with explicit members — and sets ``send_amt``/``total_amt`` to their number;
a scheduled campaign is sent on the first request after its ``sdate`` passes (by ``clock.utcnow()``).
Opens, clicks and the other counters move only through the ``set_campaign_stats`` control.

Simulator choices (unverified): a send completes instantly (status "5", never observed as "2");
``GET /campaigns`` lists oldest first and takes ``filters[<any campaign attribute>]=value`` as
equality; tracked links are the read tracker ("open") plus every distinct http(s) ``href`` of the
message HTML; ``POST /campaign`` and ``PUT /campaigns/{id}/edit`` (the newer draft endpoints) are not
simulated; ``POST /messages`` requires ``fromname``, ``fromemail`` (or ``email``) and ``reply2``.
"""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import SimRequest, route
from hub_activecampaign.sim_shapes import (
    EMAIL_RE,
    MODEL_CAMPAIGN,
    MODEL_MESSAGE,
    missing_attribute,
    text,
    unprocessable,
)

CAMPAIGN_STATUSES = {"0": "draft", "1": "scheduled", "2": "sending", "3": "paused", "4": "stopped", "5": "completed"}
CAMPAIGN_TYPES = ("single", "recurring", "split", "responder", "reminder", "activerss", "text")
COUNTERS = (
    "send_amt",
    "total_amt",
    "opens",
    "uniqueopens",
    "linkclicks",
    "uniquelinkclicks",
    "subscriberclicks",
    "forwards",
    "uniqueforwards",
    "hardbounces",
    "softbounces",
    "unsubscribes",
    "unsubreasons",
    "updates",
    "socialshares",
    "replies",
    "uniquereplies",
)
MESSAGE_TEXT_FIELDS = ("name", "fromname", "fromemail", "reply2", "subject", "preheader_text", "text", "html")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


class CampaignsMixin:
    """v3 ``/campaigns`` and ``/messages``, and the send machinery v1 drives."""

    # ---------------------------------------------------------------- rendering

    def render_campaign(self, c: dict[str, Any]) -> dict[str, Any]:
        counters = c["counters"]
        body: dict[str, Any] = {
            "type": c["type"],
            "userid": "1",
            "segmentid": c["segmentid"],
            "bounceid": "-1",
            "realcid": "0",
            "sendid": "0",
            "threadid": "0",
            "seriesid": "0",
            "formid": "0",
            "basetemplateid": "",
            "basemessageid": next(iter(c["messages"]), "0"),
            "addressid": "0",
            "source": "api",
            "name": c["name"],
            "cdate": c["cdate"],
            "mdate": c["mdate"],
            "sdate": c["sdate"],
            "ldate": c["ldate"],
        }
        body.update({name: str(counters.get(name, 0)) for name in COUNTERS})
        body.update(
            {
                "status": c["status"],
                "public": c["public"],
                "mail_transfer": "0",
                "mail_send": "1" if c["status"] == "5" else "0",
                "mail_cleanup": "1" if c["status"] == "5" else "0",
                "mailer_log_file": "0",
                "tracklinks": c["tracklinks"],
                "tracklinksanalytics": "0",
                "trackreads": c["trackreads"],
                "trackreadsanalytics": "0",
                "analytics_campaign_name": "",
                "tweet": "0",
                "facebook": "0",
                "survey": "",
                "embed_images": "0",
                "htmlunsub": c["htmlunsub"],
                "textunsub": c["textunsub"],
                "htmlunsubdata": None,
                "textunsubdata": None,
                "recurring": "day1",
                "willrecur": "0",
                "split_type": "even",
                "split_content": "0",
                "split_offset": "2",
                "split_offset_type": "day",
                "split_winner_messageid": "0",
                "split_winner_awaiting": "0",
                "responder_offset": "0",
                "responder_type": "subscribe",
                "responder_existing": "0",
                "reminder_field": "sdate",
                "reminder_format": None,
                "reminder_type": "month_day",
                "reminder_offset": "0",
                "reminder_offset_type": "day",
                "reminder_offset_sign": "+",
                "reminder_last_cron_run": None,
                "activerss_interval": "day1",
                "activerss_url": None,
                "activerss_items": "10",
                "ip4": "0",
                "laststep": "",
                "managetext": "0",
                "schedule": "1" if c["status"] == "1" else "0",
                "scheduleddate": c["sdate"] if c["status"] == "1" else None,
                "waitpreview": "0",
                "deletestamp": None,
                "replysys": c["trackreplies"],
                "links": self._links(
                    f"/campaigns/{c['id']}",
                    (
                        "user",
                        "automation",
                        "campaignMessage",
                        "campaignMessages",
                        "links",
                        "aggregateRevenues",
                        "campaignLists",
                    ),
                ),
                "id": c["id"],
                "user": "1",
                "automation": None,
            }
        )
        return body

    def render_message(self, m: dict[str, Any]) -> dict[str, Any]:
        return {
            "userid": "1",
            "ed_instanceid": "0",
            "ed_version": "1",
            "cdate": m["cdate"],
            "mdate": m["mdate"],
            "name": m["name"],
            "fromname": m["fromname"],
            "fromemail": m["fromemail"],
            "reply2": m["reply2"],
            "priority": m["priority"],
            "charset": m["charset"],
            "encoding": m["encoding"],
            "format": m["format"],
            "subject": m["subject"],
            "preheader_text": m["preheader_text"],
            "text": m["text"],
            "html": m["html"],
            "htmlfetch": "now",
            "textfetch": "now",
            "hidden": "0",
            "preview_mime": "",
            "preview_data": None,
            "has_predictive_content": "0",
            "links": self._links(f"/messages/{m['id']}", ("user", "hyperlinks")),
            "id": m["id"],
            "user": "1",
        }

    # ---------------------------------------------------------------- state operations

    def _new_message(self, st: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        mid = self._new_id(st, "messages")
        now = self._now()
        message = {
            "id": mid,
            "cdate": now,
            "mdate": now,
            "name": "",
            "fromname": "",
            "fromemail": "",
            "reply2": "",
            "priority": "3",
            "charset": "utf-8",
            "encoding": "quoted-printable",
            "format": "mime",
            "subject": "",
            "preheader_text": "",
            "text": "",
            "html": "",
            "lists": [],
            **values,
        }
        st["messages"][mid] = message
        return message

    def _new_campaign(self, st: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        cid = self._new_id(st, "campaigns")
        now = self._now()
        campaign = {
            "id": cid,
            "type": "single",
            "name": "",
            "cdate": now,
            "mdate": now,
            "sdate": None,
            "ldate": None,
            "send_at": None,
            "sent_at": None,
            "status": "0",
            "public": "1",
            "tracklinks": "all",
            "trackreads": "1",
            "trackreplies": "0",
            "htmlunsub": "0",
            "textunsub": "0",
            "segmentid": "0",
            "lists": [],
            "messages": {},
            "counters": {},
            "recipients": [],
            "links": [],
            **values,
        }
        st["campaigns"][cid] = campaign
        campaign["links"] = self._tracked_links(st, campaign)
        return campaign

    def _tracked_links(self, st: dict[str, Any], campaign: dict[str, Any]) -> list[dict[str, Any]]:
        """The read tracker per message and every http(s) link of its HTML, as the vendor tracks them."""
        links: list[dict[str, Any]] = []
        for mid in campaign["messages"]:
            message = st["messages"].get(mid)
            if message is None:
                continue
            if campaign["trackreads"] == "1":
                links.append({"id": self._new_id(st, "links"), "message": mid, "link": "open", "name": "Read Tracker"})
            if campaign["tracklinks"] in ("all", "html", "mime"):
                seen: set[str] = set()
                for url in _HREF.findall(message["html"] or ""):
                    if url.lower().startswith(("http://", "https://")) and url not in seen:
                        seen.add(url)
                        links.append({"id": self._new_id(st, "links"), "message": mid, "link": url, "name": ""})
        return links

    def _deliver(self, st: dict[str, Any], campaign: dict[str, Any]) -> None:
        """Send now: to every contact active on one of the campaign's lists, once."""
        recipients: dict[str, None] = {}
        for lid in campaign["lists"]:
            for cid in self._list_member_ids(st, lid, "1"):
                recipients.setdefault(cid, None)
        segment = st["segments"].get(campaign["segmentid"]) if campaign["segmentid"] != "0" else None
        if segment is not None:
            members = self._segment_member_ids(st, segment)
            if members is not None:
                recipients = {cid: None for cid in recipients if cid in members}
        now = self._now()
        for cid in recipients:
            contact = st["contacts"][cid]
            contact["sentcnt"] += 1
            self._fire(st, "sent", "system", contact=contact, extra={"campaign": campaign["id"]})
        amount = len(recipients)
        campaign["counters"].update({"send_amt": amount, "total_amt": amount})
        campaign["recipients"] = list(recipients)
        campaign.update({"status": "5", "ldate": now, "mdate": now, "sent_at": self.clock.utcnow().timestamp()})
        if campaign["sdate"] is None:
            campaign["sdate"] = now
        if campaign["id"] in st["scheduled"]:
            st["scheduled"].remove(campaign["id"])

    def _send_due_campaigns(self, st: dict[str, Any]) -> None:
        if not st["scheduled"]:
            return
        now = self.clock.utcnow().timestamp()
        for cid in list(st["scheduled"]):
            campaign = st["campaigns"].get(cid)
            if campaign is None or campaign["status"] != "1":
                st["scheduled"].remove(cid)
            elif campaign["send_at"] is None or campaign["send_at"] <= now:
                self._deliver(st, campaign)

    def _schedule(self, st: dict[str, Any], campaign: dict[str, Any]) -> None:
        """Status "1": send now when the send time has passed, otherwise wait for it."""
        campaign["status"] = "1"
        send_at = campaign["send_at"]
        if send_at is None or send_at <= self.clock.utcnow().timestamp():
            self._deliver(st, campaign)
        elif campaign["id"] not in st["scheduled"]:
            st["scheduled"].append(campaign["id"])

    def _delete_campaign(self, st: dict[str, Any], campaign: dict[str, Any]) -> None:
        del st["campaigns"][campaign["id"]]
        if campaign["id"] in st["scheduled"]:
            st["scheduled"].remove(campaign["id"])

    # ---------------------------------------------------------------- campaigns

    @route("GET", "/api/3/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        st = self._st(req)
        rendered = [self.render_campaign(c) for c in st["campaigns"].values()]
        for key, values in req.query.items():
            if key.startswith("filters[") and key.endswith("]") and "][" not in key and values:
                name = key[len("filters[") : -1]
                rendered = [c for c in rendered if name in c and str(c[name]) == values[0]]
        by_id = st["campaigns"]
        rendered = self._ordered(
            req,
            rendered,
            {
                "sdate": lambda c: (c["sdate"] is not None, _send_time(by_id[c["id"]])),
                "ldate": lambda c: (c["ldate"] is not None, by_id[c["id"]]["sent_at"] or 0.0),
                "id": lambda c: int(c["id"]),
                "name": lambda c: c["name"].lower(),
            },
        )
        page, meta = self._page(req, rendered)
        return 200, {"campaigns": page, "meta": meta}

    @route("GET", "/api/3/campaigns/{id}")
    def get_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"campaign": self.render_campaign(self._find(st, "campaigns", req.params["id"], MODEL_CAMPAIGN))}

    @route("GET", "/api/3/campaigns/{id}/links")
    def campaign_links(self, req: SimRequest) -> Any:
        st = self._st(req)
        campaign = self._find(st, "campaigns", req.params["id"], MODEL_CAMPAIGN)
        return 200, {
            "links": [
                {
                    "campaignid": campaign["id"],
                    "messageid": link["message"],
                    "link": link["link"],
                    "name": link["name"],
                    "ref": "",
                    "tracked": "1",
                    "links": self._links(f"/links/{link['id']}", ("campaign", "message")),
                    "id": link["id"],
                    "campaign": campaign["id"],
                    "message": link["message"],
                }
                for link in campaign["links"]
            ]
        }

    @route("DELETE", "/api/3/campaigns/{id}")
    def delete_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        self._delete_campaign(st, self._find(st, "campaigns", req.params["id"], MODEL_CAMPAIGN))
        return 200, {}

    # ---------------------------------------------------------------- messages

    def _message_input(self, data: dict[str, Any], *, create: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "email" in data and "fromemail" not in data:
            data = {**data, "fromemail": data["email"]}
        if create:
            absent = [k for k in ("fromname", "fromemail", "reply2") if data.get(k) in (None, "")]
            if absent:
                raise missing_attribute(*["email" if k == "fromemail" else k for k in absent])
        for key in MESSAGE_TEXT_FIELDS:
            if key in data:
                values[key] = text(data[key])
        for key in ("fromemail", "reply2"):
            if values.get(key) and not EMAIL_RE.match(values[key].strip()):
                raise unprocessable("Invalid email address", "email" if key == "fromemail" else key)
        return values

    @route("POST", "/api/3/messages")
    def create_message(self, req: SimRequest) -> Any:
        st = self._st(req)
        message = self._new_message(st, self._message_input(self._wrapped(req, "message"), create=True))
        full = self.render_message(message)
        keys = ("fromname", "fromemail", "reply2", "subject", "preheader_text", "text", "html", "links", "id")
        return 201, {"message": {k: full[k] for k in keys}}

    @route("GET", "/api/3/messages")
    def list_messages(self, req: SimRequest) -> Any:
        st = self._st(req)
        page, meta = self._page(req, list(st["messages"].values()))
        return 200, {"messages": [self.render_message(m) for m in page], "meta": meta}

    @route("GET", "/api/3/messages/{id}")
    def get_message(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"message": self.render_message(self._find(st, "messages", req.params["id"], MODEL_MESSAGE))}

    @route("PUT", "/api/3/messages/{id}")
    def update_message(self, req: SimRequest) -> Any:
        st = self._st(req)
        message = self._find(st, "messages", req.params["id"], MODEL_MESSAGE)
        message.update(self._message_input(self._wrapped(req, "message"), create=False))
        message["mdate"] = self._now()
        return 200, {"message": self.render_message(message)}

    @route("DELETE", "/api/3/messages/{id}")
    def delete_message(self, req: SimRequest) -> Any:
        st = self._st(req)
        message = self._find(st, "messages", req.params["id"], MODEL_MESSAGE)
        del st["messages"][message["id"]]
        return 200, {}


def _send_time(campaign: dict[str, Any]) -> float:
    """Sort key for send dates: the scheduled or actual send time in epoch seconds."""
    return campaign["send_at"] or campaign["sent_at"] or 0.0
