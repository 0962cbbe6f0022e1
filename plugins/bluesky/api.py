"""One Bluesky account as hub talks to it: the `atproto` SDK (pre-1.0) through hub's limits, retries, request
log and error mapping, with one login per account and process.

Sessions: `createSession` is limited to 30 per 5 minutes and 300 a day per account, so hub logs in once per
account (PDS URL + handle) and process, keeps the session in a module-level cache shared by every thread and
`VendorApi` of the process, refreshes it (`refreshSession`) when its access token expires, and keeps it across
processes in the OS keyring when a real keyring backend is there (`persist_session`; never in the workspace,
state, plan or logs). The SDK's own session handling is not used: it judges expiry on the wall clock, and hub's
runs on its own clock.

Idempotency: every post hub makes carries a digest of a key naming what it posts ("campaign acme/main/launch", or
the runner's key) in an extra record field (`mapping.MARK`). Before posting, and after a lost answer, hub reads the
author's records back (`listRecords`, newest first, back to when an earlier attempt could have posted) and
returns the post it finds instead of posting again. The PDS gives the record its key (a TID of the time it is
written), as Bluesky's apps do: a post then sorts where it belongs, and nothing depends on the PDS accepting a
record key hub chose (it refused them for posts in 2023, then took them only within minutes of its clock).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import mimetypes
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from hub.plugin import (
    AmbiguousWrite,
    AuthError,
    NotFound,
    NotSupported,
    RateLimited,
    SdkAdapter,
    SdkCall,
    SocialPost,
    VendorApi,
    VendorValidationError,
    default_error,
    is_url,
    retry_after_seconds,
)
from hub.plugin import ProviderSettings as _Base

from . import mapping

log = logging.getLogger(__name__)

KEYRING_SERVICE = "hub"
CREATE_ATTEMPTS = 3
GET_POSTS_MAX = 25  # uris per app.bsky.feed.getPosts call (the lexicon's maximum)
# how far before `since` the read-back looks: the PDS stamps a record's key with its own clock, not hub's
CLOCK_SKEW = timedelta(minutes=10)


class BlueskySettings(_Base):
    handle: str  # e.g. "acme.bsky.social"
    app_password: SecretStr  # an app password (Settings > App passwords), never the account's own
    # keep the session in the OS keyring between runs (createSession is limited to 300 a day)
    persist_session: bool = True


# -- sessions ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    did: str
    handle: str
    access: str
    refresh: str
    expires: float  # the access token's `exp` (epoch seconds); 0 when unknown

    def to_json(self) -> str:
        return json.dumps({"did": self.did, "handle": self.handle, "access": self.access, "refresh": self.refresh})

    @classmethod
    def from_tokens(cls, did: str, handle: str, access: str, refresh: str) -> Session:
        return cls(did, handle, access, refresh, _jwt_exp(access))


def _jwt_exp(token: str) -> float:
    """A JWT's `exp` claim (read, not verified: the PDS verifies it), or 0."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return float(claims.get("exp") or 0)
    except (IndexError, ValueError, TypeError, AttributeError):
        return 0.0


_SESSIONS: dict[tuple[str, str, str], Session] = {}
_LOCKS: dict[tuple[str, str, str], threading.Lock] = {}
_GLOBAL = threading.Lock()


def _lock_for(key: tuple[str, str, str]) -> threading.Lock:
    with _GLOBAL:
        return _LOCKS.setdefault(key, threading.Lock())


def forget_sessions() -> None:
    """Drop every cached session of this process (tests)."""
    with _GLOBAL:
        _SESSIONS.clear()


class _Expired(AuthError):
    """The access token expired (400 ExpiredToken): refreshed and asked again, never shown."""


