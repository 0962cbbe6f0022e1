"""Believable recipient activity for simulated email campaigns, decided by seeded hashes and spread over time.

Real recipients bounce a few sends, open some emails, click fewer, and now and then unsubscribe or report the
email as spam; they do it over hours and days, not at the instant of sending. A simulator decides all of it
the same way every time for the same campaign and address (hashes of simulator seed, campaign id and address,
never a random draw), so a test can predict it, and a report summed from per-recipient activity matches the
campaign's counters at any moment.

- `ActivityRates`: the shares (per simulated account; the ``set_activity_rates`` controls change them):
  ``open_rate`` 0.4 and ``click_rate`` 0.1 of all recipients (every clicker opened), ``hard_bounce_rate`` 0.01,
  ``soft_bounce_rate`` 0.02, ``unsubscribe_rate`` 0.005, ``complaint_rate`` 0.001 of all recipients (both drawn
  among openers: who unsubscribes or complains opened the email), ``machine_open_share`` 0.3 of openers who do
  not click (Apple Mail Privacy Protection and security scanners: an open with no reader), ``purchase_share``
  0.15 of clickers, for ``average_order`` 45.0 on average. A bounced recipient does nothing else.
- `recipient_outcome`: what one recipient will do and when (seconds after the send): a bounce within minutes
  (hard: 5-600 s, soft: 1-60 min), a machine open within 15 minutes, a reader's open within hours for most
  (70%: exponential, mean 2 h) and over the following days for the rest, a click 10 s-15 min after the open,
  an unsubscribe or complaint 30 s-30 min after it, an order 1-60 min after the click; everything before
  `ACTIVITY_WINDOW` (3 days). A simulator's ``activity_window`` option rescales these times (0: everything
  at the send).
- `Outcome.as_of`: what of it has happened some seconds after the send (an `Activity`); `tally` sums a
  campaign's into the counts `hub report` normalises to (`TALLY_KEYS`).
- `Outcome.effect`: how it changes the contact at the vendor (hard bounce, unsubscribe, complaint) and when;
  `pending_effects` lists a campaign's, for a simulator to apply once their time has come.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

DEFAULT_OPEN_RATE = 0.4
DEFAULT_CLICK_RATE = 0.1  # of all recipients; every clicker opened
ACTIVITY_WINDOW = 3 * 86400.0  # seconds after a send by which every recipient has done what they will
HOUR = 3600.0

# what `tally` counts; the names are `hub.report.figures.Metric`'s where one exists
TALLY_KEYS = ("sent", "delivered", "bounced_hard", "bounced_soft", "opens", "opens_adjusted", "clicks",
              "unsubscribes", "complaints", "orders", "revenue")


@dataclass(frozen=True)
class ActivityRates:
    """Shares of a campaign's recipients (see the module docstring); `average_order` is an amount."""

    open_rate: float = DEFAULT_OPEN_RATE
    click_rate: float = DEFAULT_CLICK_RATE
    hard_bounce_rate: float = 0.01
    soft_bounce_rate: float = 0.02
    unsubscribe_rate: float = 0.005
    complaint_rate: float = 0.001
    machine_open_share: float = 0.3
    purchase_share: float = 0.15
    average_order: float = 45.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
                raise ValueError(f"{f.name} must be a number, not {value!r}")
            if f.name != "average_order" and not 0 <= value <= 1:
                raise ValueError(f"{f.name} is a share of the recipients, from 0 to 1 (got {value})")
        if self.average_order < 0:
            raise ValueError("average_order must not be negative")
        if self.hard_bounce_rate + self.soft_bounce_rate > 1:
            raise ValueError("hard_bounce_rate + soft_bounce_rate must not exceed 1")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def updated(self, given: Mapping[str, Any]) -> ActivityRates:
        """These rates with those `given` (None values ignored; unknown names refused), validated."""
        unknown = set(given) - set(self.names())
        if unknown:
            raise ValueError(f"unknown rate(s): {', '.join(sorted(unknown))}; known: {', '.join(self.names())}")
        return replace(self, **{k: float(v) for k, v in given.items() if v is not None})

    @classmethod
    def from_state(cls, saved: Any, default: ActivityRates | None = None) -> ActivityRates:
        """Rates saved in a simulator's state (a dict of some names, or the old ``[open, click]`` pair)."""
        base = default or cls()
        if isinstance(saved, list | tuple) and len(saved) == 2:
            return base.updated({"open_rate": saved[0], "click_rate": saved[1]})
        if isinstance(saved, Mapping):
            return base.updated({k: v for k, v in saved.items() if k in cls.names()})
        return base

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Activity:
    """What one recipient has done with a campaign by some moment; ``*_at`` are seconds after the send."""

    opened: bool
    clicked: bool
    hard_bounced: bool = False
    soft_bounced: bool = False
    unsubscribed: bool = False
    complained: bool = False
    machine_open: bool = False  # the open is a privacy proxy's or a scanner's, not a reader's
    ordered: bool = False
    revenue: float = 0.0
    bounced_at: float | None = None
    opened_at: float | None = None
    clicked_at: float | None = None
    unsubscribed_at: float | None = None
    complained_at: float | None = None
    ordered_at: float | None = None

    @property
    def bounced(self) -> bool:
        return self.hard_bounced or self.soft_bounced


