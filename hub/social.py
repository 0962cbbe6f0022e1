"""Social posts: what a campaign's `social` part (or an automation's `post_social` step) posts on one account.

Pure: the neutral `SocialPost` a provider translates, built from the workspace's `SocialContent` for one account
(its override applied, Markdown flattened to plain text, the image resolved to a file in the client's folder).
Counting characters is the network's business (Mastodon counts a URL as 23, Bluesky counts graphemes): each
provider does it in its own mapping and reports over-long posts from its `check_client`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .model import Campaign, Client
from .model.campaign import SocialContent

_LINK = re.compile(r"\[([^\]\n]+)\]\((\S+?)\)")  # [label](url)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|`)(?=\S)(.+?)(?<=\S)\1")  # **bold**, _italic_, `code`, ~~struck~~
_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_BULLET = re.compile(r"^\s*[-*+]\s+", re.MULTILINE)


def flatten_markdown(text: str) -> tuple[str, bool]:
    """`text` as plain text, and whether Markdown was flattened: links become "label (url)" (a bare URL when the
    label is the URL), emphasis and headings lose their marks, bullets become "•"."""
    flat = _LINK.sub(lambda m: m[2] if m[1].strip() == m[2] else f"{m[1]} ({m[2]})", text)
    flat = _EMPHASIS.sub(lambda m: m[2], flat)
    flat = _HEADING.sub("", flat)
    flat = _BULLET.sub("• ", flat)
    return flat, flat != text


def is_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


@dataclass(frozen=True)
class SocialPost:
    """One post on one account, as the workspace wants it (plain text: `flattened` says Markdown was removed)."""

    text: str
    link: str | None = None
    image: str | None = None  # a file path (absolute), or an https URL (for networks that take one)
    alt: str = ""
    content_warning: str | None = None
    visibility: str = "public"
    language: str | None = None
    flattened: bool = False
    source: str = ""  # where it is written ("clients/x/campaigns/y.yaml:12")


def post_for(content: SocialContent, client: Client, account: str, provider: str) -> SocialPost:
    """The post `content` makes on `account` (of provider `provider`)."""
    text, flattened = flatten_markdown(content.text_for(account, provider).strip())
    image = content.image
    if image and not is_url(image):
        image = str((Path(client.dir) / image).resolve())
    return SocialPost(text=text, link=content.link, image=image, alt=(content.alt or "").strip(),
                      content_warning=content.content_warning, visibility=content.visibility,
                      language=content.language, flattened=flattened, source=content.source)


def campaign_posts(client: Client, account: str, provider: str) -> Iterator[tuple[Campaign, SocialPost]]:
    """Each campaign with a post for `account`, and that post."""
    for c in client.campaigns:
        if c.social is not None and c.social.targets(account):
            yield c, post_for(c.social, client, account, provider)


def all_posts(client: Client, account: str, provider: str) -> Iterator[SocialPost]:
    """Every post the workspace makes on `account` (campaigns and automation steps), for validation."""
    yield from (p for _, p in campaign_posts(client, account, provider))
    for a in client.automations:
        for s in a.steps:
            if s.post_social is not None and s.post_social.targets(account):
                yield post_for(s.post_social, client, account, provider)
