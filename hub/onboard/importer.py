"""`hub import CLIENT --account NAME`: adopt an existing vendor account into the workspace (issue 14).

Like Terraform's import: it reads the account (never writes to it), writes the workspace files that describe
it, and seeds hub's state so that the next `hub plan` has nothing to do. Three steps:

1. read — the account is opened from client.yaml alone (the client's other files may not exist yet, so the
   workspace need not load), and its provider says what it holds (`VendorApi.import_account`) and who is in it
   (`VendorApi.export_contacts`), as the neutral model;
2. write — audience.yaml, contacts.csv, campaigns/*.yaml, automations/*.yaml (never over an existing file
   without `force`; nothing at all with `dry_run`);
3. seed — the workspace is loaded and planned for that account as `hub plan` would; items the planner finds
   at the vendor are recorded as adopted (what `apply` does for them without writing), contacts (planned
   against hub's state only) are recorded with the fingerprint the contact resource computes, and texts
   scheduled at the vendor go into the delivery ledger. The plan is then made again to report what is left.
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import ConfigError, NotSupported, Problem, UsageProblem
from ..model import Audience, Client, ClientConfig, ConsentStatus, Contact, HubConfig, Workspace
from ..model.workspace import inherit
from ..plugins import Plugins
from ..provider import Capability, References
from ..state import StateStore
from ..sync.accounts import Account, Accounts, Sandbox
from ..sync.engine import Session, SessionOptions, hub_dir, sandbox_clock
from ..sync.plan import Change, plan_account
from ..sync.services import bind_services
from ..workspace.loader import WORKSPACE_FILE
from . import writer as w

WRITES = ("create", "update", "delete")


@dataclass
class ImportOptions:
    client: str
    account: str
    sandbox: bool = False
    dry_run: bool = False
    force: bool = False


@dataclass
class FileReport:
    path: str  # relative to the workspace
    size: int
    what: str
    existed: bool


@dataclass
class ImportReport:
    client: str
    account: str
    provider: str
    files: list[FileReport] = field(default_factory=list)
    written: bool = False
    notes: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    adopted: int = 0  # items found at the vendor and recorded in hub's state
    contacts: int = 0  # contact records seeded
    texts: int = 0  # scheduled texts recorded in the delivery ledger
    optouts: int = 0  # numbers that opted out at the vendor, recorded so that hub never texts them
    left: list[dict[str, Any]] = field(default_factory=list)  # what the next plan still shows, if anything

    def to_json(self) -> dict[str, Any]:
        return {"client": self.client, "account": self.account, "provider": self.provider,
                "dry_run": not self.written, "files": [vars(f) for f in self.files], "notes": self.notes,
                "history": self.history, "adopted": self.adopted, "contacts": self.contacts, "texts": self.texts,
                "optouts": self.optouts,
                "next_plan": {"changes": len(self.left), "left": self.left}}


@dataclass
class _Read:
    provider: str
    found: dict[str, Any]
    contacts: list[Contact] | None  # None: the vendor holds no contacts (an SMS or social account)
    skipped: list[str]  # items a blueprint the client uses provides already
    optouts: list[str] = field(default_factory=list)  # numbers that texted STOP to the account's senders


def run_import(root: Path, plugins: Plugins, options: ImportOptions,
               progress: Callable[[str], None] = lambda text: None) -> ImportReport:
    folder = root / "clients" / options.client
    config = _client_config(root, folder, options)
    progress(f"Reading {options.client}/{options.account} ...")
    read = _read(root, plugins, folder, config, options)
    report = ImportReport(options.client, options.account, read.provider,
                          notes=list(read.found.get("notes") or []) + read.skipped,
                          history=list(read.found.get("history") or []))
    planned = _files(root, folder, config, options, read)
    report.files = [FileReport(p.path.relative_to(root).as_posix(), p.size, p.what, p.path.exists()) for p in planned]
    existing = [f.path for f in report.files if f.existed]
    if existing and not options.force and not options.dry_run:
        raise ConfigError(f"{len(existing)} file(s) exist already and are not overwritten without --force: "
                          + ", ".join(existing) + ". Move them away, or import with --force to replace them")
    if options.dry_run:
        return report
    for p in planned:
        p.path.parent.mkdir(parents=True, exist_ok=True)
        p.path.write_text(p.text, encoding="utf-8")
    report.written = True
    progress("Recording what was found in hub's state ...")
    _seed(root, plugins, options, read, report)
    return report


# -- 1. read ---------------------------------------------------------------------------------------------------


def _client_config(root: Path, folder: Path, options: ImportOptions) -> ClientConfig:
    path = folder / "client.yaml"
    if not path.is_file():
        raise UsageProblem(f"no client '{options.client}' in {root} (no {path.relative_to(root)}); create the client's"
                           " folder with a client.yaml naming the account first")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        config = ClientConfig.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path.relative_to(root)} cannot be read ({exc}); run `hub validate`") from None
    if options.account not in config.accounts:
        raise UsageProblem(f"client '{options.client}' has no account '{options.account}' (its accounts:"
                           f" {', '.join(config.accounts) or 'none'}); add it to client.yaml first")
    return config


def _hub_config(root: Path) -> HubConfig:
    try:
        return HubConfig.model_validate(yaml.safe_load((root / WORKSPACE_FILE).read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError, ValidationError):
        return HubConfig()  # reported by `hub validate`; the defaults do for reading an account


@contextmanager
def _opened(root: Path, plugins: Plugins, folder: Path, config: ClientConfig,
            options: ImportOptions) -> Iterator[Account]:
    """The account alone, opened from client.yaml (with the sandbox's simulator in its place)."""
    hub = _hub_config(root)
    client = Client(name=options.client, dir=str(folder), config=inherit(config, hub),
                    timezone=config.timezone or hub.timezone, audience=Audience())
    clock: Clock = sandbox_clock(root) if options.sandbox else SYSTEM_CLOCK
    sandbox = Sandbox(hub_dir(root) / "sandbox", clock) if options.sandbox else None
    workspace = Workspace(root=str(root), config=hub, clients={client.name: client})
    accounts = Accounts(workspace, plugins, clock, sandbox)
    with tempfile.TemporaryDirectory() as tmp:
        state = StateStore(Path(tmp) / "read.db", clock)  # reading needs no state: the real one is left alone
        try:
            account = accounts.open_one(client, options.account, config.accounts[options.account].provider)
            bind_services([account], state, plugins.registry, threading.Event())
            yield account
        finally:
            accounts.close()
            if sandbox is not None:
                sandbox.close()
            state.close()


def _read(root: Path, plugins: Plugins, folder: Path, config: ClientConfig, options: ImportOptions) -> _Read:
    with _opened(root, plugins, folder, config, options) as account:
        api = account.provider.api
        refs = References()
        try:
            found = api.import_account(refs)
        except NotSupported as exc:
            raise UsageProblem(f"{api.display_name} ({account.provider.name}): {exc.message}."
                               " Nothing was written") from None
        contacts: list[Contact] | None = None
        optouts: list[str] = []
        try:  # an account with subscribers in no group and no custom field still has them
            exported = list(api.export_contacts(refs))
        except NotSupported as exc:
            exported = []
            if Capability.CONTACTS in account.provider.capabilities:
                found.setdefault("notes", []).append(f"contacts not imported: {exc.message}")
        if Capability.CONTACTS in account.provider.capabilities:
            contacts = exported
        else:  # an SMS account's contacts are the numbers that opted out there: hub keeps honouring them
            optouts = [c.phone for c in exported if c.phone and c.consent.sms is ConsentStatus.UNSUBSCRIBED]
        if contacts is not None and config.sms_consent_field:
            contacts = [_sms_consent(c, config.sms_consent_field) for c in contacts]
        skipped = _blueprint_items(root, config, found)
        return _Read(account.provider.name, found, contacts, skipped, optouts)


def _sms_consent(contact: Contact, consent_field: str) -> Contact:
    """The workspace keeps SMS consent as consent, and hub writes it to the vendor's field itself
    (`sms_consent_field`): read back, the field's value is the contact's SMS consent."""
    value = contact.fields.get(consent_field)
    if value is None:
        return contact
    fields = {k: v for k, v in contact.fields.items() if k != consent_field}
    try:
        status = ConsentStatus(str(value).strip().lower())
    except ValueError:
        return contact
    consent = contact.consent.model_copy(update={"sms": contact.consent.sms or status})
    return contact.model_copy(update={"fields": fields, "consent": consent})


def _blueprint_items(root: Path, config: ClientConfig, found: dict[str, Any]) -> list[str]:
    """Leave out campaigns and automations that a blueprint the client uses provides already (the loader
    refuses two items with one id); returns a note for each."""
    provided: dict[str, dict[str, str]] = {"campaigns": {}, "automations": {}}
    for use in config.use:
        try:
            data = yaml.safe_load((root / "blueprints" / f"{use.blueprint}.yaml").read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for section in provided:
            for item in data.get(section) or [] if isinstance(data, dict) else []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    provided[section][item["id"]] = use.blueprint
    notes = []
    for section, ids in provided.items():
        kept = []
        for item in found.get(section) or []:
            blueprint = ids.get(item["data"]["id"])
            if blueprint is None:
                kept.append(item)
            else:
                notes.append(f"{section[:-1]} '{item['data'].get('name')}' is provided by blueprint '{blueprint}'"
                             " (client.yaml `use:`): no file written for it")
        found[section] = kept
    return notes


# -- 2. write --------------------------------------------------------------------------------------------------


def _files(root: Path, folder: Path, config: ClientConfig, options: ImportOptions, read: _Read) -> list[w.PlannedFile]:
    found = read.found
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    header = (f"Imported from the {read.provider} account '{options.account}' by `hub import` on {stamp}."
              " Edit freely: the next `hub plan` shows what an edit changes.")
    out: list[w.PlannedFile] = []
    has_audience = any(found.get(k) for k in ("lists", "tags", "fields", "segments"))
    if has_audience or read.contacts:
        text, what = w.audience_file(header, found, contacts=read.contacts is not None)
        out.append(w.PlannedFile(folder / "audience.yaml", text, what))
    if read.contacts is not None:
        field_ids = [f["id"] for f in found.get("fields") or []]
        if config.sms_consent_field in field_ids:
            field_ids.remove(config.sms_consent_field)  # carried as each contact's SMS consent
        used = [f for f in field_ids if any(f in c.fields for c in read.contacts)]
        text, n = w.contacts_file(read.contacts, used)
        statuses = sorted({c.consent.email.value for c in read.contacts})
        out.append(w.PlannedFile(folder / w.CONTACTS_FILE, text, f"{n} contacts ({', '.join(statuses) or 'none'})"))
    for section in ("campaigns", "automations"):
        for item in found.get(section) or []:
            what = section[:-1] + (": " + str(item["data"]["schedule"]) if section == "campaigns" else "")
            out.append(w.PlannedFile(folder / section / f"{item['data']['id']}.yaml", w.item_file(header, item), what))
    for extra in found.get("files") or []:
        out.append(w.PlannedFile(folder / extra["path"], extra["text"], extra.get("what", "kept for reference")))
    if found.get("history"):
        out.append(w.PlannedFile(folder / "campaigns" / f"sent-{options.account}.md", w.history_file(
            header, found["history"]), f"{len(found['history'])} sent campaign(s), summarised"))
    return out


# -- 3. seed the state -------------------------------------------------------------------------------------------


def _seed(root: Path, plugins: Plugins, options: ImportOptions, read: _Read, report: ImportReport) -> None:
    with Session(root, plugins, SessionOptions(sandbox=options.sandbox, clients=(options.client,))) as session:
        if options.client in session.workspace.refused:
            problems = session.workspace.refused[options.client]
            raise ConfigError([Problem(p.file, p.line, p.message) for p in problems] + [Problem(
                f"clients/{options.client}", None, "the imported files were written, but the client does not"
                " validate yet: fix the problems above, then run `hub import` again with --force (nothing was"
                " recorded in hub's state)")])
        account = next((a for a in session.accounts if a.name == options.account), None)
        if account is None:
            raise ConfigError(f"account '{options.client}/{options.account}' could not be opened; run `hub plan`"
                              " to see why")
        state = session.state
        run_id = "import-" + uuid.uuid4().hex[:8]
        with state.client_lock([options.client]):
            changes = plan_account(account, state, prune=False)
            found: dict[tuple[str, str], list[tuple[str, str, str, str, dict[str, Any] | None]]] = {}
            for c in changes:
                vendor_id = None
                if c.adopt and not c.writes:
                    vendor_id = c.vendor_id
                    report.adopted += 1
                elif c.kind == "contact" and c.action in ("create", "update"):
                    vendor_id = ""  # the vendor's id is found when hub next writes the contact
                    report.contacts += 1
                elif c.kind == "sms_campaign" and c.action == "create":
                    report.texts += _texts(state, account, c, read.found.get("texts") or {})
                    vendor_id = "imported"
                    report.adopted += 1
                if vendor_id is not None:
                    found.setdefault((c.provider, c.kind), []).append(
                        (c.id, c.natural_key, c.fingerprint, vendor_id, c.details.get("record")))
            for (provider, kind), items in found.items():  # two transactions a kind, however many contacts
                state.record_many(run_id, options.client, options.account, provider, kind, items)
            for number in read.optouts:
                report.optouts += state.record_optout(options.client, "sms", number, f"imported from {options.account}")
            after = plan_account(account, state, prune=False)
        report.left = [_left(c) for c in after if c.writes or c.action in ("manual", "unsupported")]


def _texts(state: StateStore, account: Account, c: Change, texts: dict[str, list[dict[str, Any]]]) -> int:
    """Texts the vendor has scheduled for this campaign, recorded in the delivery ledger as its apply would
    have (so that nobody is texted again); recipients without one are left for the next apply to text."""
    scheduled = {t["to"]: t for t in texts.get(c.id) or []}
    rows = []
    for r in c.details.get("recipients") or []:
        t = scheduled.get(r["to"])
        if t is not None and t.get("body") == r["body"]:
            rows.append((r["to"], "scheduled", t["sid"], r["fp"], t.get("send_at") or r["not_before"], "imported"))
    if rows:
        state.ledger(account.client.name, account.name).record(c.id, rows)
    return len(rows)


def _left(c: Change) -> dict[str, Any]:
    return {"kind": c.kind, "id": c.id, "action": c.action, "reason": c.reason}
