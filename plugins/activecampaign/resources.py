"""The vendor objects the ActiveCampaign provider syncs, one `Resource` per kind, in dependency order:
lists, tags, custom fields, segments (verified), contacts (bulk import), email campaigns (v1 create,
v3 read), automations (verified) and enrolments (`contactAutomations`)."""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from hub.plugin import (
    Automation,
    Capability,
    Client,
    Desired,
    EnrolmentResourceBase,
    Fidelity,
    HubError,
    ItemResult,
    Live,
    ManualAutomationResource,
    ManualSegmentResource,
    ManualTrigger,
    MergeTagTranslator,
    Metric,
    NotFound,
    NotSupported,
    Page,
    References,
    Resource,
    Result,
    RunnerAutomationResource,
    SegmentDef,
    Sent,
    VendorValidationError,
    by_offset,
    describe_difference,
    find_ids,
    sent_campaign,
    under,
)

from . import mapping as m
from . import reporting
from .api import IMPORT_MAX, PAGE, ActiveCampaignApi

REPLACE_NOTE = ("ActiveCampaign's API cannot edit a campaign: if it has not gone out, hub deletes it and creates it"
                " again as described (one that went out is left as it is)")


class _AcResource(Resource):
    api: ActiveCampaignApi

    def _neutral(self, refs: References) -> Any:
        def neutral(kind: str, vendor_id: str) -> str:
            found = refs.neutral_id(kind, str(vendor_id))
            return f"{kind}:{found}" if found else f"{kind}:?{vendor_id}"  # not managed by hub

        return neutral


# -- lists ----------------------------------------------------------------------------------------------


class ListResource(_AcResource):
    kind = "list"
    capability = Capability.LISTS

    def desired(self, client: Client, refs: References) -> list[Desired]:
        sender = m.list_sender(client)
        return [Desired(x.id, x.name, {"name": x.name}, details=dict(sender)) for x in client.audience.lists]

    def read_live(self, refs: References) -> dict[str, Live]:
        return {x["name"]: Live(str(x["id"]), x["name"], {"name": x["name"]}, x)
                for x in self.api.pages("lists", "lists")}

    def create(self, want: Desired, refs: References) -> str:
        sender = {k: want.details[k] for k in ("sender_url", "sender_reminder")}
        return self.api.create_list(want.payload["name"], m.stringids(want.payload["name"], want.id), sender)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        # PUT /lists/{id} is in the vendor's docs (not in the copied OpenAPI document)
        self.http.put(f"lists/{vendor_id}", json={"list": {"name": want.payload["name"]}})
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        self.http.delete(f"lists/{vendor_id}", missing_ok=True)


# -- tags -----------------------------------------------------------------------------------------------


class TagResource(_AcResource):
    """Tag names are unique case-insensitively, so the natural key is the lowercased name; every page is
    read (limit 100) before anything is created, and a tag someone made by hand is adopted."""

    kind = "tag"
    capability = Capability.TAGS

    def desired(self, client: Client, refs: References) -> list[Desired]:
        return [Desired(t.id, t.name.lower(), {"name": t.name}) for t in client.audience.tags]

    def read_live(self, refs: References) -> dict[str, Live]:
        out = {}
        for t in self.api.pages("tags", "tags"):
            if (t.get("tagType") or "contact") != "contact":
                continue
            out[str(t["tag"]).lower()] = Live(str(t["id"]), str(t["tag"]).lower(), {"name": t["tag"]}, t)
        return out

    def create(self, want: Desired, refs: References) -> str:
        body = {"tag": {"tag": want.payload["name"], "tagType": "contact", "description": "managed by hub"}}
        try:
            answer = self.http.post("tags", json=body, idempotent=False)
        except VendorValidationError as exc:
            if "duplicate" not in str(exc).lower():
                raise
            found = self.lookup(want.natural_key, refs)  # made meanwhile (by hand, by an import): adopt it
            if found is None:
                raise
            return found.vendor_id
        return str(answer["tag"]["id"])

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        self.http.put(f"tags/{vendor_id}", json={"tag": {"tag": want.payload["name"], "tagType": "contact"}})
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        self.http.delete(f"tags/{vendor_id}", missing_ok=True)


# -- custom fields ------------------------------------------------------------------------------------------


