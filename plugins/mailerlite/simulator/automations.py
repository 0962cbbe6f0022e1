"""Automations: read-only over the API (list, read, subscriber activity), built as in the vendor's UI by the
``add_automation`` control. An active subscriber joining a trigger group of an enabled automation records
one "active" activity entry (not repeatable)."""

from __future__ import annotations

import base64
import json
from typing import Any

from hub.simulator import Row, SimRequest, control, route

from .shapes import AUTOMATIONS, GROUPS, Base, St, email_shape, email_stats, rate_block
from .validation import invalid


class Automations(Base):
    def _trigger_automations(self, st: St, sub: Row, gid: str) -> None:
        for auto in AUTOMATIONS.table(st).values():
            if not auto["enabled"] or gid not in auto["trigger_group_ids"]:
                continue
            if any(a["subscriber"]["id"] == sub["id"] for a in auto["_activity"]):
                continue  # not repeatable
            auto["_activity"].append({
                "id": self._new_id(), "status": "active", "date": self._now(), "reason": None,
                "reason_description": None, "subscriber": {"id": sub["id"], "email": sub["email"]}, "stepRuns": [],
                "currentStep": auto["steps"][0] if auto["steps"] else None,
            })

    def render_automation(self, st: St, auto: Row) -> Row:
        groups, triggers = GROUPS.table(st), auto["trigger_group_ids"]
        shown = []
        for gid in triggers:
            rules = [[{"operator": "in_any", "condition": "groups", "args": ["groups", [gid]]}]]
            token = base64.b64encode(json.dumps(rules, separators=(",", ":")).encode()).decode()
            shown.append({"id": gid, "name": groups[gid]["name"] if gid in groups else None,
                          "url": f"https://dashboard.mailerlite.com/subscribers?rules={token}"})
        broken = any(gid not in groups for gid in triggers)
        stats = email_stats()
        del stats["forwards_count"]
        stats.update(
            completed_subscribers_count=sum(1 for a in auto["_activity"] if a["status"] == "completed"),
            subscribers_in_queue_count=sum(1 for a in auto["_activity"] if a["status"] == "active"),
            bounce_rate=rate_block(), unique_opens_count=None, unique_clicks_count=None,
            social_interactions_count=None, social_interaction_rate=rate_block(),
        )
        trigger = {"id": auto["trigger_id"], "type": "subscriber_joins_group", "group_ids": list(triggers),
                   "groups": shown, "exclude_group_ids": [], "excluded_groups": [], "broken": broken, "complete": True}
        return {
            "id": auto["id"], "name": auto["name"], "enabled": auto["enabled"],
            "trigger_data": {"track_ecommerce": False, "repeatable": False, "valid": not broken,
                             "complete_workflow": True, "broken_workflow": broken},
            "triggers": [trigger], "complete": True, "broken": broken, "warnings": [],
            "emails_count": sum(1 for s in auto["steps"] if s["type"] == "email"), "stats": stats,
            "created_at": auto["created_at"], "has_banned_content": False, "qualified_subscribers_count": 0,
            "automation_template_id": None, "automation_template_name": None, "steps": auto["steps"],
        }

    @route("GET", "/api/automations")
    def list_automations(self, req: SimRequest) -> Any:
        st = self._st(req)
        autos = list(reversed(AUTOMATIONS.table(st).values()))
        enabled = req.arg("filter[enabled]")
        if enabled is not None:
            if enabled not in ("true", "false", "1", "0"):
                raise invalid({"filter.enabled": ["The filter.enabled field must be true or false."]})
            autos = [a for a in autos if a["enabled"] == (enabled in ("true", "1"))]
        if name := req.arg("filter[name]"):
            autos = [a for a in autos if name.lower() in a["name"].lower()]
        if group := req.arg("filter[group]"):
            autos = [a for a in autos if group in a["trigger_group_ids"]]
        total = len(AUTOMATIONS.table(st))
        aggregations = {"workflows": total, "drafts": 0, "unsync": 0, "all": total}
        return self.page_envelope(req, autos, 10, lambda a: self.render_automation(st, a),
                                  {"aggregations": aggregations})

    @route("GET", "/api/automations/{id}")
    def get_automation(self, req: SimRequest) -> Any:
        st = self._st(req)
        return {"data": self.render_automation(st, AUTOMATIONS.table(st).require(req.params["id"]))}

    @route("GET", "/api/automations/{id}/activity")
    def automation_activity(self, req: SimRequest) -> Any:
        auto = AUTOMATIONS.table(self._st(req)).require(req.params["id"])
        if not req.arg("filter[status]"):
            raise invalid({"filter.status": ["The filter.status field is required."]})
        status = self._filter(req, "status", ("completed", "active", "canceled", "failed"))
        return self.page_envelope(req, [a for a in reversed(auto["_activity"]) if a["status"] == status], 50)

    @control("add_automation")
    def add_automation(self, account: str, name: str, trigger_group_id: str, steps: list[Row],
                       enabled: bool = True) -> Row:
        """Build an automation as a user would in the MailerLite UI: a "subscriber joins group" trigger
        and steps such as ``{"type": "email", "subject": ...}``, ``{"type": "delay", "value": 2,
        "unit": "days"}``, ``{"type": "condition", ...}`` (other keys are kept as given)."""
        with self.lock:
            st = self.account_state(account)
            aid, now = self._new_id(), self._now()
            rendered: list[Row] = []
            for raw in steps:
                parent = rendered[-1]["id"] if rendered else None
                rendered.append(self._automation_step(account, aid, raw, parent, now, enabled))
            auto = AUTOMATIONS.table(st).insert({
                "id": aid, "name": name, "enabled": bool(enabled), "trigger_id": self._new_id(),
                "trigger_group_ids": [str(trigger_group_id)], "steps": rendered, "created_at": now, "_activity": [],
            })
            return self.render_automation(st, auto)

    def _automation_step(self, account: str, aid: str, raw: Row, parent: str | None, now: str, enabled: bool) -> Row:
        """A step as the vendor shows it; an email step carries its email."""
        kind = raw.get("type", "action")
        stamps = {"created_at": now, "updated_at": now}
        step: Row = {"id": self._new_id(), "type": kind, "parent_id": parent, "complete": True, "broken": False,
                     **stamps}
        if kind == "email":
            subject, sender = raw.get("subject", ""), raw.get("from", "sender@example.com")
            name, eid, content = raw.get("name") or subject, self._new_id(), raw.get("content")
            fields = {"type": "builder", "from": sender, "from_name": raw.get("from_name", sender),
                      "reply_to": raw.get("reply_to", sender), "name": name, "subject": subject, "is_designed": True,
                      "language_id": 4, "preheader": raw.get("preheader", "")}
            email = email_shape(eid, self._account_number(account), "automations", aid, stamps,
                                fields if content is None else {**fields, "content": content})
            step.update({
                "name": name, "subject": subject, "from": sender, "from_name": email["from_name"],
                "reply_to": email["reply_to"], "email_id": eid, "email": email, "language_id": 4, "track_opens": True,
                "google_analytics": None, "tracking_was_disabled": False,
                "has_unsubscribe_url": content is None or "{$unsubscribe}" in content,
                "eligible_for_sending": bool(enabled), "preheader": email["preheader"], "builder_type": "builder",
                "description": f'Send "{name}" email',
            })
        elif kind == "delay":
            value, unit = raw.get("value", 1), raw.get("unit", "days")
            step.update({"unit": unit, "value": value, "description": f"Wait {value} {unit}"})
        else:
            default = "Condition" if kind == "condition" else kind.replace("_", " ").capitalize()
            step["description"] = raw.get("description", default)
        step["type_count"] = 1
        for key, value in raw.items():
            step.setdefault(key, value)
        return step
