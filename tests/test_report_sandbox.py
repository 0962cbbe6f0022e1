"""`hub report` on the example agency in the sandbox, end to end: apply every client, let a month pass under hub's
runner, `hub report sync`, and every client and channel's figures equal what the simulators themselves say their
recipients did (summed on both sides). A second sync reads nothing that settled."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import hub, simulator
from test_import_common import agency  # noqa: F401  (agency: a fixture)

from hub.sync.engine import sandbox_clock
from hub_activecampaign.simulator import ActiveCampaignSimulator
from hub_bluesky.simulator import BlueskySimulator
from hub_mailchimp.simulator import MailchimpSimulator
from hub_mailerlite.simulator import MailerLiteSimulator
from hub_mastodon.simulator import MastodonSimulator
from hub_sms.simulator import TwilioSimulator

EMAIL = {("bakery", "mailerlite"): MailerLiteSimulator, ("law-firm", "activecampaign"): ActiveCampaignSimulator,
         ("yoga-studio", "mailchimp"): MailchimpSimulator}
SOCIAL = {("yoga-studio", "mastodon"): MastodonSimulator, ("yoga-studio", "bluesky"): BlueskySimulator}
EMAIL_COUNTS = ("sent", "delivered", "bounced_hard", "bounced_soft", "opens", "clicks", "unsubscribes")


def email_truth(root: Path) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for (client, account), cls in EMAIL.items():
        with simulator(root, cls, client, account) as sim:
            totals = sim.activity_totals("sandbox")
        out[client] = Counter()
        for figures in totals.values():
            out[client].update({k: figures[k] for k in EMAIL_COUNTS})
    return out


def sms_truth(root: Path) -> Counter[str]:
    with simulator(root, TwilioSimulator, "bakery", "sms") as sim:
        texts = sim.activity_totals().values()
    sent = [t for t in texts if t["status"] != "failed"]  # refused when queued: never handed to a carrier
    return Counter({"sent": len(sent), "delivered": sum(1 for t in texts if t["delivered"]),
                    "cost": round(sum(-(t["price"] or 0) for t in texts), 4)})


def social_truth(root: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for (client, account), cls in SOCIAL.items():
        with simulator(root, cls, client, account) as sim:
            for figures in sim.activity_totals("sandbox").values():
                out["posts"] += 1
                out.update({"favourites": figures["favourites"], "boosts": figures["boosts"],
                            "replies": figures["replies"]})
    return out


def report_rows(capsys: pytest.CaptureFixture[str], root: Path) -> dict[tuple[str, str], dict[str, Any]]:
    done = hub(capsys, "report", "-w", str(root), "--sandbox", "--json", "--by", "client,channel")
    assert done.code == 0, done.err
    return {(r["group"]["client"], r["group"]["channel"]): r for r in done.json()["rows"]}


def test_the_report_matches_what_the_simulators_recipients_did(agency: Path,  # noqa: F811
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    applied = hub(capsys, "apply", "-w", str(agency), "--sandbox", "--yes")
    assert applied.code == 0, applied.err
    ran = hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "30d")
    assert ran.code == 0, ran.err
    sandbox_clock(agency).advance(5 * 86400)  # every recipient has done what they will (nothing sent meanwhile)

    synced = hub(capsys, "report", "sync", "-w", str(agency), "--sandbox", "--json")
    assert synced.code == 0, synced.err
    rows = report_rows(capsys, agency)
    assert set(rows) == {("bakery", "email"), ("bakery", "sms"), ("law-firm", "email"), ("yoga-studio", "email"),
                         ("yoga-studio", "social")}

    for client, truth in email_truth(agency).items():
        counts = rows[(client, "email")]["counts"]
        assert truth["sent"] > 0, client
        assert {k: counts[k] for k in EMAIL_COUNTS} == {k: truth[k] for k in EMAIL_COUNTS}, client
    texts = sms_truth(agency)
    sms = rows[("bakery", "sms")]
    assert texts["sent"] > 0
    assert (sms["counts"]["sent"], sms["counts"]["delivered"]) == (texts["sent"], texts["delivered"])
    assert sms["amounts"]["cost"] == {"USD": pytest.approx(texts["cost"])}
    posts = social_truth(agency)
    assert posts.pop("posts") == 2  # both published (their seeded engagement may be none at all: 0 = 0 then)
    assert {k: rows[("yoga-studio", "social")]["counts"][k] for k in posts} == dict(posts)

    first = synced.json()["accounts"]
    settled = sum(a["settled"] for a in first)
    assert settled > 0  # (texts all final and priced; posts and campaigns settle later)
    again = hub(capsys, "report", "sync", "-w", str(agency), "--sandbox", "--json")
    assert again.code == 0, again.err
    accounts = again.json()["accounts"]
    assert sum(a["skipped_settled"] for a in accounts) == settled
    assert sum(a["read"] for a in accounts) == sum(a["read"] for a in first) - settled
