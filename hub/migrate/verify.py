"""`hub migrate --verify`: the source's contacts counted on both sides, by consent, list, tag and field.

Pure. The source's contacts are looked up at the target by address, so that contacts only at the target (added
since) do not count as a difference. Consent is compared as far as the target vendor can hold it: Mailchimp has no
"complained" (it unsubscribes), ActiveCampaign cannot mark a bounce (it unsubscribes), so a status that differs
only within "suppressed" is an approximation, not a difference. A contact suppressed at the source and
subscribed at the target is always a difference, named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import ConsentStatus, Contact
from .carry import SUPPRESSED


@dataclass
class Row:
    what: str  # "consent", "list", "tag", "field"
    name: str
    source: int
    target: int
    note: str = ""

    @property
    def differs(self) -> bool:
        return self.source != self.target


@dataclass
class Verification:
    rows: list[Row] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # at the source, not at the target
    resubscribed: list[str] = field(default_factory=list)  # suppressed at the source, subscribed at the target
    only_at_target: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.resubscribed and not any(r.differs for r in self.rows)

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "rows": [{**r.__dict__, "differs": r.differs} for r in self.rows],
                "missing_at_target": self.missing, "suppressed_but_subscribed": self.resubscribed,
                "only_at_target": self.only_at_target}


def group(status: ConsentStatus) -> str:
    return "suppressed" if status in SUPPRESSED else status.value


def verify(source: Iterable[Contact], target: Iterable[Contact]) -> Verification:
    src = {c.key: c for c in source if c.email}
    dst = {c.key: c for c in target if c.email}
    out = Verification(only_at_target=len(set(dst) - set(src)))
    out.missing = sorted(k for k in src if k not in dst)
    both = [(src[k], dst[k]) for k in sorted(src) if k in dst]
    out.resubscribed = sorted(s.key for s, t in both if s.consent.email in SUPPRESSED
                              and t.consent.email is ConsentStatus.SUBSCRIBED)
    # consent: the groups compared; the exact statuses shown beside them
    by_group = (Counter(group(c.consent.email) for c in src.values()),
                Counter(group(t.consent.email) for _, t in both))
    exact = (Counter(c.consent.email.value for c in src.values()), Counter(t.consent.email.value for _, t in both))
    for name in ("subscribed", "pending", "suppressed"):
        note = ""
        if name == "suppressed":
            shown = [f"{s} {exact[0][s]}->{exact[1][s]}" for s in ("unsubscribed", "bounced", "complained")
                     if exact[0][s] or exact[1][s]]
            if exact[0] != exact[1] and by_group[0][name] == by_group[1][name]:
                note = "held as the target vendor can: " + ", ".join(shown)
            elif shown:
                note = ", ".join(shown)
        out.rows.append(Row("consent", name, by_group[0][name], by_group[1][name], note))
    for what, get in (("list", lambda c: c.lists), ("tag", lambda c: c.tags), ("field", lambda c: list(c.fields))):
        counts = (Counter(x for c in src.values() for x in get(c)), Counter(x for _, t in both for x in get(t)))
        for name in sorted(set(counts[0]) | set(counts[1])):
            out.rows.append(Row(what, name, counts[0][name], counts[1][name]))
    return out
