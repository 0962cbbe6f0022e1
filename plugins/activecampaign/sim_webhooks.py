"""Webhooks in the ActiveCampaign simulator: ``/webhooks``, ``/webhook/events`` and the deliveries log.

A webhook needs ``name``, ``url``, ``events`` (from the 25 documented events) and ``sources``
(``public``, ``admin``, ``api``, ``system``); ``listid`` narrows list events to one list. Webhooks are
never called over HTTP: what they would have received is appended to a per-account deliveries log
(``webhook_deliveries()``), so tests can check which changes notify and which do not — as documented,
bulk imports notify nothing.
"""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import SimRequest, route
from hub_activecampaign.sim_shapes import (
    MODEL_WEBHOOK,
    missing_attribute,
    name_filters,
    op_matches,
    sid,
    text,
    unprocessable,
)

WEBHOOK_EVENTS = (
    "bounce",
    "click",
    "contact_tag_added",
    "contact_tag_removed",
    "deal_add",
    "deal_note_add",
    "deal_pipeline_add",
    "deal_stage_add",
    "deal_task_add",
    "deal_task_complete",
    "deal_tasktype_add",
    "deal_update",
    "forward",
    "list_add",
    "open",
    "reply",
    "sent",
    "share",
    "sms_reply",
    "sms_sent",
    "sms_unsub",
    "subscribe",
    "subscriber_note",
    "unsubscribe",
    "update",
)
WEBHOOK_SOURCES = ("public", "admin", "api", "system")
LIST_EVENTS = ("subscribe", "unsubscribe", "bounce", "sent", "open", "click", "forward", "share", "reply")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class WebhooksMixin:
    """``/webhooks``, ``/webhook/events`` and `_fire`, which the other areas call on changes."""

    def render_webhook(self, hook: dict[str, Any]) -> dict[str, Any]:
        return {
            "cdate": hook["cdate"],
            "listid": hook["listid"],
            "name": hook["name"],
            "url": hook["url"],
            "events": list(hook["events"]),
            "sources": list(hook["sources"]),
            "links": [],
            "id": hook["id"],
        }

    def _fire(
        self,
        st: dict[str, Any],
        event: str,
        source: str,
        *,
        list_id: str | None = None,
        contact: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Record what every matching webhook would be sent (nothing is sent)."""
        hooks = st["webhooks"]
        if not hooks:
            return
        for hook in hooks.values():
            if event not in hook["events"] or source not in hook["sources"]:
                continue
            if hook["listid"] != "0" and event in LIST_EVENTS and list_id is not None and list_id != hook["listid"]:
                continue
            payload: dict[str, Any] = {"type": event, "date_time": self._now(), "initiated_by": source}
            if list_id is not None:
                payload["list"] = list_id
            if contact is not None:
                payload["contact"] = {
                    "id": contact["id"],
                    "email": contact["email"],
                    "first_name": contact["firstName"],
                    "last_name": contact["lastName"],
                }
            payload.update(extra or {})
            st["webhook_log"].append({"webhook": hook["id"], "url": hook["url"], "event": event, "payload": payload})

    def _webhook_input(self, data: dict[str, Any], *, create: bool) -> dict[str, Any]:
        if create:
            absent = [k for k in ("name", "url", "events", "sources") if data.get(k) in (None, "", [])]
            if absent:
                raise missing_attribute(*absent)
        out: dict[str, Any] = {}
        if data.get("name") not in (None, ""):
            out["name"] = text(data["name"])
        if data.get("url") not in (None, ""):
            url = text(data["url"]).strip()
            if not _URL.match(url):
                raise unprocessable("Invalid url", "url", detail=f"'{url}' is not a valid URL")
            out["url"] = url
        for key, allowed in (("events", WEBHOOK_EVENTS), ("sources", WEBHOOK_SOURCES)):
            if key not in data or data[key] in (None, []):
                continue
            values = data[key]
            if not isinstance(values, list):
                raise unprocessable(f"Invalid {key}", key, detail=f"{key} must be an array")
            for value in values:
                if value not in allowed:
                    raise unprocessable(f"Invalid {key[:-1]}", key, detail=f"'{value}' is not a valid {key[:-1]}")
            out[key] = list(dict.fromkeys(values))
        if "listid" in data:
            out["listid"] = sid(data["listid"]) or "0"
        return out

    @route("POST", "/api/3/webhooks")
    def create_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        values = self._webhook_input(self._wrapped(req, "webhook"), create=True)
        wid = self._new_id(st, "webhooks")
        hook = {"id": wid, "cdate": self._now(), "listid": "0", **values}
        st["webhooks"][wid] = hook
        return 201, {"webhook": self.render_webhook(hook)}

    @route("GET", "/api/3/webhooks")
    def list_webhooks(self, req: SimRequest) -> Any:
        st = self._st(req)
        rows = list(st["webhooks"].values())
        for attribute in ("name", "url"):
            for op, needle in name_filters(req, attribute):
                rows = [h for h in rows if op_matches(h[attribute], op, needle)]
        listid = sid(req.arg("filters[listid]"))
        if listid is not None:
            rows = [h for h in rows if h["listid"] == listid]
        page, meta = self._page(req, rows)
        return 200, {"webhooks": [self.render_webhook(h) for h in page], "meta": meta}

    @route("GET", "/api/3/webhooks/{id}")
    def get_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"webhook": self.render_webhook(self._find(st, "webhooks", req.params["id"], MODEL_WEBHOOK))}

    @route("PUT", "/api/3/webhooks/{id}")
    def update_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        hook = self._find(st, "webhooks", req.params["id"], MODEL_WEBHOOK)
        hook.update(self._webhook_input(self._wrapped(req, "webhook"), create=False))
        return 200, {"webhook": self.render_webhook(hook)}

    @route("DELETE", "/api/3/webhooks/{id}")
    def delete_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        hook = self._find(st, "webhooks", req.params["id"], MODEL_WEBHOOK)
        del st["webhooks"][hook["id"]]
        return 200, {}

    @route("GET", "/api/3/webhook/events")
    def webhook_events(self, req: SimRequest) -> Any:
        self._st(req)
        return 200, {"webhookEvents": list(WEBHOOK_EVENTS), "meta": {"total": len(WEBHOOK_EVENTS)}}
