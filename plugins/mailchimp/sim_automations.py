"""Classic automations and Customer Journeys in the Mailchimp simulator.

Neither can be built through the API (the vendor's UI builds them), so tests and the demo create
them with the ``add_classic_automation`` and ``add_journey`` control actions. The API side:

- ``GET /automations[/{id}[/emails[/{email_id}]]]``, start/pause/archive actions, and the API
  trigger ``POST /automations/{wf}/emails/{email}/queue {email_address}`` (the address must be a
  subscribed member of the workflow's audience and the workflow running; queued once) with
  ``GET …/queue[/{hash}]`` and ``…/removed-subscribers``. Queued entries are never delivered.
  ``POST /automations`` only supports the vendor's abandoned-cart type, which needs an e-commerce
  store the simulator never has: it always answers 400.
- ``POST /customer-journeys/journeys/{journey_id}/steps/{step_id}/actions/trigger {email_address}``
  → 204 when the journey and its API step exist and the address is a (non-archived) member of the
  journey's audience, 404 otherwise. Like the vendor it is **not idempotent**: every trigger is
  recorded, so triggering a contact twice records two entries (see ``journey_triggers``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.simulator import SimRequest
from hub_mailchimp.sim_shapes import (
    TRACKING_DEFAULTS,
    ShapesMixin,
    api,
    collection,
    email_problem,
    field_errors,
    fmt_time,
    invalid,
    not_found,
    subscriber_hash,
)

DELAY_UNITS = {"now": 0, "hour": 3600, "day": 86_400, "week": 604_800}
API_STEP_TYPES = ("api_trigger", "api_condition")


class AutomationsMixin(ShapesMixin):
    """Classic automations and customer journeys."""

    # ---------------------------------------------------------------- classic automations: model

    def new_classic_automation(
        self,
        st: dict[str, Any],
        list_id: str,
        title: str,
        emails: list[dict[str, Any]] | None,
        workflow_type: str,
        status: str,
        from_name: str,
        reply_to: str,
    ) -> dict[str, Any]:
        if list_id not in st["lists"]:
            raise ValueError(f"unknown audience {list_id!r}")
        if status not in ("save", "paused", "sending"):
            raise ValueError("status must be save, paused or sending")
        now = self._now()
        wid = self._hex_id("automation")
        auto: dict[str, Any] = {
            "id": wid,
            "create_time": now,
            "start_time": now if status == "sending" else "",
            "status": status,
            "list_id": list_id,
            "settings": {
                "title": title,
                "from_name": from_name,
                "reply_to": reply_to,
                "use_conversation": False,
                "to_name": "*|FNAME|*",
                "authenticate": True,
                "auto_footer": False,
                "inline_css": False,
            },
            "workflow_type": workflow_type,
            "emails": {},
            "removed": {},
        }
        for position, spec in enumerate(emails or [{"subject_line": title}], start=1):
            eid = self._hex_id("automation-email")
            delay = spec.get("delay") or {"amount": 0, "type": "now"}
            auto["emails"][eid] = {
                "id": eid,
                "web_id": self._int_id(3_000_000),
                "position": position,
                "delay": {
                    "amount": int(delay.get("amount", 0)),
                    "type": delay.get("type", "now"),
                    "direction": "after",
                    "action": "api" if workflow_type == "api" else delay.get("action", "signup"),
                },
                "create_time": now,
                "start_time": auto["start_time"],
                "status": status,
                "emails_sent": 0,
                "subject_line": spec.get("subject_line") or title,
                "title": spec.get("title") or f"{title} #{position}",
                "queue": {},
            }
        st["automations"][wid] = auto
        return auto

    def _automation(self, st: dict[str, Any], req: SimRequest) -> dict[str, Any]:
        auto = st["automations"].get(req.params["workflow_id"])
        if auto is None:
            raise not_found()
        return auto

    def _automation_email(self, auto: dict[str, Any], req: SimRequest) -> dict[str, Any]:
        email = auto["emails"].get(req.params["workflow_email_id"])
        if email is None:
            raise not_found()
        return email

    def _recipients_block(self, st: dict[str, Any], auto: dict[str, Any]) -> dict[str, Any]:
        lst = st["lists"].get(auto["list_id"])
        return {"list_id": auto["list_id"], "list_is_active": lst is not None, "list_name": lst["name"] if lst else ""}

    def _trigger_settings(self, auto: dict[str, Any]) -> dict[str, Any]:
        return {
            "workflow_type": auto["workflow_type"],
            "workflow_title": auto["settings"]["title"],
            "runtime": {
                "days": ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"],
                "hours": {"type": "send_asap"},
            },
            "workflow_emails_count": len(auto["emails"]),
        }

    def render_automation(self, st: dict[str, Any], auto: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": auto["id"],
            "create_time": auto["create_time"],
            "start_time": auto["start_time"],
            "status": auto["status"],
            "emails_sent": sum(e["emails_sent"] for e in auto["emails"].values()),
            "recipients": self._recipients_block(st, auto),
            "settings": dict(auto["settings"]),
            "tracking": dict(TRACKING_DEFAULTS),
            "trigger_settings": self._trigger_settings(auto),
            "report_summary": {
                "opens": 0,
                "unique_opens": 0,
                "open_rate": 0,
                "clicks": 0,
                "subscriber_clicks": 0,
                "click_rate": 0,
            },
            "_links": [],
        }

    def render_automation_email(
        self, st: dict[str, Any], auto: dict[str, Any], email: dict[str, Any]
    ) -> dict[str, Any]:
        delay = email["delay"]
        return {
            "id": email["id"],
            "web_id": email["web_id"],
            "workflow_id": auto["id"],
            "position": email["position"],
            "delay": {
                **delay,
                "action_description": "Triggered by API",
                "full_description": f"{delay['amount']} {delay['type']} after the API trigger"
                if delay["type"] != "now"
                else "Immediately after the API trigger",
            },
            "create_time": email["create_time"],
            "start_time": email["start_time"],
            "archive_url": f"http://eepurl.com/{email['id'][:6]}",
            "status": email["status"],
            "emails_sent": email["emails_sent"],
            "send_time": "",
            "content_type": "template",
            "needs_block_refresh": False,
            "has_logo_merge_tag": False,
            "recipients": self._recipients_block(st, auto),
            "settings": {
                "subject_line": email["subject_line"],
                "preview_text": "",
                "title": email["title"],
                "from_name": auto["settings"]["from_name"],
                "reply_to": auto["settings"]["reply_to"],
                "authenticate": True,
                "auto_footer": False,
                "inline_css": False,
                "auto_tweet": False,
                "auto_fb_post": [],
                "fb_comments": True,
                "template_id": 0,
                "drag_and_drop": True,
            },
            "tracking": {"opens": True, "html_clicks": True, "text_clicks": False},
            "social_card": {"image_url": "", "description": "", "title": ""},
            "trigger_settings": self._trigger_settings(auto),
            "report_summary": {
                "opens": 0,
                "unique_opens": 0,
                "open_rate": 0,
                "clicks": 0,
                "subscriber_clicks": 0,
                "click_rate": 0,
            },
            "_links": [],
        }

    def _queue_entry(self, auto: dict[str, Any], email: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
        return {
            **entry,
            "workflow_id": auto["id"],
            "email_id": email["id"],
            "list_id": auto["list_id"],
            "list_is_active": True,
            "_links": [],
        }

    # ---------------------------------------------------------------- classic automations: routes

    @api("GET", "/automations")
    def list_automations(self, req: SimRequest) -> Any:
        st = self._st(req)
        autos = list(st["automations"].values())
        status = req.arg("status")
        if status:
            autos = [a for a in autos if a["status"] == status]
        return self._page(req, "automations", autos, lambda a: self.render_automation(st, a))

    @api("POST", "/automations")
    def create_automation(self, req: SimRequest) -> Any:
        data = self._body(req)
        errors: dict[str, str] = {}
        recipients = data.get("recipients")
        if not isinstance(recipients, dict) or not recipients.get("list_id"):
            errors["recipients.list_id"] = "This value should not be blank."
        if not isinstance(recipients, dict) or not recipients.get("store_id"):
            errors["recipients.store_id"] = "This value should not be blank."
        trigger = data.get("trigger_settings")
        if not isinstance(trigger, dict) or trigger.get("workflow_type") != "abandonedCart":
            errors["trigger_settings.workflow_type"] = "Only abandonedCart automations can be created through the API."
        if errors:
            raise field_errors(errors)
        raise invalid(f"The store '{recipients['store_id']}' could not be found.")  # type: ignore[index]

    @api("GET", "/automations/{workflow_id}")
    def get_automation(self, req: SimRequest) -> Any:
        st = self._st(req)
        return self.render_automation(st, self._automation(st, req))

    def _set_automation_status(self, req: SimRequest, status: str) -> None:
        st = self._st(req)
        auto = self._automation(st, req)
        if auto["status"] == "archived":
            raise invalid("This automation is archived and cannot be changed.")
        if status == "sending" and not auto["emails"]:
            raise invalid("This automation has no emails to start.")
        auto["status"] = status
        now = self._now()
        if status == "sending" and not auto["start_time"]:
            auto["start_time"] = now
        for email in auto["emails"].values():
            email["status"] = "paused" if status == "archived" else status
            if status == "sending" and not email["start_time"]:
                email["start_time"] = now

    @api("POST", "/automations/{workflow_id}/actions/start-all-emails")
    def start_automation(self, req: SimRequest) -> Any:
        self._set_automation_status(req, "sending")

    @api("POST", "/automations/{workflow_id}/actions/pause-all-emails")
    def pause_automation(self, req: SimRequest) -> Any:
        self._set_automation_status(req, "paused")

    @api("POST", "/automations/{workflow_id}/actions/archive")
    def archive_automation(self, req: SimRequest) -> Any:
        self._set_automation_status(req, "archived")

    @api("GET", "/automations/{workflow_id}/emails")
    def list_automation_emails(self, req: SimRequest) -> Any:
        st = self._st(req)
        auto = self._automation(st, req)
        emails = sorted(auto["emails"].values(), key=lambda e: e["position"])
        rendered = [self.render_automation_email(st, auto, e) for e in emails]
        return collection("emails", rendered, len(rendered))

    @api("GET", "/automations/{workflow_id}/emails/{workflow_email_id}")
    def get_automation_email(self, req: SimRequest) -> Any:
        st = self._st(req)
        auto = self._automation(st, req)
        return self.render_automation_email(st, auto, self._automation_email(auto, req))

    def _set_email_status(self, req: SimRequest, status: str) -> None:
        st = self._st(req)
        auto = self._automation(st, req)
        email = self._automation_email(auto, req)
        if auto["status"] == "archived":
            raise invalid("This automation is archived and cannot be changed.")
        email["status"] = status

    @api("POST", "/automations/{workflow_id}/emails/{workflow_email_id}/actions/start")
    def start_automation_email(self, req: SimRequest) -> Any:
        self._set_email_status(req, "sending")

    @api("POST", "/automations/{workflow_id}/emails/{workflow_email_id}/actions/pause")
    def pause_automation_email(self, req: SimRequest) -> Any:
        self._set_email_status(req, "paused")

    @api("GET", "/automations/{workflow_id}/emails/{workflow_email_id}/queue")
    def list_queue(self, req: SimRequest) -> Any:
        st = self._st(req)
        auto = self._automation(st, req)
        email = self._automation_email(auto, req)
        queue = [self._queue_entry(auto, email, e) for e in email["queue"].values()]
        return {
            "workflow_id": auto["id"],
            "email_id": email["id"],
            "queue": queue,
            "total_items": len(queue),
            "_links": [],
        }

    @api("GET", "/automations/{workflow_id}/emails/{workflow_email_id}/queue/{subscriber_hash}")
    def get_queue_entry(self, req: SimRequest) -> Any:
        st = self._st(req)
        auto = self._automation(st, req)
        email = self._automation_email(auto, req)
        raw = req.params["subscriber_hash"]
        entry = email["queue"].get(subscriber_hash(raw) if "@" in raw else raw.lower())
        if entry is None:
            raise not_found()
        return self._queue_entry(auto, email, entry)

    @api("POST", "/automations/{workflow_id}/emails/{workflow_email_id}/queue")
    def add_to_queue(self, req: SimRequest) -> Any:
        st = self._st(req)
        auto = self._automation(st, req)
        email = self._automation_email(auto, req)
        data = self._body(req)
        address = data.get("email_address")
        reason = email_problem(address)
        if reason:
            raise field_errors({"email_address": reason})
        h = subscriber_hash(address)
        lst = st["lists"].get(auto["list_id"])
        member = lst["members"].get(h) if lst else None
        if member is None or member["status"] == "archived":
            raise invalid(f"{address} is not a member of the automation's audience.")
        if member["status"] != "subscribed":
            raise invalid(f"{address} is not subscribed (status '{member['status']}') and cannot be queued.")
        if auto["status"] != "sending" or email["status"] != "sending":
            raise invalid("Subscribers can only be added to the queue of an automation email that is sending.")
        if h in auto["removed"]:
            raise invalid(f"{address} was removed from this automation and cannot be added again.")
        if h in email["queue"]:
            raise invalid(f"{address} is already in the queue of this automation email.")
        delay = email["delay"]
        next_send = self.clock.utcnow() + timedelta(seconds=delay["amount"] * DELAY_UNITS.get(delay["type"], 0))  # type: ignore[attr-defined]
        entry = {"id": h, "email_address": member["email_address"], "next_send": fmt_time(next_send)}
        email["queue"][h] = entry
        return self._queue_entry(auto, email, entry)

    @api("POST", "/automations/{workflow_id}/removed-subscribers")
    def remove_from_workflow(self, req: SimRequest) -> Any:
        st = self._st(req)
        auto = self._automation(st, req)
        data = self._body(req)
        address = data.get("email_address")
        reason = email_problem(address)
        if reason:
            raise field_errors({"email_address": reason})
        h = subscriber_hash(address)
        lst = st["lists"].get(auto["list_id"])
        if not lst or h not in lst["members"]:
            raise invalid(f"{address} is not a member of the automation's audience.")
        for email in auto["emails"].values():
            email["queue"].pop(h, None)
        auto["removed"][h] = {"id": h, "email_address": lst["members"][h]["email_address"]}
        return {**auto["removed"][h], "workflow_id": auto["id"], "list_id": auto["list_id"], "_links": []}

    @api("GET", "/automations/{workflow_id}/removed-subscribers")
    def list_removed(self, req: SimRequest) -> Any:
        st = self._st(req)
        auto = self._automation(st, req)
        rows = [
            {**r, "workflow_id": auto["id"], "list_id": auto["list_id"], "_links": []} for r in auto["removed"].values()
        ]
        return {"workflow_id": auto["id"], "subscribers": rows, "total_items": len(rows), "_links": []}

    # ---------------------------------------------------------------- customer journeys

    def new_journey(
        self, st: dict[str, Any], name: str, list_id: str, steps: list[dict[str, Any]] | None, status: str
    ) -> dict[str, Any]:
        if list_id not in st["lists"]:
            raise ValueError(f"unknown audience {list_id!r}")
        if status not in ("sending", "paused", "draft"):
            raise ValueError("status must be sending, paused or draft")
        specs = steps or [{"type": "api_trigger", "name": "Customer Journeys API"}]
        rendered = []
        for spec in specs:
            kind = str(spec.get("type") or "api_trigger")
            rendered.append(
                {
                    "id": self._int_id(7_000),
                    "type": kind,
                    "name": spec.get("name") or kind,
                    **{k: v for k, v in spec.items() if k not in ("id", "type", "name")},
                }
            )
        if not any(s["type"] in API_STEP_TYPES for s in rendered):
            raise ValueError("a journey triggered through the API needs an api_trigger (or api_condition) step")
        jid = self._int_id(600)
        journey = {
            "id": jid,
            "name": name,
            "list_id": list_id,
            "status": status,
            "steps": rendered,
            "created_at": self._now(),
            "triggers": [],
        }
        st["journeys"][str(jid)] = journey
        return journey

    @api("POST", "/customer-journeys/journeys/{journey_id}/steps/{step_id}/actions/trigger")
    def trigger_journey(self, req: SimRequest) -> Any:
        st = self._st(req)
        journey = st["journeys"].get(req.params["journey_id"])
        if journey is None:
            raise not_found()
        step = next((s for s in journey["steps"] if str(s["id"]) == req.params["step_id"]), None)
        if step is None:
            raise not_found()
        data = self._body(req)
        address = data.get("email_address")
        reason = email_problem(address)
        if reason:
            raise field_errors({"email_address": reason})
        if step["type"] not in API_STEP_TYPES:
            raise invalid("This step is not a Customer Journeys API starting point or condition.")
        if journey["status"] != "sending":
            raise invalid(f"This journey is not running (its status is '{journey['status']}').")
        lst = st["lists"].get(journey["list_id"])
        member = lst["members"].get(subscriber_hash(address)) if lst else None
        if member is None or member["status"] == "archived":
            raise not_found(f"{address} is not a contact of the journey's audience.")
        journey["triggers"].append(
            {"email_address": member["email_address"], "step_id": step["id"], "time": self._now()}
        )
        return None
