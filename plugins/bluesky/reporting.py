"""A Bluesky post's counts as hub's figures (`hub report`): pure translation, no I/O.

A post's view (`app.bsky.feed.getPosts`, `app.bsky.feed.defs#postView`) carries its counts as the AppView knows them
now: likes, reposts and replies (quotes are left out: no neutral metric holds them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.plugin import Metric, Result, Sent

REPORTS: Mapping[Metric, str] = {
    Metric.FAVOURITES: "likeCount",
    Metric.BOOSTS: "repostCount",
    Metric.REPLIES: "replyCount",
}
# hub's choice: a post's engagement comes within hours and is all but over in days; after two weeks it is not read
SETTLES_AFTER = timedelta(days=14)


def _time(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def posted_at(view: Mapping[str, Any]) -> datetime | None:
    """When the post was made: its record's `createdAt`, else when the AppView indexed it."""
    record = view.get("record")
    return _time(record.get("createdAt") if isinstance(record, Mapping) else None) or _time(view.get("indexedAt"))


def figures(view: Mapping[str, Any]) -> dict[Metric, float]:
    return {metric: float(view[field]) for metric, field in REPORTS.items() if view.get(field) is not None}


def result(sent: Sent, view: Mapping[str, Any], now: datetime, settles_after: timedelta = SETTLES_AFTER) -> Result:
    """One post's counts, on the day it was posted; settled `settles_after` later."""
    when = posted_at(view) or sent.sent_at
    day = (when or now).astimezone(UTC).date()
    return Result(sent, day, figures(view), settled=when is not None and now - when >= settles_after)
