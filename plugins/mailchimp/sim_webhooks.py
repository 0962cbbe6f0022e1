"""Audience webhooks in the Mailchimp simulator: ``/lists/{list_id}/webhooks[/{webhook_id}]``.

Create (an http(s) ``url`` is required and may not repeat on the same audience), read, list, update
and delete. The vendor checks a new URL with a GET and later POSTs form-encoded events; the simulator
does neither (webhooks are stored and shown, never called).
"""

from __future__ import annotations

import re
from typing import Any

from hub.simulator import SimRequest
from hub_mailchimp.sim_shapes import ShapesMixin, api, collection, field_errors, invalid, not_found

EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
SOURCES = ("user", "admin", "api")
DEFAULT_SOURCES = {"user": True, "admin": True, "api": False}
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class WebhooksMixin(ShapesMixin):
    """List webhooks."""

    def render_webhook(self, lst: dict[str, Any], hook: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": hook["id"],
            "url": hook["url"],
            "events": dict(hook["events"]),
            "sources": dict(hook["sources"]),
            "list_id": lst["id"],
            "_links": [],
        }

    def _check_webhook(
        self, lst: dict[str, Any], data: dict[str, Any], *, create: bool, own: str | None = None
    ) -> None:
        errors: dict[str, str] = {}
        url = data.get("url")
        if url is not None or create:
            if not isinstance(url, str) or not url.strip():
                errors["url"] = "This value should not be blank."
            elif not _URL_RE.match(url.strip()):
                errors["url"] = "This value should be a valid URL."
            elif any(h["url"] == url.strip() and h["id"] != own for h in lst["webhooks"].values()):
                raise invalid("Sorry, you can't use the same webhook URL twice on one audience.")
        for block, keys in (("events", EVENTS), ("sources", SOURCES)):
            value = data.get(block)
            if value is None:
                continue
            if not isinstance(value, dict):
                errors[block] = "Schema describes object, but a different type was found instead"
                continue
            for key, flag in value.items():
                if key not in keys:
                    errors[f"{block}.{key}"] = f"Unknown {block[:-1]} '{key}'."
                elif not isinstance(flag, bool):
                    errors[f"{block}.{key}"] = "This value should be of type boolean."
        if errors:
            raise field_errors(errors)

    def _webhook(self, lst: dict[str, Any], req: SimRequest) -> dict[str, Any]:
        hook = lst["webhooks"].get(req.params["webhook_id"])
        if hook is None:
            raise not_found()
        return hook

    @api("GET", "/lists/{list_id}/webhooks")
    def list_webhooks(self, req: SimRequest) -> Any:
        lst = self._list(req)
        hooks = [self.render_webhook(lst, h) for h in lst["webhooks"].values()]
        return collection("webhooks", hooks, len(hooks), list_id=lst["id"])

    @api("POST", "/lists/{list_id}/webhooks")
    def create_webhook(self, req: SimRequest) -> Any:
        lst = self._list(req)
        data = self._body(req)
        self._check_webhook(lst, data, create=True)
        wid = self._hex_id("webhook")
        hook = {
            "id": wid,
            "url": data["url"].strip(),
            "events": {**dict.fromkeys(EVENTS, True), **(data.get("events") or {})},
            "sources": {**DEFAULT_SOURCES, **(data.get("sources") or {})},
        }
        lst["webhooks"][wid] = hook
        return self.render_webhook(lst, hook)

    @api("GET", "/lists/{list_id}/webhooks/{webhook_id}")
    def get_webhook(self, req: SimRequest) -> Any:
        lst = self._list(req)
        return self.render_webhook(lst, self._webhook(lst, req))

    @api("PATCH", "/lists/{list_id}/webhooks/{webhook_id}")
    def update_webhook(self, req: SimRequest) -> Any:
        lst = self._list(req)
        hook = self._webhook(lst, req)
        data = self._body(req)
        self._check_webhook(lst, data, create=False, own=hook["id"])
        if data.get("url") is not None:
            hook["url"] = data["url"].strip()
        for block in ("events", "sources"):
            if isinstance(data.get(block), dict):
                hook[block].update(data[block])
        return self.render_webhook(lst, hook)

    @api("DELETE", "/lists/{list_id}/webhooks/{webhook_id}")
    def delete_webhook(self, req: SimRequest) -> Any:
        lst = self._list(req)
        hook = self._webhook(lst, req)
        del lst["webhooks"][hook["id"]]
        return None
