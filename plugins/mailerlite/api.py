"""MailerLite's API for one account: authentication, rate-limit buckets, paginated lists, ``/batch``, the
reads several resources share (groups stand for both lists and tags), and what hub's automation runner asks
of an email vendor: a step's email sent to exactly the contacts due together, who opened and clicked it,
and tags given and taken away."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from pydantic import SecretStr

from hub.plugin import (
    AmbiguousWrite,
    Client,
    Contact,
    EmailActivity,
    NotFound,
    Provider,
    ProviderContext,
    ProviderError,
    ProviderSettings,
    References,
    SharedRead,
    StepEmail,
    VendorApi,
    by_cursor,
    by_page_number,
    every_item,
    under,
    unique_id,
)

from . import mapping as m

# Lists are drained in the fewest requests: the largest pages MailerLite gives.
PAGE = 100  # page/limit lists (groups, fields, segments, campaigns, automations)
CURSOR_PAGE = 1000  # cursor lists (subscribers)
BATCH_MAX = 50  # requests per POST /batch
CAMPAIGN_STATUSES = ("draft", "ready", "sent")  # the campaign list shows one at a time (`ready` by default)

T = TypeVar("T")


class MailerLiteSettings(ProviderSettings):
    api_key: SecretStr
    api_version: str | None = None  # sent as X-Version to pin behaviour


def _last_page(body: Any) -> int:
    return int((body.get("meta") or {}).get("last_page") or 1)  # no page count: the only page


def _next_cursor(body: Any) -> str | None:
    return (body.get("meta") or {}).get("next_cursor")


# -- resources --------------------------------------------------------------------------------------

class MailerLiteApi(VendorApi[MailerLiteSettings]):
    def __init__(self, vendor: type[Provider], settings: MailerLiteSettings, ctx: ProviderContext) -> None:
        super().__init__(vendor, settings, ctx)
        self._groups = SharedRead()
        self._timezones = SharedRead()
        self._swept = False  # this process has looked over hub's batch groups once (an earlier one's leftovers)
        self._unsent: dict[str, str] = {}  # campaign id -> its batch group, kept until the campaign shows sent
        self._step_lock = threading.Lock()

    def auth_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.settings.api_key.get_secret_value()}"}
        if self.settings.api_version:
            headers["X-Version"] = self.settings.api_version
        return headers

    def bucket_for(self, method: str, path: str, body: Any) -> tuple[str, ...]:
        path = path.strip("/")
        if path.endswith("import-subscribers"):
            return ("default", "import")
        if path == "batch" and isinstance(body, dict):
            reqs = body.get("requests") or []
            if reqs and all(r.get("method") == "POST" and r.get("path", "").strip("/") == "api/subscribers"
                            for r in reqs):
                return ("default", "import")  # a batch of only upserts counts as an import
        return ("default",)

    # -- reading ------------------------------------------------------------------------------------
    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a page/limit list ({"data": [...], "meta": {"last_page": N}})."""
        return every_item(by_page_number(
            lambda page: self.http.get(path, params={**(params or {}), "limit": PAGE, "page": page}),
            under("data"), last_page=_last_page))

    def cursor_pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a cursor list ({"data": [...], "meta": {"next_cursor": "..."}})."""

        def fetch(cursor: str | None) -> Any:
            query = {**(params or {}), "limit": CURSOR_PAGE}
            if cursor:
                query["cursor"] = cursor
            return self.http.get(path, params=query)

        return every_item(by_cursor(fetch, under("data"), next_cursor=_next_cursor))

    # -- shared reads ------------------------------------------------------------------------------
    def groups(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        return self._groups.get(lambda: list(self.pages("groups")), refresh=refresh)

    def forget_groups(self) -> None:
        self._groups.forget()

    def group_made(self, group: dict[str, Any]) -> None:
        """A group hub just made (the contacts' push finds it without reading the groups again)."""
        self._groups.add(group)

    def timezone_ids(self) -> dict[str, str]:
        return self._timezones.get(lambda: {t["name"]: str(t["id"])
                                            for t in self.http.get("timezones").get("data") or []})

    def campaigns(self) -> Iterator[dict[str, Any]]:
        """Every campaign, drafts first and sent ones last (a fresh read each time)."""
        for status in CAMPAIGN_STATUSES:
            yield from self.pages("campaigns", {"filter[status]": status})

    def batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST /batch (≤ 50 sub-requests); answers in request order. Sub-requests are upserts, updates or
        assignments, so resending the whole batch after a lost answer is safe."""
        if not requests:
            return []
        body = self.http.post("batch", json={"requests": requests}, idempotent=True)
        answers = body.get("responses") or []
        if len(answers) != len(requests):
            raise ProviderError(f"/batch answered {len(answers)} of {len(requests)} requests", provider=self.name)
        return answers

    def batch_all(self, requests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Any number of sub-requests, `BATCH_MAX` to a /batch, several /batch requests at once (as many as the
        account allows: one at a time, a /batch's round trip would keep the rate limit from being used);
        answers in request order."""
        chunks = [list(requests[i:i + BATCH_MAX]) for i in range(0, len(requests), BATCH_MAX)]
        if len(chunks) <= 1:
            return self.batch(chunks[0]) if chunks else []
        with ThreadPoolExecutor(max_workers=min(len(chunks), max(1, self.limits.max_concurrency))) as pool:
            return [a for answers in pool.map(self.batch, chunks) for a in answers]

    def set_contact_field(self, client: Client, email: str, field_id: str, value: str, refs: References) -> None:
        key = m.field_keys(client).get(field_id, field_id)
        try:
            sub = self.http.get(f"subscribers/{email}")["data"]
        except NotFound:
            return  # not at MailerLite (yet): the next contact push carries the workspace's value
        self.http.put(f"subscribers/{sub['id']}", json={"fields": {key: value}})

    def read_members(self, client: Client, list_id: str, segment_id: str | None,
                     refs: References) -> list[Contact]:
        if segment_id:
            path = f"segments/{refs.require('segment', segment_id)}/subscribers"
        else:
            path = f"groups/{refs.require('list', list_id)}/subscribers"
        neutral_keys = {key: fid for fid, key in m.field_keys(client).items()}
        members = []
        for status in ("active", "unsubscribed", "unconfirmed", "bounced", "junk"):  # member lists default to active
            for s in self.cursor_pages(path, {"filter[status]": status}):
                members.append(m.contact_from_subscriber(s, neutral_keys))
        return members

    # -- export (hub import, hub migrate) ------------------------------------------------------------------
    def export_contacts(self, refs: References) -> Iterator[Contact]:
        """Every subscriber, one cursor walk of 1000 a page per status with their groups included: a status
        filter for each, because MailerLite's default for that list is not documented (unverified) and an
        unsubscribed person left out would be carried as subscribed. Fields are read once (/fields) to know
        which key stands for which workspace field."""
        field_ids = {str(f["key"]): neutral for f in self.pages("fields")
                     if (neutral := refs.neutral_id("field", str(f["id"])))}
        groups = {gid: ("list", neutral) for neutral, gid in refs.of_kind("list").items()}
        groups.update({gid: ("tag", neutral) for neutral, gid in refs.of_kind("tag").items()})
        for status in m.STATUS_IN:
            for sub in self.cursor_pages("subscribers", {"filter[status]": status, "include": "groups"}):
                yield m.exported_subscriber(sub, field_ids, groups)

    # -- hub's automation runner (Capability.STEP_EMAILS) ------------------------------------------------
    def send_step_email(self, email: StepEmail, refs: References) -> str:
        """One regular campaign, sent at once (`delivery: instant`), to a group made for the batch that holds
        exactly its recipients.

        A batch hub's journal says nothing was asked for before (`email.resumed` false) is made piece by piece
        without looking first, once this process has looked over hub's batch groups. Otherwise each piece is
        found by name before it is made (the campaign among drafts, ready and sent ones; the group among hub's
        batch groups), so that a call after a crash or a lost answer finishes what is missing: a campaign
        already on its way is returned as it is."""
        with self._step_lock:
            if email.resumed or not self._swept:
                return self._send_found(email, refs)
            name = m.batch_group_name(email.name)
            group_id = self._create_batch_group(name)
            self._set_members(group_id, email.recipients, refs, fresh=True)
            campaign = self._send_now(self._draft(email, group_id, None))
            self._unsent[str(campaign["id"])] = group_id
            self._clear_unsent({str(campaign["id"]): campaign["status"]})
            return str(campaign["id"])

    def _send_found(self, email: StepEmail, refs: References) -> str:
        campaigns = {c["name"]: c for c in self.campaigns()}  # a sent one wins over a namesake draft
        groups = self._batch_groups()
        campaign = campaigns.get(email.name)
        if campaign is None or campaign["status"] == "draft":
            name = m.batch_group_name(email.name)
            found = groups.get(name)
            group_id = groups[name] = found or self._create_batch_group(name)
            self._set_members(group_id, email.recipients, refs, fresh=found is None)
            campaign = campaigns[email.name] = self._send_now(self._draft(email, group_id, campaign))
        self._clear_batch_groups(campaigns, groups)
        self._swept = True
        return str(campaign["id"])

    def step_email_activity(self, campaign_id: str) -> EmailActivity:
        """From the campaign's subscriber-activity report, one filtered read per kind. GET with a query string
        as the Java SDK and the docs' readers do (unverified: the Go, Node and Python SDKs POST the same
        parameters in a JSON body, and the recorded POST answered 200)."""

        def who(kind: str) -> frozenset[str]:
            rows = self.pages(f"campaigns/{campaign_id}/reports/subscriber-activity",
                              {"filter[type]": kind, "include": "subscriber"})
            return frozenset(e for row in rows if (e := m.activity_email(row)))

        return EmailActivity(opened=who("opened"), clicked=who("clicked"))

    def tag_contacts(self, tag_id: str, emails: Sequence[str], refs: References, *, add: bool = True) -> None:
        """Tags are groups at MailerLite: assigning someone already in it, or unassigning someone who is not,
        changes nothing and is no error."""
        group_id = refs.require("tag", tag_id)
        method = "POST" if add else "DELETE"
        self._memberships([m.membership(method, self._subscriber(e, refs), group_id) for e in emails])

    def _subscriber(self, email: str, refs: References) -> str:
        """How a contact is named in a path: the subscriber id hub knows, else the address."""
        address = email.strip().lower()
        return refs.vendor_id("contact", address) or address

    def _memberships(self, requests: list[dict[str, Any]]) -> None:
        """Group assignments through /batch (never only upserts, so never counted as an import)."""
        answers = self.batch_all(requests)
        failed = [f"{r['method']} {r['path']}: HTTP {a.get('code')} {a.get('body')}"
                  for r, a in zip(requests, answers, strict=True) if not m.membership_settled(r, a)]
        if failed:
            more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
            raise ProviderError("MailerLite did not change group membership: " + "; ".join(failed[:3]) + more,
                                provider=self.name)

    def _written(self, write: Callable[[], T], find: Callable[[], T | None]) -> T:
        """A write that must not be repeated blindly: when its answer is lost, what the vendor shows now
        decides. Found, it happened; not found, the error stands and the runner's next call makes it."""
        try:
            return write()
        except AmbiguousWrite:
            found = find()
            if found is None:
                raise
            return found

    def _batch_groups(self) -> dict[str, str]:
        """hub's batch groups by name, read afresh (`filter[name]` matches part of a name: checked here)."""
        return {g["name"]: str(g["id"]) for g in self.pages("groups", {"filter[name]": m.BATCH_GROUP_PREFIX})
                if str(g["name"]).startswith(m.BATCH_GROUP_PREFIX)}

    def _create_batch_group(self, name: str) -> str:
        group_id = self._written(lambda: str(self.http.post("groups", json={"name": name}, idempotent=False)
                                             ["data"]["id"]),
                                 lambda: self._batch_groups().get(name))
        self.forget_groups()
        return group_id

    def _set_members(self, group_id: str, recipients: Sequence[str], refs: References, *, fresh: bool) -> None:
        """Make the group's active members exactly the recipients. A group found again (an earlier attempt
        made it) is read first, so that a retry only adds who is missing and takes away who should not get
        the email; a group just made is empty."""
        members = {} if fresh else {str(s["email"]).lower(): str(s["id"]) for s in self.cursor_pages(
            f"groups/{group_id}/subscribers", {"filter[status]": "active"})}
        wanted = set(recipients)
        self._memberships(
            [m.membership("POST", self._subscriber(e, refs), group_id) for e in recipients if e not in members]
            + [m.membership("DELETE", sid, group_id) for e, sid in members.items() if e not in wanted])

    def _draft(self, email: StepEmail, group_id: str, found: dict[str, Any] | None) -> dict[str, Any]:
        """The campaign, made now or left as a draft by an earlier attempt (aimed again at the batch's group
        should it point elsewhere)."""
        body = m.step_campaign_request(email, group_id, m.merge_tags(self.client), self.client.config.brand.values())
        if found is None:
            return self._written(lambda: self.http.post("campaigns", json=body, idempotent=False)["data"],
                                 lambda: next((c for c in self.campaigns() if c["name"] == email.name), None))
        if not m.targets_only(found, group_id):
            return dict(self.http.put(f"campaigns/{found['id']}", json=body)["data"])
        return found

    def _send_now(self, campaign: dict[str, Any]) -> dict[str, Any]:
        path = f"campaigns/{campaign['id']}"

        def scheduled() -> dict[str, Any] | None:
            now = self.http.get(path)["data"]
            return now if now["status"] != "draft" else None

        return self._written(lambda: self.http.post(f"{path}/schedule", json={"delivery": "instant"})["data"],
                             scheduled)

    def _clear_batch_groups(self, campaigns: Mapping[str, dict[str, Any]], groups: Mapping[str, str]) -> None:
        """Delete the batch groups whose campaigns have been sent, this one's and any an earlier call left; note
        those whose campaigns are still on their way (`_clear_unsent` deletes them once sent).

        Deleted because every batch makes one: an automation sending daily would bury the client's own groups
        in the UI's list and run into MailerLite's cap on groups per account (1000 in its groups docs,
        unverified). Only once the campaign shows `sent`: while it is `ready` (MailerLite still sending), its
        recipients may still be read from the group. Idempotent: the campaign is looked up before the group, so
        a retry after the delete finds it sent and neither sends it again nor makes its group again; a group
        already gone is no error."""
        by_group = {m.batch_group_name(name): c for name, c in campaigns.items()}
        for name, group_id in groups.items():
            campaign = by_group.get(name)
            if campaign is not None and campaign["status"] != "draft":
                self._unsent[str(campaign["id"])] = group_id
        self._clear_unsent({str(c["id"]): c["status"] for c in campaigns.values()})

    def _clear_unsent(self, known: Mapping[str, str]) -> None:
        """Delete the batch group of each noted campaign that shows `sent` now (its status `known` from an answer
        just had, else read by its id); a campaign deleted meanwhile takes its group with it."""
        done = []
        for campaign_id, group_id in list(self._unsent.items()):
            status = known.get(campaign_id)
            if status is None:
                try:
                    status = self.http.get(f"campaigns/{campaign_id}")["data"]["status"]
                except NotFound:
                    status = "sent"  # deleted meanwhile: nothing reads its group any more
            if status == "sent":
                self.http.delete(f"groups/{group_id}", missing_ok=True)
                done.append(campaign_id)
        for campaign_id in done:
            del self._unsent[campaign_id]
        if done:
            self.forget_groups()

    # -- hub import -------------------------------------------------------------------------------------
    def import_account(self, refs: References) -> dict[str, Any]:
        """Groups (as lists), fields, segments (verified by name: their rules are not readable), draft and
        scheduled campaigns, sent ones as history, and automations as far as the API shows them."""
        from . import importing as imp

        notes: list[str] = []
        taken: set[str] = set()
        neutral: dict[tuple[str, str], str] = {}
        lists = []
        for g in self.groups(refresh=True):
            if str(g["name"]).startswith(m.BATCH_GROUP_PREFIX):
                continue  # hub's own, made for an automation step's email
            lid = unique_id(str(g["name"]), taken, fallback="list")
            lists.append({"id": lid, "name": g["name"]})
            refs.add("list", lid, str(g["id"]))
            neutral[("list", str(g["id"]))] = lid
        if lists:
            notes.append("MailerLite keeps lists and tags alike as groups: every group is imported as a list (move"
                         " one to `tags:` in audience.yaml if it is a tag; hub finds it by name either way)")
        fields = []
        for item, vendor_id in imp.fields(self.pages("fields"), notes):
            fields.append(item)
            refs.add("field", item["id"], vendor_id)
        keys = imp.variable_keys({f["id"]: m.derive_field_key(f["name"]) for f in fields})
        segments = []
        seg_taken: set[str] = set()
        for s in self.pages("segments"):
            if not lists:
                notes.append(f"segment '{s['name']}' left out: a hub segment's rule needs a list")
                continue
            sid = unique_id(str(s["name"]), seg_taken, fallback="segment")
            refs.add("segment", sid, str(s["id"]))
            neutral[("segment", str(s["id"]))] = sid
            segments.append({"data": {"id": sid, "name": s["name"], "rules": [{"list": lists[0]["id"]}]},
                             "comment": "MailerLite's API does not show a segment's rules: hub verifies it by name."
                                        " The rule below is a placeholder; write the segment's real rules"})
        campaigns, history = [], []
        camp_taken: set[str] = set()
        timezone = self.client.timezone
        for c in self.campaigns():
            if c.get("status") == "sent":
                history.append(imp.history_line(c))
                continue
            if not (c.get("emails") or [{}])[0].get("content"):  # the list may leave content out
                c = self.http.get(f"campaigns/{c['id']}")["data"]
            data, why = imp.campaign(c, neutral, keys, timezone, camp_taken)
            if data is None:
                notes.append(f"campaign '{c.get('name')}' left out: {why}")
            else:
                campaigns.append({"data": data, "comment": why})
        automations = []
        auto_taken: set[str] = set()
        for a in self.pages("automations"):
            full = a if a.get("steps") is not None else self.http.get(f"automations/{a['id']}")["data"]
            data, why = imp.automation(full, neutral, keys, auto_taken)
            if data is None:
                notes.append(f"automation '{a.get('name')}' left out: {why}")
            else:
                automations.append({"data": data, "comment": why})
        return {"lists": lists, "fields": fields, "segments": segments, "campaigns": campaigns,
                "automations": automations, "history": history, "notes": notes}
