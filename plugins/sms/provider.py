"""SMS provider (Twilio): campaigns as one text per recipient through a Messaging Service or a number,
SMS-only automations as Studio Flows, enrolment as Studio executions."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr, model_validator

from hub.plugin import (
    AmbiguousWrite,
    Capability,
    Channel,
    Client,
    Desired,
    Fidelity,
    HubError,
    Limits,
    Live,
    NotFound,
    Provider,
    ProviderSettings,
    RateLimit,
    References,
    Resource,
    SharedRead,
    Support,
    VendorValidationError,
    default_error,
    recipient_values,
)

from .campaigns import ISO, NotScheduled, OptedOut, SmsCampaignResource, cancel_text, refused_numbers
from .sdk import TwilioApi
from .studio import compile_flow, flow_parameters

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
LONG_CODE_MPS = 1.0  # segments a second a long-code sender may send (../shared/vendors/mailchimp-twilio.md §3.5)
PAGE = 1000
log = logging.getLogger("hub.sms")


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


class AutomationResource(Resource):
    """An SMS-only automation is a Studio Flow, created and kept in step by hub (exact)."""

    kind = "automation"
    capability = Capability.AUTOMATIONS
    provider: TwilioProvider

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = []
        for a in client.automations:
            if not a.sms_only:
                continue  # automations with emails live in the email provider (or hub's runner)
            definition, problems = compile_flow(a)
            if problems:
                out.append(Desired(a.id, a.name, {}, Fidelity.UNSUPPORTED, "; ".join(problems)))
            else:
                out.append(Desired(a.id, a.name, {"definition": definition}, details={"source": a.source}))
        return out

    def read_live(self, refs: References) -> dict[str, Live]:
        flows = self.provider.api("GET", "v2/Flows", lambda c: list(c.studio.v2.flows.stream(page_size=50)))
        out = {}
        for f in flows:
            definition = f.definition if isinstance(f.definition, dict) else {}
            out[f.friendly_name] = Live(f.sid, f.friendly_name, {"definition": definition})
        return out

    def create(self, want: Desired, refs: References) -> str:
        definition = want.payload["definition"]
        flow = self.provider.api("POST", "v2/Flows", lambda c: c.studio.v2.flows.create(
            friendly_name=want.natural_key, status="published", definition=definition,
            commit_message="hub apply"), idempotent=False)
        return str(flow.sid)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        definition = want.payload["definition"]
        self.provider.api("POST", f"v2/Flows/{vendor_id}", lambda c: c.studio.v2.flows(vendor_id).update(
            status="published", friendly_name=want.natural_key, definition=definition, commit_message="hub apply"))
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        with contextlib.suppress(NotFound):  # already gone
            self.provider.api("DELETE", f"v2/Flows/{vendor_id}", lambda c: c.studio.v2.flows(vendor_id).delete())


class EnrolmentResource(Resource):
    """Enrolling a contact in an SMS flow = one Studio execution for them, started once (hub's ledger)."""

    kind = "enrolment"
    capability = Capability.ENROLMENT
    live_read = False
    prunable = False
    unknown_outcome = "ask"  # a second execution texts the contact again once the first has ended
    provider: TwilioProvider

    def desired(self, client: Client, refs: References) -> list[Desired]:
        services = self.provider.ctx.services
        optouts = services.optouts() if services else {}
        refused = refused_numbers(client.audience.contacts)  # consent belongs to the number
        by_email = {c.email.lower(): c for c in client.audience.contacts if c.email}
        out = []
        for a in client.automations:
            if not a.sms_only or a.enrol is None:
                continue
            emails = client.enrolled(a)
            contacts = [by_email[e] for e in emails if e in by_email]
            contacts += [c for c in client.audience.contacts if not c.email and a.enrol.list in c.lists]
            enrolled: set[str] = set()
            for c in contacts:
                if not c.phone or c.phone in refused or c.phone in optouts or c.phone in enrolled:
                    continue
                enrolled.add(c.phone)  # one execution per number, however many contacts share it
                payload = {"to": c.phone, "parameters": flow_parameters(recipient_values(c))}
                if not refs.known("automation", a.id):
                    out.append(Desired(f"{a.id}/{c.phone}", c.phone, payload, Fidelity.MANUAL,
                                       f"waits until the flow for '{a.name}' is created"))
                else:
                    out.append(Desired(f"{a.id}/{c.phone}", c.phone, {**payload, "automation": a.id}))
        return out

    def create(self, want: Desired, refs: References) -> str:
        flow = refs.require("automation", want.payload["automation"])
        to, params = want.payload["to"], want.payload["parameters"]
        try:
            ex = self.provider.api("POST", f"v2/Flows/{flow}/Executions", lambda c: c.studio.v2.flows(flow)
                                   .executions.create(to=to, from_=self.provider.sender_label, parameters=params),
                                   idempotent=False)
        except VendorValidationError as exc:
            if exc.status == 409:  # already running for this contact: enrolled
                return f"{flow}/{to}"
            raise
        return str(ex.sid)

    def find_write(self, want: Desired, refs: References, since: datetime) -> str | None:
        """The flow's executions started for this contact since the write (Studio lists them by creation
        date, newest first)."""
        flow = refs.require("automation", want.payload["automation"])
        after = since - timedelta(minutes=5)  # clock skew between hub and Twilio

        def scan(c: Any) -> str | None:
            for ex in c.studio.v2.flows(flow).executions.stream(date_created_from=after, page_size=50):
                if ex.contact_channel_address == want.payload["to"]:
                    return str(ex.sid)
            return None

        return self.provider.api("GET", f"v2/Flows/{flow}/Executions", scan)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        return vendor_id  # enrolled once; a changed detail does not enrol anyone again


class TwilioProvider(Provider):
    name = "sms"
    display_name = "Twilio SMS"
    docs_url = "https://www.twilio.com/docs/messaging"
    channels = frozenset({Channel.SMS})
    capabilities = {
        Capability.SMS_CAMPAIGNS: Support(Fidelity.EXACT, "one text per recipient, exactly once; quiet hours in"
                                          " each recipient's timezone; scheduled up to 35 days ahead"),
        Capability.AUTOMATIONS: Support(Fidelity.EXACT, "SMS-only automations as Studio Flows"),
        Capability.ENROLMENT: Support(Fidelity.EXACT, "a Studio execution per contact, once"),
    }
    # API requests, and texts paced at the senders' throughput ("send", set once the senders are known)
    limits = Limits(rate=(RateLimit("api", 100, 1.0),), max_concurrency=8)
    Settings = TwilioSettings
    default_base_url = "https://api.twilio.com"
    simulator = "hub_sms.simulator:TwilioSimulator"
    resource_types = (SmsCampaignResource, AutomationResource, EnrolmentResource)

    def __init__(self, settings: ProviderSettings, ctx: Any) -> None:
        super().__init__(settings, ctx)
        self.api = TwilioApi(self)
        self._numbers = SharedRead()
        self._stops = SharedRead()
        self._paced = False

    @property
    def tw_settings(self) -> TwilioSettings:
        assert isinstance(self.settings, TwilioSettings)
        return self.settings

    @property
    def can_schedule(self) -> bool:
        return bool(self.tw_settings.messaging_service_sid)  # Twilio schedules only through a service

    @property
    def sender_label(self) -> str:
        return self.tw_settings.messaging_service_sid or self.tw_settings.from_number or ""

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        from .simulator import TwilioSimulator as Sim

        return {"base_url": base_url, "account_sid": Sim.SANDBOX_ACCOUNT_SID, "auth_token": Sim.SANDBOX_AUTH_TOKEN,
                "messaging_service_sid": Sim.SANDBOX_MESSAGING_SERVICE_SID}

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
        if isinstance(body, dict) and "segments" in body:  # a text sent now: the senders' throughput too
            return ("api",) + ("send",) * int(body["segments"])
        return ("api",)

    # -- senders and pacing ---------------------------------------------------------------------------------
    def numbers(self) -> list[str]:
        """The numbers texts come from (the Messaging Service's senders, or `from_number`)."""
        def load() -> list[str]:
            sid = self.tw_settings.messaging_service_sid
            if not sid:
                return [self.tw_settings.from_number or ""]
            found = self.api("GET", f"v1/Services/{sid}/PhoneNumbers",
                             lambda c: [p.phone_number for p in c.messaging.v1.services(sid).phone_numbers.stream()])
            return found or ([self.tw_settings.from_number] if self.tw_settings.from_number else [])
        return self._numbers.get(load)

    def _pace(self) -> None:
        if self._paced:
            return
        rate = self.tw_settings.throughput or LONG_CODE_MPS * max(1, len(self.numbers()))
        # the senders' throughput: Twilio queues what is over it, so this window is not strict
        limit = RateLimit("send", int(rate), 1.0, strict=False) if rate >= 1 else \
            RateLimit("send", 1, 1.0 / rate, strict=False)
        self.http.gate.configure(limit)
        self._paced = True

    # -- messages ------------------------------------------------------------------------------------------------
    def create_message(self, to: str, body: str, media: list[str], send_at: str | None, *,
                       segments: int) -> tuple[str, str]:
        self._pace()
        s = self.tw_settings
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
        msg = self.api("POST", "Messages.json", lambda c: c.messages.create(**kwargs), body=cost, idempotent=False)
        return str(msg.sid), str(msg.status)

    def cancel_message(self, sid: str) -> str:
        """Cancel a scheduled message (Status=canceled; Twilio answers 30409 once it is not scheduled any more,
        ../shared/vendors/mailchimp-twilio.md §3.4) and return its status afterwards. When the answer is lost,
        or Twilio says it is not scheduled, Twilio is asked how it stands: canceled, or gone out."""
        try:
            msg = self.api("POST", f"Messages/{sid}.json", lambda c: c.messages(sid).update(status="canceled"),
                           idempotent=False)
        except (AmbiguousWrite, NotScheduled):
            return self.message_status(sid)
        return str(msg.status)

    def message_status(self, sid: str) -> str:
        return str(self.api("GET", f"Messages/{sid}.json", lambda c: c.messages(sid).fetch()).status)

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

        return self.api("GET", "Messages.json", scan)

    def inbound_stops(self, *, refresh: bool = False) -> dict[str, str]:
        """Numbers that texted a STOP word to one of our senders (read once per plan)."""
        def load() -> dict[str, str]:
            stops: dict[str, str] = {}
            for number in self.numbers():
                if not number:
                    continue

                def stream_to(c: Any, n: str = number) -> list[Any]:
                    return list(c.messages.stream(to=n, page_size=PAGE))

                inbound = self.api("GET", "Messages.json", stream_to)
                for msg in inbound:
                    if msg.direction == "inbound" and (msg.body or "").strip().upper() in STOP_WORDS:
                        stops[str(msg.from_)] = "inbound STOP"
            return stops
        return self._stops.get(load, refresh=refresh)

    def take_stops(self) -> None:
        """Record inbound STOPs in hub and write them back to the contact source (apply only)."""
        services = self.ctx.services
        if services is None:
            return
        for phone, why in self.inbound_stops(refresh=True).items():  # STOPs since the plan count too
            services.record_optout(phone, why)
        self.cancel_opted_out()

    def cancel_opted_out(self) -> None:
        """Cancel every text still scheduled (or held) for a number that opted out, in each campaign of hub's
        ledger, including campaigns no longer in the workspace."""
        services = self.ctx.services
        if services is None:
            return
        optouts = services.optouts()
        now = self.ctx.clock.utcnow().strftime(ISO)
        for campaign, rows in services.ledger(self.ctx.account).deliveries_in(("scheduled", "held")).items():
            for row in rows:
                if row.recipient not in optouts or (row.status == "scheduled" and row.send_at <= now):
                    continue
                try:
                    cancel_text(self, campaign, row, "opted_out", "canceled: the recipient opted out")
                except HubError as exc:  # the row stays "canceling": the next apply asks Twilio again
                    log.warning("could not cancel a text of %s scheduled for an opted-out number: %s", campaign, exc)

    def sync_statuses(self, campaign: str) -> None:
        """Record the vendor's latest status of each text of a campaign (for reports)."""
        services = self.ctx.services
        if services is None:
            return
        ledger = services.ledger(self.ctx.account).deliveries(campaign)
        open_rows = {d.message_id: d for d in ledger.values() if d.message_id and d.status in ("sent", "scheduled")}
        if not open_rows:
            return
        oldest = min(datetime.fromisoformat(d.created_at.replace("Z", "+00:00")) for d in open_rows.values())
        messages = self.api("GET", "Messages.json", lambda c: list(c.messages.stream(
            date_sent_after=oldest - timedelta(days=1), page_size=PAGE)))
        updates = []
        for msg in messages:
            row = open_rows.get(str(msg.sid))
            if row is not None and str(msg.status) in ("delivered", "undelivered", "failed", "canceled"):
                updates.append((row.recipient, str(msg.status), row.message_id, row.fingerprint, row.send_at,
                                f"error {msg.error_code}" if msg.error_code else ""))
        if updates:
            services.ledger(self.ctx.account).record(campaign, updates)

