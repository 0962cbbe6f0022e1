"""A stateful simulator of the MailerLite "connect" API (``https://connect.mailerlite.com/api``).

It answers like the vendor as recorded in ``vendor-specs/mailerlite-python-sdk-cassettes-digest.txt`` and described
in ``vendors/mailerlite-activecampaign.md`` part A: Bearer auth, ``x-ratelimit-*`` headers and 429s (120
requests/minute per account, 5 import creations/minute), cursor pagination for subscriber lists and Laravel
length-aware pages elsewhere, Laravel 422 bodies with dotted keys, model-named 404s, non-destructive subscriber
upserts (201 new / 200 existing) that never re-activate an unsubscribed address, the campaign status machine (draft
→ ready → sent, cancel → draft), ``/batch`` (≤ 50), and read-only segments and automations.

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
- A sent campaign keeps who it went to (its groups' or segments' active members at send time); what each of
  them does (hard or soft bounce, open, click, unsubscribe, spam complaint) and when is decided per address by
  `hub.simulator.activity` at the account's rates (``open_rate``/``click_rate``/``activity_rates``; per account
  the ``set_activity_rates`` control) over ``activity_window`` (3 days) after the send; every opener opens once
  and every clicker clicks once. The campaign's ``stats`` (``GET /campaigns/{id}``, and the list's) are summed
  from it for "now": ``sent``, ``opens_count``/``unique_opens_count``/``open_rate``, ``clicks_count``/
  ``unique_clicks_count``/``click_rate``/``click_to_open_rate``, ``unsubscribes_count``/``unsubscribe_rate``,
  ``spam_count``/``spam_rate``, ``hard_bounces_count``/``hard_bounce_rate``, ``soft_bounces_count``/
  ``soft_bounce_rate`` (names as in the recorded SDK cassettes; rates of ``sent``: unverified).
  When its time comes, a hard bounce makes the subscriber ``bounced``, an unsubscribe ``unsubscribed`` and a
  complaint ``junk`` (only an ``active`` subscriber changes).
  ``/campaigns/{id}/reports/subscriber-activity`` pages them (GET or POST: the SDKs disagree; ``filter[type]``
  opened, unopened, clicked, unsubscribed, hardbounced, softbounced, junk), the subscriber object only with
  ``include=subscriber``; the ``campaign_recipients`` listing shows each recipient and the ``activity_totals``
  control the sums, from the recipients (the simulator's own record).

One module per area (`subscribers`, `groups` with segments and imports, `fields`, `campaigns`, `automations`,
`reference`, `validation`, `shapes`); this one keeps auth, limits, headers, error answers and ``/batch``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from hub.simulator import Row, SimRequest, SimResponse, bearer_token, control, route

from .campaigns import Campaigns
from .fields import Fields, field_key
from .groups import Groups
from .reference import Reference
from .shapes import STATUSES
from .validation import one_of, reject, validate

__all__ = ["MailerLiteSimulator", "field_key"]

BATCH_MAX = 50
BATCH_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
_IMPORT_PATH = re.compile(r"^/api/groups/[^/]+/import-subscribers$")


class MailerLiteSimulator(Groups, Fields, Campaigns, Reference):
    error_messages = {429: "Too Many Attempts.", 500: "Server Error"}  # others: the standard phrase

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        return self.tokens.get(bearer_token(req) or "") or self.error(401, "Unauthenticated.")

    def rate_limits(self, req: SimRequest) -> list[Any]:
        cost, is_import = 1, bool(req.method == "POST" and _IMPORT_PATH.match(req.path))
        subs = self._body(req).get("requests") if req.method == "POST" and req.path == "/api/batch" else None
        if isinstance(subs, list) and subs:
            cost = len(subs) if self.batch_counts_subrequests else 1
            is_import = all(isinstance(s, dict) and str(s.get("method", "")).upper() == "POST"
                            and str(s.get("path", "")).split("?")[0].strip("/") == "api/subscribers" for s in subs)
        limits: list[Any] = [("api", self.rate_limit, self.window, cost)]
        return [*limits, ("import", self.import_limit, self.window)] if is_import else limits

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        message = "You're being rate limited on import creation." if bucket == "import" else None
        return self.error(429, message, {"Retry-After": str(retry_after)})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        return self.rate_headers(account, "api", self.rate_limit, ("x-ratelimit-limit", "x-ratelimit-remaining"))

    def not_found(self, req: SimRequest) -> SimResponse:
        return self.error(404, f"The route {req.path.lstrip('/')} could not be found.")

    def missing(self, req: SimRequest, model: str, key: object) -> SimResponse:
        """The vendor's 404 for an unknown id: subscribers name no id, the other models append it."""
        name = f"No query results for model [App\\Models\\{model}]"
        return self.error(404, f"{name}." if model.startswith("Subscriber") else f"{name} {key}")

    def method_not_allowed(self, req: SimRequest, allowed: list[str]) -> SimResponse:
        methods = set(allowed) | ({"HEAD"} if "GET" in allowed else set())
        listed = ", ".join(m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE") if m in methods)
        route_ = f"route {req.path.lstrip('/')}"
        return self.error(405, f"The {req.method} method is not supported for {route_}. Supported methods: {listed}.")

    # ---------------------------------------------------------------- batch

    @route("POST", "/api/batch")
    def batch(self, req: SimRequest) -> Any:
        items = self._body(req).get("requests")
        errors = validate({"requests": items}, {"requests": "required|list"})
        if isinstance(items, list) and len(items) > BATCH_MAX:
            errors["requests"] = [f"The requests must not have more than {BATCH_MAX} items."]
        elif isinstance(items, list):
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    errors[f"requests.{i}"] = [f"The requests.{i} must be an array."]
                    continue
                rules = {"method": "required|" + one_of(*BATCH_METHODS), "path": "required|regex:api/", "body": "array"}
                validate({**item, "method": str(item.get("method") or "").upper()}, rules, errors, f"requests.{i}.")
        reject(errors)
        assert isinstance(items, list)
        responses = []
        for item in items:
            path, _, query = item["path"].partition("?")
            sub = SimRequest(str(item["method"]), "/" + path.strip("/"),
                             parse_qs(query, keep_blank_values=True) if query else {}, req.headers, time=req.time,
                             account=req.account, json_data=item.get("body"))
            try:
                resp = self._route(sub)
            except Exception as exc:
                resp = self.server_error(sub, exc)
            responses.append({"code": resp.status, "body": resp.body})
        ok = sum(1 for r in responses if 200 <= r["code"] < 300)
        return {"total": len(responses), "successful": ok, "failed": len(responses) - ok, "responses": responses}

    # ---------------------------------------------------------------- "vendor UI" actions (also `add_segment`,
    # `add_automation`) and the listings generated from the collections (`subscribers`, `groups`, ...)

    @control("set_subscriber_status")
    def set_subscriber_status(self, account: str, email: str, status: str) -> Row:
        """What a recipient or the vendor does outside the API: unsubscribe, bounce, complain (junk)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        with self.lock:
            st = self.account_state(account)
            sub = self._find_subscriber(st, email)
            self._set_status(st, sub, status)
            sub["updated_at"] = self._now()
            return self.render_subscriber(st, sub)
