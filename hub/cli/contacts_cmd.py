"""hub contacts: who is in a client's audience, as hub resolves it from the workspace files."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ._common import json_option, resolve_root, workspace_option
from ._output import data_console, emit_json, say
from .completion_cmd import complete_client

if TYPE_CHECKING:
    from ..model import Client, Contact

# how a contact's SMS consent reads, per value in --json
SMS_SHOWN = {"subscribed": "subscribed", "opted_out": "opted out (STOP)", "no_consent": "no consent",
             "shared_number": "no consent (shared number)"}
PHONE_LIKE = re.compile(r"^[+\d][\d\s().-]*$")


@click.command(short_help="Who is in a client's audience, with consent.")
@click.argument("client", shell_complete=complete_client)
@click.option("--segment", "-s", metavar="SEGMENT", help="Only the contacts in this segment (audience.yaml).")
@click.option("--list", "-l", "list_id", metavar="LIST", help="Only the members of this list.")
@click.option("--search", "-q", metavar="TEXT",
              help="Only contacts whose email, phone or name contains TEXT (ignoring case and accents).")
@json_option
@workspace_option
@click.option("--sandbox", is_flag=True, help="SMS opt-outs as the sandbox learned them (.hub/sandbox/).")
def contacts(client: str, segment: str | None, list_id: str | None, search: str | None, as_json: bool,
             workspace: Path | None, sandbox: bool) -> None:
    """One row per contact of CLIENT: email, phone, name, lists, tags, and consent per channel.

    The audience as hub resolves it from the workspace files (no vendor is asked): segments are evaluated
    with the same rules `hub apply` uses for SMS recipients, and SMS opt-outs (STOP) hub learned are read
    from its state (--sandbox: the sandbox's). Contacts that exist only in a vendor account are not shown
    (`hub import` adopts them).

    \b
    hub contacts bakery --segment sourdough-fans
    hub contacts yoga-studio --search ines --json
    """
    from ..plugins import default_plugins
    from ..sync.engine import validate_workspace

    root = resolve_root(workspace)
    ws = validate_workspace(root, default_plugins())  # a problem in hub.yaml or a blueprint raises (exit 4)
    if client in ws.refused:
        _refused(client, ws.refused[client], as_json)
    if client not in ws.clients:
        known = ", ".join(sorted({*ws.clients, *ws.refused})) or "none"
        raise click.BadParameter(f"no client '{client}' in this workspace (clients: {known})", param_hint="CLIENT")
    the_client = ws.clients[client]
    audience = the_client.audience
    if list_id is not None and list_id not in audience.list_ids():
        known = ", ".join(sorted(audience.list_ids())) or "none"
        raise click.BadParameter(f"client '{client}' has no list '{list_id}' (its lists: {known})",
                                 param_hint="--list")
    chosen = _members(the_client, list_id, segment)
    if search:
        chosen = [c for c in chosen if _found(c, search, the_client.config.country)]
    optouts = _sms_optouts(root, client, sandbox=sandbox)
    rows = [_row(c, audience.contacts, optouts) for c in chosen]
    total = len(audience.contacts)
    if as_json:
        emit_json({"client": client, "total": total, "shown": len(rows),
                   "filters": {"segment": segment, "list": list_id, "search": search}, "contacts": rows})
    elif rows:
        _table(client, rows)
    say(f"{len(rows)} of {total} contacts" + _filters(segment, list_id, search))


def _refused(client: str, problems: list[Any], as_json: bool) -> NoReturn:
    from ..errors import ExitCode, Reported

    if as_json:
        emit_json({"client": client, "refused": True,
                   "problems": [{"file": p.file, "line": p.line, "message": p.message} for p in problems]})
    for p in problems:
        say(str(p))
    say(f"client '{client}' has {len(problems)} problem(s) in its files (above), so hub does not read its audience"
        f" until they are fixed (`hub validate -c {client}` checks them again).", style="red")
    raise Reported(ExitCode.INVALID)


def _members(client: Client, list_id: str | None, segment_id: str | None) -> list[Contact]:
    """The client's contacts in the list and segment: the engine's own segment rules (`matches`), which
    are how an SMS campaign picks its recipients when no vendor is asked."""
    from ..model.segments import matches

    audience = client.audience
    found = [c for c in audience.contacts if list_id is None or list_id in c.lists]
    if segment_id is None:
        return found
    segment = next((s for s in audience.segments if s.id == segment_id), None)
    if segment is None:
        known = ", ".join(sorted(audience.segment_ids())) or "none"
        raise click.BadParameter(f"client '{client.name}' has no segment '{segment_id}' (its segments: {known})",
                                 param_hint="--segment")
    vendor_only = [r.describe() for r in segment.rules if r.engagement]
    if vendor_only:
        raise click.BadParameter(
            f"segment '{segment_id}' has rules only the vendor can answer ({'; '.join(vendor_only)}): hub cannot"
            " tell from the workspace files who is in it; see it in the vendor's account, or use --list",
            param_hint="--segment")
    return [c for c in found if matches(c, segment)]


def fold(text: str) -> str:
    """`text` without case or accents: 'Inês' and 'INES' both fold to 'ines'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _found(contact: Contact, search: str, country: str | None) -> bool:
    needle = fold(search.strip())
    name = f"{contact.first_name} {contact.last_name}".strip()
    if any(needle in fold(text) for text in (contact.email or "", name, contact.phone or "")):
        return True
    if contact.phone and PHONE_LIKE.match(search.strip()):
        # a number as people write it: "0117 496 0101" finds +441174960101, "496 0101" finds it too
        from ..workspace.checks import normalise_phone

        e164, _ = normalise_phone(search.strip(), country)
        digits = re.sub(r"\D", "", search)
        return contact.phone == e164 or (len(digits) >= 3 and digits in contact.phone)
    return False


def _sms_optouts(root: Path, client: str, *, sandbox: bool) -> dict[str, str]:
    """Numbers of this client that texted STOP (number -> when), as hub's state records them."""
    from ..state import StateStore
    from ..sync.engine import state_exists, state_location

    path = state_location(root, sandbox=sandbox)
    if not state_exists(path):  # nothing applied yet: nothing learned (and a listing creates no state)
        return {}
    store = StateStore(path)
    try:
        return store.optouts(client, "sms")
    finally:
        store.close()


def _row(contact: Contact, everyone: list[Contact], optouts: dict[str, str]) -> dict[str, Any]:
    return {"email": contact.email, "phone": contact.phone, "first_name": contact.first_name,
            "last_name": contact.last_name, "name": f"{contact.first_name} {contact.last_name}".strip(),
            "lists": list(contact.lists), "tags": list(contact.tags),
            "consent": {"email": contact.consent.email.value if contact.email else None,
                        "sms": _sms(contact, everyone, optouts)},
            "sms_opted_out_at": optouts.get(contact.phone or "")}


def _sms(contact: Contact, everyone: list[Contact], optouts: dict[str, str]) -> str | None:
    """Whether a text reaches this contact, decided as the SMS provider decides it: a number that texted STOP
    is never texted; consent belongs to the number, so every contact holding it must have given it."""
    from ..model import ConsentStatus

    phone = contact.phone
    if not phone:
        return None
    if phone in optouts:
        return "opted_out"
    status = contact.consent.sms
    if status is None:
        return "no_consent"
    if status is not ConsentStatus.SUBSCRIBED:
        return status.value  # unsubscribed, bounced, ... as the workspace says
    if any(c.phone == phone and c.consent.sms is not ConsentStatus.SUBSCRIBED for c in everyone):
        return "shared_number"
    return "subscribed"


def _table(client: str, rows: list[dict[str, Any]]) -> None:
    from rich.markup import escape

    from ._table import Column, fit, make_table

    def consent(value: str | None) -> str:
        if value is None:
            return "[dim]-[/]"
        shown = escape(SMS_SHOWN.get(value, value))
        return shown if value == "subscribed" else f"[yellow]{shown}[/]"

    cells = [{"email": escape(r["email"] or ""), "phone": escape(r["phone"] or ""), "name": escape(r["name"]),
              "lists": escape(", ".join(r["lists"])), "tags": escape(", ".join(r["tags"])),
              "email consent": consent(r["consent"]["email"]), "sms consent": consent(r["consent"]["sms"])}
             for r in rows]
    columns = [Column("email"), Column("phone"), Column("name", drop=1), Column("lists", wrap=True, drop=2,
                                                                               readable=16),
               Column("tags", wrap=True, drop=3, readable=12), Column("email consent"), Column("sms consent")]
    console = data_console()
    width = console.width
    kept = fit(columns, cells, width)
    if not any(c.name == "name" for c in kept):  # too narrow for a name column: under the email instead
        for cell, r in zip(cells, rows, strict=True):
            if r["name"]:
                cell["email"] = "\n".join(x for x in (cell["email"], f"[dim]{escape(r['name'])}[/]") if x)
    console.print(make_table(f"contacts of {client}", kept, cells, width))


def _filters(segment: str | None, list_id: str | None, search: str | None) -> str:
    parts = [f"list {list_id}" if list_id else "", f"segment {segment}" if segment else "",
             f"matching '{search}'" if search else ""]
    shown = ", ".join(p for p in parts if p)
    return f" ({shown})" if shown else ""
