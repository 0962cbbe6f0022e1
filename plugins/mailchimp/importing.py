"""`hub import` for Mailchimp (one audience, lists and tags as its tags): tags (as lists), merge fields, saved
segments with their conditions, unsent campaigns with their content, sent ones as history, classic automations
(verified by name) — pure; api.py reads, this translates."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.plugin import unique_id

from . import mapping as m

DEFAULT_TAGS = frozenset({"FNAME", "LNAME", "ADDRESS", "PHONE", "BIRTHDAY", "EMAIL"})
FIELD_TYPES = {"text": "text", "number": "number", "date": "date"}
_IF_RE = re.compile(r"\*\|IF:(?P<key>\w+)\|\*\*\|(?P=key)\|\*\*\|ELSE:\|\*(?P<default>.*?)\*\|END:IF\|\*")
_TAG_RE = re.compile(r"\*\|(?P<key>\w+)\|\*")
_FIELD_RE = re.compile(r"^[a-z][a-z0-9_]*$")
OPS_IN = {"is": "equals", "not": "not_equals", "contains": "contains", "blank_not": "is_set", "blank": "is_not_set"}
ENGAGEMENT_IN = {v: k for k, v in m.ENGAGEMENT.items()}
UNREADABLE_AUTOMATION = ("Mailchimp's API does not show enough of an automation to compare it: hub verifies it by"
                         " its name. The trigger and steps below are placeholders (its emails' subjects as Mailchimp"
                         " shows them); describe it here to keep a build sheet of it")
PLACEHOLDER_BODY = "<p>(built in Mailchimp)</p>\n<p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>\n"



def field(raw: Mapping[str, Any], notes: list[str]) -> dict[str, Any] | None:
    tag = str(raw.get("tag") or "")
    if tag in DEFAULT_TAGS:
        return None
    fid, kind = tag.lower(), FIELD_TYPES.get(str(raw.get("type")))
    if not _FIELD_RE.match(fid) or kind is None:
        notes.append(f"merge field '{raw.get('name')}' (*|{tag}|*) left out: "
                     + (f"its type {raw.get('type')} has no hub counterpart" if kind is None else "no hub id"))
        return None
    return {"id": fid, "name": str(raw.get("name") or fid), "type": kind}


def variable_keys(field_ids: list[str]) -> dict[str, str]:
    out = {tag: var for var, tag in m.BUILT_IN_TAGS.items()}
    out.update({tag.strip("*|"): var for var, tag in m.LINK_TAGS.items()})
    out.update({m.merge_tag_for(fid): f"fields.{fid}" for fid in field_ids})
    return out


def neutral_text(text: str, keys: Mapping[str, str]) -> str:
    """Mailchimp merge tags back to hub's variables (the IF/ELSE form hub writes for a default included)."""

    def with_default(mt: re.Match[str]) -> str:
        var = keys.get(mt["key"])
        return mt.group(0) if var is None else "{{ " + var + f' | default("{mt["default"]}")' + " }}"

    text = _IF_RE.sub(with_default, text or "")
    return _TAG_RE.sub(lambda mt: "{{ " + keys[mt["key"]] + " }}" if mt["key"] in keys else mt.group(0), text)


