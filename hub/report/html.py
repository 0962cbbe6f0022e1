"""`hub report --html FILE`: one self-contained page (inline SVG and CSS, no script, nothing from the network) with
a cross-client comparison, each client's trend by month, the channel mix, the SMS cost, and the report's table.
Every chart has a table of its numbers beside it (for screen readers, and for whoever wants the figures)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape

from ..state.results import FigureRow, SourceRow
from . import svg
from .aggregate import Report, Row, aggregate
from .render import LABELS, NA, NOTES, TIMEZONE, money, number, percent

CHANNELS = ("email", "sms", "social")

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
h3 { margin-bottom: .3rem; }
.meta, .note { color: #444; } .note { font-size: .9rem; }
figure { margin: 1rem 0 1.5rem; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg.chart { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: right; }
th:first-child, td:first-child, th.key, td.key { text-align: left; }
thead th { background: #f2f2f2; }
caption { text-align: left; font-size: .9rem; color: #444; padding-bottom: .2rem; }
.na { color: #777; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { break-before: auto; break-after: avoid; }
  figure, table { break-inside: avoid; page-break-inside: avoid; }
  thead th { background: none; }
  a { color: inherit; text-decoration: none; }
}
"""


def _cell(text: str, key: bool = False) -> str:
    classes = " ".join(c for c in ("key" if key else "", "na" if text == NA else "") if c)
    return f'<td class="{classes}">{escape(text)}</td>' if classes else f"<td>{escape(text)}</td>"


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]], keys: int = 1) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(_cell(c, i < keys) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return (f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _figure(caption: str, chart: str, table: str) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{chart}{table}</figure>"


def _rows_of(report: Report, channel: str) -> list[Row]:
    return [r for r in report.rows if r.group.get("channel") == channel]


def comparison(by_channel: Report) -> str:
    """Open and click rates of every client's email, side by side, with the counts behind them."""
    rows = _rows_of(by_channel, "email")
    clients = [r.group["client"] for r in rows]
    series: list[svg.Series] = [
        ("open rate (directional)", [r.rates["open_rate"] for r in rows]),
        ("adjusted open rate", [r.rates["open_rate_adjusted"] for r in rows]),
        ("click rate", [r.rates["click_rate"] for r in rows]),
    ]
    chart = svg.bars("Email open and click rates by client",
                     "Open rate, adjusted open rate and click rate of each client's email, per delivered email.",
                     clients, series, lambda v: percent(v))
    metrics = ("sent", "delivered", "opens", "opens_adjusted", "clicks")
    table = _table("The counts behind the rates (email)",
                   ["client", *(LABELS[m] for m in metrics), "open rate*", "adj. open rate", "click rate",
                    "adj. opens cover"],
                   [[r.group["client"], *(number(r.counts[m]) for m in metrics), percent(r.rates["open_rate"]),
                     percent(r.rates["open_rate_adjusted"]), percent(r.rates["click_rate"]),
                     r.adjusted_opens or NA] for r in rows])
    return _figure("Cross-client comparison", chart, table)


def trends(by_month: Report) -> str:
    """Each client's rates month by month, with the counts."""
    out = []
    months = by_month.months
    for client in by_month.clients:
        rows = {r.group["month"]: r for r in by_month.rows if r.group["client"] == client}

        def rate(name: str, rows: dict[str, Row] = rows) -> list[float | None]:
            return [rows[m].rates[name] if m in rows else None for m in months]

        series: list[svg.Series] = [("delivery rate", rate("delivery_rate")), ("open rate (directional)",
                                    rate("open_rate")), ("click rate", rate("click_rate"))]
        chart = svg.lines(f"{client}: rates by month", f"Delivery, open and click rates of {client}'s sends by month"
                          f" ({TIMEZONE} days).", months, series, lambda v: percent(v))
        table = _table(f"{client} by month", ["month", "sent", "delivered", "opens*", "clicks", "delivery",
                                              "open rate*", "click rate"],
                       [[m, number(r.counts["sent"]), number(r.counts["delivered"]), number(r.counts["opens"]),
                         number(r.counts["clicks"]), percent(r.rates["delivery_rate"]), percent(r.rates["open_rate"]),
                         percent(r.rates["click_rate"])] for m in months if (r := rows.get(m)) is not None])
        out.append(f"<h3>{escape(client)}</h3>" + _figure(f"{client}: trend by month", chart, table))
    return "".join(out) or "<p>No figures in this period.</p>"


def channel_mix(by_channel: Report) -> str:
    """What each client sent on each channel: messages for email and SMS (the chart), posts for social (the table)."""
    clients = by_channel.clients
    cell = {(r.group["client"], r.group["channel"]): r for r in by_channel.rows}

    def volume(client: str, channel: str) -> float | None:
        r = cell.get((client, channel))
        if r is None:
            return None
        return float(r.sources) if channel == "social" else r.counts["sent"]

    # messages sent: emails and texts (posts have no recipients to count; the table says how many were made)
    series: list[svg.Series] = [(c, [volume(k, c) for k in clients]) for c in CHANNELS if c != "social"]
    chart = svg.stacked("Channel mix by client", "Share of each client's messages by channel: emails and texts"
                        " sent. Social posts are counted in the table below.", clients, series, lambda v: number(v))
    table = _table("Sends by channel", ["client", "email sent", "SMS sent", "social posts", "social favourites",
                                        "social boosts", "social replies"],
                   [[k, number(volume(k, "email")), number(volume(k, "sms")), number(volume(k, "social")),
                     *(number(cell[(k, "social")].counts[m]) if (k, "social") in cell else NA
                       for m in ("favourites", "boosts", "replies"))] for k in clients])
    return _figure("Channel mix", chart, table)


def sms_cost(by_channel: Report) -> str:
    """What texts cost each client (per currency), and per text delivered."""
    rows = _rows_of(by_channel, "sms")
    currencies = sorted({c for r in rows for c in (r.amounts.get("cost") or {})})
    series: list[svg.Series] = [(f"cost ({c or '?'})", [(r.amounts.get("cost") or {}).get(c) for r in rows])
                                for c in currencies]
    chart = svg.bars("SMS cost by client", "What each client's texts cost, in each currency the vendor charged in.",
                     [r.group["client"] for r in rows], series, lambda v: f"{v:,.2f}")

    def per_text(r: Row) -> str:
        cost, delivered = r.amounts.get("cost"), r.counts["delivered"]
        if not cost or not delivered:
            return NA
        return " + ".join(f"{v / delivered:,.4f} {c}" for c, v in cost.items())

    header = ["client", "texts sent", "delivered", "failed", "opt-outs", "cost", "cost per delivered"]
    table = _table("SMS cost", header,
                   [[r.group["client"], number(r.counts["sent"]), number(r.counts["delivered"]),
                     number(r.counts["failed"]), number(r.counts["unsubscribes"]), money(r.amounts.get("cost")),
                     per_text(r)] for r in rows])
    return _figure("SMS cost", chart, table)


def main_table(report: Report, cells: Callable[[Report], list[dict[str, str]]]) -> str:
    rows = cells(report)
    header = list(rows[0]) if rows else list(report.by)
    keys = len(report.by)
    return _table(f"By {' × '.join(report.by)} (the totals last)", header,
                  [[r.get(h, "") for h in header] for r in rows], keys)


def build(report: Report, figures: Sequence[FigureRow], sources: Sequence[SourceRow], generated_at: datetime,
          cells: Callable[[Report], list[dict[str, str]]]) -> str:
    """The page. `report` is the one asked for (its grouping is the last table); the charts group for themselves
    over the same figures (already filtered by client and period)."""
    by_channel = aggregate(figures, sources, by=("client", "channel"), since=report.since)
    by_month = aggregate(figures, sources, by=("client", "month"), since=report.since)
    period = f"since {report.since.isoformat()}" if report.since else "everything hub has read"
    clients = ", ".join(report.clients) or "none"
    notes = "".join(f"<li>{escape(n)}</li>" for n in NOTES)
    body = (f"<h1>Marketing results</h1>"
            f'<p class="meta">Generated {escape(generated_at.strftime("%Y-%m-%d %H:%M"))} {TIMEZONE} · {escape(period)}'
            f" · clients: {escape(clients)} · figures as the vendors last gave them (`hub report sync`)</p>"
            f'<ul class="note">{notes}</ul>'
            f"<h2>Cross-client comparison</h2>{comparison(by_channel)}"
            f"<h2>Trends by month</h2>{trends(by_month)}"
            f"<h2>Channel mix</h2>{channel_mix(by_channel)}"
            f"<h2>SMS cost</h2>{sms_cost(by_channel)}"
            f"<h2>All figures</h2>{main_table(report, cells)}")
    return ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
            " img-src data:\">"
            f"<title>hub report · {escape(generated_at.strftime('%Y-%m-%d'))}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")

