"""Messages: creation and validation, the per-sender send queues, the status machine driven by the simulated
clock, scheduling and cancelling, opt-out keywords, inbound messages and the 2010-04-01 Messages routes.

Queue model: every sender (phone number or short code) has a "free at" time. A message of ``n`` segments
on a sender with ``mps`` segments per second starts sending at ``max(now, free_at)`` and is ``sent``
``n / mps`` seconds later, which becomes the sender's new ``free_at`` — O(1) per message, FIFO per sender.
"""

from __future__ import annotations

import functools
from math import inf
from typing import Any

from hub.plugin import MAX_CHARACTERS, count_segments
from hub.simulator import Row, SimRequest, route
from hub.simulator.activity import TextOutcome, TextRates, text_outcome
from hub.simulator.store import Collection

from .accounts import State
from .senders import NUMBERS, SERVICES, TwilioSenders
from .shapes import API_VERSION, E164_RE, ERRORS, Form, envelope, fail, first, integer, invalid, parse_datetime, public

MESSAGES = Collection("messages", model="Message", key="sid", index=("to",), render="render_message")
OPT_OUTS = Collection("opt_outs", model="OptOut", render="render_opt_out")  # id: "<number or MG sid>|<contact>"
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
IN_PROGRESS = frozenset({"accepted", "scheduled", "queued", "sending"})
DAY = 86400.0
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid:.+\\.json}"


@functools.lru_cache(maxsize=4096)
def segment_count(body: str) -> int:
    """Segments of a message body (GSM-7 or UCS-2); a media-only or empty message counts as one."""
    return max(count_segments(body).segments, 1) if body else 1


