"""A stateful simulator of a Bluesky PDS's XRPC API (what hub's Bluesky provider calls), under ``/xrpc/``.

Follows vendors/social-runner-reports-migrate.md §1 and the atproto lexicons: app-password login
(`com.atproto.server.createSession`) giving an access JWT and a refresh JWT (HS256, signed with the simulator's
own key, with `exp`), `refreshSession`, `getSession`; `com.atproto.repo.createRecord` / `deleteRecord` /
`getRecord` / `listRecords` / `uploadBlob`; `com.atproto.identity.resolveHandle`; `app.bsky.feed.getAuthorFeed` and
`app.bsky.feed.getPosts` (``uris``, 1 to 25 at-uris; posts not found are left out, as the AppView does).
Errors are XRPC's ``{"error": Name, "message": text}``.

A post's view (``app.bsky.feed.defs#postView``: uri, cid, author, record, indexedAt, ``likeCount``,
``repostCount``, ``replyCount``, ``quoteCount``) shows engagement grown over simulated time since it was indexed
(`hub.simulator.activity.post_engagement`, seeded by the simulator's seed and the post's uri: most within hours,
all within 3 days; quotes stay 0); the ``activity_totals`` control gives the same numbers as the simulator's own
record. Who liked, reposted or replied is not simulated.

Accounts: ``BlueskySimulator(clock, accounts={"name": {"handle": ..., "app_password": ..., "did": ...}},
handles={"alice.example": "did:plc:..."})``; by default the one sandbox account ``"sandbox"`` (`SANDBOX_HANDLE`,
`SANDBOX_APP_PASSWORD`). Options: ``request_limit`` (3,000 per 5 minutes), ``access_ttl`` (7,200 s).

Choices where the vendor's behaviour is not verified:
- Every method but createSession, refreshSession (its refresh token), resolveHandle and describeServer needs an
  access token here, listRecords and getRecord too (the real PDS serves those without one). No token → 401
  AuthenticationRequired; a token that does not verify → 401 AuthenticationRequired "Token could not be
  verified" (the PDS answers 400 InvalidToken; 401 here, as the kit expects of a refused credential); an expired
  access token → 400 ExpiredToken (as the PDS's auth verifier answers; the entryway and AppView answer 401
  ExpiredToken, which hub treats the same); a refresh token used as an access token (or the reverse) → 400
  InvalidToken.
- createSession: wrong identifier or password → 401 AuthenticationRequired "Invalid identifier or password";
  30 per 5 minutes and 300 a day per account → 429 RateLimitExceeded with ``ratelimit-*`` headers (no
  Retry-After; ``ratelimit-reset`` is epoch seconds). 3,000 requests per 5 minutes per account (per IP at the
  vendor); write points 5,000 an hour and 35,000 a day, a create costs 3, a delete 1.
- createRecord with a record key already taken → 400 InvalidRequest "Record already exists: <uri>" (a PDS on
  indigo answered 500 in 2024: bluesky-social/indigo#873). A post's record key, when the caller gives one, must be
  a TID (the lexicon's key type); the 2023 rule that it be within 10 minutes of the PDS's clock is not simulated.
  Keys the PDS gives are TIDs of its clock, strictly increasing. Fields a record's lexicon does not name are kept.
- A post over 300 graphemes or 3,000 bytes, a facet outside the text's bytes, a createdAt that is not a
  datetime, an embed of the wrong shape, a blob not uploaded to the account, an image over 1,000,000 bytes →
  400 InvalidRequest. uploadBlob refuses an image over 1,000,000 bytes at once (400 BlobTooLarge).
- getRecord of a missing record → 400 RecordNotFound. resolveHandle of an unknown handle → 400 InvalidRequest
  "Unable to resolve handle".
- listRecords: newest first by record key (``reverse=true``: oldest first), ``limit`` 1-100 (default 50), a
  ``cursor`` (the last record key) while a page is full.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from datetime import UTC, datetime
from typing import Any, ClassVar

from hub.simulator import Abort, Collection, SimRequest, SimResponse, Simulator, bearer_token, control, route
from hub.simulator.activity import post_engagement

from ..mapping import MAX_BYTES, MAX_GRAPHEMES, MAX_IMAGE_BYTES, POST, graphemes, tid_time

POSTS = Collection("records", model="Record")
BLOBS = Collection("blobs", model="Blob")
_B32 = "234567abcdefghijklmnopqrstuvwxyz"
_KEY = b"hub-bluesky-simulator"  # signs the simulator's JWTs (a test stand-in, not a secret)
PUBLIC = ("com.atproto.server.createSession", "com.atproto.server.refreshSession",
          "com.atproto.identity.resolveHandle", "com.atproto.server.describeServer")
ERROR_NAMES = {400: "InvalidRequest", 401: "AuthenticationRequired", 403: "Forbidden", 404: "NotFound",
               405: "InvalidRequest", 413: "PayloadTooLarge", 422: "InvalidRequest", 429: "RateLimitExceeded",
               501: "MethodNotImplemented", 502: "UpstreamFailure", 503: "NotEnoughResources"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tid(micros: int, clock_id: int) -> str:
    value = (micros << 10) | (clock_id & 0x3FF)
    out = ""
    for _ in range(13):
        out = _B32[value & 31] + out
        value >>= 5
    return out


def _cid(data: bytes) -> str:
    return "bafyrei" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii").lower().rstrip("=")[:52]


def _refuse(message: str, error: str = "InvalidRequest", status: int = 400) -> Abort:
    return Abort(status, {"error": error, "message": message})


class BlueskySimulator(Simulator):
    name = "bluesky"
    base_path = "/xrpc"
    collections = (POSTS, BLOBS)

    SANDBOX_HANDLE: ClassVar[str] = "sandbox.bsky.social"
    SANDBOX_APP_PASSWORD: ClassVar[str] = "sbxa-pppw-sand-box0"
    SANDBOX_DID: ClassVar[str] = "did:plc:sandbox000000000000000000"
    OTHER_HANDLES: ClassVar[dict[str, str]] = {"alice.bsky.social": "did:plc:alice00000000000000000000",
                                               "bob.example.com": "did:plc:bob0000000000000000000000"}

    def __init__(self, clock: Any = None, **options: Any) -> None:
        accounts = options.pop("accounts", None) or {
            "sandbox": {"handle": self.SANDBOX_HANDLE, "app_password": self.SANDBOX_APP_PASSWORD,
                        "did": self.SANDBOX_DID}}
        self.handles: dict[str, str] = {**self.OTHER_HANDLES, **options.pop("handles", {})}
        self.request_limit = int(options.pop("request_limit", 3000))
        self._last_tid = 0  # microseconds of the last record key given: keys only ever increase
        self.access_ttl = float(options.pop("access_ttl", 7200.0))
        super().__init__(clock, **options)
        self.accounts: dict[str, dict[str, str]] = {
            name: {"handle": a["handle"].lower(), "app_password": a["app_password"],
                   "did": a.get("did") or f"did:plc:{hashlib.sha256(name.encode()).hexdigest()[:24]}"}
            for name, a in accounts.items()}
        for a in self.accounts.values():
            self.handles[a["handle"]] = a["did"]

    # -- kit hooks --------------------------------------------------------------------------------------------
    def initial_state(self) -> dict[str, Any]:
        return {"sessions_created": 0}

    def known_accounts(self) -> list[str]:
        return sorted(set(self.state) | set(self.accounts))

    def error_body(self, status: int, message: str) -> Any:
        return {"error": ERROR_NAMES.get(status, "InternalServerError" if status >= 500 else "InvalidRequest"),
                "message": message}

    def _nsid(self, req: SimRequest) -> str:
        return req.path[len(self.base_path) + 1:] if req.path.startswith(self.base_path + "/") else req.path

    def _account_of(self, identifier: str) -> str | None:
        ident = identifier.lower().lstrip("@")
        return next((n for n, a in self.accounts.items() if ident in (a["handle"], a["did"])), None)

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        nsid = self._nsid(req)
        if nsid == "com.atproto.server.createSession":
            body = _json_object(req)
            if isinstance(body, SimResponse):
                return body
            name = self._account_of(str(body.get("identifier") or ""))
            if name is None or not hmac.compare_digest(str(body.get("password") or ""),
                                                       self.accounts[name]["app_password"]):
                return self.error(401, "Invalid identifier or password")
            return name
        if nsid in PUBLIC and nsid != "com.atproto.server.refreshSession":
            return "public"
        token = bearer_token(req)
        if token is None:
            return self.error(401, "Authentication Required")
        claims = self._verify(token)
        if claims is None:
            return self.error(401, "Token could not be verified")
        want = "com.atproto.refresh" if nsid == "com.atproto.server.refreshSession" else "com.atproto.access"
        if claims.get("scope") != want:
            return SimResponse(400, {"error": "InvalidToken", "message": "Bad token scope"})
        if float(claims.get("exp", 0)) <= self.clock.utcnow().timestamp():
            return SimResponse(400, {"error": "ExpiredToken", "message": "Token has expired"})
        name = self._account_of(str(claims.get("sub", "")))
        if name is None:
            return self.error(401, "Token could not be verified")
        return name

    def rate_limits(self, req: SimRequest) -> list[Any]:
        limits: list[Any] = [("requests", self.request_limit, 300.0)]
        nsid = self._nsid(req)
        if nsid == "com.atproto.server.createSession":
            limits += [("sessions", 30, 300.0), ("sessions-day", 300, 86400.0)]
        elif nsid in ("com.atproto.repo.createRecord", "com.atproto.repo.deleteRecord"):
            cost = 3 if nsid.endswith("createRecord") else 1
            limits += [("points", 5000, 3600.0, cost), ("points-day", 35000, 86400.0, cost)]
        return limits

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        limit, window = {"requests": (self.request_limit, 300), "sessions": (30, 300),
                         "sessions-day": (300, 86400), "points": (5000, 3600),
                         "points-day": (35000, 86400)}.get(bucket, (self.request_limit, 300))
        reset = math.ceil(self.clock.utcnow().timestamp() + retry_after)
        return SimResponse(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, {
            "ratelimit-limit": str(limit), "ratelimit-remaining": "0", "ratelimit-reset": str(reset),
            "ratelimit-policy": f"{limit};w={window}"})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        if account is None or account == "public":
            return {}
        remaining = self.rate_remaining(account, "requests")
        return {"ratelimit-limit": str(self.request_limit),
                "ratelimit-remaining": str(self.request_limit if remaining is None else remaining),
                "ratelimit-policy": f"{self.request_limit};w=300"}

    # -- tokens -----------------------------------------------------------------------------------------------
    def _jwt(self, did: str, scope: str, ttl: float) -> str:
        now = self.clock.utcnow().timestamp()
        header = _b64(json.dumps({"alg": "HS256", "typ": "at+jwt"}).encode())
        claims = _b64(json.dumps({"scope": scope, "sub": did, "iat": int(now), "exp": int(now + ttl),
                                  "jti": str(self.next_seq())}).encode())
        sig = _b64(hmac.new(_KEY, f"{header}.{claims}".encode(), hashlib.sha256).digest())
        return f"{header}.{claims}.{sig}"

    def _verify(self, token: str) -> dict[str, Any] | None:
        try:
            header, claims, sig = token.split(".")
            good = _b64(hmac.new(_KEY, f"{header}.{claims}".encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(sig, good):
                return None
            data = json.loads(_unb64(claims))
            return data if isinstance(data, dict) else None
        except (ValueError, UnicodeDecodeError):
            return None

    def _session(self, account: str) -> dict[str, Any]:
        a = self.accounts[account]
        return {"did": a["did"], "handle": a["handle"], "active": True,
                "accessJwt": self._jwt(a["did"], "com.atproto.access", self.access_ttl),
                "refreshJwt": self._jwt(a["did"], "com.atproto.refresh", 90 * 86400.0)}

    # -- server -----------------------------------------------------------------------------------------------
    @route("POST", "/xrpc/com.atproto.server.createSession")
    def create_session(self, req: SimRequest) -> Any:
        assert req.account is not None
        st = self.account_state(req.account)
        st["sessions_created"] = int(st.get("sessions_created", 0)) + 1
        return self._session(req.account)

    @route("POST", "/xrpc/com.atproto.server.refreshSession")
    def refresh_session(self, req: SimRequest) -> Any:
        assert req.account is not None
        return self._session(req.account)

    @route("GET", "/xrpc/com.atproto.server.getSession")
    def get_session(self, req: SimRequest) -> Any:
        assert req.account is not None
        a = self.accounts[req.account]
        return {"did": a["did"], "handle": a["handle"], "active": True}

    @route("GET", "/xrpc/com.atproto.identity.resolveHandle")
    def resolve_handle(self, req: SimRequest) -> Any:
        handle = (req.arg("handle") or "").lower()
        if not handle:
            raise _refuse("Error: Params must have the property \"handle\"")
        did = self.handles.get(handle)
        if did is None:
            raise _refuse("Unable to resolve handle")
        return {"did": did}

    # -- repo -------------------------------------------------------------------------------------------------
    def _repo(self, req: SimRequest, repo: Any) -> str:
        """The account named by `repo` (a handle or DID), which must be the caller's own for a write."""
        name = self._account_of(str(repo or ""))
        if name is None:
            raise _refuse(f"Could not find repo: {repo}")
        return name

    @route("POST", "/xrpc/com.atproto.repo.createRecord")
    def create_record(self, req: SimRequest) -> Any:
        body = _json_object(req)
        if isinstance(body, SimResponse):
            return body
        account = self._repo(req, body.get("repo"))
        if account != req.account:
            raise _refuse("Invalid repo: not the caller's", "InvalidRequest")
        collection = body.get("collection")
        value = body.get("record")
        if not isinstance(collection, str) or not collection:
            raise _refuse("Input must have the property \"collection\"")
        if not isinstance(value, dict):
            raise _refuse("Input/record must be an object")
        records = self.table(account, POSTS)
        blobs = self.table(account, BLOBS)
        if collection == POST:
            _validate_post(value, blobs)
        now = self.clock.utcnow()
        rkey = body.get("rkey")
        if rkey is None:
            self._last_tid = max(int(now.timestamp() * 1_000_000), self._last_tid + 1)
            rkey = _tid(self._last_tid, self.next_seq())
        if not isinstance(rkey, str) or not rkey or len(rkey) > 512 or "/" in rkey:
            raise _refuse("Input/rkey must be a valid record key")
        if collection == POST and tid_time(rkey) is None:
            raise _refuse(f"Invalid record key for {POST}: must be a TID")
        did = self.accounts[account]["did"]
        uri = f"at://{did}/{collection}/{rkey}"
        if f"{collection}/{rkey}" in records:
            raise _refuse(f"Record already exists: {uri}")
        cid = _cid(json.dumps(value, sort_keys=True).encode())
        records.insert({"id": f"{collection}/{rkey}", "uri": uri, "cid": cid, "collection": collection,
                        "rkey": rkey, "value": value, "indexedAt": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"})
        return {"uri": uri, "cid": cid, "commit": {"cid": _cid(uri.encode()), "rev": rkey},
                "validationStatus": "valid" if collection == POST else "unknown"}

    @route("POST", "/xrpc/com.atproto.repo.deleteRecord")
    def delete_record(self, req: SimRequest) -> Any:
        body = _json_object(req)
        if isinstance(body, SimResponse):
            return body
        account = self._repo(req, body.get("repo"))
        if account != req.account:
            raise _refuse("Invalid repo: not the caller's")
        self.table(account, POSTS).pop(f"{body.get('collection')}/{body.get('rkey')}", None)
        return {"commit": {"cid": _cid(str(body).encode()), "rev": str(self.next_seq())}}

    @route("GET", "/xrpc/com.atproto.repo.getRecord")
    def get_record(self, req: SimRequest) -> Any:
        account = self._repo(req, req.arg("repo"))
        row = self.table(account, POSTS).get(f"{req.arg('collection')}/{req.arg('rkey')}")
        if row is None:
            raise _refuse(f"Could not locate record: at://{req.arg('repo')}/{req.arg('collection')}/"
                          f"{req.arg('rkey')}", "RecordNotFound")
        return {"uri": row["uri"], "cid": row["cid"], "value": row["value"]}

    @route("GET", "/xrpc/com.atproto.repo.listRecords")
    def list_records(self, req: SimRequest) -> Any:
        account = self._repo(req, req.arg("repo"))
        collection = req.arg("collection")
        if not collection:
            raise _refuse("Error: Params must have the property \"collection\"")
        limit = _limit(req.arg("limit"), 50)
        reverse = (req.arg("reverse") or "").lower() == "true"
        cursor = req.arg("cursor")
        rows = sorted((r for r in self.table(account, POSTS).values() if r["collection"] == collection),
                      key=lambda r: r["rkey"], reverse=not reverse)
        if cursor:
            rows = [r for r in rows if (r["rkey"] > cursor if reverse else r["rkey"] < cursor)]
        page = rows[:limit]
        out: dict[str, Any] = {"records": [{"uri": r["uri"], "cid": r["cid"], "value": r["value"]} for r in page]}
        if len(page) == limit and len(rows) > limit:
            out["cursor"] = page[-1]["rkey"]
        return out

    @route("POST", "/xrpc/com.atproto.repo.uploadBlob")
    def upload_blob(self, req: SimRequest) -> Any:
        assert req.account is not None
        mime = (req.headers.get("content-type") or "application/octet-stream").split(";")[0].strip()
        size = len(req.body)
        if not size:
            raise _refuse("Request body is empty")
        if mime.startswith("image/") and size > MAX_IMAGE_BYTES:
            raise _refuse(f"This file is too large. It is {size} bytes, maximum is {MAX_IMAGE_BYTES} bytes",
                          "BlobTooLarge")
        cid = _cid(req.body)
        self.table(req.account, BLOBS)[cid] = {"id": cid, "mimeType": mime, "size": size}
        return {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": size}}

    @route("GET", "/xrpc/app.bsky.feed.getAuthorFeed")
    def get_author_feed(self, req: SimRequest) -> Any:
        account = self._repo(req, req.arg("actor"))
        limit = _limit(req.arg("limit"), 50)
        rows = sorted((r for r in self.table(account, POSTS).values() if r["collection"] == POST),
                      key=lambda r: (r["indexedAt"], r["rkey"]), reverse=True)
        cursor = req.arg("cursor")
        if cursor:
            rows = [r for r in rows if r["indexedAt"] + "|" + r["rkey"] < cursor]
        page = rows[:limit]
        out: dict[str, Any] = {"feed": [{"post": self._post_view(account, r)} for r in page]}
        if len(page) == limit and len(rows) > limit:
            out["cursor"] = page[-1]["indexedAt"] + "|" + page[-1]["rkey"]
        return out

    def _engagement(self, row: dict[str, Any]) -> dict[str, int]:
        indexed = datetime.fromisoformat(row["indexedAt"].replace("Z", "+00:00"))
        return post_engagement(row["uri"], (self.clock.utcnow() - indexed).total_seconds(), self.seed)

    def _post_view(self, account: str, row: dict[str, Any]) -> dict[str, Any]:
        """An ``app.bsky.feed.defs#postView`` of one of the account's posts, its counts as of now."""
        a, got = self.accounts[account], self._engagement(row)
        return {"uri": row["uri"], "cid": row["cid"], "author": {"did": a["did"], "handle": a["handle"]},
                "record": row["value"], "indexedAt": row["indexedAt"], "replyCount": got["replies"],
                "repostCount": got["boosts"], "likeCount": got["favourites"], "quoteCount": 0, "labels": []}

    @route("GET", "/xrpc/app.bsky.feed.getPosts")
    def get_posts(self, req: SimRequest) -> Any:
        """Views of the posts named by ``uris`` (1 to 25), in the order asked; unknown ones are left out."""
        uris = req.query.get("uris", [])
        if not uris:
            raise _refuse("Error: Params must have the property \"uris\"")
        if len(uris) > 25:
            raise _refuse("Error: uris must not have more than 25 elements")
        posts = []
        for uri in uris:
            parts = uri.removeprefix("at://").split("/")
            account = self._account_of(parts[0]) if len(parts) == 3 else None
            row = self.table(account, POSTS).get(f"{parts[1]}/{parts[2]}") if account else None
            if account is not None and row is not None and row["collection"] == POST:
                posts.append(self._post_view(account, row))
        return {"posts": posts}

    # -- controls ("what the vendor's UI shows") ---------------------------------------------------------------
    @control("posts")
    def posts(self, account: str = "sandbox") -> list[dict[str, Any]]:
        """The account's posts, oldest first as the UI lists them by time, each with its uri, text, createdAt,
        embed (or None), facets and langs."""
        with self.lock:
            rows = [r for r in self.table(account, POSTS).values() if r["collection"] == POST]
            rows.sort(key=lambda r: (r["indexedAt"], r["rkey"]))
            return [{"uri": r["uri"], "rkey": r["rkey"], "text": r["value"].get("text", ""),
                     "createdAt": r["value"].get("createdAt"), "embed": r["value"].get("embed"),
                     "facets": r["value"].get("facets") or [], "langs": r["value"].get("langs") or [],
                     "indexedAt": r["indexedAt"]} for r in rows]

    @control("activity_totals")
    def activity_totals(self, account: str = "sandbox") -> dict[str, dict[str, int]]:
        """The simulator's own record for "now": ``{uri: {favourites, boosts, replies}}`` of every post of the
        account (likes, reposts, replies)."""
        with self.lock:
            out = {}
            for r in self.table(account, POSTS).values():
                if r["collection"] == POST:
                    indexed = datetime.fromisoformat(r["indexedAt"].replace("Z", "+00:00"))
                    out[r["uri"]] = post_engagement(r["uri"], (self.clock.utcnow() - indexed).total_seconds(),
                                                    self.seed)
            return out

    @control("sessions_created")
    def sessions_created(self, account: str = "sandbox") -> int:
        """How many times the account logged in (createSession calls that succeeded)."""
        with self.lock:
            return int(self.account_state(account).get("sessions_created", 0))

    @control("delete_post")
    def delete_post(self, uri: str, account: str = "sandbox") -> bool:
        """Delete a post as its author would in the app; whether it was there."""
        with self.lock:
            key = "/".join(uri.split("/")[-2:])
            return self.table(account, POSTS).pop(key, None) is not None


def _json_object(req: SimRequest) -> dict[str, Any] | SimResponse:
    try:
        body = req.json()
    except Exception:  # the kit's MalformedBody, or undecodable bytes
        return SimResponse(400, {"error": "InvalidRequest", "message": "Request body must be JSON"})
    if not isinstance(body, dict):
        return SimResponse(400, {"error": "InvalidRequest", "message": "Input must be an object"})
    return body


def _limit(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 100:
        raise _refuse("Error: limit must be an integer from 1 to 100")
    return int(value)


def _validate_post(value: dict[str, Any], blobs: Any) -> None:
    """The checks a PDS makes of an `app.bsky.feed.post` record (400 InvalidRequest, Bluesky's messages)."""
    if value.get("$type", POST) != POST:
        raise _refuse(f"Invalid $type: must be {POST}")
    text = value.get("text")
    if not isinstance(text, str):
        raise _refuse("Record/text must be a string")
    if graphemes(text) > MAX_GRAPHEMES:
        raise _refuse(f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes")
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise _refuse(f"Record/text must not be longer than {MAX_BYTES} characters")
    created = value.get("createdAt")
    try:
        datetime.fromisoformat(str(created).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise _refuse("Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)") from None
    facets = value.get("facets") or []
    if not isinstance(facets, list):
        raise _refuse("Record/facets must be an array")
    for i, facet in enumerate(facets):
        index = facet.get("index") if isinstance(facet, dict) else None
        if not isinstance(index, dict):
            raise _refuse(f"Record/facets/{i}/index must be an object")
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= size:
            raise _refuse(f"Record/facets/{i}/index must be a byte range inside the text")
        features = facet.get("features")
        if not isinstance(features, list) or not features:
            raise _refuse(f"Record/facets/{i}/features must be a non-empty array")
        for feature in features:
            kind = feature.get("$type") if isinstance(feature, dict) else None
            need = {"app.bsky.richtext.facet#link": "uri", "app.bsky.richtext.facet#mention": "did",
                    "app.bsky.richtext.facet#tag": "tag"}.get(str(kind))
            if need is None or not isinstance(feature.get(need), str):
                raise _refuse(f"Record/facets/{i}/features has an invalid feature")
    langs = value.get("langs")
    if langs is not None and (not isinstance(langs, list) or len(langs) > 3):
        raise _refuse("Record/langs must be an array of at most 3 languages")
    embed = value.get("embed")
    if embed is not None:
        _validate_embed(embed, blobs)


def _validate_embed(embed: Any, blobs: Any) -> None:
    kind = embed.get("$type") if isinstance(embed, dict) else None
    if kind == "app.bsky.embed.images":
        images = embed.get("images")
        if not isinstance(images, list) or not 1 <= len(images) <= 4:
            raise _refuse("Record/embed/images must hold 1 to 4 images")
        for i, img in enumerate(images):
            if not isinstance(img, dict) or not isinstance(img.get("alt"), str):
                raise _refuse(f"Record/embed/images/{i} must have the property \"alt\"")
            blob = img.get("image")
            ref = (blob or {}).get("ref") if isinstance(blob, dict) else None
            cid = ref.get("$link") if isinstance(ref, dict) else None
            if not isinstance(cid, str) or cid not in blobs:
                raise _refuse(f"Could not find blob: {cid}", "BlobNotFound")
            if blobs[cid]["size"] > MAX_IMAGE_BYTES:
                raise _refuse(f"Record/embed/images/{i}/image file too big (max {MAX_IMAGE_BYTES} bytes)")
            if not str(blobs[cid]["mimeType"]).startswith("image/"):
                raise _refuse(f"Record/embed/images/{i}/image has an unaccepted MIME type")
    elif kind == "app.bsky.embed.external":
        ext = embed.get("external")
        if not isinstance(ext, dict) or not all(isinstance(ext.get(k), str) for k in ("uri", "title", "description")):
            raise _refuse("Record/embed/external must have uri, title and description")
    else:
        raise _refuse(f"Record/embed has an unsupported $type: {kind}")