def segment(raw: Mapping[str, Any], group: Callable[[Any], tuple[str, str] | None], fields: Mapping[str, str],
            taken: set[str]) -> tuple[dict[str, Any] | None, str]:
    """A saved segment as audience.yaml's item; `group(tag id)` gives ("list" | "tag", neutral id)."""
    options = raw.get("options") or {}
    rules = []
    for cond in options.get("conditions") or []:
        kind, op = cond.get("condition_type"), cond.get("op")
        if kind == "StaticSegment" and op in ("static_is", "static_not"):
            found = group(cond.get("value"))
            if found is None:
                return None, "it names a tag hub does not know"
            rules.append({(found[0] if op == "static_is" else f"not_{found[0]}"): found[1]})
        elif kind in ("TextMerge", "NumberMerge", "DateMerge") and str(cond.get("field")) in fields:
            if op in ("greater", "less"):
                neutral_op = ("after" if op == "greater" else "before") if kind == "DateMerge" else \
                    ("greater_than" if op == "greater" else "less_than")
            else:
                neutral_op = OPS_IN.get(str(op), "")
            if not neutral_op:
                return None, f"its condition '{op}' has no hub counterpart"
            rule: dict[str, Any] = {"field": fields[str(cond["field"])], "op": neutral_op}
            if "value" in cond and neutral_op not in ("is_set", "is_not_set"):
                rule["value"] = str(cond["value"])
            rules.append(rule)
        elif kind == "Aim" and op in ENGAGEMENT_IN and cond.get("value") == "any":
            rules.append({"engagement": ENGAGEMENT_IN[op]})
        else:
            return None, f"its condition {kind}/{op} has no hub counterpart"
    if not rules:
        return None, "it has no conditions"
    return {"id": unique_id(str(raw.get("name") or ""), taken, fallback="segment"), "name": raw.get("name"),
            "match": options.get("match") or "all", "rules": rules}, ""


def local_time(utc: str, timezone: str) -> str:
    moment = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def campaign(raw: Mapping[str, Any], html: str, group: Callable[[Any], tuple[str, str] | None],
             segments: Mapping[str, str], keys: Mapping[str, str], timezone: str, account: str,
             first_list: str | None, taken: set[str]) -> tuple[dict[str, Any] | None, str]:
    settings = raw.get("settings") or {}
    opts = (raw.get("recipients") or {}).get("segment_opts") or {}
    audience: dict[str, Any] = {}
    for cond in opts.get("conditions") or []:
        found = group(cond.get("value")) if cond.get("condition_type") == "StaticSegment" else None
        if found is not None and found[0] == "list" and cond.get("op") == "static_is":
            audience["list"] = found[1]
    if opts.get("saved_segment_id"):
        seg = segments.get(str(opts["saved_segment_id"]))
        if seg is None:
            return None, "it is sent to a segment hub does not know"
        audience = {"list": audience.get("list") or first_list, "segment": seg}
    if not audience.get("list"):
        return None, "it is sent to the whole audience or to conditions hub cannot write; hub campaigns name a list"
    title = str(settings.get("title") or "")
    reply_to = str(settings.get("reply_to") or "")
    mail: dict[str, Any] = {"subject": neutral_text(str(settings.get("subject_line") or ""), keys)}
    if settings.get("preview_text"):
        mail["preheader"] = neutral_text(str(settings["preview_text"]), keys)
    mail["from"] = {"name": str(settings.get("from_name") or ""), "email": reply_to}
    mail["reply_to"] = reply_to
    mail["body_html"] = neutral_text(html, keys) or PLACEHOLDER_BODY
    data: dict[str, Any] = {"id": unique_id(title, taken, fallback="campaign"), "name": title, "audience": audience,
                            "email": mail}
    comment = ""
    card = raw.get("social_card")
    if card and card.get("description"):
        data["social"] = {"text": str(card["description"]), "accounts": [account]}
        if card.get("image_url"):
            data["social"]["image"] = str(card["image_url"])
        if card.get("title") and card["title"] != title:
            comment = "Mailchimp's social card has its own title; hub's card takes the campaign's name"
    if raw.get("status") == "schedule" and raw.get("send_time"):
        data["schedule"] = {"at": local_time(str(raw["send_time"]), timezone)}
    else:
        data["schedule"] = "draft"
    return data, comment


def history_line(raw: Mapping[str, Any]) -> str:
    settings = raw.get("settings") or {}
    return (f"{settings.get('title')}: sent {str(raw.get('send_time') or '')[:16]}; subject"
            f" \"{settings.get('subject_line', '')}\"")


def automation_stub(title: str, subjects: list[str], keys: Mapping[str, str], taken: set[str]) -> dict[str, Any]:
    aid = unique_id(title, taken, fallback="automation")
    steps = [{"send_email": {"subject": neutral_text(s, keys) or title, "body_html": PLACEHOLDER_BODY}}
             for s in subjects or [title]]
    return {"id": aid, "name": title, "trigger": {"event": aid}, "steps": steps}
