"""YAML to plain Python data, keeping the line of every key and list item.

PyYAML's C parser (libyaml) composes the document into nodes that know where they were written, fast
enough for workspaces with tens of thousands of contacts; tags are resolved with YAML 1.2's core schema
(so `no` stays the word "no"), and we build plain dicts, lists and scalars from the nodes ourselves, so that

- every mapping key and sequence item has a 1-based line, looked up by its path (``("steps", 2, "wait")``);
- YAML 1.2 surprises that would silently corrupt data are avoided: a plain ``+447700900123`` or ``0117``
  stays the text it was written as (a phone number, not an int that lost its ``+`` or leading zero);
- duplicate keys are reported, not silently resolved.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import yaml
from yaml.composer import Composer
from yaml.error import MarkedYAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

PathKey = str | int
Path_ = tuple[PathKey, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


class _CoreSchemaResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: only true/false are booleans, no sexagesimals or 1.1 octals."""


for _tag_name, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),  # 1_000 allowed, as in 1.1
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("timestamp", r"^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
                  r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?)$", "0123456789"),
    ("merge", r"^(?:<<)$", "<"),
):
    _CoreSchemaResolver.add_implicit_resolver(f"tag:yaml.org,2002:{_tag_name}", re.compile(_pattern), list(_first))


class _Composing(Protocol):
    """What `parse_yaml` needs of a loader: one document's node tree."""

    def get_single_node(self) -> Node | None: ...

    def dispose(self) -> None: ...


class _PyLoader(Reader, Scanner, Parser, Composer, _CoreSchemaResolver):
    """The pure-Python parser: the same nodes as libyaml's, only slower."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreSchemaResolver.__init__(self)


_new_loader: Callable[[str], _Composing] = _PyLoader

try:  # libyaml is in PyYAML's wheels (yaml.cyaml takes CParser from the same place)
    from yaml._yaml import CParser

    class _CLoader(CParser, _CoreSchemaResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _CoreSchemaResolver.__init__(self)

    _new_loader = _CLoader
except ImportError:  # pragma: no cover - only without libyaml
    pass


class YamlSyntaxError(Exception):
    """The text is not YAML; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass
class YamlDoc:
    """One parsed file: its plain data plus where each key and item was written."""

    file: str  # workspace-relative, '/'-separated
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    # for `|` block scalars: the line of their first content line, so a problem inside can be pinpointed
    block_lines: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    def line(self, path: Path_ = ()) -> int:
        """The line of `path`, or of its nearest written ancestor (1 for the document itself)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def text_line(self, path: Path_, offset: int, text: str) -> int:
        """The line of character `offset` of the string at `path` (exact for `|` blocks)."""
        path = tuple(path)
        if path in self.block_lines:
            return self.block_lines[path] + text[:offset].count("\n")
        return self.line(path)


def _tag(node: Node) -> str:
    tag = node.tag
    return str(getattr(tag, "value", tag))


def scalar_value(node: ScalarNode) -> Any:
    text: str = node.value
    tag = _tag(node)
    if tag == _STR:
        return text
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text.lower() == "true"
    if tag == _INT:
        plain = text.replace("_", "")
        # '+44...' and '0117...' are phone numbers, postcodes or codes, never meant as integers
        if plain.startswith("+") or (len(plain) > 1 and plain[0] == "0" and plain[1].isdigit()):
            return text
        try:
            return int(plain, 0)
        except ValueError:
            return text
    if tag == _FLOAT:
        low = text.lower().replace("_", "")
        if low.lstrip("+-") in (".inf",):
            return -math.inf if low.startswith("-") else math.inf
        if low == ".nan":
            return math.nan
        try:
            return float(low)
        except ValueError:
            return text
    if tag == _TIMESTAMP:
        return _timestamp(text)
    return text  # unknown explicit tags: keep what was written


def _timestamp(text: str) -> date | datetime | str:
    raw = text.strip()
    try:
        if len(raw) <= 10:
            return date.fromisoformat(raw)
        normal = raw.replace("t", "T").replace(" Z", "Z")
        if "T" not in normal:
            day, _, rest = normal.partition(" ")
            normal = f"{day}T{rest.strip()}"
        head, sep, tail = normal.partition("T")
        parts = tail.split(":", 1)
        if len(parts[0]) == 1:  # YAML allows single-digit hours
            tail = "0" + tail
        return datetime.fromisoformat(head + sep + tail.replace(" ", ""))
    except ValueError:
        return text


class _Builder:
    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self._active: set[int] = set()

    def build(self, node: Node, path: Path_) -> Any:
        if id(node) in self._active:
            raise YamlSyntaxError(node.start_mark.line + 1, "an alias refers to itself (recursive anchor)")
        if isinstance(node, ScalarNode):
            if node.style == "|" and _tag(node) == _STR:
                self.doc.block_lines[path] = node.start_mark.line + 2
            return scalar_value(node)
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                out_list = []
                for i, item in enumerate(node.value):
                    self.doc.lines.setdefault((*path, i), item.start_mark.line + 1)
                    out_list.append(self.build(item, (*path, i)))
                return out_list
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return None
        finally:
            self._active.discard(id(node))

    def _pairs(self, node: MappingNode) -> Iterator[tuple[Node, Node, bool]]:
        """Own pairs first, then pairs from `<<` merges (which never override an own key)."""
        merged: list[tuple[Node, Node]] = []
        for key, value in node.value:
            if _tag(key) == _MERGE:
                sources = value.value if isinstance(value, SequenceNode) else [value]
                for src in sources:
                    if isinstance(src, MappingNode):
                        merged.extend(src.value)
                continue
            yield key, value, False
        for key, value in merged:
            yield key, value, True

    def _mapping(self, node: MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node, from_merge in self._pairs(node):
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else str(self.build(key_node, path))
            line = key_node.start_mark.line + 1
            if key in out:
                if not from_merge:
                    first = self.doc.lines.get((*path, key), "?")
                    self.doc.duplicates.append(
                        (line, f"duplicate key '{key}' (first written on line {first}); keep one"))
                continue
            self.doc.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
        return out


def parse_yaml(text: str, file: str) -> YamlDoc:
    """Parse one YAML document. Raises `YamlSyntaxError` with the parser's line for malformed text."""
    doc = YamlDoc(file=file, data=None)
    try:
        loader = _new_loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        context = exc.context or ""
        if context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context += f" (started on line {exc.context_mark.line + 1})"
        what = ": ".join(x for x in (context, exc.problem) if x) or "not valid YAML"
        raise YamlSyntaxError(line, f"YAML syntax error: {what}") from None
    except Exception as exc:  # a few errors carry no mark (e.g. bad encodings)
        raise YamlSyntaxError(1, f"YAML syntax error: {exc}") from None
    doc.lines[()] = 1
    if node is not None:
        doc.lines[()] = node.start_mark.line + 1
        doc.data = _Builder(doc).build(node, ())
    return doc


def walk_strings(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str | None, str]]:
    """Every string in `data` as (path, nearest key name, string)."""
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, str):
                yield (*path, k), k, v
            else:
                yield from walk_strings(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            key = next((p for p in reversed(path) if isinstance(p, str)), None)
            if isinstance(v, str):
                yield (*path, i), key, v
            else:
                yield from walk_strings(v, (*path, i))
