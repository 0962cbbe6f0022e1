from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.plugins import make_plugins
from hub.scaffold import init_workspace, template_root
from hub.workspace import load_workspace

NOW = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)


def test_init_writes_the_example_agency(tmp_path: Path) -> None:
    target = tmp_path / "agency"
    written = init_workspace(target, now=NOW)
    rel = {p.relative_to(target).as_posix() for p in written}
    assert {
        ".gitignore",
        "README.md",
        "blueprints/welcome-series.yaml",
        "clients/bakery/audience.yaml",
        "clients/bakery/automations/birthday.yaml",
        "clients/bakery/campaigns/spring-launch.yaml",
        "clients/bakery/client.yaml",
        "hub.yaml",
    } <= rel
    clients = {r.split("/")[1] for r in rel if r.startswith("clients/")}
    assert all(f"clients/{c}/client.yaml" in rel for c in clients)
    assert ".hub/" in (target / ".gitignore").read_text().splitlines()
    assert "__TODAY" not in (target / "clients/bakery/campaigns/spring-launch.yaml").read_text()


def test_the_example_validates_clean(tmp_path: Path) -> None:
    init_workspace(tmp_path, now=NOW)
    ws = load_workspace(tmp_path, make_plugins().registry, now=NOW)  # every client, with the real providers
    assert ws.config.timezone == "Europe/London"
    bakery = ws.clients["bakery"]
    assert bakery.config.name == "Rise & Shine Bakery"
    assert bakery.timezone == "Europe/London"
    assert bakery.config.accounts["mailerlite"].provider == "mailerlite"
    assert bakery.audience.list_ids() == {"newsletter", "wholesale"}
    assert {c.consent.email.value for c in bakery.audience.contacts} == {"subscribed", "unsubscribed", "bounced"}
    assert all(c.phone is None or c.phone.startswith("+44") for c in bakery.audience.contacts)
    assert sorted(c.id for c in bakery.campaigns) == ["saturday-bake", "spring-launch"]
    assert sorted(a.id for a in bakery.automations) == ["birthday", "text-club", "welcome-series"]
    welcome = next(a for a in bakery.automations if a.id == "welcome-series")
    assert welcome.trigger.joined_list == "newsletter"
    assert "WELCOME10" in (welcome.steps[3].send_email.body_markdown or "")  # type: ignore[union-attr]
    assert welcome.source.startswith("blueprints/welcome-series.yaml:")


def test_the_launch_is_always_a_few_weeks_ahead(tmp_path: Path) -> None:
    for now in (NOW, NOW + timedelta(days=400)):
        target = tmp_path / str(now.year)
        init_workspace(target, now=now)
        ws = load_workspace(target, make_plugins().registry, now=now)
        launch = next(c for c in ws.clients["bakery"].campaigns if c.id == "spring-launch")
        at = launch.schedule.at_utc("Europe/London")
        assert at is not None and timedelta(days=14) < at - now < timedelta(days=28)


def test_init_refuses_an_existing_workspace(tmp_path: Path) -> None:
    (tmp_path / "hub.yaml").write_text("version: 1\n")
    with pytest.raises(ConfigError, match="already holds a workspace"):
        init_workspace(tmp_path, now=NOW)


def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine")
    with pytest.raises(ConfigError, match="would overwrite"):
        init_workspace(tmp_path, now=NOW)
    assert (tmp_path / "README.md").read_text() == "mine"
    assert not (tmp_path / "hub.yaml").exists()


def test_init_into_a_git_repository_keeps_its_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")
    (tmp_path / "notes.txt").write_text("unrelated")
    init_workspace(tmp_path, now=NOW)
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.hub/\n"
    assert (tmp_path / "hub.yaml").is_file()


def test_templates_are_package_data() -> None:
    names = {entry.name for entry in template_root().iterdir()}
    assert {"hub.yaml", "clients", "blueprints"} <= names
