"""Contacts read from a client's contact files, kept checked between commands (in the state folder's `cache/`).

Reading and checking 64,000 contacts (CSV, addresses, phone numbers) takes seconds, and every `plan`, `status`
and `validate` needs them. A client's checked file contacts are saved once its files load without a problem, keyed
by everything their checks depend on: the bytes of audience.yaml (lists, tags, field types, the files named and
how) and of every contact file, the client's country, and hub's own checking code and its libraries. Any change
to one of them is a miss, and the files are read and checked again. A cache that cannot be written (a read-only
workspace) or read is simply not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..model import Consent, ConsentStatus, Contact, FieldType

FORMAT = 2
_CHECKING_CODE = ("workspace/contact_files.py", "workspace/contact_cache.py", "workspace/validate.py",
                  "workspace/checks.py", "model/audience.py", "model/base.py")
_LIBRARIES = ("email-validator", "phonenumbers", "pydantic")
_code_digest: str | None = None


def checking_code() -> str:
    """What the checks are made of: hub's checking modules and the libraries they use (a new version of
    phonenumbers may judge a number differently)."""
    global _code_digest
    if _code_digest is None:
        h = hashlib.sha256(b"%d" % FORMAT)
        package = Path(__file__).resolve().parent.parent
        for rel in _CHECKING_CODE:
            h.update((package / rel).read_bytes())
        for lib in _LIBRARIES:
            with contextlib.suppress(metadata.PackageNotFoundError):
                h.update(f"{lib}={metadata.version(lib)}".encode())
        _code_digest = h.hexdigest()
    return _code_digest


class ContactCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._keys: dict[tuple[Path, tuple[str, ...], str | None], str | None] = {}

    def key(self, folder: Path, files: list[str], country: str | None) -> str | None:
        """The key of a client's file contacts, or None when a file cannot be read (no caching then)."""
        asked = (folder, tuple(files), country)
        if asked not in self._keys:  # (asked twice of the same files: whether to check them ahead, then to load)
            self._keys[asked] = self._key(folder, files, country)
        return self._keys[asked]

    def _key(self, folder: Path, files: list[str], country: str | None) -> str | None:
        h = hashlib.sha256(checking_code().encode())
        h.update((country or "").encode() + b"\0")
        try:
            for name in ["audience.yaml", *files]:
                data = (folder / name).read_bytes()
                h.update(b"%d:%s\0%d:" % (len(name), name.encode(), len(data)))
                h.update(data)
        except OSError:
            return None
        return h.hexdigest()

    def _path(self, client: str) -> Path:
        return self.directory / f"contacts-{client}.json"

    def writable(self) -> bool:
        """Whether contacts can be saved here (a read-only workspace keeps none)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.directory):
                return True
        except OSError:
            return False

    def holds(self, client: str, key: str) -> bool:
        """Whether the client's checked file contacts are saved under `key`."""
        try:
            with self._path(client).open(encoding="utf-8") as fh:
                return fh.readline().strip() == key
        except (OSError, ValueError):
            return False

    def load(self, client: str, key: str, types: dict[str, FieldType]) -> tuple[list[Contact], list[Problem]] | None:
        """The client's checked file contacts and the warnings about their files, when saved under `key`."""
        try:
            with self._path(client).open(encoding="utf-8") as fh:
                if fh.readline().strip() != key:
                    return None
                doc = json.load(fh)
            dates = {fid for fid, kind in types.items() if kind is FieldType.DATE}
            contacts = [_contact(row, dates) for row in doc["contacts"]]
            warnings = [Problem(file, line, message) for file, line, message in doc["warnings"]]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        return contacts, warnings

    def save(self, client: str, key: str, contacts: list[Contact], warnings: list[Problem]) -> None:
        rows = [_row(c) for c in contacts]
        text = key + "\n" + json.dumps({"contacts": rows, "warnings": [[w.file, w.line, w.message] for w in warnings]})
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f"contacts-{client}", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, self._path(client))
            except OSError:
                os.unlink(tmp)
                raise


def _row(c: Contact) -> list[Any]:
    """A contact as a JSON array of its values in a fixed order (`_contact` reads it back): a third the size of
    an object with its keys, and as much quicker to write and read."""
    consent = c.consent
    fields = {k: v.isoformat() if isinstance(v, date) else v for k, v in c.fields.items()} if c.fields else None
    return [c.source, c.email, c.phone, c.first_name, c.last_name, c.timezone, c.lists, c.tags, fields,
            consent.email.value, consent.sms.value if consent.sms is not None else None,
            consent.opted_in_at.isoformat() if consent.opted_in_at is not None else None, consent.opt_in_ip]


def _contact(row: list[Any], dates: set[str]) -> Contact:
    """A contact `_row` wrote, made without checking again: it holds what the checks made of it once already
    (date fields, which JSON wrote as text, become dates again)."""
    source, email, phone, first, last, timezone, lists, tags, fields, email_consent, sms_consent, at, ip = row
    if fields and dates:
        for fid in dates.intersection(fields):
            fields[fid] = date.fromisoformat(fields[fid])
    contact = Contact.checked(
        email=email, phone=phone, first_name=first, last_name=last, timezone=timezone,
        fields=fields or {}, lists=lists, tags=tags,
        consent=Consent.shared(ConsentStatus(email_consent), ConsentStatus(sms_consent) if sms_consent else None,
                               datetime.fromisoformat(at) if at else None, ip))
    contact.located(source)
    return contact
