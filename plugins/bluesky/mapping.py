"""Pure translation of a neutral `SocialPost` into Bluesky's `app.bsky.feed.post` record, and back.

Bluesky counts a post's length in graphemes (what a reader sees as one character: an emoji with a skin tone is
one) and bytes: at most 300 graphemes and 3,000 UTF-8 bytes. Rich text (links, mentions, hashtags) is not
parsed by the network: the record carries "facets", each naming a range of the text by UTF-8 *byte* offsets.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from hub.plugin import SocialPost, is_url

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_IMAGE_BYTES = 1_000_000  # uploadBlob's limit for an image embed
POST = "app.bsky.feed.post"

# A URL runs to the next space; trailing punctuation belongs to the sentence, not the link.
_URL = re.compile(r"https?://[^\s<>\"]+")
_URL_TRAILING = ".,;:!?)]}'\""
# @handle.domain (a handle is a domain name); preceded by start or a non-word character
_MENTION = re.compile(r"(?<![\w@])@([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]{1,63})+)")
_TAG = re.compile(r"(?<![\w#&])#([^\s#\d\W][^\s#]{0,63}|\d+[^\s#\d\W][^\s#]{0,62})")
_TAG_TRAILING = ".,;:!?)]}'\""


def graphemes(text: str) -> int:
    """How many graphemes Bluesky counts in `text`."""
    return len(_graphemes().findall(text))


def byte_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of character `index` in `text`."""
    return len(text[:index].encode("utf-8"))


def post_text(post: SocialPost) -> str:
    """The text Bluesky shows: a content warning is written before the text (Bluesky has no spoiler text; its
    labels cover adult content only), and a link goes at the end when an image takes the embed."""
    text = post.text
    if post.content_warning:
        text = f"CW: {post.content_warning.strip()}\n\n{text}"
    if post.link and post.image and post.link not in text:
        text = f"{text}\n{post.link}"
    return text


def embed_kind(post: SocialPost) -> str | None:
    """"images" with an image, "external" (a link card) with a link and no image, else None."""
    if post.image:
        return "images"
    if post.link:
        return "external"
    return None


def card_title(link: str) -> str:
    """The link card's title: the link's host (hub does not fetch the page for its title)."""
    return urlsplit(link).hostname or link


def notes(post: SocialPost) -> list[str]:
    """What Bluesky cannot post as written."""
    out = []
    if post.visibility != "public":
        out.append(f"Bluesky posts are public: visibility '{post.visibility}' is not kept")
    if post.content_warning:
        out.append("Bluesky has no content warning: it is written before the text ('CW: ...')")
    if post.link and not post.image:
        out.append(f"the link card's title is the link's host ({card_title(post.link)}), without a description")
    if post.image and is_url(post.image):
        out.append("Bluesky takes an image file from the client's folder, not a URL")
    return out


def payload(post: SocialPost, at: str) -> dict[str, Any]:
    """The comparable form of the post (what hub records and compares): the text as posted, its languages, its
    embed, and when (`at`: UTC "2026-12-01T09:00:00Z", or "now")."""
    kind = embed_kind(post)
    return {
        "text": post_text(post),
        "langs": [post.language] if post.language else [],
        "embed": kind,
        "link": post.link if kind == "external" else None,
        "image": post.image if kind == "images" else None,
        "alt": post.alt if kind == "images" else "",
        "at": at,
    }


def mention_handles(text: str) -> list[str]:
    """The handles `text` mentions (resolved to DIDs by the api before a record is made)."""
    return sorted({m[1].lower() for m in _MENTION.finditer(text)})


def facets(text: str, dids: Mapping[str, str]) -> list[dict[str, Any]]:
    """Links, mentions (those whose handle resolved: `dids`) and hashtags of `text`, as facets with UTF-8 byte
    ranges, in text order."""
    found: list[tuple[int, int, dict[str, Any]]] = []
    taken: list[tuple[int, int]] = []
    for m in _URL.finditer(text):
        url = m[0].rstrip(_URL_TRAILING)
        found.append((m.start(), m.start() + len(url), {"$type": "app.bsky.richtext.facet#link", "uri": url}))
        taken.append((m.start(), m.start() + len(url)))

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for m in _MENTION.finditer(text):
        did = dids.get(m[1].lower())
        if did and free(m.start(), m.end()):
            found.append((m.start(), m.end(), {"$type": "app.bsky.richtext.facet#mention", "did": did}))
    for m in _TAG.finditer(text):
        tag = m[1].rstrip(_TAG_TRAILING)
        end = m.start() + 1 + len(tag)
        if tag and free(m.start(), end):
            found.append((m.start(), end, {"$type": "app.bsky.richtext.facet#tag", "tag": tag}))
    found.sort(key=lambda f: f[0])
    return [{"index": {"byteStart": byte_offset(text, s), "byteEnd": byte_offset(text, e)}, "features": [feature]}
            for s, e, feature in found]