class TwilioMessages(TwilioSenders):
    """Messages, their queues and transitions."""

    def render_message(self, st: State, row: Row) -> Row:
        return public(row)

    def render_opt_out(self, st: State, row: Row) -> Row:
        return {"account": row["account"], "sender": row["sender"], "recipient": row["recipient"]}

    # -- creation

    def _send_message(self, account: str, st: State, form: Form) -> Row:
        """Validate and create an outbound message (raises Twilio's errors as `Abort`); returns the record."""
        to = first(form, "To")
        if not to:
            raise fail(400, 21604)
        if not E164_RE.match(to):
            raise fail(400, 21211, f"Invalid 'To' Phone Number: {to}")
        from_, mg = first(form, "From") or None, first(form, "MessagingServiceSid") or None
        if from_ is not None and from_.startswith("MG"):
            if mg is not None and mg != from_:
                raise fail(400, 21705, f"The Messaging Service {from_} is invalid")
            mg, from_ = from_, None
        service = None if mg is None else SERVICES.table(st).get(mg)
        if mg is not None and service is None:
            raise fail(400, 21705, f"The Messaging Service {mg} is invalid")
        if from_ is not None and NUMBERS.table(st).find("phone_number", from_) is None:
            raise fail(400, 21606, f"The 'From' phone number provided ({from_}) is not a valid message-capable "
                                   "Twilio phone number for your account.")
        if from_ is None and service is None:
            raise fail(400, 21603)
        body, media = first(form, "Body") or "", [u for u in form.get("MediaUrl", []) if u]
        if not body and not media and not first(form, "ContentSid"):
            raise fail(400, 21602)
        if len(body) > MAX_CHARACTERS:
            raise fail(400, 21617)
        validity = integer(first(form, "ValidityPeriod"), "ValidityPeriod", 1, 36000)
        due = self._send_at(form, service)
        if any(f"{s}|{to}" in OPT_OUTS.table(st) for s in (mg, from_) if s is not None):
            raise fail(400, 21610)
        msg = self._message_record(account, body, media, from_, to, mg, "outbound-api", "queued")
        msg.update(_cb=first(form, "StatusCallback") or (service["status_callback"] if service else None),
                   _vp=validity or (service["validity_period"] if service else 36000),
                   _start=None, _fail=None, _fail_t=None, _sent=None, _rates=self.account_text_rates(st).as_dict(),
                   _reply_sid=None)
        if due is not None:
            msg.update({"status": "scheduled", "from": None})
            self._push(st, due, "due", msg["sid"])
        else:
            msg["status"] = "queued" if from_ else "accepted"
            self._plan(st, msg, self._now, creating=True)  # may raise 21611 / 21703 before anything is stored
            if from_:
                self._next_step(st, msg)
            else:
                self._push(st, self._now, "queue", msg["sid"])
        return MESSAGES.table(st).insert(msg)

    def _send_at(self, form: Form, service: Row | None) -> float | None:
        """The simulated time a scheduled message is due (None: not scheduled); see the package docstring."""
        schedule_type = first(form, "ScheduleType")
        if not schedule_type:
            return None
        if schedule_type != "fixed":
            raise fail(400, 35126, f"ScheduleType {schedule_type!r} is invalid; use 'fixed'")
        if service is None:
            raise fail(400, 35118)
        send_at = first(form, "SendAt")
        if not send_at:
            raise fail(400, 35111, "SendAt timestamp is missing: you must indicate SendAt if ScheduleType is 'fixed'")
        epoch = parse_datetime(send_at)
        delta = None if epoch is None else epoch - self._stamp()
        window = (f"SendAt time must be between {self.schedule_min:g} seconds and {self.schedule_max / DAY:g} days "
                  f"({self.schedule_max:g} seconds) in the future, inclusive.")
        if delta is None or delta > self.schedule_max:
            raise fail(400, 35115, window)
        if delta < self.schedule_min:
            raise fail(400, 35114, window)
        return self._now + delta

    def _message_record(self, account: str, body: str, media: list[str], from_: str | None, to: str,
                        service_sid: str | None, direction: str, status: str) -> Row:
        """A Message resource as the API shows it, with the simulator's own bookkeeping under ``_`` keys."""
        segments = segment_count(body)
        sid = self._new_sid("MM" if media else "SM", account)
        date, uri = self._rfc(self._now), f"/2010-04-01/Accounts/{account}/Messages/{sid}"
        return {
            "account_sid": account, "api_version": API_VERSION, "body": body, "date_created": date,
            "date_sent": None, "date_updated": date, "direction": direction, "error_code": None,
            "error_message": None, "from": from_, "messaging_service_sid": service_sid, "num_media": str(len(media)),
            "num_segments": str(segments), "price": None, "price_unit": "USD", "sid": sid, "status": status,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": to, "uri": f"{uri}.json", "_seg": segments, "_from": from_,
        }

    def _plan(self, st: State, msg: Row, t: float, *, creating: bool) -> None:
        """Reserve the message's place in its sender's queue (or decide why it fails), from time `t`.
        `creating`: during the create request, where a service without senders is a 21703 answer and an
        explicit ``From``'s overflow a 21611 one (through a service it fails after creation, 30001)."""
        direct = msg["_from"] is not None
        sender = msg["_from"]
        if sender is None:
            service = SERVICES.table(st).get(msg["messaging_service_sid"] or "")
            sender = None if service is None else self._pick_sender(st, service, msg["to"], msg["_seg"], t)
            if sender is None:
                if creating:
                    raise fail(400, 21703)
                msg["_fail"], msg["_fail_t"] = 30008, t
                return
            msg["_from"] = sender
        behaviour = self._behaviour.get(msg["to"])
        if behaviour is not None and behaviour[0] == "failed":
            msg["_fail"], msg["_fail_t"] = behaviour[1], t
            return
        fate = self.text_fate(msg)
        if behaviour is None and fate.status == "failed":
            msg["_fail"], msg["_fail_t"] = fate.error_code, t
            return
        start = max(st["queues"].get(sender, 0.0), t)
        duration = msg["_seg"] / self._sender_rate(st, sender)
        if start - t + duration > self.queue_limit_seconds:
            if direct and creating:
                raise fail(400, 21611)
            msg["_fail"], msg["_fail_t"] = 30001, t
        elif start - t > msg["_vp"]:
            msg["_fail"], msg["_fail_t"] = 30036, t + msg["_vp"]
        else:
            st["queues"][sender] = start + duration
            msg["_start"] = start

    def _pick_sender(self, st: State, service: Row, to: str, segments: int, t: float) -> str | None:
        senders = [r["phone_number"] for r in NUMBERS.table(st).where("service_sid", service["sid"])]
        if not senders:
            return None
        sticky: dict[str, str] | None = service["_sticky"] if service["sticky_sender"] else None
        if sticky is not None and sticky.get(to) in senders:
            return sticky[to]
        queues = st["queues"]
        best = min(senders, key=lambda s: max(queues.get(s, 0.0), t) + segments / self._sender_rate(st, s))
        if sticky is not None:
            sticky[to] = best
        return best

    def _next_step(self, st: State, msg: Row) -> None:
        failed = msg["_fail"] is not None
        self._push(st, msg["_fail_t"] if failed else msg["_start"], "fail" if failed else "send", msg["sid"])

    # -- transitions (the events of `advance`)

    def account_text_rates(self, st: State) -> TextRates:
        """The account's `TextRates` (``set_activity_rates``), else the simulator's."""
        return self.text_rates.updated(st.get("text_rates") or {})

    def text_fate(self, msg: Row) -> TextOutcome:
        """How an outbound text ends and whether its recipient replies (`hub.simulator.activity.text_outcome`,
        at the rates of its account when it was created; a number's `set_number_behaviour` wins)."""
        return text_outcome(msg["sid"], self.text_rates.updated(msg.get("_rates") or {}), self.seed)

    def _price(self, msg: Row) -> str:
        return f"-{msg['_seg'] * self.price_per_segment:.5f}"

    def _transition(self, account: str, msg: Row, status: str, t: float, error: int | None = None) -> None:
        msg["status"], msg["date_updated"] = status, self._rfc(t)
        if error is not None:
            msg["error_code"], msg["error_message"] = error, ERRORS.get(error)
        if msg["_cb"]:
            params = {"AccountSid": account, "ApiVersion": API_VERSION, "From": msg["from"] or "", "To": msg["to"],
                      "MessageSid": msg["sid"], "SmsSid": msg["sid"], "MessageStatus": status, "SmsStatus": status,
                      **({"MessagingServiceSid": msg["messaging_service_sid"]} if msg["messaging_service_sid"] else {}),
                      **({"ErrorCode": str(error)} if error is not None else {})}
            self._post_callback(account, "status", msg["_cb"], params, t)

    def _in(self, st: State, sid: str, *statuses: str) -> Row | None:
        """The message `sid` if it still is in one of `statuses` (an event for it may be stale)."""
        msg = MESSAGES.table(st).get(sid)
        return msg if msg is not None and msg["status"] in statuses else None

    def _on_queue(self, account: str, st: State, t: float, sid: str) -> None:
        if msg := self._in(st, sid, "accepted"):
            msg["from"] = msg["_from"]
            self._transition(account, msg, "queued", t)
            self._next_step(st, msg)

    def _on_due(self, account: str, st: State, t: float, sid: str) -> None:
        if msg := self._in(st, sid, "scheduled"):
            self._plan(st, msg, t, creating=False)
            msg["status"] = "accepted"
            self._on_queue(account, st, t, sid)

    def _on_send(self, account: str, st: State, t: float, sid: str) -> None:
        if msg := self._in(st, sid, "queued"):
            self._transition(account, msg, "sending", t)
            self._push(st, t + msg["_seg"] / self._sender_rate(st, msg["_from"]), "sent", sid)

    def _on_sent(self, account: str, st: State, t: float, sid: str) -> None:
        if msg := self._in(st, sid, "sending"):
            msg.update(_sent=self._epoch(t), date_sent=self._rfc(t), price=self._price(msg))
            self._transition(account, msg, "sent", t)
            self._push(st, t + self.delivery_delay, "final", sid)

    def _on_final(self, account: str, st: State, t: float, sid: str) -> None:
        if msg := self._in(st, sid, "sent"):
            behaviour = self._behaviour.get(msg["to"])
            fate = self.text_fate(msg) if msg["direction"] != "inbound" else TextOutcome()
            if behaviour is not None and behaviour[0] == "undelivered":
                self._transition(account, msg, "undelivered", t, behaviour[1])
            elif behaviour is None and fate.status == "undelivered":
                self._transition(account, msg, "undelivered", t, fate.error_code)
            else:
                self._transition(account, msg, "delivered", t)
                if fate.reply_after is not None:
                    self._push(st, t + fate.reply_after, "reply", sid)

    def _on_reply(self, account: str, st: State, t: float, sid: str) -> None:
        """The recipient of a delivered text answers it (from its number, to the number that sent it)."""
        msg = MESSAGES.table(st).get(sid)
        reply = self.text_fate(msg).reply if msg is not None else None
        if msg is None or reply is None or not msg["from"]:
            return
        try:
            answer = self._receive(account, st, msg["to"], msg["from"], reply, [])
        except ValueError:  # the sender is no longer the account's
            return
        msg["_reply_sid"] = answer["sid"]

    def _on_fail(self, account: str, st: State, t: float, sid: str) -> None:
        if msg := self._in(st, sid, "queued", "accepted"):
            msg["from"] = msg["from"] or msg["_from"]
            self._transition(account, msg, "failed", t, msg["_fail"])

    # -- inbound messages and opt-out

    def _receive(self, account: str, st: State, from_: str, to: str, body: str, media: list[str]) -> Row:
        """Record a message a contact sent to one of the account's numbers (or Messaging Services), apply
        opt-out keywords, call the inbound webhook and wake a Studio execution waiting for a reply."""
        numbers, by_service = NUMBERS.table(st), to.startswith("MG")
        if by_service and to not in SERVICES.table(st):
            raise ValueError(f"{to} is not a Messaging Service of account {account}")
        number = next(iter(numbers.where("service_sid", to)), None) if by_service else numbers.find("phone_number", to)
        if number is None:
            raise ValueError(f"Messaging Service {to} has no sender to receive on" if by_service
                             else f"{to} is not a phone number of account {account}")
        service_sid = number["service_sid"]
        keyword, opt_outs = body.strip().upper(), OPT_OUTS.table(st)
        opt_type = "STOP" if keyword in STOP_WORDS else "START" if keyword in START_WORDS else (
            "HELP" if keyword in HELP_WORDS else None)
        for sender in filter(None, (number["phone_number"], service_sid)):
            if opt_type == "STOP":
                opt_outs.insert({"id": f"{sender}|{from_}", "account": account, "sender": sender, "recipient": from_,
                                 "time": self._stamp()})
            elif opt_type == "START":
                opt_outs.pop(f"{sender}|{from_}", None)
        msg = self._message_record(account, body, media, from_, number["phone_number"], service_sid, "inbound",
                                   "received")
        msg.update(date_sent=msg["date_created"], price=self._price(msg), _cb=None, _sent=self._stamp())
        MESSAGES.table(st).insert(msg)
        service = SERVICES.table(st).get(service_sid or "")
        url = service["inbound_request_url"] if service and not service["use_inbound_webhook_on_number"] else (
            number["sms_url"])
        if url:
            sid = msg["sid"]
            params = {"AccountSid": account, "ApiVersion": API_VERSION, "MessageSid": sid, "SmsSid": sid,
                      "SmsMessageSid": sid, "SmsStatus": "received", "From": from_, "To": msg["to"], "Body": body,
                      "NumMedia": str(len(media)), "NumSegments": msg["num_segments"],
                      **({"MessagingServiceSid": service_sid} if service_sid else {}),
                      **{f"MediaUrl{i}": u for i, u in enumerate(media)},
                      **({"OptOutType": opt_type} if opt_type else {})}
            self._post_callback(account, "inbound", url, params, self._now)
        self._on_inbound(account, st, msg)
        return msg

    def _on_inbound(self, account: str, st: State, msg: Row) -> None:
        """A contact's message was received (Studio hands it to a waiting execution)."""

    # -- routes

    @route("POST", MESSAGES_PATH)
    def create_message(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        return 201, public(self._send_message(account, st, req.form()))

    @route("GET", MESSAGE_PATH)
    @route("POST", MESSAGE_PATH)
    @route("DELETE", MESSAGE_PATH)
    def handle_message(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        msg = MESSAGES.table(st).require(req.params["Sid"])
        if req.method == "DELETE":
            if msg["status"] in IN_PROGRESS:
                raise fail(400, 20009, f"Cannot delete message {msg['sid']}: its status is {msg['status']}")
            del MESSAGES.table(st)[msg["sid"]]
            return None
        if req.method == "POST":
            form = req.form()
            status, body = first(form, "Status"), first(form, "Body")
            if status is None and body is None:
                raise fail(400, 20001, "Missing required parameter Body or Status in the post body")
            if status is not None:
                if status != "canceled":
                    raise invalid("Status", status, " (only 'canceled' is allowed)")
                if msg["status"] != "scheduled":
                    raise fail(400, 30409)
                self._transition(account, msg, "canceled", self._now)
            if body is not None:
                if body != "":
                    raise fail(400, 20001, "Invalid parameter Body: a message can only be redacted (Body='')")
                msg.update(body="", date_updated=self._rfc(self._now))
        return public(msg)

    @route("GET", MESSAGES_PATH)
    def list_messages(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        filters = [(k, v) for k in ("To", "From", "DateSent", "DateSent<", "DateSent>") if (v := req.arg(k))]
        days: list[tuple[float, float]] = []  # DateSent filters compare whole UTC days
        for name, value in filters:
            if name.startswith("DateSent"):
                if (epoch := parse_datetime(value)) is None:
                    raise invalid(name, value)
                day = epoch - epoch % DAY
                days.append((-inf if name == "DateSent<" else day, inf if name == "DateSent>" else day + DAY))
        to, from_ = req.arg("To"), req.arg("From")
        rows = MESSAGES.table(st).where("to", to) if to else MESSAGES.table(st).values()
        items = [m for m in reversed(rows) if (not from_ or m["from"] == from_)
                 and all(m["_sent"] is not None and low <= m["_sent"] < high for low, high in days)]
        return envelope(req, "messages", items, public, filters=filters)