class _Keyring:
    """Sessions kept across processes in the OS keyring, when a real backend is there; failures are ignored
    (the next run logs in again)."""

    def __init__(self, user: str) -> None:
        self.user = user

    @staticmethod
    def _backend() -> Any:
        """The `keyring` module when a real backend stores secrets (not the fail/null/chainer without any)."""
        try:
            import keyring
        except ImportError:
            return None
        try:
            backend = keyring.get_keyring()
        except Exception:
            return None
        module = type(backend).__module__
        if module.endswith((".fail", ".null")) or getattr(backend, "priority", 1) <= 0:
            return None
        if module.endswith(".chainer") and not getattr(backend, "backends", None):
            return None
        return keyring

    def load(self) -> Session | None:
        kr = self._backend()
        if kr is None:
            return None
        try:
            raw = kr.get_password(KEYRING_SERVICE, self.user)
            if not raw:
                return None
            data = json.loads(raw)
            return Session.from_tokens(data["did"], data["handle"], data["access"], data["refresh"])
        except Exception:  # a broken keyring or entry: log in instead
            return None

    def save(self, session: Session | None) -> None:
        kr = self._backend()
        if kr is None:
            return
        try:
            if session is None:
                kr.delete_password(KEYRING_SERVICE, self.user)
            else:
                kr.set_password(KEYRING_SERVICE, self.user, session.to_json())
        except Exception:  # best effort: a session not kept costs one login
            log.debug("bluesky: the session was not kept in the keyring")


# -- the SDK adapter --------------------------------------------------------------------------------------
class BlueskySdk(SdkAdapter):
    """atproto's `Client` on the account's PDS, its httpx requests recorded for hub's request log."""

    api: BlueskyApi

    def build_client(self) -> Any:
        from atproto import Client  # type: ignore[import-untyped]
        from atproto_client.request import Request  # type: ignore[import-untyped]

        request = Request(timeout=self.api.settings.timeout)
        http = request._client  # the SDK sends every request through this httpx client
        http.request = self.recorded(http.request)  # type: ignore[method-assign]
        return Client(base_url=self.api.base_url, request=request)  # the SDK appends /xrpc

    def translate(self, exc: Exception, call: SdkCall) -> Exception | None:
        import httpx
        from atproto_client import exceptions as ax  # type: ignore[import-untyped]

        if isinstance(exc, ax.RequestErrorBase) and exc.response is not None:
            response = exc.response
            body = _body(response.content)
            if body.get("error") == "ExpiredToken":
                return _Expired("the access token expired", provider=self.api.name, status=response.status_code)
            return self.refused(call, response.status_code, body, dict(response.headers or {}))
        if isinstance(exc, ax.LoginRequiredError):
            return AuthError("not logged in to Bluesky", provider=self.api.name)
        cause = exc.__cause__ if isinstance(exc, ax.RequestErrorBase) else exc
        if isinstance(cause, httpx.HTTPError):
            url = None
            with contextlib.suppress(RuntimeError):  # an httpx error raised without its request
                url = str(cause.request.url)
            return self.lost(call, _standard(cause), url)
        if isinstance(exc, ax.RequestErrorBase):
            return self.lost(call, ConnectionError(str(exc)), self.api.base_url)
        return None


def _with_headers(fn: Callable[[Any, dict[str, str]], Any], headers: dict[str, str], client: Any) -> Any:
    return fn(client, headers)


def _call(method: str, params: Any) -> Callable[[Any, dict[str, str]], Any]:
    """`client.com.atproto.<method>(params, headers=...)` as an xrpc call."""

    def call(client: Any, headers: dict[str, str]) -> Any:
        target = client.com.atproto
        for part in method.split("."):
            target = getattr(target, part)
        return target(params, headers=headers)

    return call


def _get_posts(params: Any, client: Any, headers: dict[str, str]) -> Any:
    """`client.app.bsky.feed.get_posts(params, headers=...)`: an AppView read, outside `com.atproto`."""
    return client.app.bsky.feed.get_posts(params, headers=headers)


def _body(content: Any) -> dict[str, Any]:
    """An XRPC error body as a dict ({"error", "message"})."""
    if isinstance(content, dict):
        return content
    error = getattr(content, "error", None)
    if error is not None:
        return {"error": error, "message": getattr(content, "message", None)}
    if isinstance(content, bytes | str):
        try:
            data = json.loads(content)
            return data if isinstance(data, dict) else {}
        except ValueError:
            return {"message": content.decode("utf-8", "replace") if isinstance(content, bytes) else content}
    return {}


