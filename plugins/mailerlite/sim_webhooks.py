"""Webhooks in the MailerLite simulator: the ``/webhooks`` routes.

Create, read, list, update and delete, with the vendor's event names; the events the vendor only
sends in batches require ``batchable: true``. A new webhook gets a secret that is deterministic
for the simulator's seed. Webhooks are stored and shown, never called, and cannot be reached
through ``/batch``.
"""

from __future__ import annotations

import random
import re
from typing import Any

from hub.simulator import SimRequest, SimResponse, route
from hub_mailerlite.sim_shapes import invalid

WEBHOOK_EVENTS = (
    "subscriber.created",
    "subscriber.updated",
    "subscriber.unsubscribed",
    "subscriber.added_to_group",
    "subscriber.removed_from_group",
    "subscriber.bounced",
    "subscriber.automation_triggered",
    "subscriber.automation_completed",
    "subscriber.spam_reported",
    "subscriber.deleted",
    "campaign.sent",
    "campaign.open",
    "campaign.click",
)
WEBHOOK_BATCHABLE_ONLY = ("subscriber.deleted", "campaign.open", "campaign.click")

_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class WebhooksMixin:
    """Webhooks and their routes."""

    def render_webhook(self, hook: dict[str, Any]) -> dict[str, Any]:
        return dict(hook)

    def _validate_webhook(self, data: dict[str, Any], *, create: bool, batchable: bool) -> None:
        errors: dict[str, list[str]] = {}
        url = data.get("url")
        if url is None or url == "":
            if create:
                errors["url"] = ["The url field is required."]
        elif not isinstance(url, str) or not _URL_RE.match(url):
            errors["url"] = ["The url format is invalid."]
        events = data.get("events")
        if events is None or events == []:
            if create:
                errors["events"] = ["The events field is required."]
        elif not isinstance(events, list):
            errors["events"] = ["The events must be an array."]
        else:
            for i, event in enumerate(events):
                if event not in WEBHOOK_EVENTS:
                    errors[f"events.{i}"] = [f"The selected events.{i} is invalid."]
                elif event in WEBHOOK_BATCHABLE_ONLY and not batchable:  # unverified wording
                    errors[f"events.{i}"] = [f"The events.{i} event requires batchable to be true."]
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > 255):
            errors["name"] = ["The name must be a string of at most 255 characters."]
        for key in ("enabled", "batchable"):
            if key in data and not isinstance(data[key], bool):
                errors[key] = [f"The {key} field must be true or false."]
        if errors:
            raise invalid(errors)

    @route("GET", "/api/webhooks")
    def list_webhooks(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, self.page_envelope(req, list(st["webhooks"].values()), 50, self.render_webhook)

    @route("GET", "/api/webhooks/{id}")
    def get_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        return 200, {"data": self.render_webhook(self._find(st, "webhook", "webhooks", req.params["id"]))}

    @route("POST", "/api/webhooks")
    def create_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        data = self._body(req)
        self._validate_webhook(data, create=True, batchable=bool(data.get("batchable")))
        now = self._now()
        hid = self._new_id()
        rng = random.Random(f"{self.seed}:{hid}")
        secret = "".join(rng.choice(_SECRET_ALPHABET) for _ in range(10))
        hook = {
            "id": hid,
            "name": data.get("name"),
            "url": data["url"],
            "events": list(data["events"]),
            "enabled": data.get("enabled", True),
            "is_blocked": False,
            "secret": secret,
            "created_at": now,
            "updated_at": now,
            "batchable": bool(data.get("batchable", False)),
            "version": "2022-01",
            "last_fired_at": None,
            "response_code": None,
        }
        st["webhooks"][hid] = hook
        return 201, {"data": self.render_webhook(hook)}

    @route("PUT", "/api/webhooks/{id}")
    def update_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        hook = self._find(st, "webhook", "webhooks", req.params["id"])
        data = self._body(req)
        self._validate_webhook(data, create=False, batchable=bool(data.get("batchable", hook["batchable"])))
        for key in ("name", "url", "events", "enabled", "batchable"):
            if key in data:
                hook[key] = data[key]
        hook["updated_at"] = self._now()
        return 200, {"data": self.render_webhook(hook)}

    @route("DELETE", "/api/webhooks/{id}")
    def delete_webhook(self, req: SimRequest) -> Any:
        st = self._st(req)
        hook = self._find(st, "webhook", "webhooks", req.params["id"])
        del st["webhooks"][hook["id"]]
        return SimResponse(204)
