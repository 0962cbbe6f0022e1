"""A stateful simulator of the Mastodon client API a posting tool uses: statuses, scheduled statuses, media,
the account and the instance's limits, with Bearer tokens, Link-header paging and Mastodon's rate limits.

Point Mastodon.py at it: ``Mastodon(access_token=MastodonSimulator.SANDBOX_TOKEN, api_base_url=sim.base_url,
version_check_mode="none")``. One account, "sandbox" (id "1", @sandbox), holds ``SANDBOX_TOKEN``; more come
with ``MastodonSimulator(clock, tokens={"token": "account"})``.

Followed (docs.joinmastodon.org: methods/statuses, methods/scheduled_statuses, methods/media, api/rate-limits,
api/guidelines#pagination): errors are ``{"error": "..."}``; 401 "The access token is invalid"; 404 "Record
not found"; 429 "Too many requests" with X-RateLimit-Limit/Remaining/Reset (Reset an ISO 8601 time) and no
Retry-After; 300 requests per 5 minutes per account, media uploads and status deletions 30 per 30 minutes each
on top; lists newest first, ``limit`` (statuses default 20, max 40; scheduled statuses default 20, max 40),
``max_id``/``min_id``/``since_id`` and a Link header whose ``next`` is given when a page is full; an
``Idempotency-Key`` seen in the last hour answers with what that request made; a scheduled status is published
(a new status, new id) once its time has come, on the next request (``settle``).

Read in Mastodon's source (app/services/post_status_service.rb, app/models/scheduled_status.rb):
- an Idempotency-Key is kept 3,600 s (``redis.setex(key, 3_600, id)``); a repeat within that time returns
  what the key made, looked up by id: when that status (or scheduled status: published or cancelled since) is
  gone, the answer is 404 "Record not found", and nothing is made;
- ``ScheduledStatus::TOTAL_LIMIT = 300`` and ``DAILY_LIMIT = 25`` (the pull request that added scheduling said
  50; the code has said 25 since), the day being the UTC date of ``scheduled_at``; both are ``:base`` errors:
  "Validation failed: You have exceeded the limit of 300 scheduled posts" / "... of 25 scheduled posts for
  today";
- ``scheduled_at`` at most 5 minutes ahead: Mastodon 4.3 and later (mastodon#30584) answer 422 "Validation
  failed: Scheduled at The scheduled date must be in the future" (4.4 rewords it, mastodon#33156: wording
  unverified); earlier versions posted such a status at once. The simulator is a 4.3 instance;
- media still processing: 422 "Cannot attach files that have not finished processing. Try again in a moment!"
  (a ``Mastodon::ValidationError``: no "Validation failed:" prefix);
- the character limit applies to the content warning and the text together, counted in grapheme clusters with
  each URL as 23 and ``@user@domain`` as ``@user`` (StatusLengthValidator), an error on ``:text``.

Choices where Mastodon's behaviour is not verified here (marked "unverified" where used):
- the wording of 422 "Validation failed: Text character limit of 500 exceeded" (the locale's
  ``statuses.over_character_limit``) and "Validation failed: Text can't be blank";
- uploads are processed after ``media_processing_seconds`` (default 0: ``url`` set at once, 200; more: 202 and
  ``url: null`` until then, and ``GET /api/v1/media/:id`` answers 206);
- a published status's ``content`` is the text as HTML (paragraphs, ``<br />``, links), mentions of remote
  accounts shown as ``@user``;
- engagement: a published status gains ``favourites_count``, ``reblogs_count`` and ``replies_count`` over
  simulated time after its ``created_at`` (`hub.simulator.activity.post_engagement`, seeded by the simulator's
  seed and the status id: most within hours, all within 3 days), shown wherever a status is returned
  (``GET /api/v1/statuses/:id``, account statuses, the ``statuses`` listing); the ``activity_totals`` control
  gives the same numbers as the simulator's own record. Who favourited, boosted or replied is not simulated.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, ClassVar
from urllib.parse import urlencode

from hub.simulator import (
    Abort,
    Collection,
    Row,
    SimRequest,
    SimResponse,
    Simulator,
    bearer_token,
    control,
    listing,
    route,
)
from hub.simulator.activity import post_engagement

from .. import mapping

STATUSES = Collection("statuses", model="Status", render="render_status")
SCHEDULED = Collection("scheduled_statuses", model="ScheduledStatus", render="render_scheduled")
MEDIA = Collection("media", model="MediaAttachment")

API_LIMIT = (300, 300.0)  # requests per 5 minutes per account
MEDIA_LIMIT = (30, 1800.0)  # uploads per 30 minutes per account
DELETE_LIMIT = (30, 1800.0)  # deleted statuses per 30 minutes per account (docs: api/rate-limits)
IDEMPOTENCY_SECONDS = 3600.0
MIN_LEAD = timedelta(minutes=5)
TOTAL_SCHEDULED = 300
DAILY_SCHEDULED = 25  # ScheduledStatus::DAILY_LIMIT (mastodon#9706's description said 50; its code says 25)
MAX_ALT = 1500
VISIBILITIES = ("public", "unlisted", "private", "direct")


def _stamp(when: datetime) -> str:
    """Times as Mastodon writes them: UTC with milliseconds."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _parse_time(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _invalid(message: str) -> Abort:
    return Abort(422, {"error": f"Validation failed: {message}"})


