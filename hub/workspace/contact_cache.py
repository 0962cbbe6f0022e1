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
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..model import Contact, FieldType

FORMAT = 1
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

    def key(self, folder: Path, files: list[str], country: str | None) -> str | None:
        """The key of a client's file contacts, or None when a file cannot be read (no caching then)."""
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

    def load(self, client: str, key: str, types: dict[str, FieldType]) -> tuple[list[Contact], list[Problem]] | None:
        """The client's checked file contacts and the warnings about their files, when saved under `key`."""
        try:
            with self._path(client).open(encoding="utf-8") as fh:
                if fh.readline().strip() != key:
                    return None
                doc = json.load(fh)
            contacts = []
            dates = {fid for fid, kind in types.items() if kind is FieldType.DATE}
            for row, source in doc["contacts"]:
                contact = Contact.model_validate(_typed(row, dates) if dates else row)
                contact.located(source)
                contacts.append(contact)
            warnings = [Problem(file, line, message) for file, line, message in doc["warnings"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return contacts, warnings

    def save(self, client: str, key: str, contacts: list[Contact], warnings: list[Problem]) -> None:
        rows = [[_row(c), c.source] for c in contacts]
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


def _row(c: Contact) -> dict[str, Any]:
    """A contact as JSON, leaving out what is empty (pydantic's own dump is several times slower at this size)."""
    row: dict[str, Any] = {k: v for k in ("email", "phone", "first_name", "last_name", "timezone", "lists", "tags")
                           if (v := getattr(c, k))}
    if c.fields:
        row["fields"] = {k: v.isoformat() if isinstance(v, date) else v for k, v in c.fields.items()}
    consent = c.consent
    row["consent"] = {"email": consent.email.value}
    if consent.sms is not None:
        row["consent"]["sms"] = consent.sms.value
    if consent.opted_in_at is not None:
        row["consent"]["opted_in_at"] = consent.opted_in_at.isoformat()
    if consent.opt_in_ip:
        row["consent"]["opt_in_ip"] = consent.opt_in_ip
    return row


def _typed(row: dict[str, Any], dates: set[str]) -> dict[str, Any]:
    """Date fields back to dates (JSON wrote them as text, which a text field would also be)."""
    values = row.get("fields")
    if values:
        for fid in dates.intersection(values):
            if isinstance(values[fid], str):
                values[fid] = date.fromisoformat(values[fid])
    return row
