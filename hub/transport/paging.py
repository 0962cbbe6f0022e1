"""Walking a vendor's collection page by page, written once for every provider.

Vendors page in four ways: by page number (page/limit), by offset (limit/offset or count/offset), by a
cursor the body hands back, and by an absolute next-page URL in the body. Each paginator here is a
generator over `fetch`, the one vendor call that gets a page, and over readers of the page's body: where
its items are (`items`; `under(key)` reads the common "list under a key" shape) and how to go on
(`last_page`, `total`, `next_cursor`, `next_url`). The plugin gives those two, because the request's path
and parameter names and the body's shape are the vendor's; the paginator decides only when to ask again
and when to stop, which is the part that used to be written once per vendor.

Paginators are lazy: each page is fetched when the previous one has been consumed, so a caller that
stops early makes no further request. They yield `Page`s (the body, for anything side-loaded with the
items, and the items); `every_item` flattens them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Page", "by_cursor", "by_next_url", "by_offset", "by_page_number", "every_item", "find_ids", "under"]

Item = TypeVar("Item")
Items = Callable[[Any], Sequence[Item]]


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page as the vendor answered it (`body`) and the items read from it."""

    body: Any
    items: Sequence[Item]


def under(key: str) -> Callable[[Any], Sequence[Any]]:
    """The items reader of bodies that hold their list under `key` ({"data": [...], "meta": {...}}); a
    missing, empty or null list (or no body at all) is an empty page."""

    def items(body: Any) -> Sequence[Any]:
        found = body.get(key) if isinstance(body, dict) else None
        return found or []

    return items


def every_item(pages: Iterable[Page[Item]]) -> Iterator[Item]:
    """The items of every page, in order."""
    for page in pages:
        yield from page.items


def by_page_number(fetch: Callable[[int], Any], items: Items[Item], *,
                   last_page: Callable[[Any], int | None] | None = None, size: int | None = None,
                   first: int = 1) -> Iterator[Page[Item]]:
    """Pages `first`, `first` + 1, ... (`fetch(number)`). Ends with the page a body names as the last
    (`last_page`); where the body does not say (no reader, or it reads None), with an empty page or a
    short one (fewer items than `size`, the page size asked for)."""
    number = first
    while True:
        page = Page(body := fetch(number), items(body))
        yield page
        last = last_page(body) if last_page is not None else None
        if last is not None:
            if number >= last:
                return
        elif _short(page, size):
            return
        number += 1


def by_offset(fetch: Callable[[int], Any], items: Items[Item], *, total: Callable[[Any], int | None] | None = None,
              size: int | None = None) -> Iterator[Page[Item]]:
    """Pages from offset 0 (`fetch(offset)`), each starting where the items read so far end. Ends with an
    empty page, a short one (fewer items than `size`, when given: give it when the vendor's total may be
    missing), or once as many items as the body's `total` (when the reader finds one) have been read."""
    offset = 0
    while True:
        page = Page(body := fetch(offset), items(body))
        yield page
        offset += len(page.items)
        known = total(body) if total is not None else None
        if _short(page, size) or (known is not None and offset >= known):
            return


def by_cursor(fetch: Callable[[str | None], Any], items: Items[Item], *,
              next_cursor: Callable[[Any], str | None]) -> Iterator[Page[Item]]:
    """The first page (`fetch(None)`), then `fetch(cursor)` with the cursor each body gives for the next
    page, until a body gives none (or an empty one)."""
    cursor: str | None = None
    while True:
        page = Page(body := fetch(cursor), items(body))
        yield page
        cursor = next_cursor(body)
        if not cursor:
            return


def by_next_url(first: str, fetch: Callable[[str], Any], items: Items[Item], *,
                next_url: Callable[[Any], str | None]) -> Iterator[Page[Item]]:
    """`fetch(first)`, then `fetch(url)` for the absolute next-page URL each body links to, until a body
    links none. The URL is the vendor's own, carrying its query (page size, filters, page token): `fetch`
    sends it as it is."""
    url: str | None = first
    while url:
        page = Page(body := fetch(url), items(body))
        yield page
        url = next_url(body)


def find_ids(ids: Iterable[str], pages: Iterable[Page[Any]], one: Callable[[str], Any | None], *,
             pages_left: Callable[[Page[Any], int], int], key: Callable[[Any], str] = lambda item: str(item.get("id")),
             each_after_last: bool = False) -> dict[str, Any]:
    """The items whose `key` is one of `ids`, in the fewest requests: the collection's pages (newest first, as vendors
    list what was sent) are turned until every one is found, but once no more are missing than there are pages
    still to turn (`pages_left(page, items read so far)`), each missing one is read on its own (`one(id)`: None when
    the vendor no longer has it). After the last page the missing ones are read on their own only with
    `each_after_last` (a list narrowed by a filter that may have left some out)."""
    wanted, found, read = set(ids), {}, 0
    for page in pages:
        read += len(page.items)
        found.update({k: item for item in page.items if (k := key(item)) in wanted})
        missing = wanted - found.keys()
        if not missing:
            return found
        left = pages_left(page, read)
        if left > 0 and len(missing) <= left:
            return found | _each(missing, one)
    missing = wanted - found.keys()
    return found | (_each(missing, one) if each_after_last and missing else {})


def _each(ids: set[str], one: Callable[[str], Any | None]) -> dict[str, Any]:
    return {i: item for i in sorted(ids) if (item := one(i))}


def _short(page: Page[Any], size: int | None) -> bool:
    """Whether `page` must be the last one: empty, or holding fewer items than the page size asked for."""
    return not page.items or (size is not None and len(page.items) < size)