class FieldResource(_AcResource):
    """Custom fields, found by perstag (the neutral id in capitals: `%LOAF%` in messages), available on
    every list (`fieldRels` with relid 0)."""

    kind = "field"
    capability = Capability.FIELDS

    def desired(self, client: Client, refs: References) -> list[Desired]:
        return [Desired(f.id, m.perstag(f.id), {"title": f.name, "type": m.FIELD_TYPES[f.type.value],
                                                "all_lists": True})
                for f in client.audience.fields]

    def read_live(self, refs: References) -> dict[str, Live]:
        out = {}
        fields: list[dict[str, Any]] = []
        rels: dict[str, set[str]] = {}
        for body in self.api.page_bodies("fields", "fields"):
            fields += body.get("fields") or []
            for rel in body.get("fieldRels") or []:
                rels.setdefault(str(rel.get("field")), set()).add(str(rel.get("relid")))
        for f in fields:
            tag = str(f.get("perstag") or "")
            all_lists = "0" in rels.get(str(f["id"]), set())
            payload = {"title": f.get("title"), "type": f.get("type"), "all_lists": all_lists}
            out[tag] = Live(str(f["id"]), tag, payload, f)
        return out

    def compare(self, want: Desired, live: Live) -> str | None:
        diff = super().compare(want, live)
        if diff and live.payload.get("type") != want.payload["type"]:
            diff += " (ActiveCampaign may refuse to change a field's type: delete the field in the UI to recreate it)"
        return diff

    def create(self, want: Desired, refs: References) -> str:
        body = {"field": {"title": want.payload["title"], "type": want.payload["type"],
                          "perstag": want.natural_key, "visible": True}}
        answer = self.http.post("fields", json=body, idempotent=False)
        return str(answer["field"]["id"])

    def finish(self, vendor_id: str, want: Desired, refs: References) -> None:
        self._all_lists(vendor_id)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        current = self.http.get(f"fields/{vendor_id}")
        field = current.get("field") or {}
        if field.get("title") != want.payload["title"] or field.get("type") != want.payload["type"]:
            self.http.put(f"fields/{vendor_id}", json={"field": {"title": want.payload["title"],
                                                                 "type": want.payload["type"]}})
        if not any(str(r.get("relid")) == "0" for r in current.get("fieldRels") or []):
            self._all_lists(vendor_id)
        return vendor_id

    def _all_lists(self, vendor_id: str) -> None:
        self.http.post("fieldRels", json={"fieldRel": {"field": int(vendor_id), "relid": 0}}, idempotent=True)

    def delete(self, vendor_id: str, refs: References) -> None:
        self.http.delete(f"fields/{vendor_id}", missing_ok=True)


# -- segments -------------------------------------------------------------------------------------------------


class SegmentResource(_AcResource, ManualSegmentResource):
    def build_sheet(self, segment: SegmentDef, names: dict[str, str]) -> str:
        return m.segment_build_sheet(segment, names)

    def vendor_segments(self) -> Iterable[dict[str, Any]]:
        return self.api.pages("segments", "segments")


# -- contacts ---------------------------------------------------------------------------------------------------


