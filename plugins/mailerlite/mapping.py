"""Pure translation between hub's neutral model and MailerLite's API shapes (no I/O here).

Facts used (../shared/vendors/mailerlite-activecampaign.md, part A): groups stand for lists (and, as
an approximation, tags); field keys are derived from names; merge tags are `{$key}`; subscriber statuses
are active/unsubscribed/unconfirmed/bounced/junk; schedules name a date, hour and minute in a timezone.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
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
    StepEmail,
    email_html,
    email_step_reference,
    sms_step_line,
)

# neutral contact variable -> MailerLite default field key
CONTACT_FIELD_KEYS = {"first_name": "name", "last_name": "last_name", "email": "email", "phone": "phone"}
LINK_TAGS = {"unsubscribe_url": "{$unsubscribe}", "web_url": "{$url}"}

# Consent that is not "subscribed" is sent as a status; "subscribed" is never sent, so that hub can
# never re-activate someone who unsubscribed in the vendor (new subscribers default to active).
STATUS_OUT = {ConsentStatus.UNSUBSCRIBED: "unsubscribed", ConsentStatus.BOUNCED: "bounced",
              ConsentStatus.COMPLAINED: "junk", ConsentStatus.PENDING: "unconfirmed"}
STATUS_IN = {"active": ConsentStatus.SUBSCRIBED, "unsubscribed": ConsentStatus.UNSUBSCRIBED,
             "bounced": ConsentStatus.BOUNCED, "junk": ConsentStatus.COMPLAINED,
             "unconfirmed": ConsentStatus.PENDING}


def derive_field_key(name: str) -> str:
    """MailerLite's key for a field name: "Favourite loaf" -> "favourite_loaf", "ZIP" -> "z_i_p".

    Recorded examples fit Laravel's `Str::snake` (words capitalised and joined, an underscore before each
    capital, lowercased). Unverified beyond them, so the field resource also compares the key MailerLite
    actually gave and reports a mismatch in the plan.
    """
    value = name.strip()
    if not value.islower():
        value = re.sub(r"\s+", "", " ".join(w[:1].upper() + w[1:] for w in value.split(" ")))
        value = re.sub(r"(.)(?=[A-Z])", r"\1_", value).lower()
    value = re.sub(r"[^a-z0-9_]+", "_", value)
    return re.sub(r"_+", "_", value).strip("_")


class MailerLiteTags(KeyedMergeTags):
    contact_keys = CONTACT_FIELD_KEYS
    links = LINK_TAGS

    def wrap(self, key: str, default: str | None) -> str:
        if default is not None:  # documented form unverified; see provider notes
            return "{$" + key + "|default('" + default.replace("'", "") + "')}"
        return "{$" + key + "}"


@functools.cache  # one string for all the contacts in a group, not one each
def group_ref(kind: str, neutral_id: str) -> str:
    return f"{kind}:{neutral_id}"


BUILT_IN_KEYS = {"first_name": "name", "last_name": "last_name", "phone": "phone"}


# MailerLite's date-time format for subscriber timestamps (`opted_in_at`, `subscribed_at`), read as UTC
# (the docs give no zone: unverified)
ML_TIME = "%Y-%m-%d %H:%M:%S"
EVIDENCE_KEYS = ("opted_in_at", "optin_ip")


def contact_payload(contact: Contact, field_keys: dict[str, str]) -> dict[str, Any]:
    fields = contact.vendor_fields(BUILT_IN_KEYS, field_keys)
    payload: dict[str, Any] = {
        "email": contact.email_key,
        "fields": fields,
        "groups": sorted([group_ref("list", x) for x in contact.lists] + [group_ref("tag", t) for t in contact.tags]),
    }
    if contact.consent.email in STATUS_OUT:
        payload["status"] = STATUS_OUT[contact.consent.email]
    payload.update(opt_in_evidence(contact))
    return payload


def opt_in_evidence(contact: Contact) -> dict[str, str]:
    """The subscriber's double opt-in evidence as MailerLite stores it (`opted_in_at`, `optin_ip`), when known:
    carried from another vendor by `hub migrate`, or written in the workspace."""
    out: dict[str, str] = {}
    if contact.consent.opted_in_at is not None:
        at = contact.consent.opted_in_at
        out["opted_in_at"] = (at.astimezone(UTC) if at.tzinfo else at).strftime(ML_TIME)
    if contact.consent.opt_in_ip:
        out["optin_ip"] = contact.consent.opt_in_ip
    return out


def exported_subscriber(sub: Mapping[str, Any], field_ids: Mapping[str, str],
                        groups: Mapping[str, tuple[str, str]]) -> Contact:
    """A subscriber as `export_contacts` gives it: its status as MailerLite holds it (never made "subscribed"),
    its opt-in evidence, custom fields under the workspace's field ids (`field_ids`: key -> id) and groups as
    the workspace's lists and tags (`groups`: group id -> ("list" | "tag", id)); others are left out."""
    fields = sub.get("fields") or {}
    member = [groups[str(g.get("id") if isinstance(g, dict) else g)] for g in sub.get("groups") or []
              if str(g.get("id") if isinstance(g, dict) else g) in groups]
    consent: dict[str, Any] = {"email": STATUS_IN.get(str(sub.get("status", "")), ConsentStatus.PENDING)}
    if sub.get("opted_in_at"):
        consent["opted_in_at"] = _ml_time(str(sub["opted_in_at"]))
    if sub.get("optin_ip"):
        consent["opt_in_ip"] = str(sub["optin_ip"])
    return Contact.model_validate({
        "email": sub.get("email"), "phone": fields.get("phone") or None,
        "first_name": fields.get("name") or "", "last_name": fields.get("last_name") or "",
        "fields": {field_ids[k]: v for k, v in sorted(fields.items()) if k in field_ids and v not in (None, "")},
        "lists": sorted({i for kind, i in member if kind == "list"}),
        "tags": sorted({i for kind, i in member if kind == "tag"}),
        "consent": consent,
    })


