"""Pure translation between hub's neutral `SocialPost` and what Mastodon holds: the text as posted, how Mastodon
counts it, the comparable payload (the same form `read_live` projects scheduled and published statuses into),
and what cannot be posted exactly as written.

Counting, as Mastodon's StatusLengthValidator does: the content warning and the text together, every http(s) URL
as 23 characters whatever its length (`characters_reserved_per_url`), a mention of a remote account
`@user@domain` as `@user`, everything else one per grapheme cluster (an emoji with a skin tone is one).
"""

from __future__ import annotations

import html
import re
from typing import Any

import regex

from hub.plugin import SocialPost

MAX_CHARACTERS = 500  # mastodon.social's; an instance's own limit is read from /api/v2/instance
URL_LENGTH = 23  # characters_reserved_per_url
MAX_ALT = 1500  # media description limit (docs.joinmastodon.org/methods/media; unverified for every instance)
VISIBILITIES = ("public", "unlisted", "private", "direct")

# A URL ends before whitespace; trailing punctuation of the sentence is not part of it (as Mastodon links it).
URL = re.compile(r"https?://[^\s<>\"]+?(?=[.,:;!?)\]'\"]*(?:\s|$))")
# A remote mention: the domain part is left out of the count (and of the rendered HTML).
MENTION = re.compile(r"(?<![\w@])(@[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def compose(post: SocialPost) -> str:
    """The status text: the post's text, then its link on a line of its own unless the text already has it."""
    text = post.text.strip()
    if post.link and post.link not in text:
        text = f"{text}\n\n{post.link}" if text else post.link
    return text


_GRAPHEME = regex.compile(r"\X")


def length(text: str, url_length: int = URL_LENGTH, content_warning: str = "") -> int:
    """Characters as Mastodon counts a status: its content warning and its text, each URL `url_length`,
    `@user@domain` as `@user`, grapheme clusters."""
    counted = URL.sub("x" * url_length, text)
    counted = MENTION.sub(lambda m: m[1], counted)
    return len(_GRAPHEME.findall(content_warning + counted))


def key(text: str) -> str:
    """How a status is found again without hub's state: its text, with remote mentions reduced to `@user` and
    white space normalised, because a published status comes back as HTML that keeps neither."""
    return " ".join(MENTION.sub(lambda m: m[1], text).split())


def image_path(post: SocialPost) -> str | None:
    """The image file to upload, or None (no image, or a URL, which Mastodon cannot take)."""
    if post.image and not post.image.startswith(("http://", "https://")):
        return post.image
    return None


def payload(post: SocialPost, at: str) -> dict[str, Any]:
    """The comparable form of the status: `alt` is None without an image ("" for an image without alt text)."""
    return {
        "text": compose(post),
        "at": at,
        "visibility": post.visibility if post.visibility in VISIBILITIES else "public",
        "content_warning": post.content_warning or None,
        "language": post.language or None,
        "alt": (post.alt or "") if image_path(post) else None,
    }


def notes(post: SocialPost) -> list[str]:
    """What Mastodon cannot post as written."""
    out = []
    if post.visibility not in VISIBILITIES:
        out.append(f"visibility '{post.visibility}' does not exist on Mastodon: posted public")
    if post.image and not image_path(post):
        out.append("an image given by URL is left out (Mastodon takes only uploaded files)")
    return out


def problems(post: SocialPost, limit: int = MAX_CHARACTERS) -> list[str]:
    """Why `post` cannot go out on Mastodon (for the provider's `check_client`)."""
    out = []
    text = compose(post)
    n = length(text, content_warning=post.content_warning or "")
    if n > limit:
        warning = " with its content warning" if post.content_warning else ""
        out.append(f"the Mastodon post{warning} is {n} characters, over the limit of {limit} (each URL counts as"
                   f" {URL_LENGTH}): shorten it or give a `mastodon` override under `overrides:`")
    if not text and not post.image:
        out.append("the Mastodon post has no text and no image")
    if post.image and post.image.startswith(("http://", "https://")):
        out.append(f"the image {post.image} is a URL: Mastodon needs the file itself, put it in the client's"
                   " folder and name it relative to it")
    if len(post.alt or "") > MAX_ALT:
        out.append(f"the image's alt text is {len(post.alt)} characters, over Mastodon's limit of {MAX_ALT}")
    return out


# -- reading back -----------------------------------------------------------------------------------------------

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def plain_text(content: str) -> str:
    """A published status's HTML `content` back to plain text: paragraphs become blank lines, `<br>` a line
    break; links keep their full URL (Mastodon hides parts of it in invisible spans, which are text too)."""
    text = _PARAGRAPH.sub("\n\n", content)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text)).strip()


def to_html(text: str) -> str:
    """Plain text as Mastodon renders it (used by the simulator): escaped, paragraphs, line breaks, links."""
    paragraphs = []
    for para in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(para, quote=False)
        escaped = URL.sub(lambda m: f'<a href="{m[0]}" rel="nofollow noopener" target="_blank">{m[0]}</a>', escaped)
        escaped = MENTION.sub(lambda m: f'<span class="h-card"><a class="u-url mention">{m[1]}</a></span>', escaped)
        paragraphs.append("<p>" + escaped.replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)
