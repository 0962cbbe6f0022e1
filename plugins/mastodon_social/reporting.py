"""A Mastodon status's counts as hub's figures (`hub report`): pure translation, no I/O.

A status (`GET /api/v1/statuses/:id`, or the account's statuses list) carries its counts so far: favourites, boosts
(reblogs) and replies. Mastodon counts what its own server knows of; counts from other servers arrive late or not at
all (directional, as the network's UI shows them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.plugin import Metric, Result, Sent

from .mapping import key, plain_text

REPORTS: Mapping[Metric, str] = {
    Metric.FAVOURITES: "favourites_count",
    Metric.BOOSTS: "reblogs_count",
    Metric.REPLIES: "replies_count",
}
# hub's choice: a post's engagement comes within hours and is all but over in days; after two weeks it is not read
SETTLES_AFTER = timedelta(days=14)
SCHEDULED_MARK = " ⟨scheduled⟩"  # the natural key's mark of a post Mastodon scheduled (see resources)


def created_at(status: Mapping[str, Any]) -> datetime | None:
    """A status's `created_at`, a datetime from Mastodon.py or ISO 8601 from JSON, in UTC."""
    value = status.get("created_at")
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def figures(status: Mapping[str, Any]) -> dict[Metric, float]:
    return {metric: float(status[field]) for metric, field in REPORTS.items() if status.get(field) is not None}


def published_as(sent: Sent, status: Mapping[str, Any]) -> bool:
    """Whether `status` is the post a campaign had Mastodon schedule (its record's id is the scheduled status's,
    which Mastodon replaces by a new one when it publishes): the same text, published at or after its time."""
    text = sent.name.removesuffix(SCHEDULED_MARK)
    when, at = created_at(status), created_at({"created_at": sent.data.get("at")}) or sent.sent_at
    return key(plain_text(str(status.get("content") or ""))) == key(text) and (
        when is None or at is None or when >= at - timedelta(minutes=1))


def result(sent: Sent, status: Mapping[str, Any], now: datetime, settles_after: timedelta = SETTLES_AFTER) -> Result:
    """One post's counts, on the day it was published; settled `settles_after` later."""
    when = created_at(status) or sent.sent_at
    day = (when or now).astimezone(UTC).date()
    return Result(sent, day, figures(status), settled=when is not None and now - when >= settles_after)
