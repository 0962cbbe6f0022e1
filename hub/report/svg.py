"""Charts as inline SVG, written by hand: no script, no font or stylesheet from the network, nothing to install.

Every chart is an `<svg role="img">` labelled by its own `<title>` and `<desc>`, each mark carries a `<title>` with
its exact value (a tooltip on screen), and values are printed beside the bars, so that the chart reads in print and
in black and white too; the report puts a table of the same numbers under each chart.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from html import escape

# Okabe-Ito: told apart by people with the common colour-vision deficiencies, and in grey when printed
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
_ids = itertools.count(1)

Series = tuple[str, Sequence[float | None]]
Formatter = Callable[[float], str]


def _open(width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    n = next(_ids)
    head = (f'<svg class="chart" role="img" viewBox="0 0 {width} {height}"'
            f' width="{width}" height="{height}" aria-labelledby="chart{n}-title chart{n}-desc" {FONT}'
            f' font-size="12">'
            f'<title id="chart{n}-title">{escape(title)}</title><desc id="chart{n}-desc">{escape(desc)}</desc>')
    return head, "</svg>"


def _legend(series: Sequence[Series], x: int, y: int) -> str:
    parts = []
    cx = x
    for i, (name, _) in enumerate(series):
        parts.append(f'<rect x="{cx}" y="{y - 10}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                     f'<text x="{cx + 16}" y="{y}">{escape(name)}</text>')
        cx += 16 + 7 * len(name) + 20  # about 7 pixels a character at 12 px: the next entry clears this one
    return "".join(parts)


def _empty(title: str, desc: str, width: int = 640) -> str:
    head, tail = _open(width, 60, title, desc)
    return head + '<text x="10" y="35" fill="#555">No figures to show for this period.</text>' + tail


def bars(title: str, desc: str, categories: Sequence[str], series: Sequence[Series], fmt: Formatter,
         *, width: int = 640) -> str:
    """Horizontal bars, one group per category, one bar per series; None values are written "n/a"."""
    values = [v for _, vs in series for v in vs if v is not None]
    if not categories or not values:
        return _empty(title, desc, width)
    label_w, bar_h, gap = 150, 16, 12
    group_h = bar_h * len(series) + gap
    top = 30 if len(series) > 1 else 10
    height = top + group_h * len(categories) + 10
    plot_w = width - label_w - 90
    peak = max(max(values), 0.0) or 1.0
    head, tail = _open(width, height, title, desc)
    parts = [head]
    if len(series) > 1:
        parts.append(_legend(series, label_w, 16))
    for ci, category in enumerate(categories):
        y0 = top + ci * group_h
        parts.append(f'<text x="{label_w - 8}" y="{y0 + group_h / 2}" text-anchor="end">{escape(category)}</text>')
        for si, (name, vs) in enumerate(series):
            v = vs[ci]
            y = y0 + si * bar_h
            shown = "n/a" if v is None else fmt(v)
            w = 0.0 if v is None else max(v, 0.0) / peak * plot_w
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 3}"'
                         f' fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(f"{category}, {name}: {shown}")}'
                         f'</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 5}">{escape(shown)}</text>')
    parts.append(f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 8}" stroke="#333"/>')
    parts.append(tail)
    return "".join(parts)


def stacked(title: str, desc: str, categories: Sequence[str], series: Sequence[Series], fmt: Formatter,
            *, width: int = 640) -> str:
    """One horizontal bar per category split into its series' shares (a mix); each part's value in its tooltip.
    The series must count the same thing (messages sent), or the shares mean nothing."""
    totals = [sum(v or 0.0 for _, vs in series for v in [vs[ci]]) for ci in range(len(categories))]
    if not categories or not any(totals):
        return _empty(title, desc, width)
    label_w, bar_h = 150, 22
    top = 30
    height = top + (bar_h + 10) * len(categories) + 10
    plot_w = width - label_w - 90
    head, tail = _open(width, height, title, desc)
    parts = [head, _legend(series, label_w, 16)]
    for ci, category in enumerate(categories):
        y = top + ci * (bar_h + 10)
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_h - 7}" text-anchor="end">{escape(category)}</text>')
        x = float(label_w)
        total = totals[ci] or 1.0
        for si, (name, vs) in enumerate(series):
            v = vs[ci] or 0.0
            w = v / total * plot_w
            if w > 0:
                share = f"{v / total * 100:.0f}%"
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}"'
                             f' fill="{PALETTE[si % len(PALETTE)]}"><title>'
                             f'{escape(f"{category}, {name}: {fmt(v)} ({share})")}</title></rect>')
                if w > 34:
                    parts.append(f'<text x="{x + 4:.1f}" y="{y + bar_h - 7}" fill="#fff">{share}</text>')
                x += w
        parts.append(f'<text x="{label_w + plot_w + 6}" y="{y + bar_h - 7}">{escape(fmt(totals[ci]))}</text>')
    parts.append(tail)
    return "".join(parts)


def lines(title: str, desc: str, labels: Sequence[str], series: Sequence[Series], fmt: Formatter,
          *, width: int = 640, height: int = 220) -> str:
    """One line per series over `labels` (months), a dot and its value at each point; a gap where a value is None."""
    values = [v for _, vs in series for v in vs if v is not None]
    if not labels or not values:
        return _empty(title, desc, width)
    left, right, top, bottom = 60, 70, 30, 30  # room on the right for the last values
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(values), 0.0) or 1.0
    step = plot_w / max(len(labels) - 1, 1)

    def at(i: int, v: float) -> tuple[float, float]:
        x = left + (i * step if len(labels) > 1 else plot_w / 2)
        return x, top + plot_h - max(v, 0.0) / peak * plot_h

    head, tail = _open(width, height, title, desc)
    parts = [head, _legend(series, left, 16),
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{escape(fmt(peak))}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">{escape(fmt(0.0))}</text>']
    for i, label in enumerate(labels):
        x, _ = at(i, 0.0)
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{escape(label)}</text>')
    for si, (name, vs) in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        run: list[str] = []
        for i, v in enumerate([*vs, None]):
            if v is None:
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
                run = []
                continue
            x, y = at(i, v)
            run.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>'
                         f'{escape(f"{labels[i]}, {name}: {fmt(v)}")}</title></circle>'
                         f'<text x="{x + 6:.1f}" y="{y - 6:.1f}" font-size="11">{escape(fmt(v))}</text>')
    parts.append(tail)
    return "".join(parts)
