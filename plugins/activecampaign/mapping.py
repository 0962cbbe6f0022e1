"""Pure translation between hub's neutral model and ActiveCampaign's API shapes (no I/O here).

Facts used (../shared/vendors/mailerlite-activecampaign.md, part B, and the v3 OpenAPI document):
merge tags are `%UPPERCASE%` (`%FIRSTNAME%`, `%UNSUBSCRIBELINK%`, `%WEBCOPY%`, custom fields by their
perstag) with no inline fallback; list memberships have statuses 0 unconfirmed, 1 active,
2 unsubscribed, 3 bounced; bulk imports take `subscribe`/`unsubscribe: [{listid}]` and never re-subscribe
someone who unsubscribed; campaigns have statuses 0 draft, 1 scheduled, 2 sending, 3 paused, 4 stopped,
5 completed, and v1 reads `sdate` (`YYYY-MM-DD HH:MM:SS`) in the account's timezone.

Payloads keep neutral references ("list:newsletter", field ids) so that fingerprints do not depend on
vendor ids; the resources resolve them at apply time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.plugin import (
    Automation,
    Campaign,
    Client,
    ConsentStatus,
    Contact,
    EmailContent,
    KeyedMergeTags,
    MergeTagTranslator,
    SegmentDef,
    Step,
    email_html,
    email_step_reference,
    email_text,
    fingerprint,
    slugify,
    sms_step_line,
)

# neutral variable -> ActiveCampaign personalisation tag (B.12; %WEBCOPY% is "Web Copy" in the v3
# document's personalisation tag list)
BUILTIN_TAGS = {  # written %KEY%
    "first_name": "FIRSTNAME",
    "last_name": "LASTNAME",
    "email": "EMAIL",
    "phone": "PHONE",
    "unsubscribe_url": "UNSUBSCRIBELINK",
    "web_url": "WEBCOPY",
}
# Tags ActiveCampaign defines itself: a custom field whose perstag is one of these would be shadowed.
RESERVED_PERSTAGS = frozenset({
    "FIRSTNAME", "LASTNAME", "FULLNAME", "EMAIL", "PHONE", "LISTNAME", "TODAY", "UNSUBSCRIBELINK",
    "UPDATELINK", "FORWARD2FRIEND", "WEBCOPY", "CONFIRMLINK", "LINK", "SUBDATE", "SUBTIME", "SUBSCRIBERID",
    "SUBSCRIBERIP", "SOCIALSHARE", "CONTACT_JOBTITLE", "SENDER_INFO", "ORGNAME", "ORGANIZATION",
})
RESERVED_PREFIXES = ("ACCT_", "DEAL_", "ECOMMERCE_", "GEO_", "SOCIALSHARE_")

FIELD_TYPES = {"text": "text", "number": "number", "date": "date"}

# contactList statuses (B.6) <-> neutral email consent
LIST_STATUS_IN = {"0": ConsentStatus.PENDING, "1": ConsentStatus.SUBSCRIBED, "2": ConsentStatus.UNSUBSCRIBED,
                  "3": ConsentStatus.BOUNCED}
SENT_STATUSES = ("2", "3", "4", "5")  # sending, paused, stopped, completed: the campaign has gone out
V1_DATE = "%Y-%m-%d %H:%M:%S"
UTC_STAMP = "%Y-%m-%dT%H:%M:%SZ"

BOUNCED_NOTE = ("ActiveCampaign's API cannot mark a contact bounced: hub unsubscribes them from their lists"
                " instead, so that nothing is sent to them")
COMPLAINED_NOTE = ("ActiveCampaign's API has no complaint status: hub unsubscribes them from their lists"
                   " instead")
PENDING_NOTE = ("ActiveCampaign's API cannot add an unconfirmed subscriber: hub creates the contact without"
                " subscribing it to its lists (a confirmation form adds it)")
LEFT_ALONE_NOTE = "unsubscribed at ActiveCampaign; left alone"


def left_alone(standings: list[str]) -> str:
    """The note for a contact hub did not subscribe to lists it opted out of at ActiveCampaign."""
    return LEFT_ALONE_NOTE if "unsubscribed" in standings else "bounced at ActiveCampaign; left alone"


def perstag(field_id: str) -> str:
    """The personalisation tag hub gives a custom field: its neutral id in capitals (`loaf` -> `LOAF`)."""
    return field_id.upper()


def perstag_problem(field_id: str) -> str | None:
    tag = perstag(field_id)
    if tag in RESERVED_PERSTAGS or tag.startswith(RESERVED_PREFIXES):
        return (f"field id '{field_id}' would become ActiveCampaign's personalisation tag %{tag}%, which"
                " ActiveCampaign already defines; rename the field (e.g. 'contact_" + field_id + "')")
    return None


class ActiveCampaignTags(KeyedMergeTags):
    """`{{ first_name }}` -> `%FIRSTNAME%`, `{{ fields.loaf }}` -> `%LOAF%`. ActiveCampaign has no inline
    fallback, so a variable with `| default(...)` has no translation (hub reports it instead of letting
    someone receive a blank)."""

    contact_keys = BUILTIN_TAGS

    def __init__(self, field_ids: Iterable[str]) -> None:
        super().__init__({fid: perstag(fid) for fid in field_ids})

    def wrap(self, key: str, default: str | None) -> str | None:
        return None if default is not None else f"%{key}%"


# -- contacts -----------------------------------------------------------------------------------------


def field_text(value: Any) -> str:
    """A custom field value as ActiveCampaign stores it (dates `YYYY-MM-DD`, whole numbers without .0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def contact_payload(contact: Contact, tag_names: dict[str, str]) -> tuple[dict[str, Any], str]:
    """(import payload with neutral references, the reason when consent is approximated)."""
    payload: dict[str, Any] = {"email": contact.email_key}
    for key in ("first_name", "last_name", "phone"):
        value = getattr(contact, key)
        if value:
            payload[key] = value
    payload["tags"] = sorted(tag_names.get(t, t) for t in contact.tags)
    payload["fields"] = {k: field_text(v) for k, v in sorted(contact.fields.items())}
    lists = sorted(contact.lists)
    consent = contact.consent.email
    reason = ""
    subscribed = consent is ConsentStatus.SUBSCRIBED
    left = not subscribed and consent is not ConsentStatus.PENDING
    payload["subscribe"], payload["unsubscribe"] = (lists if subscribed else []), (lists if left else [])
    if consent is ConsentStatus.PENDING:
        reason = PENDING_NOTE if lists else ""
    elif left:
        if consent is ConsentStatus.BOUNCED:
            reason = BOUNCED_NOTE
        elif consent is ConsentStatus.COMPLAINED:
            reason = COMPLAINED_NOTE
    return payload, reason


def import_item(payload: dict[str, Any], field_ids: dict[str, str], subscribe: list[str],
                unsubscribe: list[str]) -> dict[str, Any]:
    """One contact of `POST /import/bulk_import` (vendor ids already resolved)."""
    item: dict[str, Any] = {"email": payload["email"]}
    for key in ("first_name", "last_name", "phone"):
        if payload.get(key):
            item[key] = payload[key]
    if payload["tags"]:
        item["tags"] = list(payload["tags"])
    fields = [{"id": int(field_ids[k]), "value": v} for k, v in payload["fields"].items() if k in field_ids]
    if fields:
        item["fields"] = fields
    if subscribe:
        item["subscribe"] = [{"listid": str(x)} for x in subscribe]
    if unsubscribe:
        item["unsubscribe"] = [{"listid": str(x)} for x in unsubscribe]
    return item


def contact_from_vendor(raw: dict[str, Any], status: str, fields: dict[str, Any]) -> Contact:
    """A contact as ActiveCampaign holds it, with the email consent of its status on one list."""
    consent = LIST_STATUS_IN.get(str(status), ConsentStatus.PENDING)
    if str(raw.get("bounced_hard") or "0") not in ("0", ""):
        consent = ConsentStatus.BOUNCED
    return Contact.model_validate({
        "email": raw.get("email") or None, "phone": raw.get("phone") or None,
        "first_name": raw.get("firstName") or "", "last_name": raw.get("lastName") or "",
        "fields": fields, "consent": {"email": consent},
    })


def exported_contact(raw: Mapping[str, Any], lists: Mapping[str, str], tags: Iterable[str],
                     fields: Mapping[str, Any]) -> Contact:
    """A contact as `export_contacts` gives it. ActiveCampaign keeps consent per list (`lists`: workspace list id
    -> contactList status); as one email consent: bounced when the address hard-bounced or bounced on a list
    (about the address, not a list); else subscribed when active on a list (its lists: those it is active on:
    leaving one list is not leaving every list); else unsubscribed, then unconfirmed (pending). A contact on no
    list is subscribed: ActiveCampaign records no opt-out for it. Never more sendable than a list says."""
    statuses = set(lists.values())
    if str(raw.get("bounced_hard") or "0") not in ("0", "") or "3" in statuses:
        consent, kept = ConsentStatus.BOUNCED, sorted(lists)
    elif "1" in statuses or not statuses:
        consent, kept = ConsentStatus.SUBSCRIBED, sorted(x for x, st in lists.items() if st == "1")
    elif "2" in statuses:
        consent, kept = ConsentStatus.UNSUBSCRIBED, sorted(lists)
    else:
        consent, kept = ConsentStatus.PENDING, sorted(lists)
    return Contact.model_validate({
        "email": raw.get("email") or None, "phone": raw.get("phone") or None,
        "first_name": raw.get("firstName") or "", "last_name": raw.get("lastName") or "",
        "fields": dict(fields), "lists": kept, "tags": sorted(set(tags)), "consent": {"email": consent},
    })


# -- campaigns ----------------------------------------------------------------------------------------


def email_payload(email: EmailContent, tags: MergeTagTranslator, brand: Mapping[str, str] | None = None,
                  ) -> dict[str, str]:
    """An email's subject, preheader, sender and bodies in ActiveCampaign's merge tags. `brand` (the client's
    brand-kit values) stands in for a sender the email does not name (one built in code, not loaded from YAML,
    where the loader has filled it in already)."""
    brand = brand or {}
    sender = email.from_
    from_email = sender.email if sender else brand.get("sender_email", "")
    return {
        "subject": tags.translate(email.subject)[0],
        "preheader": tags.translate(email.preheader)[0],
        "from_name": sender.name if sender else brand.get("sender_name", ""),
        "from_email": from_email,
        "reply_to": email.reply_to or brand.get("reply_to") or from_email,
        "html": tags.translate(email_html(email))[0],
        "text": tags.translate(email_text(email))[0],
    }


def campaign_payload(campaign: Campaign, client_tz: str, tags: MergeTagTranslator) -> dict[str, Any]:
    email = campaign.email
    assert email is not None
    at = campaign.schedule.at_utc(client_tz)
    schedule: dict[str, Any] = {"mode": campaign.schedule.mode}
    if at is not None:
        schedule["at"] = at.strftime(UTC_STAMP)
    return {
        "name": campaign.name,
        **email_payload(email, tags),
        "list": f"list:{campaign.to.list}",
        "segment": f"segment:{campaign.to.segment}" if campaign.to.segment else "",
        "schedule": schedule,
    }


def step_email_payload(email: EmailContent, client: Client) -> dict[str, str]:
    """An automation step's email as the runner sends it: the client's merge tags, its brand kit's sender."""
    return email_payload(email, merge_tags(client), client.config.brand.values())


def message_content(payload: Mapping[str, str]) -> dict[str, str]:
    """The v1 `message_add` fields of an `email_payload` (also what a v3 message shows of it)."""
    return {"subject": payload["subject"], "fromemail": payload["from_email"], "fromname": payload["from_name"],
            "reply2": payload["reply_to"], "html": payload["html"], "text": payload["text"]}


def message_add_fields(content: Mapping[str, str], list_id: str) -> dict[str, str]:
    """v1 `message_add`: `content` (`message_content`) as an HTML+text message for one list."""
    return {**content, "format": "mime", "priority": "3", "charset": "utf-8", "encoding": "quoted-printable",
            "htmlconstructor": "editor", "textconstructor": "editor", f"p[{list_id}]": list_id}


def campaign_create_fields(name: str, list_id: str, message_id: str, *, sdate: str | None = None,
                           segment_id: str | None = None) -> dict[str, str]:
    """v1 `campaign_create` of a single campaign: a draft, or with `sdate` (account time) scheduled — sent at
    once when that time has come."""
    data = {
        "type": "single", "name": name, "status": "1" if sdate else "0", "public": "1", "tracklinks": "all",
        "trackreads": "1", "trackreplies": "0",
        "htmlunsub": "1", "textunsub": "1",  # ActiveCampaign appends an unsubscribe link: always one there
        f"p[{list_id}]": list_id, f"m[{message_id}]": "100",
    }
    if sdate:
        data["sdate"] = sdate
    if segment_id:
        data["segmentid"] = segment_id
    return data


def list_sender(client: Client) -> dict[str, str]:
    """What `POST /lists` requires beyond the name: the sender's website and the reminder of why people get
    the client's email."""
    return {"sender_url": client.config.brand.website or "https://www.activecampaign.com",
            "sender_reminder": f"You signed up for {client.config.name or client.name} updates."}


def stringids(name: str, ident: str | None = None) -> list[str]:
    """`stringid`s to try for a list, unique per account ("Wholesale buyers" -> "wholesale-buyers"): the
    neutral id, else with the name, else numbered; without an id, the name, else numbered."""
    slug = slugify(name, "list")
    if ident is None:
        return [slug, *(f"{slug}-{n}" for n in range(2, 6))]
    first = slugify(ident, "list")
    return list(dict.fromkeys([first, f"{first}-{slug}", *(f"{first}-{slug}-{n}" for n in range(2, 5))]))


def content_digest(html: str, text: str) -> str:
    return fingerprint({"html": html or "", "text": text or ""})


def comparable_campaign(payload: dict[str, Any]) -> dict[str, Any]:
    """The desired campaign in the form `campaign_projection` reads back (bodies as one digest)."""
    out = {k: v for k, v in payload.items() if k not in ("html", "text")}
    out["content"] = content_digest(payload["html"], payload["text"])
    return out


def utc_stamp(iso: str | None) -> str | None:
    """An ActiveCampaign date (ISO-8601 with the account's offset) as a UTC stamp."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(UTC_STAMP)


def v1_sdate(utc: str | datetime, account_tz: str) -> str:
    """A UTC time as v1 `campaign_create` wants it: `YYYY-MM-DD HH:MM:SS` in the account's timezone."""
    moment = utc if isinstance(utc, datetime) else datetime.strptime(utc, UTC_STAMP).replace(tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(account_tz)).strftime(V1_DATE)


def campaign_projection(raw: dict[str, Any], message: dict[str, Any] | None, lists: list[str],
                        neutral: Any) -> dict[str, Any]:
    """A v3 campaign (with its message and lists, when read) in the comparable form of the payload."""
    status = str(raw.get("status", "0"))
    if status in SENT_STATUSES:
        return {"name": raw.get("name"), "schedule": {"mode": "sent"}}
    if status == "1":
        schedule: dict[str, Any] = {"mode": "at", "at": utc_stamp(raw.get("sdate") or raw.get("scheduleddate"))}
    else:
        schedule = {"mode": "draft"}
    segid = str(raw.get("segmentid") or "0")
    out: dict[str, Any] = {
        "name": raw.get("name"),
        "schedule": schedule,
        "segment": "" if segid == "0" else neutral("segment", segid),
    }
    if lists:
        out["list"] = neutral("list", lists[0]) if len(lists) == 1 else sorted(neutral("list", x) for x in lists)
    if message is not None:
        out.update({
            "subject": message.get("subject") or "",
            "preheader": message.get("preheader_text") or "",
            "from_name": message.get("fromname") or "",
            "from_email": message.get("fromemail") or "",
            "reply_to": message.get("reply2") or "",
            "content": content_digest(message.get("html") or "", message.get("text") or ""),
        })
    return out


def v1_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a v1 list answer: objects under the keys "0", "1", ... beside `result_code`."""
    return [row for key, row in sorted(((k, v) for k, v in body.items() if k.isdigit()), key=lambda kv: int(kv[0]))
            if isinstance(row, dict)]


def openers(rows: Iterable[dict[str, Any]]) -> frozenset[str]:
    """Addresses of a v1 `campaign_report_open_list` (rows: subscriberid, email, tstamp, times)."""
    return frozenset(str(r.get("email") or "").strip().lower() for r in rows if r.get("email"))


def clickers(rows: Iterable[dict[str, Any]]) -> frozenset[str]:
    """Addresses in a v1 `campaign_report_link_list` (rows: a link with `info`, who clicked it, a list or, as
    PHP may encode an array, an object with numbered keys). The read tracker, should it be listed as a link
    ("open"), is an open, not a click."""
    out = set()
    for r in rows:
        info = r.get("info") or []
        for i in info.values() if isinstance(info, dict) else info:
            if str(r.get("link")) != "open" and isinstance(i, dict) and i.get("email"):
                out.add(str(i["email"]).strip().lower())
    return frozenset(out)


def list_import(emails: Iterable[str], list_id: str) -> list[dict[str, Any]]:
    """Bulk-import entries that subscribe known addresses to one list and change nothing else of theirs."""
    return [{"email": e, "subscribe": [{"listid": str(list_id)}]} for e in emails]


def v1_list_ids(value: Any) -> list[str]:
    """List ids of a v1 `campaign_list` row: "1,2", ["1", "2"] or [{"listid": "1"}, ...]."""
    if isinstance(value, str):
        return [x.strip() for x in value.split(",") if x.strip()]
    if isinstance(value, list):
        out = []
        for x in value:
            if isinstance(x, dict):
                x = x.get("listid") or x.get("id")
            if x not in (None, ""):
                out.append(str(x))
        return out
    return []


# -- build sheets -----------------------------------------------------------------------------------------


def segment_build_sheet(segment: SegmentDef, names: dict[str, str]) -> str:
    join = " AND " if segment.match == "all" else " OR "
    rules = join.join(_named(r.describe(), names) for r in segment.rules)
    return (f"In ActiveCampaign: Contacts -> Segments (or the segment builder of a campaign's audience) ->"
            f" new segment, name it exactly '{segment.name}', with conditions: {rules}. hub verifies it by"
            " name on the next plan.")


def _named(text: str, names: dict[str, str]) -> str:
    for neutral, name in names.items():
        text = text.replace(f"'{neutral}'", f"'{name}'")
    return text


def automation_trigger(automation: Automation, names: dict[str, str], fields: dict[str, str]) -> str | None:
    """The start trigger to pick in ActiveCampaign's builder, or None when it has none for this kind."""
    trig = automation.trigger
    if trig.kind == "joined_list":
        return f"'Subscribes to a list' -> list '{names.get(trig.value, trig.value)}'"
    if trig.kind == "tag_added":
        return f"'Tag is added' -> tag '{names.get(trig.value, trig.value)}'"
    if trig.kind == "anniversary":
        return (f"'Date based' -> field '{fields.get(trig.value, trig.value)}' (%{perstag(trig.value)}%),"
                " every year on the day")
    if trig.kind == "event":
        return f"'Event tracking' -> event '{trig.value}'"
    return None


def automation_build_sheet(automation: Automation, names: dict[str, str], fields: dict[str, str],
                           tags: MergeTagTranslator, client: str | None = None) -> str:
    """The steps to build `automation` in ActiveCampaign's builder. Email n's HTML is `details["emails"][n - 1]`,
    which `hub sheets CLIENT` writes as a file (the sheet names the command with `client`, when given)."""
    trigger = automation_trigger(automation, names, fields) or automation.trigger.kind
    lines = [f"In ActiveCampaign: Automations -> Create an automation -> Start from scratch, name it exactly"
             f" '{automation.name}'.", f"1. Start trigger: {trigger}."]
    n, emails = 2, 0
    for step in automation.steps:
        text, counts = _step_line(step, names, tags, emails, client)
        emails += counts
        lines.append(f"{n}. {text}")
        n += 1
    lines.append("Then set it Active; hub verifies it by name on the next plan and enrols the contacts it lists.")
    return "\n".join(lines)


def _step_line(step: Step, names: dict[str, str], tags: MergeTagTranslator, emails: int,
               client: str | None = None) -> tuple[str, int]:
    """One step's line, and how many emails it adds; `emails` is how many came before it."""
    if step.send_email:
        subject = tags.translate(step.send_email.subject)[0]
        return (f"Send an email: subject '{subject}'; HTML content: {email_step_reference(emails + 1, client)}.",
                1)
    if step.wait:
        return f"Wait: {step.wait.describe()}.", 0
    if step.condition:
        return (f"If/Else: contact {_named(step.condition.describe(), names)}; yes -> '{step.yes or 'next'}',"
                f" no -> '{step.no or 'next'}'.", 0)
    if step.send_sms:
        return sms_step_line("ActiveCampaign"), 0
    if step.add_tag:
        return f"Add a tag: '{names.get(step.add_tag, step.add_tag)}'.", 0
    if step.remove_tag:
        return f"Remove a tag: '{names.get(step.remove_tag, step.remove_tag)}'.", 0
    if step.move_to_list:
        return f"Subscribe to list '{names.get(step.move_to_list, step.move_to_list)}'.", 0
    if step.webhook:
        return f"Webhook: {step.webhook.method} {step.webhook.url}.", 0
    if step.exit:
        return "End this automation.", 0
    return f"{step.action} (build by hand).", 0


def merge_tags(client: Client) -> ActiveCampaignTags:
    return ActiveCampaignTags(client.audience.field_ids())
