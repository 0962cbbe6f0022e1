"""Accounts and authentication, the kit's answers in Twilio's error shape, and the simulated clock: each
transition (a message's next status, a Studio reply timeout) is an event in a per-account heap, applied
lazily up to ``clock.now()`` whenever a request or helper looks at the account."""

from __future__ import annotations

import heapq
import hmac
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from hub.simulator import Abort, Clock, Row, SimRequest, SimResponse, Simulator, basic_auth
from hub.simulator.activity import TextRates

from .shapes import envelope, error_body, make_sid, rfc2822
from .webhooks import CallbackSender, signature

DOMAINS = {"api": "https://api.twilio.com", "messaging": "https://messaging.twilio.com",
           "studio": "https://studio.twilio.com"}
State = dict[str, Any]


class TwilioAccounts(Simulator):
    """Options (all keyword):

    - ``accounts``: ``{account_sid: config}`` (see the package docstring); default: the sandbox account;
    - ``api_concurrency``: REST requests one account may have in flight before 429 / 20429 (None: no limit).
      Twilio documents 20429 as a concurrency limit, not a rate ("your account exceeds allowed concurrency to
      Twilio's REST API", docs/api/errors/20429); the default of 100 is third-party (unverified);
    - ``schedule_min``, ``schedule_max``: the ``SendAt`` window in seconds; ``queue_limit_seconds``: sending
      time a sender may have queued (21611 / 30001 beyond); ``delivery_delay``: seconds from ``sent`` to
      ``delivered``/``undelivered``; ``mps`` (long codes), ``toll_free_mps``, ``short_code_mps``: segments
      per second; ``price_per_segment`` (USD);
    - ``activity_rates``: how outbound texts end and who replies, any of `hub.simulator.activity.TextRates`
      (``failed_rate`` 0.005, ``undelivered_rate`` 0.03, ``reply_rate`` 0.05, ``stop_share`` 0.2); per account
      the ``set_activity_rates`` control;
    - ``deliver_callbacks`` (else only recorded), ``callback_timeout`` seconds per POST: see `webhooks`;
    - ``public_base_url``: base of the absolute URLs in v1/v2 answers (``url``, ``links``, ``meta.*_page_url``);
      default the vendor's hosts, which a host-rewriting HTTP client sends back here. Set it to
      ``sim.base_url`` for clients that only override the SDK's domain base URLs.
    """

    name = "sms"
    base_path = ""
    error_messages = {401: "Authenticate", 429: "Too Many Requests"}

    SANDBOX_ACCOUNT_SID: ClassVar[str] = "AC3ccde4e0db1c1bdf9b279c07c29a8e06"
    SANDBOX_AUTH_TOKEN: ClassVar[str] = "c8715a626564299c484ad83385aacc32"
    SANDBOX_API_KEY_SID: ClassVar[str] = "SK50b415f6bf3645dda5d2637c69da4375"
    SANDBOX_API_KEY_SECRET: ClassVar[str] = "sandbox-api-key-secret"
    SANDBOX_MESSAGING_SERVICE_SID: ClassVar[str] = "MG4b40ceb0d3e5550da92f922857dda992"
    SANDBOX_SERVICE_NUMBER: ClassVar[str] = "+15005550006"
    SANDBOX_FROM_NUMBER: ClassVar[str] = "+15017122661"

    def __init__(self, clock: Clock | None = None, *, accounts: dict[str, dict[str, Any]] | None = None,
                 api_concurrency: int | None = 100, schedule_min: float = 300.0, schedule_max: float = 35 * 86400.0,
                 queue_limit_seconds: float = 36000.0, mps: float = 1.0, toll_free_mps: float = 3.0,
                 short_code_mps: float = 100.0, delivery_delay: float = 1.0, price_per_segment: float = 0.0079,
                 deliver_callbacks: bool = True, callback_timeout: float = 5.0, public_base_url: str | None = None,
                 activity_rates: dict[str, float] | None = None, **options: Any) -> None:
        super().__init__(clock, **options)
        self.max_concurrent = api_concurrency
        self.schedule_min, self.schedule_max = float(schedule_min), float(schedule_max)
        self.mps, self.toll_free_mps, self.short_code_mps = float(mps), float(toll_free_mps), float(short_code_mps)
        self.queue_limit_seconds, self.delivery_delay = float(queue_limit_seconds), float(delivery_delay)
        self.price_per_segment = float(price_per_segment)
        self.text_rates = TextRates().updated(activity_rates or {})
        self.deliver_callbacks = deliver_callbacks
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.callbacks: list[dict[str, Any]] = []
        """Every status callback and inbound webhook, as recorded: ``{kind: "status"|"inbound", account,
        url, params, time}`` (time in simulated seconds)."""
        self._poster = CallbackSender(callback_timeout)
        self._behaviour: dict[str, tuple[str, int]] = {}
        self._accounts: dict[str, dict[str, Any]] = {}
        self._keys: dict[str, tuple[str, str]] = {}
        self._sync_time()
        for sid, config in (accounts if accounts is not None else {self.SANDBOX_ACCOUNT_SID: self.sandbox_config()}
                            ).items():
            self.add_account(sid, config)

    @classmethod
    def sandbox_config(cls) -> dict[str, Any]:
        return {
            "friendly_name": "hub sandbox",
            "auth_token": cls.SANDBOX_AUTH_TOKEN,
            "api_keys": {cls.SANDBOX_API_KEY_SID: cls.SANDBOX_API_KEY_SECRET},
            "numbers": [cls.SANDBOX_FROM_NUMBER, cls.SANDBOX_SERVICE_NUMBER],
            "messaging_services": {cls.SANDBOX_MESSAGING_SERVICE_SID: {
                "friendly_name": "Sandbox Messaging Service", "numbers": [cls.SANDBOX_SERVICE_NUMBER]}},
        }

    def add_account(self, sid: str, config: dict[str, Any]) -> None:
        """Configure (or reconfigure) an account; its data is created on first use."""
        if not (sid.startswith("AC") and len(sid) == 34):
            raise ValueError(f"an account SID is 'AC' + 32 hex digits, got {sid!r}")
        if not config.get("auth_token"):
            raise ValueError(f"account {sid} needs an auth_token")
        with self.lock:
            self._accounts[sid] = {**config, "_created": self._stamp()}
            self._keys.update({key: (sid, secret) for key, secret in (config.get("api_keys") or {}).items()})

    def domain_url(self, domain: str) -> str:
        return self.public_base_url or DOMAINS[domain]

    def _page(self, req: SimRequest, key: str, rows: Sequence[Any], render: Callable[[Any], Row], **kw: Any) -> Row:
        """A v1/v2 list: `envelope` with absolute links to the product's host (Messaging /v1, Studio /v2)."""
        domain = "messaging" if req.path.startswith("/v1/") else "studio"
        return envelope(req, key, rows, render, base=self.domain_url(domain), **kw)

    def known_accounts(self) -> list[str]:
        return list(dict.fromkeys([*self._accounts, *self.state]))

    def settle(self, account: str) -> None:
        self.advance(account)

    # -- the simulated clock

    def initial_state(self) -> State:
        return {"queues": {}, "events": [], "evseq": 0}

    def _sync_time(self) -> None:
        self._clock_now = self._now = self.clock.now()
        self._clock_epoch = self.clock.utcnow().timestamp()

    def _epoch(self, t: float) -> float:
        """Epoch seconds (UTC) of simulated time `t`."""
        return self._clock_epoch - (self._clock_now - t)

    def _stamp(self) -> float:
        """Epoch seconds of the simulated time being applied (now, or the due time of an event)."""
        return self._epoch(self._now)

    def _rfc(self, t: float) -> str | None:
        return rfc2822(self._epoch(t))

    def _new_sid(self, prefix: str, account: str) -> str:
        return make_sid(prefix, self.seed, account, self.next_seq())

    def _push(self, st: State, t: float, kind: str, ref: Any) -> None:
        """Call ``self._on_<kind>(account, st, t, ref)`` at simulated time `t`."""
        st["evseq"] += 1
        heapq.heappush(st["events"], [t, st["evseq"], kind, ref])

    def advance(self, account: str) -> None:
        """Apply the account's transitions due up to ``clock.now()`` (in time order)."""
        with self.lock:
            self._sync_time()
            st = self.account_state(account)
            events, now = st["events"], self._clock_now
            try:
                while events and events[0][0] <= now:
                    t, _, kind, ref = heapq.heappop(events)
                    self._now = t
                    getattr(self, "_on_" + kind)(account, st, t, ref)
            finally:
                self._now = now

    def _account_of(self, req: SimRequest) -> tuple[str, State]:
        """The authenticated account and its state, with the simulated clock's transitions applied; a path
        naming another account's SID is answered 404 (a simulator choice)."""
        account = req.account or ""
        for key in ("AccountSid", "Sid"):  # ``{Sid}.json`` path segments are routed with their suffix
            if req.params.get(key, "").endswith(".json"):
                req.params[key] = req.params[key][:-5]
        if req.params.get("AccountSid", account) != account:
            raise Abort(self.not_found(req))
        self.advance(account)
        return account, self.account_state(account)

    # -- kit hooks

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        user, password = basic_auth(req) or ("", "")
        if user.startswith("AC"):
            account, secret = user, self._accounts.get(user, {}).get("auth_token")
        else:
            account, secret = self._keys.get(user, ("", None)) if user.startswith("SK") else ("", None)
        if secret is not None and hmac.compare_digest(str(secret), password):
            return account
        return self.error(401, None, {"WWW-Authenticate": 'Basic realm="Twilio API"'})

    def too_many_connections(self, req: SimRequest) -> SimResponse:
        return self.error(429, None, {"Retry-After": "1"})

    def error_body(self, status: int, message: str) -> Any:
        return error_body(status, None, message)

    def not_found(self, req: SimRequest) -> SimResponse:
        return self.error(404, f"The requested resource {req.path} was not found")

    def missing(self, req: SimRequest, model: str, key: object) -> SimResponse:
        return self.not_found(req)

    def server_error(self, req: SimRequest, exc: BaseException) -> SimResponse:
        body = super().server_error(req, exc).body
        return SimResponse(500, {**error_body(500), "exception": body["exception"], "trace": body["trace"]})

    # -- status callbacks and inbound webhooks (see `webhooks`)

    def _post_callback(self, account: str, kind: str, url: str, params: dict[str, str], t: float) -> None:
        self.callbacks.append({"kind": kind, "account": account, "url": url, "params": params, "time": t})
        if self.deliver_callbacks and url.lower().startswith(("http://", "https://")):
            token = self._accounts.get(account, {}).get("auth_token", "")
            self._poster.submit(url, params, {"Content-Type": "application/x-www-form-urlencoded",
                                              "User-Agent": "TwilioProxy/1.1",
                                              "X-Twilio-Signature": signature(token, url, params)})

    def flush_callbacks(self, timeout: float = 5.0) -> bool:
        """Wait (real time) until every recorded callback has been POSTed (or failed); False on timeout."""
        return self._poster.flush(timeout)

    def status_callbacks(self, sid: str | None = None) -> list[dict[str, str]]:
        """The parameters of the status callbacks recorded so far (of one message when `sid` is given)."""
        with self.lock:
            return [dict(c["params"]) for c in self.callbacks
                    if c["kind"] == "status" and sid in (None, c["params"].get("MessageSid"))]

    def stop(self) -> None:
        super().stop()
        self._poster.close()

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.callbacks.clear()
            self._behaviour.clear()
