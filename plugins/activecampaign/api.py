"""ActiveCampaign's API for one account, over hub's shared HTTP client.

v3 lives at `<account URL>/api/3` (header `Api-Token`); v1 at `<account URL>/admin/api.php` with
`api_key`, `api_action` and `api_output=json` in the query string and a form-encoded body. Both go through
`self.http`, so they share the account's 5 requests a second, retries and error mapping. The v1 key is
in a URL: hub registers it for redaction, and no error message here ever quotes a URL with its query.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import SecretStr, field_validator

from hub.plugin import (
    AuthError,
    Client,
    Contact,
    EmailActivity,
    NotFound,
    Page,
    Provider,
    ProviderContext,
    ProviderError,
    ProviderSettings,
    RateLimited,
    References,
    StepEmail,
    Unavailable,
    VendorApi,
    VendorValidationError,
    by_offset,
    default_error,
    every_item,
    retry_after_seconds,
    timezone_problem,
    under,
    unique_id,
)

from . import mapping as m

IMPORT_MAX = 250  # contacts per POST /import/bulk_import
PAGE = 100  # the largest page v3 gives
V1_PAGE = 20  # rows of a v1 campaign_list page
# A step email's recipients up to this many are subscribed to its list one `POST /contactLists` each (two
# requests with the contact's lookup); more go through bulk imports, one request per 250 and a wait for the
# vendor to process them (ActiveCampaign suggests importing at least 10 contacts a call, B.5).
DIRECT_MAX = 10
IMPORT_POLL = 2.0  # vendor seconds between looks at an import a step email waits for
IMPORT_WAIT = 120.0  # then the runner is told to try again later (the import goes on at the vendor)


class ActiveCampaignSettings(ProviderSettings):
    api_key: SecretStr  # sent as Api-Token (v3) and api_key (v1)
    # the account's API URL from Settings -> Developer, e.g. https://acme.api-us1.com (with or without /api/3)
    base_url: str
    # the timezone in the account's settings: v1 reads campaign send times in it (default: the client's)
    account_timezone: str | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s?#]+", value):
            raise ValueError("base_url must be the account's API URL from Settings -> Developer,"
                             " like https://acme.api-us1.com")
        if "?" in value or "#" in value:
            raise ValueError("base_url must not carry a query string")
        return value

    @field_validator("account_timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        if value is None:
            return None
        why = timezone_problem(value)
        if why:
            raise ValueError(why)
        return value


class ActiveCampaignApi(VendorApi[ActiveCampaignSettings]):
    def __init__(self, vendor: type[Provider], settings: ActiveCampaignSettings, ctx: ProviderContext) -> None:
        super().__init__(vendor, settings, ctx)
        # one message and campaign made at a time (sync and the runner alike): a message another create has
        # made but not used in `campaign_create` yet must not look like one an earlier attempt left behind
        self.making_campaign = threading.Lock()

    @property
    def api_root(self) -> str:
        """The account URL without /api/3 (v1 lives under it)."""
        url = (self.settings.base_url or "").rstrip("/")
        return url[: -len("/api/3")] if url.endswith("/api/3") else url

    @property
    def base_url(self) -> str:
        return self.api_root + "/api/3"

    @property
    def account_timezone(self) -> str | None:
        return self.settings.account_timezone

    def auth_headers(self) -> dict[str, str]:
        return {"Api-Token": self.settings.api_key.get_secret_value()}

    def bucket_for(self, method: str, path: str, body: Any) -> tuple[str, ...]:
        if method.upper() == "POST" and path.split("?", 1)[0].rstrip("/").endswith("import/bulk_import"):
            return ("default", "import")
        return ("default",)

    # -- errors -------------------------------------------------------------------------------------
    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> Exception:
        text = error_text(body)
        msg = f"HTTP {status}: {text}"
        if status == 403 and "SubscriberSeries" in text:
            return VendorValidationError(msg + " (is the automation active? ActiveCampaign refuses to enrol contacts"
                                               " in an inactive automation)", provider=self.name, status=status)
        if status == 400 and isinstance(body, dict) and "rate limit" in str(body.get("message", "")).lower():
            # the bulk import's own budget (100 a minute) answers 400, without Retry-After
            wait = retry_after_seconds(headers) or self.vendor.limits.window("import")
            return RateLimited(msg, retry_after=wait, provider=self.name, status=status)
        return default_error(self.name, status, body, headers, text=text, errors=failure_reasons(body),
                             auth_hint="check the account's API token and base_url: Settings -> Developer")

    # -- reading ------------------------------------------------------------------------------------
    def _v3_pages(self, path: str, key: str, params: Mapping[str, Any] | None) -> Iterator[Page[Any]]:
        """The pages of a v3 collection, its items under `key`: limit/offset, 100 at a time (the default is
        20). `meta.total` may be missing, so a short page ends the walk too."""

        def fetch(offset: int) -> Any:
            return self.http.get(path, params={**(params or {}), "limit": PAGE, "offset": offset}) or {}

        return by_offset(fetch, under(key), total=_total, size=PAGE)

    def page_bodies(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every page of a v3 collection as the body the API answered (with its side-loaded objects)."""
        return (page.body for page in self._v3_pages(path, key, params))

    def pages(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a v3 collection."""
        return every_item(self._v3_pages(path, key, params))

    def contact_id(self, email: str) -> str | None:
        body = self.http.get("contacts", params={"email": email})
        for c in body.get("contacts") or []:
            if str(c.get("email", "")).lower() == email.lower():
                return str(c["id"])
        return None

    def known_contact(self, email: str, refs: References) -> str | None:
        """A contact's id: from hub's state when it holds one (bulk imports answer none), else looked up."""
        return refs.vendor_id("contact", email) or self.contact_id(email)

    def campaign_lists(self, campaign_ids: list[str]) -> dict[str, list[str]]:
        """The list ids of campaigns: v3 does not show them, v1 `campaign_list` does (20 a page)."""
        out: dict[str, list[str]] = {}
        for i in range(0, len(campaign_ids), V1_PAGE):
            chunk = campaign_ids[i:i + V1_PAGE]
            try:
                body = self.v1("campaign_list", {"ids": ",".join(chunk)}, read=True)
            except VendorValidationError:
                continue  # "nothing is returned": those campaigns are gone
            for row in m.v1_rows(body):
                if row.get("id") is not None:
                    out[str(row["id"])] = m.v1_list_ids(row.get("lists"))
        return out

    def v1_report(self, action: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row of a v1 report list (`campaign_report_open_list`, `campaign_report_link_list`), page by
        page. How the vendor pages these is unverified: `page` as `campaign_list` pages (20 rows). A short page
        ends the walk, as does a page with nothing new (an action that ignores `page` answers the same rows
        again) and "nothing is returned" (`result_code` 0, also the answer before anyone opened)."""
        rows: dict[str, dict[str, Any]] = {}
        for page in itertools.count(1):
            try:
                found = m.v1_rows(self.v1(action, {**params, "page": page}, read=True))
            except VendorValidationError:
                break
            new = {json.dumps(r, sort_keys=True, default=str): r for r in found}
            if not new.keys() - rows.keys():
                break
            rows.update(new)
            if len(found) < V1_PAGE:
                break
        return list(rows.values())

    # -- lists, messages and campaigns (sync and the runner's step emails) ---------------------------------
    def list_named(self, name: str) -> str | None:
        """The id of the list called exactly `name` (`filters[name]` also matches parts of names)."""
        for x in self.pages("lists", "lists", {"filters[name]": name}):
            if x.get("name") == name:
                return str(x["id"])
        return None

    def create_list(self, name: str, stringids: Sequence[str], sender: Mapping[str, str]) -> str:
        """`POST /lists`, with the first of `stringids` (unique per account) that is free."""
        last: VendorValidationError | None = None
        for stringid in stringids:
            try:
                body = self.http.post("lists", json={"list": {"name": name, "stringid": stringid, **sender}},
                                      idempotent=False)
            except VendorValidationError as exc:
                if "stringid" not in str(exc):
                    raise
                last = exc
                continue
            return str(body["list"]["id"])
        assert last is not None
        raise last

    def campaign_named(self, name: str) -> dict[str, Any] | None:
        """The campaign called exactly `name`. `filters[name]` is not among the documented filters of
        `GET /campaigns` (unverified): an account that ignores it is read whole, and the name compared here."""
        for c in self.pages("campaigns", "campaigns", {"filters[name]": name}):
            if c.get("name") == name:
                return c
        return None

    def message(self, content: Mapping[str, str], list_id: str, *, preheader: str = "", name: str = "",
                reuse: bool = True) -> str:
        """A message of `content` (`mapping.message_content`) for `list_id`: with `reuse`, one an earlier
        attempt left behind (its answer lost, or hub stopped before `campaign_create`) brought up to date,
        else a new one through v1 `message_add`; v3 sets what v1 cannot (preheader, name)."""
        found = self.orphan_message(content) if reuse else None
        extra = {"preheader_text": preheader, **({"name": name} if name else {})}
        if found is not None:
            self.http.put(f"messages/{found}", json={"message": {**content, **extra}})
            return found
        message_id = str(self.v1("message_add", m.message_add_fields(content, list_id))["id"])
        if preheader or name:
            self.http.put(f"messages/{message_id}", json={"message": extra})
        return message_id

    def orphan_message(self, content: Mapping[str, str]) -> str | None:
        """A message with this subject and sender that no campaign uses: what a `message_add` left behind when
        its answer was lost, or when hub stopped before `campaign_create`."""
        used = {str(c.get("basemessageid")) for c in self.pages("campaigns", "campaigns")}
        for msg in self.pages("messages", "messages"):
            if str(msg["id"]) not in used and all(msg.get(k) == content[k] for k in ("subject", "fromemail",
                                                                                    "fromname")):
                return str(msg["id"])
        return None

    def create_campaign(self, fields: Mapping[str, str]) -> str:
        """v1 `campaign_create` (`mapping.campaign_create_fields`); its id."""
        return str(self.v1("campaign_create", fields)["id"])

    def remove_tags(self, contact_id: str, tag_ids: set[str]) -> None:
        """Take tags off a contact: the association ids are the contact's `contactTags` (not the tag ids)."""
        body = self.http.get(f"contacts/{contact_id}/contactTags")
        for assoc in body.get("contactTags") or []:
            if str(assoc.get("tag")) in tag_ids:
                self.http.delete(f"contactTags/{assoc['id']}", missing_ok=True)

    # -- v1 ---------------------------------------------------------------------------------------------
    def v1(self, action: str, data: Mapping[str, Any], *, read: bool = False) -> dict[str, Any]:
        """One v1 action: a form-encoded POST, or a GET for `read` actions. `result_code: 0` is a validation
        error with the vendor's message."""
        key = self.settings.api_key.get_secret_value()
        params = {"api_action": action, "api_output": "json", "api_key": key}
        url = self.api_root + "/admin/api.php"
        try:
            if read:  # reads are GETs (parameters in the query string): no write reaches the vendor
                body = self.http.get(url, params={**params, **data})
            else:
                body = self.http.post(url, params=params, data=dict(data), idempotent=False)
        except ValueError as exc:  # a URL the wire refuses (its message would echo it, and the query holds the key)
            raise Unavailable(f"v1 {action} failed: {type(exc).__name__}", provider=self.name) from None
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                raise ProviderError(f"v1 {action} did not answer JSON", provider=self.name) from None
        if not isinstance(body, dict):
            raise ProviderError(f"v1 {action} answered {type(body).__name__}, not an object", provider=self.name)
        if str(body.get("result_code", "0")) != "1":
            message = str(body.get("result_message") or "no reason given")
            if "not authorized" in message.lower():
                raise AuthError(f"v1 {action}: {message} (check the account's API token)", provider=self.name)
            raise VendorValidationError(f"v1 {action}: {message}", provider=self.name)
        return body

    # -- bulk import ---------------------------------------------------------------------------------------
    def queue_import(self, contacts: list[dict[str, Any]]) -> tuple[str, list[str]]:
        """Queue one import (≤ 250 contacts): its batch id, and the emails the vendor's payload validation
        refused (the rest are imported again without them). Resending an import is harmless (contacts are
        matched by email), so the POST is retried like a read. Its outcome is read by `import_info`, at the
        start of the next apply: waiting here would spend the account's 5 requests a second on polling."""
        assert len(contacts) <= IMPORT_MAX
        refused: list[str] = []
        while contacts:
            try:
                answer = self.http.post("import/bulk_import", json={"contacts": contacts}, idempotent=True)
            except VendorValidationError as exc:
                bad = {int(k) for k in exc.errors if k.isdigit() and int(k) < len(contacts)}
                if not bad:
                    raise
                refused += [contacts[i]["email"] for i in sorted(bad)]
                contacts = [c for i, c in enumerate(contacts) if i not in bad]
                continue
            if not isinstance(answer, dict) or str(answer.get("success", "0")) != "1" or not answer.get("batchId"):
                raise ProviderError(f"the bulk import was not queued: {error_text(answer)}", provider=self.name)
            return str(answer["batchId"]), refused
        return "", refused

    def import_info(self, batch_id: str) -> dict[str, Any] | None:
        """`/import/info` of a queued import; None while it is still being processed."""
        try:
            info = self.http.get("import/info", params={"batchId": batch_id}) or {}
        except NotFound:
            return {"status": "completed", "success": [], "failure": [], "unknown": True}
        return info if str(info.get("status", "")).lower() == "completed" else None

    # -- what hub's automation runner asks (Capability.STEP_EMAILS) ---------------------------------------
    def send_step_email(self, email: StepEmail, refs: References) -> str:
        """A campaign named `email.name` to a list of the same name holding exactly the recipients, sent now
        through v1. Each piece is looked for by name before it is made, in the order they are made (list,
        members, message, campaign), so that a call after a lost answer or a crash finishes what is missing."""
        made = self.campaign_named(email.name)
        if made is not None:
            return str(made["id"])  # created with a send time of now: sent, or being sent; never a second one
        payload = m.step_email_payload(email.content, self.client)
        if not payload["from_email"]:
            raise VendorValidationError(f"step email '{email.name}' has no sender: give it `from:`, or the"
                                        " client's brand a sender_email", provider=self.name)
        list_id = self.list_named(email.name)
        resumed = list_id is not None  # only an earlier attempt that made the list can have made a message
        if list_id is None:
            list_id = self.create_list(email.name, m.stringids(email.name), m.list_sender(self.client))
        self._address(list_id, email.recipients, refs, resumed=resumed)
        with self.making_campaign:
            message_id = self.message(m.message_content(payload), list_id, preheader=payload["preheader"],
                                      name=email.name, reuse=resumed)
            sdate = m.v1_sdate(self.ctx.clock.utcnow(), self.account_timezone or self.client.timezone)
            return self.create_campaign(m.campaign_create_fields(email.name, list_id, message_id, sdate=sdate))

    def step_email_activity(self, campaign_id: str) -> EmailActivity:
        """v1 reports: `campaign_report_open_list` (who opened) and `campaign_report_link_list` (who clicked
        which link). A click counts as an open too: a reader who blocks images clicks without a tracked open."""
        campaign = self.http.get(f"campaigns/{campaign_id}").get("campaign") or {}
        ids = {"campaignid": campaign_id, "messageid": str(campaign.get("basemessageid") or "0")}
        clicked = m.clickers(self.v1_report("campaign_report_link_list", ids))
        opened = m.openers(self.v1_report("campaign_report_open_list", ids)) | clicked
        return EmailActivity(opened=opened, clicked=clicked)

    def tag_contacts(self, tag_id: str, emails: Sequence[str], refs: References, *, add: bool = True) -> None:
        """`POST /contactTags` to add, the association's `DELETE /contactTags/{id}` to remove. A contact
        ActiveCampaign does not know never had the tag; tagging one is an error, after the others are tagged."""
        vendor_tag = refs.require("tag", tag_id)
        unknown = []
        for email in emails:
            contact_id = self.known_contact(email, refs)
            if contact_id is None:
                unknown.append(email)
            elif add:
                self._add_tag(contact_id, vendor_tag)
            else:
                self.remove_tags(contact_id, {vendor_tag})
        if unknown and add:
            raise NotFound(f"not in ActiveCampaign yet, so not tagged: {', '.join(unknown)}", provider=self.name)

    def _add_tag(self, contact_id: str, tag_id: str) -> None:
        # tagging twice leaves one association (the simulator answers with the existing one; a 422 "duplicate"
        # is accepted too: the vendor's answer to a second tagging is unverified), so a lost answer is resent
        body = {"contactTag": {"contact": int(contact_id), "tag": int(tag_id)}}
        answer = self.http.request("POST", "contactTags", json=body, idempotent=True, ok=(422,))
        if answer.status == 422 and "duplicate" not in str(answer.body).lower():
            raise self.map_error(422, answer.body, answer.headers)

    def _address(self, list_id: str, recipients: Sequence[str], refs: References, *, resumed: bool) -> None:
        """Make the list's active members exactly `recipients`; a list an earlier attempt made is read first."""
        members = self._active_members(list_id) if resumed else {}
        wanted = set(recipients)
        for email, contact_id in members.items():
            if email not in wanted:  # not this batch's: it must not be sent this email
                self._subscribe(contact_id, list_id, "2")
        missing = [e for e in dict.fromkeys(recipients) if e not in members]
        if len(missing) <= DIRECT_MAX:
            for email in missing:
                self._subscribe(self._contact_for(email, refs), list_id, "1")
            return
        for i in range(0, len(missing), IMPORT_MAX):
            batch, _ = self.queue_import(m.list_import(missing[i:i + IMPORT_MAX], list_id))
            if batch:  # else every address was refused: said below
                self._await_import(batch)
        left = sorted(set(missing) - set(self._active_members(list_id)))
        if left:
            raise VendorValidationError(f"ActiveCampaign did not subscribe {', '.join(left)} to list {list_id}"
                                        " (is the address valid?); nothing was sent", provider=self.name)

    def _active_members(self, list_id: str) -> dict[str, str]:
        """{email (lower case): contact id} of the list's active members."""
        return {str(c.get("email") or "").lower(): str(c["id"])
                for c in self.pages("contacts", "contacts", {"listid": list_id, "status": "1"})}

    def _contact_for(self, email: str, refs: References) -> str:
        """The contact's id; one ActiveCampaign does not know yet is added with its address (`/contact/sync`),
        as the bulk import would."""
        found = self.known_contact(email, refs)
        if found:
            return found
        answer = self.http.post("contact/sync", json={"contact": {"email": email}}, idempotent=True)
        return str(answer["contact"]["id"])

    def _subscribe(self, contact_id: str, list_id: str, status: str) -> None:
        # setting a status twice leaves it as once: a lost answer is simply sent again
        body = {"contactList": {"list": int(list_id), "contact": int(contact_id), "status": int(status)}}
        self.http.post("contactLists", json=body, idempotent=True)

    def _await_import(self, batch: str) -> None:
        """Wait (on the clock) until ActiveCampaign has processed an import; Unavailable when it takes longer
        than IMPORT_WAIT, so that the runner tries again later (the import goes on meanwhile)."""
        waited = 0.0
        while self.import_info(batch) is None:
            if waited >= IMPORT_WAIT:
                raise Unavailable(f"import {batch} is still being processed after {IMPORT_WAIT:.0f} s",
                                  provider=self.name)
            self.ctx.clock.sleep(IMPORT_POLL)
            waited += IMPORT_POLL

    # -- members --------------------------------------------------------------------------------------------
    def read_members(self, client: Client, list_id: str, segment_id: str | None,
                     refs: References) -> list[Contact]:
        params: dict[str, Any] = {"listid": refs.require("list", list_id)}
        if segment_id:
            params["segmentid"] = refs.require("segment", segment_id)
        fields = self._field_values(client, refs)
        members: list[Contact] = []
        for status in ("1", "2", "0", "3"):
            for c in self.pages("contacts", "contacts", {**params, "status": status}):
                members.append(m.contact_from_vendor(c, status, fields.get(str(c["id"]), {})))
        return members

    # -- export (hub import, hub migrate) ------------------------------------------------------------------------
    def export_contacts(self, refs: References) -> Iterator[Contact]:
        """Every contact, 100 a page (v3's largest), with its standing on each list hub knows (one filtered
        walk per list and status: v3 has no listing of every contactList), its tags (one walk per tag) and
        custom field values (one walk per field). ActiveCampaign records no opt-in time or address that hub
        reads (unverified whether `contactList.ip4Sub`/`sdate` would serve), so no evidence is exported."""
        lists: dict[str, dict[str, str]] = {}
        for neutral, lid in sorted(refs.of_kind("list").items()):
            for status in m.LIST_STATUS_IN:
                for c in self.pages("contacts", "contacts", {"listid": lid, "status": status}):
                    lists.setdefault(str(c["id"]), {})[neutral] = status
        tags: dict[str, list[str]] = {}
        for neutral, tid in sorted(refs.of_kind("tag").items()):
            for c in self.pages("contacts", "contacts", {"tagid": tid}):
                tags.setdefault(str(c["id"]), []).append(neutral)
        fields = self._values_by_field(refs.of_kind("field"))
        for c in self.pages("contacts", "contacts"):
            cid = str(c["id"])
            if c.get("email"):
                yield m.exported_contact(c, lists.get(cid, {}), tags.get(cid, []), fields.get(cid, {}))

    def _values_by_field(self, field_ids: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """contact id -> {workspace field id: value}, one paged read per field (`field_ids`: id -> vendor id)."""
        out: dict[str, dict[str, Any]] = {}
        for neutral, fid in sorted(field_ids.items()):
            for v in self.pages("fieldValues", "fieldValues", {"filters[fieldid]": fid}):
                if str(v.get("field")) == str(fid) and v.get("value") not in (None, ""):
                    out.setdefault(str(v.get("contact")), {})[neutral] = v["value"]
        return out

    def _field_values(self, client: Client, refs: References) -> dict[str, dict[str, Any]]:
        """contact id -> {workspace field id: value}, one paged read per field hub manages."""
        out: dict[str, dict[str, Any]] = {}
        for f in client.audience.fields:
            fid = refs.vendor_id("field", f.id)
            if not fid:
                continue
            for v in self.pages("fieldValues", "fieldValues", {"filters[fieldid]": fid}):
                if str(v.get("field")) == fid and v.get("value") not in (None, ""):
                    out.setdefault(str(v.get("contact")), {})[f.id] = v["value"]
        return out


# -- helpers ---------------------------------------------------------------------------------------------

    # -- hub import -------------------------------------------------------------------------------------
    def import_account(self, refs: References) -> dict[str, Any]:
        """Lists, tags, fields, segments and automations (verified by name), unsent campaigns with their message,
        sent ones as history."""
        from . import importing as imp

        notes: list[str] = []
        neutral: dict[tuple[str, str], str] = {}
        out: dict[str, list[Any]] = {"lists": [], "tags": [], "fields": [], "segments": [], "campaigns": [],
                                     "automations": [], "history": []}
        taken: set[str] = set()
        for x in self.pages("lists", "lists"):
            lid = unique_id(str(x["name"]), taken, fallback="list", preferred=str(x.get("stringid") or ""))
            out["lists"].append({"id": lid, "name": x["name"]})
            refs.add("list", lid, str(x["id"]))
            neutral[("list", str(x["id"]))] = lid
        taken = set()
        for t in self.pages("tags", "tags"):
            if (t.get("tagType") or "contact") == "contact":
                tid = unique_id(str(t["tag"]), taken, fallback="tag")
                out["tags"].append({"id": tid, "name": t["tag"]})
                refs.add("tag", tid, str(t["id"]))
        for body in self.page_bodies("fields", "fields"):
            for f in body.get("fields") or []:
                item = imp.field(f, notes)
                if item is not None:
                    out["fields"].append(item)
                    refs.add("field", item["id"], str(f["id"]))
        keys = imp.variable_keys([f["id"] for f in out["fields"]])
        taken = set()
        for s in self.pages("segments", "segments"):
            if not out["lists"]:
                notes.append(f"segment '{s['name']}' left out: a hub segment's rule needs a list")
                continue
            sid = unique_id(str(s["name"]), taken, fallback="segment")
            refs.add("segment", sid, str(s["id"]))
            neutral[("segment", str(s["id"]))] = sid
            out["segments"].append({"data": {"id": sid, "name": s["name"], "rules": [{"list": out["lists"][0]["id"]}]},
                                    "comment": imp.UNREADABLE_SEGMENT})
        campaigns = [c for c in self.pages("campaigns", "campaigns") if str(c.get("seriesid") or "0") == "0"]
        unsent = [str(c["id"]) for c in campaigns if str(c.get("status", "0")) not in m.SENT_STATUSES]
        lists = self.campaign_lists(unsent)
        timezone = self.client.timezone
        taken = set()
        for c in campaigns:
            if str(c["id"]) not in unsent:
                out["history"].append(imp.history_line(c))
                continue
            message = None
            if str(c.get("basemessageid") or "0") != "0":
                try:
                    message = self.http.get(f"messages/{c['basemessageid']}").get("message")
                except NotFound:
                    message = None
            data, why = imp.campaign(c, message, lists.get(str(c["id"]), []), neutral, keys, timezone, taken)
            if data is None:
                notes.append(f"campaign '{c.get('name')}' left out: {why}")
            else:
                out["campaigns"].append({"data": data, "comment": why})
        taken = set()
        for a in self.pages("automations", "automations"):
            out["automations"].append({"data": imp.automation_stub(a, taken), "comment": imp.UNREADABLE_AUTOMATION})
        return {**out, "notes": notes}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _total(body: Any) -> int | None:
    """How many items a v3 collection holds (`meta.total`, a string), when the body says."""
    return _int((body.get("meta") or {}).get("total"))


def error_text(body: Any) -> str:
    """ActiveCampaign's error bodies in one line: JSON:API errors, plain messages, import failure reasons."""
    if isinstance(body, dict):
        parts: list[str] = []
        errors = body.get("errors")
        if isinstance(errors, list):
            for e in errors:
                if isinstance(e, dict):
                    text = str(e.get("title") or "error")
                    if e.get("detail"):
                        text += f": {e['detail']}"
                    pointer = (e.get("source") or {}).get("pointer") if isinstance(e.get("source"), dict) else None
                    if pointer:
                        text += f" ({str(pointer).rsplit('/', 1)[-1]})"
                    if e.get("code"):
                        text += f" [{e['code']}]"
                    parts.append(text)
                else:
                    parts.append(str(e))
        elif isinstance(errors, dict):
            parts += [f"{k}: {v}" for k, v in errors.items()]
        for key in ("message", "error", "result_message"):
            if isinstance(body.get(key), str) and body[key] and body[key] not in parts:
                parts.append(body[key])
        reasons = body.get("failureReasons")
        if isinstance(reasons, list) and reasons:
            parts.append("; ".join(_reason(r) for r in reasons[:20]) + (" ..." if len(reasons) > 20 else ""))
        if parts:
            return "; ".join(parts)
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return "no details given"


def _reason(r: Any) -> str:
    if isinstance(r, dict):
        return f"contact #{r.get('contact')}: {r.get('failureReason')}"
    return str(r)


def failure_reasons(body: Any) -> dict[str, list[str]]:
    """A refused import's reasons by contact index ({"3": ["Field 'email' incorrect format"]})."""
    out: dict[str, list[str]] = {}
    if isinstance(body, dict) and isinstance(body.get("failureReasons"), list):
        for r in body["failureReasons"]:
            if isinstance(r, dict) and r.get("contact") is not None:
                out.setdefault(str(r["contact"]), []).append(str(r.get("failureReason")))
    return out
