"""Checking requests against a vendor's OpenAPI document (contract tests for the providers).

`../shared/vendor-specs` holds the documents; tests skip, saying why, when it is absent."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "vendor-specs"


@cache
def load(name: str) -> dict[str, Any]:
    path = SPECS / name
    if path.suffix in (".yaml", ".yml"):
        import yaml

        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return json.loads(path.read_text(encoding="utf-8"))


def resolve(node: Any, doc: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline every local `$ref` (a cycle becomes an open schema)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                return {}
            target: Any = doc
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return resolve({**target, **rest}, doc, (*seen, ref))
        return {k: resolve(v, doc, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, doc, seen) for v in node]
    return node


def openapi30_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects are JSON Schema draft 4 plus `nullable` (and a few annotations)."""
    if isinstance(node, dict):
        out = {k: openapi30_to_jsonschema(v) for k, v in node.items() if k not in ("nullable", "example", "xml")}
        if node.get("nullable") and "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        return out
    if isinstance(node, list):
        return [openapi30_to_jsonschema(v) for v in node]
    return node


def match_template(doc: dict[str, Any], path: str) -> str | None:
    """The document's path template for a request path (literal segments win over `{params}`)."""
    best: tuple[int, str] | None = None
    for template in doc["paths"]:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            literal = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            if best is None or literal > best[0]:
                best = (literal, template)
    return best[1] if best else None


def request_schema(doc: dict[str, Any], template: str, method: str) -> Any:
    operation = doc["paths"][template].get(method.lower()) or {}
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    return resolve(schema, doc) if schema is not None else None


def query_parameters(doc: dict[str, Any], template: str, method: str) -> set[str]:
    item = doc["paths"][template]
    params = [*(item.get("parameters") or []), *((item.get(method.lower()) or {}).get("parameters") or [])]
    return {resolve(p, doc).get("name") for p in params if resolve(p, doc).get("in") == "query"}
