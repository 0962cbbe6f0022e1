"""Campaigns: validation, rendering and the status machine. A campaign is created as a ``draft``; scheduling
makes it ``ready`` (or ``sent`` at once when ``delivery`` is ``instant``), a ready one turns ``sent`` on the
first read after its time, and cancelling returns it to ``draft``.

Sending records who the campaign went to (the active members of its groups or segments at that moment), the
account's activity rates and the send's time; what each recipient has done by now is `hub.simulator.activity`'s
(`activity_rows`): the subscriber-activity report pages through those rows and the campaign's ``stats`` are
summed from them. Hard bounces, unsubscribes and complaints change the subscriber when they happen (`_tick`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hub.simulator import ActivityRates, Row, SimRequest, SimResponse, control, recipient_outcome, route, tally
from hub.simulator.activity import due_effects, elapsed_since, pending_effects

from .reference import LANGUAGES, timezone_name, to_utc
from .shapes import CAMPAIGNS, GROUPS, RECIPIENTS, SEGMENTS, SUBSCRIBERS, St, email_shape, email_stats
from .subscribers import Subscribers
from .validation import DATE_RE, TS, invalid, one_of, reject, validate

CAMPAIGN_TYPES = {"regular": "Regular", "ab": "A/B split", "resend": "Auto resend"}
CAMPAIGN_STATUSES = ("draft", "ready", "sent")
DELIVERIES = ("instant", "scheduled", "timezone_based")
TIMES = ("scheduled_for", "queued_at", "started_at", "finished_at", "stopped_at")
AB_KEYS = ("test_type", "select_winner_by", "after_time_amount", "after_time_unit", "test_split")
EMAIL_KEYS = ("subject", "from_name", "from", "reply_to", "preheader", "content")
SHORT = "required|short"
EMAIL_RULES = {"subject": SHORT, "from_name": SHORT, "from": SHORT + "|email", "reply_to": "email", "content": "string"}
# the subscriber-activity report: `filter[type]` values and `sort` keys as the SDKs type them (Node SDK's
# CampaignSubscribersActivityParams); forwarded is always empty here
ACTIVITY_TYPES = ("opened", "unopened", "clicked", "unsubscribed", "forwarded", "hardbounced", "softbounced", "junk")
ACTIVITY_AGGREGATIONS = ("all", *ACTIVITY_TYPES[:-1], "social_interaction", "junk")  # as recorded, in order
ACTIVITY_SORTS = ("id", "updated_at", "clicks_count", "opens_count")
ACTIVITY_LIMITS = ("10", "25", "50", "100")
EFFECT_STATUS = {"bounced": "bounced", "unsubscribed": "unsubscribed", "complained": "junk"}


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


def _int_in(value: Any, high: int) -> int | None:
    number = int(text) if (text := str(value).strip().lstrip("+")).isdecimal() else -1
    return number if 0 <= number <= high else None


class Campaigns(Subscribers):  # a send reads and shows subscribers
    def _validate_campaign(self, st: St, data: Row, *, create: bool) -> Row:
        """The fields given, checked (Laravel's 422 otherwise)."""
        need = "required|" if create else ""
        rules = {"name": need + "string|max:255", "type": need + one_of(*CAMPAIGN_TYPES),
                 "language_id": one_of(*LANGUAGES), "emails": need + "list", "groups": "list", "segments": "list"}
        errors = validate(data, rules)
        out = {k: data[k] for k in ("name", "type") if data.get(k) not in (None, "")}
        if data.get("language_id") is not None:
            out["language_id"] = str(data["language_id"])
        emails = data.get("emails")
        if isinstance(emails, list) and len(emails) != 1:
            errors["emails"] = ["The emails must contain 1 items."]
        elif isinstance(emails, list) and not isinstance(emails[0], dict):
            errors["emails.0"] = ["The emails.0 must be an array."]
        elif isinstance(emails, list):
            email = out["email"] = emails[0]
            validate(email, EMAIL_RULES, errors, "emails.0.")
            content = email.get("content")
            if isinstance(content, str) and content and "{$unsubscribe}" not in content:  # simulator choice
                errors["emails.0.content"] = ["The emails.0.content must contain an unsubscribe link ({$unsubscribe})."]
        for kind, spec in (("groups", GROUPS), ("segments", SEGMENTS)):
            if isinstance(ids := data.get(kind), list):
                known = spec.table(st)
                errors.update({f"{kind}.{i}": [f"The selected {kind}.{i} is invalid."]
                               for i, ident in enumerate(ids) if str(ident) not in known})
                out[kind] = [str(i) for i in ids]
        if create and data.get("type") == "ab":
            ab = out["ab_settings"] = data.get("ab_settings")
            if isinstance(ab, dict):
                validate(ab, dict.fromkeys(AB_KEYS, "required"), errors, "ab_settings.")
            else:
                errors["ab_settings"] = ["The ab settings field is required when type is ab."]
        reject(errors)
        return out

    def _audience(self, st: St, camp: Row) -> tuple[str | None, list[str]]:
        if camp["segment_ids"]:
            return "segments", camp["segment_ids"]
        return ("groups", camp["group_ids"]) if camp["group_ids"] else (None, [])

    def _members(self, st: St, camp: Row) -> list[Row]:
        """Who the campaign goes to now: the active subscribers of its segments or groups (all without either)."""
        kind, ids = self._audience(st, camp)
        subs, segments = SUBSCRIBERS.table(st), SEGMENTS.table(st)
        if kind == "segments":
            members = {sid for seg in ids if seg in segments for sid in segments[seg]["subscriber_ids"]}
            return [subs[sid] for sid in sorted(members) if sid in subs and subs[sid]["status"] == "active"]
        wanted = set(ids)
        return [s for s in subs.values() if s["status"] == "active" and (kind is None or wanted & set(s["groups"]))]

    def _recipients(self, st: St, camp: Row) -> int:
        return len(self._members(st, camp))

    def render_campaign(self, st: St, camp: Row, *, content: bool = True) -> Row:
        self._tick(st, camp)
        kind, ids = self._audience(st, camp)
        pool = (SEGMENTS if kind == "segments" else GROUPS).table(st)
        named = [{"id": i, "name": pool[i]["name"] if i in pool else None} for i in ids]
        filt = [[{"operator": "in_any", "args": [kind, ids]}]] if kind else []
        human = [[f"In any {kind[:-1]}: " + ", ".join(str(n["name"]) for n in named)]] if kind else []
        status, email, language = camp["status"], camp["email"], LANGUAGES[camp["language_id"]]
        sent, draft, has_content = camp.get("sent_count", 0), camp["status"] == "draft", bool(email.get("content"))
        stamps = {"created_at": camp["created_at"], "updated_at": camp["updated_at"]}
        fields = {"type": "builder_html" if has_content else None, "from": email["from"], "name": None,
                  "from_name": email["from_name"], "reply_to": email.get("reply_to") or email["from"],
                  "subject": email["subject"], "is_designed": has_content, "language_id": int(language["id"]),
                  "language": language, "preheader": email.get("preheader")}
        if content and has_content:
            fields["content"] = rewrite_html(email["content"]) if self.rewrite_content else email["content"]
        stats = email_stats(sent, self.activity_rows(st, camp))
        email_out = email_shape(email["id"], camp["account_id"], "campaigns", camp["id"], stamps, fields, stats)
        out: Row = {
            "id": camp["id"], "account_id": camp["account_id"], "name": camp["name"], "type": camp["type"],
            "status": status, "missing_data": [] if has_content else ["content"],
            "settings": {"track_opens": True, "use_google_analytics": False, "ecommerce_tracking": False},
            "filter": filt, "filter_for_humans": human, "delivery_schedule": camp["delivery_schedule"],
            "language_id": language["id"], "language": language, **stamps, **{k: camp[k] for k in TIMES},
            "default_email_id": email["id"], "emails": [email_out], "used_in_automations": False,
            "type_for_humans": CAMPAIGN_TYPES[camp["type"]], "is_stopped": camp["stopped_at"] is not None and draft,
            "has_winner": None, "winner_version_for_human": None, "winner_sending_time_for_humans": None,
            "winner_selected_manually_at": None, "uses_ecommerce": False, "ecommerce_stats": None, "uses_survey": False,
            "can": {"update": draft, "delete": True, "send": draft, "copy": True, "resend": False},
            "can_be_scheduled": draft and has_content,
            "cannot_be_scheduled_reason": None if (not draft or has_content) else "Campaign has no content.",
            "is_smart_sending_index_option_finished": False, "is_applied_for_smart_sending_index_option": False,
            "warnings": [], "recipients_count": sent if status == "sent" else self._recipients(st, camp),
            "next_step": None, "is_currently_sending_out": False, "can_be_copied": True, "has_basic_filter": True,
            "basic_filter_for_humans": {
                "included_groups": named if kind == "groups" else [], "excluded_groups": [],
                "included_segments": named if kind == "segments" else [], "excluded_segments": [],
                "all_active_subscribers": kind is None},
            "is_eligible_for_sending": has_content, "needs_repair": False}
        ab = {"ab_settings": camp["ab_settings"]} if camp.get("ab_settings") is not None else {}
        return {**out, **ab, "stats": stats} if status == "sent" else {**out, **ab}

    def _tick(self, st: St, camp: Row) -> None:
        """A ready campaign whose time has come is sent (lazily, on read); recipients' bounces, unsubscribes and
        complaints whose time has come change their subscriber."""
        if camp["status"] == "ready" and camp["scheduled_for"] and camp["scheduled_for"] <= self._now():
            self._send(st, camp)
        if camp.get("pending_effects"):
            subs = SUBSCRIBERS.table(st)
            for email, kind in due_effects(camp["pending_effects"], self.clock.utcnow().timestamp()):
                sub = subs.find("email", email)
                if sub is not None and sub["status"] == "active":
                    self._set_status(st, sub, EFFECT_STATUS[kind])
                    sub["updated_at"] = self._now()

    def _send(self, st: St, camp: Row) -> None:
        now, epoch = self._now(), self.clock.utcnow().timestamp()
        members = self._members(st, camp)
        for sub in members:
            RECIPIENTS.table(st).insert({"id": self._new_id(), "campaign_id": camp["id"], "subscriber_id": sub["id"],
                                         "email": sub["email"], "updated_at": now})
        rates = self._activity_rates(st)
        camp.update(sent_count=len(members), status="sent", queued_at=camp["queued_at"] or now,
                    started_at=now, finished_at=now, updated_at=now, sent_epoch=epoch,
                    activity_rates=rates.as_dict(), activity_window=self.activity_window,
                    pending_effects=pending_effects(camp["id"], [s["email"] for s in members], rates, self.seed,
                                                    epoch, self.activity_window))

    def _activity_rates(self, st: St) -> ActivityRates:
        return ActivityRates.from_state(st.get("activity_rates"), self.rates)

    def activity_rows(self, st: St, camp: Row) -> list[Row]:
        """The campaign's recipient rows with what each has done by now: ``opens_count``, ``clicks_count`` (0 or
        1) and the flags ``unsubscribed``, ``junk``, ``hard_bounced``, ``soft_bounced``."""
        rows = RECIPIENTS.table(st).where("campaign_id", camp["id"])
        return [self._live(camp, row, self._since_send(camp)) for row in rows]

    def _since_send(self, camp: Row | None) -> tuple[ActivityRates, float, float] | None:
        """A sent campaign's rates, seconds since its send and activity window (None: sent before the simulator
        kept activity over time)."""
        if camp is None or camp.get("sent_epoch") is None:
            return None
        return (ActivityRates.from_state(camp.get("activity_rates"), self.rates),
                elapsed_since(camp["sent_epoch"], self.clock.utcnow().timestamp()),
                float(camp.get("activity_window", self.activity_window)))

    def _live(self, camp: Row | None, row: Row, since: tuple[ActivityRates, float, float] | None) -> Row:
        if camp is None or since is None:
            # sent before the simulator kept activity over time: what it recorded at the send
            return {**row, "opens_count": row.get("opens_count", 0), "clicks_count": row.get("clicks_count", 0)}
        rates, elapsed, window = since
        did = recipient_outcome(camp["id"], row["email"], rates, self.seed).as_of(elapsed, window)
        return {**row, "opens_count": int(did.opened), "clicks_count": int(did.clicked),
                "unsubscribed": did.unsubscribed, "junk": did.complained, "hard_bounced": did.hard_bounced,
                "soft_bounced": did.soft_bounced}

    def _ticked(self, req: SimRequest) -> St:
        st = self._st(req)
        self._tick_all(st)
        return st

    def _tick_all(self, st: St) -> None:
        for camp in CAMPAIGNS.table(st).values():
            self._tick(st, camp)

    def settle(self, account: str) -> None:
        """Scheduled campaigns whose time has passed are sent before a listing shows the account."""
        self._tick_all(self.account_state(account))

    def _campaign(self, req: SimRequest) -> tuple[St, Row]:
        st = self._ticked(req)
        return st, CAMPAIGNS.table(st).require(req.params["id"])

    @route("GET", "/api/campaigns")
    def list_campaigns(self, req: SimRequest) -> Any:
        st = self._ticked(req)
        status = self._filter(req, "status", CAMPAIGN_STATUSES, "ready")
        ctype = self._filter(req, "type", (*CAMPAIGN_TYPES, "rss"))
        every = list(reversed(CAMPAIGNS.table(st).values()))
        chosen = [c for c in every if c["status"] == status and ctype in (None, c["type"])]
        aggregations = {"all": len(every), **{s: sum(1 for c in every if c["status"] == s) for s in CAMPAIGN_STATUSES}}
        return self.page_envelope(req, chosen, 25, lambda c: self.render_campaign(st, c, content=False),
                                  {"aggregations": aggregations})

    @route("POST", "/api/campaigns")
    def create_campaign(self, req: SimRequest) -> Any:
        st = self._st(req)
        clean = self._validate_campaign(st, self._body(req), create=True)
        now = self._now()
        camp = {
            "id": self._new_id(), "account_id": self._account_number(req.account or ""), "name": clean["name"],
            "type": clean["type"], "status": "draft", "language_id": clean.get("language_id", "4"),
            "group_ids": [] if clean.get("segments") else clean.get("groups", []),
            "segment_ids": clean.get("segments", []), "created_at": now, "updated_at": now,
            "delivery_schedule": None, **dict.fromkeys(TIMES),
            "ab_settings": clean.get("ab_settings"),
            "email": {"id": self._new_id(), **{k: clean["email"].get(k) for k in EMAIL_KEYS}},
        }
        return 201, {"data": self.render_campaign(st, CAMPAIGNS.table(st).insert(camp), content=False)}

    @route("GET", "/api/campaigns/{id:\\d+}")
    def get_campaign(self, req: SimRequest) -> Any:
        return {"data": self.render_campaign(*self._campaign(req))}

    def _require_status(self, camp: Row, status: str, action: str, key: str = "status") -> None:
        """Simulator choice: acting on a campaign in the wrong status answers 422 with a clear message."""
        if camp["status"] != status:
            raise invalid({key: [f"Only {status} campaigns can be {action}; this campaign is {camp['status']}."]})

    @route("PUT", "/api/campaigns/{id:\\d+}")
    def update_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        self._require_status(camp, "draft", "updated")
        clean = self._validate_campaign(st, self._body(req), create=False)
        camp.update({k: clean[k] for k in ("name", "type", "language_id") if k in clean})
        if "segments" in clean:
            camp["segment_ids"], camp["group_ids"] = clean["segments"], []
        elif "groups" in clean:
            camp["group_ids"], camp["segment_ids"] = clean["groups"], []
        camp["email"].update({k: v for k, v in clean.get("email", {}).items() if k in EMAIL_KEYS})
        camp["updated_at"] = self._now()
        return {"data": self.render_campaign(st, camp)}

    @route("POST", "/api/campaigns/{id:\\d+}/schedule")
    def schedule_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        self._require_status(camp, "draft", "scheduled", "delivery")
        data = self._body(req)
        delivery = data.get("delivery")
        errors = validate(data, {"delivery": "required|" + one_of(*DELIVERIES)})
        when: datetime | None = None
        tz_name = self.timezone
        if delivery in ("scheduled", "timezone_based"):
            sched = data.get("schedule")
            if not isinstance(sched, dict):
                errors["schedule"] = [f"The schedule field is required when delivery is {delivery}."]
            else:
                date = sched.get("date")
                hours, minutes = _int_in(sched.get("hours"), 23), _int_in(sched.get("minutes"), 59)
                dated = isinstance(date, str) and DATE_RE.match(date)
                for key, ok, text in (("date", dated, "does not match the format Y-m-d"),
                                      ("hours", hours is not None, "must be between 0 and 23"),
                                      ("minutes", minutes is not None, "must be between 0 and 59")):
                    if not ok:
                        errors[f"schedule.{key}"] = [f"The schedule.{key} {text}."]
                if sched.get("timezone_id") is not None and delivery == "scheduled":
                    tz_name = timezone_name(str(sched["timezone_id"])) or ""
                    if not tz_name:
                        errors["schedule.timezone_id"] = ["The selected schedule.timezone id is invalid."]
                if not errors:
                    try:
                        local = datetime.strptime(f"{date} {hours:02d}:{minutes:02d}", "%Y-%m-%d %H:%M")
                    except ValueError:
                        errors["schedule.date"] = ["The schedule.date is not a valid date."]
                    else:
                        when = local if delivery == "timezone_based" else to_utc(local, tz_name)
                        if when <= self.clock.utcnow().replace(tzinfo=None):
                            errors["schedule.date"] = ["The schedule must be a date in the future."]
        reject(errors)
        if not camp["email"].get("content"):
            raise invalid({"emails.0.content": ["The campaign has no content and cannot be scheduled."]})
        now = self._now()
        camp.update(delivery_schedule=delivery, stopped_at=None, updated_at=now)
        if delivery == "instant":
            camp.update(scheduled_for=now, queued_at=now)
            self._send(st, camp)  # simulator choice: an instant campaign is sent at once
        else:
            assert when is not None
            camp.update(status="ready", scheduled_for=when.strftime(TS))
        return {"data": self.render_campaign(st, camp)}

    @route("POST", "/api/campaigns/{id:\\d+}/cancel")
    def cancel_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        self._require_status(camp, "ready", "cancelled")
        now = self._now()
        camp.update(status="draft", stopped_at=now, updated_at=now)
        return {"data": self.render_campaign(st, camp)}

    @route("DELETE", "/api/campaigns/{id:\\d+}")
    def delete_campaign(self, req: SimRequest) -> Any:
        st, camp = self._campaign(req)
        del CAMPAIGNS.table(st)[camp["id"]]
        recipients = RECIPIENTS.table(st)
        for row in recipients.where("campaign_id", camp["id"]):
            del recipients[row["id"]]  # its report goes with it
        return SimResponse(204)

    # ---------------------------------------------------------------- recipients and their activity

    @route("GET", "/api/campaigns/{id:\\d+}/reports/subscriber-activity")
    @route("POST", "/api/campaigns/{id:\\d+}/reports/subscriber-activity")
    def campaign_activity(self, req: SimRequest) -> Any:
        """Length-aware pages (default 50) of the recipients' activity, filtered by ``filter[type]`` and
        ``filter[search]`` (part of the email), sorted by ``sort``; ``meta.aggregations`` counts each type over
        every recipient (recorded). Each item is ``{id, opens_count, clicks_count}`` (recorded), with the
        ``subscriber`` when ``include=subscriber`` asks for it (simulator choice: the recorded answer, asked
        without it, had none). The SDKs disagree on the method (Go, Node, Python: POST with the parameters in
        a JSON body, as recorded; Java: GET with a query string): both are served."""
        if req.method == "POST":
            _body_to_query(req, self._body(req))
        st, camp = self._campaign(req)
        if (limit := req.arg("limit")) is not None and limit not in ACTIVITY_LIMITS:
            raise invalid({"limit": ["The selected limit is invalid."]})
        kind = self._filter(req, "type", ACTIVITY_TYPES)
        sort = req.arg("sort") or "id"
        if sort.lstrip("-") not in ACTIVITY_SORTS:
            raise invalid({"sort": ["The selected sort is invalid."]})
        every = self.activity_rows(st, camp)
        needle = (req.arg("filter[search]") or "").strip().lower()
        chosen = [r for r in every if _did(r, kind) and needle in r["email"]]
        field = sort.lstrip("-")
        chosen.sort(key=lambda r: int(r["id"]) if field == "id" else (r[field], int(r["id"])),
                    reverse=sort.startswith("-"))
        aggregations = {name: sum(1 for r in every if _did(r, name)) for name in ACTIVITY_AGGREGATIONS}
        with_subscriber = "subscriber" in (req.arg("include") or "").split(",")
        return self.page_envelope(req, chosen, 50, lambda r: self.render_activity(st, r, with_subscriber),
                                  {"aggregations": aggregations})

    def render_activity(self, st: St, row: Row, with_subscriber: bool) -> Row:
        out = {"id": row["id"], "opens_count": row["opens_count"], "clicks_count": row["clicks_count"]}
        if with_subscriber:
            sub = SUBSCRIBERS.table(st).get(row["subscriber_id"])
            out["subscriber"] = self.render_subscriber(st, sub, groups=False) if sub else None
        return out

    def render_recipient(self, st: St, row: Row) -> Row:
        """One recipient of a sent campaign and what they have done by now (the control listing
        `campaign_recipients`): campaign_id, subscriber_id, email, opened, clicked, opens_count, clicks_count,
        unsubscribed, junk, hard_bounced, soft_bounced, sent_at."""
        camp = CAMPAIGNS.table(st).get(row["campaign_id"])
        live = self._live(camp, row, self._since_send(camp))
        return {"campaign_id": row["campaign_id"], "subscriber_id": row["subscriber_id"], "email": row["email"],
                "opened": live["opens_count"] > 0, "clicked": live["clicks_count"] > 0,
                "opens_count": live["opens_count"], "clicks_count": live["clicks_count"],
                **{k: bool(live.get(k)) for k in ("unsubscribed", "junk", "hard_bounced", "soft_bounced")},
                "sent_at": row["updated_at"]}

    @control("set_activity_rates")
    def set_activity_rates(self, account: str, open_rate: float | None = None, click_rate: float | None = None,
                           **rates: float) -> Row:
        """The shares of recipients who open, click, bounce (``hard_bounce_rate``, ``soft_bounce_rate``),
        unsubscribe (``unsubscribe_rate``) and complain (``complaint_rate``) (`hub.simulator.ActivityRates`) in
        campaigns the account sends from now on (unset: as before). Returns all of them."""
        with self.lock:
            st = self.account_state(account)
            new = self._activity_rates(st).updated({"open_rate": open_rate, "click_rate": click_rate, **rates})
            st["activity_rates"] = new.as_dict()
            return new.as_dict()

    @control("activity_totals")
    def activity_totals(self, account: str = "sandbox", campaign_id: str | None = None) -> dict[str, dict[str, float]]:
        """The simulator's own truth for "now", summed from each recipient's activity (not from ``stats``):
        ``{campaign_id: {sent, delivered, bounced_hard, bounced_soft, opens, opens_adjusted, clicks, unsubscribes,
        complaints, orders, revenue}}`` for every sent campaign (or the one asked for). MailerLite shows no
        machine-open split and no orders: compare its ``stats`` with ``opens``, not ``opens_adjusted``."""
        with self.lock:
            self.settle(account)
            st = self.account_state(account)
            out = {}
            for camp in CAMPAIGNS.table(st).values():
                if camp["status"] != "sent" or campaign_id not in (None, camp["id"]):
                    continue
                rates = ActivityRates.from_state(camp.get("activity_rates"), self.rates)
                elapsed = elapsed_since(camp.get("sent_epoch"), self.clock.utcnow().timestamp())
                window = float(camp.get("activity_window", self.activity_window))
                outcomes = (recipient_outcome(camp["id"], r["email"], rates, self.seed)
                            for r in RECIPIENTS.table(st).where("campaign_id", camp["id"]))
                out[camp["id"]] = tally(o.as_of(elapsed, window) for o in outcomes)
            return out


def _did(row: Row, kind: str | None) -> bool:
    """Whether a recipient's activity is of `kind` (every recipient for None and "all")."""
    if kind in (None, "all"):
        return True
    if kind == "opened":
        return row["opens_count"] > 0
    if kind == "unopened":
        return row["opens_count"] == 0
    if kind == "clicked":
        return row["clicks_count"] > 0
    flag = {"unsubscribed": "unsubscribed", "hardbounced": "hard_bounced", "softbounced": "soft_bounced",
            "junk": "junk"}.get(kind or "")
    return bool(flag and row.get(flag))  # nobody forwards (social_interaction: none either)


def _body_to_query(req: SimRequest, body: Row) -> None:
    """Laravel reads a JSON body's parameters like the query string's: ``{"filter": {"type": "opened"},
    "limit": 25}`` as ``filter[type]=opened&limit=25`` (the query string wins when both give one)."""
    for key, value in body.items():
        pairs = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, item in pairs:
            name = key if sub is None else f"{key}[{sub}]"
            if item is not None and not isinstance(item, dict | list):
                req.query.setdefault(name, [str(item)])