def record(want: Mapping[str, Any], created_at: str, dids: Mapping[str, str],
           blob: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    """The `app.bsky.feed.post` record for a payload (`want`), made at `created_at` under `key`; `blob` is the
    uploaded image's blob reference (for an "images" embed)."""
    text = want["text"]
    out: dict[str, Any] = {"$type": POST, "text": text, "createdAt": created_at, MARK: mark_for(key)}
    found = facets(text, dids)
    if found:
        out["facets"] = found
    if want.get("langs"):
        out["langs"] = list(want["langs"])
    if want.get("embed") == "images" and blob is not None:
        out["embed"] = {"$type": "app.bsky.embed.images", "images": [{"alt": want.get("alt") or "", "image": blob}]}
    elif want.get("embed") == "external" and want.get("link"):
        link = want["link"]
        out["embed"] = {"$type": "app.bsky.embed.external",
                        "external": {"uri": link, "title": card_title(link), "description": ""}}
    return out


def project(value: Mapping[str, Any]) -> dict[str, Any]:
    """A record as Bluesky holds it, in the comparable form of `payload` (without `at` and the image's path,
    which the network does not keep)."""
    embed = value.get("embed") or {}
    kind = {"app.bsky.embed.images": "images", "app.bsky.embed.external": "external"}.get(embed.get("$type", ""))
    images = embed.get("images") or [{}]
    return {
        "text": value.get("text", ""),
        "langs": list(value.get("langs") or []),
        "embed": kind,
        "link": (embed.get("external") or {}).get("uri") if kind == "external" else None,
        "alt": images[0].get("alt", "") if kind == "images" else "",
    }


def comparable(want: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a payload Bluesky shows back (see `project`)."""
    return {k: want.get(k) for k in ("text", "langs", "embed", "link", "alt")}


# -- idempotency ---------------------------------------------------------------------------------------------
# Every post hub makes carries this extra field: a digest of the key naming what it posts ("campaign
# acme/main/launch", or the runner's key), so that reading the author's records back finds the post an earlier
# attempt made. Records keep fields their lexicon does not name (Bridgy Fed's posts carry `bridgyOriginalUrl`);
# the digest says nothing about the client beyond what the post itself shows.
MARK = "hubKey"
_B32 = "234567abcdefghijklmnopqrstuvwxyz"  # the TID alphabet (base32-sortable)


def mark_for(key: str) -> str:
    """The value of `MARK` in the post hub makes under `key`."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def tid_time(rkey: str) -> datetime | None:
    """When a TID record key was minted (its top 53 bits are microseconds since the epoch), or None for a key
    that is not a TID."""
    if len(rkey) != 13 or any(c not in _B32 for c in rkey) or rkey[0] not in _B32[:16]:
        return None
    value = 0
    for c in rkey:
        value = value * 32 + _B32.index(c)
    return datetime.fromtimestamp((value >> 10) / 1_000_000, UTC)


def written_at(rkey: str, value: Mapping[str, Any]) -> datetime | None:
    """When a record was written, as far as the repo tells: its TID key's time, else its `createdAt`."""
    when = tid_time(rkey)
    if when is not None:
        return when
    try:
        return datetime.fromisoformat(str(value.get("createdAt", "")).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def rkey_of(uri: str) -> str:
    """The record key of an at:// URI ("at://did/collection/rkey")."""
    return uri.rsplit("/", 1)[-1]


def iso_now(now: datetime) -> str:
    """A record's `createdAt`: ISO 8601 UTC with milliseconds, as Bluesky's apps write it."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@functools.cache
def _graphemes() -> Any:
    """Unicode's extended grapheme clusters, as Bluesky counts them (`regex`, imported when a post is counted)."""
    import regex

    return regex.compile(r"\X")