class ContactResource(_AcResource):
    """Contacts, 250 per bulk import, planned against what hub last pushed. Consent is never undone: an
    import cannot re-subscribe anyone, and hub leaves out the lists a contact unsubscribed from (or bounced
    on) at ActiveCampaign, reporting them instead."""

    kind = "contact"
    many = True
    pure_desired = True
    capability = Capability.CONTACTS
    live_read = False
    batch_size = IMPORT_MAX
    prunable = False  # removing a contact from YAML never deletes a person (and their consent) at the vendor

    def __init__(self, api: ActiveCampaignApi) -> None:
        super().__init__(api)
        self._opted_out: dict[str, dict[str, str]] = {}  # list id -> {email: "unsubscribed" | "bounced"}
        self._lock = threading.Lock()

    def desired(self, client: Client, refs: References) -> list[Desired]:
        with self._lock:
            self._opted_out.clear()  # a new plan: read who opted out again when it is applied
        names = {t.id: t.name for t in client.audience.tags}
        # contacts in the same lists with the same tags share one record (a record is never changed once made:
        # 50,000 contacts hold a few alike)
        records: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, Any]] = {}
        out = []
        for c in self.api.contacts_to_push(client):
            if not c.email:
                continue  # phone-only contacts live in hub for SMS; ActiveCampaign's import needs an email
            payload, reason = m.contact_payload(c, names)
            lists = payload["subscribe"] or payload["unsubscribe"] or sorted(c.lists)  # one sorted copy, not two
            tags = sorted(c.tags)
            record = records.setdefault((tuple(lists), tuple(tags)), {"lists": lists, "tags": tags})
            for key in ("subscribe", "unsubscribe"):
                if payload[key]:
                    payload[key] = record["lists"]
            fidelity = Fidelity.APPROXIMATED if reason else Fidelity.EXACT
            out.append(Desired(payload["email"], payload["email"], payload, fidelity, reason,
                               details={"record": record}))
        return out

    def opted_out(self, list_id: str) -> dict[str, str]:
        """{email (lowercased): "unsubscribed" | "bounced"} for a list at ActiveCampaign, read once per apply
        (only for the lists a push subscribes people to)."""
        with self._lock:
            if list_id not in self._opted_out:
                found: dict[str, str] = {}
                for status, word in (("2", "unsubscribed"), ("3", "bounced")):
                    for c in self.api.pages("contacts", "contacts", {"listid": list_id, "status": status}):
                        found[str(c.get("email") or "").lower()] = word
                self._opted_out[list_id] = found
            return self._opted_out[list_id]

    def apply_batch(self, items: Sequence[Desired], refs: References) -> list[ItemResult]:
        contacts: list[dict[str, Any]] = []
        notes: dict[str, str] = {}
        results: dict[str, ItemResult] = {}
        sent: list[Desired] = []
        for want in items:
            try:
                item, held = self._import_item(want, refs)
            except NotSupported as exc:  # a field or list whose creation failed: this contact waits for it
                results[want.id] = ItemResult(want.id, False, error=str(exc))
                continue
            if held:
                notes[want.id] = m.left_alone(held)
            contacts.append(item)
            sent.append(want)
        if contacts:
            batch, refused = self.api.queue_import(contacts)
            for want in sent:
                if want.payload["email"] in refused:
                    results[want.id] = ItemResult(want.id, False, error="ActiveCampaign refused this contact"
                                                                        " (is the address valid?)")
                else:
                    results[want.id] = ItemResult(want.id, True, note=notes.get(want.id, ""), confirm=batch)
            self._untag(sent, results, refs)
        return [results[w.id] for w in items]

    def confirm(self, pending: Mapping[str, Sequence[str]], refs: References) -> dict[str, ItemResult]:
        """How earlier imports ended (`/import/info`, one request per import): a contact the import failed
        is sent again by the next plan."""
        out: dict[str, ItemResult] = {}
        for batch, emails in pending.items():
            info = self.api.import_info(batch)
            if info is None:
                continue  # still processing: ask again next time
            failed = {str(e).strip().lower() for e in info.get("failure") or []}
            for email in emails:
                if info.get("unknown"):
                    out[email] = ItemResult(email, False, error=f"import {batch} is unknown to ActiveCampaign")
                elif email in failed:
                    out[email] = ItemResult(email, False, error=f"import {batch} refused this contact")
                else:
                    out[email] = ItemResult(email, True)
        return out

    def _import_item(self, want: Desired, refs: References) -> tuple[dict[str, Any], list[str]]:
        """The contact's import entry, and how it stands on the lists it is not subscribed to because it
        unsubscribed (or bounced) there at ActiveCampaign."""
        p = want.payload
        field_ids = {f: refs.require("field", f) for f in p["fields"]}
        subscribe, held = [], []
        for x in p["subscribe"]:
            lid = refs.require("list", x)
            standing = self.opted_out(lid).get(p["email"])
            if standing:
                held.append(standing)
            else:
                subscribe.append(lid)
        unsubscribe = [refs.require("list", x) for x in p["unsubscribe"]]
        # lists the contact left in YAML since the last push are unsubscribed too
        previous = set((want.details.get("previous") or {}).get("lists") or [])
        gone = sorted(previous - set((want.details.get("record") or {}).get("lists") or []))
        unsubscribe += [lid for lid in (refs.vendor_id("list", x) for x in gone) if lid and lid not in unsubscribe]
        return m.import_item(p, field_ids, subscribe, unsubscribe), held

    def _untag(self, items: Sequence[Desired], results: dict[str, ItemResult], refs: References) -> None:
        """Tags dropped from a contact in YAML since the last push (imports only add tags)."""
        for want in items:
            previous = set((want.details.get("previous") or {}).get("tags") or [])
            gone = previous - set((want.details.get("record") or {}).get("tags") or [])
            result = results[want.id]
            tag_ids = {refs.vendor_id("tag", t) for t in gone} - {None}
            if not tag_ids or not result.ok:
                continue
            try:
                contact_id = self.api.contact_id(want.payload["email"])  # it was pushed before
                if contact_id is not None:
                    self.api.remove_tags(contact_id, {t for t in tag_ids if t})
            except HubError as exc:
                results[want.id] = ItemResult(want.id, False, error=f"removing a tag: {exc}")


