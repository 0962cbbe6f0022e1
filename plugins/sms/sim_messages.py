"""Messages in the Twilio simulator: creation and validation, the per-sender send queues, the status
machine driven by the simulated clock, scheduling and cancelling, opt-out keywords, inbound messages and
the 2010-04-01 Messages routes.

Queue model: every sender (phone number or short code) has a "free at" time. A message of ``n`` segments
on a sender with ``mps`` segments per second starts sending at ``max(now, free_at)`` and is ``sent``
``n / mps`` seconds later, which becomes the sender's new ``free_at`` — O(1) per message, FIFO per sender.
A Messaging Service picks, among its senders, the one that would finish the message first (or, with
``sticky_sender``, the sender the recipient was sent from before). Transitions are events in a per-account
heap, applied lazily up to ``clock.now()`` whenever a request or helper looks at the account.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from hub.plugin import MAX_CHARACTERS, count_segments
from hub.simulator import SimRequest, route
from hub_sms.sim_shapes import (
    API_VERSION,
    MESSAGES,
    first,
    integer,
    is_e164,
    not_found_error,
    page_number,
    page_size,
    parse_datetime,
    public,
    tw_error,
    v2010_page,
)

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
IN_PROGRESS = frozenset({"accepted", "scheduled", "queued", "sending"})
MAX_BODY = MAX_CHARACTERS  # longer bodies are refused with 21617 (../shared/vendors/mailchimp-twilio.md §3.3)
DAY = 86400.0

MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid:.+\\.json}"


@functools.lru_cache(maxsize=4096)
def segment_count(body: str) -> int:
    """Segments of a message body (GSM-7 or UCS-2); a media-only or empty message counts as one."""
    return max(count_segments(body).segments, 1) if body else 1


class MessagesMixin:
    """Messages, their queues and transitions."""

    lock: Any
    schedule_min: float
    schedule_max: float
    queue_limit_seconds: float
    delivery_delay: float
    price_per_segment: float
    default_validity: int
    _behaviour: dict[str, tuple[str, int]]
    _now: float
    account_state: Callable[[str], dict[str, Any]]

    # provided by the simulator class and the other mixins
    _account_of: Callable[..., tuple[str, dict[str, Any]]]
    _rfc: Callable[[float], str | None]
    _epoch: Callable[[float], float]
    _push: Callable[..., None]
    _new_sid: Callable[..., str]
    _post_callback: Callable[..., None]
    _sender_rate: Callable[[dict[str, Any], str], float]
    advance: Callable[[str], None]
    _studio_inbound: Callable[[str, dict[str, Any], dict[str, Any]], None]  # StudioMixin

    # ------------------------------------------------------------------ creation

    def _send_message(self, account: str, st: dict[str, Any], form: dict[str, list[str]]) -> dict[str, Any]:
        """Validate and create an outbound message (raises Twilio's errors as `Abort`); returns the record."""
        now = self._now
        to = first(form, "To")
        if not to:
            raise tw_error(400, 21604)
        if not is_e164(to):
            raise tw_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        from_ = first(form, "From") or None
        mg = first(form, "MessagingServiceSid") or None
        if from_ is not None and from_.startswith("MG"):
            if mg is not None and mg != from_:
                raise tw_error(400, 21705, f"The Messaging Service {from_} is invalid")
            mg, from_ = from_, None
        service = None
        if mg is not None:
            service = st["services"].get(mg)
            if service is None:
                raise tw_error(400, 21705, f"The Messaging Service {mg} is invalid")
        if from_ is not None and (from_ not in st["numbers"]):
            raise tw_error(
                400,
                21606,
                f"The 'From' phone number provided ({from_}) is not a valid message-capable Twilio phone number "
                "for your account.",
            )
        if from_ is None and service is None:
            raise tw_error(400, 21603)
        body = first(form, "Body") or ""
        media = [u for u in form.get("MediaUrl", []) if u]
        if not body and not media and not first(form, "ContentSid"):
            raise tw_error(400, 21602)
        if len(body) > MAX_BODY:
            raise tw_error(400, 21617)
        validity = integer(first(form, "ValidityPeriod"), "ValidityPeriod", 1, 36000)
        if validity is None:
            validity = int(service["validity_period"]) if service is not None else self.default_validity

        due: float | None = None
        schedule_type = first(form, "ScheduleType")
        if schedule_type:
            if schedule_type != "fixed":
                raise tw_error(400, 35126, f"ScheduleType {schedule_type!r} is invalid; use 'fixed'")
            if service is None:
                raise tw_error(400, 35118)
            send_at = first(form, "SendAt")
            if not send_at:
                raise tw_error(
                    400, 35111, "SendAt timestamp is missing: you must indicate SendAt if ScheduleType is 'fixed'"
                )
            epoch = parse_datetime(send_at)
            window = (
                f"SendAt time must be between {self.schedule_min:g} seconds and {self.schedule_max / DAY:g} days "
                f"({self.schedule_max:g} seconds) in the future, inclusive."
            )
            if epoch is None:
                raise tw_error(400, 35115, window)
            delta = epoch - self._epoch(now)
            if delta < self.schedule_min:
                raise tw_error(400, 35114, window)
            if delta > self.schedule_max:
                raise tw_error(400, 35115, window)
            due = now + delta

        opt_outs = st["opt_outs"]
        if opt_outs and (
            (mg is not None and f"{mg}|{to}" in opt_outs) or (from_ is not None and f"{from_}|{to}" in opt_outs)
        ):
            raise tw_error(400, 21610)

        callback = first(form, "StatusCallback") or (service["status_callback"] if service is not None else None)
        msg = self._message_record(account, now, body, media, from_, to, mg, "outbound-api", "queued")
        sid = msg["sid"]
        msg.update({"_cb": callback, "_vp": validity, "_start": None, "_fail": None, "_fail_t": None, "_sent": None})
        if due is not None:
            msg["status"] = "scheduled"
            msg["from"] = None
        elif from_ is not None:
            self._plan(st, msg, now, direct=True, creating=True)  # may raise 21611 before anything is stored
        else:
            msg["status"] = "accepted"
            self._plan(st, msg, now, direct=False, creating=True)
        self._store(st, msg)
        if due is not None:
            self._push(st, due, "due", sid)
        elif from_ is not None:
            self._next_step(st, msg)
        else:
            self._push(st, now, "queue", sid)
        return msg

    def _message_record(self, account: str, now: float, body: str, media: list[str], from_: str | None, to: str,
                        service_sid: str | None, direction: str, status: str) -> dict[str, Any]:
        """A Message resource as the API shows it, with the simulator's own bookkeeping under ``_`` keys."""
        segments = segment_count(body)
        sid = self._new_sid("MM" if media else "SM", account)
        date = self._rfc(now)
        uri = f"/2010-04-01/Accounts/{account}/Messages/{sid}"
        return {
            "account_sid": account,
            "api_version": API_VERSION,
            "body": body,
            "date_created": date,
            "date_sent": None,
            "date_updated": date,
            "direction": direction,
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service_sid,
            "num_media": str(len(media)),
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": to,
            "uri": f"{uri}.json",
            "_t": now,
            "_seg": segments,
            "_from": from_,
            "_media": media,
        }

    def _store(self, st: dict[str, Any], msg: dict[str, Any]) -> None:
        order = st["order"]
        msg["_i"] = len(order)
        order.append(msg["sid"])
        st["messages"][msg["sid"]] = msg

    def _plan(self, st: dict[str, Any], msg: dict[str, Any], t: float, *, direct: bool, creating: bool) -> None:
        """Reserve the message's place in its sender's queue (or decide why it fails), from time `t`.
        `direct`: sent from an explicit ``From`` (overflow is a 21611 answer, not a failed message);
        `creating`: during the create request (a service without senders is a 21703 answer)."""
        sender = msg["_from"]
        if sender is None:
            service = st["services"].get(msg["messaging_service_sid"] or "")
            sender = self._pick_sender(st, service, msg["to"], msg["_seg"], t) if service is not None else None
            if sender is None:
                if creating:
                    raise tw_error(400, 21703)
                msg["_fail"], msg["_fail_t"] = 30008, t
                return
            msg["_from"] = sender
        behaviour = self._behaviour.get(msg["to"])
        if behaviour is not None and behaviour[0] == "failed":
            msg["_fail"], msg["_fail_t"] = behaviour[1], t
            return
        queues = st["queues"]
        free = queues.get(sender, 0.0)
        start = free if free > t else t
        duration = msg["_seg"] / self._sender_rate(st, sender)
        if start - t + duration > self.queue_limit_seconds:
            if direct:
                raise tw_error(400, 21611)
            msg["_fail"], msg["_fail_t"] = 30001, t  # a Messaging Service's overflow fails after creation
            return
        if start - t > msg["_vp"]:
            msg["_fail"], msg["_fail_t"] = 30036, t + msg["_vp"]
            return
        queues[sender] = start + duration
        msg["_start"] = start

    def _pick_sender(self, st: dict[str, Any], service: dict[str, Any], to: str, segments: int, t: float) -> str | None:
        senders: list[str] = service["_senders"]
        if not senders:
            return None
        sticky: dict[str, str] | None = service["_sticky"] if service["sticky_sender"] else None
        if sticky is not None:
            chosen = sticky.get(to)
            if chosen is not None and st["numbers"].get(chosen, {}).get("service_sid") == service["sid"]:
                return chosen
        queues = st["queues"]
        best, best_finish = None, float("inf")
        for sender in senders:
            free = queues.get(sender, 0.0)
            finish = (free if free > t else t) + segments / self._sender_rate(st, sender)
            if finish < best_finish:
                best, best_finish = sender, finish
        if sticky is not None and best is not None:
            sticky[to] = best
        return best

    def _next_step(self, st: dict[str, Any], msg: dict[str, Any]) -> None:
        if msg["_fail"] is not None:
            self._push(st, msg["_fail_t"], "fail", msg["sid"])
        else:
            self._push(st, msg["_start"], "send", msg["sid"])

    # ------------------------------------------------------------------ transitions (event handlers)

    def _transition(
        self, account: str, st: dict[str, Any], msg: dict[str, Any], status: str, t: float, error: int | None = None
    ) -> None:
        msg["status"] = status
        msg["date_updated"] = self._rfc(t)
        if error is not None:
            msg["error_code"] = error
            msg["error_message"] = MESSAGES.get(error)
        url = msg["_cb"]
        if url:
            params = {
                "AccountSid": account,
                "ApiVersion": API_VERSION,
                "From": msg["from"] or "",
                "To": msg["to"],
                "MessageSid": msg["sid"],
                "SmsSid": msg["sid"],
                "MessageStatus": status,
                "SmsStatus": status,
            }
            if msg["messaging_service_sid"]:
                params["MessagingServiceSid"] = msg["messaging_service_sid"]
            if error is not None:
                params["ErrorCode"] = str(error)
            self._post_callback(account, "status", url, params, t)

    def _on_queue(self, account: str, st: dict[str, Any], t: float, sid: str) -> None:
        msg = st["messages"].get(sid)
        if msg is None or msg["status"] != "accepted":
            return
        msg["from"] = msg["_from"]
        self._transition(account, st, msg, "queued", t)
        self._next_step(st, msg)

    def _on_due(self, account: str, st: dict[str, Any], t: float, sid: str) -> None:
        msg = st["messages"].get(sid)
        if msg is None or msg["status"] != "scheduled":
            return
        self._plan(st, msg, t, direct=False, creating=False)
        msg["from"] = msg["_from"]
        self._transition(account, st, msg, "queued", t)
        self._next_step(st, msg)

    def _on_send(self, account: str, st: dict[str, Any], t: float, sid: str) -> None:
        msg = st["messages"].get(sid)
        if msg is None or msg["status"] != "queued":
            return
        self._transition(account, st, msg, "sending", t)
        self._push(st, t + msg["_seg"] / self._sender_rate(st, msg["_from"]), "sent", sid)

    def _on_sent(self, account: str, st: dict[str, Any], t: float, sid: str) -> None:
        msg = st["messages"].get(sid)
        if msg is None or msg["status"] != "sending":
            return
        epoch = self._epoch(t)
        msg["_sent"] = epoch
        msg["date_sent"] = self._rfc(t)
        msg["price"] = f"-{msg['_seg'] * self.price_per_segment:.5f}"
        self._transition(account, st, msg, "sent", t)
        self._push(st, t + self.delivery_delay, "final", sid)

    def _on_final(self, account: str, st: dict[str, Any], t: float, sid: str) -> None:
        msg = st["messages"].get(sid)
        if msg is None or msg["status"] != "sent":
            return
        behaviour = self._behaviour.get(msg["to"])
        if behaviour is not None and behaviour[0] == "undelivered":
            self._transition(account, st, msg, "undelivered", t, behaviour[1])
        else:
            self._transition(account, st, msg, "delivered", t)

    def _on_fail(self, account: str, st: dict[str, Any], t: float, sid: str) -> None:
        msg = st["messages"].get(sid)
        if msg is None or msg["status"] not in ("queued", "accepted"):
            return
        if msg["from"] is None:
            msg["from"] = msg["_from"]
        self._transition(account, st, msg, "failed", t, msg["_fail"])

    # ------------------------------------------------------------------ inbound messages and opt-out

    def _receive(
        self, account: str, st: dict[str, Any], from_: str, to: str, body: str, media: list[str]
    ) -> dict[str, Any]:
        """Record a message a contact sent to one of the account's numbers (or Messaging Services), apply
        opt-out keywords, call the inbound webhook and wake a Studio execution waiting for a reply."""
        now = self._now
        service_sid: str | None = None
        number = to
        if to.startswith("MG"):
            service = st["services"].get(to)
            if service is None:
                raise ValueError(f"{to} is not a Messaging Service of account {account}")
            if not service["_senders"]:
                raise ValueError(f"Messaging Service {to} has no sender to receive on")
            service_sid, number = to, service["_senders"][0]
        else:
            record = st["numbers"].get(to)
            if record is None:
                raise ValueError(f"{to} is not a phone number of account {account}")
            service_sid = record.get("service_sid")
        keyword = body.strip().upper()
        opt_type: str | None = None
        keys = [f"{number}|{from_}"] + ([f"{service_sid}|{from_}"] if service_sid else [])
        if keyword in STOP_WORDS:
            opt_type = "STOP"
            for key in keys:
                st["opt_outs"][key] = self._epoch(now)
        elif keyword in START_WORDS:
            opt_type = "START"
            for key in keys:
                st["opt_outs"].pop(key, None)
        elif keyword in HELP_WORDS:
            opt_type = "HELP"
        msg = self._message_record(account, now, body, media, from_, number, service_sid, "inbound", "received")
        sid = msg["sid"]
        msg.update({"date_sent": msg["date_created"], "price": f"-{msg['_seg'] * self.price_per_segment:.5f}",
                    "_cb": None, "_sent": self._epoch(now), "_opt": opt_type})
        self._store(st, msg)
        url = self._inbound_url(st, number, service_sid)
        if url:
            params = {
                "AccountSid": account,
                "ApiVersion": API_VERSION,
                "MessageSid": sid,
                "SmsSid": sid,
                "SmsMessageSid": sid,
                "SmsStatus": "received",
                "From": from_,
                "To": number,
                "Body": body,
                "NumMedia": str(len(media)),
                "NumSegments": msg["num_segments"],
            }
            if service_sid:
                params["MessagingServiceSid"] = service_sid
            for i, media_url in enumerate(media):
                params[f"MediaUrl{i}"] = media_url
            if opt_type:
                params["OptOutType"] = opt_type
            self._post_callback(account, "inbound", url, params, now)
        self._studio_inbound(account, st, msg)
        return msg

    def _inbound_url(self, st: dict[str, Any], number: str, service_sid: str | None) -> str | None:
        record = st["numbers"].get(number, {})
        if service_sid:
            service = st["services"].get(service_sid)
            if service is not None and not service["use_inbound_webhook_on_number"]:
                return service["inbound_request_url"]
        return record.get("sms_url")

    # ------------------------------------------------------------------ routes

    def _message(self, req: SimRequest, st: dict[str, Any]) -> dict[str, Any]:
        msg = st["messages"].get(req.params["Sid"])
        if msg is None:
            raise not_found_error(req.path)
        return msg

    @route("POST", MESSAGES_PATH)
    def create_message(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        msg = self._send_message(account, st, req.form())
        return 201, public(msg)

    @route("GET", MESSAGE_PATH)
    def fetch_message(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        return 200, public(self._message(req, st))

    @route("POST", MESSAGE_PATH)
    def update_message(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        msg = self._message(req, st)
        form = req.form()
        status = first(form, "Status")
        body = first(form, "Body")
        if status is None and body is None:
            raise tw_error(400, 20001, "Missing required parameter Body or Status in the post body")
        if status is not None:
            if status != "canceled":
                raise tw_error(400, 20001, f"Invalid parameter Status: {status!r} (only 'canceled' is allowed)")
            if msg["status"] != "scheduled":
                raise tw_error(400, 30409)
            self._transition(account, st, msg, "canceled", self._now)
        if body is not None:
            if body != "":
                raise tw_error(400, 20001, "Invalid parameter Body: a message can only be redacted (Body='')")
            msg["body"] = ""
            msg["date_updated"] = self._rfc(self._now)
        return 200, public(msg)

    @route("DELETE", MESSAGE_PATH)
    def delete_message(self, req: SimRequest) -> Any:
        _, st = self._account_of(req)
        msg = self._message(req, st)
        if msg["status"] in IN_PROGRESS:
            raise tw_error(400, 20009, f"Cannot delete message {msg['sid']}: its status is {msg['status']}")
        del st["messages"][msg["sid"]]
        st["order"][msg["_i"]] = None
        return 204, None

    @route("GET", MESSAGES_PATH)
    def list_messages(self, req: SimRequest) -> Any:
        account, st = self._account_of(req)
        filters: list[tuple[str, str]] = []
        to, from_ = req.arg("To"), req.arg("From")
        day_ranges: list[tuple[float, float]] = []
        for name in ("To", "From", "DateSent", "DateSent<", "DateSent>"):
            value = req.arg(name)
            if value is None or value == "":
                continue
            filters.append((name, value))
            if name.startswith("DateSent"):
                epoch = parse_datetime(value)
                if epoch is None:
                    raise tw_error(400, 20001, f"Invalid parameter {name}: {value!r}")
                day = epoch - epoch % DAY
                if name == "DateSent":
                    day_ranges.append((day, day + DAY))
                elif name == "DateSent<":
                    day_ranges.append((float("-inf"), day + DAY))
                else:
                    day_ranges.append((day, float("inf")))

        def keep(msg: dict[str, Any]) -> bool:
            if to and msg["to"] != to:
                return False
            if from_ and msg["from"] != from_:
                return False
            if day_ranges:
                sent = msg["_sent"]
                if sent is None:
                    return False
                for low, high in day_ranges:
                    if not low <= sent < high:
                        return False
            return True

        size = page_size(req)
        page = page_number(req)
        messages = st["messages"]
        order: list[str | None] = st["order"]
        token = req.arg("PageToken") or ""
        anchor = messages.get(token[2:]) if len(token) > 2 and token[:2] in ("PA", "PB") else None
        items: list[dict[str, Any]] = []
        if anchor is not None and token[:2] == "PB":  # the page of newer records before the anchor
            index = anchor["_i"] + 1
            while index < len(order) and len(items) <= size:
                sid = order[index]
                if sid is not None and keep(messages[sid]):
                    items.append(messages[sid])
                index += 1
            has_previous = len(items) > size
            items = items[:size][::-1]
            has_next = True
        else:
            index = anchor["_i"] - 1 if anchor is not None else len(order) - 1
            skip = 0 if anchor is not None else page * size
            while index >= 0 and len(items) <= size:
                sid = order[index]
                index -= 1
                if sid is None or not keep(messages[sid]):
                    continue
                if skip:
                    skip -= 1
                    continue
                items.append(messages[sid])
            has_next = len(items) > size
            items = items[:size]
            has_previous = page > 0
        return 200, v2010_page(
            req,
            "messages",
            f"/2010-04-01/Accounts/{account}/Messages.json",
            filters,
            items,
            sid_of=lambda m: m["sid"],
            render=public,
            page=page,
            size=size,
            has_next=has_next,
            has_previous=has_previous,
        )
