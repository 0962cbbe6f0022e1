"""One Mastodon account as hub talks to it, over Mastodon.py called through hub's shared limits, retries, request
log and error mapping (`SdkAdapter`).

Mastodon.py facts handled here, once:
- it sends every request through `session.request` of the `requests.Session` it is given: hub gives it one
  that ignores the environment (`trust_env=False`: no proxy or .netrc surprises) and records each response;
- with `ratelimit_method="throw"` it never sleeps: a 429 raises `MastodonRatelimitError` (without the
  response), hub reads X-RateLimit-Reset from the recorded response and waits on its own clock;
- `MastodonNetworkError` wraps the `requests` exception it caught (as `__context__`): that one is classified;
- `MastodonAPIError(message, status, reason, error)` for error answers (404, 401 and 5xx as subclasses);
- with `version_check_mode="none"` it assumes version 1.0.0 and would upload media to the old /api/v1/media
  (and ask /api/v1/instance first, swallowing its errors): hub sets a version instead of asking.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from hub.plugin import (
    NotFound,
    Provider,
    ProviderContext,
    ProviderSettings,
    RateLimited,
    SdkAdapter,
    SdkCall,
    SharedRead,
    SocialPost,
    VendorApi,
    default_error,
    retry_after_seconds,
)

from . import mapping

PAGE = 40  # the most a page of statuses or scheduled statuses holds
RECENT_PAGES = 5  # pages of the account's own statuses read back (200 statuses): published posts of campaigns
# How long Mastodon remembers an Idempotency-Key: PostStatusService stores it with `redis.setex(key, 3_600, id)`.
KEY_LIFETIME = timedelta(hours=1)
# Waits before asking again after an upload still processing (202), on hub's clock: a minute in all, as a large
# image can take a while on a busy instance.
MEDIA_WAITS = (1.0, 1.0, 2.0, 2.0, 4.0, 4.0, 8.0, 8.0, 15.0, 15.0)
ASSUMED_VERSION = (4, 0, 0)  # Mastodon.py picks endpoints by version: hub needs /api/v2/media (3.1.4+)
DELETED = "status/deleted"  # publish_post's answer for a post made under its key and deleted since


def idempotency_key(*parts: str) -> str:
    """A stable Idempotency-Key for the parts (hashed: they name clients and campaigns)."""
    return "hub-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """A time as Mastodon.py gives it (a datetime) or as JSON has it (ISO 8601), in UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _next_page(page: Any) -> Callable[[Any], Any]:
    return lambda c: c.fetch_next(page)


class MastodonSettings(ProviderSettings):
    access_token: SecretStr  # a user token with read and write scopes, from the instance's Development settings
    # the instance's limit when it is not Mastodon's 500 (validation counts against it offline; apply checks the
    # limit the instance itself reports)
    max_characters: int | None = None


class MastodonSdk(SdkAdapter):
    api: MastodonApi

    def build_client(self) -> Any:
        import requests
        from mastodon import Mastodon

        session = requests.Session()
        session.trust_env = False  # no proxies or .netrc from the environment: the base URL is what is asked
        session.request = self.recorded(session.request)  # type: ignore[method-assign]
        client = Mastodon(access_token=self.api.settings.access_token.get_secret_value(),
                          api_base_url=self.api.base_url, version_check_mode="none", ratelimit_method="throw",
                          request_timeout=self.api.settings.timeout, session=session, mastodon_version="4.0.0")
        # With "none" the given version is not parsed (Mastodon.py keeps 1.0.0); media needs the v2 endpoint.
        client.mastodon_major, client.mastodon_minor, client.mastodon_patch = ASSUMED_VERSION
        return client

    def translate(self, exc: Exception, call: SdkCall) -> Exception | None:
        from mastodon.errors import MastodonAPIError, MastodonNetworkError, MastodonRatelimitError

        if isinstance(exc, MastodonNetworkError):
            cause = exc.__context__ or exc.__cause__ or exc
            return self.lost(call, cause, self.api.base_url + call.path)
        if isinstance(exc, MastodonRatelimitError):
            return self.refused(call, 429, {"error": "Too many requests"})
        if isinstance(exc, MastodonAPIError):
            args = exc.args
            status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
            if status is None:  # an answer Mastodon.py could not read (not JSON): the response tells
                status = getattr(self.last_response(), "status_code", None) or 502
            message = args[3] if len(args) > 3 and args[3] else (args[2] if len(args) > 2 else str(exc))
            return self.refused(call, int(status), {"error": str(message)})
        return None


