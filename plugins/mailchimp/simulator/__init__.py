"""A stateful simulator of the Mailchimp Marketing API v3 (``https://<dc>.api.mailchimp.com/3.0``).

It answers like the vendor as recorded in ``vendors/mailchimp-twilio.md`` §1–2 and the SDK method map, so that the
official ``mailchimp_marketing`` SDK can be pointed at it unmodified except for the host::

    client = mailchimp_marketing.Client()
    client.set_config({"api_key": MailchimpSimulator.SANDBOX_KEY, "server": "us1"})
    client.api_client.host = sim.base_url          # http://127.0.0.1:PORT/3.0
    client.api_client.server = ""                  # no 'server' substring rewrite (pitfall M7)

HTTP Basic auth (any user name, password = API key; a Bearer token with the key works too); errors always carry a body,
``Content-Type: application/problem+json`` and the vendor's titles, and their ``instance`` equals the ``X-Request-Id``
header every answer carries; ``count``/``offset`` paging (default 10, max 1000) with ``total_items`` and
``_links: []``; ``fields``/``exclude_fields`` (dotted); more than 10 requests in flight per account → 429 Too Many
Requests, and no per-minute limit.

Accounts are configured by key: ``MailchimpSimulator(clock, keys={"key": "account-id"})`` (default
``{SANDBOX_KEY: SANDBOX_ACCOUNT}``). The sandbox account starts with one audience whose id is ``SANDBOX_AUDIENCE``. The
class is a chain of one class per area, each module's extending the previous: `shapes` (collections, errors, paging,
fields) → `audiences` (with merge fields and interests) → `members` (batch subscribe, tags) → `segments` → `campaigns`
(and reports) → `automations` (and customer journeys) → `batches` → this module: auth, kit hooks, the background clock
tick, ``/ping`` and the API root, and the control actions and test helpers.

Vendor behaviour the references leave open — the simulator's choices (more in each area's module):

- A missing or unknown key is 401 ``API Key Invalid`` (the vendor may say ``API Key Missing`` for a missing one). No
  datacenter check: any ``-usN`` suffix works. No ``Retry-After`` on the too-many-connections 429 (injected 429 faults
  do carry one, as the fault says).
- Malformed JSON: 400 ``JSON Parse Exception``; a JSON body that is not an object: 400 Invalid Resource "Schema
  describes object, … found instead". ``count`` > 1000 or negative: 400 Invalid Resource.
- Email validation: a syntax check, plus a short list of well-known placeholders that "look fake"
  (``shapes.PLACEHOLDER_EMAILS``); other example.com addresses are accepted.
- ``PUT`` member for a new address: ``status_if_new`` wins over ``status``. For an existing member ``status`` (if
  given) applies and ``status_if_new`` is ignored. Setting ``subscribed`` on an unsubscribed or cleaned member (also
  via an archived member's former status), or ``pending`` on a cleaned one, is 400 ``Member In Compliance State``;
  ``pending`` on an unsubscribed one is allowed.
- ``POST …/members`` of an archived address re-adds it (no Member Exists); ``DELETE`` of an archived member is 404. A
  permanently deleted address can only come back as ``pending`` (else 400 ``Forgotten Email Not Subscribed``).
- Unknown merge tags in ``merge_fields`` are ignored; values are checked by type (number, address object with
  addr1/city/state/zip or a string, date, birthday ``MM/DD``, dropdown/radio choices); required merge fields must be
  given for new members unless ``skip_merge_validation=true``.
- Batch subscribe rows: an existing member with ``update_existing: false`` is an ``ERROR_CONTACT_EXISTS`` row; every
  other refused row is ``ERROR_GENERIC`` with the detail of the direct call's error (``field``/``field_message`` from
  its first ``errors`` entry). ``status`` is required for new rows (``status_if_new`` accepted as a fallback), optional
  for existing ones. A row's ``tags`` are added; with ``sync_tags: true`` a row that lists ``tags`` loses the tags it
  does not list (rows without ``tags`` keep theirs). A repeated address in one call is processed twice, in order.
- Merge-field tags are upper-cased and then must match ``[A-Z0-9_]{1,10}``, not be reserved (EMAIL, UNSUB, …) and be
  unique; a field's ``type`` cannot be changed; default tag ``MMERGE<n>``.
- Campaign checklist errors: no audience, no subscribed recipients, no subject, no from name, no or invalid
  ``reply_to``, no content. The ``*|UNSUB|*`` check is a success with it (or with ``auto_footer: true``), an error when
  ``auto_footer`` was explicitly set false, else a warning (the vendor's default footer covers it). "No test email
  sent" is a warning. Send/schedule of a campaign that is not ready: 400 "Your Campaign is not ready to send." with the
  errors listed.
- Only ``save``/``paused`` campaigns can be scheduled, sent or edited (settings and content).
  ``DELETE /campaigns/{id}`` is refused while scheduled or sending; sent and canceled campaigns can be deleted (as in
  the vendor's UI), which removes their report. ``cancel-send`` works only while ``sending`` (set ``send_seconds`` > 0
  to observe it). Tests can be sent for unsent campaigns with content. ``GET /reports/{id}`` of an unsent campaign is
  404.
- A sent campaign keeps who it went to (the subscribed members matching its audience and segment then, by address);
  what each of them does (bounce, open, machine open, click, unsubscribe, complain, order) and when is decided by
  `hub.simulator.activity` at the account's rates (options ``open_rate=0.4``/``click_rate=0.1``/``activity_rates``,
  per account ``set_activity_rates``) over ``activity_window`` (3 days) after the send, and its report's counters
  are their sums for "now" (see `campaigns`); hard bounces clean members and unsubscribes and complaints unsubscribe
  them when they happen. ``/reports/{id}/email-activity`` serves them; the controls ``campaign_recipients`` (each
  recipient) and ``activity_totals`` (the sums, from the recipients) show the simulator's own record.
- Not simulated (they answer 404 Resource Not Found): e-commerce, templates, folders, member notes and events, landing
  pages, surveys, sub-reports other than ``email-activity`` (``/reports/{id}/…``), ``create-resend``, webhooks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from hub.simulator import (
    ActivityRates,
    Clock,
    Collection,
    Row,
    SimRequest,
    SimResponse,
    basic_auth,
    bearer_token,
    control,
    listing,
    tally,
)
from hub.simulator.activity import ACTIVITY_WINDOW, DEFAULT_CLICK_RATE, DEFAULT_OPEN_RATE

from . import shapes as sh
from .batches import ARCHIVE_PREFIX, Batches
from .campaigns import REPORT_COUNTERS, REPORTED

__all__ = ["MailchimpSimulator"]

SANDBOX_AUDIENCE_DATA: dict[str, Any] = {
    "name": "Sandbox audience",
    "contact": {"company": "Hub Sandbox", "address1": "675 Ponce de Leon Ave NE", "city": "Atlanta", "state": "GA",
                "zip": "30308", "country": "US"},
    "permission_reminder": "You are receiving this email because you opted in via our website.",
    "campaign_defaults": {"from_name": "Hub Sandbox", "from_email": "sandbox@hub-sim.test", "subject": "",
                          "language": "en"},
    "email_type_option": False,
}


def in_audiences(spec: Collection, show: Callable[[Any, Row, Row], Row], name: str = "") -> Callable[..., list[Row]]:
    """A control listing of the `spec` rows of one audience or all (``list_id=None``), after `settle`."""

    def rows(self: MailchimpSimulator, account: str = "sandbox", list_id: str | None = None) -> list[Row]:
        with self.lock:
            self.settle(account)
            lists = sh.LISTS.table(self.account_state(account))
            chosen = lists.rows() if list_id is None else [lists[list_id]] if list_id in lists else []
            return [show(self, lst, row) for lst in chosen for row in spec.table(lst).values()]

    rows.__name__ = name or spec.name
    return control(rows.__name__)(rows)


class MailchimpSimulator(Batches):
    """Mailchimp Marketing API 3.0. Options (all keyword):

    - ``keys``: ``{api_key: account_id}``, default ``{SANDBOX_KEY: SANDBOX_ACCOUNT}``;
    - ``sandbox_account="sandbox"``: the account seeded with the ``SANDBOX_AUDIENCE`` audience;
    - ``batch_seconds=4.0`` (vendor seconds a batch runs, whatever its size: unverified; an account's batches run
      one at a time) and ``batch_poll_advance=True`` (each ``GET /batches/{id}`` moves a running batch on by at
      least one phase);
    - ``send_seconds=0.0``: how long a campaign stays ``sending`` before it is ``sent``;
    - ``open_rate=0.4``, ``click_rate=0.1``: the share of a campaign's recipients who open (click) it, in every
      account that has not been given its own (``set_activity_rates``); ``activity_rates``: any other of
      `hub.simulator.ActivityRates` (bounces, unsubscribes, complaints, machine opens, purchases);
    - ``activity_window=259200.0``: vendor seconds after a send by which its recipients have done what they will
      (0: everything at the send).
    """

    name = "mailchimp"
    base_path = "/3.0"
    state_version = 2  # kit v2 store: no hand-kept indexes or counters
    max_concurrent = 10
    collections = (sh.LISTS, sh.CAMPAIGNS, sh.AUTOMATIONS, sh.JOURNEYS, sh.BATCHES)

    SANDBOX_KEY: ClassVar[str] = "sandbox-key-us1"
    SANDBOX_ACCOUNT: ClassVar[str] = "sandbox"
    SANDBOX_AUDIENCE: ClassVar[str] = "5a4db0c001"

    def __init__(self, clock: Clock | None = None, *, keys: dict[str, str] | None = None,
                 sandbox_account: str = "sandbox", batch_seconds: float = 4.0, batch_poll_advance: bool = True,
                 send_seconds: float = 0.0, open_rate: float = DEFAULT_OPEN_RATE,
                 click_rate: float = DEFAULT_CLICK_RATE, activity_rates: dict[str, float] | None = None,
                 activity_window: float = ACTIVITY_WINDOW, **options: Any) -> None:
        super().__init__(clock, **options)
        self.keys = dict(keys) if keys is not None else {self.SANDBOX_KEY: self.SANDBOX_ACCOUNT}
        self.sandbox_account = sandbox_account
        self.batch_seconds = float(batch_seconds)
        self.batch_poll_advance = bool(batch_poll_advance)
        self.send_seconds = float(send_seconds)
        self.rates = ActivityRates().updated({"open_rate": open_rate, "click_rate": click_rate,
                                              **(activity_rates or {})})
        self.activity_window = float(activity_window)
        self.account_state(sandbox_account)

    def account_state(self, account: str) -> dict[str, Any]:
        """The account's state; the sandbox account is created with the sandbox audience."""
        with self.lock:
            fresh = account not in self.state
            st = super().account_state(account)
            if fresh and account == self.sandbox_account:
                self.new_audience(st, SANDBOX_AUDIENCE_DATA, list_id=self.SANDBOX_AUDIENCE)
            return st

    # ---------------------------------------------------------------- kit hooks

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        if req.path.startswith(ARCHIVE_PREFIX):
            return "_batch-results"  # the vendor's pre-signed S3 link needs no API key
        creds = basic_auth(req)
        account = self.keys.get((creds[1] if creds else bearer_token(req)) or "")
        if account is None:
            return self.error(401)
        with self.lock:
            self.settle(account)
        return account

    def too_many_connections(self, req: SimRequest) -> SimResponse:
        return self.error(429)

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        return {"X-Request-Id": str(uuid.uuid4())}

    def not_found(self, req: SimRequest) -> SimResponse:
        return self.error(404)

    def method_not_allowed(self, req: SimRequest, allowed: list[str]) -> SimResponse:
        return self.error(405, None, {"Allow": ", ".join(allowed)})

    def malformed_body(self, req: SimRequest, message: str) -> SimResponse:
        return self.error(400, "We encountered an unspecified JSON parsing error.", title="JSON Parse Exception")

    def server_error(self, req: SimRequest, exc: BaseException) -> SimResponse:
        resp = self.error(500)
        resp.body["sim_exception"] = f"{type(exc).__name__}: {exc}"  # a simulator bug: say what it was
        return resp

    @sh.api("GET", "/ping")
    def ping(self, req: SimRequest) -> Any:
        return {"health_status": "Everything's Chimpy!"}

    @sh.api("GET", "")
    def api_root(self, req: SimRequest) -> Any:
        account = req.account or ""
        total = sum(1 for lst in sh.LISTS.table(self._st(req)).values() for m in sh.MEMBERS.table(lst).values()
                    if m["status"] == "subscribed")
        return {
            "account_id": sh.subscriber_hash(account)[:25], "login_id": sh.subscriber_hash("login:" + account)[:8],
            "account_name": account, "email": f"owner@{account}.example.org", "first_name": "Sim",
            "last_name": "Owner", "username": account, "avatar_url": "", "role": "owner",
            "member_since": "2020-01-01T00:00:00+00:00", "pricing_plan_type": "monthly", "first_payment": "",
            "account_timezone": "UTC", "account_industry": "Marketing and Advertising",
            "contact": {"company": account, **dict.fromkeys(("addr1", "addr2", "city", "state", "zip", "country"), "")},
            "pro_enabled": False, "last_login": self._now(), "total_subscribers": total,
            "industry_stats": {"open_rate": 0.17, "bounce_rate": 0.01, "click_rate": 0.02}, "_links": [],
        }

    # ---------------------------------------------------------------- "vendor UI" actions

    def create_audience(self, account: str, name: str, list_id: str | None = None) -> str:
        """Create an audience (as the UI or ``POST /lists`` would) and return its id."""
        with self.lock:
            st = self.account_state(account)
            if list_id is not None and list_id in sh.LISTS.table(st):
                raise ValueError(f"audience {list_id!r} already exists")
            return str(self.new_audience(st, {**SANDBOX_AUDIENCE_DATA, "name": name}, list_id=list_id)["id"])

    @control("create_audience")
    def control_create_audience(self, account: str, name: str, list_id: str | None = None) -> dict[str, Any]:
        return {"id": self.create_audience(account, name, list_id)}

    @control("set_member_status")
    def set_member_status(self, account: str, list_id: str, email: str, status: str) -> dict[str, Any]:
        """What a recipient or the vendor does outside the API: unsubscribe, bounce (cleaned), confirm."""
        if status not in sh.LIST_STATUSES:
            raise ValueError(f"status must be one of {', '.join(sh.LIST_STATUSES)}")
        with self.lock:
            lst = sh.LISTS.table(self.account_state(account)).require(list_id)
            m = sh.MEMBERS.table(lst).require(sh.subscriber_hash(email))
            self._set_status(lst, m, status)
            m["last_changed"] = self._now()
            return self.render_member(lst, m)

    @control("set_activity_rates")
    def set_activity_rates(self, account: str, open_rate: float | None = None, click_rate: float | None = None,
                           **rates: float) -> dict[str, float]:
        """The shares of recipients who open, click, bounce (``hard_bounce_rate``, ``soft_bounce_rate``),
        unsubscribe (``unsubscribe_rate``), complain (``complaint_rate``), ... (`hub.simulator.ActivityRates`) in
        the account's campaigns sent from now on (unset: as before). Returns all of them."""
        with self.lock:
            st = self.account_state(account)
            new = self.activity_rates(st).updated({"open_rate": open_rate, "click_rate": click_rate, **rates})
            st["activity_rates"] = new.as_dict()
            return new.as_dict()

    @control("seed_report")
    def seed_report(self, account: str, campaign_id: str, **counters: int) -> dict[str, Any]:
        """Set report counters of a campaign (``opens``, ``unique_opens``, ``clicks``, ``unique_clicks``,
        ``unsubscribed``, ``hard_bounces``, ``soft_bounces``, ``abuse_reports``, ``forwards``)."""
        unknown = set(counters) - set(REPORT_COUNTERS)
        if unknown:
            raise ValueError(f"unknown counter(s): {', '.join(sorted(unknown))}")
        with self.lock:
            camp = sh.CAMPAIGNS.table(self.account_state(account)).require(campaign_id)
            camp["report"].update({k: int(v) for k, v in counters.items()})
            return dict(camp["report"])

    # ---------------------------------------------------------------- listings and test helpers (thread-safe)

    def settle(self, account: str) -> None:
        """The vendor's background work (scheduled sends, batches), caught up lazily."""
        st = self.account_state(account)
        self._tick_campaigns(st)
        self._advance_batches(account, list(sh.BATCHES.table(st).values()))

    members = in_audiences(sh.MEMBERS, lambda sim, lst, m: {**sim.render_member(lst, m), "email": m["email_address"]})
    segments = in_audiences(sh.SEGMENTS, lambda sim, lst, seg: {**sim.render_segment(lst, seg), "member_emails": [
        sh.MEMBERS.table(lst)[h]["email_address"] for h in sim._segment_hashes(lst, seg)]})
    merge_fields = in_audiences(sh.MERGE_FIELDS, lambda sim, lst, f: sim.render_merge_field(lst, f))
    interest_categories = in_audiences(sh.CATEGORIES, lambda sim, lst, c: {**sim.render_category(lst, c), "interests": [
        sim.render_interest(lst, c, i) for i in sh.INTERESTS.table(c).values()]}, "interest_categories")
    campaigns = listing(sh.CAMPAIGNS, "render_campaign_listing")

    def member(self, email: str, account: str = "sandbox", list_id: str | None = None) -> Row | None:
        h = sh.subscriber_hash(email)
        return next((m for m in self.members(account, list_id) if m["id"] == h), None)

    def render_campaign_listing(self, st: dict[str, Any], camp: Row) -> Row:
        return {**self.render_campaign(st, camp), "content": self.render_content(camp), "tests": list(camp["tests"])}

    @control("campaign_recipients")
    def campaign_recipients(self, account: str, campaign_id: str) -> list[Row]:
        """Whom a campaign went to, in send order, and what each has done by now: ``{email_address, opened,
        clicked, hard_bounced, soft_bounced, unsubscribed, complained, machine_open, ordered, revenue}`` (none
        before it is sent)."""
        with self.lock:
            self.settle(account)
            camp = sh.CAMPAIGNS.table(self.account_state(account)).require(campaign_id)
            return [{"email_address": email, "opened": act.opened, "clicked": act.clicked,
                     "hard_bounced": act.hard_bounced, "soft_bounced": act.soft_bounced,
                     "unsubscribed": act.unsubscribed, "complained": act.complained, "machine_open": act.machine_open,
                     "ordered": act.ordered, "revenue": act.revenue}
                    for email, act in self.recipient_activities(camp)]

    @control("activity_totals")
    def activity_totals(self, account: str = "sandbox", campaign_id: str | None = None) -> dict[str, dict[str, float]]:
        """The simulator's own truth for "now", summed from each recipient's activity (not from the report):
        ``{campaign_id: {sent, delivered, bounced_hard, bounced_soft, opens, opens_adjusted, clicks, unsubscribes,
        complaints, orders, revenue}}`` for every sent campaign (or the one asked for)."""
        with self.lock:
            self.settle(account)
            camps = [c for c in sh.CAMPAIGNS.table(self.account_state(account)).values()
                     if c["status"] in REPORTED and campaign_id in (None, c["id"])]
            return {c["id"]: tally(a for _, a in self.recipient_activities(c)) for c in camps}

    @control("reports")
    def reports(self, account: str = "sandbox") -> list[Row]:
        with self.lock:
            self.settle(account)
            st = self.account_state(account)
            return [self.render_report(st, c) for c in sh.CAMPAIGNS.table(st).values() if c["status"] in REPORTED]

    def automation_queue(self, account: str, workflow_id: str, email_id: str) -> list[Row]:
        with self.lock:
            auto = sh.AUTOMATIONS.table(self.account_state(account)).get(workflow_id)
            email = sh.AUTOMATION_EMAILS.table(auto).get(email_id) if auto else None
            return [self._queue_entry(auto, email, q) for q in sh.QUEUE.table(email).values()] if auto and email else []

    @control("journey_triggers")
    def journey_triggers(self, account: str, journey_id: int) -> list[Row]:
        """Every trigger of the journey, oldest first: ``{email_address, step_id, time}`` (repeats kept)."""
        with self.lock:
            journey = sh.JOURNEYS.table(self.account_state(account)).get(str(journey_id))
            return [dict(t) for t in journey["triggers"]] if journey else []
