"""hub's vendor-API layer on its own: the paginators, the table of write semantics and the SDK adapter.

No vendor and no simulator: each paginator walks scripted bodies through a `fetch` that records what it
was asked, the write table is asked directly, and the SDK adapter drives a fake SDK through a real
`HttpClient` on a FakeClock (so retries take no wall time).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
import requests

import hub.plugin
import hub.transport.http
from hub.clock import FakeClock
from hub.errors import (
    AmbiguousWrite,
    AuthError,
    NotFound,
    RateLimited,
    Unavailable,
    Unreachable,
    VendorValidationError,
)
from hub.provider import Limits
from hub.transport import errors as transport_errors
from hub.transport.errors import ConnectionLost, connection_error, default_error
from hub.transport.http import HttpClient
from hub.transport.paging import Page, by_cursor, by_next_url, by_offset, by_page_number, every_item, find_ids, under
from hub.transport.ratelimit import GateRegistry
from hub.transport.sdk import SdkAdapter, SdkCall
from hub.transport.writes import IDEMPOTENT_METHODS, WRITES, lost_answer_ambiguous, retryable

# -- paginators ------------------------------------------------------------------------------------------


class Recorder:
    """A `fetch` answering from `answer(position)` and keeping every position it was asked for."""

    def __init__(self, answer: Callable[[Any], Any]) -> None:
        self.answer = answer
        self.asked: list[Any] = []

    def __call__(self, position: Any) -> Any:
        self.asked.append(position)
        return self.answer(position)


def numbered(n_items: int, size: int, *, last_page: bool = True) -> Recorder:
    """MailerLite's shape: {"data": [...], "meta": {"last_page": N}}."""

    def answer(page: int) -> Any:
        start = (page - 1) * size
        meta = {"last_page": max(1, -(-n_items // size))} if last_page else {}
        return {"data": list(range(start, min(start + size, n_items))), "meta": meta}

    return Recorder(answer)


def last_page_of(body: Any) -> int | None:
    value = (body.get("meta") or {}).get("last_page")
    return int(value) if value is not None else None


def test_page_numbers_run_to_the_last_page_the_body_names() -> None:
    fetch = numbered(250, 100)
    assert list(every_item(by_page_number(fetch, under("data"), last_page=last_page_of))) == list(range(250))
    assert fetch.asked == [1, 2, 3]


def test_page_numbers_trust_last_page_over_a_short_page() -> None:
    # the body says there are 3 pages: a short second page does not end the walk
    bodies = {1: [1, 2], 2: [3], 3: [4, 5]}
    fetch = Recorder(lambda page: {"data": bodies[page], "meta": {"last_page": 3}})
    assert list(every_item(by_page_number(fetch, under("data"), last_page=last_page_of, size=2))) == [1, 2, 3, 4, 5]
    assert fetch.asked == [1, 2, 3]


@pytest.mark.parametrize(("n_items", "asked"), [(250, [1, 2, 3]), (200, [1, 2, 3]), (0, [1])])
def test_page_numbers_without_a_page_count_end_on_a_short_or_empty_page(n_items: int, asked: list[int]) -> None:
    fetch = numbered(n_items, 100, last_page=False)
    pages = by_page_number(fetch, under("data"), last_page=last_page_of, size=100)  # the reader finds None
    assert len(list(every_item(pages))) == n_items
    assert fetch.asked == asked  # a full last page costs one empty page more: nothing says it was the last


def test_page_numbers_start_where_the_vendor_counts_from() -> None:
    fetch = Recorder(lambda page: {"data": [page] if page < 2 else []})
    assert list(every_item(by_page_number(fetch, under("data"), first=0))) == [0, 1]
    assert fetch.asked == [0, 1, 2]


def offsets(n_items: int, size: int, total: Callable[[int], Any]) -> Recorder:
    """An offset list of `n_items`, its body's total as `total(n_items)` says (None: no total)."""

    def answer(offset: int) -> Any:
        body: dict[str, Any] = {"items": list(range(offset, min(offset + size, n_items)))}
        if total(n_items) is not None:
            body["total"] = total(n_items)
        return body

    return Recorder(answer)


def total_of(body: Any) -> int | None:
    return int(body["total"]) if "total" in body else None


@pytest.mark.parametrize(("n_items", "asked"), [(250, [0, 100, 200]), (200, [0, 100]), (0, [0])])
def test_offsets_end_once_the_total_is_read(n_items: int, asked: list[int]) -> None:
    fetch = offsets(n_items, 100, total=lambda n: n)
    assert list(every_item(by_offset(fetch, under("items"), total=total_of))) == list(range(n_items))
    assert fetch.asked == asked  # a full last page needs no empty page after it: the total says


def test_offsets_advance_by_the_items_received() -> None:
    # a vendor that gives fewer than asked (its own cap) is read on from where its page ended
    fetch = offsets(7, 3, total=lambda n: n)
    assert list(every_item(by_offset(fetch, under("items"), total=total_of))) == list(range(7))
    assert fetch.asked == [0, 3, 6]


def test_offsets_without_a_total_end_on_a_short_page_when_the_size_is_known() -> None:
    fetch = offsets(250, 100, total=lambda n: None)
    assert len(list(every_item(by_offset(fetch, under("items"), total=total_of, size=100)))) == 250
    assert fetch.asked == [0, 100, 200]


def test_offsets_without_a_total_or_size_read_until_an_empty_page() -> None:
    fetch = offsets(250, 100, total=lambda n: None)
    assert len(list(every_item(by_offset(fetch, under("items"), total=total_of)))) == 250
    assert fetch.asked == [0, 100, 200, 250]


def test_a_short_page_before_the_total_ends_the_walk_only_when_the_size_is_given() -> None:
    bodies = {0: [1, 2], 2: [3], 3: [4, 5]}  # the vendor held one back on the second page

    def fetch() -> Recorder:
        return Recorder(lambda offset: {"items": bodies[offset], "total": 5})

    trusting_total = fetch()
    assert list(every_item(by_offset(trusting_total, under("items"), total=total_of))) == [1, 2, 3, 4, 5]
    short_ends = fetch()
    assert list(every_item(by_offset(short_ends, under("items"), total=total_of, size=2))) == [1, 2, 3]
    assert (trusting_total.asked, short_ends.asked) == ([0, 2, 3], [0, 2])


def test_a_total_that_reads_zero_means_one_page() -> None:
    # Mailchimp's shape without `total_items`: what the first page holds is all there is
    fetch = Recorder(lambda offset: {"members": [1, 2, 3]})
    pages = by_offset(fetch, under("members"), total=lambda body: int(body.get("total_items") or 0))
    assert list(every_item(pages)) == [1, 2, 3]
    assert fetch.asked == [0]


def test_cursors_are_followed_until_a_body_gives_none() -> None:
    bodies = {None: ("a", [1, 2]), "a": ("b", [3]), "b": ("", [4])}
    fetch = Recorder(lambda cursor: {"data": bodies[cursor][1], "meta": {"next_cursor": bodies[cursor][0]}})
    pages = by_cursor(fetch, under("data"), next_cursor=lambda body: body["meta"]["next_cursor"])
    assert list(every_item(pages)) == [1, 2, 3, 4]
    assert fetch.asked == [None, "a", "b"]


def test_next_urls_are_followed_as_the_vendor_wrote_them() -> None:
    first = "https://api.example/v1/Things?PageSize=2"
    second = "https://api.example/v1/Things?PageSize=2&Page=1&PageToken=PAx"
    bodies = {first: {"things": [1, 2], "meta": {"next_page_url": second}},
              second: {"things": [3], "meta": {"next_page_url": None}}}
    fetch = Recorder(lambda url: bodies[url])
    pages = by_next_url(first, fetch, under("things"), next_url=lambda body: body["meta"]["next_page_url"])
    assert list(every_item(pages)) == [1, 2, 3]
    assert fetch.asked == [first, second]


def test_paginators_are_lazy_and_a_caller_that_stops_early_asks_no_more() -> None:
    fetch = numbered(1000, 10)
    pages = by_page_number(fetch, under("data"), last_page=last_page_of)
    assert fetch.asked == []  # nothing until the first item is wanted
    items = every_item(pages)
    assert [next(items) for _ in range(11)] == list(range(11))
    assert fetch.asked == [1, 2]


def test_pages_keep_their_body_for_what_is_side_loaded() -> None:
    fetch = Recorder(lambda offset: {"fields": [{"id": 1}], "fieldOptions": [{"field": 1}], "meta": {"total": "1"}})
    [page] = by_offset(fetch, under("fields"), total=lambda body: int(body["meta"]["total"]))
    assert page == Page({"fields": [{"id": 1}], "fieldOptions": [{"field": 1}], "meta": {"total": "1"}},
                        [{"id": 1}])


@pytest.mark.parametrize("body", [{}, {"data": None}, {"data": []}, None, "not json"])
def test_a_page_without_its_list_is_empty(body: Any) -> None:
    assert under("data")(body) == []


# -- the write table -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(IDEMPOTENT_METHODS))
def test_reads_and_replacing_writes_are_safe_to_repeat(method: str) -> None:
    assert WRITES.idempotent(method)
    assert not WRITES.idempotent(method, False)  # a call that says otherwise is believed


def test_a_post_is_not_safe_to_repeat_unless_the_call_says_so() -> None:
    assert not WRITES.idempotent("POST")
    assert WRITES.idempotent("POST", True)  # an upsert, a batch of upserts


@pytest.mark.parametrize(("error", "worth_another_try"), [
    (RateLimited("429", retry_after=3), True),
    (Unavailable("503"), True),
    (Unreachable("refused", kind="refused"), True),
    (ConnectionLost("dropped", kind="dropped"), True),
    (AmbiguousWrite("dropped after sending", kind="dropped"), False),
    (VendorValidationError("422"), False),
    (NotFound("404"), False),
    (AuthError("401"), False),
    (ValueError("a bug"), False),
])
def test_which_failures_are_retried(error: Exception, worth_another_try: bool) -> None:
    assert retryable(error) is worth_another_try


def test_a_write_answered_500_may_have_happened() -> None:
    refusal = default_error("vendor", 500, {"message": "Internal"}, {})
    ambiguous = WRITES.refusal(refusal, status=500, idempotent=False, provider="vendor")
    assert isinstance(ambiguous, AmbiguousWrite) and not retryable(ambiguous)
    assert (ambiguous.message, ambiguous.status, ambiguous.provider) == ("HTTP 500: Internal", 500, "vendor")
    assert WRITES.refusal(refusal, status=500, idempotent=True, provider="vendor") is refusal
    unavailable = default_error("vendor", 503, {"message": "Busy"}, {})
    assert WRITES.refusal(unavailable, status=503, idempotent=False, provider="vendor") is unavailable


def test_a_lost_answer_leaves_only_a_write_that_is_not_idempotent_ambiguous() -> None:
    assert lost_answer_ambiguous(False) and not lost_answer_ambiguous(True)
    dropped = requests.exceptions.ChunkedEncodingError("connection broken")
    url = "https://api.example/things"
    write = connection_error(dropped, provider="vendor", method="POST", url=url, idempotent=False)
    read = connection_error(dropped, provider="vendor", method="GET", url=url, idempotent=True)
    assert isinstance(write, AmbiguousWrite) and write.kind == "dropped"
    assert type(read) is ConnectionLost and read.kind == "dropped"
    refused = requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    nothing_sent = connection_error(refused, provider="vendor", method="POST", url=url, idempotent=False)
    assert type(nothing_sent) is Unreachable and retryable(nothing_sent)  # even a write: nothing went out


def test_ambiguous_write_is_one_class_wherever_it_is_imported_from() -> None:
    assert transport_errors.AmbiguousWrite is AmbiguousWrite
    assert hub.transport.http.AmbiguousWrite is AmbiguousWrite
    assert hub.plugin.AmbiguousWrite is AmbiguousWrite
    assert issubclass(AmbiguousWrite, Unavailable)


# -- the SDK adapter --------------------------------------------------------------------------------------


@dataclass
class Answer:
    """A raw response as SDKs keep it."""

    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


class SdkError(Exception):
    """The fake SDK's own exception for an error answer: like real SDKs', without the headers."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class FakeSdk:
    """A vendor SDK: each call sends one request (`send`) and raises its own exception for an error answer."""

    def __init__(self, script: list[Answer | BaseException]) -> None:
        self.script = script
        self.send: Callable[[], Answer] = self._send

    def _send(self) -> Answer:
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    def thing(self) -> dict[str, Any]:
        answer = self.send()
        if answer.status_code >= 400:
            raise SdkError(answer.status_code, {"message": f"refused ({answer.status_code})"})
        return {"answered": answer.status_code}


class FakeAdapter(SdkAdapter):
    def __init__(self, provider: Any, script: list[Answer | BaseException]) -> None:
        super().__init__(provider)
        self.script = script
        self.builds = 0

    def build_client(self) -> FakeSdk:
        self.builds += 1
        sdk = FakeSdk(self.script)
        sdk.send = self.recorded(sdk.send)
        return sdk

    def translate(self, exc: Exception, call: SdkCall) -> Exception | None:
        if isinstance(exc, SdkError):
            return self.refused(call, exc.status, exc.body)
        return None


def make_adapter(script: list[Answer | BaseException]) -> tuple[FakeAdapter, FakeClock]:
    clock = FakeClock()
    http = HttpClient(provider="fakevendor", base_url="https://api.example", gate=GateRegistry(clock).gate(
                      "test", Limits()), clock=clock, auth_headers=dict,
                      map_error=lambda status, body, headers: default_error("fakevendor", status, body, headers),
                      buckets=lambda method, path, body: (), label="acme/fakevendor")
    provider = SimpleNamespace(name="fakevendor", settings=SimpleNamespace(timeout=5.0), http=http,
                               map_error=lambda status, body, headers: default_error("fakevendor", status, body,
                                                                                     headers))
    return FakeAdapter(provider, script), clock


def http_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage().rsplit(" (", 1)[0] for r in caplog.records if r.name == "hub.http"]


def test_the_sdk_client_is_built_once_on_first_use() -> None:
    adapter, _ = make_adapter([Answer(200) for _ in range(8)])
    assert adapter.builds == 0
    threads = [threading.Thread(target=lambda: adapter("GET", "things", lambda sdk: sdk.thing())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert adapter.builds == 1


def test_the_request_log_shows_the_status_of_the_call_just_made(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub.http")
    adapter, _ = make_adapter([Answer(201)])
    assert adapter("POST", "things", lambda sdk: sdk.thing()) == {"answered": 201}
    assert http_lines(caplog) == ["acme/fakevendor POST /things -> 201"]


def test_an_sdk_error_is_read_with_the_headers_the_sdk_dropped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub.http")
    adapter, clock = make_adapter([Answer(429, {"Retry-After": "7"}), Answer(200)])
    assert adapter("GET", "things", lambda sdk: sdk.thing()) == {"answered": 200}
    assert clock.now() == 7  # the 429's Retry-After, read from the recorded response
    assert http_lines(caplog) == ["acme/fakevendor GET /things -> 429", "acme/fakevendor GET /things -> 200"]


def test_an_sdk_error_answer_becomes_the_providers_error() -> None:
    adapter, _ = make_adapter([Answer(422)])
    with pytest.raises(VendorValidationError, match=r"HTTP 422: refused \(422\)"):
        adapter("POST", "things", lambda sdk: sdk.thing())


def test_a_dropped_connection_is_classified_and_a_write_is_never_repeated_blindly() -> None:
    adapter, _ = make_adapter([requests.exceptions.ChunkedEncodingError("broken"), Answer(200)])
    with pytest.raises(AmbiguousWrite) as lost:
        adapter("POST", "things", lambda sdk: sdk.thing())
    assert lost.value.kind == "dropped" and adapter.script == [Answer(200)]  # one attempt only

    retried, _ = make_adapter([requests.exceptions.ChunkedEncodingError("broken"), Answer(200)])
    assert retried("POST", "things", lambda sdk: sdk.thing(), idempotent=True) == {"answered": 200}  # an upsert


def test_an_sdk_write_answered_500_is_asked_about_not_repeated() -> None:
    # the vendor may have acted before failing (a text sent): repeating it could send it twice
    adapter, _ = make_adapter([Answer(500), Answer(201)])
    with pytest.raises(AmbiguousWrite):
        adapter("POST", "things", lambda sdk: sdk.thing())
    assert adapter.script == [Answer(201)]  # one attempt only
    read, _ = make_adapter([Answer(500), Answer(200)])
    assert read("GET", "things", lambda sdk: sdk.thing()) == {"answered": 200}  # a read is simply retried


def test_a_read_whose_connection_dropped_is_retried() -> None:
    adapter, _ = make_adapter([requests.exceptions.ChunkedEncodingError("broken"), Answer(200)])
    assert adapter("GET", "things", lambda sdk: sdk.thing()) == {"answered": 200}


def test_an_exception_that_is_neither_the_sdks_nor_the_networks_is_a_bug_and_raised_as_it_is() -> None:
    adapter, _ = make_adapter([])

    def broken(sdk: FakeSdk) -> Any:
        raise KeyError("a bug in the provider")

    with pytest.raises(KeyError, match="a bug in the provider"):
        adapter("GET", "things", broken)


def test_find_ids_turns_pages_until_found_or_reads_the_few_missing_one_by_one() -> None:
    listed = [{"id": str(i)} for i in range(10, 0, -1)]  # newest first, two to a page
    fetched: list[int] = []
    single: list[str] = []

    def fetch(offset: int) -> dict[str, Any]:
        fetched.append(offset)
        return {"items": listed[offset:offset + 2]}

    def pages() -> Iterator[Page[dict[str, str]]]:
        return by_offset(fetch, under("items"), size=2)

    def left(page: Page[dict[str, str]], read: int) -> int:
        return (len(listed) - read + 1) // 2

    def one(i: str) -> dict[str, str] | None:
        single.append(i)
        return {"id": i} if i != "99" else None  # 99: the vendor no longer has it

    assert set(find_ids({"10", "9"}, pages(), one, pages_left=left)) == {"10", "9"}
    assert (fetched, single) == ([0], [])  # both on the first page: no more requests
    fetched.clear()
    assert len(find_ids({"8", "7", "6", "5", "4", "3"}, pages(), one, pages_left=left)) == 6
    assert (fetched, single) == ([0, 2, 4], ["3", "4"])  # pages while more are missing than pages left
    fetched.clear()
    single.clear()
    assert set(find_ids({"9", "1", "99"}, pages(), one, pages_left=left)) == {"9", "1"}
    assert fetched == [0] and single == ["1", "99"]  # two missing, four pages left: read on their own
