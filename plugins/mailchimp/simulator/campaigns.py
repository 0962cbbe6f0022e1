"""Campaigns and reports.

``/campaigns`` CRUD; ``…/content`` (``html``/``plain_text``/``url``/``template``; plain text is generated from the HTML
when not given); ``…/send-checklist``; the status machine ``save → schedule → sending → sent`` with ``unschedule``
(back to ``save``), ``cancel-send`` (``sending → canceled``), ``pause``/``resume`` (RSS only), ``replicate`` and
``test``. Every refused transition is a 400 Invalid Resource whose ``detail`` says why. Time is the simulator clock: a
scheduled campaign starts sending on the first request after its ``schedule_time`` by ``clock.utcnow()``, and a sending
campaign turns ``sent`` ``send_seconds`` later (default 0: at once). ``/reports`` answers for sent (and
sending/canceled) campaigns, with ``emails_sent`` = the recipients at send time (subscribed members matching its
audience and segment then, kept by address). What each recipient does is decided per recipient by
`hub.simulator.activity` (seeded hashes, at the account's rates fixed at the send) and happens over simulated time
after the send (``activity_window``, 3 days by default): the report's counters are summed for "now" on the
simulator's clock from the recipients' activity so far (``seed_report`` overrides them):

- ``emails_sent``; ``bounces.hard_bounces``/``soft_bounces`` (a bounced recipient does nothing else);
  ``opens.opens_total``/``unique_opens`` (one open each), ``open_rate`` = unique opens / (sent - bounces);
  ``opens.proxy_excluded_unique_opens``/``proxy_excluded_opens``/``proxy_excluded_open_rate``: the same without
  machine opens (Apple Mail Privacy Protection); ``clicks.clicks_total``/``unique_clicks``/
  ``unique_subscriber_clicks`` (one click each), ``click_rate``; ``unsubscribed``; ``abuse_reports`` (a complainer
  is not counted in ``unsubscribed``); ``ecommerce.total_orders``/``total_spent``/``total_revenue`` (a seeded share
  of clickers order once; spent = revenue); ``timeseries``: 24 hourly rows from the send (``emails_sent`` in the
  first, ``unique_opens`` and ``recipients_clicks`` by the hour of each recipient's first open and click). The
  campaign's ``report_summary`` shows the same numbers.
  Unverified against ``vendor-specs`` (its 3.0.55 OpenAPI predates them): the ``proxy_excluded_*`` names (from
  third-party code) and how the vendor computes ``proxy_excluded_open_rate`` (here over sent - bounces).
- The member changes as at the vendor when its time comes: a hard bounce makes it ``cleaned``, an unsubscribe or a
  spam complaint ``unsubscribed`` (only a member still ``subscribed`` changes); a soft bounce changes nothing.
- ``/reports/{id}/email-activity`` (and ``/{subscriber_hash}``) lists every recipient with its events so far, oldest
  first: ``bounce`` (with ``type`` hard/soft), ``open``, ``click`` (on the first link of the content, else the archive
  page), each at its own time; ``since`` keeps the events after it (every recipient is still listed: vendor behaviour
  unverified).
"""

from __future__ import annotations

import copy
import html as htmlmod
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.simulator import Abort, Activity, ActivityRates, Row, SimRequest, recipient_outcome, tally
from hub.simulator.activity import ACTIVITY_WINDOW, due_effects, elapsed_since, pending_effects

from . import shapes as sh
from .segments import Segments

CAMPAIGN_TYPES = ("regular", "plaintext", "absplit", "rss", "variate")
EDITABLE = ("save", "paused")
REPORTED = ("sending", "sent", "canceled")
SETTINGS_DEFAULTS: dict[str, Any] = {
    "subject_line": "", "preview_text": "", "title": "", "from_name": "", "reply_to": "", "use_conversation": False,
    "to_name": "", "folder_id": "", "authenticate": True, "auto_footer": False, "inline_css": False,
    "auto_tweet": False, "auto_fb_post": [], "fb_comments": True, "timewarp": False, "template_id": 0,
    "drag_and_drop": False,
}
SETTINGS_TYPES = {k: type(v) for k, v in SETTINGS_DEFAULTS.items()}
REPORT_COUNTERS = ("opens", "unique_opens", "clicks", "unique_clicks", "unsubscribed", "hard_bounces", "soft_bounces",
                   "abuse_reports", "forwards", "proxy_excluded_opens", "proxy_excluded_unique_opens", "total_orders",
                   "total_spent", "total_revenue")
# what a member becomes when a recipient's activity changes it (hub.simulator.activity effects)
EFFECT_STATUS = {"bounced": "cleaned", "unsubscribed": "unsubscribed", "complained": "unsubscribed"}
UNSUB_TAG = "*|UNSUB|*"
WINNERS = ("opens", "clicks", "manual", "total_revenue")
FREQUENCIES = ("daily", "weekly", "monthly")
BLOCKS = ("social_card", "variate_settings", "rss_opts")
ALREADY_SENT = "This campaign has already been sent (status '{status}') and cannot be {verb}."
NOT_EDITABLE = {"schedule": "This campaign is already scheduled; unschedule it before it can be {verb}.",
                "sending": ALREADY_SENT, "sent": ALREADY_SENT,
                "canceled": "This campaign was canceled and cannot be {verb}."}


