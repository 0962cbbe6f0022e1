"""Validation of social posts with the real Mastodon and Bluesky providers: every problem names the file and line
of the post, counts the way the network counts (a URL is 23 characters on Mastodon; Bluesky counts graphemes, an
emoji with a skin tone as one), and says what would be right."""

from __future__ import annotations

from pathlib import Path

import pytest
from workspace_fixtures import line_of, load, problems_of, write_files

from hub.errors import Problem
from hub.plugins import make_plugins

CLIENT = """\
    name: Lotus Flow Yoga
    accounts:
      masto:
        provider: mastodon
        base_url: https://mastodon.example
        access_token: env:YOGA_MASTODON
      sky:
        provider: bluesky
        handle: lotus.bsky.social
        app_password: env:YOGA_BLUESKY
"""
CAMPAIGN = "clients/yoga/campaigns/news.yaml"


def workspace(tmp_path: Path, social: str, *, image: bool = False) -> Path:
    files = {"hub.yaml": "version: 1\ntimezone: Europe/London\n", "clients/yoga/client.yaml": CLIENT,
             "clients/yoga/audience.yaml": "lists: [{id: members, name: Members}]\n",
             CAMPAIGN: "name: News\nschedule: draft\nsocial:\n" + social}
    root = write_files(tmp_path, files)
    if image:
        (root / "clients/yoga/timetable.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    return root


def problems(root: Path) -> list[Problem]:
    return problems_of(root, make_plugins().registry)


def at_text(root: Path, found: list[Problem], needle: str) -> Problem:
    """The one problem whose message has `needle`, checked to point at the post in the campaign file."""
    hits = [p for p in found if needle in p.message]
    assert len(hits) == 1, "\n".join(str(p) for p in found)
    assert hits[0].file == CAMPAIGN and hits[0].line == line_of(root, CAMPAIGN, "social:"), str(hits[0])
    return hits[0]


def test_a_501_character_mastodon_post_is_refused_with_its_line(tmp_path: Path) -> None:
    root = workspace(tmp_path, f"  text: {'a' * 501}\n  accounts: [masto]\n")
    problem = at_text(root, problems(root), "501")
    assert "500" in problem.message and "mastodon" in problem.message.lower()


def test_mastodon_counts_a_url_as_23_characters(tmp_path: Path) -> None:
    url = "https://lotusflow.example/" + "timetable/" * 20  # 226 characters, counted as 23
    root = workspace(tmp_path, f"  text: {'a' * 470} {url}\n  accounts: [masto]\n")  # 470 + 1 + 23 = 494
    load(root, make_plugins().registry)
    root = workspace(tmp_path, f"  text: {'a' * 477} {url}\n  accounts: [masto]\n")  # 477 + 1 + 23 = 501
    at_text(root, problems(root), "501")


def test_a_301_grapheme_bluesky_post_is_refused_counting_an_emoji_as_one(tmp_path: Path) -> None:
    waving = "\U0001f44b\U0001f3fd"  # waving hand with a skin tone: two code points, one grapheme
    root = workspace(tmp_path, f"  text: {waving * 300}\n  accounts: [sky]\n")
    load(root, make_plugins().registry)
    root = workspace(tmp_path, f"  text: {waving * 301}\n  accounts: [sky]\n")
    problem = at_text(root, problems(root), "301")
    assert "300" in problem.message and "bluesky" in problem.message.lower()


def test_an_override_shortens_the_post_for_one_network(tmp_path: Path) -> None:
    root = workspace(tmp_path, f"  text: {'a' * 400}\n  overrides:\n    bluesky: {{text: Short for Bluesky}}\n")
    load(root, make_plugins().registry)  # 400 fits Mastodon; Bluesky posts its own text


def test_an_image_without_alt_text_is_a_warning_on_its_line(tmp_path: Path) -> None:
    root = workspace(tmp_path, "  text: New timetable\n  image: timetable.png\n", image=True)
    ws = load(root, make_plugins().registry)
    [warning] = [w for w in ws.warnings if "alt" in w.message]
    assert (warning.file, warning.line) == (CAMPAIGN, line_of(root, CAMPAIGN, "image:"))
    assert "`alt:`" in warning.message


def test_what_every_network_needs_is_checked_with_file_and_line(tmp_path: Path) -> None:
    root = workspace(tmp_path, "  text: Hi {{ first_name }}\n  link: lotusflow.example\n  image: missing.png\n"
                               "  alt: The timetable\n  accounts: [masto, nope]\n  overrides:\n"
                               "    twitter: {text: Hi}\n")
    found = {p.line: p.message for p in problems(root) if p.file == CAMPAIGN}
    expect = {"text:": "cannot be personalised", "link:": "not a web address", "image:": "is not a file",
              "accounts:": "'nope' is not an account", "twitter:": "neither an account"}
    for needle, message in expect.items():
        line = line_of(root, CAMPAIGN, needle)
        assert message in found.get(line, ""), (needle, found)


@pytest.mark.parametrize("account", ["masto", "sky"])
def test_an_image_given_as_a_url_is_refused_for_networks_that_upload_it(tmp_path: Path, account: str) -> None:
    root = workspace(tmp_path, f"  text: New timetable\n  image: https://lotusflow.example/t.png\n"
                               f"  alt: The timetable\n  accounts: [{account}]\n")
    found = [p for p in problems(root) if p.file == CAMPAIGN]
    assert found and all("folder" in p.message for p in found), found
