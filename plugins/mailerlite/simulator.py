"""A stateful simulator of the MailerLite "connect" API (``https://connect.mailerlite.com/api``).

It answers like the vendor as recorded in ``vendor-specs/mailerlite-python-sdk-cassettes-digest.txt`` and
described in ``vendors/mailerlite-activecampaign.md`` part A: Bearer auth, ``x-ratelimit-*`` headers and
429s (120 requests/minute per account, 5 import creations/minute), cursor pagination for subscriber
lists and Laravel length-aware pages elsewhere, Laravel 422 bodies with dotted keys, model-named 404s,
non-destructive subscriber upserts (201 new / 200 existing) that never re-activate an unsubscribed
address, the campaign status machine (draft → ready → sent, cancel → draft), ``/batch`` (≤ 50), read-only
segments and automations, and webhooks.

Accounts are configured by token: ``MailerLiteSimulator(clock, tokens={"token": "account-id"})`` (default
``{"sandbox-token": "sandbox"}``); each account has its own data.

Choices where the vendor's behaviour is not verified (each marked "simulator choice" in the code as well):
- ``batch_counts_subrequests=False``: a ``/batch`` counts as one request against the 120/min limit.
- ``limit`` on cursor lists is capped at ``max_limit=1000`` (422 above it).
- ``GET /subscribers`` lists every status by default; group and segment member lists default to active.
- Unknown keys in subscriber ``fields`` are ignored silently.
- A field key is Laravel's ``Str::snake`` of its name ("My Field" → ``my_field``, "ZIP" → ``z_i_p``),
  reduced to ``[a-z0-9_]``.
- Campaign HTML without ``{$unsubscribe}`` is refused with 422 on ``emails.0.content``.
- Campaign content is returned with MailerLite's template markers inserted (``rewrite_content=True``),
  as the vendor rewrites HTML: do not compare returned HTML with what you sent.
- ``delivery: instant`` marks the campaign ``sent`` at once; a ``scheduled`` one turns ``sent`` on the
  first read after its time passes (by ``clock.utcnow()``).
- Updating, scheduling or cancelling a campaign in the wrong status answers 422 with a clear message.
- Group names may repeat (the vendor is not known to refuse duplicates).
- Adding a subscriber to a group that triggers an enabled automation records an "active" activity entry.

The class is assembled from one mixin per area, each in its own module: `sim_subscribers`, `sim_groups`
(groups, segments, imports), `sim_fields`, `sim_campaigns`, `sim_timezones`, `sim_automations`,
`sim_webhooks`, and `sim_shapes` (shared answer shapes and request plumbing). This module keeps what
spans them: authentication, rate limits, headers, error bodies, ``/batch``, and the control actions
and test helpers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from hub.simulator import Clock, SimRequest, SimResponse, Simulator, bearer_token, control, route
from hub_mailerlite.sim_automations import AutomationsMixin
from hub_mailerlite.sim_campaigns import CampaignsMixin, rewrite_html
from hub_mailerlite.sim_fields import DEFAULT_FIELDS, FieldsMixin, field_key
from hub_mailerlite.sim_groups import GroupsMixin, SegmentsMixin
from hub_mailerlite.sim_shapes import STATUSES, ShapesMixin, invalid, missing
from hub_mailerlite.sim_subscribers import SubscribersMixin
from hub_mailerlite.sim_timezones import TimezonesMixin
from hub_mailerlite.sim_webhooks import WebhooksMixin

__all__ = ["MailerLiteSimulator", "field_key", "invalid", "missing", "rewrite_html"]

BATCH_MAX = 50
BATCH_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
_IMPORT_PATH = re.compile(r"^/api/groups/[^/]+/import-subscribers$")


class MailerLiteSimulator(
    SubscribersMixin,
    GroupsMixin,
    SegmentsMixin,
    FieldsMixin,
    CampaignsMixin,
    TimezonesMixin,
    AutomationsMixin,
    WebhooksMixin,
    ShapesMixin,
    Simulator,
):
    """MailerLite connect API. Options (all keyword):

    - ``tokens``: ``{token: account_id}``, default ``{"sandbox-token": "sandbox"}``;
    - ``rate_limit=120``, ``window=60`` (vendor seconds): the per-account request limit;
    - ``import_limit=5``: import creations per ``window`` (group imports and subscriber-only batches);
    - ``batch_counts_subrequests=False``: charge a ``/batch`` one request per sub-request instead of one;
    - ``max_limit=1000``: the largest ``limit`` of cursor-paginated lists (unverified);
    - ``timezone="UTC"``: the account timezone used when a schedule has no ``timezone_id``;
    - ``rewrite_content=True``: return campaign HTML with MailerLite's template markers.
    """

    name = "mailerlite"
    base_path = "/api"

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        tokens: dict[str, str] | None = None,
        rate_limit: int = 120,
        window: float = 60.0,
        import_limit: int = 5,
        batch_counts_subrequests: bool = False,
        max_limit: int = 1000,
        timezone: str = "UTC",
        rewrite_content: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(clock, **options)
        self.tokens = dict(tokens) if tokens is not None else {"sandbox-token": "sandbox"}
        self.rate_limit = rate_limit
        self.window = window
        self.import_limit = import_limit
        self.batch_counts_subrequests = batch_counts_subrequests
        self.max_limit = max_limit
        self.timezone = timezone
        self.rewrite_content = rewrite_content

    # ---------------------------------------------------------------- kit hooks

    def initial_state(self) -> dict[str, Any]:
        return {
            "subscribers": {},
            "by_email": {},
            "groups": {},
            "fields": {
                fid: {"id": fid, "name": name, "key": key, "type": "text", "is_default": True}
                for fid, name, key in DEFAULT_FIELDS
            },
            "segments": {},
            "campaigns": {},
            "automations": {},
            "webhooks": {},
            "imports": {},
        }

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        account = self.tokens.get(bearer_token(req) or "")
        if account is None:
            return SimResponse(401, {"message": "Unauthenticated."})
        return account

    def rate_limits(self, req: SimRequest) -> list[Any]:
        cost = 1
        is_import = False
        if req.method == "POST":
            if req.path == "/api/batch":
                subs = self._batch_items(req)
                if subs:
                    if self.batch_counts_subrequests:
                        cost = len(subs)
                    is_import = all(
                        isinstance(s, dict)
                        and str(s.get("method", "")).upper() == "POST"
                        and str(s.get("path", "")).split("?")[0].strip("/") == "api/subscribers"
                        for s in subs
                    )
            elif _IMPORT_PATH.match(req.path):
                is_import = True
        limits: list[Any] = [("api", self.rate_limit, self.window, cost)]
        if is_import:
            limits.append(("import", self.import_limit, self.window))
        return limits

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        message = "You're being rate limited on import creation." if bucket == "import" else "Too Many Attempts."
        return SimResponse(429, {"message": message}, {"Retry-After": str(retry_after)})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        if account is None:
            return {}
        remaining = self.rate_remaining(account, "api")
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(self.rate_limit if remaining is None else remaining),
        }

    def not_found(self, req: SimRequest) -> SimResponse:
        return SimResponse(404, {"message": f"The route {req.path.lstrip('/')} could not be found."})

    def method_not_allowed(self, req: SimRequest, allowed: list[str]) -> SimResponse:
        order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        methods = set(allowed) | ({"HEAD"} if "GET" in allowed else set())
        listed = ", ".join(m for m in order if m in methods)
        message = (
            f"The {req.method} method is not supported for route {req.path.lstrip('/')}. Supported methods: {listed}."
        )
        return SimResponse(405, {"message": message})

    def fault_response(self, req: SimRequest, status: int, retry_after: int | None) -> SimResponse:
        resp = super().fault_response(req, status, retry_after)
        messages = {429: "Too Many Attempts.", 500: "Server Error"}  # others: the standard phrase
        if status in messages:
            resp.body = {"message": messages[status]}
        return resp

    # ---------------------------------------------------------------- batch

    def _batch_items(self, req: SimRequest) -> list[Any] | None:
        items = self._body(req).get("requests")
        return items if isinstance(items, list) else None

    @route("POST", "/api/batch")
    def batch(self, req: SimRequest) -> Any:
        items = self._body(req).get("requests")
        errors: dict[str, list[str]] = {}
        if items is None:
            errors["requests"] = ["The requests field is required."]
        elif not isinstance(items, list):
            errors["requests"] = ["The requests must be an array."]
        elif len(items) > BATCH_MAX:
            errors["requests"] = [f"The requests must not have more than {BATCH_MAX} items."]
        else:
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    errors[f"requests.{i}"] = [f"The requests.{i} must be an array."]
                    continue
                method = item.get("method")
                if not method:
                    errors[f"requests.{i}.method"] = [f"The requests.{i}.method field is required."]
                elif str(method).upper() not in BATCH_METHODS:
                    errors[f"requests.{i}.method"] = [f"The selected requests.{i}.method is invalid."]
                path = item.get("path")
                if not path:
                    errors[f"requests.{i}.path"] = [f"The requests.{i}.path field is required."]
                elif not isinstance(path, str) or not path.startswith("api/"):
                    errors[f"requests.{i}.path"] = [f"The requests.{i}.path format is invalid."]
                elif path.split("?")[0].strip("/").startswith("api/webhooks"):
                    errors[f"requests.{i}.path"] = ["Webhooks are not supported in batch requests."]
                if "body" in item and item["body"] is not None and not isinstance(item["body"], dict | list):
                    errors[f"requests.{i}.body"] = [f"The requests.{i}.body must be an array."]
        if errors:
            raise invalid(errors)
        assert isinstance(items, list)
        responses = []
        for item in items:
            sub = SimRequest(
                str(item["method"]),
                "/" + item["path"].split("?")[0].strip("/"),
                _query(item["path"]),
                req.headers,
                time=req.time,
                account=req.account,
                json_data=item.get("body"),
            )
            try:
                resp = self._route(sub)
            except Exception as exc:
                resp = self.server_error(sub, exc)
            responses.append({"code": resp.status, "body": resp.body})
        ok = sum(1 for r in responses if 200 <= r["code"] < 300)
        return 200, {"total": len(responses), "successful": ok, "failed": len(responses) - ok, "responses": responses}

    # ---------------------------------------------------------------- "vendor UI" actions and test helpers

    @control("add_segment")
    def add_segment(self, account: str, name: str, subscriber_ids: Iterable[str] = ()) -> dict[str, Any]:
        """Create a segment as a user would in the MailerLite UI (the API cannot)."""
        with self.lock:
            st = self.account_state(account)
            sid = self._new_id()
            ids = [st["by_email"].get(i.lower(), i) if "@" in i else str(i) for i in subscriber_ids]
            st["segments"][sid] = {"id": sid, "name": name, "created_at": self._now(), "subscriber_ids": ids}
            return self.render_segment(st, st["segments"][sid])

    @control("add_automation")
    def add_automation(
        self,
        account: str,
        name: str,
        trigger_group_id: str,
        steps: list[dict[str, Any]],
        enabled: bool = True,
    ) -> dict[str, Any]:
        """Build an automation as a user would in the MailerLite UI: a "subscriber joins group" trigger
        and steps such as ``{"type": "email", "subject": ...}``, ``{"type": "delay", "value": 2,
        "unit": "days"}``, ``{"type": "condition", ...}`` (other keys are kept as given)."""
        with self.lock:
            st = self.account_state(account)
            aid = self._new_id()
            now = self._now()
            rendered: list[dict[str, Any]] = []
            parent: str | None = None
            for raw in steps:
                step = self._automation_step(account, aid, raw, parent, now, enabled)
                rendered.append(step)
                parent = step["id"]
            st["automations"][aid] = {
                "id": aid,
                "name": name,
                "enabled": bool(enabled),
                "trigger_id": self._new_id(),
                "trigger_group_ids": [str(trigger_group_id)],
                "steps": rendered,
                "created_at": now,
                "_activity": [],
            }
            return self.render_automation(st, st["automations"][aid])

    @control("set_subscriber_status")
    def set_subscriber_status(self, account: str, email: str, status: str) -> dict[str, Any]:
        """What a recipient or the vendor does outside the API: unsubscribe, bounce, complain (junk)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        with self.lock:
            st = self.account_state(account)
            sub = self._find_subscriber(st, email)
            self._set_status(st, sub, status)
            sub["updated_at"] = self._now()
            return self.render_subscriber(st, sub)

    @control("subscribers")
    def subscribers(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """Every subscriber of the account, oldest first, rendered with groups."""
        with self.lock:
            st = self.account_state(account)
            keys = self._field_keys(st)
            return [self.render_subscriber(st, s, keys=keys) for s in st["subscribers"].values()]

    def subscriber(self, email: str, account: str = "sandbox") -> dict[str, Any] | None:
        with self.lock:
            st = self.account_state(account)
            sid = st["by_email"].get(email.strip().lower())
            return self.render_subscriber(st, st["subscribers"][sid]) if sid else None

    @control("groups")
    def groups(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_group(g) for g in self.account_state(account)["groups"].values()]

    @control("fields")
    def fields(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_field(f) for f in self.account_state(account)["fields"].values()]

    @control("segments")
    def segments(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self.account_state(account)
            return [self.render_segment(st, s) for s in st["segments"].values()]

    @control("campaigns")
    def campaigns(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self.account_state(account)
            self._tick_campaigns(st)
            return [self.render_campaign(st, c) for c in st["campaigns"].values()]

    @control("automations")
    def automations(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self.account_state(account)
            return [self.render_automation(st, a) for a in st["automations"].values()]

    @control("webhooks")
    def webhooks(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_webhook(h) for h in self.account_state(account)["webhooks"].values()]


# --------------------------------------------------------------------------------------------------
# module helpers


def _query(path: str) -> dict[str, list[str]]:
    _, _, qs = path.partition("?")
    return parse_qs(qs, keep_blank_values=True) if qs else {}
