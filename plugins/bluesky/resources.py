"""A client's campaign posts on one Bluesky account: one item per campaign, posted once, never edited or deleted.

Bluesky cannot schedule a post, so hub holds a scheduled one in its state (the record's data: the payload as
applied, its key, `held_until`) and publishes it when due: `hub run` through `release_due`, or the next apply
through `outstanding` and `update` (the runner publishes under the client's apply lock, so the two never race).
Whoever publishes reads the author's records back first (each post hub makes is marked with a digest of its key),
so a lost answer or a crash never makes two posts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hub.plugin import (
    Client,
    Desired,
    Fidelity,
    Live,
    Metric,
    References,
    Result,
    Sent,
    SocialPost,
    SocialPostResourceBase,
    describe_difference,
)

from . import mapping, reporting
from .api import BlueskyApi

ISO = "%Y-%m-%dT%H:%M:%SZ"
PUBLISHED = "already published on Bluesky"


class SocialPostResource(SocialPostResourceBase):
    api: BlueskyApi

    live_read = False  # planned against hub's state: a post is an event, made once
    holds = True
    # a write interrupted before its answer is settled by the next plan, which reads the author's records back
    # from when it began (`find_write`), rather than by a create that could only read back the newest page
    unknown_outcome = "ask"
    reports: ClassVar[Mapping[Metric, str]] = reporting.REPORTS
    settles_after: ClassVar[timedelta] = reporting.SETTLES_AFTER  # hub's choice (see reporting.SETTLES_AFTER)

    # -- pure ---------------------------------------------------------------------------------------------
    def payload(self, post: SocialPost, at: str) -> dict[str, Any]:
        return mapping.payload(post, at)

    def notes(self, post: SocialPost) -> list[str]:
        return mapping.notes(post)

    def natural_key(self, post: SocialPost, at: str) -> str:
        return mapping.post_text(post)

    def timing(self, at: str) -> str:
        if at == "now":
            return "posted by this apply"
        return (f"held by hub (Bluesky cannot schedule) and published at {at} by `hub run`, or by the first apply"
                " after that time")

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = super().desired(client, refs)
        for want in out:
            if want.fidelity != Fidelity.MANUAL:
                # what publishing needs later, from hub's state alone (the runner never reads the workspace)
                record = want.details.setdefault("record", {})
                record.update(self._held(want) if not self._due(want.payload) else
                              {"key": self._key(want.id), "post": want.payload})
        return out

    def _key(self, campaign_id: str) -> str:
        return f"campaign:{self.ctx.client_name}/{self.ctx.account}/{campaign_id}"

    def _due(self, post: Mapping[str, Any], now: datetime | None = None) -> bool:
        at = str(post.get("at", "now"))
        return at == "now" or at <= (now or self.ctx.clock.utcnow()).strftime(ISO)

    def _held(self, want: Desired) -> dict[str, Any]:
        return {"key": self._key(want.id), "post": want.payload, "held_until": want.payload["at"]}

    def outstanding(self, want: Desired, record: Any) -> str | None:
        data = record.data or {}
        if record.vendor_id and not data.get("held_until"):
            if record.fingerprint != want.fingerprint:
                return f"{PUBLISHED}: the edit is not posted (a published post is never posted again)"
            return None
        held = data.get("held_until")
        if held and self._due({"at": held}):
            return f"held until {held}: due now, published by this apply"
        if held and record.fingerprint != want.fingerprint:
            return f"held until {held}: the new content is held instead"
        return None

    # -- I/O ----------------------------------------------------------------------------------------------
    @staticmethod
    def _since(at: Any) -> datetime | None:
        """The earliest moment a post due at `at` could have been published (None for "now": unknown)."""
        if not at or at == "now":
            return None
        return datetime.strptime(str(at), ISO).replace(tzinfo=UTC)

    def _publish_or_hold(self, want: Desired, since: datetime | None = None) -> str:
        if not self._due(want.payload):
            want.details.setdefault("record", {}).update(self._held(want))
            return ""
        key = self._key(want.id)
        times = [t for t in (since, self._since(want.payload.get("at"))) if t is not None]
        uri = self.api.publish(want.payload, key, min(times, default=None))
        record = want.details.setdefault("record", {})
        record.pop("held_until", None)
        record.update(key=key, post=want.payload, published_at=self.ctx.clock.utcnow().strftime(ISO))
        return uri

    def create(self, want: Desired, refs: References) -> str:
        return self._publish_or_hold(want)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        previous = want.details.get("previous") or {}
        if vendor_id and not previous.get("held_until"):
            want.details.setdefault("record", {}).update(previous)  # published: it stays as it was
            return vendor_id
        if previous.get("held_until") and self._due({"at": previous["held_until"]}) and \
                previous.get("post") != want.payload and not self._due(want.payload):
            # due under what was applied, and the workspace now moves it later: hold the new content
            want.details.setdefault("record", {}).update(self._held(want))
            return ""
        return self._publish_or_hold(want, self._since(previous.get("held_until")))

    def delete(self, vendor_id: str, refs: References) -> None:
        """A held post: nothing at Bluesky to delete. A published one is history (`history_of`), never deleted."""

    def release_due(self, vendor_id: str, data: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any]] | None:
        held = data.get("held_until")
        if not held or str(held) > now.strftime(ISO) or "post" not in data or "key" not in data:
            return None
        uri = self.api.publish(data["post"], str(data["key"]), self._since(held))
        rest = {k: v for k, v in data.items() if k != "held_until"}
        return uri, {**rest, "published_at": now.strftime(ISO)}

    def history_of(self, vendor_id: str, data: Mapping[str, Any]) -> str | None:
        if vendor_id and not (data or {}).get("held_until"):
            return PUBLISHED
        return None

    def find_write(self, want: Desired, refs: References, since: datetime) -> str | None:
        record = want.details.get("record") or {}
        key = record.get("key") or self._key(want.id)
        found = self.api.find_post(str(key), since)
        return str(found["uri"]) if found is not None else None

    def read_live(self, refs: References) -> dict[str, Live]:
        out: dict[str, Live] = {}
        for rec in self.api.posts():
            value = rec["value"]
            out.setdefault(value.get("text", ""), Live(rec["uri"], value.get("text", ""), mapping.project(value), rec))
        return out

    def compare(self, want: Desired, live: Live) -> str | None:
        return describe_difference(mapping.comparable(want.payload), live.payload)

    # -- results (`hub report`) ------------------------------------------------------------------------------
    def read_results(self, sent: Sequence[Sent], refs: References) -> list[Result]:
        """Each published post's counts from `app.bsky.feed.getPosts`, 25 posts a call. A post held by hub (no uri
        yet) or one Bluesky no longer has is left out."""
        uris = sorted({s.vendor_id for s in sent if s.vendor_id.startswith("at://")})
        views = {str(v.get("uri")): v for v in self.api.post_views(uris)} if uris else {}
        now = self.ctx.clock.utcnow()
        return [reporting.result(s, views[s.vendor_id], now, self.settles_after) for s in sent if s.vendor_id in views]


RESOURCE_TYPES = (SocialPostResource,)
