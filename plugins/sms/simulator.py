"""A stateful simulator of Twilio Programmable Messaging, Messaging Services v1 and Studio v2.

One port serves the three domains the ``twilio`` SDK talks to (``api.twilio.com`` → ``/2010-04-01/…``,
``messaging.twilio.com`` → ``/v1/Services…``, ``studio.twilio.com`` → ``/v2/Flows…``): point the SDK at it
with an HTTP client that rewrites every ``*.twilio.com`` host (``vendors/mailchimp-twilio.md`` §3.2,
recipe B). It follows ``vendors/mailchimp-twilio.md`` §3 and the OpenAPI documents
``twilio_api_v2010.json``, ``twilio_messaging_v1.json`` and ``twilio_studio_v2.json``: Basic auth with the
account SID + auth token or an API key SID + secret, form-encoded requests, JSON answers, the vendor's error
body ``{code, message, more_info, status}``, the 2010-04-01 list envelope with relative ``next_page_uri``
and the v1/v2 envelope with absolute ``meta.next_page_url``, and the message status machine driven by the
simulated clock with per-sender throughput, scheduling, cancelling, opt-out keywords and status callbacks.

Accounts: ``TwilioSimulator(clock, accounts={"AC…": {"auth_token": "…", "api_keys": {"SK…": "secret"},
"numbers": ["+1…", {"number": "12345", "kind": "short_code", "mps": 100}], "messaging_services":
{"MG…": {"friendly_name": "…", "numbers": ["+1…"]}}}})``. Without ``accounts`` there is one sandbox
account (the ``SANDBOX_*`` class attributes): a standalone sender ``SANDBOX_FROM_NUMBER`` and the Messaging
Service ``SANDBOX_MESSAGING_SERVICE_SID`` holding the long code ``SANDBOX_SERVICE_NUMBER``.

Choices where the vendor's behaviour is not verified (each also marked in the code where it lives):
- A request naming another account's SID in its path (``/2010-04-01/Accounts/{other}/…``) is answered
  404 / 20404 ("The requested resource … was not found"), like an unknown resource; subaccounts are not
  simulated. Wrong or missing credentials: 401 / 20003 "Authenticate".
- Missing ``To`` → 21604; ``To`` not E.164 → 21211; neither ``From`` nor ``MessagingServiceSid`` → 21603;
  a ``From`` the account does not own → 21606; unknown Messaging Service → 21705; a service without
  senders → 21703; no ``Body``, ``MediaUrl`` or ``ContentSid`` → 21602; body over 1600 characters → 21617;
  other malformed parameters → 20001. Missing required v1/v2 parameters → 20001 "Missing required
  parameter X in the post body".
- A message sent through a Messaging Service (no ``From``) is created ``accepted`` with ``from: null``; it
  becomes ``queued`` (and gets its sender) at once on the simulated clock. With ``From`` it is created
  ``queued``. Then ``sending`` when its sender starts it, ``sent`` (``date_sent``, ``price``
  = -0.0079 USD per segment by default) after ``segments / mps`` seconds, and ``delivered`` (or
  ``undelivered``, 30003) ``delivery_delay`` seconds later. Numbers set to ``failed`` fail when queued
  (30008) without using sender time.
- Throughput: 1 segment/s per long code (``mps``), 3 per toll-free number, 100 per short code, each
  overridable per sender; an MMS counts as one segment. A Messaging Service picks the sender that would
  finish the message first; with ``sticky_sender`` (the default, as at the vendor) a recipient keeps the
  sender it was first sent from.
- Queue limit (``queue_limit_seconds=36000``): with an explicit ``From`` the create answers 400 / 21611;
  through a Messaging Service the message is created and then fails with 30001, as Twilio's 21611 error
  page describes. A message that would wait longer than its ``ValidityPeriod`` (message, else service,
  else 36000 s) fails with 30036 when that period has passed.
- Scheduling: ``ScheduleType`` other than ``fixed`` → 35126; no Messaging Service → 35118; no ``SendAt`` →
  35111; ``SendAt`` closer than ``schedule_min`` (300 s) → 35114; further than ``schedule_max`` (35 days)
  or unreadable → 35115 (bounds inclusive). ``SendAt`` without ``ScheduleType`` is ignored. A scheduled
  message has ``from: null`` until it is queued at ``SendAt``.
- ``POST …/Messages/{Sid}.json``: ``Status=canceled`` only from ``scheduled`` (else 30409); ``Body=""``
  redacts at any time (any other Body → 20001). ``DELETE`` of a message still in progress (accepted,
  scheduled, queued, sending) → 400 / 20009.
- Listing messages: newest first, inbound and outbound together; ``DateSent``, ``DateSent<``,
  ``DateSent>`` compare whole UTC days, inclusive (the SDK sends ``YYYY-MM-DDT00:00:00Z``); ``PageSize``
  above 1000 is capped at 1000; page tokens are ``PA<sid>`` (after) / ``PB<sid>`` (before). v1/v2 lists:
  services, flows and steps oldest first; executions and revisions newest first.
- Status callbacks are POSTed for every transition after creation (``queued`` for service/scheduled
  messages, ``sending``, ``sent``, ``delivered``, ``undelivered``, ``failed``, ``canceled``), to the
  message's ``StatusCallback`` or else its service's ``status_callback``, with ``MessageSid``,
  ``SmsSid``, ``MessageStatus``, ``SmsStatus``, ``AccountSid``, ``From``, ``To``, ``ApiVersion``,
  ``MessagingServiceSid`` (when set) and ``ErrorCode`` (on failure), signed with ``X-Twilio-Signature``.
- Opt-out: an inbound body that is, trimmed and case-insensitively, one of STOP, STOPALL, UNSUBSCRIBE,
  CANCEL, END, QUIT, OPTOUT, REVOKE blocks the pair (number texted, contact) and, when that number is in a
  Messaging Service, (service, contact); START, YES, UNSTOP lift both. Sending on a blocked pair → 400 /
  21610. No automatic confirmation replies are sent. The inbound webhook (the service's
  ``inbound_request_url`` unless ``use_inbound_webhook_on_number``, else the number's ``sms_url``) gets
  ``OptOutType`` STOP / START / HELP when a keyword matched.
- Messaging Service defaults: ``sticky_sender``, ``mms_converter``, ``smart_encoding``,
  ``fallback_to_long_code``, ``area_code_geomatch`` true; ``synchronous_validation`` false;
  ``scan_message_content`` "inherit"; ``validity_period`` 36000; ``usecase`` "undeclared". Adding a
  sender already in the service → 21710, in another service → 21712, an unknown PN/SC sid → 21421.
- The Account resource answers ``auth_token: null`` (the simulator never echoes a secret).
- Studio (details in `sim_studio`): a draft may be saved with an invalid definition (``valid: false`` and
  its ``errors``); publishing one, or ``/Validate`` on one, → 400 / 81022 with
  ``details: {errors: [{message, property_path}], warnings: []}``. Only the six widget types the
  interpreter runs are known. An execution runs the latest published revision (else the latest one);
  a second active execution of a flow for the same contact → 409 / 20409; ``initiated_by`` is the account
  SID; a reply goes to every execution waiting on that contact and channel.
- API rate limit: ``api_rate`` requests per second per account (default 100; None disables) → 429 /
  20429 "Too Many Requests" with a ``Retry-After`` header.

The class is assembled from one mixin per area: `sim_messages` (messages, queues, status machine, inbound,
opt-out), `sim_services` (numbers, the Account resource, Messaging Services), `sim_studio` (flows,
executions, interpreter), `sim_webhooks` (status callbacks and inbound webhooks) and `sim_shapes` (error
bodies, ids, dates, pagination). This module keeps what spans them: accounts and authentication, rate
limits, error hooks, the simulated clock's event loop, and the control actions and test helpers.
"""

