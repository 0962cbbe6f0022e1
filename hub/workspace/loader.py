"""Loading a workspace: every file parsed, expanded, validated, and every problem reported at once.

Layout (PRODUCT §2)::

    hub.yaml
    blueprints/<blueprint>.yaml
    clients/<client>/client.yaml
    clients/<client>/audience.yaml            (optional)
    clients/<client>/campaigns/<id>.yaml      (one campaign per file; `id` defaults to the file name)
    clients/<client>/automations/<id>.yaml    (one automation per file)
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError, Problem
from ..memory import collector_paused
from ..model import (
    Audience,
    Automation,
    Blueprint,
    Brand,
    Campaign,
    Client,
    ClientConfig,
    Contact,
    ContactFile,
    EmailContent,
    FieldDef,
    HubConfig,
    ListDef,
    SegmentDef,
    TagDef,
    Workspace,
)
from ..model.base import Model, slugify, timezone_problem
from ..model.workspace import inherit
from ..registry import ProviderRegistry
from .checks import known_region, normalise_email, scan_secrets
from .contact_cache import ContactCache
from .contact_files import read_contact_file
from .expand import Expander
from .messages import Where, allowed_keys, close_matches, data_path, did_you_mean, models_at, validation_problems
from .validate import ClientCheck, check_client, utc
from .warmup import in_forked_workers, workers_for
from .yamlpos import Path_, YamlDoc, YamlSyntaxError, parse_yaml

WORKSPACE_FILE = "hub.yaml"
SUPPORTED_VERSION = 1
YAML_SUFFIXES = (".yaml", ".yml")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
VARIABLE_NAME_RE = re.compile(r"^[A-Za-z_]\w*$")
CLIENT_FILES = ("client.yaml", "audience.yaml")
CLIENT_FOLDERS = ("campaigns", "automations")
WORKSPACE_FOLDERS = ("clients", "blueprints")
AUDIENCE_SECTIONS: dict[str, type[Model]] = {
    "lists": ListDef, "tags": TagDef, "fields": FieldDef, "segments": SegmentDef, "contacts": Contact,
    "contact_files": ContactFile,
}
log = logging.getLogger(__name__)
_NOTE_RE = re.compile(r" \(in blueprint '(?P<bp>[^']+)', as used by client '(?P<client>[^']+)' at [^)]+\)$")


def find_root(start: Path) -> Path:
    """The nearest directory, from `start` upwards, that holds a hub.yaml."""
    start = Path(start).resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        if (folder / WORKSPACE_FILE).is_file():
            return folder
    raise ConfigError(f"no {WORKSPACE_FILE} in {start} or any folder above it; create a workspace with"
                      " `hub init DIR`, or point at one with `-w DIR`")


def load_workspace(root: Path, registry: ProviderRegistry, *, now: datetime | None = None,
                   is_sent: Callable[[str, str], bool] = lambda client, campaign_id: False,
                   refuse_clients: bool = False, cache: bool = True) -> Workspace:
    """Load and validate the workspace at `root`; raise one `ConfigError` carrying every problem found.

    `now` (default: the current UTC time) decides which schedules are in the past; `is_sent(client,
    campaign_id)` exempts campaigns already sent from that check. With `refuse_clients`, a client whose own
    files (or blueprints as it uses them) have problems is left out of `clients` and listed in `refused`
    instead, so that the other clients can still be planned; problems in hub.yaml or in a blueprint file
    itself concern every client and still raise. With `cache`, contacts read from contact files are kept checked
    in the state folder for the next load (see `contact_cache`)."""
    with collector_paused():
        return _Loader(Path(root), registry, utc(now), is_sent, cache).load(refuse_clients=refuse_clients)


def yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix in YAML_SUFFIXES and not p.name.startswith("."))


def workspace_files(root: Path) -> Iterator[Path]:
    """Every file that makes up the workspace (what its digest covers)."""
    if (root / WORKSPACE_FILE).is_file():
        yield root / WORKSPACE_FILE
    for top in WORKSPACE_FOLDERS:
        folder = root / top
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(root)
                if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield path


def workspace_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(workspace_files(root), key=lambda p: p.relative_to(root).as_posix()):
        data = path.read_bytes()
        rel = path.relative_to(root).as_posix().encode()
        h.update(b"%d:%s\0%d:" % (len(rel), rel, len(data)))
        h.update(data)
    return h.hexdigest()


@dataclass
class _Item:
    """A campaign or automation as loaded, with where it came from."""

    model: Campaign | Automation
    where: Where
    use: Where | None = None  # the client.yaml `use:` entry that expanded it from a blueprint


class _Loader:
    def __init__(self, root: Path, registry: ProviderRegistry, now: datetime,
                 is_sent: Callable[[str, str], bool], use_cache: bool) -> None:
        self.root = root.resolve()
        self.use_cache = use_cache
        self.registry = registry
        self.now = now
        self.is_sent = is_sent
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.docs: list[YamlDoc] = []
        self.secret_lines: set[tuple[str, int]] = set()
        self.blueprints: dict[str, tuple[Blueprint, Where]] = {}
        self.failed_keys: set[str | int] = set()  # top-level keys that failed in the last `model(partial=True)`
        self.cache: ContactCache | None = None  # checked file contacts kept between commands
        self.prechecked: set[int] = set()  # the current client's contacts that came from the cache (by id())
        self.to_cache: tuple[str, set[int]] | None = None  # its key, and the contacts read from its files
        self.parsed: dict[Path, YamlDoc | Problem] = {}  # files parsed ahead of `read` (by `cold_contacts`)

    # -- files -------------------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def problem(self, file: str, line: int | None, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def read(self, path: Path) -> YamlDoc | None:
        parsed = self.parsed.pop(path, None) or self.parse(path)
        if isinstance(parsed, Problem):
            self.problems.append(parsed)
            return None
        for line, message in parsed.duplicates:
            self.problem(parsed.file, line, message)
        self.docs.append(parsed)
        return parsed

    def parse(self, path: Path) -> YamlDoc | Problem:
        rel = self.rel(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return Problem(rel, 1, "the file is not UTF-8 text; save it as UTF-8")
        except OSError as exc:
            return Problem(rel, None, f"cannot read the file ({exc.strerror})")
        try:
            return parse_yaml(text, rel)
        except YamlSyntaxError as exc:
            return Problem(rel, exc.line, f"{exc.message}; check the indentation, quotes and brackets around this"
                                          " line (quote text that contains ': ' or starts with a special character)")

    def mapping(self, doc: YamlDoc, what: str, *, empty_ok: bool = False) -> bool:
        if doc.data is None and empty_ok:
            doc.data = {}
        if isinstance(doc.data, dict):
            return True
        got = "empty" if doc.data is None else f"a {type(doc.data).__name__}"
        self.problem(doc.file, doc.line(), f"{what} should be a mapping of keys (`key: value` lines), but it is"
                                           f" {got}")
        return False

    def model(self, cls: type[BaseModel], where: Where, *, partial: bool = False,
              fallback: dict[str, Any] | None = None) -> Any:
        """Validate `where.data` as `cls`; on errors report them and (with `partial`) retry without the
        top-level keys that failed (plus `fallback` values), so that one bad key does not hide the rest of
        the file. `self.failed_keys` then says which keys failed."""
        self.failed_keys = set()
        try:
            return cls.model_validate(where.data)
        except ValidationError as exc:
            self.problems.extend(validation_problems(exc, where, cls))
            if not partial or not isinstance(where.data, dict):
                return None
            bad = self.failed_keys = {err["loc"][0] for err in exc.errors() if err["loc"]}
            repaired = _respell(cls, where.data, exc.errors())
            if repaired is not None:
                try:
                    return cls.model_validate(repaired)
                except ValidationError:
                    pass
            rest = {**(fallback or {}), **{k: v for k, v in where.data.items() if k not in bad}}
            try:
                return cls.model_validate(rest)
            except ValidationError:
                return None

    def unexpected_entries(self, folder: Path, files: tuple[str, ...], folders: tuple[str, ...]) -> None:
        """Report YAML files and folders whose names look like a misspelt expected one."""
        if not folder.is_dir():
            return
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("."):
                continue
            expected = folders if entry.is_dir() else files
            if entry.name in expected or (entry.is_file() and entry.suffix not in YAML_SUFFIXES):
                continue
            hint = close_matches(entry.name, expected)
            if hint:
                kind = "folder" if entry.is_dir() else "file"
                self.problem(self.rel(entry), None, f"unexpected {kind} '{entry.name}', so hub ignores it; did you"
                                                    f" mean '{hint[0]}'?")

    # -- the workspace -----------------------------------------------------------------------------
    def load(self, *, refuse_clients: bool) -> Workspace:
        hub_file = self.root / WORKSPACE_FILE
        if not hub_file.is_file():
            raise ConfigError(f"{self.root} has no {WORKSPACE_FILE}, so it is not a hub workspace; create one with"
                              f" `hub init {self.root}`")
        config = self.load_hub_config(hub_file)
        if self.use_cache:
            self.cache = ContactCache(self.root / config.state_dir / "cache")
        self.unexpected_entries(self.root, (WORKSPACE_FILE,), WORKSPACE_FOLDERS)
        for path in yaml_files(self.root / "blueprints"):
            self.load_blueprint(path)
        clients: dict[str, Client] = {}
        refused: dict[str, list[Problem]] = {}
        clients_dir = self.root / "clients"
        folders = sorted(folder for folder in clients_dir.iterdir() if folder.is_dir()
                         and not folder.name.startswith(".")) if clients_dir.is_dir() else []
        if self.cache is not None:
            self.check_contacts_ahead(folders, config)
        for folder in folders:
            client, problems = self.load_own_client(folder, config)
            if problems:
                refused[folder.name] = problems
            elif client is not None:
                clients[client.name] = client
        self.scan_secrets(self.docs)  # what is left: hub.yaml and blueprints
        everything = self.finish_problems([*self.problems, *(p for found in refused.values() for p in found)])
        if self.problems or (refused and not refuse_clients):
            raise ConfigError(everything)
        return Workspace(root=str(self.root), config=config, clients=clients, digest=workspace_digest(self.root),
                         refused={name: self.finish_problems(found) for name, found in refused.items()},
                         problems=everything, warnings=sorted(self.warnings, key=lambda p: (p.file, p.line or 0)))

    def load_own_client(self, folder: Path, hub: HubConfig) -> tuple[Client | None, list[Problem]]:
        """One client, and the problems that are its own: in its files, and in blueprints as it uses them."""
        workspace_problems, workspace_docs = self.problems, self.docs
        self.problems, self.docs = [], []
        try:
            client = self.load_client(folder, hub)
            self.scan_secrets(self.docs)
            own = self.problems
        finally:
            self.problems, self.docs = workspace_problems, workspace_docs
        return client, own

    def check_contacts_ahead(self, folders: list[Path], hub: HubConfig) -> None:
        """Clients whose checked contacts the cache lacks, checked in forked workers when worth it (`warmup`)."""
        assert self.cache is not None
        cold = {str(folder): size for folder in folders if (size := self.cold_contacts(folder))}
        workers = workers_for(cold)
        if not workers or not self.cache.writable():  # (workers leave their work in the cache, or nowhere)
            return
        global _AHEAD
        _AHEAD = (self, hub)
        try:
            in_forked_workers(_check_in_worker, cold, workers)
        finally:
            _AHEAD = None

    def cold_contacts(self, folder: Path) -> int:
        """Bytes of contact files the loader would read and check for the client of `folder` (0 when the cache has
        them checked); its client.yaml and audience.yaml are parsed for `read` to take."""
        assert self.cache is not None
        docs = {}
        for name in ("client.yaml", "audience.yaml"):
            path = folder / name
            if path.is_file():
                self.parsed[path] = docs[name] = self.parse(path)
        audience, config = docs.get("audience.yaml"), docs.get("client.yaml")
        if not isinstance(audience, YamlDoc) or not isinstance(audience.data, dict):
            return 0
        listed = audience.data.get("contact_files")
        named = [entry.get("file") if isinstance(entry, dict) else entry
                 for entry in (listed if isinstance(listed, list) else [])]
        files = [f for f in named if isinstance(f, str)]
        country = config.data.get("country") if isinstance(config, YamlDoc) and isinstance(config.data, dict) \
            else None
        if not files or len(files) < len(named):
            return 0
        key = self.cache.key(folder, files, ClientConfig.normal_country(country) if isinstance(country, str) else None)
        if key is None or self.cache.holds(folder.name, key):
            return 0
        return sum((folder / f).stat().st_size for f in files if (folder / f).is_file())

    def load_hub_config(self, path: Path) -> HubConfig:
        doc = self.read(path)
        if doc is None or not self.mapping(doc, WORKSPACE_FILE, empty_ok=True):
            return HubConfig()
        where = Where.of(doc)
        config = self.model(HubConfig, where, partial=True) or HubConfig()
        if config.version != SUPPORTED_VERSION:
            self.problems.append(where.problem(("version",), f"this hub reads workspace version {SUPPORTED_VERSION},"
                                               f" not {config.version}; write `version: {SUPPORTED_VERSION}` (or"
                                               " upgrade hub)"))
        why = timezone_problem(config.timezone)
        if why:
            self.problems.append(where.problem(("timezone",), why))
            config.timezone = "UTC"
        self.check_brand(config.brand, where)
        return config

    def load_blueprint(self, path: Path) -> None:
        doc = self.read(path)
        if doc is None or not self.mapping(doc, "a blueprint"):
            return
        where = Where.of(doc)
        if not SLUG_RE.match(path.stem):
            self.problem(doc.file, 1, f"the file name '{path.name}' is not a valid blueprint id; rename it to"
                                      f" '{slugify(path.stem)}{path.suffix}'")
        blueprint = self.model(Blueprint, where)
        if blueprint is None:
            return
        for name in blueprint.variables:
            if not VARIABLE_NAME_RE.match(name):
                self.problems.append(where.problem(("variables", name), f"variable name '{name}' cannot be used as"
                                                   " {{ vars.NAME }}; use letters, digits and '_' (e.g."
                                                   " 'discount_code')"))
        ok = True
        for section in ("campaigns", "automations"):
            for i, item in enumerate(getattr(blueprint, section)):
                if not isinstance(item.get("id"), str):
                    ok = False
                    self.problems.append(where.problem((section, i), f"each item under '{section}' in a blueprint"
                                                       " needs an 'id' (e.g. `id: welcome-series`)"))
        if ok:
            self.blueprints[path.stem] = (blueprint, where)

    # -- one client --------------------------------------------------------------------------------
    def load_client(self, folder: Path, hub: HubConfig) -> Client | None:
        name = folder.name
        rel_dir = f"clients/{name}"
        config_rel = f"{rel_dir}/client.yaml"
        self.unexpected_entries(folder, CLIENT_FILES, CLIENT_FOLDERS)
        if not (folder / "client.yaml").is_file():
            self.problem(config_rel, None, f"the client folder '{rel_dir}' has no client.yaml; add one with at least"
                                           " `name: <the client's business name>` (or remove the folder)")
            return None
        doc = self.read(folder / "client.yaml")
        if doc is None or not self.mapping(doc, "client.yaml"):
            doc = YamlDoc(file=config_rel, data={})
        config_where = Where.of(doc)
        config = self.model(ClientConfig, config_where, partial=True, fallback={"name": name}) if doc.data else None
        # parts of client.yaml that failed are reported once; checks that depend on them are skipped
        brand_ok = config is not None and "brand" not in self.failed_keys
        accounts_ok = config is not None and not {"accounts", "contact_source"} & self.failed_keys
        if config is None:
            config = ClientConfig(name=name)
        if not SLUG_RE.match(name):
            self.problem(config_rel, 1, f"the client folder name '{name}' is not a valid client id; rename the"
                                        f" folder to '{slugify(name)}' (lowercase letters, digits, '-' or '_')")
        timezone = config.timezone or hub.timezone
        if config.timezone:
            why = timezone_problem(config.timezone)
            if why:
                self.problems.append(config_where.problem(("timezone",), why))
                timezone = hub.timezone
        if config.country and not known_region(config.country):
            self.problems.append(config_where.problem(("country",), f"unknown country code '{config.country}'; use"
                                                      " an ISO 3166 alpha-2 code like GB, US or DE"))
        self.check_brand(config.brand, config_where)
        config = inherit(config, hub)

        audience, wheres, declared, skippable = self.load_audience(folder, config.country)
        field_keys = None if declared is None else audience.field_ids() | declared.get("fields", set())
        expander = Expander(name, config_rel, config.brand.values(), brand_ok, field_keys)
        items = self.load_own_items(folder, expander)
        items += self.load_blueprint_items(name, config, config_where, expander, items)
        self.problems.extend(expander.problems)

        campaigns = [i.model for i in items if isinstance(i.model, Campaign)]
        automations = [i.model for i in items if isinstance(i.model, Automation)]
        for item in items:
            wheres[id(item.model)] = item.where
            if brand_ok:
                self.check_senders(item, config_rel)
            locate(item.model, item.where)
        client = Client(name=name, dir=str(folder), config=config, timezone=timezone, audience=audience,
                        campaigns=campaigns, automations=automations)
        config.located(f"{config_rel}:1")
        ctx = ClientCheck(client=client, registry=self.registry, now=self.now, is_sent=self.is_sent,
                          config_where=config_where, audience_file=f"{rel_dir}/audience.yaml", wheres=wheres,
                          accounts_ok=accounts_ok, declared=declared or {}, audience_ok=declared is not None,
                          skippable=skippable, prechecked=self.prechecked)
        self.problems.extend(check_client(ctx))
        self.warnings.extend(ctx.warnings)
        if self.to_cache is not None and not self.problems:  # this client's own problems (see load_own_client)
            self.save_contacts(name, audience)
        self.secret_lines |= ctx.secret_lines
        return client

    def check_brand(self, brand: Brand, where: Where) -> None:
        for key in ("sender_email", "reply_to"):
            value = getattr(brand, key)
            if value:
                address, why = normalise_email(value)
                if why:
                    self.problems.append(where.problem(("brand", key), why))
                else:
                    setattr(brand, key, address)
        known = allowed_keys(Brand)
        for key in brand.model_extra or {}:
            hint = close_matches(key, known)
            if hint:
                self.problems.append(where.problem(("brand", key), f"brand key '{key}' looks like a misspelling of"
                                                   f" '{hint[0]}'; did you mean '{hint[0]}'? (custom brand keys are"
                                                   " fine, but this one is too close to a known key)"))

    def load_audience(self, folder: Path, country: str | None,
                      ) -> tuple[Audience, dict[int, Where], dict[str, set[str]] | None, set[int]]:
        """The audience made of its valid items (contacts from its contact files after those written inline),
        where each was written, every id written (valid or not; None when the file cannot be read at all), and
        the contacts read from files with `on_bad_row: skip` (by `id()`). File contacts checked by an earlier
        command come from the cache (`self.prechecked`)."""
        self.prechecked, self.to_cache = set(), None
        wheres: dict[int, Where] = {}
        declared: dict[str, set[str]] = {}
        path = folder / "audience.yaml"
        if not path.is_file():
            return Audience(), wheres, declared, set()
        doc = self.read(path)
        if doc is None or not self.mapping(doc, "audience.yaml", empty_ok=True):
            return Audience(), wheres, None, set()
        where = Where.of(doc)
        sections: dict[str, list[Any]] = {}
        for key, raw in doc.data.items():
            if key not in AUDIENCE_SECTIONS:
                self.problems.append(where.problem((key,), f"unknown key '{key}'"
                                                   + did_you_mean(key, AUDIENCE_SECTIONS, noun="allowed keys")))
                continue
            if raw is None:
                continue
            if not isinstance(raw, list):
                self.problems.append(where.problem((key,), f"'{key}' should be a list (lines starting with '- ')"))
                continue
            cls = AUDIENCE_SECTIONS[key]
            out = sections.setdefault(key, [])
            for i, item in enumerate(raw):
                if key in ("lists", "tags") and isinstance(item, str):
                    raw[i] = item = {"id": item, "name": item}  # shorthand: `tags: [vip, wholesale]`
                if key == "contact_files" and isinstance(item, str):
                    raw[i] = item = {"file": item}  # shorthand: `contact_files: [contacts.csv]`
                if key == "contacts" and isinstance(item, dict) and isinstance(item.get("phone"), int):
                    item["phone"] = str(item["phone"])
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    declared.setdefault(key, set()).add(item["id"])
                item_where = where.at(key, i)
                model = self.model(cls, item_where)
                if model is not None:
                    wheres[id(model)] = item_where
                    locate(model, item_where)
                    out.append(model)
        audience = Audience(**sections)
        audience.located(f"{doc.file}:1")
        skippable: set[int] = set()
        if audience.contact_files and self.cache is not None:
            key = self.cache.key(folder, [spec.file for spec in audience.contact_files], country)
            types = {f.id: f.type for f in audience.fields}
            cached = self.cache.load(folder.name, key, types) if key else None
            if cached is not None:
                audience.contacts += cached[0]
                self.prechecked = {id(c) for c in cached[0]}
                self.warnings += cached[1]
                return audience, wheres, declared, skippable
            self.to_cache = (key, set()) if key else None
        field_ids = audience.field_ids() | declared.get("fields", set())
        for spec in audience.contact_files:
            rows = read_contact_file(self.root, folder, spec, wheres[id(spec)], field_ids)
            self.problems += rows.problems
            self.warnings += rows.warnings
            for contact, row_where in rows.contacts:
                wheres[id(contact)] = row_where
                audience.contacts.append(contact)
                if spec.on_bad_row == "skip":
                    skippable.add(id(contact))
                if self.to_cache is not None:
                    self.to_cache[1].add(id(contact))
        return audience, wheres, declared, skippable

    def save_contacts(self, client: str, audience: Audience) -> None:
        """Keep the client's checked file contacts (and the rows its files skipped) for the next command."""
        assert self.cache is not None and self.to_cache is not None
        key, mine = self.to_cache
        files = {self.rel(self.root / "clients" / client / spec.file) for spec in audience.contact_files}
        self.cache.save(client, key, [c for c in audience.contacts if id(c) in mine],
                        [w for w in self.warnings if w.file in files])

    def load_own_items(self, folder: Path, expander: Expander) -> list[_Item]:
        items: list[_Item] = []
        for kind, cls, sub in (("campaign", Campaign, "campaigns"), ("automation", Automation, "automations")):
            for path in yaml_files(folder / sub):
                doc = self.read(path)
                if doc is None or not self.mapping(doc, f"a {kind} file"):
                    continue
                if "id" not in doc.data:
                    if not SLUG_RE.match(path.stem):
                        self.problem(doc.file, 1, f"the file name '{path.name}' is not a valid {kind} id; rename"
                                                  f" it to '{slugify(path.stem)}{path.suffix}' or set `id:` inside")
                        continue
                    doc.data["id"] = path.stem
                where = Where.of(doc)
                data = expander.expand(where)
                apply_brand_defaults(data, kind, expander.brand)
                # partial: a campaign with one broken key is still checked for everything else (the
                # workspace is not returned while any problem exists, so the partial model never escapes)
                model = self.model(cls, Where(doc, (), data), partial=True)
                if model is not None:
                    items.append(_Item(model, Where(doc, (), data)))
        return items

    def load_blueprint_items(self, client: str, config: ClientConfig, config_where: Where, expander: Expander,
                             own: list[_Item]) -> list[_Item]:
        items: list[_Item] = []
        taken: dict[tuple[str, str], _Item] = {(type(i.model).__name__, i.model.id): i for i in own}
        for n, use in enumerate(config.use):
            use_where = config_where.at("use", n)
            found = self.blueprints.get(use.blueprint)
            if found is None:
                if (self.root / "blueprints" / f"{use.blueprint}.yaml").is_file():
                    continue  # it exists but is broken: reported with the blueprint
                self.problems.append(use_where.problem(("blueprint",), f"unknown blueprint '{use.blueprint}'"
                                     + did_you_mean(use.blueprint, self.blueprints, noun="blueprints")
                                     + ("" if self.blueprints else "; add blueprints/<name>.yaml")))
                continue
            blueprint, bp_where = found
            declared = blueprint.variables
            values: dict[str, Any] = {k: v.default for k, v in declared.items() if v.default is not None}
            for key, value in use.with_.items():
                if key not in declared:
                    self.problems.append(use_where.problem(("with", key), f"blueprint '{use.blueprint}' has no"
                                         f" variable '{key}'" + did_you_mean(key, declared, noun="its variables")))
                else:
                    values[key] = value
            for key, var in declared.items():
                if var.required and key not in use.with_:
                    about = f" ({var.description})" if var.description else ""
                    self.problems.append(use_where.problem(("with",) if use.with_ else (), f"blueprint"
                                         f" '{use.blueprint}' needs variable '{key}'{about}; add `{key}: ...`"
                                         " under 'with:'"))
            note = f" (in blueprint '{use.blueprint}', as used by client '{client}' at {use_where.source()})"
            for kind, cls, section in (("campaign", Campaign, "campaigns"), ("automation", Automation, "automations")):
                for i, _raw in enumerate(getattr(blueprint, section)):
                    item_where = bp_where.at(section, i)
                    item_where = Where(item_where.doc, item_where.base, item_where.data, note)
                    data = expander.expand(item_where, vars_=values, declared=declared, use_where=use_where)
                    apply_brand_defaults(data, kind, expander.brand)
                    expanded = Where(item_where.doc, item_where.base, data, note)
                    model = self.model(cls, expanded, partial=True)
                    if model is None:
                        continue
                    item_key = (cls.__name__, model.id)
                    if item_key in taken:
                        other = taken[item_key]
                        where_other = (f"{other.where.file}" if other.use is None else
                                       f"the blueprint used at {other.use.source()}")
                        self.problems.append(use_where.problem((), f"blueprint '{use.blueprint}' adds {kind}"
                                             f" '{model.id}', but {where_other} already defines one with that id;"
                                             " give one of them another id"))
                        continue
                    item = _Item(model, expanded, use_where)
                    taken[item_key] = item
                    items.append(item)
        return items

    def check_senders(self, item: _Item, config_rel: str) -> None:
        emails: list[tuple[EmailContent, Path_]] = []
        if isinstance(item.model, Campaign) and item.model.email is not None:
            emails.append((item.model.email, ("email",)))
        if isinstance(item.model, Automation):
            emails += [(s.send_email, ("steps", i, "send_email")) for i, s in enumerate(item.model.steps)
                       if s.send_email is not None]
        for email, path in emails:
            if email.from_ is None:
                self.problems.append(item.where.problem(path, "this email has no sender; add `from: {name: ...,"
                                     f" email: ...}}`, or set sender_name and sender_email under 'brand:' in"
                                     f" {config_rel}"))

    # -- whole workspace -------------------------------------------------------------------------
    def scan_secrets(self, docs: list[YamlDoc]) -> None:
        for doc in docs:
            for path, kind in scan_secrets(doc):
                line = doc.line(path)
                if (doc.file, line) in self.secret_lines:
                    continue
                self.secret_lines.add((doc.file, line))
                key = next((p for p in reversed(path) if isinstance(p, str)), "key")
                self.problem(doc.file, line, f"this looks like {kind} written into the file; secrets never go in"
                                             f" YAML: write `{key}: env:NAME` and export NAME, or store it with"
                                             f" `hub secrets set` and write `{key}: keyring:NAME`")

    def finish_problems(self, problems: list[Problem]) -> list[Problem]:
        """Merge what a blueprint causes for several clients into one problem; sort by file and line."""
        merged: dict[tuple[str, int | None, str], list[str]] = {}
        notes: dict[tuple[str, int | None, str], str] = {}
        blueprints: dict[tuple[str, int | None, str], str] = {}
        out: list[Problem] = []
        for p in problems:
            m = _NOTE_RE.search(p.message)
            if m is None:
                out.append(p)
                continue
            key = (p.file, p.line, p.message[:m.start()])
            merged.setdefault(key, []).append(m["client"])
            notes[key] = p.message[m.start():]
            blueprints[key] = m["bp"]
        for key, clients in merged.items():
            file, line, base = key
            if len(set(clients)) == 1:
                out.append(Problem(file, line, base + notes[key]))
            else:
                bp, names = blueprints[key], ", ".join(sorted(set(clients)))
                out.append(Problem(file, line, f"{base} (in blueprint '{bp}', as used by clients {names})"))
        unique = list(dict.fromkeys(out))
        return sorted(unique, key=lambda p: (p.file, p.line or 0))


