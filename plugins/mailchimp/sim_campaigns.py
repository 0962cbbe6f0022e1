"""Campaigns and reports in the Mailchimp simulator.

``/campaigns`` CRUD; ``…/content`` (``html``/``plain_text``/``url``/``template``; plain text is generated
from the HTML when not given); ``…/send-checklist``; the status machine ``save → schedule → sending →
sent`` with ``unschedule`` (back to ``save``), ``cancel-send`` (``sending → canceled``), ``pause``/``resume``
(RSS only), ``replicate`` and ``test``. Every refused transition is a 400 Invalid Resource whose
``detail`` says why. Scheduling needs a future ``schedule_time`` on a quarter hour (the spec's rule).
Time is the simulator clock: a scheduled campaign starts sending on the first request after its
``schedule_time`` by ``clock.utcnow()``, and a sending campaign turns ``sent`` ``send_seconds`` later
(default 0: at once). ``/reports`` answers for sent (and sending/canceled) campaigns, with
``emails_sent`` = the recipients at send time and opens/clicks 0 unless seeded (``seed_report``).
"""

from __future__ import annotations

import copy
import html as htmlmod
import re
from datetime import datetime, timedelta
from typing import Any

from hub.simulator import SimRequest
from hub_mailchimp.sim_shapes import (
    TRACKING_DEFAULTS,
    ShapesMixin,
    api,
    email_problem,
    field_errors,
    fmt_time,
    invalid,
    not_found,
    parse_time,
)

CAMPAIGN_TYPES = ("regular", "plaintext", "absplit", "rss", "variate")
CAMPAIGN_STATUSES = ("save", "paused", "schedule", "sending", "sent", "canceled", "canceling", "archived")
EDITABLE = ("save", "paused")
REPORTED = ("sending", "sent", "canceled")

SETTINGS_DEFAULTS: dict[str, Any] = {
    "subject_line": "",
    "preview_text": "",
    "title": "",
    "from_name": "",
    "reply_to": "",
    "use_conversation": False,
    "to_name": "",
    "folder_id": "",
    "authenticate": True,
    "auto_footer": False,
    "inline_css": False,
    "auto_tweet": False,
    "auto_fb_post": [],
    "fb_comments": True,
    "timewarp": False,
    "template_id": 0,
    "drag_and_drop": False,
}
SETTINGS_TYPES: dict[str, type | tuple[type, ...]] = {
    "subject_line": str,
    "preview_text": str,
    "title": str,
    "from_name": str,
    "reply_to": str,
    "use_conversation": bool,
    "to_name": str,
    "folder_id": str,
    "authenticate": bool,
    "auto_footer": bool,
    "inline_css": bool,
    "auto_tweet": bool,
    "auto_fb_post": list,
    "fb_comments": bool,
    "timewarp": bool,
    "template_id": int,
    "drag_and_drop": bool,
}
REPORT_COUNTERS = (
    "opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
    "unsubscribed",
    "hard_bounces",
    "soft_bounces",
    "abuse_reports",
    "forwards",
)
UNSUB_TAG = "*|UNSUB|*"


