"""Filling in what hub knows per client (`{{ brand.* }}`, blueprint `{{ vars.* }}`) and checking that every
variable left over is one a provider can personalise per recipient."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from ..model.personalisation import (
    CONTACT_VARIABLES,
    LINK_VARIABLES,
    Variable,
    find_variables,
    malformed_placeholders,
    resolve_static,
)
from .messages import Where, close_matches
from .yamlpos import Path_

CONTENT_PARENTS = frozenset({"email", "sms", "send_email", "send_sms"})
VARIABLE_SYNTAX = '{{ name }} or {{ name | default("text") }}'
# keys of an email or SMS that are not message text (a variable there cannot vary per recipient)
NON_CONTENT_KEYS = frozenset({"from", "reply_to", "sender", "media", "max_segments"})


def is_content_path(path: Path_) -> bool:
    """Message text that goes to each recipient (where per-recipient variables make sense).

    Keys under an email/SMS that are unknown count as content here: they are reported as unknown keys."""
    return any(a in CONTENT_PARENTS and b not in NON_CONTENT_KEYS for a, b in itertools.pairwise(path))


@dataclass
class Expander:
    """Per client: substitutes brand (and blueprint) variables in every string of an item's data."""

    client: str
    client_file: str  # clients/<client>/client.yaml
    brand: Mapping[str, str]
    check_brand: bool  # False when client.yaml is broken: its problems are reported already
    field_keys: set[str] | None  # None: audience.yaml is unreadable, so `fields.*` cannot be checked
    problems: list[Problem] = field(default_factory=list)

    def expand(self, where: Where, *, vars_: Mapping[str, Any] | None = None,
               declared: Mapping[str, Any] | None = None, use_where: Where | None = None) -> Any:
        """A copy of `where.data` with static variables filled in; problems are collected.

        For a blueprint item, `vars_` are the values given (or defaulted), `declared` the blueprint's
        variables and `use_where` the `use:` entry in client.yaml that expands it."""
        data = copy.deepcopy(where.data)
        self._walk(data, (), where, vars_, declared, use_where)
        return data

    def _walk(self, node: Any, path: Path_, where: Where, vars_: Mapping[str, Any] | None,
              declared: Mapping[str, Any] | None, use_where: Where | None) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in list(items):
            if isinstance(value, str):
                node[key] = self._string(value, (*path, key), where, vars_, declared, use_where)
            elif isinstance(value, dict | list):
                self._walk(value, (*path, key), where, vars_, declared, use_where)

    def _string(self, text: str, path: Path_, where: Where, vars_: Mapping[str, Any] | None,
                declared: Mapping[str, Any] | None, use_where: Where | None) -> str:
        if "{{" not in text:
            return text

        def at(var_or_offset: Variable | int) -> int:
            offset = var_or_offset if isinstance(var_or_offset, int) else var_or_offset.start
            return where.text_line(path, offset, text)

        for bad in malformed_placeholders(text):
            self.problems.append(where.problem(
                path, f"malformed placeholder '{bad}'; write {VARIABLE_SYNTAX}", line=at(text.find(bad))))

        # 1. blueprint variables
        if vars_ is not None:
            text = resolve_static(text, {}, vars_)
        for var in find_variables(text):
            if var.namespace != "vars":
                continue
            if vars_ is None:
                self.problems.append(where.problem(
                    path, f"'{{{{ {var.name} }}}}' only works inside a blueprint; write the value here", line=at(var)))
            elif declared is not None and var.key not in declared:
                hint = close_matches(var.key, declared)
                right = f"did you mean 'vars.{hint[0]}'?" if hint else "declare it under 'variables:' in the blueprint"
                self.problems.append(where.problem(
                    path, f"unknown blueprint variable '{var.name}'; {right}", line=at(var), note=False))
            elif declared is not None and getattr(declared[var.key], "required", False):
                continue  # a required variable without a value is reported once, at the `use:` entry
            else:
                use_line = use_where.line() if use_where else None
                self.problems.append(Problem(
                    use_where.file if use_where else where.file, use_line or at(var),
                    f"blueprint variable '{var.key}' has no value for client '{self.client}' (used at"
                    f" {where.file}:{at(var)}); add `{var.key}: ...` under 'with:' or give it a default in the"
                    " blueprint"))

        # 2. the brand kit
        text = resolve_static(text, self.brand, {})
        for var in find_variables(text):
            if var.namespace != "brand" or not self.check_brand:
                continue
            message = (f"brand key '{var.key}' is not set for client '{self.client}'; add `{var.key}: ...` under"
                       f" 'brand:' in {self.client_file} (or in hub.yaml, for every client), or give a default: "
                       f"{{{{ {var.name} | default(\"...\") }}}}")
            if use_where is not None:  # the client's file is where this gets fixed
                self.problems.append(Problem(use_where.file, use_where.line(),
                                             f"{message} (needed by {where.file}:{at(var)})"))
            else:
                self.problems.append(where.problem(path, message, line=at(var)))

        # 3. what is left must be personalised per recipient
        for var in find_variables(text):
            if var.namespace in ("brand", "vars"):
                continue
            if var.namespace == "fields":
                if self.field_keys is not None and var.key not in self.field_keys:
                    known = sorted(self.field_keys)
                    hint = close_matches(var.key, known)
                    right = (f"did you mean 'fields.{hint[0]}'?" if hint else
                             f"defined fields: {', '.join(known)}" if known else
                             "define it under 'fields:' in audience.yaml")
                    self.problems.append(where.problem(
                        path, f"unknown custom field in '{{{{ {var.name} }}}}'; {right}", line=at(var)))
                    continue
            elif var.namespace or var.name not in (*CONTACT_VARIABLES, *LINK_VARIABLES):
                self.problems.append(where.problem(path, self._unknown(var), line=at(var)))
                continue
            if not is_content_path(path):
                self.problems.append(where.problem(
                    path, f"'{{{{ {var.name} }}}}' varies per recipient, so it can only be used in message text"
                          " (subject, preheader, body, text); write a fixed value here", line=at(var)))
        return text

    def _unknown(self, var: Variable) -> str:
        known = [*CONTACT_VARIABLES, *LINK_VARIABLES, *(f"fields.{k}" for k in sorted(self.field_keys or ())),
                 *(f"brand.{k}" for k in sorted(self.brand))]
        hint = close_matches(var.name, known)
        right = (f"did you mean '{hint[0]}'?" if hint else
                 f"known variables: {', '.join([*CONTACT_VARIABLES, *LINK_VARIABLES])}, fields.<key>, brand.<key>")
        return f"unknown variable '{{{{ {var.name} }}}}'; {right}"
