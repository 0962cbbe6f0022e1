"""`hub import` for ActiveCampaign: lists (by their `stringid`, the neutral id hub gave them), tags, custom fields
(by perstag), segments and automations (verified by name: the API shows neither their conditions nor their steps),
unsent campaigns with their message, sent ones as history (pure; api.py reads, this translates)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.plugin import unique_id

from . import mapping as m

FIELD_TYPES = {v: k for k, v in m.FIELD_TYPES.items()}
_TAG_RE = re.compile(r"%(?P<key>[A-Z][A-Z0-9_]*)%")
_FIELD_RE = re.compile(r"^[a-z][a-z0-9_]*$")
UNREADABLE_AUTOMATION = ("ActiveCampaign's API does not show an automation's trigger or steps: hub verifies it by"
                         " its name. The trigger and step below are placeholders; describe the automation here to"
                         " keep a build sheet of it")
UNREADABLE_SEGMENT = ("ActiveCampaign's API does not show a segment's conditions: hub verifies it by name. The rule"
                      " below is a placeholder; write the segment's real rules")
PLACEHOLDER_BODY = "<p>(built in ActiveCampaign)</p>\n<p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>\n"



def field(raw: Mapping[str, Any], notes: list[str]) -> dict[str, Any] | None:
    tag = str(raw.get("perstag") or "")
    fid = tag.lower()
    kind = FIELD_TYPES.get(str(raw.get("type")))
    if not _FIELD_RE.match(fid) or len(fid) > 40 or kind is None:
        notes.append(f"field '{raw.get('title')}' left out: " + (f"its type {raw.get('type')} has no hub counterpart"
                                                                  if kind is None else f"perstag %{tag}% is no hub id"))
        return None
    return {"id": fid, "name": str(raw.get("title") or fid), "type": kind}


def variable_keys(field_ids: list[str]) -> dict[str, str]:
    out = {tag: var for var, tag in m.BUILTIN_TAGS.items()}
    out.update({m.perstag(fid): f"fields.{fid}" for fid in field_ids})
    return out


def neutral_text(text: str, keys: Mapping[str, str]) -> str:
    """`%FIRSTNAME%` -> `{{ first_name }}`; tags hub does not know are left as written."""
    return _TAG_RE.sub(lambda mt: "{{ " + keys[mt["key"]] + " }}" if mt["key"] in keys else mt.group(0), text or "")


def local_time(stamp: str, timezone: str) -> str:
    moment = datetime.strptime(stamp, m.UTC_STAMP).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def campaign(raw: Mapping[str, Any], message: Mapping[str, Any] | None, lists: list[str],
             neutral: Mapping[tuple[str, str], str], keys: Mapping[str, str], timezone: str,
             taken: set[str]) -> tuple[dict[str, Any] | None, str]:
    known = [neutral[("list", x)] for x in lists if ("list", x) in neutral]
    if not known:
        return None, "it is sent to no list hub knows"
    if message is None:
        return None, "its message cannot be read"
    audience: dict[str, Any] = {"list": known[0]}
    segid = str(raw.get("segmentid") or "0")
    if segid != "0":
        if ("segment", segid) not in neutral:
            return None, "it is sent to a segment hub does not know"
        audience["segment"] = neutral[("segment", segid)]
    mail: dict[str, Any] = {"subject": neutral_text(str(message.get("subject") or ""), keys)}
    if message.get("preheader_text"):
        mail["preheader"] = neutral_text(str(message["preheader_text"]), keys)
    mail["from"] = {"name": str(message.get("fromname") or ""), "email": str(message.get("fromemail") or "")}
    if message.get("reply2"):
        mail["reply_to"] = str(message["reply2"])
    mail["body_html"] = neutral_text(str(message.get("html") or ""), keys) or PLACEHOLDER_BODY
    if message.get("text"):
        mail["text"] = neutral_text(str(message["text"]), keys)
    data: dict[str, Any] = {"id": unique_id(str(raw.get("name") or ""), taken, fallback="campaign"),
                            "name": raw.get("name"), "audience": audience, "email": mail}
    at = m.utc_stamp(raw.get("sdate") or raw.get("scheduleddate")) if str(raw.get("status")) == "1" else None
    data["schedule"] = {"at": local_time(at, timezone)} if at else "draft"
    comment = "ActiveCampaign sends it to several lists; hub names one" if len(known) > 1 else ""
    return data, comment


def history_line(raw: Mapping[str, Any]) -> str:
    when = raw.get("ldate") or raw.get("sdate") or raw.get("cdate") or ""
    return f"{raw.get('name')}: sent {str(when)[:16]}"


def automation_stub(raw: Mapping[str, Any], taken: set[str]) -> dict[str, Any]:
    name = str(raw.get("name") or "")
    aid = unique_id(name, taken, fallback="automation")
    return {"id": aid, "name": name, "trigger": {"event": aid},
            "steps": [{"send_email": {"subject": name, "body_html": PLACEHOLDER_BODY}}]}
