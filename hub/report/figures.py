"""The normalised figures `hub report` keeps, and what a provider answers when asked for them.

A provider reads its vendor's results for what hub sent (`Sent`: a campaign, one batch of an automation's email
step, the texts of an SMS campaign or step, a social post) and answers with `Result`s: counts per metric for one
day. Every provider maps its vendor's fields onto the same `Metric`s and says where each came from (its
resource's `reports` table), so that figures from Mailchimp and MailerLite add up. Rates are never read from a
vendor: they are computed from summed counts (`RATES`), so that a rate over many campaigns is not an average of
rates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Metric(StrEnum):
    """A count (or an amount) a vendor reports for something hub sent. All counts are of recipients (unique)."""

    SENT = "sent"  # recipients the vendor sent to (texts: messages handed to the carrier)
    DELIVERED = "delivered"  # sent and not bounced (texts: the carrier confirmed delivery)
    BOUNCED_HARD = "bounced_hard"
    BOUNCED_SOFT = "bounced_soft"
    FAILED = "failed"  # texts that were refused or undelivered
    OPENS = "opens"  # unique opens as the vendor counts them (directional: Apple Mail Privacy Protection opens all)
    OPENS_ADJUSTED = "opens_adjusted"  # unique opens without machine opens, where the vendor tells them apart
    CLICKS = "clicks"  # unique clickers
    UNSUBSCRIBES = "unsubscribes"  # unsubscribes (texts: STOP replies) caused by this send
    COMPLAINTS = "complaints"  # spam complaints
    REPLIES = "replies"  # replies (texts: inbound texts from recipients; social: replies to the post)
    FAVOURITES = "favourites"  # social: likes / favourites
    BOOSTS = "boosts"  # social: reposts / boosts
    COST = "cost"  # what the vendor charged, in `Result.currency` (Twilio: a text's price, all its segments)
    REVENUE = "revenue"  # attributed revenue, in `Result.currency`, where the vendor tracks it


# Rates computed from summed counts: name -> (numerator, denominator). A rate whose denominator is 0 is None.
RATES: Mapping[str, tuple[Metric, Metric]] = {
    "delivery_rate": (Metric.DELIVERED, Metric.SENT),
    "bounce_rate": (Metric.BOUNCED_HARD, Metric.SENT),  # hard bounces: what harms a sender's reputation
    "open_rate": (Metric.OPENS, Metric.DELIVERED),
    "open_rate_adjusted": (Metric.OPENS_ADJUSTED, Metric.DELIVERED),
    "click_rate": (Metric.CLICKS, Metric.DELIVERED),
    "click_to_open": (Metric.CLICKS, Metric.OPENS),
    "unsubscribe_rate": (Metric.UNSUBSCRIBES, Metric.DELIVERED),
    "complaint_rate": (Metric.COMPLAINTS, Metric.DELIVERED),
}

# Metrics that are amounts of money rather than counts of recipients.
AMOUNTS = frozenset({Metric.COST, Metric.REVENUE})


@dataclass(frozen=True)
class Sent:
    """Something hub sent, whose results a provider is asked for.

    `kind` is one of "campaign" (an email or SMS campaign hub applied), "step" (one batch of an automation step hub's
    runner carried out: an email step is one vendor campaign per batch, an SMS step the texts of its ledger name),
    "post" (a social post). `item` is the neutral id the report groups by ("spring-sale", "welcome/day-3" for an
    automation's step); `vendor_id` is the vendor's id of what was sent (a campaign id, a post id) or, for texts,
    the delivery ledger's campaign name, whose rows (recipient, status, message id) the provider reads through its
    services. `data` is the record hub keeps for it (state item data), for what a provider needs beyond the id."""

    kind: str
    item: str
    name: str
    channel: str  # hub.model.Channel value
    vendor_id: str
    sent_at: datetime | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """What the vendor reports for one `Sent`, for one day (the day it was sent, unless the vendor gives figures per
    day): counts per metric, as totals so far (a later read replaces an earlier one, never adds to it).

    `settled` says the figures can no longer change (a campaign sent long enough ago, texts all in a final state
    with their price): `hub report sync` never reads it again. The vendor field each metric came from is in the
    resource's `reports` table."""

    sent: Sent
    day: date
    figures: Mapping[Metric, float]
    currency: str = ""  # of COST and REVENUE ("USD"); empty when neither is given
    settled: bool = False
