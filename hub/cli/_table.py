"""Tables that fit the terminal: short columns never break, long ones wrap at word boundaries, and when
the terminal is too narrow the columns worth least are dropped first (their caller folds what they said
into the columns that stay)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.table import Table
from rich.text import Text

NARROW = 120  # below this, tables lose their vertical rules to give the text room


@dataclass(frozen=True)
class Column:
    name: str
    wrap: bool = False  # long text: wraps at word boundaries (folds only words longer than the column)
    drop: int = 0  # 0: always kept; otherwise dropped when space runs out, highest first
    readable: int = 24  # a wrapping column needs this width to stay readable


def cell_width(markup: str) -> int:
    return max((Text.from_markup(line).cell_len for line in markup.split("\n")), default=0)


def fit(columns: Sequence[Column], rows: Sequence[dict[str, str]], width: int) -> list[Column]:
    """The columns to show for `rows` (cells by column name) at `width`."""
    natural = {c.name: max([len(c.name), *(cell_width(r.get(c.name, "")) for r in rows)]) for c in columns}
    kept = list(columns)

    def needed() -> int:  # padding on both sides of each cell, one rule between columns, edges when wide
        edges = 2 if width >= NARROW else -1
        cells = sum(min(natural[c.name], c.readable) if c.wrap else natural[c.name] for c in kept)
        return cells + 3 * len(kept) + edges

    for col in sorted((c for c in columns if c.drop), key=lambda c: -c.drop):
        if needed() <= width:
            break
        kept.remove(col)
    return kept


def make_table(title: str, columns: Sequence[Column], rows: Sequence[dict[str, str]], width: int) -> Table:
    narrow = width < NARROW
    table = Table(title=title, title_justify="left", expand=False, show_edge=not narrow,
                  box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD)
    for c in columns:
        if c.wrap and c is not columns[-1]:  # the last column takes the room; the others stay narrow
            table.add_column(c.name, overflow="fold", min_width=len(c.name), max_width=max(c.readable, width // 4))
        elif c.wrap:
            table.add_column(c.name, overflow="fold", min_width=len(c.name))
        else:
            table.add_column(c.name, no_wrap=True)
    for row in rows:
        table.add_row(*(row.get(c.name, "") for c in columns))
    return table
