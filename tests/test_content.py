"""Email content every provider shares: Markdown rendered to HTML that email clients show as meant."""

from __future__ import annotations

import re

from hub.content import email_html, email_text, render_markdown
from hub.model import EmailContent

TABLE = """\
Our opening hours:

| Day | Open | Close |
|:----|:----:|------:|
| Saturday | 08:00 | 14:00 |
| Sunday | 09:00 | {{ fields.closing | default("12:00") }} |

[Unsubscribe]({{ unsubscribe_url }})
"""


def test_markdown_tables_become_html_tables_with_inline_styles() -> None:
    html = render_markdown(TABLE)
    assert "| Day |" not in html and "|:----" not in html
    assert re.search(r'<table style="[^"]*border-collapse:\s*collapse', html)
    cells = re.findall(r"<(t[hd])( [^>]*)?>", html)
    assert len(cells) == 9 and all('style="' in attrs for _tag, attrs in cells)  # Gmail drops <style> blocks
    assert re.search(r'<th style="[^"]*text-align:\s*center[^"]*">Open</th>', html)  # column alignment kept
    assert re.search(r'<td style="[^"]*text-align:\s*right[^"]*">{{ fields.closing \| default\("12:00"\) }}</td>',
                     html)  # variables inside cells survive for the provider to translate


def test_a_table_in_an_email_reaches_its_html_and_text_parts() -> None:
    email = EmailContent(subject="Hours", body_markdown=TABLE)
    assert "<table" in email_html(email)
    text = email_text(email)
    assert "Saturday | 08:00 | 14:00" in text and "<" not in text  # a row stays a readable row