@dataclass(frozen=True)
class Outcome:
    """Everything one recipient will do with a campaign, each at its time (seconds after the send, on the
    `ACTIVITY_WINDOW` scale). None: never."""

    bounce: str | None = None  # "hard" or "soft"
    bounce_at: float | None = None
    open_at: float | None = None
    machine_open: bool = False
    click_at: float | None = None
    unsubscribe_at: float | None = None
    complaint_at: float | None = None
    order_at: float | None = None
    order_amount: float = 0.0

    def as_of(self, elapsed: float, window: float = ACTIVITY_WINDOW) -> Activity:
        """What has happened `elapsed` seconds after the send, when the vendor's activity spans `window`
        seconds (times in the answer are on that scale too)."""
        scale = window / ACTIVITY_WINDOW

        def when(t: float | None) -> float | None:
            return None if t is None or t * scale > elapsed else t * scale

        bounced, opened, clicked = when(self.bounce_at), when(self.open_at), when(self.click_at)
        unsub, complaint, order = when(self.unsubscribe_at), when(self.complaint_at), when(self.order_at)
        return Activity(
            opened=opened is not None, clicked=clicked is not None,
            hard_bounced=bounced is not None and self.bounce == "hard",
            soft_bounced=bounced is not None and self.bounce == "soft",
            unsubscribed=unsub is not None, complained=complaint is not None,
            machine_open=opened is not None and self.machine_open, ordered=order is not None,
            revenue=self.order_amount if order is not None else 0.0, bounced_at=bounced, opened_at=opened,
            clicked_at=clicked, unsubscribed_at=unsub, complained_at=complaint, ordered_at=order)

    def times(self) -> list[float]:
        """Every moment something happens (window scale)."""
        return [t for t in (self.bounce_at, self.open_at, self.click_at, self.unsubscribe_at, self.complaint_at,
                            self.order_at) if t is not None]

    def effect(self) -> tuple[str, float] | None:
        """How the recipient's standing at the vendor changes, and when (window scale): "bounced" (a hard
        bounce), "unsubscribed" or "complained"; None when it does not (a soft bounce changes nothing)."""
        if self.bounce == "hard" and self.bounce_at is not None:
            return "bounced", self.bounce_at
        if self.complaint_at is not None:
            return "complained", self.complaint_at
        if self.unsubscribe_at is not None:
            return "unsubscribed", self.unsubscribe_at
        return None


def _key(campaign_id: str, seed: int) -> str:
    # seed 0 keeps the draws simulators made before seeds counted (tests pinned on them stay valid)
    return f"{seed}:{campaign_id}" if seed else campaign_id