def _standard(exc: BaseException) -> BaseException:
    """An httpx failure as the standard exception hub's classification knows (it reads requests/urllib3)."""
    import httpx
    from urllib3.exceptions import ConnectTimeoutError

    if isinstance(exc, httpx.ConnectTimeout):
        return ConnectTimeoutError(str(exc))
    if isinstance(exc, httpx.ConnectError):
        chain: list[BaseException] = []
        e: BaseException | None = exc
        while e is not None and len(chain) < 10:
            chain.append(e)
            e = e.__cause__ or e.__context__
        refused = next((x for x in chain if isinstance(x, ConnectionRefusedError)), None)
        if refused is not None:
            return refused
        return ConnectionRefusedError(str(exc)) if "refused" in str(exc).lower() else exc
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(str(exc))
    if isinstance(exc, httpx.TransportError):
        return ConnectionError(str(exc))  # dropped before the answer came
    return exc


# -- the account ------------------------------------------------------------------------------------------
class BlueskyApi(VendorApi[BlueskySettings]):
    _sdk: BlueskySdk | None = None

    @property
    def sdk(self) -> BlueskySdk:
        if self._sdk is None:
            self._sdk = BlueskySdk(self)
        return self._sdk

    # -- requests --------------------------------------------------------------------------------------
    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> Exception:
        body = body if isinstance(body, dict) else {}
        error, message = str(body.get("error") or ""), str(body.get("message") or "")
        text = f"{error}: {message}" if error and message else (error or message or None)
        if error in ("RecordNotFound", "BlobNotFound") or status == 404:
            return NotFound(f"HTTP {status}: {text}", provider=self.name, status=status)
        if status == 429 or error == "RateLimitExceeded":
            return RateLimited(f"HTTP {status}: {text}", retry_after=self._retry_after(headers),
                               provider=self.name, status=status)
        if error == "AuthFactorTokenRequired":  # the account's own password with email 2FA on, not an app password
            return AuthError(f"HTTP {status}: {text} (give an app password: Settings > Privacy and security > App"
                             " passwords; they need no sign-in code)", provider=self.name, status=status)
        if error in ("AuthenticationRequired", "InvalidToken", "AuthMissing", "AccountTakedown") and status < 500:
            return AuthError(f"HTTP {status}: {text} (check the account's handle and app password)",
                             provider=self.name, status=status)
        return default_error(self.name, status, body, headers, text=text,
                             auth_hint="check the account's handle and app password")

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds until a 429 lifts: Retry-After, else Bluesky's `ratelimit-reset` (epoch seconds)."""
        lower = {k.lower(): v for k, v in headers.items()}
        if "retry-after" in lower:
            return retry_after_seconds(lower)
        reset = lower.get("ratelimit-reset")
        if reset and reset.strip().isdigit():
            return max(1.0, float(reset) - self.ctx.clock.utcnow().timestamp())
        return None

    def bucket_for(self, method: str, path: str, body: Any) -> tuple[str, ...]:
        if path == "com.atproto.server.createSession":
            return ("default", "session", "session-day")
        if path in ("com.atproto.repo.createRecord", "com.atproto.repo.deleteRecord"):
            return ("default", "write", "write-day")
        return ("default",)

    # -- sessions ----------------------------------------------------------------------------------------
    @property
    def _key(self) -> tuple[str, str, str]:
        # the password's hash in the key: another password for the same handle never reuses this session
        secret = hashlib.sha256(self.settings.app_password.get_secret_value().encode()).hexdigest()[:16]
        return (self.base_url, self.settings.handle.lower(), secret)

    @property
    def _keyring(self) -> _Keyring | None:
        if not self.settings.persist_session:
            return None
        return _Keyring(f"bluesky-session:{self.settings.handle.lower()}@{urlsplit(self.base_url).hostname}")

    def session(self) -> Session:
        """This account's session: the process's, else the keyring's, else a new login."""
        key = self._key
        with _lock_for(key):
            found = _SESSIONS.get(key)
            if found is None and self._keyring is not None:
                found = self._keyring.load()
            if found is None:
                found = self._login()
            _SESSIONS[key] = found
            return found

    def _login(self) -> Session:
        from atproto import models  # type: ignore[import-untyped]

        data = models.ComAtprotoServerCreateSession.Data(
            identifier=self.settings.handle, password=self.settings.app_password.get_secret_value())
        r = self.sdk("POST", "com.atproto.server.createSession",
                     lambda c: c.com.atproto.server.create_session(data), idempotent=True)
        session = Session.from_tokens(r.did, r.handle, r.access_jwt, r.refresh_jwt)
        if self._keyring is not None:
            self._keyring.save(session)
        return session

    def _renew(self, stale: Session, *, login: bool = False) -> None:
        """Replace `stale` (expired, or refused): refresh it, or log in again when that is refused too. A thread
        that finds it replaced already uses the new one."""
        key = self._key
        with _lock_for(key):
            if _SESSIONS.get(key) not in (None, stale):
                return
            fresh: Session | None = None
            if not login:
                try:
                    r = self.sdk("POST", "com.atproto.server.refreshSession",
                                 lambda c: c.com.atproto.server.refresh_session(
                                     headers={"Authorization": f"Bearer {stale.refresh}"}), idempotent=True)
                    fresh = Session.from_tokens(r.did, r.handle, r.access_jwt, r.refresh_jwt)
                except AuthError:
                    fresh = None
            if fresh is None:
                fresh = self._login()
            elif self._keyring is not None:
                self._keyring.save(fresh)
            _SESSIONS[key] = fresh

    def xrpc(self, method: str, nsid: str, fn: Callable[[Any, dict[str, str]], Any], *,
             idempotent: bool | None = None) -> Any:
        """`fn(sdk_client, auth_headers)` as `METHOD nsid`, with this account's session: an expired access
        token is refreshed (proactively on hub's clock, or when the PDS says so) and the call made again, once."""
        session = self.session()
        if session.expires and session.expires <= self.ctx.clock.utcnow().timestamp() + 30:
            self._renew(session)
            session = self.session()
        for attempt in range(3):
            headers = {"Authorization": f"Bearer {session.access}"}
            try:
                return self.sdk(method, nsid, partial(_with_headers, fn, headers), idempotent=idempotent)
            except _Expired:
                if attempt == 2:
                    raise AuthError("Bluesky keeps refusing a refreshed session", provider=self.name) from None
                self._renew(session)
            except AuthError:
                # a session from an earlier run (the keyring's) the PDS no longer knows: log in again, once
                if attempt:
                    raise
                self._renew(session, login=True)
            session = self.session()
        raise AssertionError("unreachable")

    @property
    def did(self) -> str:
        return self.session().did

    # -- reads -------------------------------------------------------------------------------------------
    def pages(self, *, limit: int = 100) -> Iterator[list[dict[str, Any]]]:
        """The account's posts, newest first ({uri, rkey, value}), a page at a time (`listRecords`)."""
        from atproto import models  # type: ignore[import-untyped]
        from atproto_client.models.utils import get_model_as_dict  # type: ignore[import-untyped]

        cursor: str | None = None
        did = self.did
        while True:
            params = models.ComAtprotoRepoListRecords.Params(repo=did, collection=mapping.POST, limit=limit,
                                                             cursor=cursor)
            r = self.xrpc("GET", "com.atproto.repo.listRecords", _call("repo.list_records", params))
            page = [{"uri": rec.uri, "rkey": mapping.rkey_of(rec.uri), "value": get_model_as_dict(rec.value)}
                    for rec in r.records]
            if page:
                yield page
            cursor = r.cursor
            if not cursor or not page:
                return

    def posts(self) -> Iterator[dict[str, Any]]:
        """Every post of the account, newest first."""
        for page in self.pages():
            yield from page

    def find_post(self, key: str, since: datetime | None) -> dict[str, Any] | None:
        """The post hub made under `key`, read back from the author's records: those written since `since` (the
        earliest moment an earlier attempt could have posted it), or the newest page when that is not known."""
        mark = mapping.mark_for(key)
        if since is not None and since.tzinfo is None:  # hub's times are UTC, aware or not
            since = since.replace(tzinfo=UTC)
        bound = since - CLOCK_SKEW if since is not None else None
        for page in self.pages():
            for rec in page:
                if rec["value"].get(mapping.MARK) == mark:
                    return rec
            if bound is None:
                return None
            oldest = mapping.written_at(page[-1]["rkey"], page[-1]["value"])
            if oldest is not None and oldest < bound:
                return None
        return None

    def resolve(self, handles: list[str]) -> dict[str, str]:
        """The DIDs of the handles that resolve (`com.atproto.identity.resolveHandle`); others are left out."""
        from atproto import models  # type: ignore[import-untyped]

        out: dict[str, str] = {}
        for handle in handles:
            params = models.ComAtprotoIdentityResolveHandle.Params(handle=handle)
            try:
                r = self.xrpc("GET", "com.atproto.identity.resolveHandle", _call("identity.resolve_handle", params))
            except (NotFound, VendorValidationError):
                continue  # not a Bluesky handle: the text stays, without a mention facet
            out[handle] = r.did
        return out

    def post_views(self, uris: Sequence[str]) -> list[dict[str, Any]]:
        """Views of these posts as the AppView shows them now, with their counts (`app.bsky.feed.getPosts`, 25 uris a
        call); posts it does not know are left out. Keys as the lexicon names them (`likeCount`, `indexedAt`)."""
        from atproto import models  # type: ignore[import-untyped]
        from atproto_client.models.utils import get_model_as_dict  # type: ignore[import-untyped]

        out: list[dict[str, Any]] = []
        for start in range(0, len(uris), GET_POSTS_MAX):
            params = models.AppBskyFeedGetPosts.Params(uris=list(uris[start:start + GET_POSTS_MAX]))
            r = self.xrpc("GET", "app.bsky.feed.getPosts", partial(_get_posts, params))
            out += [get_model_as_dict(post) for post in r.posts]
        return out

    # -- writes ------------------------------------------------------------------------------------------
    def upload_image(self, path: str) -> dict[str, Any]:
        """Upload an image file; its blob reference (`uploadBlob`)."""
        from atproto_client.models.utils import get_model_as_dict  # type: ignore[import-untyped]

        if is_url(path):
            raise VendorValidationError(f"Bluesky needs an image file in the client's folder, not a URL ({path})",
                                        provider=self.name)
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise VendorValidationError(f"image {path} cannot be read: {exc.strerror}", provider=self.name) from None
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        r = self.xrpc("POST", "com.atproto.repo.uploadBlob",
                      lambda c, h: c.com.atproto.repo.upload_blob(data, headers={**h, "Content-Type": mime}),
                      idempotent=True)  # a blob is content-addressed: uploading it twice makes one
        blob: dict[str, Any] = get_model_as_dict(r.blob)
        return blob

    def publish(self, want: Mapping[str, Any], key: str, since: datetime | None = None) -> str:
        """Post `want` (a payload of `mapping.payload`) now, once ever under `key`: a post an earlier attempt made
        (since `since`) is read back first and returned instead. Returns the post's at:// URI."""
        from atproto import models  # type: ignore[import-untyped]

        found = self.find_post(key, since)
        if found is not None:
            return str(found["uri"])
        dids = self.resolve(mapping.mention_handles(want["text"]))
        blob = self.upload_image(want["image"]) if want.get("embed") == "images" and want.get("image") else None
        record = mapping.record(want, mapping.iso_now(self.ctx.clock.utcnow()), dids, blob, key)
        data = models.ComAtprotoRepoCreateRecord.Data(repo=self.did, collection=mapping.POST, record=record)
        lost: AmbiguousWrite | None = None
        for _ in range(CREATE_ATTEMPTS):
            sent = self.ctx.clock.utcnow()
            try:
                r = self.xrpc("POST", "com.atproto.repo.createRecord",
                              lambda c, h: c.com.atproto.repo.create_record(data, headers=h), idempotent=False)
                return str(r.uri)
            except AmbiguousWrite as exc:  # the answer was lost: did it happen?
                lost = exc
            found = self.find_post(key, sent)
            if found is not None:
                return str(found["uri"])
        assert lost is not None
        raise lost

    def publish_post(self, post: SocialPost, key: str, since: datetime | None = None) -> str:
        if post.image and is_url(post.image):
            raise NotSupported("Bluesky takes an image file from the client's folder, not a URL",
                               provider=self.name)
        return self.publish(mapping.payload(post, "now"), f"runner:{key}", since)

    def delete_post(self, uri: str) -> None:
        """Delete a post (`deleteRecord`); one already gone is no error. hub never deletes a published post
        itself: this is for tests and tools."""
        from atproto import models  # type: ignore[import-untyped]

        data = models.ComAtprotoRepoDeleteRecord.Data(repo=self.did, collection=mapping.POST,
                                                      rkey=mapping.rkey_of(uri))
        self.xrpc("POST", "com.atproto.repo.deleteRecord",
                  lambda c, h: c.com.atproto.repo.delete_record(data, headers=h), idempotent=True)
