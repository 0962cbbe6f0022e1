"""Campaigns in the MailerLite simulator: validation, rendering and the status machine.

A campaign is created as a ``draft``; scheduling makes it ``ready`` (or ``sent`` at once when
``delivery`` is ``instant``), a ready one turns ``sent`` lazily on the first read after its time,
and cancelling returns it to ``draft``. Content must carry ``{$unsubscribe}`` and comes back with
MailerLite's template markers (`rewrite_html`). Also the campaign languages table and
``GET /campaigns/languages``; schedule time zones come from `sim_timezones`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hub.simulator import SimRequest, SimResponse, route
from hub_mailerlite.sim_shapes import DATE_RE, EMAIL_RE, PLAIN_TEXT, TS, email_stats, humanize, invalid
from hub_mailerlite.sim_timezones import timezone_name, to_utc

CAMPAIGN_TYPES = ("regular", "ab", "resend")
CAMPAIGN_STATUSES = ("draft", "ready", "sent")
DELIVERIES = ("instant", "scheduled", "timezone_based")


def _int_in(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if low <= number <= high else None


def rewrite_html(html: str) -> str:
    """Insert the template markers MailerLite adds to HTML content (a light imitation)."""
    out = html
    if "<!--{$head_top}-->" not in out:
        out = re.sub(r"(<head[^>]*>)", r"\1\n    <!--{$head_top}--><!--{$head_bottom}-->", out, count=1, flags=re.I)
    if "<!--{$body_top}-->" not in out:
        out = re.sub(r"(<body[^>]*>)", r"\1\n    <!--{$body_top}-->", out, count=1, flags=re.I)
        out = re.sub(r"(</body>)", r"<!--{$body_bottom}-->\n  \1", out, count=1, flags=re.I)
    if not out.lstrip().lower().startswith("<!doctype"):
        out = "<!DOCTYPE html>\n" + out
    return out


class CampaignsMixin:
    """Campaigns and their routes."""

    def _language(self, language_id: str) -> dict[str, Any]:
        for lid, short, iso, name, direction in _LANGUAGES:
            if lid == language_id:
                return {"id": lid, "shortcode": short, "iso639": iso, "name": name, "direction": direction}
        return self._language("4")

    def _validate_campaign(self, st: dict[str, Any], data: dict[str, Any], *, create: bool) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        out: dict[str, Any] = {}
        name = data.get("name")
        if name is None or name == "":
            if create:
                errors["name"] = ["The name field is required."]
        elif not isinstance(name, str):
            errors["name"] = ["The name must be a string."]
        elif len(name) > 255:
            errors["name"] = ["The name must not be greater than 255 characters."]
        else:
            out["name"] = name
        ctype = data.get("type")
        if ctype is None:
            if create:
                errors["type"] = ["The type field is required."]
        elif ctype not in CAMPAIGN_TYPES:
            errors["type"] = ["The selected type is invalid."]
        else:
            out["type"] = ctype
        if data.get("language_id") is not None:
            if not any(str(data["language_id"]) == lang[0] for lang in _LANGUAGES):
                errors["language_id"] = ["The selected language id is invalid."]
            else:
                out["language_id"] = str(data["language_id"])
        emails = data.get("emails")
        if emails is None:
            if create:
                errors["emails"] = ["The emails field is required."]
        elif not isinstance(emails, list):
            errors["emails"] = ["The emails must be an array."]
        elif len(emails) != 1:
            errors["emails"] = ["The emails must contain 1 items."]
        elif not isinstance(emails[0], dict):
            errors["emails.0"] = ["The emails.0 must be an array."]
        else:
            email = emails[0]
            for key in ("subject", "from_name", "from"):
                value = email.get(key)
                if value is None or value == "":
                    errors[f"emails.0.{key}"] = [f"The {humanize(f'emails.0.{key}')} field is required."]
                elif not isinstance(value, str) or len(value) > 255:
                    errors[f"emails.0.{key}"] = [f"The {humanize(f'emails.0.{key}')} must be a string of at most 255."]
            for key in ("from", "reply_to"):
                value = email.get(key)
                if isinstance(value, str) and value and not EMAIL_RE.match(value):
                    errors[f"emails.0.{key}"] = [f"The {humanize(f'emails.0.{key}')} must be a valid email address."]
            content = email.get("content")
            if content is not None and not isinstance(content, str):
                errors["emails.0.content"] = ["The emails.0.content must be a string."]
            elif content and "{$unsubscribe}" not in content:  # simulator choice (vendor unverified)
                errors["emails.0.content"] = ["The emails.0.content must contain an unsubscribe link ({$unsubscribe})."]
            out["email"] = email
        for kind in ("groups", "segments"):
            ids = data.get(kind)
            if ids is None:
                continue
            if not isinstance(ids, list):
                errors[kind] = [f"The {kind} must be an array."]
                continue
            for i, ident in enumerate(ids):
                if str(ident) not in st[kind]:
                    errors[f"{kind}.{i}"] = [f"The selected {kind}.{i} is invalid."]
            out[kind] = [str(i) for i in ids]
        if out.get("type", data.get("type")) == "ab" and create:
            ab = data.get("ab_settings")
            if not isinstance(ab, dict):
                errors["ab_settings"] = ["The ab settings field is required when type is ab."]
            else:
                for key in ("test_type", "select_winner_by", "after_time_amount", "after_time_unit", "test_split"):
                    if ab.get(key) in (None, ""):
                        errors[f"ab_settings.{key}"] = [f"The {humanize(f'ab_settings.{key}')} field is required."]
            out["ab_settings"] = ab
        if errors:
            raise invalid(errors)
        return out

    def _audience(self, st: dict[str, Any], camp: dict[str, Any]) -> tuple[str | None, list[str]]:
        if camp["segment_ids"]:
            return "segments", camp["segment_ids"]
        if camp["group_ids"]:
            return "groups", camp["group_ids"]
        return None, []

    def _recipients(self, st: dict[str, Any], camp: dict[str, Any]) -> int:
        kind, ids = self._audience(st, camp)
        subs = st["subscribers"]
        if kind is None:
            return sum(1 for s in subs.values() if s["status"] == "active")
        if kind == "segments":
            members = {sid for seg in ids if seg in st["segments"] for sid in st["segments"][seg]["subscriber_ids"]}
            return sum(1 for sid in members if sid in subs and subs[sid]["status"] == "active")
        wanted = set(ids)
        return sum(1 for s in subs.values() if s["status"] == "active" and wanted.intersection(s["groups"]))

    def render_campaign(self, st: dict[str, Any], camp: dict[str, Any], *, content: bool = True) -> dict[str, Any]:
        kind, ids = self._audience(st, camp)
        pool = st["segments"] if kind == "segments" else st["groups"]
        named = [{"id": i, "name": pool[i]["name"] if i in pool else None} for i in ids]
        if kind:
            word = "segment" if kind == "segments" else "group"
            filt = [[{"operator": "in_any", "args": [kind, ids]}]]
            human = [[f"In any {word}: " + ", ".join(str(n["name"]) for n in named)]]
        else:
            filt, human = [], []
        status = camp["status"]
        language = self._language(camp["language_id"])
        email = camp["email"]
        sent = camp.get("sent_count", 0)
        email_out = {
            "id": email["id"],
            "account_id": camp["account_id"],
            "emailable_id": camp["id"],
            "emailable_type": "campaigns",
            "type": "builder_html" if email.get("content") else None,
            "from": email["from"],
            "from_name": email["from_name"],
            "reply_to": email.get("reply_to") or email["from"],
            "name": None,
            "subject": email["subject"],
        }
        if content and email.get("content"):
            html = email["content"]
            email_out["content"] = rewrite_html(html) if self.rewrite_content else html
        email_out.update(
            {
                "plain_text": PLAIN_TEXT,
                "screenshot_url": None,
                "generate_screenshot_timestamp": None,
                "preview_url": f"https://preview.mailerlite.io/preview/{camp['account_id']}/emails/{email['id']}",
                "created_at": camp["created_at"],
                "updated_at": camp["updated_at"],
                "is_designed": bool(email.get("content")),
                "language_id": int(language["id"]),
                "language": language,
                "is_winner": False,
                "stats": email_stats(sent),
                "send_after": None,
                "track_opens": True,
                "uses_survey": False,
                "uses_quiz": False,
                "preheader": email.get("preheader"),
            }
        )
        draft = status == "draft"
        has_content = bool(email.get("content"))
        out: dict[str, Any] = {
            "id": camp["id"],
            "account_id": camp["account_id"],
            "name": camp["name"],
            "type": camp["type"],
            "status": status,
            "missing_data": [] if has_content else ["content"],
            "settings": {"track_opens": True, "use_google_analytics": False, "ecommerce_tracking": False},
            "filter": filt,
            "filter_for_humans": human,
            "delivery_schedule": camp["delivery_schedule"],
            "language_id": language["id"],
            "language": language,
            "created_at": camp["created_at"],
            "updated_at": camp["updated_at"],
            "scheduled_for": camp["scheduled_for"],
            "queued_at": camp["queued_at"],
            "started_at": camp["started_at"],
            "finished_at": camp["finished_at"],
            "stopped_at": camp["stopped_at"],
            "default_email_id": email["id"],
            "emails": [email_out],
            "used_in_automations": False,
            "type_for_humans": {"regular": "Regular", "ab": "A/B split", "resend": "Auto resend"}[camp["type"]],
            "is_stopped": camp["stopped_at"] is not None and draft,
            "has_winner": None,
            "winner_version_for_human": None,
            "winner_sending_time_for_humans": None,
            "winner_selected_manually_at": None,
            "can": {"update": draft, "delete": True, "send": draft, "copy": True, "resend": False},
            "uses_ecommerce": False,
            "ecommerce_stats": None,
            "uses_survey": False,
            "can_be_scheduled": draft and has_content,
            "cannot_be_scheduled_reason": None if (not draft or has_content) else "Campaign has no content.",
            "is_smart_sending_index_option_finished": False,
            "is_applied_for_smart_sending_index_option": False,
            "warnings": [],
            "recipients_count": sent if status == "sent" else self._recipients(st, camp),
            "next_step": None,
            "is_currently_sending_out": False,
            "can_be_copied": True,
            "has_basic_filter": True,
            "basic_filter_for_humans": {
                "included_groups": named if kind == "groups" else [],
                "excluded_groups": [],
                "included_segments": named if kind == "segments" else [],
                "excluded_segments": [],
                "all_active_subscribers": kind is None,
            },
            "is_eligible_for_sending": has_content,
            "needs_repair": False,
        }
        if camp.get("ab_settings") is not None:
            out["ab_settings"] = camp["ab_settings"]
        if status == "sent":
            out["stats"] = email_stats(sent)
        return out

    def _tick_campaigns(self, st: dict[str, Any]) -> None:
        """Scheduled campaigns whose time has come are sent (lazily, on read)."""
        now = self._now()
        for camp in st["campaigns"].values():
            if camp["status"] == "ready" and camp["scheduled_for"] and camp["scheduled_for"] <= now:
                self._send(st, camp)

    def _send(self, st: dict[str, Any], camp: dict[str, Any]) -> None:
        now = self._now()
        camp["sent_count"] = self._recipients(st, camp)
        camp["status"] = "sent"
        camp["queued_at"] = camp["queued_at"] or now
        camp["started_at"] = now
        camp["finished_at"] = now
        camp["updated_at"] = now

    def _campaign(self, req: SimRequest) -> tuple[dict[str, Any], dict[str, Any]]:
        st = self._st(req)
        self._tick_campaigns(st)
        return st, self._find(st, "campaign", "campaigns", req.params["id"])

    @route("GET", "/api/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        st = self._st(req)
        self._tick_campaigns(st)
        status = req.arg("filter[status]") or "ready"
        if status not in CAMPAIGN_STATUSES:
            raise invalid({"filter.status": ["The selected filter.status is invalid."]})
        ctype = req.arg("filter[type]")
        if ctype is not None and ctype not in (*CAMPAIGN_TYPES, "rss"):
            raise invalid({"filter.type": ["The selected filter.type is invalid."]})
        every = list(reversed(st["campaigns"].values()))
        chosen = [c for c in every if c["status"] == status and (ctype is None or c["type"] == ctype)]
        aggregations = {"all": len(every)}
        for s in CAMPAIGN_STATUSES:
            aggregations[s] = sum(1 for c in every if c["status"] == s)
        return 200, self.page_envelope(
            req,
            chosen,
            25,
            lambda c: self.render_campaign(st, c, content=False),
            {"aggregations": aggregations},
        )

    @route("GET", "/api/campaigns/languages")
    def campaign_languages(self, req: SimRequest) -> Any:
        keys = ("id", "shortcode", "iso639", "name", "direction")
        return 200, {"data": [dict(zip(keys, lang, strict=True)) for lang in _LANGUAGES]}

    @route("POST", "/api/campaigns")
    def create_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        clean = self._validate_campaign(st, self._body(req), create=True)
        now = self._now()
        email = clean["email"]
        camp = {
            "id": self._new_id(),
            "account_id": self._account_number(req.account or ""),
            "name": clean["name"],
            "type": clean["type"],
            "status": "draft",
            "language_id": clean.get("language_id", "4"),
            "group_ids": [] if clean.get("segments") else clean.get("groups", []),
            "segment_ids": clean.get("segments", []),
            "delivery_schedule": None,
            "created_at": now,
            "updated_at": now,
            "scheduled_for": None,
            "queued_at": None,
            "started_at": None,
            "finished_at": None,
            "stopped_at": None,
            "ab_settings": clean.get("ab_settings"),
            "email": {
                "id": self._new_id(),
                "subject": email["subject"],
                "from_name": email["from_name"],
                "from": email["from"],
                "reply_to": email.get("reply_to"),
                "preheader": email.get("preheader"),
                "content": email.get("content"),
            },
        }
        st["campaigns"][camp["id"]] = camp
        return 201, {"data": self.render_campaign(st, camp, content=False)}

    @route("GET", "/api/campaigns/{id:\\d+}")
    def get_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        return 200, {"data": self.render_campaign(st, camp)}

    @route("PUT", "/api/campaigns/{id:\\d+}")
    def update_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        if camp["status"] != "draft":
            raise invalid({"status": [f"Only draft campaigns can be updated; this campaign is {camp['status']}."]})
        clean = self._validate_campaign(st, self._body(req), create=False)
        for key in ("name", "type", "language_id"):
            if key in clean:
                camp[key] = clean[key]
        if "segments" in clean:
            camp["segment_ids"], camp["group_ids"] = clean["segments"], []
        elif "groups" in clean:
            camp["group_ids"], camp["segment_ids"] = clean["groups"], []
        if "email" in clean:
            for key in ("subject", "from_name", "from", "reply_to", "preheader", "content"):
                if key in clean["email"]:
                    camp["email"][key] = clean["email"][key]
        camp["updated_at"] = self._now()
        return 200, {"data": self.render_campaign(st, camp)}

    @route("POST", "/api/campaigns/{id:\\d+}/schedule")
    def schedule_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        if camp["status"] != "draft":
            raise invalid({"delivery": [f"Only draft campaigns can be scheduled; this campaign is {camp['status']}."]})
        data = self._body(req)
        delivery = data.get("delivery")
        errors: dict[str, list[str]] = {}
        if delivery is None:
            errors["delivery"] = ["The delivery field is required."]
        elif delivery not in DELIVERIES:
            errors["delivery"] = ["The selected delivery is invalid."]
        when: datetime | None = None
        tz_name = self.timezone
        if delivery in ("scheduled", "timezone_based"):
            sched = data.get("schedule")
            if not isinstance(sched, dict):
                errors["schedule"] = [f"The schedule field is required when delivery is {delivery}."]
            else:
                date = sched.get("date")
                hours = _int_in(sched.get("hours"), 0, 23)
                minutes = _int_in(sched.get("minutes"), 0, 59)
                if not isinstance(date, str) or not DATE_RE.match(date):
                    errors["schedule.date"] = ["The schedule.date does not match the format Y-m-d."]
                if hours is None:
                    errors["schedule.hours"] = ["The schedule.hours must be between 0 and 23."]
                if minutes is None:
                    errors["schedule.minutes"] = ["The schedule.minutes must be between 0 and 59."]
                tz_id = sched.get("timezone_id")
                if tz_id is not None and delivery == "scheduled":
                    found = timezone_name(str(tz_id))
                    if found is None:
                        errors["schedule.timezone_id"] = ["The selected schedule.timezone id is invalid."]
                    else:
                        tz_name = found
                if not errors:
                    try:
                        local = datetime.strptime(f"{date} {hours:02d}:{minutes:02d}", "%Y-%m-%d %H:%M")
                    except ValueError:
                        errors["schedule.date"] = ["The schedule.date is not a valid date."]
                    else:
                        when = local if delivery == "timezone_based" else to_utc(local, tz_name)
                        if when <= self.clock.utcnow().replace(tzinfo=None):
                            errors["schedule.date"] = ["The schedule must be a date in the future."]
        if errors:
            raise invalid(errors)
        if not camp["email"].get("content"):
            raise invalid({"emails.0.content": ["The campaign has no content and cannot be scheduled."]})
        now = self._now()
        camp["delivery_schedule"] = delivery
        camp["stopped_at"] = None
        camp["updated_at"] = now
        if delivery == "instant":
            camp["scheduled_for"] = now
            camp["queued_at"] = now
            self._send(st, camp)  # simulator choice: an instant campaign is sent at once
        else:
            assert when is not None
            camp["status"] = "ready"
            camp["scheduled_for"] = when.strftime(TS)
        return 200, {"data": self.render_campaign(st, camp)}

    @route("POST", "/api/campaigns/{id:\\d+}/cancel")
    def cancel_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        if camp["status"] != "ready":
            raise invalid({"status": [f"Only ready campaigns can be cancelled; this campaign is {camp['status']}."]})
        now = self._now()
        camp["status"] = "draft"
        camp["stopped_at"] = now
        camp["updated_at"] = now
        return 200, {"data": self.render_campaign(st, camp)}

    @route("DELETE", "/api/campaigns/{id:\\d+}")
    def delete_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        del st["campaigns"][camp["id"]]
        return SimResponse(204)


_LANGUAGES = (
    ("23", "ar", "ar", "(Arabic) العربية", "rtl"),
    ("34", "ca", "ca", "Català", "ltr"),
    ("21", "cz", "cs-CZ", "Český", "ltr"),
    ("35", "ch", "ch", "Chinese", "ltr"),
    ("16", "dk", "da-DK", "Dansk", "ltr"),
    ("5", "de", "de-DE", "Deutsch", "ltr"),
    ("15", "ee", "et-EE", "Eesti", "ltr"),
    ("4", "en", "en-US", "English", "ltr"),
    ("8", "es", "es-ES", "Español", "ltr"),
    ("9", "mx", "es-MX", "Español (Latinoamérica)", "ltr"),
    ("17", "fi", "fi-FI", "Finnish", "ltr"),
    ("6", "fr", "fr-FR", "Français", "ltr"),
    ("26", "frq", "fr-CA", "Français (Canada)", "ltr"),
    ("36", "he", "he", "(Hebrew) עברית", "rtl"),
    ("20", "hr", "hr-HR", "Hrvatski", "ltr"),
    ("7", "it", "it-IT", "Italiano", "ltr"),
    ("37", "ja", "jpn", "Japanese", "ltr"),
    ("14", "lv", "lv-LV", "Latviešu", "ltr"),
    ("1", "lt", "lt-LT", "Lietuviškai", "ltr"),
    ("32", "hu", "hu-HU", "Magyar", "ltr"),
    ("13", "nl", "nl-NL", "Nederlands", "ltr"),
    ("28", "no", "nn-NO", "Norsk", "ltr"),
    ("33", "pr", "fa-IR", "(Persian) فارسی", "rtl"),
    ("2", "pl", "pl-PL", "Polski", "ltr"),
    ("18", "pt", "pt-PT", "Português", "ltr"),
    ("19", "ptbr", "pt-BR", "Português (Brasil)", "ltr"),
    ("27", "ro", "ro-RO", "Română", "ltr"),
    ("22", "sl", "sl-SI", "Slovenski", "ltr"),
    ("10", "sk", "sk-SK", "Slovensky", "ltr"),
    ("11", "se", "sv-SE", "Svenska", "ltr"),
    ("25", "tr", "tr-TR", "Türkçe", "ltr"),
    ("24", "gr", "el-GR", "Ελληνικά", "ltr"),
    ("30", "bg", "bg-BG", "Български", "ltr"),
    ("29", "mk", "mk-MK", "Македонски", "ltr"),
    ("3", "ru", "ru-RU", "Русский", "ltr"),
    ("31", "sr", "sr-Cyrl", "Српски", "ltr"),
    ("12", "ua", "uk-UA", "Українська", "ltr"),
)
