"""The simulator store: a vendor's data as declared collections of rows, with unique keys and indexes kept.

A simulator declares each kind of thing its vendor holds once::

    SUBSCRIBERS = Collection("subscribers", model="Subscriber", unique=("email",), index=("status",),
                             render="render_subscriber")

and reaches the rows of one account (or of a parent row, e.g. an audience's members) with
``SUBSCRIBERS.table(parent)``. A `Table` is the ``dict`` of rows by id that the account's JSON state holds,
so persistence stays plain JSON: its indexes are derived when the table is first touched after a load and
kept up to date by `insert`, `update` and `del`. Change an indexed field only through `update` (a row
written in place keeps its old index entry).

`require` raises `Missing`, which the kit turns into the vendor's 404 through `Simulator.missing`, so a
handler reads ``row = TABLE.table(st).require(req.params["id"])`` and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


class Missing(Exception):
    """A row looked up by id does not exist; answered with the vendor's 404 (`Simulator.missing`)."""

    def __init__(self, model: str, key: object) -> None:
        self.model = model
        self.key = key
        super().__init__(f"{model} {key!r} not found")


@dataclass(frozen=True)
class Collection:
    """One kind of vendor object: where its rows live, what is unique, what is looked up, how it is listed."""

    name: str
    """The key of the rows' dict in their parent (the account's state, or a parent row)."""
    model: str = ""
    """The vendor's name for one row in "not found" answers ("Subscriber"); default: `name`."""
    unique: tuple[str, ...] = ()
    """Fields no two rows share; strings compared case-insensitively (emails, tag names)."""
    index: tuple[str, ...] = ()
    """Fields many rows share, looked up with `Table.where` (a contact's list memberships)."""
    render: str | None = None
    """The simulator method ``(account_state, row) -> dict`` that shows a row; with it, the kit generates
    the control listing ``<name>(account)`` ("what the vendor's UI shows"), unless the simulator has one."""
    key: str = "id"
    """The row field its id is kept in."""

    def table(self, parent: dict[str, Any]) -> Table:
        """The rows of this collection in `parent`, as a `Table` (created empty if absent)."""
        rows = parent.get(self.name)
        if not isinstance(rows, Table):
            rows = parent[self.name] = Table(self, rows or {})
        return rows


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class Table(dict[str, Row]):
    """The rows of one `Collection` by id (insertion order), with its unique and secondary indexes."""

    def __init__(self, spec: Collection, rows: dict[str, Row]) -> None:
        super().__init__(rows)
        self.spec = spec
        self._unique: dict[str, dict[Any, str]] = {f: {} for f in spec.unique}
        self._index: dict[str, dict[Any, dict[str, None]]] = {f: {} for f in spec.index}
        for rid, row in rows.items():
            self._add_keys(rid, row)

    # -- keeping the indexes

    def _add_keys(self, rid: str, row: Row) -> None:
        for name, seen in self._unique.items():
            value = row.get(name)
            if value is not None:
                seen[_fold(value)] = rid
        for name, groups in self._index.items():
            groups.setdefault(row.get(name), {})[rid] = None

    def _drop_keys(self, rid: str, row: Row) -> None:
        for name, seen in self._unique.items():
            value = row.get(name)
            if value is not None and seen.get(_fold(value)) == rid:
                del seen[_fold(value)]
        for name, groups in self._index.items():
            group = groups.get(row.get(name))
            if group is not None:
                group.pop(rid, None)

    def __setitem__(self, rid: str, row: Row) -> None:
        old = self.get(rid)
        if old is not None:
            self._drop_keys(rid, old)
        super().__setitem__(rid, row)
        self._add_keys(rid, row)

    def __delitem__(self, rid: str) -> None:
        self._drop_keys(rid, self[rid])
        super().__delitem__(rid)

    def pop(self, rid: str, *default: Any) -> Any:
        if rid in self:
            row = self[rid]
            del self[rid]
            return row
        if default:
            return default[0]
        raise KeyError(rid)

    # -- the operations handlers use

    def insert(self, row: Row) -> Row:
        """Add `row` under its `key` field; a unique value already taken is a simulator bug (check with
        `find` first and answer as the vendor does)."""
        rid = str(row[self.spec.key])
        for name in self.spec.unique:
            value = row.get(name)
            holder = None if value is None else self._unique[name].get(_fold(value))
            if holder is not None and holder != rid:
                raise ValueError(f"{self.spec.name}: {name}={value!r} is already taken by {holder}")
        self[rid] = row
        return row

    def update(self, row: Row | str, changes: dict[str, Any] | None = None, /, **more: Any) -> Row:  # type: ignore[override]
        """Change fields of one row (given or by id), keeping the indexes right."""
        target = self.require(row) if isinstance(row, str) else row
        rid = str(target[self.spec.key])
        self._drop_keys(rid, target)
        target.update(changes or {}, **more)
        self._add_keys(rid, target)
        return target

    def require(self, rid: object) -> Row:
        """The row with id `rid`, or `Missing` (the vendor's 404)."""
        row = self.get(str(rid))
        if row is None:
            raise Missing(self.spec.model or self.spec.name, rid)
        return row

    def find(self, field: str, value: Any) -> Row | None:
        """The row whose unique `field` is `value` (case-insensitive for strings)."""
        rid = self._unique[field].get(_fold(value))
        return None if rid is None else self[rid]

    def where(self, field: str, value: Any) -> list[Row]:
        """The rows whose indexed `field` is `value`, in insertion order."""
        return [self[rid] for rid in self._index[field].get(value, ())]

    def rows(self, *filters: tuple[str, Any]) -> list[Row]:
        """Every row (insertion order), or those matching each (indexed field, value) given."""
        if not filters:
            return list(self.values())
        first, *rest = filters
        return [r for r in self.where(*first) if all(r.get(f) == v for f, v in rest)]


# --------------------------------------------------------------------------------------------------
# paging: the slice each vendor's envelope wraps


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def number(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1


def page_by_offset(rows: Sequence[Any] | Iterable[Any], offset: int, limit: int) -> Page:
    """`limit` rows from `offset` (vendors with ``offset``/``count`` or ``offset``/``limit``)."""
    seq = rows if isinstance(rows, Sequence) else list(rows)
    offset = max(0, offset)
    return Page(list(seq[offset : offset + limit]), len(seq), offset, limit)


def page_by_number(rows: Sequence[Any] | Iterable[Any], page: int, per_page: int) -> Page:
    """Page `page` (1-based) of `per_page` rows (vendors with ``page``/``limit``)."""
    return page_by_offset(rows, (max(1, page) - 1) * per_page, per_page)
