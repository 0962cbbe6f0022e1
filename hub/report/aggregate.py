"""The report's arithmetic, pure: stored figures in, one row per group out.

Counts are summed; every rate is computed from the summed counts (`RATES`), never averaged, so that a big campaign
weighs what it sent. A metric a vendor does not report (complaints at ActiveCampaign) is not 0: each source (one
thing hub sent) says which metrics its provider declares, a sum only takes the sources that declare the metric
(`None` when none does: "n/a"), each row says how much of it they cover, and a rate is taken over the sources that
declare both of its counts (adjusted opens: only where the vendor tells machine opens apart). Amounts (cost,
revenue) are kept per currency, never added across currencies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..state.results import FigureRow, SourceRow
from .figures import AMOUNTS, RATES, Metric

DIMENSIONS = ("client", "campaign", "channel", "month")
DEFAULT_BY = ("client", "channel")
COUNTS = tuple(m for m in Metric if m not in AMOUNTS)
_AGO = re.compile(r"^(\d+)\s*([dw])$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


class QueryError(ValueError):
    """A --since or --by the report cannot use; the message says what would be right."""


def parse_since(text: str, today: date) -> date:
    """`30d`, `12w` (before `today`, which counts as a day), `2026-11-01`, or `2026-11` (the month's first day)."""
    value = text.strip()
    ago = _AGO.match(value)
    if ago:
        days = int(ago.group(1)) * (7 if ago.group(2) == "w" else 1)
        return today - timedelta(days=max(days - 1, 0))
    try:
        if _MONTH.match(value):
            return date.fromisoformat(value + "-01")
        return date.fromisoformat(value)
    except ValueError:
        pass
    raise QueryError(f"'{text}' is not a period; write a number of days or weeks back (30d, 12w) or a date"
                     " (2026-11-01, or 2026-11 for a month)")


def parse_by(values: Iterable[str]) -> tuple[str, ...]:
    """`--by` values (repeatable, or comma-separated) in the order given, each once; the default when none."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in DIMENSIONS:
                raise QueryError(f"cannot group by '{name}'; group by {', '.join(DIMENSIONS)} (one or several, e.g."
                                 " --by client,month)")
            if name not in out:
                out.append(name)
    return tuple(out) or DEFAULT_BY


@dataclass
class Row:
    """One group's figures. `counts[m]` is None when no source of the group reports `m` (n/a); `coverage[m]` is
    the share of the group's sources, on channels where some vendor reports `m`, whose vendor does (None when the
    metric means nothing here: complaints of texts)."""

    group: dict[str, str]
    sources: int = 0
    counts: dict[str, float | None] = field(default_factory=dict)
    amounts: dict[str, dict[str, float] | None] = field(default_factory=dict)
    rates: dict[str, float | None] = field(default_factory=dict)
    coverage: dict[str, float | None] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)  # provider -> metric -> vendor field

    @property
    def opens_directional(self) -> bool:
        """Opens are counted here: they are directional (Apple Mail Privacy Protection opens every email)."""
        return self.counts.get(Metric.OPENS.value) is not None

    @property
    def adjusted_opens(self) -> str:
        """How far adjusted opens cover the row's opens: "all", "part" or "none" ("" without opens)."""
        if not self.opens_directional:
            return ""
        share = self.coverage.get(Metric.OPENS_ADJUSTED.value)
        return "none" if not share else "all" if share >= 1 else "part"

    def to_json(self) -> dict[str, object]:
        counts = {m: int(v) if v is not None and float(v).is_integer() else v for m, v in self.counts.items()}
        return {"group": self.group, "sources": self.sources, "counts": counts, "amounts": self.amounts,
                "rates": self.rates, "coverage": self.coverage, "opens_directional": self.opens_directional,
                "adjusted_opens": self.adjusted_opens, "fields": self.fields}


@dataclass
class Report:
    by: tuple[str, ...]
    rows: list[Row]
    total: Row
    since: date | None = None
    clients: list[str] = field(default_factory=list)
    months: list[str] = field(default_factory=list)  # every month with figures, in order