def _respell(cls: type[BaseModel], data: Any, errors: list[Any]) -> Any:
    """A copy of `data` with each unknown key renamed to the known key it looks like (or dropped), so that
    the rest of an item with a typo can still be checked; None when there is nothing to respell."""
    fixed = copy.deepcopy(data)
    changed = False
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] != "extra_forbidden" or not loc:
            continue
        parent: Any = fixed
        for part in data_path(fixed, loc[:-1]):
            parent = parent[part]
        key = loc[-1]
        if not isinstance(parent, dict) or key not in parent:
            continue
        hint = close_matches(str(key), [k for m in models_at(cls, loc[:-1]) for k in allowed_keys(m)])
        value = parent.pop(key)
        if hint and hint[0] not in parent:
            parent[hint[0]] = value
        changed = True
    return fixed if changed else None


def apply_brand_defaults(data: Any, kind: str, brand: dict[str, str] | Any) -> None:
    """Fill an email's `from`/`reply_to` and an SMS's `sender` from the brand kit where they are not given."""
    if not isinstance(data, dict):
        return
    emails: list[Any] = []
    texts: list[Any] = []
    if kind == "campaign":
        emails.append(data.get("email"))
        texts.append(data.get("sms"))
    else:
        for step in data.get("steps") or []:
            if isinstance(step, dict):
                emails.append(step.get("send_email"))
                texts.append(step.get("send_sms"))
    for email in emails:
        if not isinstance(email, dict):
            continue
        sender = email.get("from")
        if sender is None and brand.get("sender_name") and brand.get("sender_email"):
            email["from"] = {"name": brand["sender_name"], "email": brand["sender_email"]}
        elif isinstance(sender, dict):
            for key in ("name", "email"):
                if key not in sender and brand.get(f"sender_{key}"):
                    sender[key] = brand[f"sender_{key}"]
        if "reply_to" not in email and brand.get("reply_to"):
            email["reply_to"] = brand["reply_to"]
    for sms in texts:
        if isinstance(sms, dict) and "sender" not in sms and brand.get("sms_sender"):
            sms["sender"] = brand["sms_sender"]


def locate(obj: Any, where: Where, path: tuple[str | int, ...] = ()) -> None:
    """Set `.located("file:line")` on `obj` and every neutral model inside it."""
    if isinstance(obj, Model):
        obj.located(where.source(*path))
        for name, info in type(obj).model_fields.items():
            value = getattr(obj, name)
            if isinstance(value, Model | list | dict):
                locate(value, where, (*path, info.alias or name))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            if isinstance(value, Model | list | dict):
                locate(value, where, (*path, i))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, Model | list | dict):
                locate(value, where, (*path, key))


_AHEAD: tuple[_Loader, HubConfig] | None = None  # the loader a forked worker continues from


def _check_in_worker(folder: str) -> None:
    """In a forked worker: load one client, which leaves its checked contacts in the cache when its files have no
    problem. Anything else is the loader's to report."""
    assert _AHEAD is not None
    loader, hub = _AHEAD
    loader.is_sent = lambda client, campaign_id: True  # (past schedules concern campaigns, not contacts)
    try:
        loader.load_own_client(Path(folder), hub)
    except Exception as exc:  # the loader reads this client again, and reports what is wrong
        log.debug("checking the contacts of %s ahead failed: %r", folder, exc)
