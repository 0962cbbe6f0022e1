"""Build sheets as files: what the consultant builds by hand in a vendor's UI, ready to follow and paste.

A plan marks an item `manual` when the vendor's API cannot build it (a MailerLite automation, an
ActiveCampaign segment, ...); its `details["build_sheet"]` says step by step how to build it in the UI and
`details["emails"]` holds each email step's subject and HTML. `write_sheets` turns every such item into

    DIR/<client>/<account>/<kind>-<id>.md             the sheet: who, why, the numbered steps
    DIR/<client>/<account>/<kind>-<id>.email-<n>.html  email n's HTML, linked from the sheet

Writing is idempotent (same plan, same bytes; unchanged files are not rewritten). An item's own files are
the only ones it removes: emails it no longer has, and its whole sheet once it is built and verified (no
longer `manual`). Nothing else in DIR is touched.

The build sheet texts refer to an email as `email_step_reference(n, client)` says, never to JSON paths;
plugins import that phrase from here so that every provider words it the same way. Pure: no vendor,
no state, no terminal.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from .sync.plan import Change, Plan

SHEETS_COMMAND = "hub sheets"
# the phrase build sheets use for an email's HTML (see email_step_reference); the sheet file links it
_REFERENCE_RE = re.compile(r"email (\d+) of this sheet \(`hub sheets[^`]*` writes it as a file\)")
_SAFE_RE = re.compile(r"[^A-Za-z0-9._@+-]+")
_MAX_NAME = 150
# what Markdown would not show as written: \ * [ ] < always; '_' only at a word's edge (intraword it is literal)
_MD_SPECIAL_RE = re.compile(r"[\\*\[\]<]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


# -- the phrase plugins use -----------------------------------------------------------------------------------


def sheets_command(client: str | None = None) -> str:
    """The command that writes a client's build sheets (every client's, when none is named)."""
    return f"{SHEETS_COMMAND} {client}" if client else SHEETS_COMMAND


def email_step_reference(n: int, client: str | None = None) -> str:
    """How a build sheet's step points at the HTML of its email `n` (1-based: `details["emails"][n - 1]`).

    >>> email_step_reference(1, "bakery")
    'email 1 of this sheet (`hub sheets bakery` writes it as a file)'
    """
    if n < 1:
        raise ValueError(f"emails are numbered from 1, not {n}")
    return f"email {n} of this sheet (`{sheets_command(client)}` writes it as a file)"


def sms_step_line(vendor: str) -> str:
    """A build sheet's line for an SMS step of an automation built at `vendor` (validation keeps such steps out of
    what a vendor runs: hub's runner carries out an automation with email and SMS steps)."""
    return f"(SMS step: not built in {vendor}; hub's runner sends it, `hub run`.)"


# -- where sheets go -----------------------------------------------------------------------------------------


def safe_name(text: str) -> str:
    """A file name for an id: kept as is when it is already safe (slugs are), otherwise every unsafe run
    (such as the '/' of `automation/contact@example.com`) becomes '_' and a short hash of the original keeps
    two different ids from landing on one file."""
    safe = _SAFE_RE.sub("_", text).lstrip(".") or "_"
    if safe == text and len(safe) <= _MAX_NAME:
        return safe
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{safe[:_MAX_NAME]}~{digest}"


def sheet_path(directory: Path, change: Change) -> Path:
    """Where `write_sheets` puts the build sheet of `change`: DIR/<client>/<account>/<kind>-<id>.md."""
    return _item_dir(directory, change) / f"{_stem(change)}.md"


def email_path(directory: Path, change: Change, n: int) -> Path:
    """Where email `n` (1-based) of `change`'s build sheet goes: beside the sheet, <kind>-<id>.email-<n>.html."""
    return _item_dir(directory, change) / f"{_stem(change)}.email-{n}.html"


def has_sheet(change: Change) -> bool:
    """Whether `change` is built by hand from a build sheet (enrolments waiting for an automation are
    manual too, but have nothing to build)."""
    return change.action == "manual" and bool(change.details.get("build_sheet"))


def _item_dir(directory: Path, change: Change) -> Path:
    return Path(directory) / safe_name(change.client) / safe_name(change.account)


def _stem(change: Change) -> str:
    return safe_name(f"{change.kind}-{change.id}")


# -- writing -----------------------------------------------------------------------------------------------


def write_sheets(plan: Plan, directory: Path, *, clients: Iterable[str] | None = None,
                 removed: list[Path] | None = None) -> list[Path]:
    """Write the build sheet (and its emails' HTML) of every manual item of `plan` that has one, for
    `clients` (all the plan's when None). Returns the sheets (.md) written, in plan order.

    Sheets of the plan's other items (built and verified since, or no longer manual) are removed, and so
    are emails a sheet no longer has; their paths are appended to `removed` when given. Items the plan does
    not mention (an account that could not be planned, another client) are left alone."""
    directory = Path(directory)
    wanted = None if clients is None else set(clients)
    written: list[Path] = []
    for change in plan.changes:
        if wanted is not None and change.client not in wanted:
            continue
        sheet = sheet_path(directory, change)
        if not has_sheet(change):
            _remove_item(sheet, keep_emails=0, removed=removed)
            continue
        emails = [_email(e) for e in change.details.get("emails") or []]
        sheet.parent.mkdir(parents=True, exist_ok=True)
        for n, (_subject, html) in enumerate(emails, start=1):
            _write(email_path(directory, change, n), html)
        _write(sheet, render_sheet(change, emails))
        _remove_item(sheet, keep_emails=len(emails), removed=removed, keep_sheet=True)
        written.append(sheet)
    return written


