"""A stateful simulator of the ActiveCampaign API v3 (``https://<account>.api-us1.com/api/3``) and of the
v1 ``/admin/api.php`` actions that create and send campaigns.

It answers as documented in ``vendor-specs/activecampaign-v3.openapi.json`` (shapes from its examples)
and ``vendors/mailerlite-activecampaign.md`` part B: ``Api-Token`` header auth (403 when missing or
wrong), 5 requests per second per account (429 + ``Retry-After``), bodies wrapped by resource name,
ids, counters and ``meta.total`` as strings, ``limit``/``offset`` pages (default 20, max 100), the
vendor's three error styles, the ``POST /contacts`` 422 ``duplicate`` and the ``/contact/sync`` upsert,
``/contactLists`` status 1/2 with its re-subscribe pitfall, case-insensitively unique tags removed by
association id, perstags, bulk imports (≤ 250, polled, never re-subscribing), read-only segments and
automations with enrolments, campaigns with report counters, messages, webhooks, and v1
``message_add``/``campaign_create``.

Accounts are configured by token: ``ActiveCampaignSimulator(clock, tokens={"token": "account-id"})``
(default ``{"sandbox-token": "sandbox"}``); each account has its own data and rate-limit window. v1
takes the same token as its ``api_key`` query parameter.

Choices where the vendor's behaviour is not verified (the area modules list theirs too):
- Auth failure: 403 ``{"message": "Forbidden"}`` (the docs give 403 for "could not be authenticated";
  the body is the spec's most common 403 example). v1: HTTP 200 ``{"result_code": 0, "result_message":
  "You are not authorized to access this file", ...}`` (reported by users of the official clients).
- 429 body ``{"message": "Too Many Requests"}``; every authenticated answer carries ``RateLimit-Limit``
  and ``RateLimit-Remaining``. v1 shares the account's 5/s budget. Bulk imports also count against
  ``import_limit=100`` per ``import_window=60`` s, answered with the documented 400 "Rate limit exceeded."
- ``limit`` above 100 is capped silently; a ``limit`` below 1 or unreadable means 20.
- Timestamps use the account timezone ``timezone="America/Chicago"`` (the examples' -05:00/-06:00).
- Status codes per the spec's examples: 201 for creating contacts, tags, contactTags, fields,
  fieldRels, messages, webhooks and enrolments; 200 for lists, contactLists and fieldValues.
- Missing required attributes answer 422 in the documented "Missing attribute" shape (one error per
  attribute); malformed JSON answers 400 ``{"errors": [{"status": 400, "title": "Bad Request"}]}``.
- ``GET /automations/{id}`` answers ``{"automation": {...}}``; ``POST /fields`` ``{"field": {...}}``;
  ``GET /segments[/{id}]`` ``{"segments": [...]}`` / ``{"segment": {...}}`` (the spec's examples for
  these are garbled or empty).
- Every 404 for an unknown id names the vendor's model (``_List``, ``SubscriberTag``,
  ``SubscriberSeries``, ``Series``…), also where the spec shows such a body under 403.
- The bulk-import answer spells ``success`` in lower case (the spec's 200 example has ``Success``, its
  400s and the vendor notes ``success``).
- List names may repeat; a list ``stringid`` is unique (422 ``duplicate``). ``filters[name]`` matches
  contains, case-insensitively.
- ``contacts()`` reports one status word per contact (see `contact_status_word`).

The class is assembled from one mixin per area, each in its own module: `sim_contacts`, `sim_lists`
(lists, contactLists, segments), `sim_tags`, `sim_fields`, `sim_imports`, `sim_automations`,
`sim_campaigns` (v3 campaigns and messages), `sim_v1`, `sim_webhooks`, and `sim_shapes` (shared answer
shapes and request plumbing). This module keeps what spans them: options, authentication, rate
limits, headers, error bodies, the pending-work tick, and the control actions and test helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from hub.simulator import Clock, SimRequest, SimResponse, Simulator, control
from hub_activecampaign.sim_automations import AutomationsMixin
from hub_activecampaign.sim_campaigns import CAMPAIGN_STATUSES, COUNTERS, CampaignsMixin
from hub_activecampaign.sim_contacts import LIST_STATUS_WORDS, ContactsMixin
from hub_activecampaign.sim_fields import FieldsMixin, perstag_from
from hub_activecampaign.sim_imports import ImportsMixin
from hub_activecampaign.sim_lists import ListsMixin
from hub_activecampaign.sim_shapes import ShapesMixin
from hub_activecampaign.sim_tags import TagsMixin
from hub_activecampaign.sim_v1 import NOT_AUTHORIZED, V1_PATH, V1Mixin, v1_answer
from hub_activecampaign.sim_webhooks import WebhooksMixin

__all__ = ["ActiveCampaignSimulator", "perstag_from"]

IMPORT_PATH = "/api/3/import/bulk_import"
STATUS_CODES = {"unconfirmed": "0", "active": "1", "unsubscribed": "2", "bounced": "3"}


class ActiveCampaignSimulator(
    ContactsMixin,
    ListsMixin,
    TagsMixin,
    FieldsMixin,
    ImportsMixin,
    AutomationsMixin,
    CampaignsMixin,
    V1Mixin,
    WebhooksMixin,
    ShapesMixin,
    Simulator,
):
    """ActiveCampaign v3 (+ v1 campaign send). Options (all keyword):

    - ``tokens``: ``{token: account_id}``, default ``{"sandbox-token": "sandbox"}``;
    - ``rate=5``, ``window=1.0`` (vendor seconds): the per-account request limit;
    - ``import_limit=100``, ``import_window=60.0``: bulk-import requests allowed per window;
    - ``import_delay=0.0``: vendor seconds before a queued import is processed (0 = on the next request);
    - ``max_limit=100``: the largest page size;
    - ``timezone="America/Chicago"``: the account timezone of dates and v1 ``sdate``.
    """

    name = "activecampaign"
    base_path = "/api/3"

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        tokens: dict[str, str] | None = None,
        rate: int = 5,
        window: float = 1.0,
        import_limit: int = 100,
        import_window: float = 60.0,
        import_delay: float = 0.0,
        max_limit: int = 100,
        timezone: str = "America/Chicago",
        **options: Any,
    ) -> None:
        super().__init__(clock, **options)
        self.tokens = dict(tokens) if tokens is not None else {"sandbox-token": "sandbox"}
        self.rate = rate
        self.window = window
        self.import_limit = import_limit
        self.import_window = import_window
        self.import_delay = import_delay
        self.max_limit = max_limit
        self.timezone = timezone
        self._tz = ZoneInfo(timezone)

    # ---------------------------------------------------------------- kit hooks

    def initial_state(self) -> dict[str, Any]:
        return {
            "seq": {},
            "contacts": {},
            "by_email": {},
            "lists": {},
            "contact_lists": {},
            "cl_by_contact": {},
            "tags": {},
            "tag_names": {},
            "contact_tags": {},
            "ct_by_contact": {},
            "fields": {},
            "field_rels": {},
            "field_values": {},
            "fv_by_contact": {},
            "segments": {},
            "automations": {},
            "contact_automations": {},
            "ca_by_contact": {},
            "campaigns": {},
            "scheduled": [],
            "messages": {},
            "webhooks": {},
            "webhook_log": [],
            "imports": {},
            "pending_imports": [],
        }

    def _tick(self, st: dict[str, Any]) -> None:
        self._run_due_imports(st)
        self._send_due_campaigns(st)

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        if req.path == V1_PATH:
            account = self.tokens.get(req.arg("api_key") or "")
            return account if account is not None else SimResponse(200, v1_answer(0, NOT_AUTHORIZED))
        account = self.tokens.get((req.headers.get("api-token") or "").strip())
        return account if account is not None else SimResponse(403, {"message": "Forbidden"})

    def rate_limits(self, req: SimRequest) -> list[Any]:
        limits: list[Any] = [("api", self.rate, self.window)]
        if req.method == "POST" and req.path == IMPORT_PATH:
            limits.append(("import", self.import_limit, self.import_window))
        return limits

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        if bucket == "import":
            reason = (
                f"Up to {self.import_limit} imports may be requested per minute.Please batch contacts into "
                "larger requests, or retry this request in a minute."
            )
            return SimResponse(400, {"success": 0, "message": "Rate limit exceeded.", "failureReasons": [reason]})
        return SimResponse(429, {"message": "Too Many Requests"}, {"Retry-After": str(retry_after)})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        if account is None:
            return {}
        remaining = self.rate_remaining(account, "api")
        return {
            "RateLimit-Limit": str(self.rate),
            "RateLimit-Remaining": str(self.rate if remaining is None else remaining),
        }

    def malformed_body(self, req: SimRequest, message: str) -> SimResponse:
        if req.path == V1_PATH:
            return SimResponse(200, v1_answer(0, "The request body could not be read"))
        return SimResponse(400, {"errors": [{"status": 400, "title": "Bad Request"}]})

    def fault_response(self, req: SimRequest, status: int, retry_after: int | None) -> SimResponse:
        resp = super().fault_response(req, status, retry_after)
        if status == 429:
            resp.body = {"message": "Too Many Requests"}
        elif status == 400:
            resp.body = {"errors": [{"status": 400, "title": "Bad Request"}]}
        elif status == 403:
            resp.body = {"message": "Forbidden"}
        elif status == 404:
            resp.body = {"message": "No Result found for Subscriber with id 0"}
        elif status == 422:
            resp.body = {"errors": [{"title": "Unprocessable Entity", "detail": "", "code": "invalid"}]}
        return resp

    # ---------------------------------------------------------------- "vendor UI" actions

    def _account(self, account: str) -> dict[str, Any]:
        st = self.account_state(account)
        self._tick(st)
        return st

    @control("add_segment")
    def add_segment(self, account: str, name: str, emails: Iterable[str] | None = None) -> dict[str, Any]:
        """Build a segment as a user would in the UI (the API cannot). With `emails` the segment matches
        exactly those contacts; without, it matches everyone (its conditions are not simulated)."""
        with self.lock:
            st = self._account(account)
            segid = self._new_id(st, "segments")
            now = self._now()
            st["segments"][segid] = {
                "id": segid,
                "name": name,
                "logic": "and",
                "cdate": now,
                "udate": now,
                "emails": None if emails is None else [str(e) for e in emails],
            }
            return self.render_segment(st["segments"][segid])

    @control("add_automation")
    def add_automation(self, account: str, name: str, status: str = "1", multientry: bool = False) -> dict[str, Any]:
        """Build an automation as a user would in the UI: status "1" active, "2" inactive; `multientry`
        lets a contact be enrolled again while still in it."""
        if str(status) not in ("1", "2"):
            raise ValueError('status must be "1" (active) or "2" (inactive)')
        with self.lock:
            st = self._account(account)
            return self.render_automation(self._new_automation(st, name, str(status), bool(multientry)))

    @control("set_automation_status")
    def set_automation_status(self, account: str, automation_id: str, status: str) -> dict[str, Any]:
        if str(status) not in ("1", "2"):
            raise ValueError('status must be "1" (active) or "2" (inactive)')
        with self.lock:
            auto = self._account(account)["automations"][str(automation_id)]
            auto["status"] = str(status)
            auto["mdate"] = self._now()
            return self.render_automation(auto)

    @control("complete_enrolment")
    def complete_enrolment(self, account: str, enrolment_id: str) -> dict[str, Any]:
        """The contact reached the end of the automation."""
        with self.lock:
            st = self._account(account)
            enrolment = st["contact_automations"][str(enrolment_id)]
            self._finish_enrolment(st, enrolment)
            return self.render_enrolment(enrolment)

    @control("set_contact_status")
    def set_contact_status(self, account: str, email: str, status: str, list_id: str | None = None) -> dict[str, Any]:
        """What a recipient or the vendor does outside the API: ``unsubscribed`` (the recipient clicks
        unsubscribe), ``bounced`` (a hard bounce: marks the contact and its memberships), ``active`` or
        ``unconfirmed`` — on `list_id` (created if needed) or on every list the contact is on."""
        code = STATUS_CODES.get(status)
        if code is None:
            raise ValueError(f"status must be one of {', '.join(STATUS_CODES)}")
        with self.lock:
            st = self._account(account)
            contact = self._contact_by_email(st, email)
            if contact is None:
                raise KeyError(f"no contact {email!r}")
            lists = [str(list_id)] if list_id is not None else list(st["cl_by_contact"].get(contact["id"], {}))
            source = {"2": "public", "3": "system"}.get(code, "admin")
            for lid in lists:
                if lid not in st["lists"]:
                    raise KeyError(f"no list {lid!r}")
                self._set_membership(st, contact, lid, code, webhook_source=source)
            if code == "3":
                contact.update({"bounced_hard": "1", "bounced_date": self._now_dt().strftime("%Y-%m-%d")})
                self._fire(st, "bounce", "system", contact=contact)
            self._touch(contact)
            return self._summary(st, contact)

    @control("set_campaign_stats")
    def set_campaign_stats(self, account: str, campaign_id: str, counters: dict[str, int]) -> dict[str, Any]:
        """Set report counters (opens, uniqueopens, linkclicks, …) as recipients' activity would."""
        unknown = set(counters) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown counter(s): {', '.join(sorted(unknown))}")
        with self.lock:
            campaign = self._account(account)["campaigns"][str(campaign_id)]
            campaign["counters"].update({k: int(v) for k, v in counters.items()})
            return self.render_campaign(campaign)

    @control("run_imports")
    def run_imports(self, account: str = "sandbox") -> dict[str, Any]:
        """Process every queued import now, whatever its delay."""
        with self.lock:
            st = self.account_state(account)
            pending = len(st["pending_imports"])
            self._run_due_imports(st, force=True)
            return {"processed": pending}

    # ---------------------------------------------------------------- test and benchmark helpers

    def _summary(self, st: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
        cid = contact["id"]
        members = st["cl_by_contact"].get(cid, {})
        return {
            "id": cid,
            "email": contact["email"],
            "firstName": contact["firstName"],
            "lastName": contact["lastName"],
            "phone": contact["phone"],
            "status": self.contact_status_word(st, contact),
            "lists": {lid: LIST_STATUS_WORDS[st["contact_lists"][clid]["status"]] for lid, clid in members.items()},
            "tags": [st["tags"][tid]["tag"] for tid in st["ct_by_contact"].get(cid, {})],
            "fields": {
                st["fields"][fid]["perstag"]: st["field_values"][fvid]["value"]
                for fid, fvid in st["fv_by_contact"].get(cid, {}).items()
            },
            "sentcnt": contact["sentcnt"],
        }

    @control("contacts")
    def contacts(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """Every contact, oldest first: id, email, names, phone, ``status`` (bounced / active /
        unsubscribed / unconfirmed / none across its lists), ``lists`` ({list id: status word}),
        ``tags`` (names), ``fields`` ({perstag: value}) and ``sentcnt``."""
        with self.lock:
            st = self._account(account)
            return [self._summary(st, c) for c in st["contacts"].values()]

    @control("contact")
    def contact(self, email: str, account: str = "sandbox") -> dict[str, Any] | None:
        with self.lock:
            st = self._account(account)
            found = self._contact_by_email(st, email)
            return self._summary(st, found) if found else None

    @control("lists")
    def lists(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """Every list as v3 renders it, with ``counts`` of members per status word."""
        with self.lock:
            st = self._account(account)
            out = []
            for lst in st["lists"].values():
                counts = dict.fromkeys(LIST_STATUS_WORDS.values(), 0)
                for m in st["contact_lists"].values():
                    if m["list"] == lst["id"]:
                        counts[LIST_STATUS_WORDS[m["status"]]] += 1
                out.append({**self.render_list(lst), "counts": counts})
            return out

    @control("tags")
    def tags(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self._account(account)
            return [self.render_tag(st, t, count=True) for t in st["tags"].values()]

    @control("fields")
    def fields(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self._account(account)
            return [self.render_field(st, f) for f in st["fields"].values()]

    @control("segments")
    def segments(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_segment(s) for s in self._account(account)["segments"].values()]

    @control("automations")
    def automations(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_automation(a) for a in self._account(account)["automations"].values()]

    @control("enrolments")
    def enrolments(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """Every contactAutomation as v3 renders it, with the contact's ``email`` added."""
        with self.lock:
            st = self._account(account)
            return [
                {**self.render_enrolment(e), "email": st["contacts"][e["contact"]]["email"]}
                for e in st["contact_automations"].values()
            ]

    @control("campaigns")
    def campaigns(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """Every campaign as v3 renders it, plus ``status_word``, ``lists``, ``messages`` and the
        ``recipients`` (emails) it was delivered to."""
        with self.lock:
            st = self._account(account)
            out = []
            for c in st["campaigns"].values():
                recipients = [st["contacts"][cid]["email"] for cid in c["recipients"] if cid in st["contacts"]]
                out.append(
                    {
                        **self.render_campaign(c),
                        "status_word": CAMPAIGN_STATUSES.get(c["status"], c["status"]),
                        "lists": list(c["lists"]),
                        "messages": dict(c["messages"]),
                        "recipients": recipients,
                    }
                )
            return out

    @control("messages")
    def messages(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            st = self._account(account)
            return [{**self.render_message(m), "lists": list(m["lists"])} for m in st["messages"].values()]

    @control("webhooks")
    def webhooks(self, account: str = "sandbox") -> list[dict[str, Any]]:
        with self.lock:
            return [self.render_webhook(h) for h in self._account(account)["webhooks"].values()]

    @control("webhook_deliveries")
    def webhook_deliveries(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """What the account's webhooks would have been sent, oldest first (nothing is sent)."""
        with self.lock:
            return [dict(d) for d in self._account(account)["webhook_log"]]

    @control("imports")
    def imports(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """Every bulk import: batchId, status, count, success (contact ids), failure (emails)."""
        with self.lock:
            st = self._account(account)
            return [
                {
                    k: (list(v) if isinstance(v, list) else v)
                    for k, v in b.items()
                    if k in ("batchId", "status", "count", "success", "failure")
                }
                for b in st["imports"].values()
            ]
