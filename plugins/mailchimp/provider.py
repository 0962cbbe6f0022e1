"""Mailchimp provider: the client's one audience (lists and tags as tags, merge fields, saved segments,
members in bulk), email campaigns with their social card, and customer journeys for automations."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from hub.plugin import (
    Automation,
    Capability,
    Channel,
    Client,
    Contact,
    Fidelity,
    ItemResult,
    Limits,
    NotFound,
    Problem,
    Provider,
    ProviderError,
    ProviderSettings,
    References,
    Resource,
    SharedRead,
    Support,
    Unavailable,
    default_error,
)

from . import mapping as m
from .resources import (
    AudienceResource,
    AutomationResource,
    CampaignResource,
    ContactResource,
    EnrolmentResource,
    FieldResource,
    ListResource,
    SegmentResource,
    TagResource,
    join_ids,
    paged,
    split_ids,
)
from .sdk import MailchimpApi

DIRECT_WRITES_MAX = 4  # more member writes than this go through one /batches job

BATCH_POLL_MAX = 60  # polls of a /batches job before giving up (with backoff, ~20 vendor minutes)


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


class MailchimpProvider(Provider):
    name = "mailchimp"
    display_name = "Mailchimp"
    docs_url = "https://mailchimp.com/developer/marketing/api/"
    channels = frozenset({Channel.EMAIL, Channel.SOCIAL})
    capabilities = {
        Capability.LISTS: Support(Fidelity.APPROXIMATED, "a list is a tag in the client's Mailchimp audience (or,"
                                  " with `lists_as: audiences`, an audience of its own)"),
        Capability.TAGS: Support(Fidelity.EXACT, "tags in the client's audience"),
        Capability.FIELDS: Support(Fidelity.EXACT, "merge fields (tags of at most 10 characters)"),
        Capability.SEGMENTS: Support(Fidelity.EXACT, "saved segments with conditions"),
        Capability.CONTACTS: Support(Fidelity.EXACT, "batch subscribe, 500 a call; never re-subscribes anyone"),
        Capability.MEMBERS_READ: Support(Fidelity.EXACT, "tag and segment members"),
        Capability.EMAIL_CAMPAIGNS: Support(Fidelity.EXACT, "regular campaigns: content, schedule (UTC, quarter"
                                            " hours), send, unschedule"),
        Capability.SOCIAL: Support(Fidelity.APPROXIMATED, "Mailchimp shares the campaign's archive page with a"
                                   " social card when the email is sent: your text becomes the card's"
                                   " description and its link is the campaign archive, not yours"),
        Capability.AUTOMATIONS: Support(Fidelity.MANUAL, "build a customer journey with an API starting point in"
                                        " the UI; hub binds to it and enrols contacts"),
        Capability.ENROLMENT: Support(Fidelity.EXACT, "the journey's API trigger, once per contact"),
    }
    limits = Limits(rate=(), max_concurrency=10)  # Mailchimp's limit is 10 simultaneous connections
    Settings = MailchimpSettings
    simulator = "hub_mailchimp.simulator:MailchimpSimulator"
    resource_types = (ListResource, TagResource, FieldResource, SegmentResource, ContactResource,
                      CampaignResource, AutomationResource, EnrolmentResource)

    @classmethod
    def resource_types_for(cls, settings: ProviderSettings) -> Sequence[type[Resource]]:
        if getattr(settings, "lists_as", "tags") == "audiences":  # no tag resource: tags exist per audience
            return (AudienceResource, FieldResource, SegmentResource, ContactResource,
                    CampaignResource, AutomationResource, EnrolmentResource)
        return cls.resource_types

    def __init__(self, settings: ProviderSettings, ctx: Any) -> None:
        super().__init__(settings, ctx)
        self.api = MailchimpApi(self)
        self._tags = SharedRead()
        self._audience_tags: dict[str, SharedRead] = {}

    @property
    def mc_settings(self) -> MailchimpSettings:
        assert isinstance(self.settings, MailchimpSettings)
        return self.settings

    @property
    def audience_id(self) -> str:
        return self.mc_settings.audience_id or ""

    @property
    def lists_are_audiences(self) -> bool:
        return self.mc_settings.lists_as == "audiences"

    @property
    def client(self) -> Client:
        assert self.ctx.services is not None, "the engine lends every provider its client"
        return self.ctx.services.client

    @property
    def journeys(self) -> dict[str, dict[str, int]]:
        return {k: v.model_dump() for k, v in self.mc_settings.journeys.items()}

    @property
    def automation_names(self) -> dict[str, str]:
        """Hub automation id -> name, for the client this provider serves."""
        services = self.ctx.services
        return {a.id: a.name for a in services.client.automations} if services else {}

    @property
    def data_centre(self) -> str:
        if self.mc_settings.server:
            return self.mc_settings.server
        key = self.mc_settings.api_key.get_secret_value()
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

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        from .simulator import MailchimpSimulator

        return {"base_url": base_url, "api_key": MailchimpSimulator.SANDBOX_KEY,
                "audience_id": MailchimpSimulator.SANDBOX_AUDIENCE}

    # -- validation ----------------------------------------------------------------------------------------
    @classmethod
    def merge_tags(cls, client: Client) -> m.MailchimpTags:
        return m.MailchimpTags(m.merge_tags_of(client))

    @classmethod
    def check_client(cls, client: Client, account: str) -> list[Problem]:
        problems: list[Problem] = []

        def problem(source: str, message: str) -> None:
            problems.append(Problem.at(source, message, f"clients/{client.name}/client.yaml"))

        seen = {"EMAIL": "Mailchimp's email", **{t: f"the built-in {t}" for t in m.BUILT_IN_TAGS.values()}}
        for f in client.audience.fields:
            tag = m.merge_tag_for(f.id)
            if len(tag) > m.MERGE_TAG_MAX:
                problem(f.source, f"field '{f.id}' would be Mailchimp merge tag '{tag}', longer than"
                                  f" {m.MERGE_TAG_MAX} characters; use an id of at most 10 characters")
            elif tag in seen:
                problem(f.source, f"field '{f.id}' would be Mailchimp merge tag '{tag}', already taken by"
                                  f" {seen[tag]}; choose another id")
            seen.setdefault(tag, f"field '{f.id}'")
        names: dict[str, str] = {}
        for kind, items in (("list", client.audience.lists), ("tag", client.audience.tags)):
            for x in items:
                if x.name.lower() in names:
                    problem(x.source, f"{kind} '{x.id}' has the name of {names[x.name.lower()]}; Mailchimp keeps"
                                      " both as tags, so give it a different name")
                names.setdefault(x.name.lower(), f"{kind} '{x.id}'")
        if (client.config.accounts[account].model_extra or {}).get("lists_as") == "audiences":
            for seg in client.audience.segments:
                lists = [r.list for r in seg.rules if r.list]
                if len(lists) != 1 or any(r.not_list for r in seg.rules):
                    problem(seg.source, f"segment '{seg.id}': with lists as audiences a segment lives in one"
                                        " audience; give it exactly one `list:` rule (and no `not_list:`)")
        for c in client.campaigns:
            at = c.schedule.at_utc(client.timezone)
            if at is not None and not m.on_quarter_hour(at):
                problem(c.source, f"campaign '{c.id}' is scheduled at {at:%H:%M} UTC; Mailchimp only schedules on"
                                  " the quarter hour (:00, :15, :30, :45)")
        return problems

    # -- shared reads ----------------------------------------------------------------------------------------
    def static_segments(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        """Every tag of the audience (tags are static segments), read once per plan."""
        return self._tags.get(lambda: list(paged(
            self.api, f"lists/{self.audience_id}/segments", "segments",
            lambda c, n, o: c.lists.list_segments(self.audience_id, type="static", count=n, offset=o))),
            refresh=refresh)

    def forget_static_segments(self) -> None:
        self._tags.forget()

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
            self.api, f"lists/{audience}/segments", "segments",
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
            found = str(self.api("POST", f"lists/{audience}/segments", lambda c: c.lists.create_segment(audience, body),
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
        contact = self.mc_settings.audience_contact
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
                    self.api(method, path.lstrip("/"), write, body=body)
                except ProviderError as exc:
                    results[owner] = ItemResult(owner, False, error=str(exc))
                    continue
                results.setdefault(owner, ItemResult(owner, True, path.split("/")[4]))
            return results
        operations = [{"method": method, "path": path, "body": json.dumps(body), "operation_id": f"{i}"}
                      for i, (_, method, path, body) in enumerate(ops)]
        outcome = self._batch_job(operations)
        for i, (owner, _, path, _) in enumerate(ops):
            status, text = outcome.get(str(i), (0, "no result in the batch"))
            if status >= 400 or status == 0:
                results[owner] = ItemResult(owner, False, error=f"HTTP {status}: {text}")
            else:
                results.setdefault(owner, ItemResult(owner, True, path.split("/")[4]))
        return results

    def _batch_job(self, operations: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
        body = {"operations": operations}
        job = self.api("POST", "batches", lambda c: c.batches.start(body), body=body, idempotent=False)
        job_id = job["id"]
        delay = 1.0
        for _ in range(BATCH_POLL_MAX):
            if job.get("status") == "finished":
                break
            self.ctx.clock.sleep(delay)
            delay = min(delay * 1.5, 30.0)
            job = self.api("GET", f"batches/{job_id}", lambda c: c.batches.status(job_id))
        else:
            raise Unavailable(f"batch {job_id} did not finish in time", provider=self.name)
        return _batch_results(self.http.download(job["response_body_url"]))

    def set_contact_field(self, client: Client, email: str, field_id: str, value: str, refs: References) -> None:
        h = m.subscriber_hash(email)
        body = {"merge_fields": {m.merge_tag_for(field_id): value}}
        audiences = sorted(set(refs.of_kind("list").values())) if self.lists_are_audiences else [self.audience_id]
        for aud in audiences:
            def update(c: Any, a: str = aud) -> Any:
                return c.lists.update_list_member(a, h, body)

            with contextlib.suppress(NotFound):  # not a member there (yet): the next push carries the value
                self.api("PATCH", f"lists/{aud}/members/{h}", update, body=body)

    def read_members(self, client: Client, list_id: str, segment_id: str | None,
                     refs: References) -> list[Contact]:
        by_tag = {tag: fid for fid, tag in m.merge_tags_of(client).items()}
        if self.lists_are_audiences:
            aud = refs.require("list", list_id)
            if segment_id:
                sid = split_ids(refs.require("segment", segment_id), aud)[aud]
                members = paged(self.api, f"lists/{aud}/segments/{sid}/members", "members",
                                lambda c, n, o: c.lists.get_segment_members_list(
                                    aud, sid, count=n, offset=o, include_unsubscribed=True, include_cleaned=True))
            else:
                members = paged(self.api, f"lists/{aud}/members", "members",
                                lambda c, n, o: c.lists.get_list_members_info(aud, count=n, offset=o))
            return [m.contact_from_member(x, by_tag) for x in members if x.get("status") != "archived"]
        kind, neutral = ("segment", segment_id) if segment_id else ("list", list_id)
        sid = refs.require(kind, neutral)
        path = f"lists/{self.audience_id}/segments/{sid}/members"
        members = paged(self.api, path, "members", lambda c, n, o: c.lists.get_segment_members_list(
            self.audience_id, sid, count=n, offset=o, include_unsubscribed=True, include_cleaned=True))
        return [m.contact_from_member(x, by_tag) for x in members]

    # -- build sheets ---------------------------------------------------------------------------------------------
    def journey_build_sheet(self, automation: Automation, client: Client) -> str:
        from hub.plugin import email_step_reference

        tags = self.merge_tags(client)
        lines = [f"In Mailchimp: Automations -> Customer Journeys -> create a journey named '{automation.name}'",
                 "1. Starting point: 'API trigger' (Customer Journeys API); note the journey and step ids it shows."]
        emails = 0  # email n's HTML is details["emails"][n - 1]
        for n, step in enumerate(automation.steps, start=2):
            if step.send_email:
                emails += 1
                lines.append(f"{n}. Send email: subject '{tags.translate(step.send_email.subject)[0]}';"
                             f" HTML content: {email_step_reference(emails, client.name)}.")
            elif step.wait:
                lines.append(f"{n}. Delay: {step.wait.describe()}.")
            elif step.condition:
                lines.append(f"{n}. If/else: contact {step.condition.describe()}.")
            elif step.add_tag or step.remove_tag:
                lines.append(f"{n}. {'Tag' if step.add_tag else 'Untag'} contact: '{step.add_tag or step.remove_tag}'.")
            elif step.send_sms:
                lines.append(f"{n}. (SMS step: sent by hub's automation runner, not Mailchimp.)")
            elif step.exit:
                lines.append(f"{n}. End the journey.")
            else:
                lines.append(f"{n}. {step.action.replace('_', ' ')} (build by hand).")
        lines.append(f"Then bind it in clients/{client.name}/client.yaml under this account:"
                     f" `journeys: {{{automation.id}: {{journey_id: <id>, step_id: <id>}}}}`")
        return "\n".join(lines)


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