class MastodonApi(VendorApi[MastodonSettings]):
    def __init__(self, vendor: type[Provider], settings: MastodonSettings, ctx: ProviderContext) -> None:
        super().__init__(vendor, settings, ctx)
        self.sdk = MastodonSdk(self)
        self._instance = SharedRead()
        self._me = SharedRead()

    def __call__(self, method: str, path: str, fn: Callable[[Any], Any], **kw: Any) -> Any:
        return self.sdk(method, path, fn, **kw)

    # -- requests --------------------------------------------------------------------------------------------
    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> Exception:
        text = body.get("error") if isinstance(body, dict) else None
        if status == 429:
            return RateLimited(f"HTTP 429: {text or 'Too many requests'}", retry_after=self._retry_after(headers),
                               provider=self.name, status=status)
        return default_error(self.name, status, body, headers, text=text,
                             auth_hint="check access_token: a user token of this instance with read and write"
                                       " scopes")

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Retry-After when given, else the seconds until X-RateLimit-Reset (an ISO 8601 time) on hub's clock."""
        after = retry_after_seconds(headers)
        if after is not None:
            return after
        reset = headers.get("X-RateLimit-Reset") or headers.get("x-ratelimit-reset")
        try:
            when = parse_time(reset)
        except ValueError:
            return None
        if when is None:
            return None
        return max(1.0, float(int((when - self.ctx.clock.utcnow()).total_seconds() + 0.999)))

    def bucket_for(self, method: str, path: str, body: Any) -> tuple[str, ...]:
        if method == "POST" and path.endswith("/media"):
            return ("api", "media")
        return ("api",)

    # -- shared reads ----------------------------------------------------------------------------------------
    def instance(self) -> dict[str, Any]:
        """The instance's limits, read once per account: max_characters, characters_reserved_per_url and the
        media description_limit (Mastodon's defaults where the instance does not say)."""
        def load() -> dict[str, Any]:
            info = self("GET", "/api/v2/instance", lambda c: c.instance_v2())
            config = info.get("configuration") or {}
            statuses = config.get("statuses") or {}
            media = config.get("media_attachments") or {}
            return {"max_characters": int(statuses.get("max_characters") or mapping.MAX_CHARACTERS),
                    "characters_reserved_per_url": int(statuses.get("characters_reserved_per_url")
                                                       or mapping.URL_LENGTH),
                    "description_limit": int(media.get("description_limit") or mapping.MAX_ALT)}
        result: dict[str, Any] = self._instance.get(load)
        return result

    def account_id(self) -> str:
        result: str = self._me.get(lambda: str(self("GET", "/api/v1/accounts/verify_credentials",
                                                    lambda c: c.account_verify_credentials())["id"]))
        return result

    # -- reading ---------------------------------------------------------------------------------------------
    def _pages(self, path: str, first: Callable[[Any], Any], pages: int | None = None) -> Iterator[Any]:
        """Items of a Link-paged list, page after page (each page one call under the limits)."""
        page = self("GET", path, first)
        n = 1
        while page:
            yield from page
            if (pages is not None and n >= pages) or not getattr(page, "_pagination_next", None):
                return  # no Link "next": the last page (fetch_next would take a plain list for parameters)
            page = self("GET", path, _next_page(page))
            n += 1

    def scheduled_statuses(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self._pages("/api/v1/scheduled_statuses",
                                             lambda c: c.scheduled_statuses(limit=PAGE))]

    def recent_statuses(self, pages: int = RECENT_PAGES) -> list[dict[str, Any]]:
        """The account's own statuses, newest first (replies and boosts left out: hub posts neither)."""
        return list(self._recent(pages))

    def _recent(self, pages: int) -> Iterator[dict[str, Any]]:
        """`recent_statuses` page by page, asked for only as far as the caller reads."""
        me = self.account_id()
        path = f"/api/v1/accounts/{me}/statuses"
        for s in self._pages(path, lambda c: c.account_statuses(me, exclude_reblogs=True, exclude_replies=True,
                                                                limit=PAGE), pages):
            yield dict(s)

    def own_statuses(self, pages: int = RECENT_PAGES) -> Iterator[dict[str, Any]]:
        """The account's own statuses, newest first, `PAGE` a request, each page asked for only as far as the caller
        reads (replies and boosts left out: hub posts neither)."""
        return self._recent(pages)

    def status(self, status_id: str) -> dict[str, Any]:
        """One status as it is now (`GET /api/v1/statuses/:id`)."""
        return dict(self("GET", f"/api/v1/statuses/{status_id}", lambda c: c.status(status_id)))

    # -- writing ---------------------------------------------------------------------------------------------
    def upload(self, path: str, alt: str) -> str:
        """Upload an image (description = alt text) and wait until Mastodon has processed it; its media id."""
        media = self("POST", "/api/v2/media", lambda c: c.media_post(path, description=alt or None),
                     idempotent=False)
        media_id = str(media["id"])
        for wait in MEDIA_WAITS:
            if media.get("url"):
                return media_id
            self.ctx.clock.sleep(wait)  # still processing (on hub's clock, never the SDK's)
            media = self("GET", f"/api/v1/media/{media_id}", lambda c: c.media(media_id))
        return media_id  # Mastodon refuses the status (422) if it is still not ready: reported then

    def post_status(self, want: Mapping[str, Any], key: str, *, scheduled_at: datetime | None,
                    image: str | None, remake_if_gone: bool = True) -> dict[str, Any]:
        """Post (or schedule) a status under `key` (Idempotency-Key: the same key again returns the first one,
        so the call is safe to repeat). Returns the status or scheduled status.

        Within the key's hour, a repeat whose status is gone since (deleted, or a scheduled one published or
        cancelled) is answered 404: with `remake_if_gone` it is made again under a new key (a post deleted in
        the UI that the workspace still wants), else the NotFound is raised."""
        media_ids = [self.upload(image, want.get("alt") or "")] if image else None
        kwargs: dict[str, Any] = {
            "media_ids": media_ids, "visibility": want.get("visibility") or "public",
            "spoiler_text": want.get("content_warning") or None, "language": want.get("language") or None,
            "idempotency_key": key, "scheduled_at": scheduled_at,
        }
        text = str(want.get("text") or "")
        try:
            result = self("POST", "/api/v1/statuses", lambda c: c.status_post(text, **kwargs), idempotent=True)
        except NotFound:
            if not remake_if_gone:
                raise
            kwargs["idempotency_key"] = idempotency_key(key, iso(self.ctx.clock.utcnow()))
            result = self("POST", "/api/v1/statuses", lambda c: c.status_post(text, **kwargs), idempotent=True)
        return dict(result)

    def scheduled_status(self, scheduled_id: str) -> dict[str, Any]:
        return dict(self("GET", f"/api/v1/scheduled_statuses/{scheduled_id}",
                         lambda c: c.scheduled_status(scheduled_id)))

    def reschedule(self, scheduled_id: str, when: datetime) -> dict[str, Any]:
        return dict(self("PUT", f"/api/v1/scheduled_statuses/{scheduled_id}",
                         lambda c: c.scheduled_status_update(scheduled_id, when)))

    def cancel_scheduled(self, scheduled_id: str) -> None:
        """Delete a scheduled status; one already gone (published, or deleted in the UI) is no error."""
        with contextlib.suppress(NotFound):
            self("DELETE", f"/api/v1/scheduled_statuses/{scheduled_id}",
                 lambda c: c.scheduled_status_delete(scheduled_id))

    # -- hub's runner ----------------------------------------------------------------------------------------
    def publish_post(self, post: SocialPost, key: str, since: datetime | None = None) -> str:
        """Post now, once per `key`: the Idempotency-Key makes a repeat return the first status while Mastodon
        remembers the key (an hour). A repeat after an older lost answer (`since`) first looks for the same text
        among the account's statuses since then, the key being forgotten by now; within the hour the key alone
        decides, because the same text may be another contact's post (two journeys, two posts)."""
        want = mapping.payload(post, "now")
        if since is not None and self.ctx.clock.utcnow() - since >= KEY_LIFETIME:
            found = self.find_recent(want["text"], since)
            if found is not None:
                return found
        try:
            status = self.post_status(want, idempotency_key(self.ctx.client_name, self.ctx.account, "runner", key),
                                      scheduled_at=None, image=mapping.image_path(post), remake_if_gone=False)
        except NotFound:
            # posted under this key, then deleted by someone at the instance: posting it again would undo that
            return DELETED
        return f"status/{status['id']}"

    def find_recent(self, text: str, since: datetime) -> str | None:
        """A status of the account with this text posted since `since` ("status/ID"), or None."""
        want = mapping.key(text)
        for status in self._recent(RECENT_PAGES):  # newest first: it stops at the first one older than `since`
            created = parse_time(status.get("created_at"))
            if created is not None and created < since:
                return None
            if mapping.key(mapping.plain_text(str(status.get("content") or ""))) == want:
                return f"status/{status['id']}"
        return None
