"""Kind messages: pydantic errors and lookups turned into 'what is wrong, and what would be right'."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..errors import Problem
from ..model.base import SLUG_HINT
from .yamlpos import Path_, YamlDoc

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
FIELD_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
FIELD_KEY_HINT = "use a lowercase letter, then lowercase letters, digits or '_' (e.g. 'favourite_loaf')"


def close_matches(word: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    pool = sorted({c for c in candidates if c})
    return difflib.get_close_matches(word, pool, n=n, cutoff=0.6)


def did_you_mean(word: str, candidates: Iterable[str], *, noun: str = "", show: int = 12) -> str:
    """"; did you mean 'x'?" and/or the list of what exists, for appending to a message."""
    pool = sorted({c for c in candidates if c})
    best = close_matches(word, pool)
    if best:
        return f"; did you mean '{best[0]}'?"
    if not pool:
        return ""
    shown = ", ".join(pool[:show]) + (", ..." if len(pool) > show else "")
    return f" ({noun + ': ' if noun else 'expected one of: '}{shown})"


# -- where things were written ---------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """A place in a parsed file: the document, the path of an item in it, and the item's (possibly
    expanded) data. `note` is appended to messages about items that came from a blueprint."""

    doc: YamlDoc
    base: Path_ = ()
    data: Any = None
    note: str = ""

    @classmethod
    def of(cls, doc: YamlDoc) -> Where:
        return cls(doc, (), doc.data)

    @property
    def file(self) -> str:
        return self.doc.file

    def at(self, *path: str | int) -> Where:
        data = self.data
        for p in path:
            try:
                data = data[p]
            except (KeyError, IndexError, TypeError):
                data = None
        return Where(self.doc, (*self.base, *path), data, self.note)

    def line(self, *path: str | int) -> int:
        return self.doc.line((*self.base, *path))

    def text_line(self, path: Path_, offset: int, text: str) -> int:
        return self.doc.text_line((*self.base, *path), offset, text)

    def source(self, *path: str | int) -> str:
        return f"{self.file}:{self.line(*path)}"

    def problem(self, path: Path_, message: str, *, line: int | None = None, note: bool = True) -> Problem:
        return Problem(self.file, line or self.line(*path), message + (self.note if note else ""))


# -- pydantic errors ---------------------------------------------------------------------------------


def _flatten(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _flatten(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [x for a in get_args(tp) for x in _flatten(a)]
    if tp is type(None):
        return []
    return [tp]


def _field_named(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def models_at(root: type[BaseModel], loc: Iterable[str | int]) -> list[type[BaseModel]]:
    """The model classes that can sit at `loc` below `root` (several where a union allows it)."""
    current: list[Any] = [root]
    for seg in loc:
        nxt: list[Any] = []
        for tp in current:
            origin = get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(seg, str):
                info = _field_named(tp, seg)
                if info is not None:
                    nxt.extend(_flatten(info.annotation))
            elif origin in (list, tuple, set, frozenset) and isinstance(seg, int):
                nxt.extend(_flatten(get_args(tp)[0]))
            elif origin is dict and get_args(tp):
                nxt.extend(_flatten(get_args(tp)[1]))
        if nxt:
            current = nxt
        # else: a union tag or validator name in the loc; stay where we are
    return [t for t in current if isinstance(t, type) and issubclass(t, BaseModel)]


def data_path(data: Any, loc: Iterable[str | int]) -> Path_:
    """Map a pydantic `loc` onto the path that exists in the data (skipping union tags)."""
    path: list[str | int] = []
    cur = data
    for seg in loc:
        in_dict = isinstance(cur, dict) and isinstance(seg, str) and seg in cur
        in_list = isinstance(cur, list) and isinstance(seg, int) and 0 <= seg < len(cur)
        if in_dict or in_list:
            path.append(seg)
            cur = cur[seg]
    return tuple(path)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 50 else text[:47] + "...'"


_EXPECTED = {
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "date_type": "a date like 2026-12-01", "date_parsing": "a date like 2026-12-01",
    "date_from_datetime_parsing": "a date like 2026-12-01", "date_from_datetime_inexact": "a date like 2026-12-01",
    "datetime_type": "a date and time like '2026-12-01 09:00'",
    "datetime_parsing": "a date and time like '2026-12-01 09:00'",
    "datetime_from_date_parsing": "a date and time like '2026-12-01 09:00'",
    "time_type": "a time like '21:00'", "time_parsing": "a time like '21:00'",
    "dict_type": "a mapping (key: value lines)", "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)", "list_type": "a list (lines starting with '- ')",
}


def kind_message(err: Any, root: type[BaseModel] | None = None, *, show_input: bool = True,
                 key: str | None = None) -> str:
    """One pydantic error dict as a sentence that says what is wrong and what would be right."""
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    value = err.get("input")
    names = [s for s in loc if isinstance(s, str) and s != "[key]"]
    if key is None:
        key = names[-1] if names else ""
    got = f" (got {_short(value)})" if show_input else ""
    if kind == "extra_forbidden":
        unknown = str(loc[-1]) if loc else key
        candidates: list[str] = []
        if root is not None:
            for model in models_at(root, loc[:-1]):
                candidates.extend(allowed_keys(model))
        return f"unknown key '{unknown}'" + did_you_mean(unknown, candidates, noun="allowed keys")
    if kind == "missing":
        return f"missing required key '{key}'"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"'{key}' must be one of: {expected}{got}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        shown = f"'{value}' " if show_input else ""
        if pattern == SLUG_PATTERN:
            if loc and loc[-1] == "[key]":
                return f"{shown}is not a valid name here; {SLUG_HINT}"
            return f"{shown}is not a valid id for '{key}'; {SLUG_HINT}"
        if pattern == FIELD_KEY_PATTERN:
            return f"{shown}is not a valid field key for '{key}'; {FIELD_KEY_HINT}"
        return f"'{key}' does not match the pattern {pattern}{got}"
    if kind in ("value_error", "assertion_error"):
        msg = str(err.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        return msg
    if kind in _EXPECTED:
        actual = f" (got {_type_name(value)}{': ' + _short(value) if show_input and isinstance(value, str) else ''})"
        return f"'{key}' should be {_EXPECTED[kind]}{actual}"
    if kind == "too_short":
        return f"'{key}' needs at least {ctx.get('min_length', 1)} item(s)"
    if kind == "too_long":
        return f"'{key}' allows at most {ctx.get('max_length')} item(s)"
    if kind == "string_too_short":
        return f"'{key}' must not be empty"
    if kind == "string_too_long":
        return f"'{key}' is longer than {ctx.get('max_length')} characters"
    for op, words in (("greater_than_equal", "at least"), ("greater_than", "more than"),
                      ("less_than_equal", "at most"), ("less_than", "less than")):
        if kind == op:
            bound = next(iter(ctx.values()), "?")
            return f"'{key}' must be {words} {bound}{got}"
    return f"'{key}': {err.get('msg', 'invalid value')}{got}".lstrip(": ")


def validation_problems(exc: ValidationError, where: Where, root: type[BaseModel]) -> list[Problem]:
    """Problems for every error of `exc`, each on the line of the key or item it concerns."""
    groups: dict[tuple[bool, Path_], list[Any]] = {}
    for err in exc.errors():
        loc = tuple(err["loc"])
        missing = err["type"] == "missing"
        path = data_path(where.data, loc[:-1] if missing else loc)
        groups.setdefault((missing, path), []).append(err)
    # "unknown key 'subjet'; did you mean 'subject'?" already says what "missing required key 'subject'" would
    misspelt: set[tuple[Path_, str]] = set()
    for err in exc.errors():
        if err["type"] == "extra_forbidden" and err["loc"]:
            parent = data_path(where.data, tuple(err["loc"])[:-1])
            candidates = [k for m in models_at(root, tuple(err["loc"])[:-1]) for k in allowed_keys(m)]
            for hint in close_matches(str(err["loc"][-1]), candidates):
                misspelt.add((parent, hint))
    problems = []
    for (missing, path), errs in groups.items():
        name = next((s for s in reversed(path) if isinstance(s, str)), None)
        if missing:
            errs = [e for e in errs if (path, str(e["loc"][-1])) not in misspelt]
        if not missing and len(errs) > 1 and all(e["type"] in _EXPECTED for e in errs):
            # a union of types (e.g. text, number or date) rejected the value on every branch
            expected = " or ".join(dict.fromkeys(_EXPECTED[e["type"]] for e in errs))
            problems.append(where.problem(path, f"'{name or 'value'}' should be {expected}"
                                                f" (got {_type_name(errs[0].get('input'))})"))
            continue
        seen: set[str] = set()
        for err in errs:
            text = kind_message(err, root, key=None if missing else name)
            if text not in seen:
                seen.add(text)
                problems.append(where.problem(path, text))
    return problems
