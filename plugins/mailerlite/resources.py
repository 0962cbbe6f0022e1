"""MailerLite's resources: groups (lists and tags), fields, segments (verified), subscribers in bulk,
campaigns, automations (verified build sheets) and enrolment."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from hub.plugin import (
    Automation,
    Capability,
    Client,
    Desired,
    EnrolmentResourceBase,
    ItemResult,
    Live,
    ManualAutomationResource,
    ManualSegmentResource,
    ManualTrigger,
    MergeTagTranslator,
    Metric,
    NotFound,
    Page,
    References,
    Resource,
    Result,
    RunnerAutomationResource,
    SegmentDef,
    Sent,
    SharedCollectionResource,
    by_page_number,
    describe_difference,
    find_ids,
    sent_campaign,
    under,
)

from . import mapping as m
from . import reporting
from .api import BATCH_MAX, PAGE

if TYPE_CHECKING:
    from .api import MailerLiteApi


def _neutral(refs: References) -> Callable[[str, str], str]:
    """Vendor id -> neutral reference ("list:customers"); groups may stand for a list or a tag."""

    def neutral(kind: str, vendor_id: str) -> str:
        for k in ("list", "tag") if kind == "list" else (kind,):
            found = refs.neutral_id(k, vendor_id)
            if found:
                return f"{k}:{found}"
        return f"{kind}:?{vendor_id}"  # not managed by hub

    return neutral


class _MlResource(Resource):
    api: MailerLiteApi


class _GroupBacked(_MlResource, SharedCollectionResource):
    """Lists and tags both live as MailerLite groups (one read of /groups serves both)."""

    def collection(self, *, refresh: bool) -> list[dict[str, Any]]:
        return self.api.groups(refresh=refresh)

    def forget_collection(self) -> None:
        self.api.forget_groups()

    def create_item(self, name: str) -> dict[str, Any]:
        return dict(self.http.post("groups", json={"name": name}, idempotent=False)["data"])

    def collection_gained(self, item: dict[str, Any]) -> None:
        self.api.group_made(item)

    def update_item(self, vendor_id: str, name: str) -> None:
        self.http.put(f"groups/{vendor_id}", json={"name": name})

    def delete_item(self, vendor_id: str) -> None:
        self.http.delete(f"groups/{vendor_id}", missing_ok=True)


class ListResource(_GroupBacked):
    kind = "list"
    capability = Capability.LISTS


class TagResource(_GroupBacked):
    kind = "tag"
    capability = Capability.TAGS
    fresh_read = False  # reuses the read the list resource just made


class FieldResource(_MlResource):
    kind = "field"
    capability = Capability.FIELDS

    def desired(self, client: Client, refs: References) -> list[Desired]:
        return [Desired(f.id, f.name, {"name": f.name, "type": f.type.value, "key": m.derive_field_key(f.name)})
                for f in client.audience.fields]

    def read_live(self, refs: References) -> dict[str, Live]:
        return {f["name"]: Live(str(f["id"]), f["name"], {"name": f["name"], "type": f["type"], "key": f["key"]}, f)
                for f in self.api.pages("fields")}

    def compare(self, want: Desired, live: Live) -> str | None:
        diff = super().compare(want, live)
        if diff and live.payload.get("type") != want.payload["type"]:
            return diff + " (MailerLite cannot change a field's type: delete it in the UI to recreate it)"
        return diff

    def create(self, want: Desired, refs: References) -> str:
        body = self.http.post("fields", json={"name": want.payload["name"], "type": want.payload["type"]},
                              idempotent=False)
        return str(body["data"]["id"])

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        self.http.put(f"fields/{vendor_id}", json={"name": want.payload["name"]})
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        self.http.delete(f"fields/{vendor_id}", missing_ok=True)


class SegmentResource(_MlResource, ManualSegmentResource):
    def build_sheet(self, segment: SegmentDef, names: dict[str, str]) -> str:
        return m.segment_build_sheet(segment, names)

    def vendor_segments(self) -> Iterable[dict[str, Any]]:
        return self.api.pages("segments")


class ContactResource(_MlResource):
    """Contacts, 50 to a /batch: new ones upserted, those MailerLite holds already updated by id. Planned against
    what hub last pushed.

    MailerLite processes a /batch made only of upserts (`POST api/subscribers`) as an import, under its own limit
    of 5 a minute; any other /batch counts once against the 120 requests a minute (its batching page, as we read
    it: unverified beyond that page). Updating 10,000 contacts by upserts would take 40 minutes; by updates
    (`PUT api/subscribers/{id}`), under two. New contacts have no id to update, so they go as upserts."""

    kind = "contact"
    many = True
    pure_desired = True
    capability = Capability.CONTACTS
    live_read = False
    batch_size = BATCH_MAX
    prunable = False  # removing a contact from YAML never deletes a person (and their consent) at the vendor

    def desired(self, client: Client, refs: References) -> list[Desired]:
        keys = m.field_keys(client)
        # contacts in the same groups share one record and one list of them (a record is never changed once made:
        # 50,000 contacts hold a few sets of groups)
        records: dict[tuple[str, ...], dict[str, Any]] = {}
        out = []
        for c in self.api.contacts_to_push(client):
            if not c.email:
                continue  # phone-only contacts live in hub for SMS; MailerLite needs an email
            payload = m.contact_payload(c, keys)
            record = records.setdefault(tuple(payload["groups"]), {"groups": payload["groups"]})
            payload["groups"] = record["groups"]
            out.append(Desired(payload["email"], payload["email"], payload, details={"record": record}))
        return out

    def apply_batch(self, items: Sequence[Desired], refs: References) -> list[ItemResult]:
        missing: dict[str, list[str]] = {}  # groups not at MailerLite (their create failed): left out, for now
        bodies: dict[str, dict[str, Any]] = {}
        for want in items:
            groups = {ref: refs.vendor_id(*ref.split(":", 1)) for ref in want.payload["groups"]}
            missing[want.id] = [ref for ref, gid in groups.items() if gid is None]
            body: dict[str, Any] = {"email": want.payload["email"], "fields": want.payload["fields"],
                                    "groups": [gid for gid in groups.values() if gid is not None]}
            if "status" in want.payload:
                body["status"] = want.payload["status"]
            body.update({k: want.payload[k] for k in m.EVIDENCE_KEYS if k in want.payload})  # opt-in evidence
            bodies[want.id] = body
        # the applier hands over at most batch_size (= BATCH_MAX) items, and updates apart from creates
        held = {w.id: refs.vendor_id(self.kind, w.id) for w in items}  # subscriber ids of those MailerLite has
        answers = self.api.batch([_write(bodies[w.id], held[w.id]) for w in items])
        results = {w.id: _subscriber_result(w.id, a) for w, a in zip(items, answers, strict=True)}
        gone = [w for w, a in zip(items, answers, strict=True)
                if held[w.id] and a.get("code") == 404]  # deleted at MailerLite by hand
        for want, answer in zip(gone, self.api.batch([_write(bodies[w.id], None) for w in gone]), strict=True):
            results[want.id] = _subscriber_result(want.id, answer)
        for want in items:
            results[want.id].written_without(missing[want.id], "groups", want.payload["groups"], "MailerLite")
        # groups the contact left since the last push: upserting never removes anyone from a group, nor (as far as
        # we know: unverified) does updating; a removal from a group the contact is not in answers 404, taken as done
        removals: list[tuple[str, dict[str, Any]]] = []
        for want in items:
            if results[want.id].ok:
                target = results[want.id].vendor_id or want.payload["email"]
                removals += [(want.id, {"method": "DELETE", "path": f"api/subscribers/{target}/groups/{gid}"})
                             for gid in self._left_groups(want, refs)]
        for (owner, _), answer in zip(removals, self.api.batch_all([r for _, r in removals]), strict=True):
            if answer.get("code", 500) >= 400 and answer.get("code") != 404:
                results[owner] = ItemResult(owner, False, error=f"removing from a group: {answer.get('body')}")
        return [results[w.id] for w in items]

    @staticmethod
    def _left_groups(want: Desired, refs: References) -> list[str]:
        before = set((want.details.get("previous") or {}).get("groups") or [])
        gone = [ref.partition(":") for ref in sorted(before - set(want.payload["groups"]))]
        return [gid for kind, _, neutral in gone if (gid := refs.vendor_id(kind, neutral))]


def _write(body: dict[str, Any], subscriber_id: str | None) -> dict[str, Any]:
    """A /batch sub-request writing a subscriber: an update of the one MailerLite holds (by its id, so that the
    address stays as it is), else an upsert by email."""
    if subscriber_id:
        return {"method": "PUT", "path": f"api/subscribers/{subscriber_id}",
                "body": {k: v for k, v in body.items() if k != "email"}}
    return {"method": "POST", "path": "api/subscribers", "body": body}


def _subscriber_result(owner: str, answer: dict[str, Any]) -> ItemResult:
    code = int(answer.get("code", 500))
    body = answer.get("body") or {}
    if code in (200, 201):
        return ItemResult(owner, True, str((body.get("data") or {}).get("id", "")))
    errors = body.get("errors") if isinstance(body, dict) else None
    text = "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()) if isinstance(errors, dict) else str(body)
    if "unsubscribed" in text.lower():
        # consent preserved: the vendor refuses to re-activate; hub reports it and leaves the person alone
        return ItemResult(owner, True, note="unsubscribed at MailerLite; left unsubscribed")
    return ItemResult(owner, False, error=f"HTTP {code}: {text}")


class CampaignResource(_MlResource):
    kind = "email_campaign"
    capability = Capability.EMAIL_CAMPAIGNS
    reports: ClassVar[Mapping[Metric, str]] = reporting.REPORTS
    settles_after: ClassVar[timedelta] = reporting.SETTLES_AFTER  # hub's choice (see reporting.SETTLES_AFTER)

    def desired(self, client: Client, refs: References) -> list[Desired]:
        tags = m.merge_tags(client)
        out = []
        for c in client.campaigns:
            if c.email is None:
                continue
            payload = m.campaign_payload(c, client.timezone, tags)
            send_at = "now" if c.schedule.mode == "now" else payload["schedule"].get("at")
            out.append(Desired(c.id, c.name, payload, details={"source": c.source, "record": {"send_at": send_at}}))
        return out

    def history(self, live: Live) -> str | None:
        return sent_campaign(live)

    def compare(self, want: Desired, live: Live) -> str | None:
        return super().compare(Desired(want.id, want.natural_key, m.comparable_campaign(want.payload)), live)

    def read_live(self, refs: References) -> dict[str, Live]:
        neutral = _neutral(refs)
        return {c["name"]: Live(str(c["id"]), c["name"], m.campaign_projection(c, neutral), c)
                for c in self.api.campaigns()}

    def _body(self, want: Desired, refs: References) -> dict[str, Any]:
        p = want.payload
        body: dict[str, Any] = {"name": p["name"], "type": "regular", "emails": [m.email_request(p)]}
        if "segments" in p:
            body["segments"] = [refs.require("segment", s.split(":", 1)[1]) for s in p["segments"]]
        else:
            body["groups"] = [refs.require("list", g.split(":", 1)[1]) for g in p["groups"]]
        return body

    def create(self, want: Desired, refs: References) -> str:
        body = self.http.post("campaigns", json=self._body(want, refs), idempotent=False)
        return str(body["data"]["id"])

    def finish(self, vendor_id: str, want: Desired, refs: References) -> None:
        self._schedule(vendor_id, want)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        current = self.http.get(f"campaigns/{vendor_id}")["data"]
        if current.get("status") == "sent":
            return vendor_id
        if current.get("status") == "ready":
            self.http.post(f"campaigns/{vendor_id}/cancel")  # back to draft so it can be edited
        self.http.put(f"campaigns/{vendor_id}", json=self._body(want, refs))
        self._schedule(vendor_id, want)
        return vendor_id

    def _schedule(self, vendor_id: str, want: Desired) -> None:
        body = m.schedule_request(want.payload["schedule"], self.api.timezone_ids())
        if body is not None:
            self.http.post(f"campaigns/{vendor_id}/schedule", json=body)

    def delete(self, vendor_id: str, refs: References) -> None:
        self.http.delete(f"campaigns/{vendor_id}", missing_ok=True)

    # -- results (`hub report`) ----------------------------------------------------------------------------
    def read_results(self, sent: Sequence[Sent], refs: References) -> list[Result]:
        """Campaigns and step batches alike (a batch is a campaign): their `stats` from the list of sent campaigns,
        100 a page, newest first, until every one asked about is found; when the pages still to turn outnumber the
        campaigns still missing, those are read one by one. A campaign MailerLite no longer has is left out."""
        if not sent:
            return []
        found = self._sent_campaigns({s.vendor_id for s in sent})
        now = self.ctx.clock.utcnow()
        return [reporting.result(s, found[s.vendor_id], now, self.settles_after) for s in sent if s.vendor_id in found]

    def _sent_campaigns(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        pages = by_page_number(lambda n: self.http.get("campaigns", params={"filter[status]": "sent", "limit": PAGE,
                                                                            "page": n}),
                               under("data"), last_page=_last_page)
        return find_ids(ids, pages, self._one_campaign, pages_left=_pages_left)

    def _one_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.http.get(f"campaigns/{campaign_id}")["data"])
        except NotFound:  # deleted since
            return None


def _last_page(body: Any) -> int | None:
    return int((body.get("meta") or {}).get("last_page") or 0) or None


def _pages_left(page: Page[Any], read: int) -> int:
    meta = page.body.get("meta") or {}
    return max(int(meta.get("last_page") or 0) - int(meta.get("current_page") or 0), 0)


class AutomationResource(_MlResource, ManualAutomationResource):
    """Automations are read-only in MailerLite's API: hub prints a build sheet and verifies the result."""

    accepted_triggers = "a list, tag or date trigger"

    def manual_trigger(self, automation: Automation, names: dict[str, str],
                       fields: dict[str, str]) -> ManualTrigger | None:
        trig = automation.trigger
        if trig.kind == "joined_list":
            return ManualTrigger({"type": "subscriber_joins_group", "groups": [f"list:{trig.value}"]})
        if trig.kind == "tag_added":
            return ManualTrigger({"type": "subscriber_joins_group", "groups": [f"tag:{trig.value}"]},
                                 before="tags are groups in MailerLite, so the trigger is joining the tag's group; ")
        if trig.kind == "anniversary":
            # the API's shape for date triggers is unknown: verified by name and steps only
            return ManualTrigger({}, after="; its date trigger is verified by name and steps only")
        return None

    def build_sheet(self, automation: Automation, names: dict[str, str], fields: dict[str, str],
                    tags: MergeTagTranslator, client: str) -> str:
        return m.automation_build_sheet(automation, names, fields, tags, client=client)

    def manual_payload(self, automation: Automation, trigger: ManualTrigger | None,
                       tags: MergeTagTranslator) -> dict[str, Any]:
        if trigger is None:
            return {}
        return {"trigger": trigger.value, "steps": m.automation_steps(automation, tags)}

    def compare(self, want: Desired, live: Live) -> str | None:
        if not want.payload["trigger"]:
            return describe_difference({"steps": want.payload["steps"]}, {"steps": live.payload.get("steps")})
        return super().compare(want, live)

    def read_live(self, refs: References) -> dict[str, Live]:
        neutral = _neutral(refs)
        out = {}
        for a in self.api.pages("automations"):
            full = a if a.get("steps") is not None else self.http.get(f"automations/{a['id']}")["data"]
            out[a["name"]] = Live(str(a["id"]), a["name"], m.automation_projection(full, neutral), full)
        return out


