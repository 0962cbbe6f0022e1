"""Automations in the MailerLite simulator: read-only over the API, built as in the vendor's UI.

The API lists and reads automations and their subscriber activity; they are created by the
``add_automation`` control of `MailerLiteSimulator` (a "subscriber joins group" trigger and steps,
which `_automation_step` renders as the vendor does). An active subscriber joining a trigger
group of an enabled automation records one "active" activity entry (not repeatable).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hub.simulator import SimRequest, route
from hub_mailerlite.sim_shapes import PLAIN_TEXT, email_stats, invalid, rate_block


class AutomationsMixin:
    """Automations, their activity and the steps the UI builds."""

    def _trigger_automations(self, st: dict[str, Any], sub: dict[str, Any], gid: str) -> None:
        for auto in st["automations"].values():
            if not auto["enabled"] or gid not in auto["trigger_group_ids"]:
                continue
            if any(a["subscriber"]["id"] == sub["id"] for a in auto["_activity"]):
                continue  # not repeatable
            first = auto["steps"][0] if auto["steps"] else None
            auto["_activity"].append(
                {
                    "id": self._new_id(),
                    "status": "active",
                    "date": self._now(),
                    "reason": None,
                    "reason_description": None,
                    "subscriber": {"id": sub["id"], "email": sub["email"]},
                    "stepRuns": [],
                    "currentStep": first,
                }
            )

    def render_automation(self, st: dict[str, Any], auto: dict[str, Any]) -> dict[str, Any]:
        groups = []
        for gid in auto["trigger_group_ids"]:
            rules = [[{"operator": "in_any", "condition": "groups", "args": ["groups", [gid]]}]]
            token = base64.b64encode(json.dumps(rules, separators=(",", ":")).encode()).decode()
            name = st["groups"][gid]["name"] if gid in st["groups"] else None
            groups.append(
                {"id": gid, "name": name, "url": f"https://dashboard.mailerlite.com/subscribers?rules={token}"}
            )
        broken = any(gid not in st["groups"] for gid in auto["trigger_group_ids"])
        in_queue = sum(1 for a in auto["_activity"] if a["status"] == "active")
        completed = sum(1 for a in auto["_activity"] if a["status"] == "completed")
        stats = email_stats()
        stats.pop("forwards_count")
        stats.update(
            {
                "completed_subscribers_count": completed,
                "subscribers_in_queue_count": in_queue,
                "bounce_rate": rate_block(),
                "unique_opens_count": None,
                "unique_clicks_count": None,
                "social_interactions_count": None,
                "social_interaction_rate": rate_block(),
            }
        )
        return {
            "id": auto["id"],
            "name": auto["name"],
            "enabled": auto["enabled"],
            "trigger_data": {
                "track_ecommerce": False,
                "repeatable": False,
                "valid": not broken,
                "complete_workflow": True,
                "broken_workflow": broken,
            },
            "triggers": [
                {
                    "id": auto["trigger_id"],
                    "type": "subscriber_joins_group",
                    "group_ids": list(auto["trigger_group_ids"]),
                    "groups": groups,
                    "exclude_group_ids": [],
                    "excluded_groups": [],
                    "broken": broken,
                    "complete": True,
                }
            ],
            "complete": True,
            "broken": broken,
            "warnings": [],
            "emails_count": sum(1 for s in auto["steps"] if s["type"] == "email"),
            "stats": stats,
            "created_at": auto["created_at"],
            "has_banned_content": False,
            "qualified_subscribers_count": 0,
            "automation_template_id": None,
            "automation_template_name": None,
            "steps": auto["steps"],
        }

    def _automation(self, req: SimRequest) -> tuple[dict[str, Any], dict[str, Any]]:
        st = self._st(req)
        return st, self._find(st, "automation", "automations", req.params["id"])

    @route("GET", "/api/automations")
    def list_automations(self, req: SimRequest) -> Any:
        st = self._st(req)
        autos = list(reversed(st["automations"].values()))
        enabled = req.arg("filter[enabled]")
        if enabled is not None:
            if enabled not in ("true", "false", "1", "0"):
                raise invalid({"filter.enabled": ["The filter.enabled field must be true or false."]})
            want = enabled in ("true", "1")
            autos = [a for a in autos if a["enabled"] == want]
        name = req.arg("filter[name]")
        if name:
            autos = [a for a in autos if name.lower() in a["name"].lower()]
        group = req.arg("filter[group]")
        if group:
            autos = [a for a in autos if group in a["trigger_group_ids"]]
        total = len(st["automations"])
        aggregations = {"workflows": total, "drafts": 0, "unsync": 0, "all": total}
        return 200, self.page_envelope(
            req, autos, 10, lambda a: self.render_automation(st, a), {"aggregations": aggregations}
        )

    @route("GET", "/api/automations/{id}")
    def get_automation(self, req: SimRequest) -> Any:
        st, auto = self._automation(req)
        return 200, {"data": self.render_automation(st, auto)}

    @route("GET", "/api/automations/{id}/activity")
    def automation_activity(self, req: SimRequest) -> Any:
        _, auto = self._automation(req)
        status = req.arg("filter[status]")
        if not status:
            raise invalid({"filter.status": ["The filter.status field is required."]})
        if status not in ("completed", "active", "canceled", "failed"):
            raise invalid({"filter.status": ["The selected filter.status is invalid."]})
        items = [a for a in reversed(auto["_activity"]) if a["status"] == status]
        return 200, self.page_envelope(req, items, 50)

    def _automation_step(
        self, account: str, aid: str, raw: dict[str, Any], parent: str | None, now: str, enabled: bool
    ) -> dict[str, Any]:
        kind = raw.get("type", "action")
        step: dict[str, Any] = {"id": self._new_id(), "type": kind, "parent_id": parent}
        if kind == "email":
            subject = raw.get("subject", "")
            sender = raw.get("from", "sender@example.com")
            name = raw.get("name") or subject
            eid = self._new_id()
            content = raw.get("content")
            email = {
                "id": eid,
                "account_id": self._account_number(account),
                "emailable_id": aid,
                "emailable_type": "automations",
                "type": "builder",
                "from": sender,
                "from_name": raw.get("from_name", sender),
                "reply_to": raw.get("reply_to", sender),
                "name": name,
                "subject": subject,
                "plain_text": PLAIN_TEXT,
                "screenshot_url": None,
                "generate_screenshot_timestamp": None,
                "preview_url": f"https://preview.mailerlite.io/preview/{self._account_number(account)}/emails/{eid}",
                "created_at": now,
                "updated_at": now,
                "is_designed": True,
                "language_id": 4,
                "is_winner": False,
                "stats": email_stats(),
                "send_after": None,
                "track_opens": True,
                "uses_survey": False,
                "uses_quiz": False,
                "preheader": raw.get("preheader", ""),
            }
            if content is not None:
                email["content"] = content
            step.update(
                {
                    "name": name,
                    "subject": subject,
                    "from": sender,
                    "from_name": email["from_name"],
                    "reply_to": email["reply_to"],
                    "email_id": eid,
                    "email": email,
                    "language_id": 4,
                    "complete": True,
                    "created_at": now,
                    "updated_at": now,
                    "track_opens": True,
                    "google_analytics": None,
                    "tracking_was_disabled": False,
                    "broken": False,
                    "has_unsubscribe_url": content is None or "{$unsubscribe}" in content,
                    "eligible_for_sending": bool(enabled),
                    "preheader": email["preheader"],
                    "builder_type": "builder",
                    "description": f'Send "{name}" email',
                    "type_count": 1,
                }
            )
        else:
            step.update({"complete": True, "broken": False, "created_at": now, "updated_at": now})
            if kind == "delay":
                value, unit = raw.get("value", 1), raw.get("unit", "days")
                step.update({"unit": unit, "value": value, "description": f"Wait {value} {unit}"})
            elif kind == "condition":
                step["description"] = raw.get("description", "Condition")
            else:
                step["description"] = raw.get("description", kind.replace("_", " ").capitalize())
            step["type_count"] = 1
        for key, value in raw.items():
            step.setdefault(key, value)
        return step
