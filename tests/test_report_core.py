"""`hub report`'s core: the arithmetic (rates from summed counts, n/a coverage, currencies, --since/--by), the
tables in hub's state (on both databases) and the collection against the test vendor's simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)

from hub.clock import FakeClock
from hub.plugins import make_plugins
from hub.provider import Capability, Resource
from hub.report.aggregate import QueryError, aggregate, parse_by, parse_since
from hub.report.collect import collect, sent_by
from hub.report.figures import RATES, Metric
from hub.state import StateStore
from hub.state.journeys import Journeys
from hub.state.results import FigureRow, ReportTables, SourceRow
from hub.testing import Harness, make_client

EMAIL = {"sent": "stats.sent", "delivered": "stats.delivered", "opens": "stats.opens", "clicks": "stats.clicks"}


def src(client: str, vendor_id: str, declared: dict[str, str], *, channel: str = "email", provider: str = "ml",
        item: str = "") -> SourceRow:
    return SourceRow(client, "main", provider, channel, "campaign", item or vendor_id, item or vendor_id, vendor_id,
                     declared=declared)


def fig(client: str, vendor_id: str, day: str, metric: str, value: float, *, channel: str = "email",
        provider: str = "ml", item: str = "", currency: str = "") -> FigureRow:
    return FigureRow(client, "main", provider, channel, "campaign", item or vendor_id, vendor_id, day, metric, value,
                     currency)


def counts(client: str, vendor_id: str, day: str, provider: str = "ml", **values: float) -> list[FigureRow]:
    return [fig(client, vendor_id, day, m, v, provider=provider) for m, v in values.items()]


# -- aggregation ----------------------------------------------------------------------------------------------
def test_rates_are_computed_from_summed_counts_never_averaged() -> None:
    # a big campaign with a low open rate and a small one with a high rate: the average of the rates (50.5%) is not
    # what the client's emails did (10.9%)
    figures = counts("acme", "big", "2026-11-02", delivered=1000, opens=100, sent=1000, clicks=10) + \
        counts("acme", "small", "2026-11-03", delivered=10, opens=10, sent=10, clicks=5)
    report = aggregate(figures, [src("acme", "big", EMAIL), src("acme", "small", EMAIL)], by=("client",))
    [row] = report.rows
    assert row.counts["opens"] == 110 and row.counts["delivered"] == 1010
    assert row.rates["open_rate"] == pytest.approx(110 / 1010)
    assert row.rates["open_rate"] != pytest.approx((100 / 1000 + 10 / 10) / 2)
    assert row.rates["click_to_open"] == pytest.approx(15 / 110)
    assert set(row.rates) == set(RATES)


def test_a_metric_no_vendor_gives_is_na_and_coverage_says_who_gives_it() -> None:
    with_complaints = {**EMAIL, "complaints": "stats.spam_count", "opens_adjusted": "opens.proxy_excluded"}
    sources = [src("acme", "a", with_complaints, provider="mc"), src("acme", "b", EMAIL, provider="ac"),
               src("acme", "t", {"sent": "status", "delivered": "status", "cost": "price"}, channel="sms",
                   provider="sms")]
    figures = [*counts("acme", "a", "2026-11-02", provider="mc", sent=100, delivered=100, opens=50, clicks=5,
                       complaints=1, opens_adjusted=20),
               *counts("acme", "b", "2026-11-02", provider="ac", sent=300, delivered=300, opens=60, clicks=6),
               fig("acme", "t", "2026-11-02", "sent", 10, channel="sms", provider="sms"),
               fig("acme", "t", "2026-11-02", "delivered", 9, channel="sms", provider="sms")]
    report = aggregate(figures, sources, by=("client", "channel"))
    email, sms = report.rows
    assert email.group == {"client": "acme", "channel": "email"}
    assert email.counts["complaints"] == 1 and email.coverage["complaints"] == 0.5
    # the rate is over the sources that give both counts: not 1 complaint per 400 delivered
    assert email.rates["complaint_rate"] == pytest.approx(1 / 100)
    assert email.rates["open_rate_adjusted"] == pytest.approx(20 / 100) and email.adjusted_opens == "part"
    assert email.counts["replies"] is None and email.rates["unsubscribe_rate"] is None  # n/a, never 0
    assert email.opens_directional and not sms.opens_directional
    assert sms.counts["complaints"] is None and sms.coverage["complaints"] is None  # means nothing for texts
    assert sms.amounts["cost"] == {} and email.amounts["cost"] is None  # declared but nothing charged yet; n/a
    assert email.fields["mc"]["complaints"] == "stats.spam_count"


def test_a_declared_metric_missing_from_a_read_counts_as_zero() -> None:
    report = aggregate(counts("acme", "a", "2026-11-02", sent=10, delivered=10),
                       [src("acme", "a", {**EMAIL, "unsubscribes": "stats.unsubscribes"})], by=("client",))
    assert report.rows[0].counts["unsubscribes"] == 0 and report.rows[0].rates["unsubscribe_rate"] == 0


def test_amounts_are_kept_per_currency() -> None:
    sms = {"sent": "status", "cost": "price"}
    figures = [fig("acme", "t1", "2026-11-02", "cost", 0.75, channel="sms", currency="USD"),
               fig("acme", "t2", "2026-11-03", "cost", 0.25, channel="sms", currency="USD"),
               fig("beta", "t3", "2026-11-03", "cost", 0.5, channel="sms", currency="EUR")]
    sources = [src(c, v, sms, channel="sms") for c, v in (("acme", "t1"), ("acme", "t2"), ("beta", "t3"))]
    report = aggregate(figures, sources, by=("client",))
    assert [r.amounts["cost"] for r in report.rows] == [{"USD": 1.0}, {"EUR": 0.5}]
    assert report.total.amounts["cost"] == {"EUR": 0.5, "USD": 1.0}
    assert report.total.amounts["revenue"] is None


def test_since_and_by_month_campaign_and_clients() -> None:
    figures = counts("acme", "a", "2026-10-30", sent=5, delivered=5) + counts("acme", "b", "2026-11-02", sent=7,
                                                                               delivered=7) + \
        counts("beta", "c", "2026-11-03", sent=11, delivered=11)
    sources = [src("acme", "a", EMAIL), src("acme", "b", EMAIL), src("beta", "c", EMAIL)]
    by_month = aggregate(figures, sources, by=("month",))
    assert [(r.group["month"], r.counts["sent"]) for r in by_month.rows] == [("2026-10", 5), ("2026-11", 18)]
    since = aggregate(figures, sources, by=("campaign",), since=date(2026, 11, 1))
    assert [(r.group["campaign"], r.counts["sent"]) for r in since.rows] == [("b", 7), ("c", 11)]
    one = aggregate(figures, sources, by=("client", "month"), clients=["beta"])
    assert [r.group for r in one.rows] == [{"client": "beta", "month": "2026-11"}] and one.total.counts["sent"] == 11


def test_since_and_by_parse_what_a_user_writes() -> None:
    today = date(2026, 11, 28)
    assert parse_since("30d", today) == date(2026, 10, 30)  # today is one of the 30 days
    assert parse_since("1w", today) == date(2026, 11, 22)
    assert parse_since("2026-11-01", today) == date(2026, 11, 1) == parse_since("2026-11", today)
    with pytest.raises(QueryError, match="30d, 12w"):
        parse_since("last month", today)
    assert parse_by([]) == ("client", "channel")
    assert parse_by(["client,month", "month"]) == ("client", "month")
    with pytest.raises(QueryError, match="client, campaign, channel, month"):
        parse_by(["vendor"])


# -- storage, on both databases -------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: Any, tmp_path: Path) -> Iterator[StateStore]:
    location = tmp_path / "state.db" if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
    s = StateStore(location, FakeClock())
    yield s
    s.close()


def test_a_later_read_replaces_the_figures_never_adds(store: StateStore) -> None:
    tables = ReportTables(store)
    source = src("acme", "k1", EMAIL)
    tables.replace(source, counts("acme", "k1", "2026-11-02", sent=100, opens=10))
    tables.replace(source, counts("acme", "k1", "2026-11-02", sent=100, opens=25) +
                   counts("acme", "k1", "2026-11-03", opens=5))
    got = {(f.day, f.metric): f.value for f in tables.figures()}
    assert got == {("2026-11-02", "sent"): 100, ("2026-11-02", "opens"): 25, ("2026-11-03", "opens"): 5}
    assert [s.declared for s in tables.sources()] == [EMAIL]
    assert tables.figures(since="2026-11-03")[0].day == "2026-11-03" and tables.figures(["other"]) == []


def test_settled_sources_are_listed_per_account_and_kept_apart(store: StateStore) -> None:
    tables = ReportTables(store)
    tables.replace(SourceRow("acme", "main", "ml", "email", "campaign", "a", "A", "k1", settled=True), [])
    tables.replace(SourceRow("acme", "main", "ml", "email", "campaign", "b", "B", "k2"), [])
    tables.replace(SourceRow("beta", "main", "ml", "email", "campaign", "a", "A", "k1"), [])
    assert tables.settled("acme", "main") == {"k1"} and tables.settled("beta", "main") == set()
    # the same rows through a second store on the same database (the tables are made once)
    assert ReportTables(store).settled("acme", "main") == {"k1"}


def test_the_runners_sends_are_found_in_its_tables(store: StateStore) -> None:
    journeys = Journeys(store)
    journeys.begin_send("acme", "acme/welcome/day-3/t1/0", "welcome", "day-3", "main")
    journeys.settle_send("acme", "acme/welcome/day-3/t1/0", "sent", "K9")
    journeys.begin_send("acme", "acme/welcome/day-5/t1/0", "welcome", "day-5", "main")  # never sent
    store.record_deliveries("acme", "sms", "auto:welcome/text#1", [("+15550001", "sent", "SM1", "", "", "")])
    store.record_deliveries("acme", "sms", "auto:welcome/text#1", [("+15550002", "sent", "SM2", "", "", "")])
    store.record_deliveries("acme", "sms", "spring-sale", [("+15550001", "sent", "SM3", "", "", "")])
    tables = ReportTables(store)
    assert [(b.automation, b.step, b.vendor_id) for b in tables.step_batches("acme", "main")] == \
        [("welcome", "day-3", "K9")]
    assert [(c.name, c.texts) for c in tables.ledger_campaigns("acme", "sms", "auto:")] == [("auto:welcome/text#1", 2)]


# -- collection against the test vendor -------------------------------------------------------------------------
def _campaigns(n: int) -> list[dict[str, Any]]:
    return [{"id": f"c{i}", "name": f"Campaign {i}", "audience": {"list": "news"}, "schedule": "draft",
             "email": {"subject": f"News {i}", "from": {"name": "Acme", "email": "hi@acme.example"},
                       "body_markdown": "Hi!\n\n[Unsubscribe]({{ unsubscribe_url }})"}} for i in range(n)]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    vendor = make_plugins().registry.get("testvendor")
    client = make_client("testvendor", audience={"lists": [{"id": "news", "name": "News"}]}, campaigns=_campaigns(60))
    h = Harness(vendor, client, tmp_path, FakeClock(utc=datetime(2026, 11, 28, 12, tzinfo=UTC)))
    assert not h.apply().failed
    yield h
    h.close()


def _stats_calls(h: Harness) -> int:
    return sum(1 for e in h.simulator.log if e.path.endswith("/campaigns/stats"))


def test_collection_asks_in_the_fewest_reads_and_never_reads_settled_again(harness: Harness) -> None:
    sim: Any = harness.simulator
    ids = {r.neutral_id: r.vendor_id for r in harness.state.items(kind="email_campaign")}
    sim.set_stats(ids["c0"], sent=100, delivered=98, unique_opens=40, unique_clicks=8, day="2026-11-20", final=True)
    sim.set_stats(ids["c1"], sent=10, delivered=10, unique_opens=1)
    [done] = collect([harness.account], harness.state, harness.clock)
    assert (done.read, done.results, done.settled, done.skipped, done.failures) == (60, 60, 1, 0, [])
    assert _stats_calls(harness) == 2  # 60 campaigns, 50 a call
    tables = ReportTables(harness.state)
    c0 = {f.metric: f.value for f in tables.figures() if f.item == "c0"}
    assert c0 == {"sent": 100, "delivered": 98, "opens": 40, "clicks": 8, "bounced_hard": 0, "unsubscribes": 0}
    assert {f.field for f in tables.figures() if f.item == "c0" and f.metric == "opens"} == {"stats[].unique_opens"}

    sim.set_stats(ids["c1"], sent=10, delivered=10, unique_opens=4)
    [again] = collect([harness.account], harness.state, harness.clock)
    assert (again.read, again.skipped) == (59, 1)
    asked = [e for e in harness.simulator.log if e.path.endswith("/campaigns/stats")][-2:]
    assert all(ids["c0"] not in str(e.query) for e in asked), "a settled campaign was asked about again"
    opens = [f.value for f in tables.figures() if f.item == "c1" and f.metric == "opens"]
    assert opens == [4]  # replaced, not added to 1
    report = aggregate(tables.figures(), tables.sources())
    assert report.rows[0].counts["complaints"] is None  # the test vendor does not report complaints


def test_email_step_batches_are_read_with_the_accounts_campaigns(harness: Harness) -> None:
    sim: Any = harness.simulator
    step = sim.table("main", "campaigns").insert({"id": "K900", "name": "hub · Welcome · day-3 · t/0", "subject": "",
                                                  "body": "", "list_id": ""})
    journeys = Journeys(harness.state)
    journeys.begin_send("acme", "acme/welcome/day-3/t/0", "welcome", "day-3", "main")
    journeys.settle_send("acme", "acme/welcome/day-3/t/0", "sent", step["id"])
    sim.set_stats("K900", sent=3, delivered=3, unique_opens=2)
    [done] = collect([harness.account], harness.state, harness.clock)
    assert done.read == 61 and _stats_calls(harness) == 2  # one resource, one set of reads for all of it
    steps = [s for s in ReportTables(harness.state).sources() if s.kind == "step"]
    assert [(s.item, s.vendor_id) for s in steps] == [("welcome/day-3", "K900")]


def test_sms_steps_and_campaigns_are_asked_by_their_ledger_names(tmp_path: Path) -> None:
    class Texts(Resource):
        kind = "sms_campaign"
        capability = Capability.SMS_CAMPAIGNS
        reports = {Metric.SENT: "status"}

    class Other(Resource):
        kind = "list"
        capability = Capability.LISTS

    store = StateStore(tmp_path / "state.db")
    try:
        api = SimpleNamespace(vendor=SimpleNamespace(channels=frozenset()))
        account: Any = SimpleNamespace(client=SimpleNamespace(name="acme"), name="sms",
                                       provider=SimpleNamespace(resources=[Other(api), Texts(api)]))  # type: ignore[arg-type]
        store.record_many("r", "acme", "sms", "sms", "sms_campaign", [
            ("sale", "sale", "fp", "3 sent", {"send_at": "2026-11-01T10:00:00+00:00"}),  # the vendor id: a summary
            ("later", "later", "fp", "2 scheduled", {"send_at": "2026-12-24T10:00:00Z"})])  # not sent yet
        store.record_deliveries("acme", "sms", "auto:welcome/text#1", [("+15550001", "sent", "SM1", "", "", "")])
        work, skipped = sent_by(account, store, ReportTables(store), datetime(2026, 11, 28, tzinfo=UTC), set())
        [(res, sents)] = work.values()
        assert isinstance(res, Texts) and skipped == 0
        assert [(s.kind, s.item, s.vendor_id, s.channel) for s in sents] == [
            ("campaign", "sale", "sale", "sms"), ("step", "welcome/text", "auto:welcome/text#1", "sms")]
    finally:
        store.close()
