"""YAML to plain Python data, keeping the line of every key and list item.

ruamel.yaml composes the document into nodes that know where they were written; we build plain dicts,
lists and scalars from them ourselves, so that

- every mapping key and sequence item has a 1-based line, looked up by its path (``("steps", 2, "wait")``);
- YAML 1.2 surprises that would silently corrupt data are avoided: a plain ``+447700900123`` or ``0117``
  stays the text it was written as (a phone number, not an int that lost its ``+`` or leading zero);
- duplicate keys are reported, not silently resolved.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

PathKey = str | int
Path_ = tuple[PathKey, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


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
    """Parse one YAML document. Raises `YamlSyntaxError` with ruamel's line for malformed text."""
    doc = YamlDoc(file=file, data=None)
    yaml = YAML(typ="safe", pure=True)  # we only compose nodes: no need for round-trip comment tracking
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        context = exc.context or ""
        if context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context += f" (started on line {exc.context_mark.line + 1})"
        what = ": ".join(x for x in (context, exc.problem) if x) or "not valid YAML"
        raise YamlSyntaxError(line, f"YAML syntax error: {what}") from None
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. bad encodings)
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
