"""Mailchimp resources: what hub syncs into the client's audience, each kind over the official SDK."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from hub.plugin import (
    Automation,
    Capability,
    Client,
    Desired,
    EnrolmentResourceBase,
    Fidelity,
    ItemResult,
    Live,
    Metric,
    NotFound,
    OutcomeUnknown,
    References,
    Resource,
    Result,
    RunnerAutomationResource,
    Sent,
    SharedCollectionResource,
    VendorValidationError,
    automation_emails,
    by_offset,
    find_ids,
    sent_campaign,
    under,
)

from . import mapping as m
from . import reporting
from .api import PAGE, join_ids, paged, split_ids

if TYPE_CHECKING:
    from .api import MailchimpApi

BATCH_SUBSCRIBE_MAX = 500


class _McResource(Resource):
    api: MailchimpApi

    @property
    def audience(self) -> str:
        return self.api.audience_id

    def audiences(self, refs: References) -> list[str]:
        """The audiences this account's items live in: the client's one audience, or (lists as audiences)
        the audience of every list hub knows."""
        if not self.api.lists_are_audiences:
            return [self.audience]
        return sorted(set(refs.of_kind("list").values()))


# -- lists and tags: both are Mailchimp tags (static segments) ------------------------------------------


class _TagBacked(_McResource, SharedCollectionResource):
    """Lists and tags both live as tags (static segments) of the one audience (one read serves both)."""

    def collection(self, *, refresh: bool) -> list[dict[str, Any]]:
        return self.api.static_segments(refresh=refresh)

    def forget_collection(self) -> None:
        self.api.forget_static_segments()

    def create_item(self, name: str) -> dict[str, Any]:
        body = {"name": name, "static_segment": []}
        return dict(self.api("POST", f"lists/{self.audience}/segments",
                             lambda c: c.lists.create_segment(self.audience, body), body=body, idempotent=False))

    def collection_gained(self, item: dict[str, Any]) -> None:
        self.api.static_segment_made(item)

    def update_item(self, vendor_id: str, name: str) -> None:
        body = {"name": name}
        self.api("PATCH", f"lists/{self.audience}/segments/{vendor_id}",
                 lambda c: c.lists.update_segment(self.audience, vendor_id, body), body=body)

    def delete_item(self, vendor_id: str) -> None:
        with contextlib.suppress(NotFound):  # already gone: the desired outcome
            self.api("DELETE", f"lists/{self.audience}/segments/{vendor_id}",
                     lambda c: c.lists.delete_segment(self.audience, vendor_id))


class AudienceResource(_McResource):
    """With lists as audiences: each list is a Mailchimp audience, created by hub when the account says
    how (the postal address Mailchimp requires), else built in the UI and verified by name."""

    kind = "list"
    capability = Capability.LISTS

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = []
        for x in client.audience.lists:
            if self.api.settings.audience_contact is None:
                out.append(Desired(x.id, x.name, {"name": x.name}, Fidelity.MANUAL,
                                   "set `audience_contact` on the account for hub to create audiences, or create it",
                                   {"build_sheet": f"In Mailchimp: Audience -> Create audience named '{x.name}'."}))
            else:
                out.append(Desired(x.id, x.name, {"name": x.name}))
        return out

    def read_live(self, refs: References) -> dict[str, Live]:
        items = paged(self.api, "lists", "lists", lambda c, n, o: c.lists.get_all_lists(count=n, offset=o))
        return {x["name"]: Live(str(x["id"]), x["name"], {"name": x["name"]}, x) for x in items}

    def compare(self, want: Desired, live: Live) -> str | None:
        return super().compare(want, live) if want.fidelity != Fidelity.MANUAL else None

    def create(self, want: Desired, refs: References) -> str:
        body = self.api.audience_body(want.payload["name"])
        made = self.api("POST", "lists", lambda c: c.lists.create_list(body), body=body, idempotent=False)
        return str(made["id"])

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        body = {**self.api.audience_body(want.payload["name"])}
        self.api("PATCH", f"lists/{vendor_id}", lambda c: c.lists.update_list(vendor_id, body), body=body)
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        with contextlib.suppress(NotFound):
            self.api("DELETE", f"lists/{vendor_id}", lambda c: c.lists.delete_list(vendor_id))


class ListResource(_TagBacked):
    kind = "list"
    capability = Capability.LISTS


class TagResource(_TagBacked):
    kind = "tag"
    capability = Capability.TAGS
    fresh_read = False  # the list resource just read every tag


# -- merge fields ---------------------------------------------------------------------------------------


class FieldResource(_McResource):
    """Merge fields; with lists as audiences, the same field in every audience (one id in each)."""

    kind = "field"
    capability = Capability.FIELDS
    TYPES: ClassVar[dict[str, str]] = {"text": "text", "number": "number", "date": "date"}

    def desired(self, client: Client, refs: References) -> list[Desired]:
        return [Desired(f.id, m.merge_tag_for(f.id), {"name": f.name, "type": self.TYPES[f.type.value],
                                                       "tag": m.merge_tag_for(f.id)})
                for f in client.audience.fields]

    def _fields(self, audience: str) -> dict[str, dict[str, Any]]:
        items = paged(self.api, f"lists/{audience}/merge-fields", "merge_fields",
                      lambda c, n, o: c.lists.get_list_merge_fields(audience, count=n, offset=o))
        return {f["tag"]: f for f in items}

    def read_live(self, refs: References) -> dict[str, Live]:
        audiences = self.audiences(refs)
        per_audience = {aud: self._fields(aud) for aud in audiences}
        out = {}
        for tag, f in (per_audience[audiences[0]] if audiences else {}).items():
            if all(tag in fields for fields in per_audience.values()):  # missing anywhere: not there yet
                ids = {aud: str(fields[tag]["merge_id"]) for aud, fields in per_audience.items()}
                vendor_id = ids[self.audience] if not self.api.lists_are_audiences else join_ids(ids)
                out[tag] = Live(vendor_id, tag, {"name": f["name"], "type": f["type"], "tag": tag}, f)
        return out

    def create(self, want: Desired, refs: References) -> str:
        body = dict(want.payload)
        ids = {}
        for aud in self.audiences(refs):
            have = self._fields(aud).get(body["tag"]) if self.api.lists_are_audiences else None
            if have is None:
                have = self.api("POST", f"lists/{aud}/merge-fields",
                                lambda c, a=aud: c.lists.add_list_merge_field(a, body), body=body, idempotent=False)
            ids[aud] = str(have["merge_id"])
        return join_ids(ids) if self.api.lists_are_audiences else ids[self.audience]

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        body = {"name": want.payload["name"]}
        if self.api.lists_are_audiences and set(split_ids(vendor_id, self.audience)) != set(self.audiences(refs)):
            return self.create(want, refs)  # a new audience (list) lacks it
        for aud, merge_id in split_ids(vendor_id, self.audience).items():
            self.api("PATCH", f"lists/{aud}/merge-fields/{merge_id}",
                     lambda c, a=aud, i=merge_id: c.lists.update_list_merge_field(a, i, body), body=body)
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        for aud, merge_id in split_ids(vendor_id, self.audience).items():
            with contextlib.suppress(NotFound):
                self.api("DELETE", f"lists/{aud}/merge-fields/{merge_id}",
                         lambda c, a=aud, i=merge_id: c.lists.delete_list_merge_field(a, i))


# -- saved segments ---------------------------------------------------------------------------------------


class SegmentResource(_McResource):
    """Saved segments. With lists as audiences, a segment lives in the audience of its list rule."""

    kind = "segment"
    capability = Capability.SEGMENTS

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = []
        for s in client.audience.segments:
            options = m.segment_conditions(s, client)
            payload: dict[str, Any] = {"name": s.name, "options": options}
            if self.api.lists_are_audiences:
                payload["audience"], payload["options"] = m.audience_of(options)
            out.append(Desired(s.id, s.name, payload))
        return out

    def read_live(self, refs: References) -> dict[str, Live]:
        out = {}
        for aud in self.audiences(refs):
            items = paged(self.api, f"lists/{aud}/segments", "segments",
                          lambda c, n, o, a=aud: c.lists.list_segments(a, type="saved", count=n, offset=o))
            for s in items:
                options = s.get("options") or {}
                conditions = []
                for cond in options.get("conditions") or []:
                    if cond.get("condition_type") == "StaticSegment":
                        cond = {**cond, "value": self.api.tag_ref_in(aud, refs, cond.get("value"))}
                    conditions.append({k: cond[k] for k in ("condition_type", "field", "op", "value") if k in cond})
                payload: dict[str, Any] = {"name": s["name"], "options": {"match": options.get("match", "all"),
                                                                          "conditions": conditions}}
                vendor_id = str(s["id"])
                if self.api.lists_are_audiences:
                    payload["audience"] = f"list:{refs.neutral_id('list', aud)}"
                    vendor_id = join_ids({aud: vendor_id})
                out[s["name"]] = Live(vendor_id, s["name"], payload, s)
        return out

    def _audience(self, want: Desired, refs: References) -> str:
        if not self.api.lists_are_audiences:
            return self.audience
        return refs.require("list", want.payload["audience"].split(":", 1)[1])

    def _body(self, want: Desired, refs: References) -> dict[str, Any]:
        aud = self._audience(want, refs)
        options = m.resolve_conditions(want.payload["options"], lambda ref: int(self.api.tag_id(aud, ref, refs)))
        return {"name": want.payload["name"], "options": options}

    def create(self, want: Desired, refs: References) -> str:
        aud, body = self._audience(want, refs), self._body(want, refs)
        made = self.api("POST", f"lists/{aud}/segments",
                        lambda c: c.lists.create_segment(aud, body), body=body, idempotent=False)
        return join_ids({aud: str(made["id"])}) if self.api.lists_are_audiences else str(made["id"])

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        body = self._body(want, refs)
        for aud, sid in split_ids(vendor_id, self.audience).items():
            self.api("PATCH", f"lists/{aud}/segments/{sid}",
                     lambda c, a=aud, i=sid: c.lists.update_segment(a, i, body), body=body)
        return vendor_id

    def delete(self, vendor_id: str, refs: References) -> None:
        for aud, sid in split_ids(vendor_id, self.audience).items():
            with contextlib.suppress(NotFound):
                self.api("DELETE", f"lists/{aud}/segments/{sid}", lambda c, a=aud, i=sid: c.lists.delete_segment(a, i))


# -- members ------------------------------------------------------------------------------------------------


class ContactResource(_McResource):
    """Contacts: new ones through batch subscribe (500 a call), known ones through PUT upserts that never
    re-subscribe anybody (one /batches job when there are many). Planned against what hub last pushed."""

    kind = "contact"
    many = True
    pure_desired = True
    capability = Capability.CONTACTS
    live_read = False
    batch_size = BATCH_SUBSCRIBE_MAX
    prunable = False

    def desired(self, client: Client, refs: References) -> list[Desired]:
        tags = m.merge_tags_of(client)
        # contacts with the same tags share one record and one list of them (a record is never changed once made:
        # 50,000 contacts hold a few sets of tags, and a dict and a list each were 13 MB)
        records: dict[tuple[str, ...], dict[str, Any]] = {}
        out = []
        for c in self.api.contacts_to_push(client):
            if c.email:
                payload = m.contact_member(c, tags)
                record = records.setdefault(tuple(payload["tags"]), {"tags": payload["tags"]})
                payload["tags"] = record["tags"]
                out.append(Desired(payload["email_address"], payload["email_address"], payload,
                                   details={"record": record}))
        return out

    def apply_batch(self, items: Sequence[Desired], refs: References) -> list[ItemResult]:
        results: dict[str, ItemResult] = {}
        if not self.api.lists_are_audiences:
            names = self.api.tag_names_by_ref(refs)
            self._push(self.audience, items, names, results)
            for w in items:  # a tag not in Mailchimp (its creation failed) is left out, and recorded as such
                if (r := results.get(w.id)) is not None:
                    missing = [ref for ref in w.payload["tags"] if ref not in names]
                    r.written_without(missing, "tags", w.payload["tags"], "Mailchimp")
        else:  # one push per audience; a contact counts as done when every one of its audiences took it
            names = {f"tag:{t.id}": t.name for t in self.api.client.audience.tags}
            for aud, members, gone in self._by_audience(items, refs):
                done: dict[str, ItemResult] = {}
                self._push(aud, members, names, done, leaving=gone)
                for owner, r in done.items():
                    if owner not in results or results[owner].ok:
                        results[owner] = r
        return [results.get(w.id) or ItemResult(w.id, False, error="no answer from Mailchimp") for w in items]

    def _by_audience(self, items: Sequence[Desired], refs: References) -> list[tuple[str, list[Desired], list[str]]]:
        """With lists as audiences: each audience's members (their record tells which are new there), and
        who left it. A member of an audience is known there when its list was in the last push."""
        out: dict[str, tuple[list[Desired], list[str]]] = {}
        for w in items:
            before = [r for r in (w.details.get("previous") or {}).get("tags") or [] if r.startswith("list:")]
            now = [r for r in w.payload["tags"] if r.startswith("list:")]
            payload = {**w.payload, "tags": [r for r in w.payload["tags"] if r.startswith("tag:")]}
            for ref in now:
                aud = refs.require("list", ref.split(":", 1)[1])
                previous = dict(w.details.get("previous") or {}) if ref in before else {}
                if previous:
                    previous["tags"] = [r for r in previous.get("tags") or [] if r.startswith("tag:")]
                member = Desired(w.id, w.natural_key, payload, details={**w.details, "previous": previous})
                out.setdefault(aud, ([], []))[0].append(member)
            for ref in set(before) - set(now):
                left = refs.vendor_id("list", ref.split(":", 1)[1])
                if left:
                    out.setdefault(left, ([], []))[1].append(w.payload["email_address"])
        return [(aud, members, gone) for aud, (members, gone) in sorted(out.items())]

    def _push(self, audience: str, items: Sequence[Desired], names: dict[str, str],
              results: dict[str, ItemResult], leaving: Sequence[str] = ()) -> None:
        new = [w for w in items if not w.details.get("previous")]
        known = [w for w in items if w.details.get("previous")]
        if new:
            known += self._subscribe(audience, new, names, results)
        ops = [op for w in known for op in self._upsert_ops(audience, w, names)]
        ops += [(email, "DELETE", f"/lists/{audience}/members/{m.subscriber_hash(email)}", {}) for email in leaving]
        if ops:
            for owner, result in self.api.run_operations(ops).items():
                if owner in results and not results[owner].ok:
                    continue
                results[owner] = result

    def _subscribe(self, audience: str, items: Sequence[Desired], names: dict[str, str],
                   results: dict[str, ItemResult]) -> list[Desired]:
        """Batch subscribe new contacts; those Mailchimp already has are returned, to be upserted instead."""
        body = {"members": [m.member_write(w.payload, names, new=True) for w in items], "update_existing": False}
        answer = self.api.batch_subscribe(audience, body)
        by_email = {w.payload["email_address"]: w for w in items}
        existing: list[Desired] = []
        for err in answer.get("errors") or []:
            email = str(err.get("email_address", "")).lower()
            if email not in by_email:
                continue
            if err.get("error_code") == "ERROR_CONTACT_EXISTS":
                existing.append(by_email[email])  # e.g. a retry after a lost answer, or added by hand
            else:
                results[email] = ItemResult(email, False, error=f"{err.get('error')} ({err.get('field') or 'member'})")
        for email in by_email:
            if email not in results and by_email[email] not in existing:
                results[email] = ItemResult(email, True, m.subscriber_hash(email))
        return existing

    def _upsert_ops(self, audience: str, want: Desired,
                    names: dict[str, str]) -> list[tuple[str, str, str, dict[str, Any]]]:
        h = m.subscriber_hash(want.payload["email_address"])
        base = f"/lists/{audience}/members/{h}"
        ops = [(want.id, "PUT", base, m.member_write(want.payload, names, new=False))]
        before = set((want.details.get("previous") or {}).get("tags") or [])
        now = set(want.payload["tags"])
        changes = [{"name": names[r], "status": "active"} for r in sorted(now - before) if r in names]
        changes += [{"name": names[r], "status": "inactive"} for r in sorted(before - now) if r in names]
        if not want.details.get("previous"):  # found existing at batch subscribe: make sure its tags are there
            changes = [{"name": names[r], "status": "active"} for r in sorted(now) if r in names]
        if changes:
            ops.append((want.id, "POST", f"{base}/tags", {"tags": changes, "is_syncing": True}))
        return ops


# -- campaigns ----------------------------------------------------------------------------------------------


class CampaignResource(_McResource):
    kind = "email_campaign"
    capability = Capability.EMAIL_CAMPAIGNS
    reports: ClassVar[Mapping[Metric, str]] = reporting.REPORTS
    settles_after: ClassVar[timedelta] = reporting.SETTLES_AFTER  # hub's choice (see reporting.SETTLES_AFTER)

    def desired(self, client: Client, refs: References) -> list[Desired]:
        tags = m.merge_tags(client)
        social = self.api.vendor.support(Capability.SOCIAL)
        out = []
        for c in client.campaigns:
            if c.social is not None and not c.social.targets(self.api.ctx.account):
                c = c.model_copy(update={"social": None})  # the post goes to the client's other accounts
            if c.email is None:
                if c.social is not None:
                    out.append(Desired(c.id, c.name, {}, Fidelity.UNSUPPORTED,
                                       "Mailchimp shares social posts only alongside an email campaign"))
                continue
            payload = m.campaign_payload(c, client.timezone, tags)
            send_at = "now" if c.schedule.mode == "now" else payload["schedule"].get("at")
            fidelity, reason = Fidelity.EXACT, ""
            if c.social is not None:
                fidelity, reason = social.fidelity, social.note
            if c.to.segment:
                reason = (reason + "; " if reason else "") + "sent to the saved segment (its rules decide who)"
            out.append(Desired(c.id, c.name, payload, fidelity, reason,
                               {"source": c.source, "record": {"send_at": send_at}}))
        return out

    def history(self, live: Live) -> str | None:
        return sent_campaign(live)

    def compare(self, want: Desired, live: Live) -> str | None:
        comparable = m.comparable_campaign(want.payload)
        if self.api.lists_are_audiences:  # the audience is the list; a segment lives in it
            comparable["audience"] = {k: v for k, v in want.payload["audience"].items()}
        return super().compare(Desired(want.id, want.natural_key, comparable), live)

    def read_live(self, refs: References) -> dict[str, Live]:
        one = None if self.api.lists_are_audiences else self.audience  # else: every audience's campaigns
        items = paged(self.api, "campaigns", "campaigns",
                      lambda c, n, o: c.campaigns.list(count=n, offset=o, list_id=one))
        out = {}
        for raw in items:
            title = (raw.get("settings") or {}).get("title") or ""
            list_id = str((raw.get("recipients") or {}).get("list_id") or "")
            payload = m.campaign_projection(raw, lambda v: self.api.tag_ref(refs, v),
                                            lambda v, a=list_id: self.api.segment_ref(refs, v, a))
            if self.api.lists_are_audiences:
                payload["audience"] = {**payload["audience"], "list": f"list:{refs.neutral_id('list', list_id)}"}
            live = Live(str(raw["id"]), title, payload, raw)
            if raw.get("status") == "save":
                live.warnings = self.api.send_checklist(str(raw["id"]))
            out[title] = live
        return out

    def _body(self, want: Desired, refs: References) -> dict[str, Any]:
        audience = want.payload["audience"]
        seg = audience.get("segment")
        list_vendor_id = refs.require("list", audience["list"].split(":", 1)[1])
        list_id = list_vendor_id if self.api.lists_are_audiences else self.audience
        segment_id = None
        if seg:
            segment_id = int(split_ids(refs.require("segment", seg.split(":", 1)[1]), list_id)[list_id])
        tag_id = int(list_vendor_id) if not seg and not self.api.lists_are_audiences else None
        return m.campaign_body(want.payload, list_id, tag_id, segment_id)

    def create(self, want: Desired, refs: References) -> str:
        return self.api.create_campaign(self._body(want, refs))

    def finish(self, vendor_id: str, want: Desired, refs: References) -> None:
        self._content_and_schedule(vendor_id, want)

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        current = self.api("GET", f"campaigns/{vendor_id}", lambda c: c.campaigns.get(vendor_id))
        if current.get("status") in ("sent", "sending"):
            return vendor_id
        if current.get("status") == "schedule":
            self.api("POST", f"campaigns/{vendor_id}/actions/unschedule",
                     lambda c: c.campaigns.unschedule(vendor_id))
        body = self._body(want, refs)
        self.api("PATCH", f"campaigns/{vendor_id}", lambda c: c.campaigns.update(vendor_id, body), body=body)
        self._content_and_schedule(vendor_id, want)
        return vendor_id

    def _content_and_schedule(self, vendor_id: str, want: Desired) -> None:
        self.api.set_campaign_content(vendor_id, want.payload["html"], want.payload["plain_text"])
        schedule = want.payload["schedule"]
        if schedule["mode"] == "now":
            self.api.send_campaign(vendor_id)
        elif schedule["mode"] == "at":
            body = {"schedule_time": schedule["at"]}
            with self.api.checklist_on_refusal(vendor_id):
                self.api("POST", f"campaigns/{vendor_id}/actions/schedule",
                         lambda c: c.campaigns.schedule(vendor_id, body), body=body)

    def delete(self, vendor_id: str, refs: References) -> None:
        with contextlib.suppress(NotFound):
            self.api("DELETE", f"campaigns/{vendor_id}", lambda c: c.campaigns.remove(vendor_id))

    # -- results (`hub report`) ----------------------------------------------------------------------------
    def read_results(self, sent: Sequence[Sent], refs: References) -> list[Result]:
        """Campaigns and step batches alike (a batch is a campaign): their reports from `GET /reports`, 1000 a
        page, only those sent since shortly before the earliest asked about; a report the list would take more
        pages to reach than there are reports missing is read on its own. A campaign without a report (never
        sent, or deleted) is left out."""
        if not sent:
            return []
        found = self._reports({s.vendor_id for s in sent}, _earliest(sent))
        now = self.ctx.clock.utcnow()
        return [reporting.result(s, found[s.vendor_id], now, self.settles_after) for s in sent if s.vendor_id in found]

    def _reports(self, ids: set[str], since: datetime | None) -> dict[str, dict[str, Any]]:
        window = {"since_send_time": _utc(since - REPORT_LOOKBACK).strftime("%Y-%m-%dT%H:%M:%S+00:00")} if since else {}
        pages = by_offset(lambda o: self.api("GET", "reports", lambda c: c.reports.get_all_campaign_reports(
            count=PAGE, offset=o, fields=reporting.REPORT_FIELDS, **window)) or {},
                          under("reports"), total=lambda body: int(body.get("total_items") or 0), size=PAGE)
        # sent before the window (hub's time for it is late), or no report: asked one by one
        return find_ids(ids, pages, self._one_report, each_after_last=bool(window),
                        pages_left=lambda page, read: math.ceil(max(int(page.body.get("total_items") or 0) - read, 0)
                                                                / PAGE) if page.items else 0)

    def _one_report(self, campaign_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.api("GET", f"reports/{campaign_id}", lambda c: (
                c.reports.get_campaign_report(campaign_id, fields=reporting.ONE_REPORT_FIELDS))))
        except NotFound:  # no report: never sent, or deleted
            return None


REPORT_LOOKBACK = timedelta(days=1)  # hub records a send a little before or after Mailchimp does: slack for both


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)  # hub's naive times are UTC


def _earliest(sent: Sequence[Sent]) -> datetime | None:
    """The earliest send asked about (None when one is not known: then every report is listed)."""
    times = [s.sent_at for s in sent]
    if any(t is None for t in times):
        return None
    return min(t for t in times if t is not None)


# -- automations: customer journeys with an API trigger ----------------------------------------------------------


class AutomationResource(_McResource):
    """A hub automation is built in Mailchimp's UI, either as a customer journey with an API starting point
    (bound in client.yaml: the API cannot read journeys) or as a classic automation with an API-triggered
    first email (found by its name). hub verifies it and enrols contacts through it."""

    kind = "automation"
    capability = Capability.AUTOMATIONS
    prunable = False

    def desired(self, client: Client, refs: References) -> list[Desired]:
        out = []
        for a in client.automations:
            if a.sms_only or a.runner_owned:  # an SMS provider's Studio Flow, or hub's runner, carries it out
                continue
            binding = self.api.journeys.get(a.id)
            tags = m.merge_tags(client)
            details = {"build_sheet": m.journey_build_sheet(a, client), "source": a.source,
                       "emails": automation_emails(a, tags)}
            if binding is None:
                out.append(Desired(a.id, a.name, {}, Fidelity.MANUAL,
                                   "build it as a customer journey with an API starting point (then bind it in"
                                   " client.yaml), or as a classic automation of the same name", details))
            else:
                out.append(Desired(a.id, a.name, {}, Fidelity.MANUAL,
                                   f"bound to journey {binding['journey_id']} step {binding['step_id']}"
                                   " (checked when contacts are enrolled: the API cannot read journeys)", details))
        return out

    def read_live(self, refs: References) -> dict[str, Live]:
        """Classic automations by title (their first email's queue enrols), then journeys bound in
        client.yaml, which win: what is bound is what hub enrols through."""
        out: dict[str, Live] = {}
        for auto in paged(self.api, "automations", "automations",
                          lambda c, n, o: c.automations.list(count=n, offset=o)):
            title = (auto.get("settings") or {}).get("title") or ""
            wf = str(auto["id"])
            emails = self.api("GET", f"automations/{wf}/emails",
                              lambda c, w=wf: c.automations.list_all_workflow_emails(w))
            first = (emails or {}).get("emails") or []
            if first:
                out[title] = Live(f"classic/{wf}/{first[0]['id']}", title, {}, auto)
        names = self.api.automation_names
        for automation_id, binding in self.api.journeys.items():
            name = names.get(automation_id)
            if name:
                out[name] = Live(f"journey/{binding['journey_id']}/{binding['step_id']}", name, {})
        return out

    def compare(self, want: Desired, live: Live) -> str | None:
        return None  # neither journeys nor classic workflows expose enough to compare: verified by name


class EnrolmentResource(_McResource, EnrolmentResourceBase):
    """Enrolling a contact = triggering the journey's API step for them (or queueing them for the classic
    automation's first email), once: hub keeps the ledger."""

    unknown_outcome = "ask"  # a second trigger sends the journey's emails again

    def waiting(self, automation: Automation) -> str:
        return f"waits until automation '{automation.name}' is built (a journey or a classic automation)"

    def create(self, want: Desired, refs: References) -> str:
        how, first, second = refs.require("automation", want.payload["automation"]).split("/")
        email = want.payload["email"]
        body = {"email_address": email}
        if how == "journey":
            self.api("POST", f"customer-journeys/journeys/{first}/steps/{second}/actions/trigger",
                     lambda c: c.customerJourneys.trigger(first, second, body), body=body, idempotent=False)
        else:
            try:
                self.api("POST", f"automations/{first}/emails/{second}/queue",
                         lambda c: c.automations.add_workflow_email_subscriber(first, second, body), body=body,
                         idempotent=False)
            except VendorValidationError as exc:
                # Mailchimp queues an address once ("already in the queue"; once sent, "already sent":
                # unverified wording): a second attempt finds it done
                if "already" not in str(exc).lower():
                    raise
        return f"{how}/{first}/{second}/{m.subscriber_hash(email)}"

    def find_write(self, want: Desired, refs: References, since: datetime) -> str | None:
        how, first, second = refs.require("automation", want.payload["automation"]).split("/")
        if how == "journey":
            raise OutcomeUnknown("Mailchimp's API cannot show whether a journey trigger arrived (journeys and their"
                                 " contacts cannot be read; the journey's report in Mailchimp shows who entered)",
                                 provider=self.api.name)
        h = m.subscriber_hash(want.payload["email"])
        try:
            self.api("GET", f"automations/{first}/emails/{second}/queue/{h}",
                     lambda c: c.automations.get_workflow_email_subscriber(first, second, h))
        except NotFound:
            return None  # not queued: queueing again is refused if it was already sent
        return f"{how}/{first}/{second}/{h}"

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        return vendor_id  # enrolled once; hub never enrols anybody twice


# what the provider syncs, in dependency order
RESOURCE_TYPES = (ListResource, TagResource, FieldResource, SegmentResource, ContactResource, CampaignResource,
                  AutomationResource, EnrolmentResource, RunnerAutomationResource)
# with `lists_as: audiences`: no tag resource, as tags exist per audience
AUDIENCES_RESOURCE_TYPES = (AudienceResource, FieldResource, SegmentResource, ContactResource, CampaignResource,
                            AutomationResource, EnrolmentResource, RunnerAutomationResource)
