"""Routes and control actions declared on a simulator's methods, and the table that matches paths to them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


def route(method: str, pattern: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a handler for `method` on `pattern`, an absolute server path including `base_path`
    (e.g. ``"/api/groups/{id}"``; ``{name}`` matches one path segment into ``req.params[name]``, and
    ``{name:REGEX}`` only a segment that fully matches REGEX, e.g. ``{id:\\d+}``).
    Stackable; a subclass overrides a route by redefining the method or by routing the same pattern."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        routes = list(getattr(func, "_sim_routes", ()))
        routes.append((method.upper(), normalise_path(pattern)))
        func._sim_routes = tuple(routes)  # type: ignore[attr-defined]
        return func

    return decorate


def control(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Expose a simulator method as ``POST /_sim/control/<action>``, called with the JSON body as
    keyword arguments; its return value is the JSON answer. The method stays callable from Python."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func._sim_control = action  # type: ignore[attr-defined]
        return func

    return decorate


def normalise_path(path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


class Router:
    """Static paths in a dict; patterned ones grouped by segment count. A ``{name}`` segment matches
    any non-empty segment, ``{name:REGEX}`` one that fully matches REGEX (``{id:\\d+}``)."""

    def __init__(self, table: dict[tuple[str, str], str]) -> None:
        self.static: dict[tuple[str, str], str] = {}
        self.static_methods: dict[str, list[str]] = {}
        self.dynamic: dict[int, list[tuple[str, tuple[Any, ...], tuple[str, ...], str]]] = {}
        for (method, pattern), name in table.items():
            segments = pattern.strip("/").split("/") if pattern != "/" else []
            if not any(_is_param(s) for s in segments):
                self.static[(method, pattern)] = name
                self.static_methods.setdefault(pattern, []).append(method)
                continue
            matchers: list[Any] = []
            names: list[str] = []
            for seg in segments:
                if not _is_param(seg):
                    matchers.append(seg)
                    continue
                param, _, regex = seg[1:-1].partition(":")
                names.append(param)
                matchers.append(re.compile(regex) if regex else _ANY)
            self.dynamic.setdefault(len(segments), []).append((method, tuple(matchers), tuple(names), name))
        for candidates in self.dynamic.values():  # more literal segments win ("/x/languages" over "/x/{id}")
            candidates.sort(key=lambda c: sum(not isinstance(m, str) for m in c[1]))

    def match(self, method: str, path: str) -> tuple[str | None, dict[str, str], list[str]]:
        """(handler name or None, path params, methods allowed on this path when the method is not)."""
        lookup = "GET" if method == "HEAD" else method
        name = self.static.get((lookup, path))
        if name is not None:
            return name, {}, []
        allowed: list[str] = list(self.static_methods.get(path, ()))
        segments = path.strip("/").split("/") if path != "/" else []
        for cand_method, matchers, names, cand_name in self.dynamic.get(len(segments), ()):
            values: list[str] = []
            for want, got in zip(matchers, segments, strict=True):
                if isinstance(want, str):
                    if want != got:
                        break
                elif not got or (want is not _ANY and not want.fullmatch(got)):
                    break
                else:
                    values.append(got)
            else:
                if cand_method == lookup:
                    return cand_name, dict(zip(names, values, strict=True)), []
                allowed.append(cand_method)
        return None, {}, sorted(set(allowed))


_ANY = object()


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")