def html_to_text(html: str) -> str:
    """A plain-text version of campaign HTML, roughly as the vendor generates it."""
    text = re.sub(r"(?is)<(script|style|head)[^>]*>.*?</\1>", "", html)
    text = re.sub(r"(?is)<a\s[^>]*href=[\"']([^\"']*)[\"'][^>]*>(.*?)</a>", lambda m: f"{m.group(2)} ({m.group(1)})",
                  text)
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(r"(?i)</(p|div|h[1-6]|li|tr|table|ul|ol)>", "\n\n", text)
    text = re.sub(r"(?i)<li[^>]*>", "* ", text)
    text = htmlmod.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


SIM_IP = "198.51.100.7"  # a documentation address (RFC 5737): where every simulated open and click comes from
LINK_RE = re.compile(r"""href=["'](https?://[^"']+)["']""", re.IGNORECASE)


class Campaigns(Segments):
    send_seconds: float = 0.0
    rates: ActivityRates = ActivityRates()  # every account's unless set for it (``set_activity_rates``)
    activity_window: float = ACTIVITY_WINDOW  # vendor seconds after a send by which its recipients are done

    def _campaign(self, req: SimRequest) -> tuple[dict[str, Any], Row]:
        st = self._st(req)
        return st, sh.CAMPAIGNS.table(st).require(req.params["campaign_id"])

    def _recipient_hashes(self, st: dict[str, Any], camp: Row) -> list[str]:
        lst = sh.LISTS.table(st).get(camp["recipients"].get("list_id") or "")
        if lst is None:
            return []
        members = sh.MEMBERS.table(lst)
        opts = camp["recipients"].get("segment_opts") or {}
        conditions = opts.get("conditions")
        hashes = list(members)
        if opts.get("saved_segment_id"):
            seg = sh.SEGMENTS.table(lst).get(str(opts["saved_segment_id"]))
            hashes = self._segment_hashes(lst, seg) if seg else []
        if conditions:
            matched = set(self._match_conditions(lst, opts.get("match", "all"), conditions))
            hashes = [h for h in hashes if h in matched]
        return [h for h in hashes if members[h]["status"] == "subscribed"]

    def _tick_campaigns(self, st: dict[str, Any]) -> None:
        """Scheduled campaigns whose time has come start sending; sending ones finish."""
        now = self.clock.utcnow()
        for camp in sh.CAMPAIGNS.table(st).values():
            when = sh.parse_time(camp["send_time"])
            if camp["status"] == "schedule" and when is not None and when <= now:
                self._start_sending(st, camp, when)
            started = sh.parse_time(camp["send_time"]) or now
            if camp["status"] == "sending" and camp["type"] != "rss" and now >= started + timedelta(
                    seconds=self.send_seconds):
                camp.update(status="sent", delivery="delivered")
            if camp.get("pending_effects"):
                self._apply_effects(st, camp, now.timestamp())

    def _apply_effects(self, st: dict[str, Any], camp: Row, now: float) -> None:
        """Recipients' hard bounces, unsubscribes and complaints whose time has come change their member."""
        lst = sh.LISTS.table(st).get(camp["recipients"].get("list_id") or "")
        for email, kind in due_effects(camp["pending_effects"], now):
            member = sh.MEMBERS.table(lst).get(sh.subscriber_hash(email)) if lst is not None else None
            if lst is not None and member is not None and member["status"] == "subscribed":
                self._set_status(lst, member, EFFECT_STATUS[kind])
                member["last_changed"] = self._now()

    def _start_sending(self, st: dict[str, Any], camp: Row, when: datetime) -> None:
        """Who it goes to is fixed now, by address, and so is what each of them does with it."""
        lst = sh.LISTS.table(st).get(camp["recipients"].get("list_id") or "")
        members = sh.MEMBERS.table(lst) if lst is not None else {}
        emails = [members[h]["email_address"] for h in self._recipient_hashes(st, camp)]
        rates = self.activity_rates(st)
        camp.update(status="sending", send_time=sh.fmt_time(when), emails_sent=len(emails), sent_to=len(emails),
                    delivery="delivering", recipients_sent=emails, activity_rates=rates.as_dict(),
                    sent_epoch=when.timestamp(), activity_window=self.activity_window,
                    pending_effects=pending_effects(camp["id"], emails, rates, self.seed, when.timestamp(),
                                                    self.activity_window))

    def activity_rates(self, st: dict[str, Any]) -> ActivityRates:
        """The account's rates (``set_activity_rates``), else the simulator's."""
        return ActivityRates.from_state(st.get("activity_rates"), self.rates)

    def recipient_activities(self, camp: Row) -> list[tuple[str, Activity]]:
        """Every recipient of a sent campaign, in send order, with what they have done with it by now."""
        rates = ActivityRates.from_state(camp.get("activity_rates"), self.rates)
        elapsed = elapsed_since(camp.get("sent_epoch"), self.clock.utcnow().timestamp())
        window = float(camp.get("activity_window", self.activity_window))
        return [(email, recipient_outcome(camp["id"], email, rates, self.seed).as_of(elapsed, window))
                for email in camp.get("recipients_sent", ())]

    def _audience_block(self, st: dict[str, Any], list_id: str) -> Row:
        lst = sh.LISTS.table(st).get(list_id)
        return {"list_id": list_id, "list_is_active": lst is not None, "list_name": lst["name"] if lst else ""}

    def _delivery(self, camp: Row) -> Row:
        return {"enabled": True, "can_cancel": camp["status"] == "sending", "status": camp.get("delivery", "delivered"),
                "emails_sent": camp["emails_sent"], "emails_canceled": camp.get("emails_canceled", 0)}

    def render_campaign(self, st: dict[str, Any], camp: Row) -> Row:
        cid, recipients = camp["id"], camp["recipients"]
        frozen = camp["status"] in REPORTED
        rec = {**self._audience_block(st, recipients.get("list_id") or ""),
               "segment_text": _segment_text(recipients.get("segment_opts")),
               "recipient_count": camp["sent_to"] if frozen else len(self._recipient_hashes(st, camp))}
        if recipients.get("segment_opts"):
            rec["segment_opts"] = copy.deepcopy(recipients["segment_opts"])
        out: Row = {
            "id": cid, "web_id": camp["web_id"], "parent_campaign_id": camp.get("parent_campaign_id", ""),
            "type": camp["type"], "create_time": camp["create_time"], "archive_url": f"http://eepurl.com/{cid[:6]}",
            "long_archive_url": f"https://us1.campaign-archive.com/?u=sim&id={cid}", "status": camp["status"],
            "emails_sent": camp["emails_sent"], "send_time": camp["send_time"], "content_type": camp["content_type"],
            "needs_block_refresh": False, "resendable": camp["status"] == "sent", "recipients": rec,
            "settings": copy.deepcopy(camp["settings"]), "tracking": copy.deepcopy(camp["tracking"]),
            "delivery_status": {"enabled": False}, "_links": [],
        }
        out.update({key: copy.deepcopy(camp[key]) for key in BLOCKS if camp.get(key)})
        if frozen:
            rep = self._report_numbers(camp)
            out["report_summary"] = {
                "opens": rep["opens"], "unique_opens": rep["unique_opens"], "open_rate": rep["open_rate"],
                "clicks": rep["clicks"], "subscriber_clicks": rep["unique_clicks"], "click_rate": rep["click_rate"],
                "ecommerce": {k: rep[k] for k in ("total_orders", "total_spent", "total_revenue")},
            }
            out["delivery_status"] = self._delivery(camp)
        return out

    def _check_campaign(self, st: dict[str, Any], data: dict[str, Any], *, create: bool) -> dict[str, Any]:
        """Check a create/update body; returns the normalised recipients block (or {} if absent)."""
        errors: dict[str, str] = {}
        kind = data.get("type")
        if (create or "type" in data) and kind not in CAMPAIGN_TYPES:
            errors["type"] = sh.one_of(CAMPAIGN_TYPES)
        recipients: dict[str, Any] = {}
        sh.check_types(data, errors, recipients=dict, settings=dict, tracking=dict, social_card=dict,
                       variate_settings=dict, rss_opts=dict)
        raw_rec = data.get("recipients")
        if isinstance(raw_rec, dict):
            list_id = raw_rec.get("list_id")
            if not isinstance(list_id, str) or not list_id:
                errors["recipients.list_id"] = sh.BLANK
            elif list_id not in sh.LISTS.table(st):
                raise self.invalid(f"The list_id '{list_id}' does not exist.",
                                   [{"field": "recipients.list_id", "message": "Invalid list ID."}])
            else:
                recipients["list_id"] = list_id
            if raw_rec.get("segment_opts") is not None:
                recipients["segment_opts"] = self._check_segment_opts(st, list_id, raw_rec["segment_opts"], errors)
        settings = data.get("settings")
        if isinstance(settings, dict):
            sh.check_types(settings, errors, "settings.", **SETTINGS_TYPES)
            reply_to, subject, fb = settings.get("reply_to"), settings.get("subject_line"), settings.get("auto_fb_post")
            if isinstance(reply_to, str) and reply_to and sh.email_problem(reply_to):
                errors["settings.reply_to"] = "This value should be a valid email address."
            if isinstance(subject, str) and len(subject) > 150:
                errors["settings.subject_line"] = "This value is too long. It should have 150 characters or less."
            if isinstance(fb, list) and not all(isinstance(x, str) for x in fb):
                errors["settings.auto_fb_post"] = "Schema describes array of strings."
        if isinstance(data.get("social_card"), dict):
            sh.check_types(data["social_card"], errors, "social_card.", image_url=str, description=str, title=str)
        variate, rss = data.get("variate_settings"), data.get("rss_opts")
        if create and kind == "variate" and not isinstance(variate, dict):
            errors["variate_settings"] = sh.BLANK
        elif create and kind == "variate" and variate.get("winner_criteria") not in WINNERS:  # type: ignore[union-attr]
            errors["variate_settings.winner_criteria"] = sh.one_of(WINNERS)
        if create and kind == "rss" and (not isinstance(rss, dict) or not rss.get("feed_url")):
            errors["rss_opts.feed_url"] = sh.BLANK
        elif create and kind == "rss" and isinstance(rss, dict) and rss.get("frequency") not in FREQUENCIES:
            errors["rss_opts.frequency"] = sh.one_of(FREQUENCIES)
        self.check(errors)
        return recipients

    def _check_segment_opts(self, st: dict[str, Any], list_id: Any, opts: Any, errors: dict[str, str]) -> Row:
        prefix = "recipients.segment_opts."
        if not isinstance(opts, dict):
            errors[prefix[:-1]] = sh.TYPE_ERRORS[dict]
            return {}
        sh.check_types(opts, errors, prefix, saved_segment_id=int, conditions=list)
        out = sh.given(opts, ("saved_segment_id", "match", "conditions"))
        sid, lst = out.get("saved_segment_id"), sh.LISTS.table(st).get(list_id) if isinstance(list_id, str) else None
        if sid is not None and prefix + "saved_segment_id" not in errors and (
                lst is None or str(sid) not in sh.SEGMENTS.table(lst)):
            raise self.invalid(f"The segment {sid} does not exist on this audience.",
                               [{"field": prefix + "saved_segment_id", "message": "Invalid segment ID."}])
        if out.get("match") not in (None, "any", "all"):
            errors[prefix + "match"] = sh.one_of(("any", "all"))
        if "conditions" in out:
            out.setdefault("match", "all")
        return out

    def _apply_campaign(self, camp: Row, data: dict[str, Any], recipients: dict[str, Any]) -> None:
        if "recipients" in data and recipients:
            camp["recipients"] = recipients
        settings = data.get("settings")
        if isinstance(settings, dict):
            camp["settings"].update({k: v for k, v in settings.items() if k in SETTINGS_DEFAULTS and v is not None})
            camp["auto_footer_set"] = camp["auto_footer_set"] or "auto_footer" in settings
        if isinstance(data.get("tracking"), dict):
            camp["tracking"].update(data["tracking"])
        camp.update({key: {**(camp.get(key) or {}), **data[key]} for key in BLOCKS if isinstance(data.get(key), dict)})
        if data.get("content_type") in ("template", "multichannel"):
            camp["content_type"] = data["content_type"]

    def checklist(self, st: dict[str, Any], camp: Row) -> Row:
        items: list[Row] = []

        def item(ok: bool | str, heading: str, details: str, failure: str = "") -> None:
            kind = ok if isinstance(ok, str) else ("success" if ok else "error")
            items.append({"type": kind, "id": len(items), "heading": heading, "details": details if ok else failure})

        settings, recipients = camp["settings"], camp["recipients"]
        recipient_count = len(self._recipient_hashes(st, camp))
        if not recipients.get("list_id") or recipients["list_id"] not in sh.LISTS.table(st):
            item(False, "Audience", "", "You need to select an audience to send to.")
        else:
            item(recipient_count > 0, "Audience", f"{recipient_count} recipients.",
                 "There are no subscribed contacts in the audience or segment you selected.")
        subjects = (camp.get("variate_settings") or {}).get("subject_lines") or [] if camp["type"] == "variate" else []
        item(bool(settings["subject_line"].strip() or subjects), "Subject line", "The campaign has a subject line.",
             "You need to add a subject line.")
        item(bool(settings["from_name"].strip()), "From name", "The campaign has a from name.",
             "You need to add a from name.")
        reply_to = settings["reply_to"].strip()
        item(bool(reply_to) and not sh.email_problem(reply_to), "From email address", reply_to,
             f"{reply_to} is not a valid email address." if reply_to
             else "You need to add a from email address (reply_to).")
        content = camp["content"]
        body = content["plain_text"] if camp["type"] == "plaintext" else content["html"]
        item(bool(body.strip()), "Content", "The campaign has content.", "You need to add content to your campaign.")
        if body.strip() and UNSUB_TAG in body:
            item(True, "Unsubscribe link", "The content has an unsubscribe link.")
        elif body.strip() and settings["auto_footer"]:
            item(True, "Unsubscribe link", "Mailchimp's footer adds the unsubscribe link.")
        elif body.strip():
            item("error" if camp.get("auto_footer_set") else "warning", "Unsubscribe link",
                 f"The content has no {UNSUB_TAG} merge tag and auto_footer is off: add an unsubscribe link."
                 if camp.get("auto_footer_set")
                 else f"The content has no {UNSUB_TAG} merge tag; Mailchimp's default footer will add one.")
        if not camp["tests"]:
            item("warning", "Test email", "You haven't sent a test email.")
        return {"is_ready": not any(i["type"] == "error" for i in items), "items": items, "_links": []}

    def _editable(self, camp: Row, verb: str) -> None:
        status = camp["status"]
        if status not in EDITABLE:
            why = NOT_EDITABLE.get(status, "A campaign whose status is '{status}' cannot be {verb}.")
            raise self.invalid(why.format(status=status, verb=verb))

    def _unsent(self) -> Row:
        """The fields of a new (or replicated) campaign that its sending changes."""
        return {"id": self._hex_id("campaign"), "web_id": self._int_id(2_000_000), "create_time": self._now(),
                "status": "save", "send_time": "", "emails_sent": 0, "sent_to": 0, "tests": [],
                "report": {}, "recipients_sent": [], "activity_rates": {}, "sent_epoch": None, "pending_effects": []}

    def _ready(self, st: dict[str, Any], camp: Row) -> None:
        check = self.checklist(st, camp)
        if not check["is_ready"]:
            errors = [{"field": i["heading"], "message": i["details"]} for i in check["items"] if i["type"] == "error"]
            raise self.invalid("Your Campaign is not ready to send.", errors)

    @sh.api("GET", "/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        st = self._st(req)
        kind, status, list_id = req.arg("type"), req.arg("status"), req.arg("list_id")
        camps = [c for c in sh.CAMPAIGNS.table(st).values() if kind in (None, "", c["type"])
                 and status in (None, "", c["status"]) and list_id in (None, "", c["recipients"].get("list_id"))]
        camps = sh.sort_rows(req, sh.between(req, sh.between(req, camps, "create_time"), "send_time"),
                             ("create_time", "send_time"))
        return self._page(req, "campaigns", camps, lambda c: self.render_campaign(st, c))

    @sh.api("POST", "/campaigns")
    def create_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._body(req)
        recipients = self._check_campaign(st, data, create=True)
        camp = {**self._unsent(), "type": data["type"], "content_type": "template", "recipients": recipients,
                "settings": copy.deepcopy(SETTINGS_DEFAULTS), "auto_footer_set": False,
                "tracking": dict(sh.TRACKING_DEFAULTS),
                "content": {"html": "", "plain_text": "", "plain_text_given": False}}
        self._apply_campaign(camp, data, recipients)
        return self.render_campaign(st, sh.CAMPAIGNS.table(st).insert(camp))

    @sh.api("GET", "/campaigns/{campaign_id}")
    def get_campaign(self, req: SimRequest) -> Any:
        return self.render_campaign(*self._campaign(req))

    @sh.api("PATCH", "/campaigns/{campaign_id}")
    def update_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        data = self._body(req)
        if camp["status"] not in EDITABLE:
            raise self.invalid(f"This campaign cannot be updated because its status is '{camp['status']}'.")
        if data.get("type") is not None and data["type"] != camp["type"]:
            raise self.invalid("The type of a campaign cannot be changed.")
        self._apply_campaign(camp, data, self._check_campaign(st, data, create=False))
        return self.render_campaign(st, camp)

    @sh.api("DELETE", "/campaigns/{campaign_id}")
    def delete_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        if camp["status"] == "schedule":
            raise self.invalid("This campaign is scheduled; unschedule it before deleting it.")
        if camp["status"] in ("sending", "canceling"):
            raise self.invalid("This campaign is sending and cannot be deleted.")
        del sh.CAMPAIGNS.table(st)[camp["id"]]

    def render_content(self, camp: Row) -> Row:
        html = camp["content"]["html"]
        out = {"plain_text": camp["content"]["plain_text"], "html": html, "archive_html": html, "_links": []}
        return {**out, "variate_contents": []} if camp["type"] == "variate" else out

    @sh.api("GET", "/campaigns/{campaign_id}/content")
    def get_content(self, req: SimRequest) -> Any:
        return self.render_content(self._campaign(req)[1])

    @sh.api("PUT", "/campaigns/{campaign_id}/content")
    def set_content(self, req: SimRequest) -> Any:
        _, camp = self._campaign(req)
        data = self._body(req)
        if camp["status"] not in EDITABLE:
            raise self.invalid(f"The content of a campaign whose status is '{camp['status']}' cannot be changed.")
        errors: dict[str, str] = {}
        sh.check_types(data, errors, html=str, plain_text=str, url=str)
        template = data.get("template")
        if template is not None and (not isinstance(template, dict) or not isinstance(template.get("id"), int)):
            errors["template.id"] = sh.TYPE_ERRORS[int]
        if data.get("archive") is not None:
            errors["archive"] = "Archive (zip/tar) content is not supported by the simulator."
        self.check(errors)
        content, html = camp["content"], None
        if isinstance(data.get("html"), str):
            html, kind = data["html"], "html"
        elif isinstance(data.get("url"), str):
            html, kind = f"<html><body><!-- imported from {htmlmod.escape(data['url'])} --></body></html>", "url"
        elif isinstance(template, dict):
            sections = template.get("sections") or {}
            html, kind = "<html><body>" + "".join(str(v) for v in sections.values()) + "</body></html>", "template"
            camp["settings"]["template_id"] = template["id"]
        if html is not None:
            content["html"], camp["content_type"] = html, kind
        if isinstance(data.get("plain_text"), str):
            content.update(plain_text=data["plain_text"], plain_text_given=True)
        elif html is not None and not content.get("plain_text_given"):
            content["plain_text"] = html_to_text(html)
        return self.render_content(camp)

    @sh.api("GET", "/campaigns/{campaign_id}/send-checklist")
    def send_checklist(self, req: SimRequest) -> Any:
        return self.checklist(*self._campaign(req))

    @sh.api("POST", "/campaigns/{campaign_id}/actions/schedule")
    def schedule_campaign(self, req: SimRequest) -> Any:
        """``schedule_time`` without an offset is UTC; it must be in the future, on a quarter hour with zero
        seconds, and 24 h ahead for ``timewarp``."""
        st, camp = self._campaign(req)
        self._editable(camp, "scheduled")
        data = self._body(req)
        raw, timewarp, batch = data.get("schedule_time"), data.get("timewarp"), data.get("batch_delivery")
        when, now = sh.parse_time(raw), self.clock.utcnow()
        if when is None:
            raise self.field_errors({"schedule_time": sh.BLANK if raw in (None, "") else
                                     "This value should be a valid ISO 8601 date-time (UTC)."})
        if when <= now:
            raise self.invalid(f"The schedule_time {sh.fmt_time(when)} is in the past; campaigns can only be scheduled "
                               "in the future.", [{"field": "schedule_time", "message": "Must be in the future."}])
        if when.minute % 15 or when.second or when.microsecond:
            raise self.invalid("Campaigns may only be scheduled to send on the quarter-hour (:00, :15, :30, :45); "
                               f"{sh.fmt_time(when)} is not.",
                               [{"field": "schedule_time", "message": "Must be on the quarter-hour."}])
        if timewarp is not None and not isinstance(timewarp, bool):
            raise self.field_errors({"timewarp": sh.TYPE_ERRORS[bool]})
        if timewarp and when < now + timedelta(hours=24):
            raise self.invalid("Timewarp campaigns must be scheduled at least 24 hours in advance.")
        if batch is not None and (not isinstance(batch, dict)
                                  or not all(isinstance(batch.get(k), int) for k in ("batch_delay", "batch_count"))):
            raise self.field_errors({"batch_delivery": "batch_delay and batch_count are required integers."})
        self._ready(st, camp)
        camp.update(status="schedule", send_time=sh.fmt_time(when))
        camp["settings"]["timewarp"] = bool(timewarp)

    @sh.api("POST", "/campaigns/{campaign_id}/actions/unschedule")
    def unschedule_campaign(self, req: SimRequest) -> Any:
        _, camp = self._campaign(req)
        if camp["status"] != "schedule":
            raise self.invalid(f"This campaign is not scheduled (its status is '{camp['status']}'); only scheduled "
                               "campaigns can be unscheduled.")
        camp.update(status="save", send_time="")

    @sh.api("POST", "/campaigns/{campaign_id}/actions/send")
    def send_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        self._editable(camp, "sent")
        self._ready(st, camp)
        if camp["type"] == "rss":  # RSS campaigns start their schedule instead of sending at once
            camp.update(status="sending", send_time=self._now())
            return
        self._start_sending(st, camp, self.clock.utcnow())
        self._tick_campaigns(st)

    @sh.api("POST", "/campaigns/{campaign_id}/actions/cancel-send")
    def cancel_send(self, req: SimRequest) -> Any:
        _, camp = self._campaign(req)
        if camp["status"] != "sending":
            raise self.invalid(f"Only a campaign that is sending can be canceled; this one's status is "
                               f"'{camp['status']}'.")
        camp.update(status="canceled", delivery="canceled", emails_canceled=camp["emails_sent"])

    @sh.api("POST", "/campaigns/{campaign_id}/actions/pause")
    @sh.api("POST", "/campaigns/{campaign_id}/actions/resume")
    def pause_or_resume(self, req: SimRequest) -> Any:
        _, camp = self._campaign(req)
        pause = req.path.endswith("/pause")
        if camp["type"] != "rss" or camp["status"] != ("sending" if pause else "paused"):
            raise self.invalid("Only a sending RSS campaign can be paused." if pause
                               else "Only a paused RSS campaign can be resumed.")
        camp["status"] = "paused" if pause else "sending"

    @sh.api("POST", "/campaigns/{campaign_id}/actions/replicate")
    def replicate_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        new = {k: copy.deepcopy(v) for k, v in camp.items() if k not in ("delivery", "emails_canceled")}
        new.update(self._unsent(), parent_campaign_id=camp["id"])
        new["settings"]["title"] = f"{camp['settings']['title'] or camp['id']} (copy)"
        return self.render_campaign(st, sh.CAMPAIGNS.table(st).insert(new))

    @sh.api("POST", "/campaigns/{campaign_id}/actions/test")
    def test_campaign(self, req: SimRequest) -> Any:
        _, camp = self._campaign(req)
        data = self._body(req)
        errors: dict[str, str] = {}
        emails = data.get("test_emails")
        if not isinstance(emails, list) or not emails:
            errors["test_emails"] = sh.BLANK
        elif bad := [str(e) for e in emails if sh.email_problem(e)]:
            errors["test_emails"] = f"Invalid email address(es): {', '.join(bad)}"
        if data.get("send_type") not in ("html", "plaintext"):
            errors["send_type"] = sh.one_of(("html", "plaintext"))
        self.check(errors)
        if camp["status"] in REPORTED:
            raise self.invalid(f"A test cannot be sent for a campaign whose status is '{camp['status']}'.")
        if not (camp["content"]["html"].strip() or camp["content"]["plain_text"].strip()):
            raise self.invalid("This campaign has no content to test; set its content first.")
        camp["tests"].append({"test_emails": list(emails or ()), "send_type": data["send_type"], "time": self._now()})

    # ---------------------------------------------------------------- reports

    def _report_numbers(self, camp: Row) -> Row:
        """The report's counters now: the recipients' activity summed, under what ``seed_report`` set."""
        acts = [a for _, a in self.recipient_activities(camp)]
        got = tally(acts)
        rep: Row = {
            "opens": got["opens"], "unique_opens": got["opens"], "clicks": got["clicks"],
            "unique_clicks": got["clicks"], "unsubscribed": got["unsubscribes"], "hard_bounces": got["bounced_hard"],
            "soft_bounces": got["bounced_soft"], "abuse_reports": got["complaints"], "forwards": 0,
            "proxy_excluded_opens": got["opens_adjusted"], "proxy_excluded_unique_opens": got["opens_adjusted"],
            "total_orders": got["orders"], "total_spent": got["revenue"], "total_revenue": got["revenue"],
            **camp["report"]}
        delivered = max(camp["emails_sent"] - rep["hard_bounces"] - rep["soft_bounces"], 0)
        for name, part in (("open_rate", "unique_opens"), ("click_rate", "unique_clicks"),
                           ("proxy_excluded_open_rate", "proxy_excluded_unique_opens")):
            rep[name] = round(rep[part] / delivered, 4) if delivered else 0
        rep["last_open"] = self._last(camp, [a.opened_at for a in acts])
        rep["last_click"] = self._last(camp, [a.clicked_at for a in acts])
        return rep

    def _at(self, camp: Row, seconds: float) -> str:
        """The vendor's timestamp of a moment `seconds` after the campaign's send."""
        return sh.fmt_time(datetime.fromtimestamp(float(camp["sent_epoch"]) + seconds, UTC))

    def _last(self, camp: Row, seconds: list[float | None]) -> str:
        known = [s for s in seconds if s is not None]
        return self._at(camp, max(known)) if known else ""

    def _timeseries(self, camp: Row) -> list[Row]:
        """The vendor's 24 hourly rows from the send, up to now: sends, first opens and first clicks per hour."""
        if camp.get("sent_epoch") is None:
            return []
        acts = [a for _, a in self.recipient_activities(camp)]
        elapsed = self.clock.utcnow().timestamp() - float(camp["sent_epoch"])
        rows: list[Row] = []
        for hour in range(24):
            if hour * 3600 > elapsed:
                break
            low, high = hour * 3600, (hour + 1) * 3600
            rows.append({"timestamp": self._at(camp, low), "emails_sent": camp["emails_sent"] if hour == 0 else 0,
                         "unique_opens": sum(a.opened_at is not None and low <= a.opened_at < high for a in acts),
                         "recipients_clicks": sum(a.clicked_at is not None and low <= a.clicked_at < high
                                                  for a in acts)})
        return rows

    def render_report(self, st: dict[str, Any], camp: Row) -> Row:
        rep, settings, sent = self._report_numbers(camp), camp["settings"], camp["send_time"]
        return {
            "id": camp["id"], "campaign_title": settings["title"], "type": camp["type"],
            **self._audience_block(st, camp["recipients"].get("list_id") or ""),
            "subject_line": settings["subject_line"], "preview_text": settings["preview_text"],
            "emails_sent": camp["emails_sent"], "abuse_reports": rep["abuse_reports"],
            "unsubscribed": rep["unsubscribed"], "send_time": sent, "rss_last_send": "",
            "bounces": {"hard_bounces": rep["hard_bounces"], "soft_bounces": rep["soft_bounces"], "syntax_errors": 0},
            "forwards": {"forwards_count": rep["forwards"], "forwards_opens": 0},
            "opens": {"opens_total": rep["opens"], "unique_opens": rep["unique_opens"], "open_rate": rep["open_rate"],
                      "proxy_excluded_opens": rep["proxy_excluded_opens"],
                      "proxy_excluded_unique_opens": rep["proxy_excluded_unique_opens"],
                      "proxy_excluded_open_rate": rep["proxy_excluded_open_rate"],
                      "last_open": rep["last_open"] or (sent if rep["opens"] else "")},
            "clicks": {"clicks_total": rep["clicks"], "unique_clicks": rep["unique_clicks"],
                       "unique_subscriber_clicks": rep["unique_clicks"], "click_rate": rep["click_rate"],
                       "last_click": rep["last_click"] or (sent if rep["clicks"] else "")},
            "facebook_likes": {"recipient_likes": 0, "unique_likes": 0, "facebook_likes": 0},
            "industry_stats": {"type": "Marketing and Advertising", "open_rate": 0.17, "click_rate": 0.02,
                               "bounce_rate": 0.01, "unopen_rate": 0.83, "unsub_rate": 0.002, "abuse_rate": 0.0001},
            "list_stats": {"sub_rate": 0, "unsub_rate": 0, "open_rate": 0, "click_rate": 0},
            "timeseries": self._timeseries(camp),
            "share_report": {"share_url": f"https://us1.campaign-archive.com/?u=sim&id={camp['id']}",
                             "share_password": ""},
            "ecommerce": {"total_orders": rep["total_orders"], "total_spent": rep["total_spent"],
                          "total_revenue": rep["total_revenue"], "currency_code": "USD"},
            "delivery_status": self._delivery(camp), "_links": [],
        }

    @sh.api("GET", "/reports")
    def list_reports(self, req: SimRequest) -> Any:
        st = self._st(req)
        kind = req.arg("type")
        camps = [c for c in sh.CAMPAIGNS.table(st).values()
                 if c["status"] in REPORTED and kind in (None, "", c["type"])]
        return self._page(req, "reports", sh.between(req, camps, "send_time"), lambda c: self.render_report(st, c))

    def _reported(self, req: SimRequest) -> tuple[dict[str, Any], Row]:
        st, camp = self._campaign(req)
        if camp["status"] not in REPORTED:
            raise Abort(self.error(404))  # simulator choice: no report before a campaign is sent
        return st, camp

    @sh.api("GET", "/reports/{campaign_id}")
    def get_report(self, req: SimRequest) -> Any:
        return self.render_report(*self._reported(req))

    def render_email_activity(self, st: dict[str, Any], camp: Row, email: str, act: Activity,
                              since: datetime | None = None) -> Row:
        events: list[Row] = []
        if act.bounced_at is not None:
            events.append({"action": "bounce", "type": "hard" if act.hard_bounced else "soft",
                           "timestamp": self._at(camp, act.bounced_at)})
        if act.opened_at is not None:
            events.append({"action": "open", "timestamp": self._at(camp, act.opened_at), "ip": SIM_IP})
        if act.clicked_at is not None:
            link = LINK_RE.search(camp["content"]["html"])
            url = link.group(1) if link else f"https://us1.campaign-archive.com/?u=sim&id={camp['id']}"
            events.append({"action": "click", "timestamp": self._at(camp, act.clicked_at), "url": url, "ip": SIM_IP})
        if since is not None:
            events = [e for e in events if (sh.parse_time(e["timestamp"]) or since) > since]
        block = self._audience_block(st, camp["recipients"].get("list_id") or "")
        return {"campaign_id": camp["id"], "list_id": block["list_id"], "list_is_active": block["list_is_active"],
                "email_id": sh.subscriber_hash(email), "email_address": email, "activity": events, "_links": []}

    @sh.api("GET", "/reports/{campaign_id}/email-activity")
    def list_email_activity(self, req: SimRequest) -> Any:
        st, camp = self._reported(req)
        since = sh.parse_time(req.arg("since"))
        return self._page(req, "emails", self.recipient_activities(camp),
                          lambda r: self.render_email_activity(st, camp, r[0], r[1], since),
                          campaign_id=camp["id"])

    @sh.api("GET", "/reports/{campaign_id}/email-activity/{subscriber_hash}")
    def get_email_activity(self, req: SimRequest) -> Any:
        st, camp = self._reported(req)
        h = self._hash(req)
        found = next((r for r in self.recipient_activities(camp) if sh.subscriber_hash(r[0]) == h), None)
        if found is None:
            raise Abort(self.error(404))  # not a recipient of this campaign
        return self.render_email_activity(st, camp, *found, sh.parse_time(req.arg("since")))


def _segment_text(opts: Any) -> str:
    if not opts:
        return ""
    parts = [f"Segment {opts['saved_segment_id']}"] if opts.get("saved_segment_id") else []
    if opts.get("conditions"):
        parts.append(f"Contacts match {opts.get('match', 'all')} of {len(opts['conditions'])} condition(s)")
    return "; ".join(parts)