def html_to_text(html: str) -> str:
    """A plain-text version of campaign HTML, roughly as the vendor generates it."""
    text = re.sub(r"(?is)<(script|style|head)[^>]*>.*?</\1>", "", html)
    text = re.sub(
        r"(?is)<a\s[^>]*href=[\"']([^\"']*)[\"'][^>]*>(.*?)</a>",
        lambda m: f"{m.group(2)} ({m.group(1)})",
        text,
    )
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(r"(?i)</(p|div|h[1-6]|li|tr|table|ul|ol)>", "\n\n", text)
    text = re.sub(r"(?i)<li[^>]*>", "* ", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = htmlmod.unescape(text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


class CampaignsMixin(ShapesMixin):
    """Campaigns, their content and actions, and reports."""

    send_seconds: float = 0.0

    # ---------------------------------------------------------------- model

    def _campaign(self, st: dict[str, Any], req: SimRequest) -> dict[str, Any]:
        camp = st["campaigns"].get(req.params["campaign_id"])
        if camp is None:
            raise not_found()
        return camp

    def _recipient_hashes(self, st: dict[str, Any], camp: dict[str, Any]) -> list[str]:
        lst = st["lists"].get(camp["recipients"].get("list_id") or "")
        if lst is None:
            return []
        members = lst["members"]
        opts = camp["recipients"].get("segment_opts") or {}
        sid = opts.get("saved_segment_id")
        if sid:
            seg = lst["segments"].get(str(sid))
            hashes = self._segment_hashes(lst, seg) if seg else []  # type: ignore[attr-defined]
            if opts.get("conditions"):
                extra = set(self._match_conditions(lst, opts.get("match", "all"), opts["conditions"]))  # type: ignore[attr-defined]
                hashes = [h for h in hashes if h in extra]
        elif opts.get("conditions"):
            hashes = self._match_conditions(lst, opts.get("match", "all"), opts["conditions"])  # type: ignore[attr-defined]
        else:
            hashes = list(members)
        return [h for h in hashes if members[h]["status"] == "subscribed"]

    def _tick_campaigns(self, st: dict[str, Any]) -> None:
        """Scheduled campaigns whose time has come start sending; sending ones finish."""
        now = self.clock.utcnow()  # type: ignore[attr-defined]
        for camp in st["campaigns"].values():
            if camp["status"] == "schedule":
                when = parse_time(camp["send_time"])
                if when is not None and when <= now:
                    self._start_sending(st, camp, when)
            if camp["status"] == "sending" and camp["type"] != "rss":
                started = parse_time(camp["send_time"]) or now
                if now >= started + timedelta(seconds=self.send_seconds):
                    camp["status"] = "sent"
                    camp["delivery"] = "delivered"

    def _start_sending(self, st: dict[str, Any], camp: dict[str, Any], when: datetime) -> None:
        hashes = self._recipient_hashes(st, camp)
        camp["status"] = "sending"
        camp["send_time"] = fmt_time(when)
        camp["emails_sent"] = len(hashes)
        camp["sent_to"] = len(hashes)
        camp["delivery"] = "delivering"

    def render_campaign(self, st: dict[str, Any], camp: dict[str, Any]) -> dict[str, Any]:
        cid = camp["id"]
        recipients = camp["recipients"]
        lst = st["lists"].get(recipients.get("list_id") or "")
        frozen = camp["status"] in REPORTED
        count = camp["sent_to"] if frozen else len(self._recipient_hashes(st, camp))
        rec: dict[str, Any] = {
            "list_id": recipients.get("list_id") or "",
            "list_is_active": lst is not None,
            "list_name": lst["name"] if lst else "",
            "segment_text": _segment_text(recipients.get("segment_opts")),
            "recipient_count": count,
        }
        if recipients.get("segment_opts"):
            rec["segment_opts"] = copy.deepcopy(recipients["segment_opts"])
        out: dict[str, Any] = {
            "id": cid,
            "web_id": camp["web_id"],
            "parent_campaign_id": camp.get("parent_campaign_id", ""),
            "type": camp["type"],
            "create_time": camp["create_time"],
            "archive_url": f"http://eepurl.com/{cid[:6]}",
            "long_archive_url": f"https://us1.campaign-archive.com/?u=sim&id={cid}",
            "status": camp["status"],
            "emails_sent": camp["emails_sent"],
            "send_time": camp["send_time"],
            "content_type": camp["content_type"],
            "needs_block_refresh": False,
            "resendable": camp["status"] == "sent",
            "recipients": rec,
            "settings": copy.deepcopy(camp["settings"]),
            "tracking": copy.deepcopy(camp["tracking"]),
            "delivery_status": {"enabled": False},
            "_links": [],
        }
        for key in ("variate_settings", "rss_opts", "social_card"):
            if camp.get(key):
                out[key] = copy.deepcopy(camp[key])
        if frozen:
            rep = self._report_numbers(camp)
            out["report_summary"] = {
                "opens": rep["opens"],
                "unique_opens": rep["unique_opens"],
                "open_rate": rep["open_rate"],
                "clicks": rep["clicks"],
                "subscriber_clicks": rep["unique_clicks"],
                "click_rate": rep["click_rate"],
                "ecommerce": {"total_orders": 0, "total_spent": 0, "total_revenue": 0},
            }
            out["delivery_status"] = {
                "enabled": True,
                "can_cancel": camp["status"] == "sending",
                "status": camp.get("delivery", "delivered"),
                "emails_sent": camp["emails_sent"],
                "emails_canceled": camp.get("emails_canceled", 0),
            }
        return out

    def _validate_campaign(self, st: dict[str, Any], data: dict[str, Any], *, create: bool) -> dict[str, Any]:
        """Check a create/update body; returns the normalised recipients block (or {} if absent)."""
        errors: dict[str, str] = {}
        if (create or "type" in data) and data.get("type") not in CAMPAIGN_TYPES:
            errors["type"] = f"Value must be one of: {', '.join(CAMPAIGN_TYPES)}"
        recipients: dict[str, Any] = {}
        raw_rec = data.get("recipients")
        if raw_rec is not None:
            if not isinstance(raw_rec, dict):
                errors["recipients"] = "Schema describes object, but a different type was found instead"
            else:
                list_id = raw_rec.get("list_id")
                if not isinstance(list_id, str) or not list_id:
                    errors["recipients.list_id"] = "This value should not be blank."
                elif list_id not in st["lists"]:
                    raise invalid(
                        f"The list_id '{list_id}' does not exist.",
                        [{"field": "recipients.list_id", "message": "Invalid list ID."}],
                    )
                else:
                    recipients["list_id"] = list_id
                opts = raw_rec.get("segment_opts")
                if opts is not None:
                    recipients["segment_opts"] = self._validate_segment_opts(st, list_id, opts, errors)
        settings = data.get("settings")
        if settings is not None:
            if not isinstance(settings, dict):
                errors["settings"] = "Schema describes object, but a different type was found instead"
            else:
                for key, value in settings.items():
                    kind = SETTINGS_TYPES.get(key)
                    if kind is None or value is None:
                        continue
                    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                        errors[f"settings.{key}"] = f"This value should be of type {_type_name(kind)}."
                reply_to = settings.get("reply_to")
                if isinstance(reply_to, str) and reply_to and email_problem(reply_to):
                    errors["settings.reply_to"] = "This value should be a valid email address."
                subject = settings.get("subject_line")
                if isinstance(subject, str) and len(subject) > 150:
                    errors["settings.subject_line"] = "This value is too long. It should have 150 characters or less."
                fb = settings.get("auto_fb_post")
                if isinstance(fb, list) and not all(isinstance(x, str) for x in fb):
                    errors["settings.auto_fb_post"] = "Schema describes array of strings."
        for block in ("tracking", "social_card", "variate_settings", "rss_opts"):
            if data.get(block) is not None and not isinstance(data[block], dict):
                errors[block] = "Schema describes object, but a different type was found instead"
        card = data.get("social_card")
        if isinstance(card, dict):
            for key in ("image_url", "description", "title"):
                if card.get(key) is not None and not isinstance(card[key], str):
                    errors[f"social_card.{key}"] = "This value should be of type string."
        kind = data.get("type")
        if create and kind == "variate" and not isinstance(data.get("variate_settings"), dict):
            errors["variate_settings"] = "This value should not be blank."
        elif (
            create
            and kind == "variate"
            and data["variate_settings"].get("winner_criteria") not in ("opens", "clicks", "manual", "total_revenue")
        ):
            errors["variate_settings.winner_criteria"] = "Value must be one of: opens, clicks, manual, total_revenue"
        if create and kind == "rss":
            rss = data.get("rss_opts")
            if not isinstance(rss, dict) or not rss.get("feed_url"):
                errors["rss_opts.feed_url"] = "This value should not be blank."
            elif rss.get("frequency") not in ("daily", "weekly", "monthly"):
                errors["rss_opts.frequency"] = "Value must be one of: daily, weekly, monthly"
        if errors:
            raise field_errors(errors)
        return recipients

    def _validate_segment_opts(
        self, st: dict[str, Any], list_id: Any, opts: Any, errors: dict[str, str]
    ) -> dict[str, Any]:
        if not isinstance(opts, dict):
            errors["recipients.segment_opts"] = "Schema describes object, but a different type was found instead"
            return {}
        out: dict[str, Any] = {}
        sid = opts.get("saved_segment_id")
        if sid is not None:
            lst = st["lists"].get(list_id) if isinstance(list_id, str) else None
            if not isinstance(sid, int) or isinstance(sid, bool):
                errors["recipients.segment_opts.saved_segment_id"] = "This value should be of type integer."
            elif lst is None or str(sid) not in lst["segments"]:
                raise invalid(
                    f"The segment {sid} does not exist on this audience.",
                    [{"field": "recipients.segment_opts.saved_segment_id", "message": "Invalid segment ID."}],
                )
            else:
                out["saved_segment_id"] = sid
        if opts.get("match") is not None:
            if opts["match"] not in ("any", "all"):
                errors["recipients.segment_opts.match"] = "Value must be one of: any, all"
            out["match"] = opts["match"]
        if opts.get("conditions") is not None:
            if not isinstance(opts["conditions"], list):
                errors["recipients.segment_opts.conditions"] = "Schema describes array."
            out["conditions"] = opts["conditions"]
        if "conditions" in out and "match" not in out:
            out["match"] = "all"
        return out

    def _apply_campaign(self, camp: dict[str, Any], data: dict[str, Any], recipients: dict[str, Any]) -> None:
        if "recipients" in data and recipients:
            camp["recipients"] = recipients
        if isinstance(data.get("settings"), dict):
            for key, value in data["settings"].items():
                if key in SETTINGS_DEFAULTS and value is not None:
                    camp["settings"][key] = value
            if "auto_footer" in data["settings"]:
                camp["auto_footer_set"] = True
        if isinstance(data.get("tracking"), dict):
            camp["tracking"].update(data["tracking"])
        for key in ("social_card", "variate_settings", "rss_opts"):
            if isinstance(data.get(key), dict):
                camp[key] = {**(camp.get(key) or {}), **data[key]}
        if data.get("content_type") in ("template", "multichannel"):
            camp["content_type"] = data["content_type"]

    def checklist(self, st: dict[str, Any], camp: dict[str, Any]) -> dict[str, Any]:
        items: list[dict[str, Any]] = []

        def item(kind: str, heading: str, details: str) -> None:
            items.append({"type": kind, "id": len(items), "heading": heading, "details": details})

        settings = camp["settings"]
        recipients = camp["recipients"]
        if not recipients.get("list_id") or recipients["list_id"] not in st["lists"]:
            item("error", "Audience", "You need to select an audience to send to.")
        elif not self._recipient_hashes(st, camp):
            item("error", "Audience", "There are no subscribed contacts in the audience or segment you selected.")
        else:
            item("success", "Audience", f"{len(self._recipient_hashes(st, camp))} recipients.")
        if camp["type"] == "variate":
            subjects = (camp.get("variate_settings") or {}).get("subject_lines") or []
            has_subject = bool(settings["subject_line"]) or bool(subjects)
        else:
            has_subject = bool(settings["subject_line"].strip())
        if has_subject:
            item("success", "Subject line", "The campaign has a subject line.")
        else:
            item("error", "Subject line", "You need to add a subject line.")
        if settings["from_name"].strip():
            item("success", "From name", "The campaign has a from name.")
        else:
            item("error", "From name", "You need to add a from name.")
        reply_to = settings["reply_to"].strip()
        if not reply_to:
            item("error", "From email address", "You need to add a from email address (reply_to).")
        elif email_problem(reply_to):
            item("error", "From email address", f"{reply_to} is not a valid email address.")
        else:
            item("success", "From email address", reply_to)
        content = camp["content"]
        body = content["plain_text"] if camp["type"] == "plaintext" else content["html"]
        if not body.strip():
            item("error", "Content", "You need to add content to your campaign.")
        else:
            item("success", "Content", "The campaign has content.")
            if UNSUB_TAG in body:
                item("success", "Unsubscribe link", "The content has an unsubscribe link.")
            elif settings["auto_footer"]:
                item("success", "Unsubscribe link", "Mailchimp's footer adds the unsubscribe link.")
            elif camp.get("auto_footer_set"):
                item(
                    "error",
                    "Unsubscribe link",
                    f"The content has no {UNSUB_TAG} merge tag and auto_footer is off: add an unsubscribe link.",
                )
            else:
                item(
                    "warning",
                    "Unsubscribe link",
                    f"The content has no {UNSUB_TAG} merge tag; Mailchimp's default footer will add one.",
                )
        if not camp["tests"]:
            item("warning", "Test email", "You haven't sent a test email.")
        return {"is_ready": not any(i["type"] == "error" for i in items), "items": items, "_links": []}

    def _require_ready(self, st: dict[str, Any], camp: dict[str, Any]) -> None:
        check = self.checklist(st, camp)
        if not check["is_ready"]:
            errors = [{"field": i["heading"], "message": i["details"]} for i in check["items"] if i["type"] == "error"]
            raise invalid("Your Campaign is not ready to send.", errors)

    # ---------------------------------------------------------------- campaign routes

    @api("GET", "/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        st = self._st(req)
        camps = list(st["campaigns"].values())
        for key in ("type", "status"):
            value = req.arg(key)
            if value:
                camps = [c for c in camps if c[key] == value]
        list_id = req.arg("list_id")
        if list_id:
            camps = [c for c in camps if c["recipients"].get("list_id") == list_id]
        for arg, field, before in (
            ("since_create_time", "create_time", False),
            ("before_create_time", "create_time", True),
            ("since_send_time", "send_time", False),
            ("before_send_time", "send_time", True),
        ):
            bound = parse_time(req.arg(arg))
            if bound is not None:
                camps = [c for c in camps if _compare(c[field], bound, before)]
        sort_field = req.arg("sort_field")
        if sort_field in ("create_time", "send_time"):
            camps.sort(key=lambda c: c[sort_field] or "", reverse=(req.arg("sort_dir") or "").upper() == "DESC")
        return self._page(req, "campaigns", camps, lambda c: self.render_campaign(st, c))

    @api("POST", "/campaigns")
    def create_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._body(req)
        recipients = self._validate_campaign(st, data, create=True)
        camp: dict[str, Any] = {
            "id": self._hex_id("campaign"),
            "web_id": self._int_id(2_000_000),
            "type": data["type"],
            "create_time": self._now(),
            "status": "save",
            "send_time": "",
            "emails_sent": 0,
            "sent_to": 0,
            "content_type": "template",
            "recipients": recipients,
            "settings": copy.deepcopy(SETTINGS_DEFAULTS),
            "auto_footer_set": False,
            "tracking": dict(TRACKING_DEFAULTS),
            "content": {"html": "", "plain_text": "", "plain_text_given": False},
            "tests": [],
            "report": dict.fromkeys(REPORT_COUNTERS, 0),
        }
        self._apply_campaign(camp, data, recipients)
        st["campaigns"][camp["id"]] = camp
        return self.render_campaign(st, camp)

    @api("GET", "/campaigns/{campaign_id}")
    def get_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        return self.render_campaign(st, self._campaign(st, req))

    @api("PATCH", "/campaigns/{campaign_id}")
    def update_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        data = self._body(req)
        if camp["status"] not in EDITABLE:
            raise invalid(f"This campaign cannot be updated because its status is '{camp['status']}'.")
        if data.get("type") is not None and data["type"] != camp["type"]:
            raise invalid("The type of a campaign cannot be changed.")
        recipients = self._validate_campaign(st, data, create=False)
        self._apply_campaign(camp, data, recipients)
        return self.render_campaign(st, camp)

    @api("DELETE", "/campaigns/{campaign_id}")
    def delete_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        if camp["status"] == "schedule":
            raise invalid("This campaign is scheduled; unschedule it before deleting it.")
        if camp["status"] in ("sending", "canceling"):
            raise invalid("This campaign is sending and cannot be deleted.")
        del st["campaigns"][camp["id"]]
        return None

    # ---------------------------------------------------------------- content and checklist

    def render_content(self, camp: dict[str, Any]) -> dict[str, Any]:
        content = camp["content"]
        out = {
            "plain_text": content["plain_text"],
            "html": content["html"],
            "archive_html": content["html"],
            "_links": [],
        }
        if camp["type"] == "variate":
            out["variate_contents"] = []
        return out

    @api("GET", "/campaigns/{campaign_id}/content")
    def get_content(self, req: SimRequest) -> Any:
        st = self._st(req)
        return self.render_content(self._campaign(st, req))

    @api("PUT", "/campaigns/{campaign_id}/content")
    def set_content(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        data = self._body(req)
        if camp["status"] not in EDITABLE:
            raise invalid(f"The content of a campaign whose status is '{camp['status']}' cannot be changed.")
        errors: dict[str, str] = {}
        for key in ("html", "plain_text", "url"):
            self._str(data, key, errors)
        template = data.get("template")
        if template is not None and (not isinstance(template, dict) or not isinstance(template.get("id"), int)):
            errors["template.id"] = "This value should be of type integer."
        if data.get("archive") is not None:
            errors["archive"] = "Archive (zip/tar) content is not supported by the simulator."
        if errors:
            raise field_errors(errors)
        content = camp["content"]
        html = None
        if isinstance(data.get("html"), str):
            html, kind = data["html"], "html"
        elif isinstance(data.get("url"), str):
            html, kind = f"<html><body><!-- imported from {htmlmod.escape(data['url'])} --></body></html>", "url"
        elif isinstance(template, dict):
            sections = template.get("sections") or {}
            html = "<html><body>" + "".join(str(v) for v in sections.values()) + "</body></html>"
            kind = "template"
            camp["settings"]["template_id"] = template["id"]
        if html is not None:
            content["html"] = html
            camp["content_type"] = kind
        if isinstance(data.get("plain_text"), str):
            content["plain_text"] = data["plain_text"]
            content["plain_text_given"] = True
        elif html is not None and not content.get("plain_text_given"):
            content["plain_text"] = html_to_text(html)
        return self.render_content(camp)

    @api("GET", "/campaigns/{campaign_id}/send-checklist")
    def send_checklist(self, req: SimRequest) -> Any:
        st = self._st(req)
        return self.checklist(st, self._campaign(st, req))

    # ---------------------------------------------------------------- actions

    @api("POST", "/campaigns/{campaign_id}/actions/schedule")
    def schedule_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        if camp["status"] not in EDITABLE:
            raise invalid(_cannot(camp, "scheduled"))
        data = self._body(req)
        raw = data.get("schedule_time")
        when = parse_time(raw)
        if raw is None or raw == "":
            raise field_errors({"schedule_time": "This value should not be blank."})
        if when is None:
            raise field_errors({"schedule_time": "This value should be a valid ISO 8601 date-time (UTC)."})
        now = self.clock.utcnow()  # type: ignore[attr-defined]
        if when <= now:
            raise invalid(
                f"The schedule_time {fmt_time(when)} is in the past; campaigns can only be scheduled in the future.",
                [{"field": "schedule_time", "message": "Must be in the future."}],
            )
        if when.minute % 15 or when.second or when.microsecond:
            raise invalid(
                "Campaigns may only be scheduled to send on the quarter-hour (:00, :15, :30, :45); "
                f"{fmt_time(when)} is not.",
                [{"field": "schedule_time", "message": "Must be on the quarter-hour."}],
            )
        timewarp = data.get("timewarp")
        if timewarp is not None and not isinstance(timewarp, bool):
            raise field_errors({"timewarp": "This value should be of type boolean."})
        if timewarp and when < now + timedelta(hours=24):
            raise invalid("Timewarp campaigns must be scheduled at least 24 hours in advance.")
        batch = data.get("batch_delivery")
        if batch is not None and (
            not isinstance(batch, dict)
            or not all(isinstance(batch.get(k), int) for k in ("batch_delay", "batch_count"))
        ):
            raise field_errors({"batch_delivery": "batch_delay and batch_count are required integers."})
        self._require_ready(st, camp)
        camp["status"] = "schedule"
        camp["send_time"] = fmt_time(when)
        camp["settings"]["timewarp"] = bool(timewarp)
        return None

    @api("POST", "/campaigns/{campaign_id}/actions/unschedule")
    def unschedule_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        if camp["status"] != "schedule":
            raise invalid(
                f"This campaign is not scheduled (its status is '{camp['status']}'); "
                "only scheduled campaigns can be unscheduled."
            )
        camp["status"] = "save"
        camp["send_time"] = ""
        return None

    @api("POST", "/campaigns/{campaign_id}/actions/send")
    def send_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        if camp["status"] not in EDITABLE:
            raise invalid(_cannot(camp, "sent"))
        self._require_ready(st, camp)
        if camp["type"] == "rss":
            camp["status"] = "sending"  # RSS campaigns start their schedule instead of sending at once
            camp["send_time"] = self._now()
            return None
        self._start_sending(st, camp, self.clock.utcnow())  # type: ignore[attr-defined]
        self._tick_campaigns(st)
        return None

    @api("POST", "/campaigns/{campaign_id}/actions/cancel-send")
    def cancel_send(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        if camp["status"] != "sending":
            raise invalid(f"Only a campaign that is sending can be canceled; this one's status is '{camp['status']}'.")
        camp["status"] = "canceled"
        camp["delivery"] = "canceled"
        camp["emails_canceled"] = camp["emails_sent"]
        return None

    @api("POST", "/campaigns/{campaign_id}/actions/pause")
    def pause_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        if camp["type"] != "rss" or camp["status"] != "sending":
            raise invalid("Only a sending RSS campaign can be paused.")
        camp["status"] = "paused"
        return None

    @api("POST", "/campaigns/{campaign_id}/actions/resume")
    def resume_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        if camp["type"] != "rss" or camp["status"] != "paused":
            raise invalid("Only a paused RSS campaign can be resumed.")
        camp["status"] = "sending"
        return None

    @api("POST", "/campaigns/{campaign_id}/actions/replicate")
    def replicate_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        new = copy.deepcopy(camp)
        new.update(
            id=self._hex_id("campaign"),
            web_id=self._int_id(2_000_000),
            create_time=self._now(),
            status="save",
            send_time="",
            emails_sent=0,
            sent_to=0,
            tests=[],
            report=dict.fromkeys(REPORT_COUNTERS, 0),
            parent_campaign_id=camp["id"],
        )
        new["settings"]["title"] = f"{camp['settings']['title'] or camp['id']} (copy)"
        for key in ("delivery", "emails_canceled"):
            new.pop(key, None)
        st["campaigns"][new["id"]] = new
        return self.render_campaign(st, new)

    @api("POST", "/campaigns/{campaign_id}/actions/test")
    def test_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        data = self._body(req)
        errors: dict[str, str] = {}
        emails = data.get("test_emails")
        if not isinstance(emails, list) or not emails:
            errors["test_emails"] = "This value should not be blank."
        else:
            bad = [str(e) for e in emails if email_problem(e)]
            if bad:
                errors["test_emails"] = f"Invalid email address(es): {', '.join(bad)}"
        if data.get("send_type") not in ("html", "plaintext"):
            errors["send_type"] = "Value must be one of: html, plaintext"
        if errors:
            raise field_errors(errors)
        if camp["status"] in ("sent", "sending", "canceled"):
            raise invalid(f"A test cannot be sent for a campaign whose status is '{camp['status']}'.")
        content = camp["content"]
        if not (content["html"].strip() or content["plain_text"].strip()):
            raise invalid("This campaign has no content to test; set its content first.")
        camp["tests"].append({"test_emails": list(emails), "send_type": data["send_type"], "time": self._now()})
        return None

    # ---------------------------------------------------------------- reports

    def _report_numbers(self, camp: dict[str, Any]) -> dict[str, Any]:
        rep = dict(camp["report"])
        sent = camp["emails_sent"]
        delivered = max(sent - rep["hard_bounces"] - rep["soft_bounces"], 0)
        rep["open_rate"] = round(rep["unique_opens"] / delivered, 4) if delivered else 0
        rep["click_rate"] = round(rep["unique_clicks"] / delivered, 4) if delivered else 0
        return rep

    def render_report(self, st: dict[str, Any], camp: dict[str, Any]) -> dict[str, Any]:
        rep = self._report_numbers(camp)
        lst = st["lists"].get(camp["recipients"].get("list_id") or "")
        settings = camp["settings"]
        return {
            "id": camp["id"],
            "campaign_title": settings["title"],
            "type": camp["type"],
            "list_id": camp["recipients"].get("list_id") or "",
            "list_is_active": lst is not None,
            "list_name": lst["name"] if lst else "",
            "subject_line": settings["subject_line"],
            "preview_text": settings["preview_text"],
            "emails_sent": camp["emails_sent"],
            "abuse_reports": rep["abuse_reports"],
            "unsubscribed": rep["unsubscribed"],
            "send_time": camp["send_time"],
            "rss_last_send": "",
            "bounces": {"hard_bounces": rep["hard_bounces"], "soft_bounces": rep["soft_bounces"], "syntax_errors": 0},
            "forwards": {"forwards_count": rep["forwards"], "forwards_opens": 0},
            "opens": {
                "opens_total": rep["opens"],
                "unique_opens": rep["unique_opens"],
                "open_rate": rep["open_rate"],
                "last_open": camp["send_time"] if rep["opens"] else "",
            },
            "clicks": {
                "clicks_total": rep["clicks"],
                "unique_clicks": rep["unique_clicks"],
                "unique_subscriber_clicks": rep["unique_clicks"],
                "click_rate": rep["click_rate"],
                "last_click": camp["send_time"] if rep["clicks"] else "",
            },
            "facebook_likes": {"recipient_likes": 0, "unique_likes": 0, "facebook_likes": 0},
            "industry_stats": {
                "type": "Marketing and Advertising",
                "open_rate": 0.17,
                "click_rate": 0.02,
                "bounce_rate": 0.01,
                "unopen_rate": 0.83,
                "unsub_rate": 0.002,
                "abuse_rate": 0.0001,
            },
            "list_stats": {"sub_rate": 0, "unsub_rate": 0, "open_rate": 0, "click_rate": 0},
            "timeseries": [],
            "share_report": {
                "share_url": f"https://us1.campaign-archive.com/?u=sim&id={camp['id']}",
                "share_password": "",
            },
            "ecommerce": {"total_orders": 0, "total_spent": 0, "total_revenue": 0, "currency_code": "USD"},
            "delivery_status": {
                "enabled": True,
                "can_cancel": camp["status"] == "sending",
                "status": camp.get("delivery", "delivered"),
                "emails_sent": camp["emails_sent"],
                "emails_canceled": camp.get("emails_canceled", 0),
            },
            "_links": [],
        }

    @api("GET", "/reports")
    def list_reports(self, req: SimRequest) -> Any:
        st = self._st(req)
        camps = [c for c in st["campaigns"].values() if c["status"] in REPORTED]
        kind = req.arg("type")
        if kind:
            camps = [c for c in camps if c["type"] == kind]
        for arg, before in (("since_send_time", False), ("before_send_time", True)):
            bound = parse_time(req.arg(arg))
            if bound is not None:
                camps = [c for c in camps if _compare(c["send_time"], bound, before)]
        return self._page(req, "reports", camps, lambda c: self.render_report(st, c))

    @api("GET", "/reports/{campaign_id}")
    def get_report(self, req: SimRequest) -> Any:
        st = self._st(req)
        camp = self._campaign(st, req)
        if camp["status"] not in REPORTED:
            raise not_found()  # simulator choice: no report before a campaign is sent
        return self.render_report(st, camp)


# --------------------------------------------------------------------------------------------------


def _cannot(camp: dict[str, Any], verb: str) -> str:
    status = camp["status"]
    if status == "schedule":
        return f"This campaign is already scheduled; unschedule it before it can be {verb}."
    if status in ("sending", "sent"):
        return f"This campaign has already been sent (status '{status}') and cannot be {verb}."
    if status == "canceled":
        return f"This campaign was canceled and cannot be {verb}."
    return f"A campaign whose status is '{status}' cannot be {verb}."


def _segment_text(opts: Any) -> str:
    if not opts:
        return ""
    parts = []
    if opts.get("saved_segment_id"):
        parts.append(f"Segment {opts['saved_segment_id']}")
    if opts.get("conditions"):
        parts.append(f"Contacts match {opts.get('match', 'all')} of {len(opts['conditions'])} condition(s)")
    return "; ".join(parts)


def _compare(value: str, bound: datetime, before: bool) -> bool:
    when = parse_time(value)
    if when is None:
        return False
    return when < bound if before else when >= bound


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "string", bool: "boolean", int: "integer", list: "array"}
    return names.get(kind, "value") if isinstance(kind, type) else "value"
