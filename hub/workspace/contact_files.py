"""Contacts read from the files audience.yaml names (`contact_files:`): CSV with a header row, or JSONL.

Every row becomes a `Contact` located at `file:line`, so that the audience checks report problems there as they
do for contacts written inline. A row that cannot be read as a contact is a problem (`on_bad_row: fail`), or,
with `on_bad_row: skip`, a warning that names it and says it is left out.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem
from ..model import Contact
from ..model.audience import CONTACT_COLUMNS, IGNORE_COLUMN, ContactFile
from .messages import Where, did_you_mean, kind_message, validation_problems
from .yamlpos import YamlDoc

_IDS_SEPARATOR = re.compile(r"[;,|\s]+")
_CONSENT_COLUMNS = {"email_consent": "email", "sms_consent": "sms", "opted_in_at": "opted_in_at",
                    "opt_in_ip": "opt_in_ip"}
_CONSENT_OF = {v: k for k, v in _CONSENT_COLUMNS.items()}  # a consent key -> the CSV column it came from
SKIPPED = "row left out (on_bad_row: skip): "


@dataclass
class ContactRows:
    """What one contact file gave: its contacts (each with where it was written) and what was wrong."""

    contacts: list[tuple[Contact, Where]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # a CSV's contact column or field id -> its header

    def bad_row(self, problem: Problem, spec: ContactFile) -> None:
        if spec.on_bad_row == "skip":
            self.warnings.append(skipped(problem))
        else:
            self.problems.append(problem)


def skipped(problem: Problem) -> Problem:
    """A problem of a row in a file read with `on_bad_row: skip`: the row is left out, and listed."""
    return Problem(problem.file, problem.line, SKIPPED + problem.message)


def read_contact_file(root: Path, folder: Path, spec: ContactFile, spec_where: Where,
                      field_ids: set[str]) -> ContactRows:
    """The contacts of `spec` (a file in the client's `folder`); `field_ids` are the audience's custom fields,
    which CSV columns may name."""
    out = ContactRows()
    path = (folder / spec.file).resolve()
    if not path.is_relative_to(folder.resolve()):
        out.problems.append(spec_where.problem(("file",), f"'{spec.file}' is outside the client's folder; put the"
                                               " file in the client's folder (the plan covers only workspace files)"))
        return out
    rel = path.relative_to(root).as_posix()
    if not path.is_file():
        out.problems.append(spec_where.problem(("file",), f"no file '{spec.file}' in {folder.relative_to(root)}"
                                               " (contact files are relative to the client's folder)"))
        return out
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets write a byte-order mark
    except UnicodeDecodeError:
        out.problems.append(Problem(rel, None, "the file is not UTF-8 text; export it as CSV UTF-8"))
        return out
    if spec.kind == "csv":
        rows = _csv_rows(text, rel, spec, spec_where, field_ids, out)
    else:
        rows = _jsonl_rows(text, rel, spec, out)
    for line, data in rows:
        doc = YamlDoc(file=rel, data=data, lines={(): line})
        where = Where.of(doc)
        try:
            contact = Contact.model_validate(data)
        except ValidationError as exc:
            if spec.kind == "csv":
                found = [Problem(rel, line, _cell_message(err, out.headers)) for err in exc.errors()]
            else:
                found = validation_problems(exc, where, Contact)
            for problem in found:
                out.bad_row(problem, spec)
            continue
        contact.lists = _merged(spec.lists, contact.lists)
        contact.tags = _merged(spec.tags, contact.tags)
        contact.located(f"{rel}:{line}")
        out.contacts.append((contact, where))
    return out


def _merged(every: list[str], own: list[str]) -> list[str]:
    return list(dict.fromkeys([*own, *every])) if every else own


def _csv_rows(text: str, rel: str, spec: ContactFile, spec_where: Where, field_ids: set[str],
              out: ContactRows) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        out.problems.append(Problem(rel, 1, "the file is empty; its first row names the columns (e.g."
                                            " email,first_name,last_name,lists)"))
        return
    known = {*CONTACT_COLUMNS, *field_ids}
    for name in spec.columns:
        if name not in header:
            out.problems.append(spec_where.problem(("columns", name), f"column '{name}' is not in {rel}'s header"
                                                   + did_you_mean(name, header, noun="its columns")))
    targets: list[str | None] = []
    for name in header:
        target = spec.columns.get(name, name).strip()
        target = target.removeprefix("fields.") if target.startswith("fields.") else target
        if target == IGNORE_COLUMN:
            targets.append(None)
        elif target in known:
            targets.append(target)
            out.headers[target] = name
        else:
            targets.append(None)
            out.problems.append(Problem(rel, 1, f"column '{name}' is neither a contact column nor a field defined in"
                                                f" audience.yaml{did_you_mean(target, known, noun='columns')}; map it"
                                                f" in `columns:` (e.g. `\"{name}\": first_name`), or write"
                                                f" `\"{name}\": {IGNORE_COLUMN}` to leave it out"))
    if out.problems:
        return
    width = len(header)
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines at the end of an export
        if len(row) != width:
            problem = Problem(rel, number, f"this row has {len(row)} cells but the header has {width}; quote cells"
                                           " that contain commas (\"Smith, Jr.\")")
            out.bad_row(problem, spec)
            continue
        yield number, _contact_data(targets, row)


def _contact_data(targets: list[str | None], row: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    fields: dict[str, str] = {}
    consent: dict[str, str] = {}
    for target, cell in zip(targets, row, strict=True):
        value = cell.strip()
        if target is None or not value:
            continue
        if target in ("lists", "tags"):
            data[target] = [x for x in _IDS_SEPARATOR.split(value) if x]
        elif target in _CONSENT_COLUMNS:
            consent[_CONSENT_COLUMNS[target]] = value
        elif target in CONTACT_COLUMNS:
            data[target] = value
        else:
            fields[target] = value  # typed by the audience checks (numbers, dates), as written inline
    if fields:
        data["fields"] = fields
    if consent:
        data["consent"] = consent
    return data


def _cell_message(err: Any, headers: dict[str, str]) -> str:
    """A pydantic error of a CSV row, named by the column the value came from."""
    loc = tuple(err.get("loc", ()))
    if not loc:
        return kind_message(err, Contact)
    target = _CONSENT_OF.get(str(loc[1])) if loc[0] == "consent" and len(loc) > 1 \
        else str(loc[1]) if loc[0] == "fields" and len(loc) > 1 else str(loc[0])
    header = headers.get(target or "", target or "")
    return kind_message(err, Contact, key=header)


def _jsonl_rows(text: str, rel: str, spec: ContactFile, out: ContactRows) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            out.bad_row(Problem(rel, number, f"not a JSON object ({exc.msg}); each line holds one contact, like"
                                             ' {"email": "ana@example.com", "first_name": "Ana"}'), spec)
            continue
        if not isinstance(data, dict):
            out.bad_row(Problem(rel, number, "each line holds one contact as a JSON object ({...})"), spec)
            continue
        if isinstance(data.get("phone"), int):
            data["phone"] = str(data["phone"])
        yield number, data
