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

Choices where the vendor's behaviour is not verified:
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
  = -0.0079 USD per segment by default, a string such as ``"-0.01580"``; ``null`` until then; ``price_unit``
  is ``"USD"`` throughout) after ``segments / mps`` seconds, and ``delivered`` (or ``undelivered``)
  ``delivery_delay`` seconds later. How each outbound text ends is seeded per message
  (`hub.simulator.activity.text_outcome`, at the account's ``activity_rates``/``set_activity_rates``): most
  are delivered; ``undelivered_rate`` (3%) end ``undelivered`` with 30003 (unreachable handset), 30005
  (unknown destination) or 30007 (carrier filtered), charged; ``failed_rate`` (0.5%) fail when queued with
  30006 (landline or unreachable carrier), never sent nor charged. ``reply_rate`` (5%) of the delivered
  ones get a reply 2-120 minutes later, an inbound message from the recipient to the number that sent it
  (``stop_share``, 20% of the replies, is "STOP": an opt-out as below). Numbers set with
  ``set_number_behaviour`` to ``failed`` fail when queued (30008) without using sender time, to
  ``undelivered`` end so after ``sent``, whatever the seed says. The ``activity_totals`` control reads the
  simulator's own record per outbound message (choices: which codes and shares; Twilio's are unverified).
- Requests in flight: past ``api_concurrency`` (100) per account, 429 / 20429 (Twilio's error page calls
  20429 a concurrency limit; the number, and the ``Retry-After: 1`` the simulator adds, are unverified).
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
  message's ``StatusCallback`` or else its service's ``status_callback``, with the parameters
  `messages.TwilioMessages._transition` sends (``ErrorCode`` on failure), signed (see `webhooks`).
