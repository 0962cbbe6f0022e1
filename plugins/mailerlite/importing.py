"""`hub import` for MailerLite: the account's groups, fields, segments, campaigns and automations as the
workspace's YAML would write them (pure; api.py reads, this translates).

Chosen so that the next plan matches what MailerLite holds: every group becomes a list (MailerLite keeps hub's
tags as groups too, and cannot tell them apart), a field's id is its name in snake case (its key is derived
from the name, as hub derives it), merge tags go back to hub's variables, and a schedule is written in the
client's timezone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.plugin import unique_id

from . import mapping as m

# MailerLite's own fields (every account has them): hub writes them as contact columns, not as fields
DEFAULT_FIELD_KEYS = frozenset({"name", "last_name", "email", "company", "country", "city", "phone", "state",
                                "z_i_p", "zip"})
FIELD_TYPES = {"text": "text", "number": "number", "date": "date"}
_TAG_RE = re.compile(r"\{\$(?P<key>\w+)(?:\|default\('(?P<default>[^']*)'\))?\}")
CONTENT_UNKNOWN = ("MailerLite's API does not show this email's content: write it here (body_html or"
                   " body_markdown) to keep a build sheet; hub verifies the automation by its trigger, subjects and"
                   " delays")
PLACEHOLDER_BODY = "<p>(content kept in MailerLite)</p>\n<p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>\n"


def field_id(name: str) -> str | None:
    """A field's neutral id: its name in snake case ("Favourite loaf" -> "favourite_loaf"); None when no valid
    id comes of it (it must start with a letter)."""
    out = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
    return out if re.match(r"^[a-z][a-z0-9_]*$", out) else None


def neutral_text(text: str, keys: Mapping[str, str]) -> str:
    """MailerLite merge tags back to hub's variables (`{$name|default('friend')}` -> `{{ first_name |
    default("friend") }}`); `keys` maps a MailerLite key to the variable. Unknown tags are left as written."""

    def one(match: re.Match[str]) -> str:
        var = keys.get(match["key"])
        if var is None:
            return match.group(0)
        default = match["default"]
        return "{{ " + var + (f' | default("{default}")' if default is not None else "") + " }}"

    return _TAG_RE.sub(one, text or "")


def variable_keys(field_keys: Mapping[str, str]) -> dict[str, str]:
    """MailerLite key -> hub variable, for the contact's details, links and the workspace's fields."""
    out = {key: var for var, key in m.CONTACT_FIELD_KEYS.items()}
    out.update({tag.strip("{}$"): var for var, tag in m.LINK_TAGS.items()})
    out.update({key: f"fields.{fid}" for fid, key in field_keys.items()})
    return out


def fields(raw: Iterable[Mapping[str, Any]], notes: list[str]) -> list[tuple[dict[str, Any], str]]:
    """The account's own fields as audience.yaml's items, each with its MailerLite id."""
    out: list[tuple[dict[str, Any], str]] = []
    taken: set[str] = set()
    for f in raw:
        key, name = str(f.get("key") or ""), str(f.get("name") or "")
        if f.get("is_default") or key in DEFAULT_FIELD_KEYS:
            continue
        fid = field_id(name)
        kind = FIELD_TYPES.get(str(f.get("type")))
        if fid is None or kind is None or fid in taken:
            notes.append(f"field '{name}' left out: " + ("its type is " + str(f.get("type")) if kind is None
                                                         else "no usable id comes of its name"))
            continue
        taken.add(fid)
        if m.derive_field_key(name) != key:
            notes.append(f"field '{name}': MailerLite's key '{key}' is not the one hub derives from the name"
                         f" ('{m.derive_field_key(name)}'); the plan will show it")
        out.append(({"id": fid, "name": name, "type": kind}, str(f["id"])))
    return out


def local_time(utc: str, timezone: str) -> str:
    """A UTC time from MailerLite ("2026-05-01 08:00:00") as the client's local "2026-05-01 09:00"."""
    moment = datetime.fromisoformat(utc.replace("Z", "").replace("T", " ")[:19]).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def email(raw: Mapping[str, Any], keys: Mapping[str, str], *, body: str | None) -> dict[str, Any]:
    """One MailerLite email (a campaign's or an automation step's) as hub's `email:`."""
    out: dict[str, Any] = {"subject": neutral_text(str(raw.get("subject") or ""), keys)}
    if raw.get("preheader"):
        out["preheader"] = neutral_text(str(raw["preheader"]), keys)
    sender = str(raw.get("from") or "")
    if sender:
        out["from"] = {"name": str(raw.get("from_name") or sender), "email": sender}
    if raw.get("reply_to"):
        out["reply_to"] = str(raw["reply_to"])
    out["body_html"] = neutral_text(body, keys) if body else PLACEHOLDER_BODY
    return out


def campaign(raw: Mapping[str, Any], neutral: Mapping[tuple[str, str], str], keys: Mapping[str, str],
             timezone: str, taken: set[str]) -> tuple[dict[str, Any] | None, str]:
    """A draft or scheduled campaign as campaigns/<id>.yaml (None and why when hub cannot write it)."""
    groups, segments = m.audience_ids(dict(raw))
    lists = [neutral[("list", str(g.get("id") if isinstance(g, dict) else g))] for g in groups
             if ("list", str(g.get("id") if isinstance(g, dict) else g)) in neutral]
    segs = [neutral[("segment", str(s.get("id") if isinstance(s, dict) else s))] for s in segments
            if ("segment", str(s.get("id") if isinstance(s, dict) else s)) in neutral]
    first_list = next((v for k, v in neutral.items() if k[0] == "list"), None)
    if not lists and not (segs and first_list):
        return None, "it is sent to all subscribers or to groups hub does not know; hub campaigns name a list"
    audience: dict[str, Any] = {"list": lists[0] if lists else first_list}
    comment = ""
    if segs:
        audience["segment"] = segs[0]
    if len(lists) > 1 or len(segs) > 1:
        comment = "MailerLite sends it to several groups or segments; hub names one: the plan shows the difference"
    mail = (raw.get("emails") or [{}])[0]
    data: dict[str, Any] = {"id": unique_id(str(raw.get("name") or ""), taken, fallback="campaign"),
                            "name": raw.get("name"), "audience": audience,
                            "email": email(mail, keys, body=mail.get("content"))}
    status = raw.get("status")
    if status == "ready" and raw.get("delivery_schedule") == "scheduled" and raw.get("scheduled_for"):
        data["schedule"] = {"at": local_time(str(raw["scheduled_for"]), timezone)}
    elif status == "ready":
        data["schedule"] = "now"
    else:
        data["schedule"] = "draft"
    return data, comment


def history_line(raw: Mapping[str, Any]) -> str:
    mail = (raw.get("emails") or [{}])[0]
    when = raw.get("finished_at") or raw.get("scheduled_for") or raw.get("created_at") or ""
    return f"{raw.get('name')}: sent {str(when)[:16]}; subject \"{mail.get('subject', '')}\""


def automation(raw: Mapping[str, Any], neutral: Mapping[tuple[str, str], str], keys: Mapping[str, str],
               taken: set[str]) -> tuple[dict[str, Any] | None, str]:
    """An automation as automations/<id>.yaml, from what MailerLite's API shows (its trigger, emails, delays and
    conditions), or None and why."""
    triggers = raw.get("triggers") or [{}]
    trigger = triggers[0]
    groups = [neutral.get(("list", str(g))) for g in trigger.get("group_ids") or []]
    if trigger.get("type") != "subscriber_joins_group" or not groups or groups[0] is None:
        return None, f"its trigger ({trigger.get('type')}) is not one hub writes (joining a group it knows)"
    steps: list[dict[str, Any]] = []
    comments: list[str] = []
    last_email = None
    for n, s in enumerate(raw.get("steps") or [], start=1):
        kind = s.get("type")
        if kind == "email":
            mail = {**(s.get("email") or {}), **{k: s[k] for k in ("subject", "from", "from_name", "reply_to")
                                                 if s.get(k)}}
            content = (s.get("email") or {}).get("content")
            if not content and CONTENT_UNKNOWN not in comments:
                comments.append(CONTENT_UNKNOWN)
            last_email = f"email-{n}"
            steps.append({"id": last_email, "send_email": email(mail, keys, body=content)})
        elif kind == "delay":
            unit = str(s.get("unit") or "days")
            steps.append({"wait": {unit if unit in ("days", "hours", "minutes") else "days": int(s.get("value") or 0)}})
        elif kind == "condition" and last_email:
            steps.append({"id": f"condition-{n}", "condition": {"opened": last_email}})
            comments.append(f"step condition-{n}: MailerLite's API does not show a condition's rule or branches;"
                            " written as 'opened the email before' with both branches going on: check it")
    if not any("send_email" in s for s in steps):
        return None, "it sends no email hub can describe"
    data = {"id": unique_id(str(raw.get("name") or ""), taken, fallback="automation"), "name": raw.get("name"),
            "trigger": {"joined_list": groups[0]}, "steps": steps}
    return data, "\n".join(comments)
