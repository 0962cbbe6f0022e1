"""The files `hub import` writes for one account: audience.yaml, contacts.csv, one file per campaign and
automation, and a summary of what was sent already. Pure: it turns what the provider read into texts; the
importer decides whether they may be written."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..model import Contact
from ..model.audience import CONTACT_COLUMNS

CONTACTS_FILE = "contacts.csv"
AUDIENCE_SECTIONS = ("lists", "tags", "fields")


@dataclass
class PlannedFile:
    path: Path  # absolute
    text: str
    what: str  # "8 contacts", "3 lists, 3 fields, 1 segment", ...

    @property
    def size(self) -> int:
        return len(self.text.encode("utf-8"))


class _Dumper(yaml.SafeDumper):
    """Block style throughout, multi-line text as literal blocks (an email's HTML stays readable)."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=110)


def comment(text: str, indent: str = "") -> str:
    """`text` as YAML comment lines (wrapped), or nothing."""
    if not text.strip():
        return ""
    lines = []
    for para in text.splitlines():
        lines += textwrap.wrap(para, 106 - len(indent)) or [""]
    return "".join(f"{indent}# {line}".rstrip() + "\n" for line in lines)


def _items(key: str, items: Sequence[dict[str, Any]]) -> str:
    """One section of audience.yaml; items given as {"data", "comment"} keep their comment above them."""
    out = f"{key}:\n"
    for item in items:
        data, note = (item["data"], item.get("comment", "")) if "data" in item else (item, "")
        out += comment(note, "  ") + textwrap.indent(dump([data]), "  ")
    return out


def audience_file(header: str, found: dict[str, Any], contacts: bool) -> tuple[str, str]:
    """audience.yaml's text, and what it holds."""
    parts = [comment(header)]
    counts = []
    for key in (*AUDIENCE_SECTIONS, "segments"):
        items = found.get(key) or []
        if items:
            parts.append(_items(key, items))
            counts.append(f"{len(items)} {key if len(items) != 1 else key[:-1]}")
    if contacts:
        parts.append(f"contact_files:\n  - {CONTACTS_FILE}\n")
    return "\n".join(parts), ", ".join(counts) or "no lists"


def item_file(header: str, item: dict[str, Any]) -> str:
    """campaigns/<id>.yaml or automations/<id>.yaml: the item without its id (the file name is its id)."""
    data = {k: v for k, v in item["data"].items() if k != "id"}
    return comment(header) + comment(item.get("comment", "")) + dump(data)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def contacts_file(contacts: Iterable[Contact], field_ids: Sequence[str]) -> tuple[str, int]:
    """contacts.csv as hub's contact files read it: CONTACT_COLUMNS, then one column per field; lists and tags
    separated by ';'; every contact's consent written out (unsubscribed and bounced stay so)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CONTACT_COLUMNS, *field_ids])
    n = 0
    for c in sorted(contacts, key=lambda c: c.key):
        consent = c.consent
        row = {"email": c.email, "phone": c.phone, "first_name": c.first_name, "last_name": c.last_name,
               "timezone": c.timezone, "lists": ";".join(c.lists), "tags": ";".join(c.tags),
               "email_consent": consent.email.value, "sms_consent": consent.sms.value if consent.sms else "",
               "opted_in_at": consent.opted_in_at, "opt_in_ip": consent.opt_in_ip}
        writer.writerow([_cell(row[k]) for k in CONTACT_COLUMNS] + [_cell(c.fields.get(f)) for f in field_ids])
        n += 1
    return out.getvalue(), n


def history_file(header: str, lines: Sequence[str]) -> str:
    return (f"# Sent before the import\n\n{header}\n\nThese campaigns went out already. hub keeps no file for them,"
            " so that no plan ever makes them again.\n\n" + "".join(f"- {line}\n" for line in lines))
