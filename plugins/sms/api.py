"""Twilio's API for one account, over the official `twilio` SDK called through hub's shared limits, retries
and error mapping: settings, senders and their pacing, texts (send, cancel, find after a lost answer),
inbound STOPs.

SDK facts handled here, once (../shared/vendors/mailchimp-twilio.md §3.1-3.2, §4.2): no base-URL option
(hub's own HTTP client for the SDK rewrites every *.twilio.com host, so the absolute `next_page_url`s of the
v1/v2 APIs reach the same place, and sends on `hub.plugin.Wire`, not `requests`: a text is one request, and
`requests` doubled hub's CPU per text), no default timeout (hub passes one), `TWILIO_EDGE`/`TWILIO_REGION` in
the environment silently rewriting hosts (hub gives the client an empty environment), no retries of its
own, network errors raised raw, and RFC 9457 error bodies raising `TwilioServiceException`, which is not
a `TwilioRestException`. The rest (the client built on first use, the last response per thread, limits
and retries, network errors) is `hub.plugin.SdkAdapter`'s.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pydantic import SecretStr, model_validator

from hub.plugin import (
    AmbiguousWrite,
    Contact,
    Delivery,
    DeliveryLedger,
    HubError,
    InboundText,
    Provider,
    ProviderContext,
    ProviderError,
    ProviderSettings,
    RateLimit,
    References,
    SdkAdapter,
    SdkCall,
    SharedRead,
    StepText,
    VendorApi,
    VendorValidationError,
    Wire,
    count_segments,
    default_error,
    form_pairs,
)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
LONG_CODE_MPS = 1.0  # segments a second a long-code sender may send (../shared/vendors/mailchimp-twilio.md §3.5)
PAGE = 1000
TEXT_CHUNK = 100  # runner texts journalled per transaction


def _record(ledger: DeliveryLedger, rows: Sequence[tuple[StepText, tuple[str, str, str]]], stamp: str) -> None:
    """Ledger rows (text, (status, SID, detail)), one transaction per ledger name."""
    by_name: dict[str, list[tuple[str, str, str, str, str, str]]] = {}
    for text, (status, sid, detail) in rows:
        by_name.setdefault(text.ledger, []).append((text.to, status, sid, "", stamp, detail))
    for name, entries in by_name.items():
        ledger.record(name, entries)


class OptedOut(VendorValidationError):
    """Twilio 21610: the recipient texted STOP to this sender."""


class NotScheduled(VendorValidationError):
    """Twilio 30409: a message can be canceled only while it is scheduled."""


def _http_client_class() -> type:
    from twilio.http import HttpClient
    from twilio.http.response import Response

    class HubTwilioHttpClient(HttpClient):  # type: ignore[misc]
        """The SDK's requests on `Wire`, every one meant for *.twilio.com sent to `base_url` instead (a simulator
        or a proxy)."""

        def __init__(self, base_url: str | None, timeout: float, pool_size: int) -> None:
            super().__init__(logging.getLogger("twilio.http_client"), False, timeout)
            self.base_url = base_url.rstrip("/") if base_url else None
            self.wire = Wire(pool_size=pool_size, timeout=timeout)
            self._basic: dict[tuple[str, str], str] = {}  # the header of each credential pair, made once

        def _redirected(self, url: str) -> str:
            """`url` at `base_url` when it is meant for *.twilio.com (the SDK's own hosts), else `url`."""
            origin, slash, rest = url.partition("://")[2].partition("/")
            host = origin.rpartition("@")[2].partition(":")[0].lower()
            return f"{self.base_url}{slash}{rest}" if host.endswith("twilio.com") else url

        def request(self, method: str, url: str, params: Mapping[str, Any] | None = None,
                    data: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
                    auth: tuple[str, str] | None = None, timeout: float | None = None,
                    allow_redirects: bool = False) -> Response:
            if self.base_url:
                url = self._redirected(url)
            sent = dict(headers or {})
            if auth is not None:
                basic = self._basic.get(auth)
                if basic is None:
                    basic = self._basic[auth] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
                sent["Authorization"] = basic
            body = None
            if sent.get("Content-Type") in ("application/json", "application/scim+json"):
                body = json.dumps(data).encode()
            elif data:
                body = urlencode(form_pairs(data)).encode()
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            answer = self.wire.send(method.upper(), url, headers=sent, body=body, params=form_pairs(params),
                                    timeout=timeout or self.timeout)
            return Response(answer.status, answer.text, answer.headers)

    return HubTwilioHttpClient


class TwilioSdk(SdkAdapter):
    api: TwilioApi

    def build_client(self) -> Any:
        from twilio.rest import Client

        s = self.api.settings
        user, password = (s.api_key_sid, s.api_key_secret) if s.api_key_sid else (s.account_sid, s.auth_token)
        http = _http_client_class()(s.base_url, s.timeout, self.api.limits.max_concurrency)
        http.request = self.recorded(http.request)  # errors drop the response: its headers are read from here
        return Client(user, password.get_secret_value() if password else None,  # type: ignore[union-attr]
                      account_sid=s.account_sid, http_client=http, environment={})

    def translate(self, exc: Exception, call: SdkCall) -> Exception | None:
        # Network errors come raw, not as the SDK's: the adapter classifies them (with the URL they carry,
        # the one really asked after the host rewrite).
        from twilio.base.exceptions import TwilioException, TwilioRestException

        if isinstance(exc, TwilioRestException):
            return self.refused(call, int(exc.status), {"code": exc.code, "message": exc.msg})
        if isinstance(exc, TwilioException):  # TwilioServiceException (RFC 9457 bodies) and list-page errors
            return self._other_error(exc, call)
        return None

    def _other_error(self, exc: Exception, call: SdkCall) -> Exception:
        """A list page that failed carries the raw response as its second argument; RFC 9457 errors carry
        `status` and `code`."""
        response = exc.args[1] if len(exc.args) > 1 and hasattr(exc.args[1], "status_code") else None
        if response is not None:
            try:
                body = json.loads(response.text or "{}")
            except ValueError:
                body = {"message": response.text}
            return self.refused(call, int(response.status_code), body, response.headers or {})
        status = int(getattr(exc, "status", 0) or 0) or 500
        return self.refused(call, status, {"code": getattr(exc, "code", None), "message": str(exc)}, {})


class TwilioSettings(ProviderSettings):
    account_sid: str
    auth_token: SecretStr | None = None
    api_key_sid: str | None = None
    api_key_secret: SecretStr | None = None
    messaging_service_sid: str | None = None
    from_number: str | None = None
    # segments per second hub sends at; by default one per sender in the Messaging Service (long codes)
    throughput: float | None = None
    status_callback: str | None = None
    timeout: float = 15.0

    @model_validator(mode="after")
    def _complete(self) -> TwilioSettings:
        if not self.auth_token and not (self.api_key_sid and self.api_key_secret):
            raise ValueError("give auth_token, or api_key_sid and api_key_secret")
        if not self.messaging_service_sid and not self.from_number:
            raise ValueError("give messaging_service_sid (needed to schedule texts) and/or from_number")
        return self



class TwilioApi(VendorApi[TwilioSettings]):
    def __init__(self, vendor: type[Provider], settings: TwilioSettings, ctx: ProviderContext) -> None:
        super().__init__(vendor, settings, ctx)
        self.sdk = TwilioSdk(self)
        self._numbers = SharedRead()
        self._stops = SharedRead()
        self._paced = False

    @property
    def can_schedule(self) -> bool:
        return bool(self.settings.messaging_service_sid)  # Twilio schedules only through a service

    @property
    def sender_label(self) -> str:
        return self.settings.messaging_service_sid or self.settings.from_number or ""

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> Exception:
        body = body if isinstance(body, dict) else {}
        code, text = body.get("code"), body.get("message") or "no details given"
        text = f"Twilio error {code}: {text}" if code else text
        if code == 21610:
            return OptedOut(f"HTTP {status}: {text}", provider=self.name, status=status)
        if code == 30409:
            return NotScheduled(f"HTTP {status}: {text}", provider=self.name, status=status)
        # 20003 (authentication) comes as 401/403 and 20429 (too many requests) as 429: the statuses say it
        return default_error(self.name, status, body, headers, text=text,
                             auth_hint="check account_sid and auth_token or the API key")

    def bucket_for(self, method: str, path: str, body: Any) -> tuple[str, ...]:
        if isinstance(body, dict) and "segments" in body:  # a text sent now: a place per segment at the senders
            return ("send",) * int(body["segments"])
        return ()

    # -- senders and pacing ---------------------------------------------------------------------------------
    def numbers(self) -> list[str]:
        """The numbers texts come from (the Messaging Service's senders, or `from_number`)."""
        def load() -> list[str]:
            sid = self.settings.messaging_service_sid
            if not sid:
                return [self.settings.from_number or ""]
            found = self("GET", f"v1/Services/{sid}/PhoneNumbers",
                             lambda c: [p.phone_number for p in c.messaging.v1.services(sid).phone_numbers.stream()])
            return found or ([self.settings.from_number] if self.settings.from_number else [])
        return self._numbers.get(load)

    def _pace(self) -> None:
        if self._paced:
            return
        rate = self.settings.throughput or LONG_CODE_MPS * max(1, len(self.numbers()))
        # the senders' throughput: Twilio queues what is over it, so this window is not strict
        limit = RateLimit("send", int(rate), 1.0, strict=False) if rate >= 1 else \
            RateLimit("send", 1, 1.0 / rate, strict=False)
        self.http.gate.configure(limit)
        self._paced = True

    # -- messages ------------------------------------------------------------------------------------------------
    def create_message(self, to: str, body: str, media: list[str], send_at: str | None, *,
                       segments: int) -> tuple[str, str]:
        self._pace()
        s = self.settings
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if media:
            kwargs["media_url"] = media
        if s.messaging_service_sid:
            kwargs["messaging_service_sid"] = s.messaging_service_sid
        else:
            kwargs["from_"] = s.from_number
        if s.status_callback:
            kwargs["status_callback"] = s.status_callback
        if send_at:
            kwargs.update(schedule_type="fixed", send_at=send_at)
        cost = {} if send_at else {"segments": segments}
        msg = self("POST", "Messages.json", lambda c: c.messages.create(**kwargs), body=cost, idempotent=False)
        return str(msg.sid), str(msg.status)

    def cancel_message(self, sid: str) -> str:
        """Cancel a scheduled message (Status=canceled; Twilio answers 30409 once it is not scheduled any more,
        ../shared/vendors/mailchimp-twilio.md §3.4) and return its status afterwards. When the answer is lost,
        or Twilio says it is not scheduled, Twilio is asked how it stands: canceled, or gone out."""
        try:
            msg = self("POST", f"Messages/{sid}.json", lambda c: c.messages(sid).update(status="canceled"),
                           idempotent=False)
        except (AmbiguousWrite, NotScheduled):
            return self.message_status(sid)
        return str(msg.status)

    def message_status(self, sid: str) -> str:
        return str(self("GET", f"Messages/{sid}.json", lambda c: c.messages(sid).fetch()).status)

    def find_message(self, to: str, body: str, since: datetime) -> tuple[str, str] | None:
        """A text already sent to `to` with this body since `since` (the reconciliation after a crash)."""
        # Not filtered by DateSent: a text still queued has no date_sent yet. The list is newest first.
        after = since - timedelta(minutes=5)

        def scan(c: Any) -> tuple[str, str] | None:
            for msg in c.messages.stream(to=to, page_size=50):
                if msg.date_created is not None and msg.date_created < after:
                    return None
                if msg.body == body and msg.direction.startswith("outbound") and msg.status != "canceled":
                    return str(msg.sid), "scheduled" if msg.status == "scheduled" else "sent"
            return None

        return self("GET", "Messages.json", scan)

    def send_texts(self, texts: Sequence[StepText]) -> dict[tuple[str, str], str]:
        """Texts of hub's automation runner, each once per (ledger name, number), journalled like a campaign's
        but in chunks: one transaction notes a chunk's texts `pending` before any of them is sent, one settles
        them after. A row a crash left `pending` is looked up at Twilio before anything is sent again. The next
        chunk is noted and on its way while the last texts of the one before are answered (no idle senders
        between chunks); a crash leaves at most two chunks to look up."""
        services = self.ctx.services
        if services is None:
            raise ProviderError("texts need hub's state (the runner lends it)", provider=self.name)
        ledger = services.ledger(self.ctx.account)
        optouts = services.optouts()
        by_ledger: dict[str, list[str]] = {}
        for text in texts:
            by_ledger.setdefault(text.ledger, []).append(text.to)
        rows = {(name, to): row for name, numbers in by_ledger.items()
                for to, row in ledger.deliveries(name, numbers).items()}
        out: dict[tuple[str, str], str] = {}

        def finish(chunk: Sequence[StepText], settled: list[tuple[StepText, tuple[str, str, str]]],
                   todo: list[StepText], sending: list[Future[tuple[str, str, str]]], stamp: str) -> None:
            done = [*settled, *zip(todo, (f.result() for f in sending), strict=True)]
            _record(ledger, done, stamp)
            out.update({(t.ledger, t.to): result[0] for t, result in done})
            for t in chunk:
                if (t.ledger, t.to) not in out:  # texted (or refused) by an earlier run
                    out[(t.ledger, t.to)] = rows[(t.ledger, t.to)].status

        with ThreadPoolExecutor(max_workers=max(1, self.limits.max_concurrency)) as pool:
            before: tuple[Any, ...] | None = None
            for start in range(0, len(texts), TEXT_CHUNK):
                chunk = texts[start:start + TEXT_CHUNK]
                settled, todo = self._before_sending(chunk, rows, optouts)
                stamp = self.ctx.clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
                _record(ledger, [(t, ("pending", "", "")) for t in todo], stamp)
                sending = [pool.submit(self._text, t) for t in todo]
                if before is not None:
                    finish(*before)
                before = (chunk, settled, todo, sending, stamp)
            if before is not None:
                finish(*before)
        return out

    def _before_sending(self, chunk: Sequence[StepText], rows: Mapping[tuple[str, str], Delivery],
                        optouts: Mapping[str, str]) -> tuple[list[tuple[StepText, tuple[str, str, str]]],
                                                             list[StepText]]:
        """What a chunk's texts need: (text, settled row) for those known already (an earlier run's, found at
        Twilio; an opted-out number), and the texts to send. A text sent or refused before is in neither."""
        settled: list[tuple[StepText, tuple[str, str, str]]] = []
        todo: list[StepText] = []
        for text in chunk:
            row = rows.get((text.ledger, text.to))
            if row is not None and row.status == "pending":  # an earlier run never heard Twilio's answer
                since = datetime.fromisoformat(row.created_at.replace("Z", "+00:00"))
                found = self.find_message(text.to, text.body, since)
                if found is not None:
                    settled.append((text, (found[1], found[0], "reconciled: found")))
                    continue
            elif row is not None and row.status not in ("planned", "retry"):
                continue  # texted (or refused) before: never again
            if text.to in optouts:
                settled.append((text, ("opted_out", "", "the number opted out")))
            else:
                todo.append(text)
        return settled, todo

    def _text(self, text: StepText) -> tuple[str, str, str]:
        status = self.send_text(text.to, text.body, segments=count_segments(text.body).segments)
        if status[0] == "opted_out" and self.ctx.services is not None:
            self.ctx.services.record_optout(text.to, "21610")
        return status

    def send_text(self, to: str, body: str, media: Sequence[str] = (), send_at: str | None = None, *,
                  segments: int) -> tuple[str, str, str]:
        """Send (or schedule) one text: (ledger status, message SID, detail). A lost answer is looked up at
        Twilio rather than sent again; an answer that never comes back leaves `retry`."""
        asked = self.ctx.clock.utcnow()
        try:
            sid, status = self.create_message(to, body, list(media), send_at, segments=segments)
        except OptedOut:
            return "opted_out", "", "21610: the recipient texted STOP"
        except AmbiguousWrite as exc:
            found = self.find_message(to, body, asked)
            return (found[1], found[0], "found after a lost answer") if found else ("retry", "", str(exc))
        except VendorValidationError as exc:
            return ("invalid" if exc.status == 400 else "failed"), "", exc.message
        except HubError as exc:
            return "retry", "", str(exc)
        return ("scheduled" if send_at else "sent"), sid, status

    def inbound_texts(self, since: datetime) -> list[InboundText]:
        """Inbound texts to the senders since `since`, oldest first (one listing per number, from that day)."""
        out: list[InboundText] = []
        for number in self.numbers():
            if not number:
                continue

            def stream_to(c: Any, n: str = number) -> list[Any]:
                return list(c.messages.stream(to=n, date_sent_after=since, page_size=PAGE))

            for msg in self("GET", "Messages.json", stream_to):
                at = msg.date_sent or msg.date_created
                if msg.direction == "inbound" and at is not None and at >= since:
                    out.append(InboundText(str(msg.sid), str(msg.from_), msg.body or "", at))
        return sorted(out, key=lambda t: t.at)

    def export_contacts(self, refs: References) -> Iterator[Contact]:
        """The numbers this account's senders hold as opted out (they texted a STOP word), as phone-only contacts
        whose SMS consent is unsubscribed. Twilio keeps an opt-out per Messaging Service (error 21610), so when a
        client moves its texts to another service or account (`hub migrate`, `role: source`), hub carries these
        and keeps the new sender from texting them. Twilio offers no listing of opted-out numbers: they are read
        from the inbound messages, as `inbound_stops` does (a START texted later is not read back: unverified)."""
        for number in sorted(self.inbound_stops()):
            yield Contact.model_validate({"phone": number, "consent": {"sms": "unsubscribed"}})

    def inbound_stops(self, *, refresh: bool = False) -> dict[str, str]:
        """Numbers that texted a STOP word to one of our senders (read once per plan)."""
        def load() -> dict[str, str]:
            stops: dict[str, str] = {}
            for number in self.numbers():
                if not number:
                    continue

                def stream_to(c: Any, n: str = number) -> list[Any]:
                    return list(c.messages.stream(to=n, page_size=PAGE))

                inbound = self("GET", "Messages.json", stream_to)
                for msg in inbound:
                    if msg.direction == "inbound" and (msg.body or "").strip().upper() in STOP_WORDS:
                        stops[str(msg.from_)] = "inbound STOP"
            return stops
        return self._stops.get(load, refresh=refresh)

    # -- hub import -------------------------------------------------------------------------------------
    def import_account(self, refs: References) -> dict[str, Any]:
        """Studio Flows as SMS-only automations (exactly, or kept as their JSON definition). Texts are not grouped
        back into campaigns: Twilio does not record which campaign a text belongs to."""
        import json

        from . import importing as imp

        notes: list[str] = []
        automations, files = [], []
        taken: set[str] = set()
        flows = self("GET", "v2/Flows", lambda c: list(c.studio.v2.flows.stream(page_size=50)))
        for f in flows:
            definition = f.definition if isinstance(f.definition, dict) else {}
            data = imp.automation_from_flow(str(f.friendly_name), definition, taken)
            if data is not None:
                automations.append({"data": data, "comment": "A Twilio Studio Flow: hub keeps it as written here."})
                continue
            path = imp.definition_path(str(f.friendly_name))
            files.append({"path": path, "text": json.dumps(definition, indent=2, ensure_ascii=False) + "\n",
                          "what": "Studio Flow definition, kept for reference"})
            notes.append(f"flow '{f.friendly_name}' uses widgets hub does not write: its definition is in {path}"
                         " (rewrite it as an automation to manage it with hub)")
        scheduled = self("GET", "Messages.json", lambda c: [m for m in c.messages.stream(page_size=PAGE)
                                                            if str(m.status) == "scheduled"])
        if scheduled:
            notes.append(f"{len(scheduled)} text(s) are scheduled at Twilio: they go out as scheduled, but are not"
                         " written as campaigns (Twilio does not record which campaign a text belongs to)")
        return {"automations": automations, "files": files, "notes": notes}

    def __call__(self, method: str, path: str, fn: Any, *, body: Any = None, idempotent: bool | None = None) -> Any:
        """Call the SDK: `fn(sdk_client)` under the account's limits and retries (see `SdkAdapter`)."""
        return self.sdk(method, path, fn, body=body, idempotent=idempotent)