- Opt-out: an inbound body that is, trimmed and case-insensitively, one of `messages.STOP_WORDS` blocks the
  pair (number texted, contact) and, when that number is in a Messaging Service, (service, contact);
  `messages.START_WORDS` lift both. Sending on a blocked pair → 400 / 21610. No automatic confirmation
  replies are sent. The inbound webhook (the service's ``inbound_request_url`` unless
  ``use_inbound_webhook_on_number``, else the number's ``sms_url``) gets ``OptOutType`` STOP / START / HELP.
- Messaging Services (defaults: `senders.SERVICE_DEFAULTS`): adding a sender already in the service → 21710,
  in another service → 21712, an unknown PN/SC sid → 21421.
- The Account resource answers ``auth_token: null`` (the simulator never echoes a secret).
- Studio: a draft may be saved with an invalid definition (``valid: false`` and its ``errors``); publishing
  one, or ``/Validate`` on one, → 400 / 81022 with ``details: {errors: [{message, property_path}],
  warnings: []}``. An execution runs the latest published revision (else the latest one); a second active
  execution of a flow for the same contact → 409 / 20409; ``initiated_by`` is the account SID; a reply goes
  to every execution waiting on that contact and channel.

Built in layers, one module per area: `accounts` (auth, kit hooks, clock) ← `senders` (numbers, Messaging
Services) ← `messages` ← `studio` ← here (controls, test helpers); beside them `webhooks` and `shapes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.simulator import Row, control, listing

from .messages import MESSAGES, OPT_OUTS
from .senders import NUMBERS, SERVICES
from .shapes import public
from .studio import EXECUTIONS, FLOWS, TwilioStudio, validate_definition
from .webhooks import signature

__all__ = ["TwilioSimulator", "signature", "validate_definition"]

BEHAVIOURS = {"delivered": 0, "undelivered": 30003, "failed": 30008}


class TwilioSimulator(TwilioStudio):
    """Twilio Messaging + Messaging Services + Studio v2; its options are documented on `TwilioAccounts`."""

    collections = (NUMBERS, SERVICES, MESSAGES, OPT_OUTS, FLOWS, EXECUTIONS)
    state_version = 2  # kit v2 store: numbers by SID, no hand-kept indexes

    numbers = listing(NUMBERS)
    services = listing(SERVICES, "_service_with_senders")
    messages = listing(MESSAGES, direction="outbound-api")
    """Messages (oldest first) of one account or all, of one direction (None: all), as rendered."""
    flows = listing(FLOWS)
    executions = listing(EXECUTIONS)
    """Studio executions (oldest first; of one ``flow_sid`` if given), each rendered with its ``steps``."""
    opt_outs = listing(OPT_OUTS)
    """The blocked (sender, recipient) pairs; sender is a number or a Messaging Service SID."""

    def _service_with_senders(self, st: dict[str, Any], row: Row) -> Row:
        senders = NUMBERS.table(st).where("service_sid", row["sid"])
        return {**self.render_service(st, row), "senders": [r["phone_number"] for r in senders]}

    def message(self, sid: str, account: str | None = None) -> Row | None:
        return next(iter(self.messages(account, direction=None, sid=sid)), None)

    @control("tick")
    def tick(self) -> None:
        """Apply every account's transitions due by ``clock.now()`` (requests do this lazily)."""
        with self.lock:
            for account in list(self.state):
                self.advance(account)

    @control("inbound")
    def inbound(self, from_: str, to: str, body: str = "", account: str | None = None,
                media_urls: Iterable[str] = ()) -> Row:
        """A contact (`from_`) texts `to` (one of the account's numbers or Messaging Service SIDs):
        records an inbound message, applies STOP/START keywords, calls the inbound webhook and hands
        the reply to a waiting Studio execution. Returns the message as the API renders it."""
        with self.lock:
            account = account or self._owner(to)
            self.advance(account)
            return public(self._receive(account, self.account_state(account), from_, to, body, list(media_urls)))

    @control("set_activity_rates")
    def set_activity_rates(self, account: str | None = None, **rates: float) -> dict[str, float]:
        """How the account's texts created from now on end and who replies: any of ``failed_rate``,
        ``undelivered_rate``, ``reply_rate``, ``stop_share`` (`hub.simulator.activity.TextRates`); all of them."""
        with self.lock:
            st = self.account_state(account or next(iter(self._accounts)))
            new = self.account_text_rates(st).updated(rates)
            st["text_rates"] = new.as_dict()
            return new.as_dict()

    @control("activity_totals")
    def activity_totals(self, account: str | None = None) -> dict[str, Row]:
        """The simulator's own record for "now", per outbound message sid: ``{to, status, error_code, segments,
        price (a negative float, None until sent), delivered, undelivered, failed, reply (the body of the
        recipient's reply received so far, else None), opted_out (that reply was STOP)}``."""
        with self.lock:
            out: dict[str, Row] = {}
            for acc in [account] if account else list(self._accounts):
                self.advance(acc)
                for msg in MESSAGES.table(self.account_state(acc)).values():
                    if msg["direction"] == "inbound":
                        continue
                    replied = self.text_fate(msg).reply if msg.get("_reply_sid") else None
                    out[msg["sid"]] = {
                        "to": msg["to"], "status": msg["status"], "error_code": msg["error_code"],
                        "segments": msg["_seg"], "price": None if msg["price"] is None else float(msg["price"]),
                        **{s: msg["status"] == s for s in ("delivered", "undelivered", "failed")},
                        "reply": replied, "opted_out": replied == "STOP"}
            return out

    @control("set_number_behaviour")
    def set_number_behaviour(self, number: str, behaviour: str, error_code: int | None = None) -> None:
        """How messages to `number` end: "delivered" (the default), "undelivered" (after ``sent``, error
        30003 unless `error_code`) or "failed" (when queued, 30008 unless `error_code`)."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {', '.join(BEHAVIOURS)}")
        with self.lock:
            self._behaviour.pop(number, None)
            if behaviour != "delivered":
                self._behaviour[number] = (behaviour, int(error_code or BEHAVIOURS[behaviour]))

    @control("add_number")
    def add_number(self, number: str, account: str | None = None, kind: str | None = None, mps: float | None = None,
                   sms_url: str | None = None, service_sid: str | None = None) -> Row:
        """Give the account a number (as buying one in the Console would) or change its throughput
        (`mps` segments per second) or inbound `sms_url`; optionally put it in a Messaging Service."""
        with self.lock:
            account = account or next(iter(self._accounts))
            self.advance(account)
            st = self.account_state(account)
            row = self._add_number(account, st, number, kind=kind, mps=mps, sms_url=sms_url)
            if service_sid is not None and row["service_sid"] != service_sid:
                service = SERVICES.table(st).get(service_sid)
                if service is None:
                    raise ValueError(f"no Messaging Service {service_sid} in account {account}")
                self._attach(st, service, row)
            return self.render_number(st, row)

    @control("queue_seconds")
    def queue_seconds(self, sender: str, account: str | None = None) -> float:
        """Seconds of sending time queued on `sender` right now (0 when idle)."""
        with self.lock:
            account = account or self._owner(sender)
            self.advance(account)
            return max(0.0, self.account_state(account)["queues"].get(sender, 0.0) - self._clock_now)

    @control("callbacks")
    def callback_log(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The recorded callbacks (see `callbacks`), of one kind ("status" or "inbound") or all."""
        with self.lock:
            return [dict(c) for c in self.callbacks if kind is None or c["kind"] == kind]