@dataclass
class _Source:
    """One source's sums within one group."""

    row: SourceRow | None
    provider: str
    channel: str
    counts: dict[str, float] = field(default_factory=dict)
    amounts: dict[str, dict[str, float]] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def declares(self, metric: str) -> bool:
        if metric in self.counts or metric in self.amounts:
            return True
        return self.row is not None and metric in self.row.declared


def group_key(f: FigureRow, by: Sequence[str]) -> tuple[str, ...]:
    values = {"client": f.client, "campaign": f.item, "channel": f.channel, "month": f.day[:7]}
    return tuple(values[d] for d in by)


def aggregate(figures: Iterable[FigureRow], sources: Iterable[SourceRow], *, by: Sequence[str] = DEFAULT_BY,
              clients: Sequence[str] = (), since: date | None = None) -> Report:
    """Group `figures` (of `clients`, from `since`) by `by`, rows in the order of their keys, and a total."""
    declared = {s.key: s for s in sources}
    wanted = set(clients)
    cutoff = since.isoformat() if since else ""
    kept = [f for f in figures if (not wanted or f.client in wanted) and f.day >= cutoff]
    # on which channels each metric is reported by some vendor: coverage counts only the sources there
    relevant: dict[str, set[str]] = {}
    for s in declared.values():
        for metric in s.declared:
            relevant.setdefault(metric, set()).add(s.channel)
    for f in kept:
        relevant.setdefault(f.metric, set()).add(f.channel)
    groups: dict[tuple[str, ...], dict[tuple[str, str, str], _Source]] = {}
    everything: dict[tuple[str, str, str], _Source] = {}
    for f in kept:
        for bucket in (groups.setdefault(group_key(f, by), {}), everything):
            _add(bucket, f, declared.get(f.source))
    rows = [_row(dict(zip(by, key, strict=True)), groups[key], relevant) for key in sorted(groups)]
    return Report(tuple(by), rows, _row({}, everything, relevant), since,
                  sorted({f.client for f in kept}), sorted({f.day[:7] for f in kept}))


def _add(bucket: dict[tuple[str, str, str], _Source], f: FigureRow, row: SourceRow | None) -> None:
    src = bucket.get(f.source)
    if src is None:
        src = bucket[f.source] = _Source(row, f.provider, f.channel, fields=dict(row.declared) if row else {})
    if f.field:
        src.fields.setdefault(f.metric, f.field)
    if f.metric in {m.value for m in AMOUNTS}:
        per = src.amounts.setdefault(f.metric, {})
        per[f.currency] = per.get(f.currency, 0.0) + f.value
    else:
        src.counts[f.metric] = src.counts.get(f.metric, 0.0) + f.value


def _row(group: dict[str, str], bucket: Mapping[tuple[str, str, str], _Source],
         relevant: Mapping[str, set[str]]) -> Row:
    srcs = list(bucket.values())
    row = Row(group, sources=len(srcs))
    for metric in COUNTS:
        m = metric.value
        having = [s for s in srcs if s.declares(m)]
        row.counts[m] = sum(s.counts.get(m, 0.0) for s in having) if having else None
        row.coverage[m] = _coverage(having, srcs, relevant.get(m, set()))
    for metric in AMOUNTS:
        m = metric.value
        having = [s for s in srcs if s.declares(m)]
        if not having:
            row.amounts[m] = None
        else:
            per: dict[str, float] = {}
            for s in having:
                for currency, value in s.amounts.get(m, {}).items():
                    per[currency] = per.get(currency, 0.0) + value
            row.amounts[m] = {c: round(v, 6) for c, v in sorted(per.items())}
        row.coverage[m] = _coverage(having, srcs, relevant.get(m, set()))
    for name, (num, den) in RATES.items():
        both = [s for s in srcs if s.declares(num.value) and s.declares(den.value)]
        top = sum(s.counts.get(num.value, 0.0) for s in both)
        bottom = sum(s.counts.get(den.value, 0.0) for s in both)
        row.rates[name] = top / bottom if both and bottom else None
    for s in srcs:
        row.fields.setdefault(s.provider, {}).update(s.fields)
    return row


def _coverage(having: Sequence[_Source], srcs: Sequence[_Source], channels: set[str]) -> float | None:
    among = [s for s in srcs if s.channel in channels]
    return len(having) / len(among) if among else None

