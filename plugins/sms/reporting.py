"""Twilio's messages as hub's figures for the texts of one SMS campaign or step (`hub report`): pure, no I/O.

Twilio keeps no campaigns: hub's delivery ledger says which texts (message SIDs) a campaign or a runner's step sent,
to whom; Twilio's Message resource says how each ended (`status`, `error_code`) and what it cost (`price`, a negative
decimal string in `price_unit`, null until the carrier took it), and its inbound messages are the recipients'
replies. Figures are of recipients (one text each per campaign). Replies and STOPs are a recipient's inbound texts
within `REPLY_WINDOW` of the text hub sent them, counted for the latest text sent to that number before the reply
(among those read together).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from hub.plugin import Delivery, Metric, Result, Sent

REPORTS: Mapping[Metric, str] = {
    Metric.SENT: "Message.status in sent, delivered, undelivered (outbound texts the carrier took)",
    Metric.DELIVERED: "Message.status = delivered",
    Metric.FAILED: "Message.status in undelivered, failed (error_code); texts Twilio refused when hub sent them",
    Metric.COST: "Σ |Message.price| of the outbound texts, in Message.price_unit",
    Metric.REPLIES: "inbound Messages from a recipient within 3 days of their text",
    Metric.UNSUBSCRIBES: "inbound STOP-word Messages within 3 days of the text; texts refused with error 21610",
}
# hub's choice: a reply later than this is a new conversation, not an answer to the campaign (and the window after
# which a campaign's texts, all final and priced, are settled)
REPLY_WINDOW = timedelta(days=3)
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
HANDED = ("sent", "delivered", "undelivered")  # the carrier took it (Twilio prices these)
FAILED = ("undelivered", "failed")
FINAL = ("delivered", "undelivered", "failed", "canceled")  # Twilio statuses that never change again
REFUSED = ("invalid", "failed")  # ledger rows of texts Twilio refused when asked to send them (no SID)
SETTLED_ROWS = ("invalid", "failed", "opted_out", "canceled")  # ledger rows without a text that will never have one
OPTED_OUT_CODE = "21610"


@dataclass(frozen=True)
class Message:
    """One Twilio message, as its JSON (or the SDK's attributes) gives it."""

    sid: str
    direction: str
    sender: str
    to: str
    body: str
    status: str
    price: float | None  # what it cost (Twilio's negative price, made positive); None until known
    price_unit: str
    error_code: int | None
    sent_at: datetime | None

    @property
    def inbound(self) -> bool:
        return self.direction == "inbound"

    @property
    def stop(self) -> bool:
        return self.body.strip().upper() in STOP_WORDS


def _time(value: Any) -> datetime | None:
    """Twilio's times: RFC 2822 in its JSON ("Wed, 18 Aug 2010 20:01:40 +0000"), datetimes from the SDK."""
    if isinstance(value, datetime):
        when = value
    elif not value:
        return None
    else:
        try:
            when = parsedate_to_datetime(str(value))
        except (TypeError, ValueError):
            try:
                when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _price(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return abs(float(value))
    except (TypeError, ValueError):
        return None


def message(data: Mapping[str, Any]) -> Message:
    """A Message resource's JSON (keys as Twilio's API names them: "from", "date_sent", ...) as a `Message`."""
    code = data.get("error_code")
    return Message(sid=str(data.get("sid") or ""), direction=str(data.get("direction") or ""),
                   sender=str(data.get("from") or ""), to=str(data.get("to") or ""), body=str(data.get("body") or ""),
                   status=str(data.get("status") or ""), price=_price(data.get("price")),
                   price_unit=str(data.get("price_unit") or ""),
                   error_code=int(code) if code not in (None, "") else None,
                   sent_at=_time(data.get("date_sent")) or _time(data.get("date_created")))


def _row_time(row: Delivery) -> datetime | None:
    return _time(row.send_at) or _time(row.created_at)


def text_time(row: Delivery, msg: Message | None) -> datetime | None:
    """When a text went out: Twilio's `date_sent`, else when hub sent (or scheduled) it."""
    return (msg.sent_at if msg is not None else None) or _row_time(row)


def replies(texts: Mapping[str, Sequence[tuple[str, datetime]]], inbound: Iterable[Message],
            window: timedelta = REPLY_WINDOW) -> dict[str, tuple[set[str], set[str]]]:
    """Per campaign (`texts`: campaign -> (number, when its text went out)), the numbers that replied and those that
    replied STOP: an inbound text counts for the latest text to its number before it, if within `window`."""
    sends = sorted((when, number, campaign) for campaign, pairs in texts.items() for number, when in pairs)
    out: dict[str, tuple[set[str], set[str]]] = {campaign: (set(), set()) for campaign in texts}
    for msg in inbound:
        if not msg.inbound or msg.sent_at is None:
            continue
        before = [(when, campaign) for when, number, campaign in sends
                  if number == msg.sender and when <= msg.sent_at <= when + window]
        if before:
            replied, stopped = out[max(before)[1]]
            replied.add(msg.sender)
            if msg.stop:
                stopped.add(msg.sender)
    return out


def figures(rows: Iterable[Delivery], messages: Mapping[str, Message], replied: set[str],
            stopped: set[str]) -> tuple[dict[Metric, float], str]:
    """A campaign's figures from its ledger rows, what Twilio shows of their texts (by SID; a text Twilio was not
    asked about counts as the ledger last recorded it) and who replied; and the currency of its cost."""
    got = dict.fromkeys(REPORTS, 0.0)
    units = set()
    opted_out = set(stopped)
    for row in rows:
        msg = messages.get(row.message_id) if row.message_id else None
        status = msg.status if msg is not None else row.status
        if not row.message_id:
            got[Metric.FAILED] += row.status in REFUSED
            if row.status == "opted_out" and row.detail.startswith(OPTED_OUT_CODE):
                opted_out.add(row.recipient)
            continue
        got[Metric.SENT] += status in HANDED
        got[Metric.DELIVERED] += status == "delivered"
        got[Metric.FAILED] += status in FAILED
        if msg is not None and msg.price is not None:
            got[Metric.COST] += msg.price
            units.add(msg.price_unit)
    got[Metric.COST] = round(got[Metric.COST], 5)
    got[Metric.REPLIES] = float(len(replied))
    got[Metric.UNSUBSCRIBES] = float(len(opted_out))
    return got, next(iter(sorted(units - {""})), "")


def settled(rows: Iterable[Delivery], messages: Mapping[str, Message], now: datetime,
            window: timedelta = REPLY_WINDOW) -> bool:
    """Nothing can change any more: every text in a final status at Twilio, priced when the carrier took it, none
    still to send, and the reply window after the last one over."""
    last: datetime | None = None
    for row in rows:
        if not row.message_id:
            if row.status not in SETTLED_ROWS:
                return False
            continue
        msg = messages.get(row.message_id)
        if msg is None or msg.status not in FINAL or (msg.status in HANDED and msg.price is None):
            return False
        when = text_time(row, msg)
        last = max(last, when) if last and when else (when or last)
    return last is None or now - last >= window


def result(sent: Sent, rows: Sequence[Delivery], messages: Mapping[str, Message], replied: set[str],
           stopped: set[str], now: datetime, window: timedelta = REPLY_WINDOW) -> Result:
    """One campaign's (or step's) `Result`, on the day its first text went out."""
    got, currency = figures(rows, messages, replied, stopped)
    times = [t for row in rows if (t := text_time(row, messages.get(row.message_id))) is not None]
    day = (min(times) if times else sent.sent_at or now).astimezone(UTC).date()
    return Result(sent, day, got, currency, settled=settled(rows, messages, now, window))
