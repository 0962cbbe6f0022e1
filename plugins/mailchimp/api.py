"""Mailchimp's API for one account, over the official `mailchimp-marketing` SDK called through hub's shared
limits, retries and error mapping: the account's settings, the reads several resources share (the
audience's tags), many member writes as one ``/batches`` job, and the members other channels send to.

SDK quirks handled here, once (../shared/vendors/mailchimp-twilio.md §1.2, §4.1): error text that is a
str (problem+json) or a dict, error responses with an empty body returned instead of raised, 204s
returned as the raw response, no retries of its own, a 120 s default timeout, the rewrite of every `server`
substring in the URL (hub sets the host itself and turns the rewrite off), errors that drop the response
headers (the adapter records each response, so a 429's Retry-After is honoured), and a new connection for
every request (`requests.post`, no session: the SDK's requests go out on hub's keep-alive wire instead). The
rest (the client built on first use, limits and retries, network errors) is `hub.plugin.SdkAdapter`'s.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import tarfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from hub.plugin import (
    AmbiguousWrite,
    Client,
    Contact,
    EmailActivity,
    ItemResult,
    NotFound,
    NotSupported,
    Provider,
    ProviderContext,
    ProviderError,
    ProviderSettings,
    References,
    SdkAdapter,
    SdkCall,
    SharedRead,
    StepEmail,
    Unavailable,
    VendorApi,
    VendorValidationError,
    Wire,
    WorkSlots,
    by_offset,
    default_error,
    every_item,
    under,
    unique_id,
)

from . import mapping as m
from .batch_jobs import BatchJobs

PAGE = 1000  # Mailchimp's largest page (`count`)
SEGMENT_WRITE_MAX = 500  # emails per static-segment write (spec: members_to_add/_remove "a maximum of 500")
UNSENT = "save"  # a campaign in any other status went out (or is going, or was canceled by hand): never again
CAMPAIGN_FIELDS = ["campaigns.id", "campaigns.status", "campaigns.settings.title", "total_items"]
ACTIVITY_FIELDS = ["emails.email_address", "emails.activity.action", "total_items"]
BATCH_ANSWER_LEFT_OUT = "new_members,updated_members,_links"

T = TypeVar("T")


class MailchimpSdk(SdkAdapter):
    api: MailchimpApi

    def build_client(self) -> Any:
        import mailchimp_marketing

        settings = self.api.settings
        client = mailchimp_marketing.Client()
        client.set_config({"api_key": settings.api_key.get_secret_value(),  # type: ignore[attr-defined]
                           "server": self.api.data_centre, "timeout": settings.timeout})
        client.api_client.host = self.api.base_url  # after set_config, which resets it
        client.api_client.server = ""  # no `server` substring rewrite: the host is already right
        wire = Wire(pool_size=self.api.limits.max_concurrency, timeout=settings.timeout)
        basic = "Basic " + base64.b64encode(f"user:{settings.api_key.get_secret_value()}".encode()).decode()

        def request(method: str, url: str, query_params: Sequence[tuple[str, Any]] | None = None,
                    headers: Mapping[str, str] | None = None, body: Any = None) -> Any:
            """`ApiClient.request` (the SDK's one way out) on the wire: what it sends, as it sends it."""
            sent = {**(headers or {}), "Authorization": basic, "Accept-Encoding": "gzip"}
            content = json.dumps(body).encode() if method in ("POST", "PUT", "PATCH") else None
            return wire.send(method, url, headers=sent, body=content,
                             params=[(k, str(v)) for k, v in query_params or () if v is not None])

        client.api_client.request = self.recorded(request)
        return client

    def result(self, value: Any, call: SdkCall) -> Any:
        if value is not None and value is self.last_response():  # 204s, and error replies without a body
            if value.status_code >= 400:
                raise self.refused(call, value.status_code, _body(value.text), value.headers)
            return None
        return value

    def translate(self, exc: Exception, call: SdkCall) -> Exception | None:
        from mailchimp_marketing.api_client import ApiClientError

        if not isinstance(exc, ApiClientError):
            return None
        if exc.status_code is None:  # a network failure: `text` is the requests exception
            cause = exc.text if isinstance(exc.text, BaseException) else exc
            return self.lost(call, cause, url=f"{self.api.base_url}/{call.path.lstrip('/')}")
        body = exc.text if isinstance(exc.text, dict) else _body(exc.text)
        return self.refused(call, int(exc.status_code), body)


def _body(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


DIRECT_WRITES_MAX = 4  # more member writes than this go through one /batches job

BATCH_WAIT_MAX = 20 * 60.0  # vendor seconds a /batches job may take before hub gives up on it
# Polls of a job come a quarter of its age apart (at least half a second): a job seen late by at most a quarter of
# its time, and few polls for a job that takes minutes. Its age counts from when it was first seen begun: a job that
# waited behind another (`pending`) has not aged meanwhile
BATCH_POLL_SHARE, BATCH_POLL_MIN, BATCH_POLL_MAX = 0.25, 0.5, 30.0
AT_WORK = ("started", "finalizing", "finished")  # a job's statuses once the vendor runs its operations


class JourneyBinding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    journey_id: int
    step_id: int


class AudienceContact(BaseModel):
    """What Mailchimp requires to create an audience: the postal address its emails show, and a reminder."""

    model_config = ConfigDict(extra="forbid")
    company: str
    address1: str
    city: str
    state: str  # Mailchimp requires it (a county, for UK addresses)
    zip: str
    country: str
    permission_reminder: str = "You signed up on our website."
    from_name: str | None = None  # the audience's default sender: the client's brand kit unless given
    from_email: str | None = None


class MailchimpSettings(ProviderSettings):
    api_key: SecretStr
    server: str | None = None  # data-centre prefix ("us21"); taken from the key when not given
    # lists are tags in the client's one audience (`audience_id`), or each list is an audience of its own
    lists_as: Literal["tags", "audiences"] = "tags"
    audience_id: str | None = None
    audience_contact: AudienceContact | None = None  # lets hub create audiences (lists_as: audiences)
    # hub automation id -> the customer journey (and its API starting step) built for it in Mailchimp
    journeys: dict[str, JourneyBinding] = {}
    timeout: float = 30.0

    @model_validator(mode="after")
    def _audience(self) -> MailchimpSettings:
        if self.lists_as == "tags" and not self.audience_id:
            raise ValueError("give audience_id (the client's audience, whose tags are the lists), or set"
                             " `lists_as: audiences` to keep each list in an audience of its own")
        return self


def split_ids(vendor_id: str, default_audience: str) -> dict[str, str]:
    """An item kept in several audiences has one id in each: "aud1:7,aud2:9" (a plain id: one audience)."""
    if ":" not in vendor_id:
        return {default_audience: vendor_id} if vendor_id else {}
    return dict(part.split(":", 1) for part in vendor_id.split(",") if part)


def join_ids(ids: dict[str, str]) -> str:
    return ",".join(f"{aud}:{i}" for aud, i in sorted(ids.items()))


def paged(api: Any, path: str, key: str, fetch: Any) -> Iterator[dict[str, Any]]:
    """Drain a count/offset collection in pages of 1000 (`fetch(client, count, offset)`), its items under
    `key`, until `total_items` (no total: one page) have been read."""

    def page(offset: int) -> Any:
        return api("GET", path, lambda c: fetch(c, PAGE, offset)) or {}

    return every_item(by_offset(page, under(key), total=_total_items))


def _total_items(body: Any) -> int:
    return int(body.get("total_items") or 0)


class MailchimpApi(VendorApi[MailchimpSettings]):
    def __init__(self, vendor: type[Provider], settings: MailchimpSettings, ctx: ProviderContext) -> None:
        super().__init__(vendor, settings, ctx)
        self.sdk = MailchimpSdk(self)
        self._tags = SharedRead()
        self._jobs = BatchJobs(self._batch_job)  # the account's /batches jobs, one at a time
        self._audience_tags: dict[str, SharedRead] = {}

    @property
    def audience_id(self) -> str:
        return self.settings.audience_id or ""

    @property
    def lists_are_audiences(self) -> bool:
        return self.settings.lists_as == "audiences"

    @property
    def journeys(self) -> dict[str, dict[str, int]]:
        return {k: v.model_dump() for k, v in self.settings.journeys.items()}

    @property
    def automation_names(self) -> dict[str, str]:
        """Hub automation id -> name, for the client this provider serves."""
        services = self.ctx.services
        return {a.id: a.name for a in services.client.automations} if services else {}

    @property
    def data_centre(self) -> str:
        if self.settings.server:
            return self.settings.server
        key = self.settings.api_key.get_secret_value()
        return key.rsplit("-", 1)[1] if "-" in key else "us1"

    @property
    def base_url(self) -> str:
        return (self.settings.base_url or f"https://{self.data_centre}.api.mailchimp.com/3.0").rstrip("/")

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> Exception:
        problem = body if isinstance(body, dict) else {}
        title, detail = problem.get("title") or "", problem.get("detail") or (body if isinstance(body, str) else "")
        fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or []
                           if isinstance(e, dict))
        text = " - ".join(x for x in (title, detail, fields) if x) or "no details given"
        return default_error(self.name, status, body, headers, text=text,
                             auth_hint="check the account's api_key and audience")

    def __call__(self, method: str, path: str, fn: Any, *, body: Any = None, idempotent: bool | None = None) -> Any:
        """Call the SDK: `fn(sdk_client)` under the account's limits and retries (see `SdkAdapter`)."""
        return self.sdk(method, path, fn, body=body, idempotent=idempotent)

    def batch_subscribe(self, audience: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /lists/{id}` (batch subscribe), answered with its per-member errors and counts only.

        Its full answer holds every member written, about 2 kB each (a megabyte for 500), which hub does not need:
        a member without an error was written. `exclude_fields` leaves them out: Mailchimp documents it for every
        answer, but whether a batch subscribe honours it is unverified; hub reads the errors either way. The
        SDK's `batch_list_members` takes no `exclude_fields`, so its `call_api` is called as the method does."""
        def call(c: Any) -> Any:
            return c.api_client.call_api(
                "/lists/{list_id}", "POST", {"list_id": audience}, [("exclude_fields", BATCH_ANSWER_LEFT_OUT)],
                {"Accept": "application/json", "Content-Type": "application/json"}, body=body)

        return dict(self("POST", f"lists/{audience}", call, body=body, idempotent=True) or {})

    # -- shared reads ----------------------------------------------------------------------------------------
    def static_segments(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        """Every tag of the audience (tags are static segments), read once per plan."""
        return self._tags.get(lambda: list(paged(
            self, f"lists/{self.audience_id}/segments", "segments",
            lambda c, n, o: c.lists.list_segments(self.audience_id, type="static", count=n, offset=o))),
            refresh=refresh)

    def forget_static_segments(self) -> None:
        self._tags.forget()

    def static_segment_made(self, segment: dict[str, Any]) -> None:
        """A tag hub just made (the contacts' push names it without reading the audience's tags again)."""
        self._tags.add(segment)

    def tag_ref(self, refs: References, vendor_id: Any) -> str:
        for kind in ("list", "tag"):
            neutral = refs.neutral_id(kind, str(vendor_id))
            if neutral:
                return f"{kind}:{neutral}"
        return f"tag:?{vendor_id}"  # a tag hub does not manage

    def segment_ref(self, refs: References, vendor_id: Any, audience: str = "") -> str:
        key = join_ids({audience: str(vendor_id)}) if self.lists_are_audiences else str(vendor_id)
        neutral = refs.neutral_id("segment", key)
        return f"segment:{neutral}" if neutral else f"segment:?{vendor_id}"

    # -- tags of one audience (lists as audiences) -------------------------------------------------------------
    def _tags_of(self, audience: str, *, refresh: bool = False) -> dict[str, str]:
        """tag name -> static segment id in `audience`."""
        memo = self._audience_tags.setdefault(audience, SharedRead())
        return memo.get(lambda: {t["name"]: str(t["id"]) for t in paged(
            self, f"lists/{audience}/segments", "segments",
            lambda c, n, o: c.lists.list_segments(audience, type="static", count=n, offset=o))}, refresh=refresh)

    def tag_id(self, audience: str, ref: str, refs: References) -> str:
        """The Mailchimp id of a list or tag a segment condition names (created in `audience` if needed)."""
        kind, _, neutral = ref.partition(":")
        if not self.lists_are_audiences:
            return refs.require(kind, neutral)
        name = next(t.name for t in self.client.audience.tags if t.id == neutral)
        found = self._tags_of(audience).get(name) or self._tags_of(audience, refresh=True).get(name)
        if found is None:
            body = {"name": name, "static_segment": []}
            found = str(self("POST", f"lists/{audience}/segments", lambda c: c.lists.create_segment(audience, body),
                                 body=body, idempotent=False)["id"])
            self._audience_tags[audience].forget()
        return found

    def tag_ref_in(self, audience: str, refs: References, vendor_id: Any) -> str:
        if not self.lists_are_audiences:
            return self.tag_ref(refs, vendor_id)
        names = {i: n for n, i in self._tags_of(audience).items()}
        by_name = {t.name: t.id for t in self.client.audience.tags}
        name = names.get(str(vendor_id))
        return f"tag:{by_name[name]}" if name in by_name else f"tag:?{vendor_id}"

    def audience_body(self, name: str) -> dict[str, Any]:
        contact = self.settings.audience_contact
        assert contact is not None
        brand = self.client.config.brand
        sender = contact.from_name or brand.sender_name or self.client.config.name
        return {"name": name, "permission_reminder": contact.permission_reminder, "email_type_option": False,
                "contact": contact.model_dump(exclude={"permission_reminder", "from_name", "from_email"}),
                "campaign_defaults": {"from_name": sender, "from_email": contact.from_email or brand.sender_email or "",
                                      "language": "en", "subject": f"News from {sender}"}}

    def tag_names_by_ref(self, refs: References) -> dict[str, str]:
        """Neutral ref -> tag name as Mailchimp holds it (members are tagged by name)."""
        by_id = {str(t["id"]): t["name"] for t in self.static_segments()}
        out = {}
        for t_id, name in by_id.items():
            ref = self.tag_ref(refs, t_id)
            if "?" not in ref:
                out[ref] = name
        return out

    # -- many member writes ----------------------------------------------------------------------------------
    def run_operations(self, ops: list[tuple[str, str, str, dict[str, Any]]]) -> dict[str, ItemResult]:
        """Run (owner, METHOD, /path, body) writes: one by one when few, else as one /batches job."""
        results: dict[str, ItemResult] = {}
        if len(ops) <= DIRECT_WRITES_MAX:
            for owner, method, path, body in ops:
                def write(c: Any, p: str = path, me: str = method, b: dict[str, Any] = body) -> Any:
                    return c.api_client.call_api(p, me, body=b)

                try:
                    self(method, path.lstrip("/"), write, body=body, idempotent=_repeatable(method, path))
                except ProviderError as exc:
                    results[owner] = ItemResult(owner, False, error=str(exc))
                    continue
                results.setdefault(owner, ItemResult(owner, True, path.split("/")[4]))
            return results
        operations = [{"method": method, "path": path, "body": json.dumps(body), "operation_id": f"{i}"}
                      for i, (_, method, path, body) in enumerate(ops)]
        repeatable = all(self.sdk.writes.idempotent(method, _repeatable(method, path)) for _, method, path, _ in ops)
        outcome = self._jobs.run(operations, repeatable=repeatable)
        for i, (owner, _, path, _) in enumerate(ops):
            status, text = outcome.get(str(i), (0, "no result in the batch"))
            if status >= 400 or status == 0:
                results[owner] = ItemResult(owner, False, error=f"HTTP {status}: {text}")
            else:
                results.setdefault(owner, ItemResult(owner, True, path.split("/")[4]))
        return results

    def _batch_job(self, operations: list[dict[str, Any]], repeatable: bool,
                   running: Callable[[], None]) -> dict[str, tuple[int, str]]:
        """Start a /batches job and wait for its results, calling `running()` once the vendor is seen at work on it.
        With `repeatable` (every operation may be sent twice), a start whose answer is lost is made again: a second
        job does what the first may have done."""
        body = {"operations": operations}
        job = self("POST", "batches", lambda c: c.batches.start(body), body=body, idempotent=repeatable)
        job_id, clock = job["id"], self.ctx.clock
        posted = clock.now()
        begun: float | None = None
        seen_at_work = False
        while True:
            now = clock.now()
            if begun is None and job.get("status") != "pending":
                begun = now
            if not seen_at_work and job.get("status") in AT_WORK:
                seen_at_work = True
                running()
            if job.get("status") == "finished":
                break
            if now - posted >= BATCH_WAIT_MAX:
                raise Unavailable(f"batch {job_id} did not finish in time", provider=self.name)
            age = now - (posted if begun is None else begun)
            WorkSlots.sleep(clock, min(max(BATCH_POLL_MIN, age * BATCH_POLL_SHARE), BATCH_POLL_MAX))
            job = self("GET", f"batches/{job_id}", lambda c: c.batches.status(job_id))
        return _batch_results(self.http.download(job["response_body_url"]))

    def set_contact_field(self, client: Client, email: str, field_id: str, value: str, refs: References) -> None:
        h = m.subscriber_hash(email)
        body = {"merge_fields": {m.merge_tag_for(field_id): value}}
        audiences = sorted(set(refs.of_kind("list").values())) if self.lists_are_audiences else [self.audience_id]
        for aud in audiences:
            def update(c: Any, a: str = aud) -> Any:
                return c.lists.update_list_member(a, h, body)

            with contextlib.suppress(NotFound):  # not a member there (yet): the next push carries the value
                self("PATCH", f"lists/{aud}/members/{h}", update, body=body)

    def read_members(self, client: Client, list_id: str, segment_id: str | None,
                     refs: References) -> list[Contact]:
        by_tag = {tag: fid for fid, tag in m.merge_tags_of(client).items()}
        if self.lists_are_audiences:
            aud = refs.require("list", list_id)
            if segment_id:
                sid = split_ids(refs.require("segment", segment_id), aud)[aud]
                members = paged(self, f"lists/{aud}/segments/{sid}/members", "members",
                                lambda c, n, o: c.lists.get_segment_members_list(
                                    aud, sid, count=n, offset=o, include_unsubscribed=True, include_cleaned=True))
            else:
                members = paged(self, f"lists/{aud}/members", "members",
                                lambda c, n, o: c.lists.get_list_members_info(aud, count=n, offset=o))
            return [m.contact_from_member(x, by_tag) for x in members if x.get("status") != "archived"]
        kind, neutral = ("segment", segment_id) if segment_id else ("list", list_id)
        sid = refs.require(kind, neutral)
        path = f"lists/{self.audience_id}/segments/{sid}/members"
        members = paged(self, path, "members", lambda c, n, o: c.lists.get_segment_members_list(
            self.audience_id, sid, count=n, offset=o, include_unsubscribed=True, include_cleaned=True))
        return [m.contact_from_member(x, by_tag) for x in members]

    # -- export (hub import, hub migrate) ----------------------------------------------------------------------------
    def export_contacts(self, refs: References) -> Iterator[Contact]:
        """Every member of the client's audience (with lists as audiences: of each list's audience, merged by
        address), 1000 a page, every status but archived (archived members are out of the audience). Their tags
        name the workspace's lists and tags; merge fields are matched by the tag hub gives each field."""
        field_ids = {m.merge_tag_for(fid): fid for fid in refs.of_kind("field")}
        if not self.lists_are_audiences:
            for member in self._all_members(self.audience_id):
                tags = [self.tag_ref(refs, t.get("id")) for t in member.get("tags") or []]
                yield m.exported_member(member, field_ids, [t for t in tags if "?" not in t])
            return
        found: dict[str, list[Contact]] = {}
        for list_id, audience in sorted(refs.of_kind("list").items()):
            for member in self._all_members(audience):
                tags = [self.tag_ref_in(audience, refs, t.get("id")) for t in member.get("tags") or []]
                contact = m.exported_member(member, field_ids, [f"list:{list_id}", *(t for t in tags if "?" not in t)])
                found.setdefault(contact.key, []).append(contact)
        for copies in found.values():
            yield m.combined(copies)

    def _all_members(self, audience: str) -> Iterator[dict[str, Any]]:
        return paged(self, f"lists/{audience}/members", "members",
                     lambda c, n, o: c.lists.get_list_members_info(audience, count=n, offset=o))

    # -- campaigns (the campaign resource's and the runner's) ------------------------------------------------------
    def create_campaign(self, body: dict[str, Any]) -> str:
        made = self("POST", "campaigns", lambda c: c.campaigns.create(body), body=body, idempotent=False)
        return str(made["id"])

    def set_campaign_content(self, campaign_id: str, html: str, plain_text: str) -> None:
        content = {"html": html, "plain_text": plain_text}
        self("PUT", f"campaigns/{campaign_id}/content", lambda c: c.campaigns.set_content(campaign_id, content),
             body=content)

    def send_campaign(self, campaign_id: str) -> None:
        with self.checklist_on_refusal(campaign_id):
            self("POST", f"campaigns/{campaign_id}/actions/send", lambda c: c.campaigns.send(campaign_id),
                 idempotent=False)

    def send_checklist(self, campaign_id: str) -> list[str]:
        """The send checklist's errors and warnings (a draft that cannot be sent says why)."""
        body = self("GET", f"campaigns/{campaign_id}/send-checklist",
                    lambda c: c.campaigns.get_send_checklist(campaign_id)) or {}
        return [f"{i.get('heading')}: {i.get('details')}" for i in body.get("items") or []
                if i.get("type") in ("error", "warning")]

    @contextlib.contextmanager
    def checklist_on_refusal(self, campaign_id: str) -> Iterator[None]:
        """A send or schedule Mailchimp refuses is explained by the campaign's send checklist."""
        try:
            yield
        except VendorValidationError as exc:
            problems = self.send_checklist(campaign_id)
            detail = f"; send checklist: {' | '.join(problems)}" if problems else ""
            raise VendorValidationError(f"{exc.message}{detail}", provider=self.name, status=exc.status) from None

    # -- what hub's automation runner asks of Mailchimp (Capability.STEP_EMAILS) ------------------------------------
    def send_step_email(self, email: StepEmail, refs: References) -> str:
        """One regular campaign sent to a tag made for this batch (tags are static segments), each piece found
        again by name before it is made: a call after a crash or a lost answer finishes what is missing, and
        never makes a second tag or campaign or sends twice. Hub makes the tag first, so a tag not found means
        no campaign was made for it either (unless someone deleted the tag in between)."""
        if not email.recipients:
            raise ProviderError(f"step email '{email.name}' has no recipients: nothing to send", provider=self.name)
        audience = self._step_audience(email.recipients, refs)
        tag = m.batch_tag_name(email.name)
        segment = self._segment_named(audience, tag)
        campaign = self._campaign_titled(audience, email.name, segment) if segment is not None else None
        if campaign is not None and campaign.get("status") != UNSENT:
            return str(campaign["id"])
        segment = self._batch_tag(audience, tag, email.recipients, segment)
        fields = m.email_fields(email.content, m.merge_tags(self.client), self.client.config.brand.values())
        if campaign is None:
            body = m.step_campaign_body(email, fields, audience, int(segment["id"]))
            campaign = _recovered(lambda: {"id": self.create_campaign(body)},
                                  lambda: self._campaign_titled(audience, email.name, segment))
        campaign_id = str(campaign["id"])
        self.set_campaign_content(campaign_id, fields["html"], fields["plain_text"])
        self._send_once(campaign_id)
        return campaign_id

    def step_email_activity(self, campaign_id: str) -> EmailActivity:
        """Opens and clicks per member from one report, `email-activity`, a page of 1000 recipients a request
        (open-details lacks clicks; click-details needs a request per link)."""
        rows = paged(self, f"reports/{campaign_id}/email-activity", "emails",
                     lambda c, n, o: c.reports.get_email_activity_for_campaign(
                         campaign_id, count=n, offset=o, fields=ACTIVITY_FIELDS))
        return m.email_activity(rows)

    def tag_contacts(self, tag_id: str, emails: Sequence[str], refs: References, *, add: bool = True) -> None:
        """Static segment batch writes, 500 addresses a call: Mailchimp ignores a member already tagged (or
        untagged) and addresses not in the audience (hub pushes contacts before the runner tags them)."""
        for audience, (segment_id, members) in self._tag_segments(tag_id, emails, refs, add=add).items():
            self._segment_members(audience, segment_id, members, add=add)

    def _step_audience(self, recipients: Sequence[str], refs: References) -> str:
        """The audience a step email goes to: the client's one, or (lists as audiences) that of a list every
        recipient is in, as the workspace has them."""
        if not self.lists_are_audiences:
            return self.audience_id
        everyone = {e.lower() for e in recipients}
        for list_id, members in sorted(m.members_by_list(self.client, recipients).items()):
            audience = refs.vendor_id("list", list_id)
            if audience and members == everyone:
                return audience
        raise NotSupported("with lists as audiences, a step email goes to one audience, and these recipients"
                           " share no list that hub has made", provider=self.name)

    def _tag_segments(self, tag_id: str, emails: Sequence[str], refs: References,
                      *, add: bool) -> dict[str, tuple[str, Sequence[str]]]:
        """Audience -> (the tag's segment id there, those of `emails` to write there)."""
        if not self.lists_are_audiences:
            return {self.audience_id: (refs.require("tag", tag_id), emails)}
        name = next((t.name for t in self.client.audience.tags if t.id == tag_id), None)
        if name is None:
            raise NotSupported(f"tag '{tag_id}' is not in the workspace", provider=self.name)
        out: dict[str, tuple[str, Sequence[str]]] = {}
        for list_id, members in sorted(m.members_by_list(self.client, emails).items()):
            audience = refs.vendor_id("list", list_id)
            if audience is None:
                continue
            # a tag is made in an audience when first given there; one that is not there has nobody to untag
            segment_id = (self.tag_id(audience, f"tag:{tag_id}", refs) if add
                          else self._tags_of(audience, refresh=True).get(name))
            if segment_id is not None:
                out[audience] = (segment_id, sorted(members))
        return out

    def _segment_named(self, audience: str, name: str) -> dict[str, Any] | None:
        """The tag `name` as Mailchimp holds it now. Tag search matches names by prefix, so one request finds
        it however many tags the audience has; a second reads the segment (its `created_at`)."""
        found = self("GET", f"lists/{audience}/tag-search", lambda c: c.lists.tag_search(audience, name=name)) or {}
        tag = next((t for t in found.get("tags") or [] if str(t.get("name", "")).casefold() == name.casefold()), None)
        if tag is None:
            return None
        sid = str(tag["id"])
        segment: dict[str, Any] = self("GET", f"lists/{audience}/segments/{sid}",
                                       lambda c: c.lists.get_segment(audience, sid))
        return segment

    def _batch_tag(self, audience: str, name: str, recipients: Sequence[str],
                   found: dict[str, Any] | None) -> dict[str, Any]:
        """The batch's tag with every recipient in it: made with the first 500 (the rest added), or, `found` by
        an earlier attempt that may have stopped part-way, given them all again (a member added again stays)."""
        rest = recipients
        if found is None:
            first = list(recipients[:SEGMENT_WRITE_MAX])
            found = _recovered(lambda: self._create_static_segment(audience, name, first),
                               lambda: self._segment_named(audience, name))
            rest = recipients[SEGMENT_WRITE_MAX:]
        self._segment_members(audience, str(found["id"]), rest, add=True)
        return found

    def _create_static_segment(self, audience: str, name: str, emails: list[str]) -> dict[str, Any]:
        body = {"name": name, "static_segment": emails}
        made: dict[str, Any] = self("POST", f"lists/{audience}/segments",
                                    lambda c: c.lists.create_segment(audience, body), body=body, idempotent=False)
        return made

    def _segment_members(self, audience: str, segment_id: str, emails: Sequence[str], *, add: bool) -> None:
        key = "members_to_add" if add else "members_to_remove"
        path = f"lists/{audience}/segments/{segment_id}"
        for start in range(0, len(emails), SEGMENT_WRITE_MAX):
            body = {key: list(emails[start:start + SEGMENT_WRITE_MAX])}
            # repeatable: a member added (or removed) again is left as it is
            self("POST", path, lambda c, b=body: c.lists.batch_segment_members(b, audience, segment_id),
                 body=body, idempotent=True)

    def _campaign_titled(self, audience: str, title: str, segment: dict[str, Any]) -> dict[str, Any] | None:
        """The campaign `title` made for `segment`: only campaigns created since shortly before the segment are
        read, so the read stays small however many campaigns the audience has."""
        since = m.shortly_before(str(segment.get("created_at") or ""))
        window = {"since_create_time": since} if since else {}
        items = paged(self, "campaigns", "campaigns", lambda c, n, o: c.campaigns.list(
            count=n, offset=o, list_id=audience, fields=CAMPAIGN_FIELDS, **window))
        return next((x for x in items if (x.get("settings") or {}).get("title") == title), None)

    def _send_once(self, campaign_id: str) -> None:
        """Send; a send whose answer was lost is settled by the campaign's status, never by sending again."""
        try:
            self.send_campaign(campaign_id)
        except AmbiguousWrite:
            status = self("GET", f"campaigns/{campaign_id}",
                          lambda c: c.campaigns.get(campaign_id, fields=["status"])).get("status")
            if status == UNSENT:
                raise

    # -- hub import -------------------------------------------------------------------------------------
    def import_account(self, refs: References) -> dict[str, Any]:
        """The audience's tags (as lists), merge fields, saved segments, unsent campaigns with their content, sent
        ones as history, classic automations (verified by name)."""
        from . import importing as imp

        if self.lists_are_audiences:
            raise NotSupported("accounts that keep lists as audiences (`lists_as: audiences`) cannot be imported"
                               " yet", provider=self.name)
        aud = self.audience_id
        notes: list[str] = []
        out: dict[str, list[Any]] = {"lists": [], "fields": [], "segments": [], "campaigns": [], "automations": [],
                                     "history": []}
        groups: dict[str, tuple[str, str]] = {}
        taken: set[str] = set()
        for t in self.static_segments(refresh=True):
            lid = unique_id(str(t["name"]), taken, fallback="list")
            out["lists"].append({"id": lid, "name": t["name"]})
            refs.add("list", lid, str(t["id"]))
            groups[str(t["id"])] = ("list", lid)
        if out["lists"]:
            notes.append("Mailchimp keeps lists and tags alike as tags of the audience: every tag is imported as a"
                         " list (move one to `tags:` in audience.yaml if it is a tag; hub finds it by name either way)")
        merge = paged(self, f"lists/{aud}/merge-fields", "merge_fields",
                      lambda c, n, o: c.lists.get_list_merge_fields(aud, count=n, offset=o))
        by_tag: dict[str, str] = {}
        for f in merge:
            item = imp.field(f, notes)
            if item is not None:
                out["fields"].append(item)
                refs.add("field", item["id"], str(f["merge_id"]))
                by_tag[str(f["tag"])] = item["id"]
        keys = imp.variable_keys([f["id"] for f in out["fields"]])

        def group(value: Any) -> tuple[str, str] | None:
            return groups.get(str(value))

        segments: dict[str, str] = {}
        taken = set()
        for s in paged(self, f"lists/{aud}/segments", "segments",
                       lambda c, n, o: c.lists.list_segments(aud, type="saved", count=n, offset=o)):
            data, why = imp.segment(s, group, by_tag, taken)
            if data is None:
                notes.append(f"segment '{s.get('name')}' left out: {why}")
                continue
            out["segments"].append({"data": data})
            refs.add("segment", data["id"], str(s["id"]))
            segments[str(s["id"])] = data["id"]
        first_list = out["lists"][0]["id"] if out["lists"] else None
        taken = set()
        campaigns = paged(self, "campaigns", "campaigns",
                          lambda c, n, o: c.campaigns.list(count=n, offset=o, list_id=aud))
        for c in campaigns:
            if c.get("status") in ("sent", "sending"):
                out["history"].append(imp.history_line(c))
                continue
            cid = str(c["id"])
            content = self("GET", f"campaigns/{cid}/content", lambda sdk, i=cid: sdk.campaigns.get_content(i))
            data, why = imp.campaign(c, str((content or {}).get("html") or ""), group, segments, keys,
                                     self.client.timezone, self.ctx.account, first_list, taken)
            if data is None:
                notes.append(f"campaign '{(c.get('settings') or {}).get('title')}' left out: {why}")
            else:
                out["campaigns"].append({"data": data, "comment": why})
        taken = set()
        for auto in paged(self, "automations", "automations", lambda c, n, o: c.automations.list(count=n, offset=o)):
            title = (auto.get("settings") or {}).get("title") or ""
            wf = str(auto["id"])
            emails = self("GET", f"automations/{wf}/emails", lambda c, w=wf: c.automations.list_all_workflow_emails(w))
            subjects = [str(e.get("subject_line") or "") for e in (emails or {}).get("emails") or []]
            out["automations"].append({"data": imp.automation_stub(title, subjects, keys, taken),
                                       "comment": imp.UNREADABLE_AUTOMATION})
        return {**out, "notes": notes}


def _recovered(make: Callable[[], T], find: Callable[[], T | None]) -> T:
    """`make()`; when its answer is lost, what `find` shows it made (nothing found: the write's outcome stays
    unknown to the caller, who calls again and finds or makes it then)."""
    try:
        return make()
    except AmbiguousWrite:
        found = find()
        if found is None:
            raise
        return found


def _repeatable(method: str, path: str) -> bool | None:
    """A member write that may be sent again after a lost answer: a member's tags are set by naming each
    tag's status (active/inactive), so a second POST does what the first did. Others: by their method."""
    return True if method == "POST" and path.endswith("/tags") else None


def _batch_results(archive: bytes) -> dict[str, tuple[int, str]]:
    """Mailchimp's batch result archive: a gzipped tar of JSON arrays of {status_code, operation_id, response}."""
    out: dict[str, tuple[int, str]] = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive)), mode="r:") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is None:
                continue
            for item in json.loads(handle.read() or b"[]"):
                status = int(item.get("status_code") or 0)
                out[str(item.get("operation_id"))] = (status, str(item.get("response"))[:300])
    return out
