"""SMS segment counting (GSM 03.38 / 3GPP TS 23.038).

A message is sent as GSM-7 when every character is in the GSM basic or extension table, otherwise as
UCS-2. A single GSM-7 message holds 160 septets; a multipart one 153 per segment (the rest is the
concatenation header). Extension-table characters (``€ [ ] { } \\ ^ ~ |`` and form feed) take two septets
(escape + character) and are never split across segments. UCS-2 holds 70 UTF-16 code units, 67 per
segment when multipart; characters outside the Basic Multilingual Plane (most emoji) are two code units
(a surrogate pair) that are never split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .model import Contact
    from .model.personalisation import Variable

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
# Twilio refuses a longer body with error 21617 (../shared/vendors/mailchimp-twilio.md §3.3): 11 segments
# in GSM-7, 24 in UCS-2. This, not a number of segments, is what caps a text's length.
MAX_CHARACTERS = 1600

# What a per-recipient variable is assumed to add to an SMS when hub checks the segment budget before
# knowing the recipient: the variable's default() text padded up to this typical length with GSM-7
# characters (so a default never makes the estimate shorter than typical).
TYPICAL_LENGTHS: Mapping[str, int] = {
    "first_name": 10,
    "last_name": 12,
    "email": 25,
    "phone": 13,
    "unsubscribe_url": 30,
    "web_url": 30,
}
TYPICAL_FIELD_LENGTHS: Mapping[str, int] = {"text": 15, "number": 6, "date": 10}


@dataclass(frozen=True)
class SegmentCount:
    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    per_segment: int  # capacity per segment at this length (160/153 or 70/67)
    ucs2_chars: list[str] = field(default_factory=list)  # distinct characters that forced UCS-2, in order

    def describe(self) -> str:
        plural = "s" if self.segments != 1 else ""
        return (f"{self.segments} segment{plural} ({self.encoding}, {self.units} "
                f"{'characters' if self.encoding == 'GSM-7' else 'UTF-16 units'}, {self.per_segment} per segment)")


def is_gsm(char: str) -> bool:
    return char in GSM_BASIC or char in GSM_EXTENSION


def _pack(sizes: list[int], capacity: int) -> int:
    """Segments needed when no character (of `size` units) may straddle two segments."""
    segments, used = 1, 0
    for size in sizes:
        if used + size > capacity:
            segments += 1
            used = 0
        used += size
    return segments


def count_segments(text: str) -> SegmentCount:
    """How many segments `text` takes, in which encoding, and why."""
    ucs2_chars: list[str] = []
    for char in text:
        if not is_gsm(char) and char not in ucs2_chars:
            ucs2_chars.append(char)
    encoding: Literal["GSM-7", "UCS-2"]
    if not ucs2_chars:
        sizes = [2 if c in GSM_EXTENSION else 1 for c in text]
        single, multi, encoding = GSM_SINGLE, GSM_MULTI, "GSM-7"
    else:
        sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "UCS-2"
    units = sum(sizes)
    if units == 0:
        return SegmentCount(encoding, 0, 0, single, ucs2_chars)
    if units <= single:
        return SegmentCount(encoding, units, 1, single, ucs2_chars)
    return SegmentCount(encoding, units, _pack(sizes, multi), multi, ucs2_chars)


def describe_char(char: str) -> str:
    names = {"\u2019": "right single quotation mark", "\u2018": "left single quotation mark",
             "\u201c": "left double quotation mark", "\u201d": "right double quotation mark",
             "\u2013": "en dash", "\u2014": "em dash", "\u2026": "ellipsis", "\u00a0": "no-break space"}
    shown = repr(char) if not char.isprintable() or char.isspace() else f"'{char}'"
    name = names.get(char)
    return f"{shown} (U+{ord(char):04X}{', ' + name if name else ''})"


GSM_REPLACEMENTS: Mapping[str, str] = {
    "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u00a0": " ",
}


def recipient_values(contact: Contact) -> dict[str, Any]:
    """What a text's variables take for one recipient ('first_name', 'fields.x', ...): hub renders SMS itself."""
    values: dict[str, Any] = {"first_name": contact.first_name, "last_name": contact.last_name,
                              "email": contact.email or "", "phone": contact.phone or ""}
    values.update({f"fields.{k}": v for k, v in contact.fields.items()})
    return values


def estimate_recipient_text(text: str, field_types: Mapping[str, str] | None = None) -> str:
    """`text` with each per-recipient variable replaced by a stand-in of typical length (see
    `TYPICAL_LENGTHS`): its default() text, padded with 'x' up to the typical length."""
    from .model.personalisation import substitute

    field_types = field_types or {}

    def stand_in(var: Variable) -> str:
        if var.namespace == "fields":
            typical = TYPICAL_FIELD_LENGTHS.get(field_types.get(var.key, "text"), 15)
        else:
            typical = TYPICAL_LENGTHS.get(var.name, 10)
        default = var.default or ""
        return default + "x" * max(0, typical - len(default))

    return substitute(text, stand_in)


@dataclass
class Overrun:
    """Recipients whose own text (rendered for them) takes more segments than the budget, and why: a plan
    and validation name them instead of letting them cost more unnoticed."""

    budget: int
    template: str  # the text before personalisation: what the recipients' values add is what is named
    over: Counter[int] = field(default_factory=Counter)  # segments -> recipients over the budget
    brought: dict[str, list[str]] = field(default_factory=dict)  # a character forcing UCS-2 -> values with it
    longer: int = 0  # over the budget in GSM-7: their values are long, not the encoding

    def add(self, count: SegmentCount, values: Iterable[object]) -> bool:
        """Count one recipient's text; True when it is over the budget."""
        if count.segments <= self.budget:
            return False
        self.over[count.segments] += 1
        added = [c for c in count.ucs2_chars if c not in self.template]
        if not added:
            self.longer += 1
        texts = [v for v in values if isinstance(v, str)]
        for char in added:
            holders = self.brought.setdefault(char, [])
            holders.extend(v for v in texts if char in v and v not in holders)
        return True

    @property
    def recipients(self) -> int:
        return sum(self.over.values())

    @property
    def segments(self) -> int:
        return sum(s * n for s, n in self.over.items())

    def why(self) -> str:
        """'their text would be 2-3 segments, over max_segments: 1; ...' (which characters, in which names)."""
        low, high = min(self.over), max(self.over)
        text = f"their text would be {low if low == high else f'{low}–{high}'} segments, over max_segments:" \
               f" {self.budget}"
        if self.brought:
            shown = [f"{describe_char(c)} in {', '.join(v[:3])}{' and others' if len(v) > 3 else ''}"
                     for c, v in list(self.brought.items())[:5]]
            text += ("; their names or fields switch it to UCS-2 (70 characters a segment instead of 160): "
                     + "; ".join(shown))
        if self.longer:
            text += f"; for {self.longer} of them, long names or fields make it longer"
        return text

    def fix(self) -> str:
        return f"raise max_segments to {max(self.over)} to text them too ({self.segments} more segments to pay for)"