class MastodonSimulator(Simulator):
    name = "mastodon"
    base_path = ""
    collections = (STATUSES, SCHEDULED, MEDIA)
    error_messages: ClassVar[dict[int, str]] = {401: "The access token is invalid", 404: "Record not found",
                                                429: "Too many requests", 503: "Service Unavailable"}

    SANDBOX_TOKEN = "sandbox-mastodon-token"
    SANDBOX_ACCOUNT = "sandbox"
    MAX_CHARACTERS = mapping.MAX_CHARACTERS
    URL_LENGTH = mapping.URL_LENGTH

    statuses = listing(STATUSES)
    """Published statuses of one account (oldest first): id, text (as posted), created_at, content, ..."""
    scheduled_statuses = listing(SCHEDULED)
    """Scheduled statuses of one account (oldest first): id, scheduled_at, params (text, ...), media."""

    def __init__(self, clock: Any = None, **options: Any) -> None:
        tokens = options.pop("tokens", None) or {self.SANDBOX_TOKEN: self.SANDBOX_ACCOUNT}
        self.media_processing_seconds = float(options.pop("media_processing_seconds", 0.0))
        super().__init__(clock, **options)
        self.tokens: dict[str, str] = dict(tokens)
        for account in sorted(set(self.tokens.values())):  # the accounts exist before anyone asks
            self.account_state(account)

    # -- accounts ------------------------------------------------------------------------------------------
    def initial_state(self) -> dict[str, Any]:
        return {"idempotency": {}}

    def account_state(self, account: str) -> dict[str, Any]:
        with self.lock:
            fresh = account not in self.state
            st = super().account_state(account)
            if fresh or "profile" not in st:
                number = sorted(set(self.tokens.values())).index(account) + 1 if account in self.tokens.values() \
                    else len(self.state)
                st["profile"] = {"id": str(number), "username": account, "acct": account,
                                 "display_name": account.title(), "created_at": _stamp(self.clock.utcnow())}
            return st

    def known_accounts(self) -> list[str]:
        return sorted(set(self.state) | set(self.tokens.values()))

    def authenticate(self, req: SimRequest) -> str | SimResponse:
        token = bearer_token(req) or ""
        account = self.tokens.get(token)
        if account is None:  # one added by `add_account` before the simulator was restarted from its state file
            account = next((a for a, st in self.state.items() if token and token in st.get("tokens", ())), None)
        return account if account is not None else self.error(401)

    def error_body(self, status: int, message: str) -> Any:
        return {"error": message}

    def missing(self, req: SimRequest, model: str, key: object) -> SimResponse:
        return self.error(404)

    def not_found(self, req: SimRequest) -> SimResponse:
        return self.error(404)

    # -- rate limits ---------------------------------------------------------------------------------------
    def rate_limits(self, req: SimRequest) -> list[Any]:
        limits: list[Any] = [("api", *API_LIMIT)]
        if req.method == "POST" and req.path.endswith("/media"):
            limits.append(("media", *MEDIA_LIMIT))
        if req.method == "DELETE" and req.path.startswith("/api/v1/statuses/"):
            limits.append(("deletes", *DELETE_LIMIT))
        return limits

    def rate_limited(self, req: SimRequest, bucket: str, retry_after: int) -> SimResponse:
        # Mastodon's throttled answer has no Retry-After: X-RateLimit-Reset says when (docs: api/rate-limits)
        limit = {"api": API_LIMIT, "media": MEDIA_LIMIT, "deletes": DELETE_LIMIT}[bucket][0]
        reset = self.clock.utcnow() + timedelta(seconds=retry_after)
        return self.error(429, None, {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                                      "X-RateLimit-Reset": _stamp(reset)})

    def extra_headers(self, req: SimRequest, account: str | None) -> dict[str, str]:
        if account is None:
            return {}
        headers = self.rate_headers(account, "api", API_LIMIT[0], ("X-RateLimit-Limit", "X-RateLimit-Remaining"))
        period = API_LIMIT[1]
        now = self.clock.utcnow()
        elapsed = now.timestamp() % period  # Mastodon's windows are aligned on the period
        headers["X-RateLimit-Reset"] = _stamp(now + timedelta(seconds=period - elapsed))
        return headers

    # -- time --------------------------------------------------------------------------------------------
    def settle(self, account: str) -> None:
        """Publish every scheduled status whose time has come (Mastodon's scheduler, caught up lazily)."""
        with self.lock:
            st = self.account_state(account)
            now = self.clock.utcnow()
            table = SCHEDULED.table(st)
            for row in sorted(table.values(), key=lambda r: r["scheduled_at"]):
                when = _parse_time(row["scheduled_at"])
                if when is None or when > now:
                    continue
                del table[row["id"]]
                p = row["params"]
                self._publish(st, p["text"], media_ids=p.get("media_ids") or [], spoiler=p.get("spoiler_text"),
                              visibility=p.get("visibility"), language=p.get("language"), at=when)

    def _state(self, req: SimRequest) -> dict[str, Any]:
        assert req.account is not None
        self.settle(req.account)
        return self.account_state(req.account)

    def _new_id(self) -> str:
        # Mastodon's ids are snowflakes: increasing numbers as strings; here a counter, never reused
        return str(100000 + self.next_seq())

    # -- rendering -----------------------------------------------------------------------------------------
    def _media_json(self, st: dict[str, Any], media_id: str) -> Row:
        row = MEDIA.table(st).require(media_id)
        ready = self._ready(row)
        return {"id": row["id"], "type": "image", "url": row["url"] if ready else None,
                "preview_url": row["url"] if ready else None, "remote_url": None, "meta": {},
                "description": row.get("description"), "blurhash": None}

    def _ready(self, row: Row) -> bool:
        when = _parse_time(row["ready_at"])
        return when is None or when <= self.clock.utcnow()

    def render_status(self, st: dict[str, Any], row: Row) -> Row:
        profile = st["profile"]
        return {
            "id": row["id"], "created_at": row["created_at"], "in_reply_to_id": None,
            "in_reply_to_account_id": None, "sensitive": bool(row.get("spoiler_text")),
            "spoiler_text": row.get("spoiler_text") or "", "visibility": row["visibility"],
            "language": row.get("language"), "uri": f"https://sandbox.example/users/{profile['username']}"
            f"/statuses/{row['id']}", "url": f"https://sandbox.example/@{profile['username']}/{row['id']}",
            **self._engagement(row), "edited_at": None,
            "content": mapping.to_html(row["text"]), "reblog": None, "account": dict(profile),
            "media_attachments": [self._media_json(st, m) for m in row.get("media_ids") or []
                                  if m in MEDIA.table(st)],
            "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
            "text": row["text"],  # not in Mastodon's answer (it gives `content` only): the control listing's
        }

    def _engagement(self, row: Row) -> Row:
        """The status's counters now: favourites, boosts and replies grown since it was published."""
        created = _parse_time(row["created_at"])
        elapsed = (self.clock.utcnow() - created).total_seconds() if created else 0.0
        got = post_engagement(row["id"], elapsed, self.seed)
        return {"replies_count": got["replies"], "reblogs_count": got["boosts"], "favourites_count": got["favourites"]}

    @control("activity_totals")
    def activity_totals(self, account: str = "sandbox") -> dict[str, dict[str, int]]:
        """The simulator's own record for "now": ``{status_id: {favourites, boosts, replies}}`` of every published
        status of the account."""
        with self.lock:
            self.settle(account)
            out = {}
            for row in STATUSES.table(self.account_state(account)).values():
                created = _parse_time(row["created_at"])
                elapsed = (self.clock.utcnow() - created).total_seconds() if created else 0.0
                out[row["id"]] = post_engagement(row["id"], elapsed, self.seed)
            return out

    def render_scheduled(self, st: dict[str, Any], row: Row) -> Row:
        return {"id": row["id"], "scheduled_at": row["scheduled_at"], "params": dict(row["params"]),
                "media_attachments": [self._media_json(st, m) for m in row["params"].get("media_ids") or []
                                      if m in MEDIA.table(st)]}

    def _api_status(self, st: dict[str, Any], row: Row) -> Row:
        shown = self.render_status(st, row)
        shown.pop("text")
        return shown

    # -- reading requests ----------------------------------------------------------------------------------
    def _params(self, req: SimRequest) -> dict[str, list[str]]:
        """Form, multipart or JSON parameters as lists of strings (Rails takes all three)."""
        ctype = req.headers.get("content-type", "")
        if "json" in ctype:
            data = req.json()
            if not isinstance(data, dict):
                return {}  # Rails keeps a bare array or string under `_json`: nothing Mastodon reads
            out: dict[str, list[str]] = {}
            for k, v in data.items():
                values = v if isinstance(v, list) else [v]
                out[k.removesuffix("[]")] = ["" if x is None else str(x) for x in values]
            return out
        if "multipart/form-data" in ctype:
            return {k: [v for v in values if isinstance(v, str)] for k, values in self._multipart(req).items()}
        return {k.removesuffix("[]"): v for k, v in req.form().items()}

    def _multipart(self, req: SimRequest) -> dict[str, list[str | bytes]]:
        head = f"Content-Type: {req.headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + req.body)
        out: dict[str, list[str | bytes]] = {}
        if not message.is_multipart():
            return out
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                data = b""
            value: str | bytes = data if part.get_filename() else data.decode("utf-8", "replace")
            out.setdefault(name.removesuffix("[]"), []).append(value)
        return out

    @staticmethod
    def _first(params: dict[str, list[str]], name: str) -> str | None:
        values = params.get(name)
        return values[0] if values else None

    def _page(self, req: SimRequest, rows: list[Row], default: int, maximum: int) -> tuple[list[Row], dict[str, str]]:
        """Newest first, by id; `max_id`/`since_id`/`min_id` and `limit`; a Link header as Mastodon gives it."""
        try:
            limit = min(max(int(req.arg("limit") or default), 1), maximum)
        except ValueError:
            limit = default
        rows = sorted(rows, key=lambda r: int(r["id"]), reverse=True)
        max_id, since_id, min_id = req.arg("max_id"), req.arg("since_id"), req.arg("min_id")
        if max_id and max_id.isdigit():
            rows = [r for r in rows if int(r["id"]) < int(max_id)]
        if since_id and since_id.isdigit():
            rows = [r for r in rows if int(r["id"]) > int(since_id)]
        if min_id and min_id.isdigit():  # the page just after min_id, still shown newest first
            rows = [r for r in rows if int(r["id"]) > int(min_id)][-limit:]
        page = rows[:limit]
        links = []
        base = self.base_url + req.path
        if page and len(page) == limit:
            links.append(f'<{base}?{urlencode({"limit": limit, "max_id": page[-1]["id"]})}>; rel="next"')
        if page:
            links.append(f'<{base}?{urlencode({"limit": limit, "min_id": page[0]["id"]})}>; rel="prev"')
        return page, ({"Link": ", ".join(links)} if links else {})

    # -- the account and the instance -------------------------------------------------------------------------
    @route("GET", "/api/v1/accounts/verify_credentials")
    def verify_credentials(self, req: SimRequest) -> Any:
        st = self._state(req)
        return {**st["profile"], "locked": False, "bot": False, "note": "", "url": "https://sandbox.example/@"
                + st["profile"]["username"], "followers_count": 0, "following_count": 0,
                "statuses_count": len(STATUSES.table(st)),
                "source": {"privacy": "public", "sensitive": False, "language": None, "note": "", "fields": []}}

    def _configuration(self) -> dict[str, Any]:
        return {"statuses": {"max_characters": self.MAX_CHARACTERS, "max_media_attachments": 4,
                             "characters_reserved_per_url": self.URL_LENGTH},
                "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png", "image/gif",
                                                               "image/webp"],
                                      "image_size_limit": 16777216, "description_limit": MAX_ALT}}

    @route("GET", "/api/v2/instance")
    def instance_v2(self, req: SimRequest) -> Any:
        return {"domain": "sandbox.example", "title": "hub's Mastodon simulator", "version": "4.3.0",
                "api_versions": {"mastodon": 2}, "configuration": self._configuration()}

    @route("GET", "/api/v1/instance")
    def instance_v1(self, req: SimRequest) -> Any:
        return {"uri": "sandbox.example", "title": "hub's Mastodon simulator", "version": "4.3.0",
                "configuration": self._configuration()}

    # -- statuses ----------------------------------------------------------------------------------------------
    @route("POST", "/api/v1/statuses")
    def post_status(self, req: SimRequest) -> Any:
        st = self._state(req)
        params = self._params(req)
        key = req.headers.get("Idempotency-Key")
        now = self.clock.utcnow()
        if key:
            seen = st["idempotency"].get(key)
            if seen is not None and now.timestamp() - seen["at"] < IDEMPOTENCY_SECONDS:
                # the same request again: what it made the first time, found by id (404 once it is gone)
                if seen["kind"] == "scheduled":
                    return self.render_scheduled(st, SCHEDULED.table(st).require(seen["id"]))
                return self._api_status(st, STATUSES.table(st).require(seen["id"]))
        text = self._first(params, "status") or ""
        media_ids = [m for m in params.get("media_ids", []) if m]
        for m in media_ids:
            media = MEDIA.table(st).get(m)
            if media is None:
                raise Abort(422, {"error": f"Media {m} not found or already attached"})  # unverified wording
            if not self._ready(media):
                raise Abort(422, {"error": "Cannot attach files that have not finished processing. Try again"
                                           " in a moment!"})
        if not text.strip() and not media_ids:
            raise _invalid("Text can't be blank")
        spoiler = self._first(params, "spoiler_text") or None
        if mapping.length(text, self.URL_LENGTH, spoiler or "") > self.MAX_CHARACTERS:
            raise _invalid(f"Text character limit of {self.MAX_CHARACTERS} exceeded")
        visibility = self._first(params, "visibility") or "public"
        if visibility not in VISIBILITIES:
            raise _invalid("Visibility is not included in the list")  # unverified wording
        language = self._first(params, "language") or None
        scheduled_raw = self._first(params, "scheduled_at")
        if scheduled_raw:
            when = _parse_time(scheduled_raw)
            if when is None or when - now < MIN_LEAD:
                raise _invalid("Scheduled at The scheduled date must be in the future")
            pending = list(SCHEDULED.table(st).values())
            if len(pending) >= TOTAL_SCHEDULED:
                raise _invalid(f"You have exceeded the limit of {TOTAL_SCHEDULED} scheduled posts")
            day = when.date()
            if sum(1 for r in pending if (_parse_time(r["scheduled_at"]) or now).date() == day) >= DAILY_SCHEDULED:
                raise _invalid(f"You have exceeded the limit of {DAILY_SCHEDULED} scheduled posts for today")
            row = SCHEDULED.table(st).insert({
                "id": self._new_id(), "scheduled_at": _stamp(when),
                "params": {"text": text, "poll": None, "media_ids": media_ids or None, "sensitive": None,
                           "spoiler_text": spoiler, "visibility": visibility, "scheduled_at": None,
                           "language": language, "application_id": 1, "idempotency": key,
                           "with_rate_limit": False, "in_reply_to_id": None}})
            if key:
                st["idempotency"][key] = {"kind": "scheduled", "id": row["id"], "at": now.timestamp()}
            return self.render_scheduled(st, row)
        row = self._publish(st, text, media_ids=media_ids, spoiler=spoiler, visibility=visibility,
                            language=language, at=now)
        if key:
            st["idempotency"][key] = {"kind": "status", "id": row["id"], "at": now.timestamp()}
        return self._api_status(st, row)

    def _publish(self, st: dict[str, Any], text: str, *, media_ids: list[str], spoiler: str | None,
                 visibility: str | None, language: str | None, at: datetime) -> Row:
        return STATUSES.table(st).insert({"id": self._new_id(), "created_at": _stamp(at), "text": text,
                                          "media_ids": media_ids, "spoiler_text": spoiler,
                                          "visibility": visibility or "public", "language": language})

    @route("GET", "/api/v1/statuses/{id}")
    def get_status(self, req: SimRequest) -> Any:
        st = self._state(req)
        return self._api_status(st, STATUSES.table(st).require(req.params["id"]))

    @route("DELETE", "/api/v1/statuses/{id}")
    def delete_status(self, req: SimRequest) -> Any:
        st = self._state(req)
        row = STATUSES.table(st).require(req.params["id"])
        shown = {**self._api_status(st, row), "text": row["text"]}  # the deleted status with its source text
        del STATUSES.table(st)[row["id"]]
        return shown

    @route("GET", "/api/v1/accounts/{id}/statuses")
    def account_statuses(self, req: SimRequest) -> Any:
        st = self._state(req)
        if req.params["id"] != st["profile"]["id"]:
            return self.error(404)  # other accounts are not simulated
        rows = list(STATUSES.table(st).values())
        if req.arg("only_media") in ("true", "1"):
            rows = [r for r in rows if r.get("media_ids")]
        page, headers = self._page(req, rows, 20, 40)
        return SimResponse(200, [self._api_status(st, r) for r in page], headers)

    # -- scheduled statuses --------------------------------------------------------------------------------------
    @route("GET", "/api/v1/scheduled_statuses")
    def list_scheduled(self, req: SimRequest) -> Any:
        st = self._state(req)
        page, headers = self._page(req, list(SCHEDULED.table(st).values()), 20, 40)
        return SimResponse(200, [self.render_scheduled(st, r) for r in page], headers)

    @route("GET", "/api/v1/scheduled_statuses/{id}")
    def get_scheduled(self, req: SimRequest) -> Any:
        st = self._state(req)
        return self.render_scheduled(st, SCHEDULED.table(st).require(req.params["id"]))

    @route("PUT", "/api/v1/scheduled_statuses/{id}")
    def update_scheduled(self, req: SimRequest) -> Any:
        st = self._state(req)
        row = SCHEDULED.table(st).require(req.params["id"])
        raw = self._first(self._params(req), "scheduled_at")
        if raw:
            when = _parse_time(raw)
            if when is None or when - self.clock.utcnow() < MIN_LEAD:
                raise _invalid("Scheduled at The scheduled date must be in the future")
            row["scheduled_at"] = _stamp(when)
        return self.render_scheduled(st, row)

    @route("DELETE", "/api/v1/scheduled_statuses/{id}")
    def delete_scheduled_route(self, req: SimRequest) -> Any:
        st = self._state(req)
        row = SCHEDULED.table(st).require(req.params["id"])
        del SCHEDULED.table(st)[row["id"]]
        return {}

    # -- media -------------------------------------------------------------------------------------------------
    @route("POST", "/api/v2/media")
    @route("POST", "/api/v1/media")
    def upload_media(self, req: SimRequest) -> Any:
        st = self._state(req)
        if "multipart/form-data" not in req.headers.get("content-type", ""):
            raise _invalid("File can't be blank")  # unverified wording
        parts = self._multipart(req)
        files = [v for v in parts.get("file", []) if isinstance(v, bytes)]
        if not files or not files[0]:
            raise _invalid("File can't be blank")
        description = next((v for v in parts.get("description", []) if isinstance(v, str)), None)
        if description is not None and len(description) > MAX_ALT:
            raise _invalid(f"Description is too long (maximum is {MAX_ALT} characters)")
        media_id = self._new_id()
        ready = self.clock.utcnow() + timedelta(seconds=self.media_processing_seconds)
        MEDIA.table(st).insert({"id": media_id, "description": description, "size": len(files[0]),
                                "url": f"https://sandbox.example/media/{media_id}.png", "ready_at": _stamp(ready)})
        shown = self._media_json(st, media_id)
        return (200 if shown["url"] else 202), shown

    @route("GET", "/api/v1/media/{id}")
    def get_media(self, req: SimRequest) -> Any:
        st = self._state(req)
        shown = self._media_json(st, req.params["id"])
        return (200 if shown["url"] else 206), shown  # docs: 206 while still processing

    @route("PUT", "/api/v1/media/{id}")
    def update_media(self, req: SimRequest) -> Any:
        st = self._state(req)
        row = MEDIA.table(st).require(req.params["id"])
        description = self._first(self._params(req), "description")
        if description is not None:
            row["description"] = description
        return self._media_json(st, row["id"])

    # -- controls: the instance's web UI -------------------------------------------------------------------------
    @control("add_account")
    def add_account(self, account: str, token: str) -> Row:
        """Another account on the instance, reached with `token` (what its Development settings would issue)."""
        with self.lock:
            known = account in self.state
            st = self.account_state(account)
            if not known:  # a number after every account's, whatever order they were added in
                taken = [int(s["profile"]["id"]) for s in self.state.values() if "profile" in s and s is not st]
                st["profile"]["id"] = str(max(taken, default=0) + 1)
            st.setdefault("tokens", [])
            if token not in st["tokens"]:
                st["tokens"].append(token)  # kept in the state, so that a persisted simulator still knows it
            self.tokens[token] = account
            return dict(st["profile"])

    @control("edit_scheduled")
    def edit_scheduled(self, account: str, id: str, text: str | None = None,
                       scheduled_at: str | None = None) -> Row:
        """Edit a scheduled status as someone in the instance's UI would (its text and/or time)."""
        with self.lock:
            self.settle(account)
            st = self.account_state(account)
            row = SCHEDULED.table(st).require(str(id))
            if text is not None:
                row["params"]["text"] = text
            if scheduled_at is not None:
                when = _parse_time(scheduled_at)
                if when is None:
                    raise ValueError(f"scheduled_at {scheduled_at!r} is not an ISO 8601 time")
                row["scheduled_at"] = _stamp(when)
            return self.render_scheduled(st, row)

    @control("delete_scheduled")
    def delete_scheduled(self, account: str, id: str) -> None:
        """Delete a scheduled status as someone in the instance's UI would."""
        with self.lock:
            self.settle(account)
            SCHEDULED.table(self.account_state(account)).pop(str(id), None)

    @control("delete_status")
    def delete_published(self, account: str, id: str) -> None:
        """Delete a published status as someone in the instance's UI would."""
        with self.lock:
            STATUSES.table(self.account_state(account)).pop(str(id), None)

    @control("post")
    def post(self, account: str, text: str) -> Row:
        """A status someone posted by hand in the instance's UI."""
        with self.lock:
            st = self.account_state(account)
            return self.render_status(st, self._publish(st, text, media_ids=[], spoiler=None, visibility="public",
                                                        language=None, at=self.clock.utcnow()))


__all__ = ["MastodonSimulator"]