from __future__ import annotations

import heapq
import hmac
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from hub.simulator import Clock, SimRequest, SimResponse, Simulator, basic_auth, control
from hub_sms.sim_messages import MessagesMixin
from hub_sms.sim_services import ServicesMixin
from hub_sms.sim_shapes import ShapesMixin, error_body, iso8601, make_sid, public, rfc2822
from hub_sms.sim_studio import StudioMixin, validate_definition
from hub_sms.sim_webhooks import CallbackSender, WebhooksMixin, signature

__all__ = ["TwilioSimulator", "signature", "validate_definition"]

DOMAINS = {
    "api": "https://api.twilio.com",
    "messaging": "https://messaging.twilio.com",
    "studio": "https://studio.twilio.com",
}
BEHAVIOURS = {"delivered": 0, "undelivered": 30003, "failed": 30008}


class TwilioSimulator(StudioMixin, MessagesMixin, ServicesMixin, WebhooksMixin, ShapesMixin, Simulator):
    """Twilio Messaging + Messaging Services + Studio v2. Options (all keyword):

    - ``accounts``: ``{account_sid: {"auth_token", "api_keys": {key_sid: secret}, "numbers": [...],
      "messaging_services": {mg_sid: {"friendly_name", "numbers": [...], ...}}, "friendly_name"}}``;
      default: the sandbox account (``SANDBOX_*``);
    - ``api_rate=100``: API requests per second per account before 429 / 20429 (None: unlimited);
    - ``schedule_min=300``, ``schedule_max=35*86400``: the ``SendAt`` window in seconds;
    - ``queue_limit_seconds=36000``: sending time a sender may have queued (21611 / 30001 beyond);
    - ``mps=1.0`` (long codes), ``toll_free_mps=3.0``, ``short_code_mps=100.0``: segments per second;
    - ``delivery_delay=1.0``: seconds from ``sent`` to ``delivered``/``undelivered``;
    - ``price_per_segment=0.0079`` (USD);
    - ``deliver_callbacks=True``: POST status callbacks and inbound webhooks (they are recorded anyway);
      ``callback_timeout=5.0`` seconds per POST;
    - ``public_base_url=None``: base of the absolute URLs in v1/v2 answers (``url``, ``links``,
      ``meta.*_page_url``); default the vendor's hosts (``https://messaging.twilio.com`` …), which a
      host-rewriting HTTP client sends back here. Set it to ``sim.base_url`` for clients that only
      override the SDK's domain base URLs.
    """

    name = "sms"
    base_path = ""

    SANDBOX_ACCOUNT_SID: ClassVar[str] = "AC3ccde4e0db1c1bdf9b279c07c29a8e06"
    SANDBOX_AUTH_TOKEN: ClassVar[str] = "c8715a626564299c484ad83385aacc32"
    SANDBOX_API_KEY_SID: ClassVar[str] = "SK50b415f6bf3645dda5d2637c69da4375"
    SANDBOX_API_KEY_SECRET: ClassVar[str] = "sandbox-api-key-secret"
    SANDBOX_MESSAGING_SERVICE_SID: ClassVar[str] = "MG4b40ceb0d3e5550da92f922857dda992"
    SANDBOX_SERVICE_NUMBER: ClassVar[str] = "+15005550006"
    SANDBOX_FROM_NUMBER: ClassVar[str] = "+15017122661"

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        accounts: dict[str, dict[str, Any]] | None = None,
        api_rate: int | None = 100,
        schedule_min: float = 300.0,
        schedule_max: float = 35 * 86400.0,
        queue_limit_seconds: float = 36000.0,
        mps: float = 1.0,
        toll_free_mps: float = 3.0,
        short_code_mps: float = 100.0,
        delivery_delay: float = 1.0,
        price_per_segment: float = 0.0079,
        deliver_callbacks: bool = True,
        callback_timeout: float = 5.0,
        public_base_url: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(clock, **options)
        self.api_rate = api_rate
        self.schedule_min = float(schedule_min)
        self.schedule_max = float(schedule_max)
        self.queue_limit_seconds = float(queue_limit_seconds)
        self.mps = float(mps)
        self.toll_free_mps = float(toll_free_mps)
        self.short_code_mps = float(short_code_mps)
        self.delivery_delay = float(delivery_delay)
        self.price_per_segment = float(price_per_segment)
        self.default_validity = 36000
        self.deliver_callbacks = deliver_callbacks
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.callbacks: list[dict[str, Any]] = []
        """Every status callback and inbound webhook, as recorded: ``{kind: "status"|"inbound", account,
        url, params, time}`` (time in simulated seconds)."""
        self._sender = CallbackSender(callback_timeout)
        self._behaviour: dict[str, tuple[str, int]] = {}
        self._accounts: dict[str, dict[str, Any]] = {}
        self._keys: dict[str, tuple[str, str]] = {}
        self._clock_now = 0.0
        self._clock_epoch = 0.0
        self._now = 0.0
        self._sync_time()
        for sid, config in (
            accounts if accounts is not None else {self.SANDBOX_ACCOUNT_SID: self.sandbox_config()}
        ).items():
            self.add_account(sid, config)
        self._handlers: dict[str, Callable[[str, dict[str, Any], float, Any], None]] = {
            "queue": self._on_queue,
            "due": self._on_due,
            "send": self._on_send,
            "sent": self._on_sent,
            "final": self._on_final,
            "fail": self._on_fail,
            "studio_timeout": self._on_studio_timeout,
        }

    @classmethod
    def sandbox_config(cls) -> dict[str, Any]:
        return {
            "friendly_name": "hub sandbox",
            "auth_token": cls.SANDBOX_AUTH_TOKEN,
            "api_keys": {cls.SANDBOX_API_KEY_SID: cls.SANDBOX_API_KEY_SECRET},
            "numbers": [cls.SANDBOX_FROM_NUMBER, cls.SANDBOX_SERVICE_NUMBER],
            "messaging_services": {
                cls.SANDBOX_MESSAGING_SERVICE_SID: {
                    "friendly_name": "Sandbox Messaging Service",
                    "numbers": [cls.SANDBOX_SERVICE_NUMBER],
                }
            },
        }

    def add_account(self, sid: str, config: dict[str, Any]) -> None:
        """Configure (or reconfigure) an account; its data is created on first use."""
        if not (sid.startswith("AC") and len(sid) == 34):
            raise ValueError(f"an account SID is 'AC' + 32 hex digits, got {sid!r}")
        if not config.get("auth_token"):
            raise ValueError(f"account {sid} needs an auth_token")
        with self.lock:
            stored = dict(config)
            stored["_created"] = self._epoch(self._now)
            self._accounts[sid] = stored
            for key, secret in (config.get("api_keys") or {}).items():
                self._keys[key] = (sid, secret)

    @property
    def default_account(self) -> str:
        return next(iter(self._accounts))

    def domain_url(self, domain: str) -> str:
        return self.public_base_url or DOMAINS[domain]

    # ---------------------------------------------------------------- state and the simulated clock

    def initial_state(self) -> dict[str, Any]:
        return {
            "messages": {},
            "order": [],
            "numbers": {},
            "number_sids": {},
            "services": {},
            "queues": {},
            "events": [],
            "evseq": 0,
            "opt_outs": {},
            "flows": {},
            "executions": {},
        }

    def account_state(self, account: str) -> dict[str, Any]:
        with self.lock:
            st = self.state.get(account)
            if st is None:
                st = self.state[account] = self.initial_state()
                self._seed(account, st)
            return st

    def _seed(self, account: str, st: dict[str, Any]) -> None:
        config = self._accounts.get(account, {})
        for item in config.get("numbers") or ():
            spec = {"number": item} if isinstance(item, str) else dict(item)
            self._add_number(account, st, spec.pop("number"), **spec)
        for sid, spec in (config.get("messaging_services") or {}).items():
            values = {k: v for k, v in spec.items() if k != "numbers"}
            service = self._create_service(account, st, values, sid=sid)
            for number in spec.get("numbers") or ():
                record = st["numbers"].get(number) or self._add_number(account, st, number)
                self._attach(st, service, record)

    def _sync_time(self) -> None:
        self._clock_now = self.clock.now()
        self._clock_epoch = self.clock.utcnow().timestamp()
        self._now = self._clock_now

    def _epoch(self, t: float) -> float:
        """Epoch seconds (UTC) of simulated time `t`."""
        return self._clock_epoch - (self._clock_now - t)

    def _rfc(self, t: float) -> str | None:
        return rfc2822(self._epoch(t))

    def _iso(self, t: float) -> str | None:
        return iso8601(self._epoch(t))

    def _new_sid(self, prefix: str, account: str) -> str:
        return make_sid(prefix, self.seed, account, self.next_seq())

    def _push(self, st: dict[str, Any], t: float, kind: str, ref: Any) -> None:
        st["evseq"] += 1
        heapq.heappush(st["events"], [t, st["evseq"], kind, ref])

    def advance(self, account: str) -> None:
        """Apply the account's transitions due up to ``clock.now()`` (in time order)."""
        with self.lock:
            self._sync_time()
            st = self.account_state(account)
            events = st["events"]
            now = self._clock_now
            if not events or events[0][0] > now:
                return
            handlers = self._handlers
            try:
                while events and events[0][0] <= now:
                    t, _, kind, ref = heapq.heappop(events)
                    self._now = t
                    handlers[kind](account, st, t, ref)
            finally:
                self._now = now

    # ---------------------------------------------------------------- kit hooks

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        creds = basic_auth(req)
        if creds is not None:
            user, password = creds
            if user.startswith("AC"):
                config = self._accounts.get(user)
                if config is not None and hmac.compare_digest(str(config["auth_token"]), password):
                    return user
            elif user.startswith("SK"):
                key = self._keys.get(user)
                if key is not None and hmac.compare_digest(key[1], password):
                    return key[0]
        return SimResponse(
            401, error_body(401, 20003, "Authenticate"), {"WWW-Authenticate": 'Basic realm="Twilio API"'}
        )

    def rate_limits(self, req: SimRequest) -> list[Any]:
        return [("api", self.api_rate, 1.0)] if self.api_rate else []

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        return SimResponse(429, error_body(429, 20429, "Too Many Requests"), {"Retry-After": str(retry_after)})

    def not_found(self, req: SimRequest) -> SimResponse:
        return SimResponse(404, error_body(404, 20404, f"The requested resource {req.path} was not found"))

    def method_not_allowed(self, req: SimRequest, allowed: list[str]) -> SimResponse:
        return SimResponse(
            405, error_body(405, 20004, f"Method {req.method} not allowed"), {"Allow": ", ".join(allowed)}
        )

    def malformed_body(self, req: SimRequest, message: str) -> SimResponse:
        return SimResponse(400, error_body(400, 20001, message))

    def fault_response(self, req: SimRequest, status: int, retry_after: int | None) -> SimResponse:
        resp = super().fault_response(req, status, retry_after)
        code = 20429 if status == 429 else 20000 + status if 400 <= status < 600 else status
        message = resp.body.get("message") if isinstance(resp.body, dict) else None
        resp.body = error_body(status, code, message)
        return resp

    def server_error(self, req: SimRequest, exc: BaseException) -> SimResponse:
        resp = super().server_error(req, exc)
        body = error_body(500, 20500, "Internal Server Error")
        if isinstance(resp.body, dict):
            body.update({k: v for k, v in resp.body.items() if k in ("exception", "trace")})
        resp.body = body
        return resp

    def stop(self) -> None:
        super().stop()
        self._close_callbacks()

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.callbacks.clear()
            self._behaviour.clear()

    # ---------------------------------------------------------------- control actions and test helpers

    def _accounts_for(self, account: str | None) -> list[str]:
        if account is not None:
            return [account]
        return list(dict.fromkeys([*self._accounts, *self.state]))

    def _owner(self, address: str) -> str:
        for account in self._accounts_for(None):
            st = self.account_state(account)
            if address in st["numbers"] or address in st["services"]:
                return account
        raise ValueError(f"{address} is not a phone number or Messaging Service of any simulated account")

    @control("tick")
    def tick(self) -> None:
        """Apply every account's transitions due by ``clock.now()`` (requests do this lazily)."""
        with self.lock:
            for account in list(self.state):
                self.advance(account)

    @control("inbound")
    def inbound(
        self,
        from_: str,
        to: str,
        body: str = "",
        account: str | None = None,
        media_urls: Iterable[str] = (),
    ) -> dict[str, Any]:
        """A contact (`from_`) texts `to` (one of the account's numbers or Messaging Service SIDs):
        records an inbound message, applies STOP/START keywords, calls the inbound webhook and hands
        the reply to a waiting Studio execution. Returns the message as the API renders it."""
        with self.lock:
            account = account or self._owner(to)
            self.advance(account)
            st = self.account_state(account)
            return public(self._receive(account, st, from_, to, body, list(media_urls)))

    @control("set_number_behaviour")
    def set_number_behaviour(self, number: str, behaviour: str, error_code: int | None = None) -> None:
        """How messages to `number` end: "delivered" (the default), "undelivered" (after ``sent``, error
        30003 unless `error_code`) or "failed" (when queued, 30008 unless `error_code`)."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {', '.join(BEHAVIOURS)}")
        with self.lock:
            if behaviour == "delivered":
                self._behaviour.pop(number, None)
            else:
                self._behaviour[number] = (behaviour, int(error_code or BEHAVIOURS[behaviour]))

    @control("add_number")
    def add_number(
        self,
        number: str,
        account: str | None = None,
        kind: str | None = None,
        mps: float | None = None,
        sms_url: str | None = None,
        service_sid: str | None = None,
    ) -> dict[str, Any]:
        """Give the account a number (as buying one in the Console would) or change its throughput
        (`mps` segments per second) or inbound `sms_url`; optionally put it in a Messaging Service."""
        with self.lock:
            account = account or self.default_account
            self.advance(account)
            st = self.account_state(account)
            record = self._add_number(account, st, number, kind=kind, mps=mps, sms_url=sms_url)
            if service_sid is not None and record["service_sid"] != service_sid:
                service = st["services"].get(service_sid)
                if service is None:
                    raise ValueError(f"no Messaging Service {service_sid} in account {account}")
                self._attach(st, service, record)
            return self.render_number(account, record)

    @control("messages")
    def messages(self, account: str | None = None, direction: str | None = "outbound-api") -> list[dict[str, Any]]:
        """Messages (oldest first) of one account or all, of one direction (None: all), as rendered."""
        with self.lock:
            out: list[dict[str, Any]] = []
            for acc in self._accounts_for(account):
                self.advance(acc)
                out.extend(
                    public(m)
                    for m in self.account_state(acc)["messages"].values()
                    if direction is None or m["direction"] == direction
                )
            return out

    def message(self, sid: str, account: str | None = None) -> dict[str, Any] | None:
        with self.lock:
            for acc in self._accounts_for(account):
                self.advance(acc)
                msg = self.account_state(acc)["messages"].get(sid)
                if msg is not None:
                    return public(msg)
            return None

    @control("opt_outs")
    def opt_outs(self, account: str | None = None) -> list[dict[str, str]]:
        """The blocked (sender, recipient) pairs; sender is a number or a Messaging Service SID."""
        with self.lock:
            out = []
            for acc in self._accounts_for(account):
                self.advance(acc)
                for key in self.account_state(acc)["opt_outs"]:
                    sender, _, recipient = key.partition("|")
                    out.append({"account": acc, "sender": sender, "recipient": recipient})
            return out

    @control("executions")
    def executions(self, account: str | None = None, flow_sid: str | None = None) -> list[dict[str, Any]]:
        """Studio executions (oldest first), each rendered with its ``steps``."""
        with self.lock:
            out = []
            for acc in self._accounts_for(account):
                self.advance(acc)
                for ex in self.account_state(acc)["executions"].values():
                    if flow_sid is None or ex["flow_sid"] == flow_sid:
                        rendered = self.render_execution(ex)
                        rendered["steps"] = [self.render_step(ex, s) for s in ex["_steps"]]
                        out.append(rendered)
            return out

    @control("flows")
    def flows(self, account: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                self.render_flow(f)
                for acc in self._accounts_for(account)
                for f in self.account_state(acc)["flows"].values()
            ]

    @control("services")
    def services(self, account: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            out = []
            for acc in self._accounts_for(account):
                st = self.account_state(acc)
                for service in st["services"].values():
                    rendered = self.render_service(service)
                    rendered["senders"] = list(service["_senders"])
                    out.append(rendered)
            return out

    @control("queue_seconds")
    def queue_seconds(self, sender: str, account: str | None = None) -> float:
        """Seconds of sending time queued on `sender` right now (0 when idle)."""
        with self.lock:
            account = account or self._owner(sender)
            self.advance(account)
            free = self.account_state(account)["queues"].get(sender, 0.0)
            return max(0.0, free - self._clock_now)

    @control("callbacks")
    def callback_log(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The recorded callbacks (see `callbacks`), of one kind ("status" or "inbound") or all."""
        with self.lock:
            return [dict(c) for c in self.callbacks if kind is None or c["kind"] == kind]
