"""Classic automations and Customer Journeys.

Neither can be built through the API (the vendor's UI builds them), so tests and the demo create them with the
``add_classic_automation`` and ``add_journey`` control actions. The API side:

- ``GET /automations[/{id}[/emails[/{email_id}]]]``, start/pause/archive actions, and the API trigger
  ``POST /automations/{wf}/emails/{email}/queue {email_address}`` (the address must be a subscribed member of the
  workflow's audience and the workflow and email sending; queued once; never delivered) with ``GET …/queue[/{hash}]``
  and ``…/removed-subscribers``. ``POST /automations`` only supports the vendor's abandoned-cart type, which needs an
  e-commerce store the simulator never has: it always answers 400.
- ``POST /customer-journeys/journeys/{journey_id}/steps/{step_id}/actions/trigger {email_address}`` → 204 when the
  journey runs, the step is an API step and the address is a (non-archived, any status) member of the journey's
  audience; a paused or draft journey or another step is 400, a non-member 404. Like the vendor it is **not
  idempotent**: every trigger is recorded (see ``journey_triggers``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.simulator import Abort, Row, SimRequest, control

from . import shapes as sh
from .campaigns import Campaigns

DELAY_UNITS = {"now": 0, "hour": 3600, "day": 86_400, "week": 604_800}
API_STEP_TYPES = ("api_trigger", "api_condition")
JOURNEY_STATUSES = ("sending", "paused", "draft")
NO_REPORT = {"opens": 0, "unique_opens": 0, "open_rate": 0, "clicks": 0, "subscriber_clicks": 0, "click_rate": 0}
DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]


class Automations(Campaigns):
    def _ui_state(self, account: str, list_id: str, status: str, statuses: tuple[str, ...]) -> dict[str, Any]:
        """The state of the account a "UI" action builds in, after checking its audience and status."""
        st = self.account_state(account)
        if list_id not in sh.LISTS.table(st):
            raise ValueError(f"unknown audience {list_id!r}")
        if status not in statuses:
            raise ValueError(f"status must be {', '.join(statuses[:-1])} or {statuses[-1]}")
        return st

    @control("add_classic_automation")
    def add_classic_automation(self, account: str, list_id: str, title: str = "API automation",
                               emails: list[Row] | None = None, workflow_type: str = "api", status: str = "sending",
                               from_name: str = "Sandbox", reply_to: str = "sandbox@hub-sim.test") -> dict[str, Any]:
        """Build a classic automation as a user would in the UI. `emails`: ``[{"subject_line": ...,
        "delay": {"amount": 1, "type": "day"}}]`` (default one email). Returns ``{workflow_id, email_ids}``."""
        with self.lock:
            st, now = self._ui_state(account, list_id, status, ("save", "paused", "sending")), self._now()
            auto = sh.AUTOMATIONS.table(st).insert({
                "id": self._hex_id("automation"), "create_time": now, "start_time": now if status == "sending" else "",
                "status": status, "list_id": list_id, "workflow_type": workflow_type, "removed": {},
                "settings": {"title": title, "from_name": from_name, "reply_to": reply_to, "use_conversation": False,
                             "to_name": "*|FNAME|*", "authenticate": True, "auto_footer": False, "inline_css": False},
            })
            for position, spec in enumerate(emails or [{"subject_line": title}], start=1):
                delay = spec.get("delay") or {"amount": 0, "type": "now"}
                sh.AUTOMATION_EMAILS.table(auto).insert({
                    "id": self._hex_id("automation-email"), "web_id": self._int_id(3_000_000), "position": position,
                    "delay": {"amount": int(delay.get("amount", 0)), "type": delay.get("type", "now"),
                              "direction": "after",
                              "action": "api" if workflow_type == "api" else delay.get("action", "signup")},
                    "create_time": now, "start_time": auto["start_time"], "status": status, "emails_sent": 0,
                    "subject_line": spec.get("subject_line") or title,
                    "title": spec.get("title") or f"{title} #{position}", "queue": {},
                })
            return {"workflow_id": auto["id"], "email_ids": list(sh.AUTOMATION_EMAILS.table(auto))}

    def _automation(self, req: SimRequest) -> tuple[dict[str, Any], Row]:
        st = self._st(req)
        return st, sh.AUTOMATIONS.table(st).require(req.params["workflow_id"])

    def _automation_email(self, req: SimRequest) -> tuple[dict[str, Any], Row, Row]:
        st, auto = self._automation(req)
        return st, auto, sh.AUTOMATION_EMAILS.table(auto).require(req.params["workflow_email_id"])

    def _common(self, st: dict[str, Any], auto: Row) -> Row:
        """What an automation and its emails show alike: recipients, trigger settings, an empty report."""
        return {
            "recipients": self._audience_block(st, auto["list_id"]),
            "trigger_settings": {"workflow_type": auto["workflow_type"], "workflow_title": auto["settings"]["title"],
                                 "runtime": {"days": list(DAYS), "hours": {"type": "send_asap"}},
                                 "workflow_emails_count": len(sh.AUTOMATION_EMAILS.table(auto))},
            "report_summary": dict(NO_REPORT), "_links": [],
        }

    def render_automation(self, st: dict[str, Any], auto: Row) -> Row:
        return {**sh.copied(auto, ("id", "create_time", "start_time", "status", "settings")),
                "emails_sent": sum(e["emails_sent"] for e in sh.AUTOMATION_EMAILS.table(auto).values()),
                "tracking": dict(sh.TRACKING_DEFAULTS), **self._common(st, auto)}

    def render_automation_email(self, st: dict[str, Any], auto: Row, email: Row) -> Row:
        delay = email["delay"]
        return {
            "id": email["id"], "web_id": email["web_id"], "workflow_id": auto["id"], "position": email["position"],
            "delay": {**delay, "action_description": "Triggered by API",
                      "full_description": f"{delay['amount']} {delay['type']} after the API trigger"
                      if delay["type"] != "now" else "Immediately after the API trigger"},
            "create_time": email["create_time"], "start_time": email["start_time"],
            "archive_url": f"http://eepurl.com/{email['id'][:6]}", "status": email["status"],
            "emails_sent": email["emails_sent"], "send_time": "", "content_type": "template",
            "needs_block_refresh": False, "has_logo_merge_tag": False,
            "settings": {"subject_line": email["subject_line"], "preview_text": "", "title": email["title"],
                         "from_name": auto["settings"]["from_name"], "reply_to": auto["settings"]["reply_to"],
                         "authenticate": True, "auto_footer": False, "inline_css": False, "auto_tweet": False,
                         "auto_fb_post": [], "fb_comments": True, "template_id": 0, "drag_and_drop": True},
            "tracking": {"opens": True, "html_clicks": True, "text_clicks": False},
            "social_card": {"image_url": "", "description": "", "title": ""}, **self._common(st, auto),
        }

    def render_automation_listing(self, st: dict[str, Any], auto: Row) -> Row:
        """The control listing: each automation with its ``emails`` and their ``queue``."""
        return {**self.render_automation(st, auto), "emails": [
            {**self.render_automation_email(st, auto, e), "queue": [self._queue_entry(auto, e, q)
                                                                    for q in sh.QUEUE.table(e).values()]}
            for e in sh.AUTOMATION_EMAILS.table(auto).values()]}

    def _queue_entry(self, auto: Row, email: Row, entry: Row) -> Row:
        return {**entry, "workflow_id": auto["id"], "email_id": email["id"], "list_id": auto["list_id"],
                "list_is_active": True, "_links": []}

    def _member_of(self, st: dict[str, Any], list_id: str, address: str, archived: bool = False) -> Row | None:
        lst = sh.LISTS.table(st).get(list_id)
        member = sh.MEMBERS.table(lst).get(sh.subscriber_hash(address)) if lst else None
        return member if member is not None and (archived or member["status"] != "archived") else None

    @sh.api("GET", "/automations")
    def list_automations(self, req: SimRequest) -> Any:
        st = self._st(req)
        status = req.arg("status")
        autos = [a for a in sh.AUTOMATIONS.table(st).values() if not status or a["status"] == status]
        return self._page(req, "automations", autos, lambda a: self.render_automation(st, a))

    @sh.api("POST", "/automations")
    def create_automation(self, req: SimRequest) -> Any:
        data = self._body(req)
        errors: dict[str, str] = {}
        recipients: Row = data["recipients"] if isinstance(data.get("recipients"), dict) else {}
        errors.update({f"recipients.{key}": sh.BLANK for key in ("list_id", "store_id") if not recipients.get(key)})
        trigger = data.get("trigger_settings")
        if not isinstance(trigger, dict) or trigger.get("workflow_type") != "abandonedCart":
            errors["trigger_settings.workflow_type"] = "Only abandonedCart automations can be created through the API."
        self.check(errors)
        raise self.invalid(f"The store '{recipients['store_id']}' could not be found.")

    @sh.api("GET", "/automations/{workflow_id}")
    def get_automation(self, req: SimRequest) -> Any:
        return self.render_automation(*self._automation(req))

    @sh.api("POST", "/automations/{workflow_id}/actions/start-all-emails")
    @sh.api("POST", "/automations/{workflow_id}/actions/pause-all-emails")
    @sh.api("POST", "/automations/{workflow_id}/actions/archive")
    def set_automation_status(self, req: SimRequest) -> Any:
        _, auto = self._automation(req)
        status = {"start-all-emails": "sending", "pause-all-emails": "paused", "archive": "archived"}[
            req.path.rsplit("/", 1)[1]]
        emails = sh.AUTOMATION_EMAILS.table(auto).values()
        if auto["status"] == "archived":
            raise self.invalid("This automation is archived and cannot be changed.")
        if status == "sending" and not emails:
            raise self.invalid("This automation has no emails to start.")
        auto["status"] = status
        if status == "sending":
            auto["start_time"] = auto["start_time"] or self._now()
        for email in emails:
            email["status"] = "paused" if status == "archived" else status
            if status == "sending":
                email["start_time"] = email["start_time"] or self._now()

    @sh.api("GET", "/automations/{workflow_id}/emails")
    def list_automation_emails(self, req: SimRequest) -> Any:
        st, auto = self._automation(req)
        emails = sorted(sh.AUTOMATION_EMAILS.table(auto).values(), key=lambda e: e["position"])
        return sh.collection("emails", [self.render_automation_email(st, auto, e) for e in emails])

    @sh.api("GET", "/automations/{workflow_id}/emails/{workflow_email_id}")
    def get_automation_email(self, req: SimRequest) -> Any:
        return self.render_automation_email(*self._automation_email(req))

    @sh.api("POST", "/automations/{workflow_id}/emails/{workflow_email_id}/actions/start")
    @sh.api("POST", "/automations/{workflow_id}/emails/{workflow_email_id}/actions/pause")
    def set_email_status(self, req: SimRequest) -> Any:
        _, auto, email = self._automation_email(req)
        if auto["status"] == "archived":
            raise self.invalid("This automation is archived and cannot be changed.")
        email["status"] = "sending" if req.path.endswith("/start") else "paused"

    @sh.api("GET", "/automations/{workflow_id}/emails/{workflow_email_id}/queue")
    def list_queue(self, req: SimRequest) -> Any:
        _, auto, email = self._automation_email(req)
        queue = [self._queue_entry(auto, email, e) for e in sh.QUEUE.table(email).values()]
        return sh.collection("queue", queue, workflow_id=auto["id"], email_id=email["id"])

    @sh.api("GET", "/automations/{workflow_id}/emails/{workflow_email_id}/queue/{subscriber_hash}")
    def get_queue_entry(self, req: SimRequest) -> Any:
        _, auto, email = self._automation_email(req)
        return self._queue_entry(auto, email, sh.QUEUE.table(email).require(self._hash(req)))

    @sh.api("POST", "/automations/{workflow_id}/emails/{workflow_email_id}/queue")
    def add_to_queue(self, req: SimRequest) -> Any:
        st, auto, email = self._automation_email(req)
        address = self._address(req)
        member = self._member_of(st, auto["list_id"], address)
        if member is None:
            raise self.invalid(f"{address} is not a member of the automation's audience.")
        if member["status"] != "subscribed":
            raise self.invalid(f"{address} is not subscribed (status '{member['status']}') and cannot be queued.")
        if auto["status"] != "sending" or email["status"] != "sending":
            raise self.invalid("Subscribers can only be added to the queue of an automation email that is sending.")
        queue, h = sh.QUEUE.table(email), member["id"]
        if h in auto["removed"]:
            raise self.invalid(f"{address} was removed from this automation and cannot be added again.")
        if h in queue:
            raise self.invalid(f"{address} is already in the queue of this automation email.")
        delay = email["delay"]
        next_send = self.clock.utcnow() + timedelta(seconds=delay["amount"] * DELAY_UNITS.get(delay["type"], 0))
        entry = queue.insert({"id": h, "email_address": member["email_address"], "next_send": sh.fmt_time(next_send)})
        return self._queue_entry(auto, email, entry)

    @sh.api("POST", "/automations/{workflow_id}/removed-subscribers")
    def remove_from_workflow(self, req: SimRequest) -> Any:
        st, auto = self._automation(req)
        address = self._address(req)
        member = self._member_of(st, auto["list_id"], address, archived=True)
        if member is None:
            raise self.invalid(f"{address} is not a member of the automation's audience.")
        for email in sh.AUTOMATION_EMAILS.table(auto).values():
            sh.QUEUE.table(email).pop(member["id"], None)
        auto["removed"][member["id"]] = {"id": member["id"], "email_address": member["email_address"]}
        return {**auto["removed"][member["id"]], "workflow_id": auto["id"], "list_id": auto["list_id"], "_links": []}

    @sh.api("GET", "/automations/{workflow_id}/removed-subscribers")
    def list_removed(self, req: SimRequest) -> Any:
        _, auto = self._automation(req)
        rows = [{**r, "workflow_id": auto["id"], "list_id": auto["list_id"], "_links": []}
                for r in auto["removed"].values()]
        return sh.collection("subscribers", rows, workflow_id=auto["id"])

    # ---------------------------------------------------------------- customer journeys

    @control("add_journey")
    def add_journey(self, account: str, name: str, list_id: str, steps: list[Row] | None = None,
                    status: str = "sending") -> dict[str, Any]:
        """Build a Customer Journey in the "UI": `steps` like ``[{"type": "api_trigger"}, {"type": "email",
        "subject": ...}]`` (default: one API starting point). Returns ``{journey_id, step_id, step_ids}``
        where ``step_id`` is the first API step's id."""
        with self.lock:
            st = self._ui_state(account, list_id, status, JOURNEY_STATUSES)
            rendered = [{"id": self._int_id(7_000), "type": str(spec.get("type") or "api_trigger"),
                         "name": spec.get("name") or str(spec.get("type") or "api_trigger"),
                         **{k: v for k, v in spec.items() if k not in ("id", "type", "name")}}
                        for spec in steps or [{"type": "api_trigger", "name": "Customer Journeys API"}]]
            api_step = next((s for s in rendered if s["type"] in API_STEP_TYPES), None)
            if api_step is None:
                raise ValueError("a journey triggered through the API needs an api_trigger (or api_condition) step")
            journey = sh.JOURNEYS.table(st).insert({"id": self._int_id(600), "name": name, "list_id": list_id,
                                                    "status": status, "steps": rendered, "created_at": self._now(),
                                                    "triggers": []})
            return {"journey_id": journey["id"], "step_id": api_step["id"], "step_ids": [s["id"] for s in rendered]}

    @control("set_journey_status")
    def set_journey_status(self, account: str, journey_id: int, status: str) -> dict[str, Any]:
        if status not in JOURNEY_STATUSES:
            raise ValueError("status must be sending, paused or draft")
        with self.lock:
            sh.JOURNEYS.table(self.account_state(account)).require(journey_id)["status"] = status
            return {"journey_id": journey_id, "status": status}

    def render_journey(self, st: dict[str, Any], journey: Row) -> Row:
        return {k: v for k, v in journey.items() if k != "triggers"} | {"trigger_count": len(journey["triggers"])}

    @sh.api("POST", "/customer-journeys/journeys/{journey_id}/steps/{step_id}/actions/trigger")
    def trigger_journey(self, req: SimRequest) -> Any:
        st = self._st(req)
        journey = sh.JOURNEYS.table(st).require(req.params["journey_id"])
        step = next((s for s in journey["steps"] if str(s["id"]) == req.params["step_id"]), None)
        if step is None:
            raise Abort(self.error(404))
        address = self._address(req)
        if step["type"] not in API_STEP_TYPES:
            raise self.invalid("This step is not a Customer Journeys API starting point or condition.")
        if journey["status"] != "sending":
            raise self.invalid(f"This journey is not running (its status is '{journey['status']}').")
        member = self._member_of(st, journey["list_id"], address)
        if member is None:
            raise Abort(self.error(404, f"{address} is not a contact of the journey's audience."))
        journey["triggers"].append({"email_address": member["email_address"], "step_id": step["id"],
                                    "time": self._now()})