class EnrolmentResource(_MlResource, EnrolmentResourceBase):
    """Enrolling contacts in an automation = adding them to its trigger group (which fires it)."""

    batch_size = BATCH_MAX

    def enrols(self, client: Client, automation: Automation) -> bool:
        return automation.enrol is not None and automation.trigger.kind in ("joined_list", "tag_added")

    def recipients(self, client: Client, automation: Automation) -> Iterable[tuple[str, dict[str, Any]]]:
        group = ("list:" if automation.trigger.kind == "joined_list" else "tag:") + automation.trigger.value
        return ((email, {"email": email, "group": group}) for email in client.enrolled(automation))

    def when_ready(self, automation: Automation, payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return payload, f"joins group {payload['group'].split(':', 1)[1]}, which starts '{automation.name}'"

    def waiting(self, automation: Automation) -> str:
        return f"waits until automation '{automation.name}' is built and verified"

    def apply_batch(self, items: Sequence[Desired], refs: References) -> list[ItemResult]:
        reqs, owners = [], []
        for want in items:
            sid = refs.vendor_id("contact", want.payload["email"])
            kind, _, neutral = want.payload["group"].partition(":")
            gid = refs.require(kind, neutral)
            target = sid or want.payload["email"]
            reqs.append({"method": "POST", "path": f"api/subscribers/{target}/groups/{gid}"})
            owners.append(want.id)
        answers = self.api.batch(reqs)
        return [ItemResult(o, int(a.get("code", 500)) < 300, error="" if int(a.get("code", 500)) < 300
                           else f"HTTP {a.get('code')}: {a.get('body')}") for o, a in zip(owners, answers, strict=True)]


# -- provider ---------------------------------------------------------------------------------------


# what the provider syncs, in dependency order
RESOURCE_TYPES = (ListResource, TagResource, FieldResource, SegmentResource, ContactResource, CampaignResource,
                  AutomationResource, EnrolmentResource, RunnerAutomationResource)
