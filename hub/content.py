"""Neutral content helpers every email provider shares: Markdown to HTML, plain-text fallback."""

from __future__ import annotations

import html
import re
from functools import cache

from .model import EmailContent
from .model.personalisation import ANY_BRACES_RE


@cache
def _markdown():  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True, "linkify": False})


def email_html(email: EmailContent) -> str:
    """The email's HTML body (Markdown rendered), personalisation variables left as written."""
    if email.body_html:
        return email.body_html
    return render_markdown(email.body_markdown or "")


def render_markdown(text: str) -> str:
    # Variables are swapped for inert tokens so Markdown neither escapes their quotes nor breaks a
    # link whose URL is `{{ unsubscribe_url }}`; they are put back afterwards.
    found: list[str] = []

    def hide(m: re.Match[str]) -> str:
        found.append(m.group(0))
        return f"hubvar{len(found) - 1}x"

    rendered = _markdown().render(ANY_BRACES_RE.sub(hide, text))
    return re.sub(r"hubvar(\d+)x", lambda m: found[int(m.group(1))], rendered)


def email_text(email: EmailContent) -> str:
    """A plain-text part: the given one, or the HTML with tags stripped."""
    if email.text:
        return email.text
    text = re.sub(r"<(br|/p|/h\d|/li)[^>]*>", "\n", email_html(email), flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(re.sub(r"\n{3,}", "\n\n", text)).strip()