def _ml_time(text: str) -> datetime | None:
    for fmt in (ML_TIME, "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def contact_from_subscriber(sub: dict[str, Any], neutral_keys: dict[str, str]) -> Contact:
    """A MailerLite subscriber as a neutral contact (custom fields under the workspace's field ids)."""
    fields = sub.get("fields") or {}
    custom = {neutral_keys[k]: v for k, v in fields.items() if k in neutral_keys and v not in (None, "")}
    return Contact.model_validate({
        "email": sub.get("email"), "phone": fields.get("phone") or None,
        "first_name": fields.get("name") or "", "last_name": fields.get("last_name") or "",
        "fields": custom, "consent": {"email": STATUS_IN.get(sub.get("status", ""), ConsentStatus.PENDING)},
    })


def email_fields(email: EmailContent, tags: MergeTagTranslator,
                 brand: Mapping[str, str] | None = None) -> dict[str, str]:
    """An email's content in MailerLite's terms: merge tags translated, HTML rendered, the sender its own
    `from` or else the brand kit's (the loader fills `from` from the brand already; hub's runner builds some
    emails itself)."""
    brand = brand or {}
    sender = email.from_
    sender_email = sender.email if sender else brand.get("sender_email", "")
    return {
        "subject": tags.translate(email.subject)[0],
        "from_name": sender.name if sender else brand.get("sender_name", ""),
        "from": sender_email,
        "reply_to": email.reply_to or brand.get("reply_to") or sender_email,
        "preheader": tags.translate(email.preheader)[0],
        "content": tags.translate(email_html(email))[0],
    }


def email_request(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The one item of a campaign's `emails` in POST/PUT /campaigns (reply_to and preheader only when set)."""
    out = {k: fields[k] for k in ("subject", "from_name", "from", "content")}
    out.update({k: fields[k] for k in ("reply_to", "preheader") if fields.get(k)})
    return out


def campaign_payload(campaign: Campaign, client_tz: str, tags: MergeTagTranslator) -> dict[str, Any]:
    email = campaign.email
    assert email is not None
    audience = {"segments": [group_ref("segment", campaign.to.segment)]} if campaign.to.segment \
        else {"groups": [group_ref("list", campaign.to.list)]}
    at = campaign.schedule.at_utc(client_tz)
    schedule: dict[str, Any] = {"mode": campaign.schedule.mode}
    if at is not None:
        schedule["at"] = at.strftime("%Y-%m-%dT%H:%M:00Z")
        schedule["timezone"] = campaign.schedule.timezone or client_tz
    return {"name": campaign.name, **email_fields(email, tags), **audience, "schedule": schedule}


# -- an automation's email step sent by hub's runner: one campaign to a group made for the batch -----------

# Batch groups carry this prefix, so that they are told apart from the client's own groups (a list may be
# named like a campaign) and can be cleared away once their campaign has gone out.
BATCH_GROUP_PREFIX = "hub batch: "
GROUP_NAME_MAX = 255  # MailerLite refuses longer group names (422)


def batch_group_name(campaign: str) -> str:
    """The name of the group a step email's campaign is sent to; too long, it is cut and made unique again
    with a digest of the whole name (two batches must never share a group)."""
    name = BATCH_GROUP_PREFIX + campaign
    if len(name) <= GROUP_NAME_MAX:
        return name
    digest = hashlib.sha256(campaign.encode()).hexdigest()[:12]
    return name[:GROUP_NAME_MAX - len(digest) - 1] + "~" + digest


def step_campaign_request(email: StepEmail, group_id: str, tags: MergeTagTranslator,
                          brand: Mapping[str, str]) -> dict[str, Any]:
    """POST/PUT /campaigns for a step email: a regular campaign to the batch's group alone."""
    return {"name": email.name, "type": "regular", "groups": [group_id],
            "emails": [email_request(email_fields(email.content, tags, brand))]}


def targets_only(raw: dict[str, Any], group_id: str) -> bool:
    """Whether a campaign is sent to exactly this one group."""
    groups, segments = audience_ids(raw)
    return not segments and [_id(g) for g in groups] == [group_id]


def membership(method: str, subscriber: str, group_id: str) -> dict[str, Any]:
    """A /batch sub-request assigning (POST) or unassigning (DELETE) a subscriber, by id or by email (the
    email form is unverified for these paths; MailerLite documents it for GET /subscribers/{id_or_email})."""
    return {"method": method, "path": f"api/subscribers/{subscriber}/groups/{group_id}"}


def membership_settled(request: Mapping[str, Any], answer: Mapping[str, Any]) -> bool:
    """Whether a membership sub-request left things as asked. A 404 on unassigning means there was nothing to
    take away; on assigning, one naming the Subscriber model (recorded body) means the address is not at
    MailerLite, where nobody can be emailed or tagged: it is passed over. A missing group is a failure."""
    code = int(answer.get("code", 500))
    if code < 300:
        return True
    body = answer.get("body")
    message = str(body.get("message", "")) if isinstance(body, dict) else ""
    return code == 404 and (request["method"] == "DELETE" or "Models\\Subscriber\\Subscriber" in message)


def activity_email(item: Mapping[str, Any]) -> str | None:
    """The recipient of one subscriber-activity row, lower-cased; None when the vendor no longer shows who it
    was (a deleted subscriber). The row's `subscriber` is asked for with `include=subscriber` (unverified:
    the recorded row, asked without it, had only id, opens_count and clicks_count)."""
    sub = item.get("subscriber")
    email = sub.get("email") if isinstance(sub, dict) else None
    return str(email).strip().lower() if email else None


def schedule_request(schedule: dict[str, Any], timezone_ids: dict[str, str]) -> dict[str, Any] | None:
    """The body of POST /campaigns/{id}/schedule, or None for a draft."""
    if schedule["mode"] == "draft":
        return None
    if schedule["mode"] == "now":
        return {"delivery": "instant"}
    tz = schedule["timezone"]
    local = datetime.strptime(schedule["at"], "%Y-%m-%dT%H:%M:00Z").replace(tzinfo=ZoneInfo("UTC")) \
        .astimezone(ZoneInfo(tz))
    body: dict[str, Any] = {"delivery": "scheduled", "schedule": {
        "date": local.strftime("%Y-%m-%d"), "hours": local.strftime("%H"), "minutes": local.strftime("%M")}}
    if tz in timezone_ids:
        body["schedule"]["timezone_id"] = timezone_ids[tz]
    return body


def campaign_projection(raw: dict[str, Any], refs_neutral: Any) -> dict[str, Any]:
    """A MailerLite campaign in the comparable form of `campaign_payload` (content excluded: the vendor
    rewrites HTML, so hub tracks its own content by fingerprint)."""
    email = (raw.get("emails") or [{}])[0]
    status = raw.get("status")
    if status == "sent":
        schedule: dict[str, Any] = {"mode": "sent"}
    elif status == "ready" and raw.get("delivery_schedule") == "scheduled" and raw.get("scheduled_for"):
        when = str(raw["scheduled_for"]).replace(" ", "T")[:16] + ":00Z"
        schedule = {"mode": "at", "at": when}
    elif status == "ready":
        schedule = {"mode": "now"}
    else:
        schedule = {"mode": "draft"}
    out: dict[str, Any] = {
        "name": raw.get("name"), "subject": email.get("subject"), "from_name": email.get("from_name"),
        "from": email.get("from"), "reply_to": email.get("reply_to"), "preheader": email.get("preheader") or "",
        "schedule": schedule,
    }
    groups, segments = audience_ids(raw)
    if segments:
        out["segments"] = sorted(refs_neutral("segment", _id(s)) for s in segments)
    elif groups:
        out["groups"] = sorted(refs_neutral("list", _id(g)) for g in groups)
    return out


def audience_ids(raw: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Group and segment ids a campaign targets. MailerLite reports them in `filter`, a list of OR-ed
    lists of conditions such as {"operator": "in_any", "args": ["groups", [ids]]} (recorded shape)."""
    groups, segments = list(raw.get("groups") or []), list(raw.get("segments") or [])
    for clause in raw.get("filter") or []:
        for cond in clause if isinstance(clause, list) else [clause]:
            args = cond.get("args") if isinstance(cond, dict) else None
            if isinstance(args, list) and len(args) == 2 and isinstance(args[1], list):
                (groups if args[0] == "groups" else segments if args[0] == "segments" else []).extend(args[1])
    return groups, segments


def _id(value: Any) -> str:
    return str(value.get("id")) if isinstance(value, dict) else str(value)


def comparable_campaign(want: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in want.items() if k != "content"}
    out["schedule"] = {k: v for k, v in want["schedule"].items() if k != "timezone"}
    return out


# -- automations ---------------------------------------------------------------------------------


def automation_steps(automation: Automation, tags: MergeTagTranslator) -> list[dict[str, Any]]:
    """The steps MailerLite can host, in order, as the API reports them (SMS steps are left to hub).
    Subjects are in MailerLite's syntax: that is what the user types into the UI and the API returns."""
    out: list[dict[str, Any]] = []
    for step in automation.steps:
        out.extend(_step(step, tags))
    return out


def _step(step: Step, tags: MergeTagTranslator) -> list[dict[str, Any]]:
    if step.send_email:
        return [{"type": "email", "subject": tags.translate(step.send_email.subject)[0]}]
    if step.wait:
        if step.wait.days:
            return [{"type": "delay", "value": step.wait.days, "unit": "days"}]
        if step.wait.hours:
            return [{"type": "delay", "value": step.wait.hours, "unit": "hours"}]
        return [{"type": "delay", "value": step.wait.minutes, "unit": "minutes"}]
    if step.condition:
        return [{"type": "condition"}]
    return []


def automation_projection(raw: dict[str, Any], refs_neutral: Any) -> dict[str, Any]:
    triggers = raw.get("triggers") or [{}]
    group_ids = triggers[0].get("group_ids") or []
    steps = []
    for s in raw.get("steps") or []:
        if s.get("type") == "email":
            steps.append({"type": "email", "subject": s.get("subject") or (s.get("email") or {}).get("subject")})
        elif s.get("type") == "delay":
            steps.append({"type": "delay", "value": int(s.get("value") or 0), "unit": s.get("unit")})
        elif s.get("type") == "condition":
            steps.append({"type": "condition"})
    return {"trigger": {"type": triggers[0].get("type"),
                        "groups": sorted(refs_neutral("list", str(g)) for g in group_ids)},
            "steps": steps}


def automation_build_sheet(automation: Automation, group_names: dict[str, str], field_names: dict[str, str],
                           tags: MergeTagTranslator, client: str | None = None) -> str:
    """The steps to build `automation` in MailerLite's UI. Email n's HTML is `details["emails"][n - 1]`, which
    `hub sheets CLIENT` writes as a file (the sheet names the command with `client`, when given)."""
    trig = automation.trigger
    if trig.kind == "anniversary":
        trigger = f"'The anniversary of a date' -> field '{field_names.get(trig.value, trig.value)}'"
    else:
        trigger = f"'When subscriber joins a group' -> group '{group_names.get(trig.value, trig.value)}'"
    lines = [f"In MailerLite: Automations -> Create new automation, name it exactly '{automation.name}'.",
             f"1. Trigger: {trigger}."]
    n, emails = 2, 0
    for step in automation.steps:
        if step.send_email:
            subject = tags.translate(step.send_email.subject)[0]
            emails += 1
            lines.append(f"{n}. Email: subject '{subject}'; HTML content: {email_step_reference(emails, client)}.")
        elif step.wait:
            lines.append(f"{n}. Delay: {step.wait.describe()}.")
        elif step.condition:
            lines.append(f"{n}. Condition: subscriber {step.condition.describe()}; yes -> '{step.yes or 'next'}',"
                         f" no -> '{step.no or 'next'}'.")
        elif step.send_sms:
            lines.append(f"{n}. {sms_step_line('MailerLite')}")
        elif step.add_tag or step.remove_tag or step.move_to_list:
            what = step.add_tag or step.remove_tag or step.move_to_list
            lines.append(f"{n}. Action: {step.action.replace('_', ' ')} '{what}' (as a group).")
        elif step.exit:
            lines.append(f"{n}. End of automation.")
        else:
            lines.append(f"{n}. {step.action} (build by hand).")
        n += 1
    lines.append("Then enable it; hub verifies it on the next plan.")
    return "\n".join(lines)


def segment_build_sheet(segment: SegmentDef, names: dict[str, str]) -> str:
    join = " AND " if segment.match == "all" else " OR "
    rules = join.join(_rule_text(r.describe(), names) for r in segment.rules)
    return (f"In MailerLite: Subscribers -> Segments -> Create segment, name it exactly '{segment.name}',"
            f" with rules: {rules}. hub verifies it by name.")


def _rule_text(text: str, names: dict[str, str]) -> str:
    for neutral, name in names.items():
        text = text.replace(f"'{neutral}'", f"'{name}'")
    return text


def field_keys(client: Client) -> dict[str, str]:
    """Workspace field id -> MailerLite field key."""
    return {f.id: derive_field_key(f.name) for f in client.audience.fields}


def merge_tags(client: Client) -> MailerLiteTags:
    return MailerLiteTags(field_keys(client))
