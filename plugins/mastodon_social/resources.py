"""A client's campaign posts on one Mastodon account: one status per campaign, scheduled by Mastodon itself.

Vendor ids say which kind of thing Mastodon holds: "scheduled/ID" (a scheduled status, still editable) or
"status/ID" (published: history, never edited or deleted by hub). A scheduled status that comes due becomes a
published one with a new id; the next plan finds it by its text (the natural key) and records it.

Natural keys: the text, marked " ⟨scheduled⟩" for a post Mastodon schedules, so that a campaign still to come is
never taken for a published status with the same text (someone's earlier post), nor a post made now for a scheduled
one; once its time has passed, a campaign's key is the bare text, which its published status has. Two posts with
the same text (and mark) on one account each keep their own status: both sides number them by time (`numbered`),
the latest keeping the bare key, the one before "⟨2⟩", and so on; the latest, because a campaign's status is
then the newest with its text, whatever someone posted with that text before. A post made now whose text is
among the account's last 200 published statuses is taken to be that status, and not posted again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hub.plugin import (
    Client,
    Desired,
    Fidelity,
    Live,
    Metric,
    NotFound,
    References,
    Result,
    Sent,
    SocialPost,
    SocialPostResourceBase,
    VendorValidationError,
    describe_difference,
)

from . import mapping, reporting
from .api import RECENT_PAGES, MastodonApi, idempotency_key, iso, parse_time

MIN_LEAD = timedelta(minutes=5)  # Mastodon schedules at least 5 minutes ahead (422 otherwise)
PUBLISHED = "already published on Mastodon: changes in the workspace no longer apply to it"
SCHEDULED, STATUS = "scheduled/", "status/"
SCHEDULED_MARK = " ⟨scheduled⟩"


class SocialPostResource(SocialPostResourceBase):
    api: MastodonApi

    live_read = True
    reports: ClassVar[Mapping[Metric, str]] = reporting.REPORTS
    settles_after: ClassVar[timedelta] = reporting.SETTLES_AFTER  # hub's choice (see reporting.SETTLES_AFTER)

    # -- pure ---------------------------------------------------------------------------------------------
    def payload(self, post: SocialPost, at: str) -> dict[str, Any]:
        return mapping.payload(post, at)

    def notes(self, post: SocialPost) -> list[str]:
        return mapping.notes(post)

    def natural_key(self, post: SocialPost, at: str) -> str:
        text = mapping.key(mapping.compose(post))
        return text if at == "now" or self._posted_at_once({"at": at}) else text + SCHEDULED_MARK

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = super().desired(client, refs)
        now = iso(self.ctx.clock.utcnow())  # a post made now is ordered as its status will be: made now
        for want, key in zip(out, numbered([(w.natural_key, _when(w.payload, now)) for w in out]), strict=True):
            want.natural_key = key
        for want in out:
            if want.fidelity == Fidelity.MANUAL:
                continue
            if want.payload["at"] != "now" and self._posted_at_once(want.payload):
                want.fidelity = Fidelity.APPROXIMATED  # `timing` says why
        return out

    def timing(self, at: str) -> str:
        if at == "now":
            return "posted by this apply"
        return self._posted_at_once({"at": at}) or f"scheduled by Mastodon itself for {at}"

    def _posted_at_once(self, payload: Mapping[str, Any]) -> str | None:
        """Why a post goes out now rather than scheduled (None: Mastodon schedules it)."""
        at = str(payload.get("at", "now"))
        if at == "now":
            return "posted now"
        when = parse_time(at)
        now = self.ctx.clock.utcnow()
        if when is None or when - now < MIN_LEAD:
            return "less than 5 minutes ahead (Mastodon schedules no sooner): posted at once"
        return None

    def history(self, live: Live) -> str | None:
        return PUBLISHED if live.vendor_id.startswith(STATUS) else None

    def history_of(self, vendor_id: str, data: Mapping[str, Any]) -> str | None:
        if vendor_id.startswith(STATUS):
            return PUBLISHED
        at = parse_time((data or {}).get("at"))
        if vendor_id.startswith(SCHEDULED) and at is not None and at <= self.ctx.clock.utcnow():
            return f"published by Mastodon at {iso(at)} (its scheduled time)"
        return None

    def compare(self, want: Desired, live: Live) -> str | None:
        if self.history(live):
            return None  # published: there is nothing left to bring to the workspace's version
        return describe_difference(want.payload, live.payload)

    # -- reading ------------------------------------------------------------------------------------------
    def read_live(self, refs: References) -> dict[str, Live]:
        found = [_scheduled(s) for s in self.api.scheduled_statuses()]
        found += [_published(s) for s in self.api.recent_statuses() if not s.get("reblog")
                  and not s.get("in_reply_to_id")]
        out: dict[str, Live] = {}
        for live, key in zip(found, numbered([(lv.natural_key, _when(lv.payload, "")) for lv in found]),
                             strict=True):
            live.natural_key = key
            out[key] = live
        return out

    # -- writing ------------------------------------------------------------------------------------------
    def _key(self, want: Desired, *more: str) -> str:
        return idempotency_key(self.ctx.client_name, self.ctx.account, want.id, want.fingerprint, *more)

    def _make(self, want: Desired, key: str) -> str:
        """Post `want` now, or schedule it; record which, and when it goes out."""
        limits = self.api.instance()
        n = mapping.length(want.payload["text"], limits["characters_reserved_per_url"],
                           want.payload.get("content_warning") or "")
        if n > limits["max_characters"]:
            raise VendorValidationError(f"the post is {n} characters; this instance takes at most"
                                        f" {limits['max_characters']}: shorten it, or give a `mastodon` override",
                                        provider=self.api.name)
        alt = want.payload.get("alt") or ""
        if len(alt) > limits["description_limit"]:
            raise VendorValidationError(f"the image's alt text is {len(alt)} characters; this instance takes at"
                                        f" most {limits['description_limit']}", provider=self.api.name)
        at_once = self._posted_at_once(want.payload)
        when = None if at_once else parse_time(want.payload["at"])
        made = self.api.post_status(want.payload, key, scheduled_at=when, image=want.details.get("image"))
        if when is None:
            want.details.setdefault("record", {}).update(state="published", at=iso(self.ctx.clock.utcnow()))
            return STATUS + str(made["id"])
        want.details.setdefault("record", {}).update(state="scheduled", at=iso(when))
        return SCHEDULED + str(made["id"])

    def create(self, want: Desired, refs: References) -> str:
        return self._make(want, self._key(want))

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        if not vendor_id.startswith(SCHEDULED):
            want.details.setdefault("record", {}).update(state="published")
            return vendor_id  # published: history (the plan does not ask; a stale record is left as it is)
        scheduled_id = vendor_id.removeprefix(SCHEDULED)
        if live is None:  # the applier passes none: what Mastodon holds now decides between moving and remaking
            live = self._scheduled_now(scheduled_id)
        if live is None:
            # gone: published meanwhile (its time came), or deleted in the UI; a published one is never remade
            published = self.api.find_recent(want.payload["text"], self.ctx.clock.utcnow() - timedelta(days=1))
            if published is not None:
                want.details.setdefault("record", {}).update(state="published")
                return published
            return self._make(want, self._key(want, "replaces", vendor_id))
        only_time = all(live.payload.get(k) == v for k, v in want.payload.items() if k != "at")
        if only_time and not self._posted_at_once(want.payload):
            when = parse_time(want.payload["at"])
            assert when is not None
            self.api.reschedule(scheduled_id, when)
            want.details.setdefault("record", {}).update(state="scheduled", at=iso(when))
            return vendor_id
        # Anything else cannot be edited in a scheduled status: it is deleted, then made again. In this order a
        # crash in between leaves no post (the next plan makes it), never two going out.
        self.api.cancel_scheduled(scheduled_id)
        return self._make(want, self._key(want, "replaces", vendor_id))

    def _scheduled_now(self, scheduled_id: str) -> Live | None:
        try:
            return _scheduled(self.api.scheduled_status(scheduled_id))
        except NotFound:
            return None

    def delete(self, vendor_id: str, refs: References) -> None:
        """`--prune`: a scheduled status is cancelled; a published one is never deleted (it is history)."""
        if vendor_id.startswith(SCHEDULED):
            self.api.cancel_scheduled(vendor_id.removeprefix(SCHEDULED))

    # -- results (`hub report`) ------------------------------------------------------------------------------
    def read_results(self, sent: Sequence[Sent], refs: References) -> list[Result]:
        """Each post's counts. A handful of published statuses are read one by one; more, or a post Mastodon
        scheduled (its published status has another id, found by its text), from the account's own statuses,
        40 a page, newest first, back to the oldest post asked about (at most 200 statuses); what that leaves
        is read one by one. A status Mastodon no longer has, or a scheduled one not published yet, is left out."""
        ids = {s.vendor_id: s.vendor_id.removeprefix(STATUS) for s in sent if s.vendor_id.startswith(STATUS)}
        scheduled = [s for s in sent if s.vendor_id.startswith(SCHEDULED)]
        found: dict[str, dict[str, Any]] = {}  # vendor id -> its published status
        if scheduled or len(ids) > BY_ID_MAX:
            found = self._from_own_statuses(ids, scheduled, _oldest(sent))
        for vendor_id, status_id in sorted(ids.items()):
            if vendor_id not in found:
                with contextlib.suppress(NotFound):  # deleted at the instance
                    found[vendor_id] = self.api.status(status_id)
        now = self.ctx.clock.utcnow()
        return [reporting.result(s, found[s.vendor_id], now, self.settles_after) for s in sent if s.vendor_id in found]

    def _from_own_statuses(self, ids: Mapping[str, str], scheduled: Sequence[Sent],
                           oldest: datetime | None) -> dict[str, dict[str, Any]]:
        by_status = {status_id: vendor_id for vendor_id, status_id in ids.items()}
        found: dict[str, dict[str, Any]] = {}
        waiting = list(scheduled)
        for status in self.api.own_statuses(RECENT_PAGES):
            vendor_id = by_status.get(str(status.get("id")))
            if vendor_id is not None:
                found[vendor_id] = status
            for s in [s for s in waiting if reporting.published_as(s, status)]:
                found[s.vendor_id] = status
                waiting.remove(s)
            created = reporting.created_at(status)
            if (ids.keys() <= found.keys() and not waiting) or (
                    oldest is not None and created is not None and created < oldest - timedelta(hours=1)):
                break  # everything found, or older than anything asked about
        return found


BY_ID_MAX = 2  # published posts read one by one; more are read from the account's statuses (one page holds 40)


def _oldest(sent: Sequence[Sent]) -> datetime | None:
    """The earliest send asked about (None when one is not known: then the account's recent statuses are read)."""
    times = [s.sent_at for s in sent]
    if any(t is None for t in times):
        return None
    return min(t if t.tzinfo else t.replace(tzinfo=UTC) for t in times if t is not None)  # hub's naive times: UTC


def numbered(items: list[tuple[str, str]]) -> list[str]:
    """Natural keys for (text key, time) pairs, in their order: a text that occurs more than once keeps the bare
    key for its latest time, then "⟨2⟩", "⟨3⟩" ... going back in time (then by position); brackets no post is
    likely to end with, so that a numbered key never meets another post's text."""
    order = sorted(range(len(items)), key=lambda i: (items[i][1], -i), reverse=True)
    seen: dict[str, int] = {}
    keys = [""] * len(items)
    for i in order:
        text = items[i][0]
        seen[text] = seen.get(text, 0) + 1
        keys[i] = text if seen[text] == 1 else f"{text} ⟨{seen[text]}⟩"
    return keys


def _when(payload: Mapping[str, Any], now: str) -> str:
    """A post's time for ordering (ISO 8601 in UTC sorts as text): `now` for a post made now, "" when unknown."""
    at = payload.get("at")
    return now if at == "now" else str(at or "")


def _alt(status: Mapping[str, Any]) -> str | None:
    media = status.get("media_attachments") or []
    return str(media[0].get("description") or "") if media else None


def _scheduled(s: Mapping[str, Any]) -> Live:
    params = s.get("params") or {}
    text = str(params.get("text") or "")
    payload = _payload(text, s.get("scheduled_at"), params.get("visibility"), params.get("spoiler_text"),
                       params.get("language"), s)
    return Live(SCHEDULED + str(s["id"]), mapping.key(text) + SCHEDULED_MARK, payload, _jsonable(s))


def _published(s: Mapping[str, Any]) -> Live:
    text = mapping.plain_text(str(s.get("content") or ""))
    payload = _payload(text, s.get("created_at"), s.get("visibility"), s.get("spoiler_text"), s.get("language"), s)
    return Live(STATUS + str(s["id"]), mapping.key(text), payload, _jsonable(s))


def _payload(text: str, at: Any, visibility: Any, spoiler: Any, language: Any,
             status: Mapping[str, Any]) -> dict[str, Any]:
    """A scheduled or published status in the comparable form `mapping.payload` gives a post."""
    when = parse_time(at)
    return {"text": text, "at": iso(when) if when else None, "visibility": visibility or "public",
            "content_warning": spoiler or None, "language": language or None, "alt": _alt(status)}


def _jsonable(value: Any) -> Any:
    """Mastodon.py's answer as plain JSON (it parses times into datetimes)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


RESOURCE_TYPES = (SocialPostResource,)
