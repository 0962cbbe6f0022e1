"""Campaigns and messages in the ActiveCampaign simulator (the v3 side; creating and sending is v1).

v3 lists and reads campaigns with their report counters as strings (``send_amt``, ``total_amt``,
``opens``, ``uniqueopens``, ``linkclicks``, ``uniquelinkclicks``, ``subscriberclicks``, ``forwards``,
``hardbounces``, ``softbounces``, ``unsubscribes``, ``replies``…), their tracked links, and deletes them;
messages have full CRUD. Campaigns are created — and sent — through the v1 ``campaign_create`` action
(`v1`). Campaign statuses (v1 numbering, shared by v3): "0" draft, "1" scheduled, "2" sending,
"3" paused, "4" stopped, "5" completed. Sending delivers at once to the contacts that are active
("1") on any of the campaign's lists — once each, narrowed to the segment's contacts when the campaign
names a segment built with explicit members — and sets ``send_amt``/``total_amt`` to their number;
a scheduled campaign is sent on the first request after its ``sdate`` passes (by ``clock.utcnow()``).
What each recipient does (hard or soft bounce, open, click, unsubscribe, spam complaint) and when is
decided per recipient by `hub.simulator.activity` (seeded hashes of campaign and address: the same every
time) at the account's rates fixed at the send (``open_rate=0.4``, ``click_rate=0.1``, ``activity_rates``
options, or the ``set_activity_rates`` control), spread over ``activity_window`` vendor seconds after the
send (3 days; 0 = at the send): most within hours, a tail over days. The report counters for "now" sum it:
``opens``/``uniqueopens``, ``linkclicks``/``uniquelinkclicks``/``subscriberclicks``, ``hardbounces``,
``softbounces`` and ``unsubscribes`` (strings, as every v3 counter; ``send_amt``/``total_amt`` the
recipients); the v1 report lists (`v1`) show the opens and clicks. ActiveCampaign's v3 counters have no
complaint count: a complainer is unsubscribed (not counted in ``unsubscribes``: a simulator choice). When
its time comes, a hard bounce marks the contact bounced (``bounced_hard``, every list membership status
"3"), and an unsubscribe or a complaint unsubscribes it from the campaign's lists (status "2"); only an
active ("1") membership changes. The ``campaign_recipients`` control lists each recipient of a campaign
with its activity so far (``campaign_recipients(account, campaign="3")``) and ``activity_totals`` the
sums from the recipients (the simulator's own record); ``set_campaign_stats`` still sets counters by hand
(until the activity next changes them).

Simulator choices (unverified): a send completes instantly (status "5", never observed as "2"); each
recipient opens and clicks once (an open only when ``trackreads`` is on, a click on the message's first
tracked link, none when it has no link); a v1 report's ``tstamp`` is the open's (click's) time;
``GET /campaigns`` lists oldest first and takes ``filters[<any campaign attribute>]=value`` as
equality; tracked links are the read tracker ("open") plus every distinct http(s) ``href`` of the
message HTML; ``POST /campaign`` and ``PUT /campaigns/{id}/edit`` (the newer draft endpoints) are not
simulated; ``POST /messages`` requires ``fromname``, ``fromemail`` (or ``email``) and ``reply2``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from hub.simulator import (
    ActivityRates,
    Collection,
    Outcome,
    Row,
    SimRequest,
    control,
    recipient_outcome,
    route,
    tally,
)
from hub.simulator.activity import due_effects, next_change, pending_effects

from .imports import ActiveCampaignImports
from .lists import MEMBERSHIPS, SEGMENTS
from .shapes import CONTACTS, EMAIL_RE, State, text

V1_DATE = "%Y-%m-%d %H:%M:%S"  # how v1 reports date an open or a click (account time)

CAMPAIGNS = Collection("campaigns", model="Campaign", index=("status",), render="show_campaign")
MESSAGES = Collection("messages", model="Message", render="show_message")
# who a campaign went to, and what each of them did with it
RECIPIENTS = Collection("campaign_recipients", model="CampaignRecipient", index=("campaign",),
                        render="show_recipient")
CAMPAIGN_STATUSES = {"0": "draft", "1": "scheduled", "2": "sending", "3": "paused", "4": "stopped", "5": "completed"}
CAMPAIGN_TYPES = ("single", "recurring", "split", "responder", "reminder", "activerss", "text")
COUNTERS = ("send_amt", "total_amt", "opens", "uniqueopens", "linkclicks", "uniquelinkclicks", "subscriberclicks",
            "forwards", "uniqueforwards", "hardbounces", "softbounces", "unsubscribes", "unsubreasons", "updates",
            "socialshares", "replies", "uniquereplies")
CAMPAIGN_LINKS = ("user", "automation", "campaignMessage", "campaignMessages", "links", "aggregateRevenues",
                  "campaignLists")
MESSAGE_TEXT_FIELDS = ("name", "fromname", "fromemail", "reply2", "subject", "preheader_text", "text", "html")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


class ActiveCampaignCampaigns(ActiveCampaignImports):
    """v3 ``/campaigns`` and ``/messages``, and the send machinery v1 drives."""

    def render_campaign(self, c: Row) -> Row:
        sent, scheduled = c["status"] == "5", c["status"] == "1"
        return {
            "type": c["type"], "userid": "1", "segmentid": c["segmentid"], "bounceid": "-1", "realcid": "0",
            "sendid": "0", "threadid": "0", "seriesid": "0", "formid": "0", "basetemplateid": "",
            "basemessageid": next(iter(c["messages"]), "0"), "addressid": "0", "source": "api", "name": c["name"],
            "cdate": c["cdate"], "mdate": c["mdate"], "sdate": c["sdate"], "ldate": c["ldate"],
            **{name: str(c["counters"].get(name, 0)) for name in COUNTERS},
            "status": c["status"], "public": c["public"], "mail_transfer": "0", "mail_send": "1" if sent else "0",
            "mail_cleanup": "1" if sent else "0", "mailer_log_file": "0", "tracklinks": c["tracklinks"],
            "tracklinksanalytics": "0", "trackreads": c["trackreads"], "trackreadsanalytics": "0",
            "analytics_campaign_name": "", "tweet": "0", "facebook": "0", "survey": "", "embed_images": "0",
            "htmlunsub": c["htmlunsub"], "textunsub": c["textunsub"], "htmlunsubdata": None, "textunsubdata": None,
            "recurring": "day1", "willrecur": "0", "split_type": "even", "split_content": "0", "split_offset": "2",
            "split_offset_type": "day", "split_winner_messageid": "0", "split_winner_awaiting": "0",
            "responder_offset": "0", "responder_type": "subscribe", "responder_existing": "0",
            "reminder_field": "sdate", "reminder_format": None, "reminder_type": "month_day", "reminder_offset": "0",
            "reminder_offset_type": "day", "reminder_offset_sign": "+", "reminder_last_cron_run": None,
            "activerss_interval": "day1", "activerss_url": None, "activerss_items": "10", "ip4": "0", "laststep": "",
            "managetext": "0", "schedule": "1" if scheduled else "0",
            "scheduleddate": c["sdate"] if scheduled else None, "waitpreview": "0", "deletestamp": None,
            "replysys": c["trackreplies"],
            "links": self._links(f"/campaigns/{c['id']}", CAMPAIGN_LINKS), "id": c["id"], "user": "1",
            "automation": None,
        }

    def show_campaign(self, st: State, c: Row) -> Row:
        """The ``campaigns()`` control: every campaign as v3 renders it, plus ``status_word``, ``lists``,
        ``messages`` and the ``recipients`` (emails) it was delivered to."""
        contacts = CONTACTS.table(st)
        return {**self.render_campaign(c), "status_word": CAMPAIGN_STATUSES.get(c["status"], c["status"]),
                "lists": list(c["lists"]), "messages": dict(c["messages"]),
                "recipients": [contacts[cid]["email"] or "" for cid in c["recipients"] if cid in contacts]}

    def show_recipient(self, st: State, r: Row) -> Row:
        """The ``campaign_recipients()`` control: campaign, contact id, email, opened, clicked, the URL
        clicked ("" when none), hard_bounced, soft_bounced, unsubscribed, complained (so far); select one
        campaign's with ``campaign="<id>"``."""
        link = next((x["link"] for x in CAMPAIGNS.table(st).get(r["campaign"], {}).get("links", [])
                     if r["clicked"] and x["id"] == r["link"]), "")
        return {"campaign": r["campaign"], "contact": r["contact"], "email": r["email"], "opened": r["opened"],
                "clicked": r["clicked"], "link": link,
                **{k: bool(r.get(k)) for k in ("hard_bounced", "soft_bounced", "unsubscribed", "complained")}}

    def render_message(self, m: Row) -> Row:
        return {
            "userid": "1", "ed_instanceid": "0", "ed_version": "1", "cdate": m["cdate"], "mdate": m["mdate"],
            "name": m["name"], "fromname": m["fromname"], "fromemail": m["fromemail"], "reply2": m["reply2"],
            "priority": m["priority"], "charset": m["charset"], "encoding": m["encoding"], "format": m["format"],
            "subject": m["subject"], "preheader_text": m["preheader_text"], "text": m["text"], "html": m["html"],
            "htmlfetch": "now", "textfetch": "now", "hidden": "0", "preview_mime": "", "preview_data": None,
            "has_predictive_content": "0", "links": self._links(f"/messages/{m['id']}", ("user", "hyperlinks")),
            "id": m["id"], "user": "1",
        }

    def show_message(self, st: State, m: Row) -> Row:
        return {**self.render_message(m), "lists": list(m["lists"])}

    @control("set_campaign_stats")
    def set_campaign_stats(self, account: str, campaign_id: str, counters: dict[str, int]) -> Row:
        """Set report counters (opens, uniqueopens, linkclicks, …) as recipients' activity would."""
        unknown = set(counters) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown counter(s): {', '.join(sorted(unknown))}")
        with self.lock:
            campaign = CAMPAIGNS.table(self.account_state(account))[str(campaign_id)]
            campaign["counters"].update({k: int(v) for k, v in counters.items()})
            return self.render_campaign(campaign)

    @control("set_activity_rates")
    def set_activity_rates(self, account: str, open_rate: float | None = None, click_rate: float | None = None,
                           **rates: float) -> Row:
        """The shares of a campaign's recipients who open it and who click in it (of all recipients; every one
        who clicks opened), bounce (``hard_bounce_rate``, ``soft_bounce_rate``), unsubscribe
        (``unsubscribe_rate``) and complain (``complaint_rate``) (`hub.simulator.ActivityRates`), for the
        account's campaigns sent from now on (unset: as before). Returns all of them."""
        with self.lock:
            st = self.account_state(account)
            new = self._rates_of(st).updated({"open_rate": open_rate, "click_rate": click_rate, **rates})
            st["activity_rates"] = new.as_dict()
            return new.as_dict()

    @control("activity_totals")
    def activity_totals(self, account: str = "sandbox", campaign: str | None = None) -> dict[str, dict[str, float]]:
        """The simulator's own truth for "now", summed from each recipient's activity (not from the counters):
        ``{campaign_id: {sent, delivered, bounced_hard, bounced_soft, opens, opens_adjusted, clicks, unsubscribes,
        complaints, orders, revenue}}`` for every sent campaign (or the one asked for). ``opens``/``clicks`` are
        what the recipients did, tracked or not (the counters show only tracked ones); ActiveCampaign has no
        machine-open split, orders or complaint counter."""
        with self.lock:
            st = self.account_state(account)
            out = {}
            for c in CAMPAIGNS.table(st).values():
                if c.get("activity") and campaign in (None, c["id"]):
                    elapsed = self._epoch() - c["activity"]["sent_epoch"]
                    out[c["id"]] = tally(o.as_of(elapsed, c["activity"]["window"])
                                         for _, o in self._outcomes(st, c))
            return out

    def _rates_of(self, st: State) -> ActivityRates:
        return ActivityRates.from_state(st.get("activity_rates"), self.rates)

    # ---------------------------------------------------------------- state operations

    def _new_message(self, st: State, values: Row) -> Row:
        now = self._now()
        return self._add(st, MESSAGES, **{
            "cdate": now, "mdate": now, "name": "", "fromname": "", "fromemail": "", "reply2": "", "priority": "3",
            "charset": "utf-8", "encoding": "quoted-printable", "format": "mime", "subject": "", "preheader_text": "",
            "text": "", "html": "", "lists": [], **values})

    def _new_campaign(self, st: State, values: Row) -> Row:
        now = self._now()
        campaign = self._add(st, CAMPAIGNS, **{
            "type": "single", "name": "", "cdate": now, "mdate": now, "sdate": None, "ldate": None, "send_at": None,
            "sent_at": None, "status": "0", "public": "1", "tracklinks": "all", "trackreads": "1", "trackreplies": "0",
            "htmlunsub": "0", "textunsub": "0", "segmentid": "0", "lists": [], "messages": {}, "counters": {},
            "recipients": [], "links": [], **values})
        campaign["links"] = self._tracked_links(st, campaign)
        return campaign

    def _tracked_links(self, st: State, campaign: Row) -> list[Row]:
        """The read tracker per message and every http(s) link of its HTML, as the vendor tracks them."""
        links: list[Row] = []
        for mid in campaign["messages"]:
            message = MESSAGES.table(st).get(mid)
            if message is None:
                continue
            urls = ["open"] if campaign["trackreads"] == "1" else []
            if campaign["tracklinks"] in ("all", "html", "mime"):
                found = _HREF.findall(message["html"] or "")
                urls += dict.fromkeys(u for u in found if u.lower().startswith(("http://", "https://")))
            links += [{"id": self._next_id(st, "links"), "message": mid, "link": url,
                       "name": "Read Tracker" if url == "open" else ""} for url in urls]
        return links

    def _deliver(self, st: State, campaign: Row) -> None:
        """Send now: to every contact active on one of the campaign's lists, once."""
        members = MEMBERSHIPS.table(st)
        recipients = dict.fromkeys(m["contact"] for lid in campaign["lists"] for m in members.where("list", lid)
                                   if m["status"] == "1")
        segment = SEGMENTS.table(st).get(campaign["segmentid"]) if campaign["segmentid"] != "0" else None
        allowed = self._segment_member_ids(st, segment) if segment is not None else None
        if allowed is not None:
            recipients = {cid: None for cid in recipients if cid in allowed}
        contacts, now = CONTACTS.table(st), self._now()
        for cid in recipients:
            contacts[cid]["sentcnt"] += 1
        campaign["counters"].update({"send_amt": len(recipients), "total_amt": len(recipients)})
        CAMPAIGNS.table(st).update(campaign, status="5", ldate=now, mdate=now, sdate=campaign["sdate"] or now,
                                   sent_at=self.clock.utcnow().timestamp(), recipients=list(recipients))
        self._record_activity(st, campaign, recipients)

    def _record_activity(self, st: State, campaign: Row, recipients: Iterable[str]) -> None:
        """Whom the campaign went to; what each does is `hub.simulator.activity`'s, at the account's rates
        now, revealed as its time comes (`_reveal_due_activity`)."""
        clickable = [x["id"] for x in campaign["links"] if x["link"] != "open"]
        contacts = CONTACTS.table(st)
        emails = []
        for cid in recipients:
            email = contacts[cid]["email"] or ""
            emails.append(email)
            self._add(st, RECIPIENTS, campaign=campaign["id"], contact=cid, email=email, opened=False, clicked=False,
                      link=clickable[0] if clickable else "", tstamp="", hard_bounced=False, soft_bounced=False,
                      unsubscribed=False, complained=False)
        rates, epoch = self._rates_of(st), self._epoch()
        campaign["activity"] = {"sent_epoch": epoch, "rates": rates.as_dict(), "window": self.activity_window,
                                "next": epoch}
        campaign["pending_effects"] = pending_effects(campaign["id"], emails, rates, self.seed, epoch,
                                                      self.activity_window)
        self._reveal_due_activity(st)

    def _outcomes(self, st: State, campaign: Row) -> list[tuple[Row, Outcome]]:
        rates = ActivityRates.from_state(campaign["activity"]["rates"], self.rates)
        return [(r, recipient_outcome(campaign["id"], r["email"], rates, self.seed))
                for r in RECIPIENTS.table(st).where("campaign", campaign["id"])]

    def _reveal_due_activity(self, st: State) -> None:
        """Recipients' activity whose time has come, the campaign's counters that sum it, and the contact
        changes it brings (only when something is due: cheap on every request)."""
        now = self._epoch()
        for campaign in CAMPAIGNS.table(st).values():
            if campaign.get("pending_effects") and campaign["pending_effects"][0][0] <= now:
                self._apply_effects(st, campaign, due_effects(campaign["pending_effects"], now))
            activity = campaign.get("activity")
            if activity and activity["next"] is not None and activity["next"] <= now:
                self._reveal(st, campaign, now - activity["sent_epoch"])

    def _reveal(self, st: State, campaign: Row, elapsed: float) -> None:
        activity, tracked = campaign["activity"], campaign["trackreads"] == "1"
        outcomes = self._outcomes(st, campaign)
        for r, outcome in outcomes:
            did = outcome.as_of(elapsed, activity["window"])
            first = did.opened_at if did.opened_at is not None else did.clicked_at
            moment = datetime.fromtimestamp(activity["sent_epoch"] + (first or 0.0), UTC).astimezone(self._tz)
            r.update(opened=did.opened and tracked, clicked=did.clicked and bool(r["link"]),
                     tstamp=moment.strftime(V1_DATE) if first is not None else "", hard_bounced=did.hard_bounced,
                     soft_bounced=did.soft_bounced, unsubscribed=did.unsubscribed, complained=did.complained)
        rows = [r for r, _ in outcomes]
        opened, clicked = sum(r["opened"] for r in rows), sum(r["clicked"] for r in rows)
        campaign["counters"].update({"opens": opened, "uniqueopens": opened, "linkclicks": clicked,
                                     "uniquelinkclicks": clicked, "subscriberclicks": clicked,
                                     "hardbounces": sum(r["hard_bounced"] for r in rows),
                                     "softbounces": sum(r["soft_bounced"] for r in rows),
                                     "unsubscribes": sum(r["unsubscribed"] for r in rows)})
        later = next_change((o for _, o in outcomes), elapsed, activity["window"])
        activity["next"] = None if later is None else activity["sent_epoch"] + later

    def _apply_effects(self, st: State, campaign: Row, effects: list[tuple[str, str]]) -> None:
        """Hard bounces mark the contact bounced on every list; unsubscribes and complaints unsubscribe it from
        the campaign's lists (only active memberships change)."""
        contacts = CONTACTS.table(st)
        for email, kind in effects:
            contact = contacts.find("email", email)
            if contact is None:
                continue
            members = MEMBERSHIPS.table(st).where("contact", contact["id"])
            lists = {m["list"] for m in members} if kind == "bounced" else set(campaign["lists"])
            for m in members:
                if m["list"] in lists and m["status"] == "1":
                    self._set_membership(st, contact, m["list"], "3" if kind == "bounced" else "2")
            if kind == "bounced":
                contact.update({"bounced_hard": "1", "bounced_date": self._now_dt().strftime("%Y-%m-%d")})
            self._touch(contact)

    def _drop_campaign(self, st: State, campaign_id: str) -> None:
        """Delete a campaign with its recipients' record."""
        CAMPAIGNS.table(st).pop(campaign_id, None)
        recipients = RECIPIENTS.table(st)
        for r in recipients.where("campaign", campaign_id):
            del recipients[r["id"]]

    def _tick(self, st: State) -> None:
        super()._tick(st)
        now = self.clock.utcnow().timestamp()
        for campaign in CAMPAIGNS.table(st).where("status", "1"):
            if campaign["send_at"] is None or campaign["send_at"] <= now:
                self._deliver(st, campaign)
        self._reveal_due_activity(st)

    def _schedule(self, st: State, campaign: Row) -> None:
        """Status "1": send now when the send time has passed, otherwise wait for it (`_tick`)."""
        CAMPAIGNS.table(st).update(campaign, status="1")
        if campaign["send_at"] is None or campaign["send_at"] <= self.clock.utcnow().timestamp():
            self._deliver(st, campaign)

    # ---------------------------------------------------------------- campaigns

    @route("GET", "/api/3/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        by_id = CAMPAIGNS.table(self._st(req))
        rendered = [self.render_campaign(c) for c in by_id.values()]
        for key, values in req.query.items():
            if key.startswith("filters[") and key.endswith("]") and "][" not in key and values:
                name = key[len("filters[") : -1]
                rendered = [c for c in rendered if name in c and str(c[name]) == values[0]]
        rendered = self._ordered(req, rendered, {
            "sdate": lambda c: (c["sdate"] is not None, _send_time(by_id[c["id"]])),
            "ldate": lambda c: (c["ldate"] is not None, by_id[c["id"]]["sent_at"] or 0.0),
            "id": lambda c: int(c["id"]), "name": lambda c: c["name"].lower(),
        })
        page, meta = self._page(req, rendered)
        return 200, {"campaigns": page, "meta": meta}

    @route("GET", "/api/3/campaigns/{id}")
    def get_campaign(self, req: SimRequest) -> Any:
        return 200, {"campaign": self.render_campaign(self._row(req, CAMPAIGNS)[1])}

    @route("GET", "/api/3/campaigns/{id}/links")
    def campaign_links(self, req: SimRequest) -> Any:
        campaign = self._row(req, CAMPAIGNS)[1]
        cid = campaign["id"]
        return 200, {"links": [
            {"campaignid": cid, "messageid": link["message"], "link": link["link"], "name": link["name"], "ref": "",
             "tracked": "1", "links": self._links(f"/links/{link['id']}", ("campaign", "message")), "id": link["id"],
             "campaign": cid, "message": link["message"]} for link in campaign["links"]]}

    @route("DELETE", "/api/3/campaigns/{id}")
    def delete_campaign(self, req: SimRequest) -> Any:
        st, campaign = self._row(req, CAMPAIGNS)
        self._drop_campaign(st, campaign["id"])
        return 200, {}

    # ---------------------------------------------------------------- messages

    def _message_input(self, data: Row, *, create: bool) -> Row:
        if "email" in data and "fromemail" not in data:
            data = {**data, "fromemail": data["email"]}
        if create:
            absent = [k for k in ("fromname", "fromemail", "reply2") if data.get(k) in (None, "")]
            if absent:
                raise self.missing_attribute(*["email" if k == "fromemail" else k for k in absent])
        values = {key: text(data[key]) for key in MESSAGE_TEXT_FIELDS if key in data}
        for key in ("fromemail", "reply2"):
            if values.get(key) and not EMAIL_RE.match(values[key].strip()):
                raise self.unprocessable("Invalid email address", "email" if key == "fromemail" else key)
        return values

    @route("POST", "/api/3/messages")
    def create_message(self, req: SimRequest) -> Any:
        values = self._message_input(self._wrapped(req, "message"), create=True)
        full = self.render_message(self._new_message(self._st(req), values))
        keys = ("fromname", "fromemail", "reply2", "subject", "preheader_text", "text", "html", "links", "id")
        return 201, {"message": {k: full[k] for k in keys}}

    @route("GET", "/api/3/messages")
    def list_messages(self, req: SimRequest) -> Any:
        page, meta = self._page(req, MESSAGES.table(self._st(req)).rows())
        return 200, {"messages": [self.render_message(m) for m in page], "meta": meta}

    @route("GET", "/api/3/messages/{id}")
    def get_message(self, req: SimRequest) -> Any:
        return 200, {"message": self.render_message(self._row(req, MESSAGES)[1])}

    @route("PUT", "/api/3/messages/{id}")
    def update_message(self, req: SimRequest) -> Any:
        message = self._row(req, MESSAGES)[1]
        message.update(self._message_input(self._wrapped(req, "message"), create=False), mdate=self._now())
        return 200, {"message": self.render_message(message)}

    @route("DELETE", "/api/3/messages/{id}")
    def delete_message(self, req: SimRequest) -> Any:
        self._row(req, MESSAGES, remove=True)
        return 200, {}


def _send_time(campaign: Row) -> float:
    """Sort key for send dates: the scheduled or actual send time in epoch seconds."""
    return float(campaign["send_at"] or campaign["sent_at"] or 0.0)
