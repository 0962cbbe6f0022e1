"""`hub report --html FILE`, opened in headless Chromium: every chart renders, the page asks nothing of the network
and writes nothing to the console; a screenshot is left in the test's folder (its path is printed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium import open_page
from cli_helpers import hub

from hub.state import StateStore
from hub.state.results import FigureRow, ReportTables, SourceRow
from hub.sync.engine import state_location

EMAIL = {"sent": "emails_sent", "delivered": "emails_sent - bounces", "opens": "opens.unique_opens",
         "clicks": "clicks.unique_clicks", "bounced_hard": "bounces.hard_bounces", "unsubscribes": "unsubscribed"}
SENDS = [  # client, account, provider, channel, item, day, figures, currency
    ("bakery", "mailerlite", "mailerlite", "email", "spring-launch", "2026-10-12",
     {"sent": 1200, "delivered": 1180, "opens": 560, "clicks": 96, "bounced_hard": 8, "unsubscribes": 5,
      "complaints": 1}, ""),
    ("bakery", "mailerlite", "mailerlite", "email", "advent", "2026-11-30",
     {"sent": 1300, "delivered": 1290, "opens": 610, "clicks": 130, "bounced_hard": 4, "unsubscribes": 3,
      "complaints": 0}, ""),
    ("bakery", "sms", "sms", "sms", "saturday-bake", "2026-11-07",
     {"sent": 300, "delivered": 291, "failed": 9, "unsubscribes": 4, "cost": 2.37}, "USD"),
    ("yoga-studio", "mailchimp", "mailchimp", "email", "summer-retreat", "2026-11-12",
     {"sent": 800, "delivered": 790, "opens": 420, "opens_adjusted": 250, "clicks": 61, "bounced_hard": 3,
      "unsubscribes": 2, "complaints": 0, "revenue": 940.0}, "EUR"),
    ("yoga-studio", "mastodon", "mastodon", "social", "winter-timetable", "2026-11-01",
     {"favourites": 31, "boosts": 9, "replies": 4}, ""),
    ("law-firm", "activecampaign", "activecampaign", "email", "estate-planning-update", "2026-11-08",
     {"sent": 450, "delivered": 441, "opens": 150, "clicks": 19, "bounced_hard": 6, "unsubscribes": 1}, ""),
]
EXTRA = {"mailerlite": {"complaints": "stats.spam_count"}, "mailchimp": {"complaints": "abuse_reports",
         "opens_adjusted": "opens.proxy_excluded_unique_opens", "revenue": "ecommerce.total_revenue"},
         "sms": {}, "mastodon": {}, "activecampaign": {}}


def seed(root: Path) -> None:
    """Figures as `hub report sync` would have stored them for the example agency (in its sandbox state)."""
    store = StateStore(state_location(root, sandbox=True))
    try:
        tables = ReportTables(store)
        for n, (client, account, provider, channel, item, day, figures, currency) in enumerate(SENDS):
            declared = {m: m for m in figures} if channel != "email" else {**EMAIL, **EXTRA[provider]}
            vendor_id = f"v{n}"
            source = SourceRow(client, account, provider, channel, "campaign", item, item, vendor_id, day, declared)
            tables.replace(source, [FigureRow(client, account, provider, channel, "campaign", item, vendor_id, day,
                                              metric, value, currency if metric in ("cost", "revenue") else "",
                                              declared.get(metric, "")) for metric, value in figures.items()])
    finally:
        store.close()


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    seed(root)
    return root


def test_the_html_report_renders_every_chart_offline_without_console_errors(
        agency: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    result = hub(capsys, "report", "-w", str(agency), "--sandbox", "--html", str(page))
    assert result.code == 0, result.err
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html
    assert "@media print" in html and "UTC" in html

    shot = tmp_path / "report.png"
    seen = open_page(page, shot)
    print(f"screenshot of the HTML report: {shot}")
    assert seen.requests == [], "the report asked the network for something"
    assert seen.console == [], "the report wrote to the console"
    # a comparison, a trend per client, the channel mix, the SMS cost: each drawn, with a title and its shapes
    titles = [c["title"] for c in seen.charts]
    assert titles == ["Email open and click rates by client", "bakery: rates by month", "law-firm: rates by month",
                      "yoga-studio: rates by month", "Channel mix by client", "SMS cost by client"]
    for chart in seen.charts:
        assert chart["width"] > 100 and chart["height"] > 40 and chart["shapes"] > 3, chart
    assert "No figures to show" not in seen.html
    # every chart has its numbers in a table too (the screen reader's and the printer's)
    assert seen.html.count("<table>") == len(seen.charts) + 1
    assert "2.37 USD" in seen.html and "940.00 EUR" not in seen.html  # revenue is not SMS cost
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_browser_check_sees_a_request_and_a_console_error(tmp_path: Path) -> None:
    """The method above can fail: a page that fetches something and logs an error is caught doing both."""
    page = tmp_path / "noisy.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/pixel.png">'
                    '<script>console.error("noisy")</script><svg></svg></body></html>', encoding="utf-8")
    seen = open_page(page)
    assert seen.requests == ["http://127.0.0.1:9/pixel.png"]
    assert "noisy" in seen.console
    assert [c["shapes"] for c in seen.charts] == [0]
