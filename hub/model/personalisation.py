"""Neutral personalisation: `{{ first_name | default("friend") }}` and friends.

hub resolves what it knows per client (`brand.*`, blueprint `vars.*`) when it loads the workspace; what
varies per recipient (`first_name`, `unsubscribe_url`, `fields.<key>`) is translated by each provider into
its own merge-tag syntax through a `MergeTagTranslator`, or rendered by hub for SMS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

# {{ name }} or {{ name | default("x") }} / default('x')
VARIABLE_RE = re.compile(
    r"\{\{\s*(?P<name>[A-Za-z_][\w.]*)\s*(?:\|\s*default\(\s*(?P<q>[\"'])(?P<default>.*?)(?P=q)\s*\)\s*)?\}\}"
)
ANY_BRACES_RE = re.compile(r"\{\{.*?\}\}")

CONTACT_VARIABLES = ("first_name", "last_name", "email", "phone")
LINK_VARIABLES = ("unsubscribe_url", "web_url")


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None
    start: int
    end: int

    @property
    def namespace(self) -> str:
        return self.name.split(".", 1)[0] if "." in self.name else ""

    @property
    def key(self) -> str:
        return self.name.split(".", 1)[1] if "." in self.name else self.name


def find_variables(text: str) -> list[Variable]:
    return [Variable(m["name"], m["default"], m.start(), m.end()) for m in VARIABLE_RE.finditer(text)]


def malformed_placeholders(text: str) -> list[str]:
    """`{{ ... }}` blocks that are not a variable with an optional default()."""
    good = {(v.start, v.end) for v in find_variables(text)}
    return [m.group(0) for m in ANY_BRACES_RE.finditer(text) if (m.start(), m.end()) not in good]


def substitute(text: str, replace: Callable[[Variable], str | None]) -> str:
    """Replace each variable by `replace(var)`; a None answer leaves it as written."""
    out, pos = [], 0
    for var in find_variables(text):
        new = replace(var)
        if new is not None:
            out.append(text[pos:var.start])
            out.append(new)
            pos = var.end
    out.append(text[pos:])
    return "".join(out)


def resolve_static(text: str, brand: Mapping[str, object], vars_: Mapping[str, object]) -> str:
    """Fill in `brand.*` and `vars.*` (known per client); leave per-recipient variables alone."""

    def value(var: Variable) -> str | None:
        source = {"brand": brand, "vars": vars_}.get(var.namespace)
        if source is None:
            return None
        found = source.get(var.key)
        if found in (None, ""):
            return var.default if var.default is not None else None
        return str(found)

    return substitute(text, value)


def is_recipient_variable(var: Variable, field_keys: set[str]) -> bool:
    if var.namespace == "fields":
        return var.key in field_keys
    return not var.namespace and (var.name in CONTACT_VARIABLES or var.name in LINK_VARIABLES)


class MergeTagTranslator:
    """What a provider implements to carry neutral variables into its own syntax.

    `tag(var)` returns the vendor merge tag for a variable, or None when the vendor has no equivalent
    (hub then reports a validation error instead of leaving a blank in a customer's inbox).
    """

    def tag(self, var: Variable) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError

    def carries_default(self, var: Variable) -> bool:
        """Whether the vendor can fall back to a default text when `var` is empty for a recipient."""
        return self.tag(Variable(var.name, "fallback", var.start, var.end)) is not None

    def translate(self, text: str) -> tuple[str, list[str]]:
        """Translate every variable; returns the text and the names that could not be translated."""
        missing: list[str] = []

        def one(var: Variable) -> str | None:
            tag = self.tag(var)
            if tag is None:
                missing.append(var.name)
            return tag

        return substitute(text, one), missing


class KeyedMergeTags(MergeTagTranslator):
    """A vendor whose merge tags write a key its own way: contact variables by `contact_keys`, custom fields
    by the `field_keys` given (workspace field id -> vendor key), links by `links` (written out whole).
    Subclasses say how a key is written, with or without a default (`wrap`; None: not possible)."""

    contact_keys: ClassVar[Mapping[str, str]] = {}
    links: ClassVar[Mapping[str, str]] = {}

    def __init__(self, field_keys: Mapping[str, str]) -> None:
        self.field_keys = field_keys

    def tag(self, var: Variable) -> str | None:
        if not var.namespace and var.name in self.links:
            return self.links[var.name]
        if var.namespace:
            key = self.field_keys.get(var.key) if var.namespace == "fields" else None
        else:
            key = self.contact_keys.get(var.name)
        return None if key is None else self.wrap(key, var.default)

    def wrap(self, key: str, default: str | None) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError


def render(text: str, values: Mapping[str, object]) -> str:
    """Render per recipient (SMS): `values` maps 'first_name', 'fields.x', ... to their values."""

    def one(var: Variable) -> str:
        found = values.get(var.name)
        if found in (None, ""):
            return var.default or ""
        return str(found)

    return substitute(text, one)
