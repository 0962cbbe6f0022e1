"""The report as data (`--json`), as CSV (`--csv`) and as the cells of the terminal table: one shape, three forms.

None is "n/a" everywhere: a metric no vendor of the row reports, or a rate whose denominator is 0; never 0.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .aggregate import COUNTS, Report, Row
from .figures import AMOUNTS, RATES, Metric

NA = "n/a"
TIMEZONE = "UTC"  # days are the vendors' UTC days; times are UTC
NOTES = (
    "Rates are computed from summed counts (never averaged): open, click and unsubscribe rates per delivered,"
    " click-to-open per open, delivery and hard bounce rates per sent.",
    "Opens are directional: Apple Mail Privacy Protection opens every email it receives. Adjusted opens leave"
    " machine opens out where the vendor tells them apart (Mailchimp); `adjusted_opens` says whether a row's"
    " opens are all, partly or not covered.",
    "n/a: no vendor of the row reports the metric (e.g. complaints at ActiveCampaign), never 0; `coverage` is the"
    " share of a row's sends whose vendor reports it.",
    f"Days are {TIMEZONE} dates; times are {TIMEZONE}.",
)

LABELS = {"sent": "sent", "delivered": "delivered", "bounced_hard": "hard bounces", "bounced_soft": "soft bounces",
          "failed": "failed", "opens": "opens*", "opens_adjusted": "adj. opens", "clicks": "clicks",
          "unsubscribes": "unsubs", "complaints": "complaints", "replies": "replies", "favourites": "favourites",
          "boosts": "boosts", "cost": "cost", "revenue": "revenue", "delivery_rate": "delivery",
          "bounce_rate": "bounce", "open_rate": "open rate*", "open_rate_adjusted": "adj. open rate",
          "click_rate": "click rate", "click_to_open": "CTOR", "unsubscribe_rate": "unsub rate",
          "complaint_rate": "complaint rate"}


def number(value: float | None) -> str:
    if value is None:
        return NA
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def percent(value: float | None) -> str:
    return NA if value is None else f"{value * 100:.1f}%"


def money(per_currency: dict[str, float] | None) -> str:
    if per_currency is None:
        return NA
    if not per_currency:
        return "0"
    return " + ".join(f"{amount:,.2f} {currency or '?'}" for currency, amount in per_currency.items())


def to_json(report: Report, generated_at: datetime) -> dict[str, Any]:
    """The document `hub report --json` prints (its keys are listed in the command's help)."""
    return {"generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "timezone": TIMEZONE,
            "since": report.since.isoformat() if report.since else None, "by": list(report.by),
            "clients": report.clients, "rows": [r.to_json() for r in report.rows], "total": report.total.to_json(),
            "notes": list(NOTES)}


def currencies(rows: Sequence[Row], metric: Metric) -> list[str]:
    return sorted({c for r in rows for c in (r.amounts.get(metric.value) or {})})


def to_csv(report: Report) -> str:
    """One line per group, with a header line; amounts one column per currency (`cost_USD`)."""
    rows = report.rows
    money_columns = [(m.value, c) for m in sorted(AMOUNTS) for c in currencies(rows, m)]
    header = [*report.by, "sources", *(m.value for m in COUNTS), *(f"{m}_{c}" for m, c in money_columns),
              *RATES, "adjusted_opens", "opens_adjusted_coverage"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        amounts = [_csv_amount(r, m, c) for m, c in money_columns]
        writer.writerow([*(r.group[d] for d in report.by), r.sources, *(_csv(r.counts[m.value]) for m in COUNTS),
                         *amounts, *(_csv(r.rates[name], 6) for name in RATES), r.adjusted_opens or NA,
                         _csv(r.coverage.get(Metric.OPENS_ADJUSTED.value), 4)])
    return out.getvalue()


def _csv(value: float | None, digits: int = 2) -> str:
    if value is None:
        return NA
    return str(int(value)) if float(value).is_integer() else str(round(value, digits))


def _csv_amount(row: Row, metric: str, currency: str) -> str:
    per = row.amounts.get(metric)
    return NA if per is None else _csv(per.get(currency, 0.0))


# the terminal table: what a consultant reads first, in the order of its worth; the rest drops on narrow terminals
TABLE = (("sent", 0), ("delivered", 6), ("opens", 5), ("open_rate", 0), ("open_rate_adjusted", 4),
         ("clicks", 7), ("click_rate", 0), ("click_to_open", 8), ("bounced_hard", 9), ("unsubscribes", 3),
         ("complaints", 2), ("cost", 1), ("replies", 10), ("favourites", 11), ("boosts", 12))


def table_cells(report: Report) -> list[dict[str, str]]:
    out = []
    for r in [*report.rows, report.total]:
        cells = {d: r.group.get(d, "") for d in report.by}
        if r is report.total:
            cells[report.by[0]] = "total"
        for name, _ in TABLE:
            if name in RATES:
                cells[LABELS[name]] = percent(r.rates[name])
                if name == "open_rate_adjusted" and r.adjusted_opens == "part":
                    cells[LABELS[name]] += " (part)"
            elif name in {m.value for m in AMOUNTS}:
                cells[LABELS[name]] = money(r.amounts.get(name))
            else:
                cells[LABELS[name]] = number(r.counts.get(name))
        out.append(cells)
    return out