def _draw(campaign_id: str, email: str) -> float:
    digest = hashlib.sha256(f"{campaign_id}\0{email.strip().lower()}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _draws(key: str, email: str, purpose: str) -> tuple[float, float, float, float]:
    digest = hashlib.sha256(f"{key}\0{email.strip().lower()}\0{purpose}".encode()).digest()
    a, b, c, d = (int.from_bytes(digest[i:i + 8], "big") / 2**64 for i in range(0, 32, 8))
    return a, b, c, d


def _reader_open_delay(bucket: float, position: float) -> float:
    """Most readers open within hours (exponential, mean 2 h, at most ~9 h); the rest over the next days,
    ending an hour before the window so that their clicks and unsubscribes still fit in it."""
    if bucket < 0.7:
        return 60.0 + 2 * HOUR * -math.log(1.0 - 0.99 * position)
    return 12 * HOUR + position * (ACTIVITY_WINDOW - 13 * HOUR)


@functools.lru_cache(maxsize=262_144)  # every recipient of a few large sends: a campaign's stats read them all
def recipient_outcome(campaign_id: str, email: str, rates: ActivityRates = ActivityRates(), seed: int = 0) -> Outcome:
    """Everything the recipient `email` will do with campaign `campaign_id`, and when: fixed per seed, campaign,
    address and rates."""
    key = _key(campaign_id, seed)
    u_bounce, u_leave, u_machine, u_buy = _draws(key, email, "outcome")
    t_bucket, t_open, t_click, t_after = _draws(key, email, "timing")
    last = ACTIVITY_WINDOW - 1.0
    if u_bounce < rates.hard_bounce_rate:
        return Outcome(bounce="hard", bounce_at=5.0 + t_after * 595.0)
    if u_bounce < rates.hard_bounce_rate + rates.soft_bounce_rate:
        return Outcome(bounce="soft", bounce_at=60.0 + t_after * 3540.0)
    x = _draw(key, email)
    if x >= rates.open_rate:
        return Outcome()
    clicked = x < min(rates.click_rate, rates.open_rate)
    machine = not clicked and u_machine < rates.machine_open_share
    open_at = 1.0 + t_open * 899.0 if machine else _reader_open_delay(t_bucket, t_open)
    click_at = min(open_at + 10.0 + t_click * 890.0, last) if clicked else None
    # unsubscribes and complaints are drawn among openers so that their share of all recipients is the rate
    complain = rates.complaint_rate / rates.open_rate
    leave = rates.unsubscribe_rate / rates.open_rate
    left_at = min(open_at + 30.0 + t_after * 1770.0, last)
    buys = click_at is not None and u_buy < rates.purchase_share
    amount = round(rates.average_order * (0.5 + t_after), 2) if buys else 0.0
    return Outcome(open_at=open_at, machine_open=machine, click_at=click_at,
                   complaint_at=left_at if u_leave < complain else None,
                   unsubscribe_at=left_at if complain <= u_leave < complain + leave else None,
                   order_at=min(click_at + 60.0 + t_after * 3540.0, last) if buys and click_at else None,
                   order_amount=amount)


def recipient_activity(campaign_id: str, email: str, open_rate: float = DEFAULT_OPEN_RATE,
                       click_rate: float = DEFAULT_CLICK_RATE, *, rates: ActivityRates | None = None,
                       seed: int = 0) -> Activity:
    """Everything the recipient `email` does with campaign `campaign_id` in the end (opened, clicked, bounced,
    ...): fixed per pair. Without `rates`, only opens and clicks (no bounces, unsubscribes or complaints)."""
    if rates is None:
        rates = ActivityRates(open_rate=open_rate, click_rate=click_rate, hard_bounce_rate=0.0,
                              soft_bounce_rate=0.0, unsubscribe_rate=0.0, complaint_rate=0.0)
    return recipient_outcome(campaign_id, email, rates, seed).as_of(math.inf)


def elapsed_since(sent_epoch: float | None, now_epoch: float) -> float:
    """Seconds from a send to now (a campaign not sent yet has done nothing: -inf)."""
    return -math.inf if sent_epoch is None else now_epoch - sent_epoch


def tally(activities: Iterable[Activity]) -> dict[str, float]:
    """A campaign's counts from its recipients' activity (`TALLY_KEYS`): ``sent`` recipients, ``delivered``
    (sent less bounced so far), unique ``opens`` and ``opens_adjusted`` (without machine opens), unique
    ``clicks``, ``unsubscribes``, ``complaints``, ``orders`` and ``revenue`` (rounded to cents)."""
    out: dict[str, float] = dict.fromkeys(TALLY_KEYS, 0)
    for a in activities:
        out["sent"] += 1
        out["bounced_hard"] += a.hard_bounced
        out["bounced_soft"] += a.soft_bounced
        out["opens"] += a.opened
        out["opens_adjusted"] += a.opened and not a.machine_open
        out["clicks"] += a.clicked
        out["unsubscribes"] += a.unsubscribed
        out["complaints"] += a.complained
        out["orders"] += a.ordered
        out["revenue"] += a.revenue
    out["delivered"] = out["sent"] - out["bounced_hard"] - out["bounced_soft"]
    out["revenue"] = round(out["revenue"], 2)
    return {k: (v if k == "revenue" else int(v)) for k, v in out.items()}


def pending_effects(campaign_id: str, emails: Iterable[str], rates: ActivityRates, seed: int, sent_epoch: float,
                    window: float = ACTIVITY_WINDOW) -> list[list[Any]]:
    """The contact changes a campaign's send brings, oldest first: ``[epoch, email, "bounced" |
    "unsubscribed" | "complained"]`` (JSON-able, to keep in a simulator's state and apply when due)."""
    scale = window / ACTIVITY_WINDOW
    out = []
    for email in emails:
        effect = recipient_outcome(campaign_id, email, rates, seed).effect()
        if effect is not None:
            out.append([sent_epoch + effect[1] * scale, email, effect[0]])
    return sorted(out)


def due_effects(pending: list[list[Any]], now_epoch: float) -> list[tuple[str, str]]:
    """Take from `pending` (sorted, as `pending_effects` made it; changed in place) the effects due by now:
    ``(email, kind)`` each."""
    due = 0
    while due < len(pending) and pending[due][0] <= now_epoch:
        due += 1
    taken = [(str(e), str(k)) for _, e, k in pending[:due]]
    del pending[:due]
    return taken


def next_change(outcomes: Iterable[Outcome], elapsed: float, window: float = ACTIVITY_WINDOW) -> float | None:
    """Seconds after the send of the next thing any of `outcomes` does after `elapsed` (None: nothing more)."""
    scale = window / ACTIVITY_WINDOW
    later = [t * scale for o in outcomes for t in o.times() if t * scale > elapsed]
    return min(later, default=None)


# -- texts (Twilio) ---------------------------------------------------------------------------------------------

UNDELIVERED_CODES = ((30003, 0.55), (30005, 0.25), (30007, 0.20))  # unreachable, unknown number, carrier filter
FAILED_CODE = 30006  # landline or unreachable carrier: refused before it leaves
REPLIES = ("Thanks!", "See you Saturday", "What time do you open?", "Love this", "Can I bring a friend?")


@dataclass(frozen=True)
class TextRates:
    """Shares of outbound texts: ``failed_rate`` 0.005 (never sent: error 30006, no price), ``undelivered_rate``
    0.03 (sent and charged, the carrier could not deliver: 30003, 30005 or 30007), ``reply_rate`` 0.05 of the
    delivered ones get a reply from the recipient 2-120 minutes later, ``stop_share`` 0.2 of those replies are
    "STOP" (an opt-out)."""

    failed_rate: float = 0.005
    undelivered_rate: float = 0.03
    reply_rate: float = 0.05
    stop_share: float = 0.2

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ValueError(f"{f.name} is a share, from 0 to 1 (got {value!r})")
        if self.failed_rate + self.undelivered_rate > 1:
            raise ValueError("failed_rate + undelivered_rate must not exceed 1")

    def updated(self, given: Mapping[str, Any]) -> TextRates:
        unknown = set(given) - _TEXT_RATE_NAMES
        if unknown:
            raise ValueError(f"unknown rate(s): {', '.join(sorted(unknown))}")
        return _text_rates(self, tuple(sorted((k, float(v)) for k, v in given.items() if v is not None)))

    def as_dict(self) -> dict[str, float]:
        return dict(_text_rates_dict(self))


_TEXT_RATE_NAMES = frozenset(f.name for f in fields(TextRates))


# every text asks for its account's rates: the few combinations there are are built and checked once
@functools.lru_cache(maxsize=1024)
def _text_rates(base: TextRates, given: tuple[tuple[str, float], ...]) -> TextRates:
    return replace(base, **dict(given))


@functools.lru_cache(maxsize=1024)
def _text_rates_dict(rates: TextRates) -> dict[str, float]:
    return {k: float(v) for k, v in asdict(rates).items()}


@dataclass(frozen=True)
class TextOutcome:
    """How one outbound text ends: ``status`` delivered / undelivered / failed with its ``error_code``, and the
    recipient's ``reply`` (None: none) ``reply_after`` seconds after delivery."""

    status: str = "delivered"
    error_code: int | None = None
    reply: str | None = None
    reply_after: float | None = None


@functools.lru_cache(maxsize=65536)
def text_outcome(message_id: str, rates: TextRates = TextRates(), seed: int = 0) -> TextOutcome:
    """How the text `message_id` ends, and whether its recipient replies: fixed per seed, message and rates."""
    u_fate, u_code, u_reply, u_body = _draws(_key(message_id, seed), "", "text")
    if u_fate < rates.failed_rate:
        return TextOutcome("failed", FAILED_CODE)
    if u_fate < rates.failed_rate + rates.undelivered_rate:
        code, edge = UNDELIVERED_CODES[-1][0], 0.0
        for candidate, share in UNDELIVERED_CODES:
            edge += share
            if u_code < edge:
                code = candidate
                break
        return TextOutcome("undelivered", code)
    if u_reply >= rates.reply_rate:
        return TextOutcome()
    body = "STOP" if u_body < rates.stop_share else REPLIES[int(u_code * len(REPLIES)) % len(REPLIES)]
    return TextOutcome(reply=body, reply_after=120.0 + u_code * 7080.0)


# -- social posts (Mastodon, Bluesky) ----------------------------------------------------------------------------

ENGAGEMENT_KEYS = ("favourites", "boosts", "replies")
ENGAGEMENT_HALF_LIFE = 6 * HOUR  # half of a post's engagement comes within its first hours


def post_engagement(post_id: str, elapsed: float, seed: int = 0) -> dict[str, int]:
    """Favourites (likes), boosts (reposts) and replies a post has `elapsed` seconds after it was published:
    each grows from 0 towards its seeded final number (favourites 0-59, mostly few; boosts up to a third of
    them; replies 0-7), half of it within `ENGAGEMENT_HALF_LIFE`, all of it by `ACTIVITY_WINDOW`; never falls."""
    u_fav, u_boost, u_reply, _ = _draws(_key(post_id, seed), "", "engagement")
    finals = {"favourites": int(60 * u_fav**2), "boosts": 0, "replies": int(8 * u_reply**2)}
    finals["boosts"] = int(finals["favourites"] * u_boost / 3)
    if elapsed <= 0:
        return dict.fromkeys(ENGAGEMENT_KEYS, 0)
    grown = 1.0 if elapsed >= ACTIVITY_WINDOW else 1.0 - 0.5 ** (elapsed / ENGAGEMENT_HALF_LIFE)
    return {k: int(finals[k] * grown) for k in ENGAGEMENT_KEYS}
