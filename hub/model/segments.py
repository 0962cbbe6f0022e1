"""Evaluating a segment's rules against a contact hub knows (when the vendor cannot be asked)."""

from __future__ import annotations

from datetime import date
from typing import Any

from .audience import Contact, SegmentDef, SegmentRule


def matches(contact: Contact, segment: SegmentDef) -> bool | None:
    """True/False, or None when a rule needs data only the vendor has (engagement)."""
    results = [_rule(contact, r) for r in segment.rules]
    if None in results:
        return None
    return all(results) if segment.match == "all" else any(results)


def _rule(contact: Contact, rule: SegmentRule) -> bool | None:
    if rule.list:
        return rule.list in contact.lists
    if rule.not_list:
        return rule.not_list not in contact.lists
    if rule.tag:
        return rule.tag in contact.tags
    if rule.not_tag:
        return rule.not_tag not in contact.tags
    if rule.field:
        return _compare(contact.fields.get(rule.field), rule.op or "equals", rule.value)
    return None  # engagement: only the vendor knows who opened what


def field_matches(contact: Contact, field: str, op: str, want: Any) -> bool:
    """Whether the contact's `field` satisfies `op want` (an automation's field condition)."""
    return _compare(contact.fields.get(field), op, want)


def _compare(have: Any, op: str, want: Any) -> bool:
    if op == "is_set":
        return have not in (None, "")
    if op == "is_not_set":
        return have in (None, "")
    if have is None:
        return False
    if op == "equals":
        return str(have).lower() == str(want).lower()
    if op == "not_equals":
        return str(have).lower() != str(want).lower()
    if op == "contains":
        return str(want).lower() in str(have).lower()
    greater, less = op in ("greater_than", "after"), op in ("less_than", "before")
    if not (greater or less):
        return False
    if isinstance(have, date):  # dates compare as dates, anything else as numbers, else as text
        return bool(have > want if greater else have < want)
    try:
        x, y = float(have), float(want)
    except (TypeError, ValueError):
        s, t = str(have), str(want)
        return s > t if greater else s < t
    return x > y if greater else x < y
