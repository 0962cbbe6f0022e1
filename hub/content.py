"""Neutral content helpers every email provider shares: Markdown to HTML, plain-text fallback."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING

from .model import Automation, EmailContent
from .model.personalisation import ANY_BRACES_RE, MergeTagTranslator

if TYPE_CHECKING:  # markdown-it is imported on first use (CLI start-up time)
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

    RenderRule = Callable[[RendererHTML, Sequence[Token], int, OptionsDict, EnvType], str]

# Email clients drop <style> blocks (Gmail) or ignore most CSS (Outlook): tables are styled inline
TABLE_STYLE = "border-collapse:collapse;border-spacing:0;margin:0 0 16px 0"
CELL_STYLE = "border:1px solid #d0d7de;padding:6px 12px;vertical-align:top"
HEAD_STYLE = f"{CELL_STYLE};background-color:#f6f8fa;font-weight:bold"


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
    md.add_render_rule("table_open", _inline_style(TABLE_STYLE, cellpadding="6", cellspacing="0"))
    md.add_render_rule("th_open", _inline_style(HEAD_STYLE, "text-align:left"))
    md.add_render_rule("td_open", _inline_style(CELL_STYLE, "text-align:left"))
    return md


def _inline_style(style: str, align: str | None = None, **attrs: str) -> RenderRule:
    """A render rule writing `style` and `attrs` on the element; a cell keeps its column's alignment (`:---:`)."""

    def rule(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        token.attrSet("style", ";".join(str(x) for x in (style, token.attrGet("style") or align) if x))
        for name, value in attrs.items():
            token.attrSet(name, value)
        return self.renderToken(tokens, idx, options, env)

    return rule


def email_html(email: EmailContent) -> str:
    """The email's HTML body (Markdown rendered), personalisation variables left as written."""
    if email.body_html:
        return email.body_html
    return render_markdown(email.body_markdown or "")


def automation_emails(automation: Automation, tags: MergeTagTranslator) -> list[dict[str, str]]:
    """Subject and HTML of each email step, in the vendor's merge tags: what a build sheet tells the user
    to paste (email n of the sheet is item n-1)."""
    return [{"subject": tags.translate(s.send_email.subject)[0], "html": tags.translate(email_html(s.send_email))[0]}
            for s in automation.steps if s.send_email]


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
    # a table row stays one line
    text = re.sub(r"</t[hd]>\s*<t[hd][^>]*>", " | ", email_html(email), flags=re.I)
    text = re.sub(r"\s*</tr>\s*<tr[^>]*>\s*", "\n", text, flags=re.I)
    text = re.sub(r"<(br|/p|/h\d|/li)[^>]*>", "\n", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(re.sub(r"\n{3,}", "\n\n", text)).strip()