# -- email campaigns -------------------------------------------------------------------------------------------------


class CampaignResource(_AcResource):
    """Created and sent through v1 (`message_add` + `campaign_create`), read through v3. v1 cannot edit a
    campaign, so an unsent one that changed is deleted and created again; sent ones are history."""

    kind = "email_campaign"
    capability = Capability.EMAIL_CAMPAIGNS
    reports: ClassVar[Mapping[Metric, str]] = reporting.REPORTS
    settles_after: ClassVar[timedelta] = reporting.SETTLES_AFTER  # hub's choice (see reporting.SETTLES_AFTER)

    def desired(self, client: Client, refs: References) -> list[Desired]:
        tags = m.merge_tags(client)
        account_tz = self.api.account_timezone or client.timezone
        segments = {s.id: s.name for s in client.audience.segments}
        out = []
        for c in client.campaigns:
            if c.email is None:
                continue
            payload = m.campaign_payload(c, client.timezone, tags)
            send_at = "now" if c.schedule.mode == "now" else payload["schedule"].get("at")
            details = {"source": c.source, "record": {"send_at": send_at}, "account_timezone": account_tz}
            seg = c.to.segment
            if seg and refs.vendor_id("segment", seg) is None:
                out.append(Desired(c.id, c.name, payload, Fidelity.MANUAL,
                                   f"waits until segment '{segments.get(seg, seg)}' is built in ActiveCampaign"
                                   " (see its build sheet)", details))
                continue
            # (only seen when it changed: a plan shows no reason for items with nothing to do)
            reason = REPLACE_NOTE if refs.vendor_id(self.kind, c.id) else ""
            out.append(Desired(c.id, c.name, payload, reason=reason, details=details))
        return out

    def history(self, live: Live) -> str | None:
        return sent_campaign(live)

    def compare(self, want: Desired, live: Live) -> str | None:
        have = live.payload
        cmp = {k: v for k, v in m.comparable_campaign(want.payload).items()
               if k in have or k in ("name", "schedule", "segment")}
        return describe_difference(cmp, have)

    def read_live(self, refs: References) -> dict[str, Live]:
        neutral = self._neutral(refs)
        campaigns = [c for c in self.api.pages("campaigns", "campaigns")
                     if str(c.get("seriesid") or "0") == "0"]  # automation emails are not campaigns here
        unsent = [str(c["id"]) for c in campaigns if str(c.get("status", "0")) not in m.SENT_STATUSES]
        lists = self.api.campaign_lists(unsent)
        out = {}
        for c in campaigns:
            message = None
            if str(c["id"]) in unsent and str(c.get("basemessageid") or "0") != "0":
                with contextlib.suppress(NotFound):
                    message = self.http.get(f"messages/{c['basemessageid']}").get("message")
            payload = m.campaign_projection(c, message, lists.get(str(c["id"]), []), neutral)
            out[c["name"]] = Live(str(c["id"]), c["name"], payload, c)
        return out

    def create(self, want: Desired, refs: References) -> str:
        with self.api.making_campaign:
            return self._create(want, refs)

    def _create(self, want: Desired, refs: References) -> str:
        p = want.payload
        list_id = refs.require("list", p["list"].split(":", 1)[1])
        message_id = self.api.message(m.message_content(p), list_id, preheader=p["preheader"])
        segment = refs.require("segment", p["segment"].split(":", 1)[1]) if p["segment"] else None
        schedule = p["schedule"]
        account_tz = want.details.get("account_timezone") or self.api.account_timezone or "UTC"
        sdate = None
        if schedule["mode"] == "at":
            sdate = m.v1_sdate(schedule["at"], account_tz)
        elif schedule["mode"] == "now":
            sdate = m.v1_sdate(self.api.ctx.clock.utcnow(), account_tz)
        return self.api.create_campaign(m.campaign_create_fields(p["name"], list_id, message_id, sdate=sdate,
                                                                 segment_id=segment))

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        try:
            current = self.http.get(f"campaigns/{vendor_id}").get("campaign") or {}
        except NotFound:
            return self.create(want, refs)  # deleted by hand meanwhile
        if str(current.get("status", "0")) in m.SENT_STATUSES:
            return vendor_id  # it went out: history
        # v1 cannot edit a campaign: delete the unsent one first (so that it can never go out as well),
        # then create it again as the workspace describes it
        self._remove(vendor_id, current)
        return self.create(want, refs)

    def delete(self, vendor_id: str, refs: References) -> None:
        try:
            current = self.http.get(f"campaigns/{vendor_id}").get("campaign") or {}
        except NotFound:
            return
        self._remove(vendor_id, current)

    def _remove(self, vendor_id: str, current: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            # DELETE /campaigns/{id} is documented by the vendor, though not in the copied OpenAPI document
            answer = self.http.delete(f"campaigns/{vendor_id}")
            if isinstance(answer, dict) and str(answer.get("succeeded", "1")) == "0":
                raise VendorValidationError(f"ActiveCampaign did not delete campaign {vendor_id}:"
                                            f" {answer.get('message') or 'no reason given'}",
                                            provider=self.api.name)
        message_id = str(current.get("basemessageid") or "0")
        if message_id != "0":
            self.http.delete(f"messages/{message_id}", missing_ok=True)

    # -- results (`hub report`) ----------------------------------------------------------------------------
    def read_results(self, sent: Sequence[Sent], refs: References) -> list[Result]:
        """Campaigns and step batches alike (a batch is a campaign): their counters from the campaigns list, 100 a
        page, latest send first, until every one asked about is found; when the pages still to turn outnumber the
        campaigns still missing, those are read one by one. A campaign ActiveCampaign no longer has is left out."""
        if not sent:
            return []
        found = self._campaigns({s.vendor_id for s in sent})
        now = self.ctx.clock.utcnow()
        return [reporting.result(s, found[s.vendor_id], now, self.settles_after) for s in sent if s.vendor_id in found]

    def _campaigns(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        pages = by_offset(lambda o: self.http.get("campaigns", params={"orders[sdate]": "DESC", "limit": PAGE,
                                                                        "offset": o}) or {},
                          under("campaigns"), total=_total, size=PAGE)
        return find_ids(ids, pages, self._one_campaign, pages_left=_pages_left)

    def _one_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.http.get(f"campaigns/{campaign_id}").get("campaign") or {}) or None
        except NotFound:  # deleted since
            return None


def _total(body: Any) -> int | None:
    try:
        return int(str((body.get("meta") or {}).get("total")))
    except ValueError:
        return None


def _pages_left(page: Page[Any], read: int) -> int:
    if len(page.items) < PAGE:
        return 0
    total = _total(page.body)
    return 1 if total is None else math.ceil(max(total - read, 0) / PAGE)  # no total: a full page may have more


# -- automations -------------------------------------------------------------------------------------------------------


class AutomationResource(_AcResource, ManualAutomationResource):
    """Automations cannot be created through the API: hub prints a build sheet and verifies by name."""

    accepted_triggers = "a list, tag, date or event trigger"

    def manual_trigger(self, automation: Automation, names: dict[str, str],
                       fields: dict[str, str]) -> ManualTrigger | None:
        if m.automation_trigger(automation, names, fields) is None:
            return None
        return ManualTrigger(after=" (see the build sheet); hub verifies it by name and enrols contacts")

    def build_sheet(self, automation: Automation, names: dict[str, str], fields: dict[str, str],
                    tags: MergeTagTranslator, client: str) -> str:
        return m.automation_build_sheet(automation, names, fields, tags, client=client)

    def read_live(self, refs: References) -> dict[str, Live]:
        out = {}
        for a in self.api.pages("automations", "automations"):
            live = Live(str(a["id"]), a["name"], {"name": a["name"]}, a)
            if str(a.get("status")) != "1":
                live.warnings.append("the automation is inactive in ActiveCampaign: set it Active, or enrolments"
                                     " are refused")
            out[a["name"]] = live
        return out

    def compare(self, want: Desired, live: Live) -> str | None:
        return None  # the API does not expose an automation's steps: it is verified by its name


class EnrolmentResource(_AcResource, EnrolmentResourceBase):
    """Enrolling = `POST /contactAutomations`, once per contact: hub first looks at who is (or was) in the
    automation, and a `duplicate` answer means the contact is already in it."""

    def __init__(self, api: ActiveCampaignApi) -> None:
        super().__init__(api)
        self._lock = threading.Lock()
        self._enrolled: dict[str, dict[str, str]] = {}  # automation id -> contact id -> enrolment
        self._tried: set[tuple[str, str]] = set()

    def desired(self, client: Client, refs: References) -> list[Desired]:
        with self._lock:
            self._enrolled.clear()  # a new plan: read who is in each automation again when it is applied
            self._tried.clear()
        return super().desired(client, refs)

    def enrols(self, client: Client, automation: Automation) -> bool:
        audience = client.audience
        names = {x.id: x.name for x in audience.lists} | {x.id: x.name for x in audience.tags}
        fields = {x.id: x.name for x in audience.fields}
        return super().enrols(client, automation) and m.automation_trigger(automation, names, fields) is not None

    def recipients(self, client: Client, automation: Automation) -> Iterable[tuple[str, dict[str, Any]]]:
        ref = f"automation:{automation.id}"
        return ((email, {"email": email, "automation": ref}) for email in client.enrolled(automation))

    def when_ready(self, automation: Automation, payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
        return payload, ""

    def _known(self, automation_id: str, contact_id: str) -> str | None:
        """The enrolment of the contact in the automation, if there is one (current or finished): who is in
        an automation is read once per apply (`GET /contacts?seriesid=`); a second attempt for the same
        contact in one run (after a lost answer) asks about that contact."""
        key = (automation_id, contact_id)
        with self._lock:
            if automation_id not in self._enrolled:
                self._enrolled[automation_id] = {
                    str(c["id"]): f"{automation_id}/{c['id']}"
                    for c in self.api.pages("contacts", "contacts", {"seriesid": automation_id})}
            retry = key in self._tried
            self._tried.add(key)
            found = self._enrolled[automation_id].get(contact_id)
        if found is None and retry:
            return self._enrolment_of(automation_id, contact_id)
        return found

    def _enrolment_of(self, automation_id: str, contact_id: str) -> str | None:
        body = self.http.get(f"contacts/{contact_id}/contactAutomations")
        for e in body.get("contactAutomations") or []:
            if str(e.get("seriesid") or e.get("automation")) == automation_id:
                return str(e["id"])
        return None

    def create(self, want: Desired, refs: References) -> str:
        automation_id = refs.require("automation", want.payload["automation"].split(":", 1)[1])
        contact_id = self.api.known_contact(want.payload["email"], refs)
        if contact_id is None:
            raise NotFound(f"contact {want.payload['email']} is not in ActiveCampaign yet; apply the audience first",
                           provider=self.api.name)
        existing = self._known(automation_id, contact_id)
        if existing:
            return existing
        body = {"contactAutomation": {"contact": int(contact_id), "automation": int(automation_id)}}
        answer = self.http.request("POST", "contactAutomations", json=body, idempotent=False, ok=(422,))
        if answer.status == 422:
            if "duplicate" not in str(answer.body):
                raise self.api.map_error(422, answer.body, answer.headers)
            return self._enrolment_of(automation_id, contact_id) or f"{automation_id}/{contact_id}"
        with self._lock:
            self._enrolled.setdefault(automation_id, {})[contact_id] = str(answer.body["contactAutomation"]["id"])
        return str(answer.body["contactAutomation"]["id"])

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        return self.create(want, refs)


# what the provider syncs, in dependency order
RESOURCE_TYPES = (ListResource, TagResource, FieldResource, SegmentResource, ContactResource, CampaignResource,
                  AutomationResource, EnrolmentResource, RunnerAutomationResource)
