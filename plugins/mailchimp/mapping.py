"""Pure translation between hub's neutral model and Mailchimp's API shapes (no I/O here).

Facts used (../shared/vendors/mailchimp-twilio.md §2): one audience per client, lists and tags become
Mailchimp tags (static segments), custom fields become merge fields (uppercase tags, at most 10
characters), segments become saved segments with conditions, merge tags are `*|TAG|*`, members are
addressed by the md5 of the lowercased email, schedules are UTC on a quarter hour.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.plugin import (
    Automation,
    Campaign,
    Client,
    ConsentStatus,
    Contact,
    EmailActivity,
    EmailContent,
    KeyedMergeTags,
    MergeTagTranslator,
    SegmentDef,
    SegmentRule,
    StepEmail,
    email_html,
    email_step_reference,
    email_text,
    is_url,
    sms_step_line,
)

MERGE_TAG_MAX = 10
BUILT_IN_TAGS = {"first_name": "FNAME", "last_name": "LNAME", "phone": "PHONE", "email": "EMAIL"}
LINK_TAGS = {"unsubscribe_url": "*|UNSUB|*", "web_url": "*|ARCHIVE|*"}

# hub consent -> Mailchimp member status (Mailchimp calls a hard bounce "cleaned")
STATUS_OUT = {ConsentStatus.SUBSCRIBED: "subscribed", ConsentStatus.UNSUBSCRIBED: "unsubscribed",
              ConsentStatus.BOUNCED: "cleaned", ConsentStatus.COMPLAINED: "unsubscribed",
              ConsentStatus.PENDING: "pending"}
STATUS_IN = {"subscribed": ConsentStatus.SUBSCRIBED, "unsubscribed": ConsentStatus.UNSUBSCRIBED,
             "cleaned": ConsentStatus.BOUNCED, "pending": ConsentStatus.PENDING,
             "transactional": ConsentStatus.PENDING, "archived": ConsentStatus.UNSUBSCRIBED}


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()


# Merge fields every new Mailchimp audience has, of types hub's fields cannot be (and a merge field's type cannot
# change): a workspace field with their tag would be adopted as them and differ forever
DEFAULT_FIELDS = {
    "BIRTHDAY": "the audience's own Birthday field (month and day only, Mailchimp type 'birthday'), whose type"
                " cannot change; choose another id (e.g. 'born')",
    "ADDRESS": "the audience's own Address field (Mailchimp type 'address'), whose type cannot change",
}


def merge_tag_for(field_id: str) -> str:
    """A field id as a Mailchimp merge tag: uppercase letters, digits and '_' (length checked at validate)."""
    return re.sub(r"[^A-Z0-9_]", "_", field_id.upper())


def merge_tags_of(client: Client) -> dict[str, str]:
    return {f.id: merge_tag_for(f.id) for f in client.audience.fields}


class MailchimpTags(KeyedMergeTags):
    contact_keys = BUILT_IN_TAGS
    links = LINK_TAGS

    def wrap(self, key: str, default: str | None) -> str:
        if default is not None:  # Mailchimp has no inline default: a conditional does the same
            return f"*|IF:{key}|**|{key}|**|ELSE:|*{default}*|END:IF|*"
        return f"*|{key}|*"


def contact_member(contact: Contact, field_tags: dict[str, str]) -> dict[str, Any]:
    """The comparable payload for one member; `tags` holds neutral refs ("list:x", "tag:y")."""
    merge = contact.vendor_fields(BUILT_IN_TAGS, field_tags, str.upper)
    refs = sorted([_ref("list", x) for x in contact.lists] + [_ref("tag", t) for t in contact.tags])
    payload = {"email_address": contact.email_key, "merge_fields": merge, "tags": refs,
               "status": STATUS_OUT[contact.consent.email]}
    payload.update(opt_in_evidence(contact))
    return payload


@functools.cache  # one string for all the contacts with a list or tag, not one each
def _ref(kind: str, neutral_id: str) -> str:
    return f"{kind}:{neutral_id}"


EVIDENCE_KEYS = ("timestamp_opt", "ip_opt")
MC_TIME = "%Y-%m-%dT%H:%M:%S+00:00"  # how Mailchimp writes a member's timestamps (ISO 8601 in UTC)


def opt_in_evidence(contact: Contact) -> dict[str, str]:
    """A member's opt-in evidence as Mailchimp stores it (`timestamp_opt`, `ip_opt`), when known: carried from
    another vendor by `hub migrate`, or written in the workspace. Only present keys, so that contacts without
    evidence keep the payload (and fingerprint) they always had."""
    out: dict[str, str] = {}
    if contact.consent.opted_in_at is not None:
        at = contact.consent.opted_in_at
        out["timestamp_opt"] = (at.astimezone(UTC) if at.tzinfo else at).strftime(MC_TIME)
    if contact.consent.opt_in_ip:
        out["ip_opt"] = contact.consent.opt_in_ip
    return out


# How sendable each status is, least first (see `combined`)
_STANDING = (ConsentStatus.BOUNCED, ConsentStatus.COMPLAINED, ConsentStatus.UNSUBSCRIBED, ConsentStatus.PENDING,
             ConsentStatus.SUBSCRIBED)


def exported_member(member: Mapping[str, Any], field_ids: Mapping[str, str], refs: Iterable[str]) -> Contact:
    """A member as `export_contacts` gives it: its status as Mailchimp holds it ("cleaned" is bounced; never
    made subscribed), its opt-in evidence, merge fields under the workspace's field ids (`field_ids`: merge tag
    -> id) and `refs` ("list:x", "tag:y") as its lists and tags."""
    merge = member.get("merge_fields") or {}
    consent: dict[str, Any] = {"email": STATUS_IN.get(str(member.get("status", "")), ConsentStatus.PENDING)}
    if member.get("timestamp_opt"):
        consent["opted_in_at"] = _mc_time(str(member["timestamp_opt"]))
    if member.get("ip_opt"):
        consent["opt_in_ip"] = str(member["ip_opt"])
    refs = sorted(set(refs))
    return Contact.model_validate({
        "email": member.get("email_address"), "phone": merge.get("PHONE") or None,
        "first_name": merge.get("FNAME") or "", "last_name": merge.get("LNAME") or "",
        "fields": {field_ids[k]: v for k, v in sorted(merge.items()) if k in field_ids and v not in (None, "")},
        "lists": [r.split(":", 1)[1] for r in refs if r.startswith("list:")],
        "tags": [r.split(":", 1)[1] for r in refs if r.startswith("tag:")],
        "consent": consent,
    })


def combined(contacts: Sequence[Contact]) -> Contact:
    """One contact found in several audiences (lists as audiences): subscribed where any audience has it
    subscribed (its lists: those audiences' alone), since leaving one list is not leaving every list; else, or
    when an address bounced or complained anywhere (about the address, not a list), its least sendable status."""
    subscribed = [c for c in contacts if c.consent.email is ConsentStatus.SUBSCRIBED]
    if subscribed and not any(c.consent.email in (ConsentStatus.BOUNCED, ConsentStatus.COMPLAINED) for c in contacts):
        base, lists = subscribed[0], sorted({x for c in subscribed for x in c.lists})
    else:
        base = min(contacts, key=lambda c: _STANDING.index(c.consent.email))
        lists = sorted({x for c in contacts for x in c.lists})
    fields = {k: v for c in contacts for k, v in c.fields.items()}
    tags = sorted({t for c in contacts for t in c.tags})
    return base.model_copy(update={"lists": lists, "fields": fields, "tags": tags})


def _mc_time(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def contact_from_member(member: dict[str, Any], field_ids: dict[str, str]) -> Contact:
    """A Mailchimp member as a neutral contact (merge fields back under the workspace's field ids)."""
    merge = member.get("merge_fields") or {}
    custom = {field_ids[k]: v for k, v in merge.items() if k in field_ids and v not in (None, "")}
    return Contact.model_validate({
        "email": member.get("email_address"), "phone": merge.get("PHONE") or None,
        "first_name": merge.get("FNAME") or "", "last_name": merge.get("LNAME") or "", "fields": custom,
        "consent": {"email": STATUS_IN.get(member.get("status", ""), ConsentStatus.PENDING)},
    })


def member_write(payload: dict[str, Any], names: dict[str, str], *, new: bool) -> dict[str, Any]:
    """The body for batch subscribe (new) or PUT members/{hash} (known): a subscribed contact is only ever
    subscribed when new (`status_if_new`), so hub never re-subscribes someone who unsubscribed at Mailchimp."""
    body: dict[str, Any] = {"email_address": payload["email_address"], "merge_fields": payload["merge_fields"]}
    body.update({k: payload[k] for k in EVIDENCE_KEYS if k in payload})  # opt-in evidence (hub migrate)
    status = payload["status"]
    if new:
        body["status"] = status
        body["tags"] = [names[r] for r in payload["tags"] if r in names]
    else:
        body["status_if_new"] = status
        if status != "subscribed":
            body["status"] = status  # an unsubscribe or bounce written in the workspace is applied
    return body


# -- segments ------------------------------------------------------------------------------------------

OPS = {"equals": "is", "not_equals": "not", "contains": "contains", "greater_than": "greater",
       "less_than": "less", "is_set": "blank_not", "is_not_set": "blank", "before": "less", "after": "greater"}
ENGAGEMENT = {"opened": "open", "clicked": "click", "not_opened": "noopen", "not_clicked": "noclick"}


def segment_conditions(segment: SegmentDef, client: Client) -> dict[str, Any]:
    """Saved-segment options; list and tag rules refer to tags by neutral ref until apply resolves them."""
    types = {f.id: f.type.value for f in client.audience.fields}
    return {"match": segment.match, "conditions": [_condition(r, types) for r in segment.rules]}


def _condition(rule: SegmentRule, types: dict[str, str]) -> dict[str, Any]:
    if rule.list or rule.not_list or rule.tag or rule.not_tag:
        listed = rule.list or rule.not_list
        ref = f"list:{listed}" if listed else f"tag:{rule.tag or rule.not_tag}"
        op = "static_is" if (rule.list or rule.tag) else "static_not"
        return {"condition_type": "StaticSegment", "field": "static_segment", "op": op, "value": ref}
    if rule.field:
        kind = {"number": "NumberMerge", "date": "DateMerge"}.get(types.get(rule.field, "text"), "TextMerge")
        cond = {"condition_type": kind, "field": merge_tag_for(rule.field), "op": OPS[rule.op or "equals"]}
        if rule.value is not None:
            cond["value"] = str(rule.value)
        return cond
    return {"condition_type": "Aim", "field": "aim", "op": ENGAGEMENT[rule.engagement or "opened"], "value": "any"}


def audience_of(options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """With lists as audiences: the segment's list rule names its audience and is implied there."""
    conditions = options["conditions"]
    for i, cond in enumerate(conditions):
        is_list = cond["condition_type"] == "StaticSegment" and str(cond["value"]).startswith("list:")
        if is_list and cond["op"] == "static_is":
            return cond["value"], {**options, "conditions": conditions[:i] + conditions[i + 1:]}
    return "", options  # validation refuses such a segment in this mode


def resolve_conditions(options: dict[str, Any], tag_id: Any) -> dict[str, Any]:
    """Replace neutral refs in StaticSegment conditions by Mailchimp segment ids (ints)."""
    out = []
    for cond in options["conditions"]:
        if cond["condition_type"] == "StaticSegment":
            cond = {**cond, "value": tag_id(cond["value"])}
        out.append(cond)
    return {**options, "conditions": out}


# -- campaigns -----------------------------------------------------------------------------------------


SETTINGS = ("title", "subject_line", "preview_text", "from_name", "reply_to")  # campaign settings hub writes


def email_fields(email: EmailContent, tags: MergeTagTranslator,
                 brand: Mapping[str, str] | None = None) -> dict[str, str]:
    """An email's settings (all of `SETTINGS` but the title) and bodies, in Mailchimp's merge tags. A sender the
    email does not name comes from the brand kit (`brand`: its values), as the workspace loader does."""
    brand = brand or {}
    sender = email.from_
    return {
        "subject_line": tags.translate(email.subject)[0],
        "preview_text": tags.translate(email.preheader)[0],
        "from_name": sender.name if sender else brand.get("sender_name", ""),
        "reply_to": email.reply_to or (sender.email if sender else brand.get("reply_to")
                                       or brand.get("sender_email", "")),
        "html": tags.translate(email_html(email))[0],
        "plain_text": tags.translate(email_text(email))[0],
    }


def campaign_payload(campaign: Campaign, client_tz: str, tags: MergeTagTranslator) -> dict[str, Any]:
    email = campaign.email
    assert email is not None
    at = campaign.schedule.at_utc(client_tz)
    schedule: dict[str, Any] = {"mode": campaign.schedule.mode}
    if at is not None:
        schedule["at"] = at.strftime("%Y-%m-%dT%H:%M:00+00:00")
    payload: dict[str, Any] = {
        "title": campaign.name,
        **email_fields(email, tags),
        "audience": {"list": f"list:{campaign.to.list}"},
        "schedule": schedule,
    }
    if campaign.to.segment:
        payload["audience"]["segment"] = f"segment:{campaign.to.segment}"
    if campaign.social:
        # a card shows an image by its address: one in the client's folder is for the networks hub posts to
        image = campaign.social.image or ""
        payload["social_card"] = {"title": campaign.name, "description": campaign.social.text_for("", "mailchimp"),
                                  "image_url": image if is_url(image) else ""}
    return payload


def campaign_body(payload: dict[str, Any], list_id: str, audience_tag_id: int | None,
                  segment_id: int | None) -> dict[str, Any]:
    """POST/PATCH /campaigns body (content and schedule are separate calls)."""
    recipients: dict[str, Any] = {"list_id": list_id}
    if segment_id is not None:
        recipients["segment_opts"] = {"saved_segment_id": segment_id}
    elif audience_tag_id is not None:
        recipients["segment_opts"] = {"match": "all", "conditions": [
            {"condition_type": "StaticSegment", "field": "static_segment", "op": "static_is",
             "value": audience_tag_id}]}
    settings = {k: payload[k] for k in SETTINGS}
    body: dict[str, Any] = {"type": "regular", "recipients": recipients, "settings": settings}
    if "social_card" in payload:
        card = {k: v for k, v in payload["social_card"].items() if v}
        body["social_card"] = card
        body["settings"]["auto_tweet"] = True
    return body


def campaign_projection(raw: dict[str, Any], tag_ref: Any, segment_ref: Any) -> dict[str, Any]:
    """A Mailchimp campaign in the comparable form of `campaign_payload` (content compared by fingerprint)."""
    settings = raw.get("settings") or {}
    status = raw.get("status")
    if status in ("sent", "sending"):
        schedule: dict[str, Any] = {"mode": "sent"}
    elif status == "schedule" and raw.get("send_time"):
        when = datetime.fromisoformat(str(raw["send_time"]).replace("Z", "+00:00"))
        schedule = {"mode": "at", "at": when.strftime("%Y-%m-%dT%H:%M:00+00:00")}
    else:
        schedule = {"mode": "draft"}
    recipients = raw.get("recipients") or {}
    opts = recipients.get("segment_opts") or {}
    audience: dict[str, Any] = {}
    if opts.get("saved_segment_id"):
        audience["segment"] = segment_ref(opts["saved_segment_id"])
    for cond in opts.get("conditions") or []:
        if cond.get("condition_type") == "StaticSegment" and cond.get("op") == "static_is":
            audience["list"] = tag_ref(cond.get("value"))
    out = {k: settings.get(k) or "" for k in SETTINGS}
    out.update({"audience": audience, "schedule": schedule})
    card = raw.get("social_card")
    if card:
        out["social_card"] = {"title": card.get("title", ""), "description": card.get("description", ""),
                              "image_url": card.get("image_url", "")}
    return out


def comparable_campaign(payload: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in payload.items() if k not in ("html", "plain_text")}
    if "segment" in out["audience"]:
        out["audience"] = {"segment": out["audience"]["segment"]}  # Mailchimp sends to the saved segment
    return out


# -- the runner's step emails -------------------------------------------------------------------------------

TAG_NAME_MAX = 100  # the simulator's limit on segment and tag names (the vendor's is unverified)
LOOKBACK = timedelta(days=1)  # generous: the vendor's clocks for segments and campaigns need not agree


def batch_tag_name(campaign_name: str) -> str:
    """The tag (static segment) that addresses one step email's recipients: the campaign's name, or, when too
    long for a tag, its start and a hash of the whole (still one name per campaign, found again by it)."""
    if len(campaign_name) <= TAG_NAME_MAX:
        return campaign_name
    digest = hashlib.sha1(campaign_name.encode()).hexdigest()[:12]
    return f"{campaign_name[:TAG_NAME_MAX - len(digest) - 1]}~{digest}"


def step_campaign_body(email: StepEmail, fields: Mapping[str, str], list_id: str, segment_id: int) -> dict[str, Any]:
    """POST /campaigns body of a step email: a regular campaign titled with its name, sent to its tag. A tag is
    a static segment, which `saved_segment_id` takes as it takes a saved one (unverified for the vendor)."""
    return {"type": "regular",
            "recipients": {"list_id": list_id, "segment_opts": {"saved_segment_id": segment_id}},
            "settings": {"title": email.name, **{k: fields[k] for k in SETTINGS if k != "title"}}}


def shortly_before(timestamp: str) -> str | None:
    """`since_create_time` for campaigns made after an item created at `timestamp` (None: unknown, no filter)."""
    try:
        when = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when - LOOKBACK).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def email_activity(rows: Iterable[Mapping[str, Any]]) -> EmailActivity:
    """Who opened and who clicked, from `/reports/{id}/email-activity` rows. A click counts as an open too:
    a recipient whose images were off still read the email (Mailchimp's own counting, unverified)."""
    opened: set[str] = set()
    clicked: set[str] = set()
    for row in rows:
        email = str(row.get("email_address") or "").lower()
        actions = {str(a.get("action")) for a in row.get("activity") or [] if isinstance(a, Mapping)}
        if "click" in actions:
            clicked.add(email)
        if actions & {"open", "click"}:
            opened.add(email)
    return EmailActivity(frozenset(opened), frozenset(clicked))


def members_by_list(client: Client, emails: Sequence[str]) -> dict[str, set[str]]:
    """Workspace list id -> those of `emails` the workspace has in it (with lists as audiences: who is in which
    audience)."""
    wanted = {e.lower() for e in emails}
    out: dict[str, set[str]] = {}
    for contact in client.audience.contacts:
        email = (contact.email or "").lower()
        if email in wanted:
            for list_id in contact.lists:
                out.setdefault(list_id, set()).add(email)
    return out


def on_quarter_hour(at: datetime) -> bool:
    return at.minute % 15 == 0 and at.second == 0


def merge_tags(client: Client) -> MailchimpTags:
    return MailchimpTags(merge_tags_of(client))


def journey_build_sheet(automation: Automation, client: Client) -> str:
    tags = merge_tags(client)
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
            lines.append(f"{n}. {sms_step_line('Mailchimp')}")
        elif step.exit:
            lines.append(f"{n}. End the journey.")
        else:
            lines.append(f"{n}. {step.action.replace('_', ' ')} (build by hand).")
    lines.append(f"Then bind it in clients/{client.name}/client.yaml under this account:"
                 f" `journeys: {{{automation.id}: {{journey_id: <id>, step_id: <id>}}}}`")
    return "\n".join(lines)