def render_sheet(change: Change, emails: list[tuple[str, str]] | None = None) -> str:
    """The Markdown of `change`'s build sheet; `emails` are (subject, html) as in `details["emails"]`."""
    if emails is None:
        emails = [_email(e) for e in change.details.get("emails") or []]
    stem = _stem(change)
    name = change.natural_key or change.id
    out = [f"# Build by hand: {change.kind} '{_md(name)}'", ""]
    out.append(f"- Client: {_md(change.client)}")
    out.append(f"- Account: {_md(change.account)} (provider: {_md(change.provider)})")
    out.append(f"- Item: {_code(f'{change.kind}:{change.id}')}")
    source = change.details.get("source")
    if source:
        out.append(f"- Defined in: {_code(str(source))}")
    if change.reason:
        out.append(f"- Why by hand: {_md(change.reason)}")
    out += ["", "## Steps", ""]
    out += _steps(str(change.details.get("build_sheet") or ""), stem)
    if emails:
        out += ["", "## Emails", ""]
        for n, (subject, _html) in enumerate(emails, start=1):
            file = f"{stem}.email-{n}.html"
            out.append(f"{n}. Subject: {_code(subject)}  ")
            out.append(f"   HTML: [{file}]({quote(file)})")
    missing = sorted({int(m.group(1)) for m in _REFERENCE_RE.finditer(str(change.details.get("build_sheet") or ""))
                      if int(m.group(1)) > len(emails)})
    if missing:
        out += ["", f"Note: the plan holds no HTML for email(s) {', '.join(map(str, missing))} of this sheet; copy"
                    f" it from the workspace file {_code(str(source or change.id))}."]
    out += ["", f"hub verifies what you built on the next `hub plan`; the next `{sheets_command(change.client)}` then"
                " removes this sheet.", ""]
    return "\n".join(out)


def _steps(sheet: str, stem: str) -> list[str]:
    """The sheet's lines: numbered lines as one Markdown list, the others as paragraphs around it."""
    out: list[str] = []
    in_list = False
    for raw in sheet.splitlines():
        line = raw.strip()
        if not line:
            continue
        numbered = re.match(r"(\d+)\.\s+(.*)", line)
        if numbered:
            if not in_list and out:
                out.append("")
            out.append(f"{numbered.group(1)}. {_linked(numbered.group(2), stem)}")
            in_list = True
        else:
            if out:
                out.append("")
            out.append(_linked(line, stem))
            in_list = False
    return out


def _linked(text: str, stem: str) -> str:
    """Escape a line for Markdown and turn each email reference into a link to its file."""
    parts: list[str] = []
    last = 0
    for m in _REFERENCE_RE.finditer(text):
        parts.append(_md(text[last:m.start()]))
        file = f"{stem}.email-{m.group(1)}.html"
        parts.append(f"[email {m.group(1)} of this sheet]({quote(file)}) ({_code(file)})")
        last = m.end()
    parts.append(_md(text[last:]))
    return "".join(parts)


def _md(text: str) -> str:
    """Markdown-escape text so that it shows as written (Mailchimp's `*|FNAME|*` is not emphasis, `<id>` is
    not a tag), keeping `code spans` as they are and the raw file readable: '->' and 'journey_id' stay."""
    pieces = re.split(r"(`[^`]+`)", text)
    out = "".join(p if len(p) > 1 and p.startswith("`") and p.endswith("`") else _MD_SPECIAL_RE.sub(r"\\\g<0>", p)
                  for p in pieces)
    return "\\" + out if out.startswith(("#", ">", "-", "+", "=")) else out


def _code(text: str) -> str:
    """A code span showing `text` exactly (what to copy), whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _email(item: Any) -> tuple[str, str]:
    if isinstance(item, dict):
        return str(item.get("subject") or ""), str(item.get("html") or "")
    return "", str(item)


def _write(path: Path, text: str) -> None:
    """Write `text` unless the file already holds it (idempotent; atomic, so a reader never sees half)."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_item(sheet: Path, *, keep_emails: int, removed: list[Path] | None, keep_sheet: bool = False) -> None:
    """Remove this item's own files beyond what it still has: its emails numbered above `keep_emails`, and
    the sheet itself unless `keep_sheet`."""
    folder = sheet.parent
    if not folder.is_dir():
        return
    stem = sheet.name[: -len(".md")]
    mine = re.compile(re.escape(stem) + r"\.email-(\d+)\.html")
    doomed = [] if keep_sheet else [sheet]
    doomed += sorted(p for p in folder.iterdir() if (m := mine.fullmatch(p.name)) and int(m.group(1)) > keep_emails)
    for path in doomed:
        if path.is_file():
            path.unlink()
            if removed is not None:
                removed.append(path)
