"""The yoga studio posts on Mastodon and Bluesky, end to end through the command line against the simulators:
one post per target, Mastodon's scheduled by the instance and Bluesky's held by hub and published when due (by
`hub run`), nothing posted twice however often plan, apply and run are repeated; and an automation's
`post_social` step posts once per contact who reaches it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_helpers import hub, simulator

from hub_bluesky.simulator import BlueskySimulator
from hub_mastodon.simulator import MastodonSimulator

YOGA = "yoga-studio"
TIMETABLE = "Our winter timetable starts next week"


@pytest.fixture
def agency(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("HUB_SANDBOX_TIME_SCALE", "600")
    root = tmp_path / "agency"
    assert hub(capsys, "init", str(root)).code == 0
    return root


def posts(root: Path) -> dict[str, list[str]]:
    """What each network shows: Mastodon's published and scheduled statuses, Bluesky's posts (their texts)."""
    with simulator(root, MastodonSimulator, YOGA, "mastodon") as m:
        published = [s["text"] for s in m.statuses("sandbox")]
        scheduled = [s["params"]["text"] for s in m.scheduled_statuses("sandbox")]
    with simulator(root, BlueskySimulator, YOGA, "bluesky") as b:
        sky = [p["text"] for p in b.posts("sandbox")]
    return {"mastodon": published, "mastodon scheduled": scheduled, "bluesky": sky}


def changes(capsys: pytest.CaptureFixture[str], root: Path) -> list[dict[str, Any]]:
    plan = hub(capsys, "plan", "-w", str(root), "--sandbox", "-c", YOGA, "--json")
    assert plan.code == 0, plan.err
    return [c for cl in plan.json()["clients"] for c in cl["changes"]]


def test_one_post_per_network_scheduled_or_held_then_published_once(agency: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    first = {(c["account"], c["id"]): c for c in changes(capsys, agency) if c["kind"] == "social_post"}
    assert {k: v["action"] for k, v in first.items()} == {("mastodon", "winter-timetable"): "create",
                                                          ("bluesky", "winter-timetable"): "create"}
    # the plan says who publishes each and when: the instance itself, or hub's runner for Bluesky
    assert "scheduled by Mastodon itself" in first[("mastodon", "winter-timetable")]["reason"]
    assert "held by hub" in first[("bluesky", "winter-timetable")]["reason"]
    assert "`hub run`" in first[("bluesky", "winter-timetable")]["reason"]
    applied = hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", YOGA, "--yes")
    assert applied.code == 0, applied.err
    again = [c for c in changes(capsys, agency) if c["action"] in ("create", "update", "delete")]
    assert again == [], again
    seen = posts(agency)
    assert [t.startswith(TIMETABLE) for t in seen["mastodon scheduled"]] == [True]  # scheduled by the instance
    assert seen["mastodon"] == [] and seen["bluesky"] == []  # Bluesky cannot schedule: hub holds it
    status = hub(capsys, "status", "-w", str(agency), "--sandbox", "-c", YOGA, "--json")
    held = {r["account"]: r["held"] for r in status.json()["clients"]}
    assert held["bluesky"] == 1 and held["mastodon"] == 0

    # four simulated days on, the runner publishes the held post; the instance publishes its own
    ran = hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "4d", "-c", YOGA, "--json")
    assert ran.code == 0, ran.err
    seen = posts(agency)
    assert len(seen["bluesky"]) == 1 and seen["bluesky"][0].startswith("Our winter timetable starts next week,")
    # nothing is posted again, by a plan (which reads the instance: its scheduled status has been published), an
    # apply or the runner
    assert [c for c in changes(capsys, agency) if c["action"] in ("create", "update", "delete")] == []
    seen = posts(agency)
    assert len(seen["mastodon"]) == 1 and seen["mastodon scheduled"] == []
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", YOGA, "--yes").code == 0
    assert hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "1d", "-c", YOGA).code == 0
    after = posts(agency)
    assert (len(after["bluesky"]), len(after["mastodon"]), after["mastodon scheduled"]) == (1, 1, [])
    status = hub(capsys, "status", "-w", str(agency), "--sandbox", "-c", YOGA, "--json")
    assert all(r["held"] == 0 for r in status.json()["clients"])


def test_a_post_social_step_posts_once_per_contact_who_reaches_it(agency: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (agency / "clients" / YOGA / "automations").mkdir(exist_ok=True)
    (agency / "clients" / YOGA / "automations" / "milestone.yaml").write_text(
        "name: Hundredth class\ntrigger: {event: hundredth-class}\nsteps:\n"
        "  - post_social:\n      text: One of our members just took their 100th class with us. Thank you!\n"
        "      accounts: [mastodon, bluesky]\n")
    plan = changes(capsys, agency)
    [armed] = [c for c in plan if c["kind"] == "runner_automation" and c["id"] == "milestone"]
    assert armed["fidelity"] == "exact" and "one post on mastodon, bluesky" in armed["reason"]
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", YOGA, "--yes").code == 0
    for who in ("maya.fischer@example.com", "leo.martin@example.com"):
        sent = hub(capsys, "event", YOGA, "hundredth-class", "--contact", who, "-w", str(agency), "--sandbox")
        assert sent.code == 0, sent.err
    for _ in range(2):  # a second run finds nothing left to do
        ran = hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "10m", "-c", YOGA)
        assert ran.code == 0, ran.err
    seen = posts(agency)
    thanks = "One of our members just took their 100th class with us. Thank you!"
    assert seen["mastodon"].count(thanks) == 2 and seen["bluesky"].count(thanks) == 2


def test_a_post_social_step_whose_answers_are_lost_posts_once(agency: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's post for each contact is journalled in the delivery ledger: a lost answer (the network posted,
    hub never heard), or hub stopping between the post and its settling, is asked about again with its key, never
    posted twice; a settled one is never asked again."""
    from hub.plugins import default_plugins
    from hub.runner.engine import Runner, advance
    from hub.simulator import Fault
    from hub.sync.engine import Session, SessionOptions

    (agency / "clients" / YOGA / "automations").mkdir(exist_ok=True)
    (agency / "clients" / YOGA / "automations" / "milestone.yaml").write_text(
        "name: Hundredth class\ntrigger: {event: hundredth-class}\nsteps:\n"
        "  - post_social: {text: 'A member just took their 100th class with us!', accounts: [mastodon, bluesky]}\n")
    assert hub(capsys, "apply", "-w", str(agency), "--sandbox", "-c", YOGA, "--yes").code == 0
    for who in ("maya.fischer@example.com", "leo.martin@example.com"):
        assert hub(capsys, "event", YOGA, "hundredth-class", "--contact", who, "-w", str(agency), "--sandbox").code == 0
    with Session(agency, default_plugins(), SessionOptions(sandbox=True, clients=(YOGA,))) as session:
        assert session.sandbox is not None
        runner = Runner(session)
        sims = session.sandbox.simulators
        sims[(YOGA, "mastodon")].inject(Fault("drop_after", method="POST", path_prefix="/api/v1/statuses", count=2))
        sims[(YOGA, "bluesky")].inject(Fault("drop_after", method="POST", path_prefix="/com.atproto.repo.createRecord",
                                             count=2))
        settle = session.state.record_deliveries
        stopped: list[str] = []

        def stop_once_after_posting(client: str, account: str, name: str, rows: Any) -> None:
            rows = list(rows)
            if rows[0][1] == "sent" and account not in stopped:  # the post is made; hub "dies" before settling
                stopped.append(account)
                raise RuntimeError("killed")
            settle(client, account, name, rows)

        monkeypatch.setattr(session.state, "record_deliveries", stop_once_after_posting)
        for _ in advance(runner, session.clock, 3600):  # type: ignore[arg-type]
            pass
        assert sorted(stopped) == ["bluesky", "mastodon"]
        for account in ("mastodon", "bluesky"):
            assert any(e.fault == "drop_after" for e in sims[(YOGA, account)].log), account
    assert hub(capsys, "run", "-w", str(agency), "--sandbox", "--advance", "1h", "-c", YOGA).code == 0
    seen = posts(agency)
    text = "A member just took their 100th class with us!"
    assert seen["mastodon"].count(text) == 2 and seen["bluesky"].count(text) == 2
