"""The consultant's workspace on disk: finding it, loading it into the neutral model, validating it.

`load_workspace` reads every file, expands blueprints and brand variables, and validates everything;
it raises one `ConfigError` that carries every problem found (each at `file:line`, saying what is wrong
and what would be right), or returns a `hub.model.Workspace` (with its non-blocking `warnings`). With
`refuse_clients`, only problems that concern every client (hub.yaml, blueprint files) raise; a client
with problems of its own is left out and listed in `Workspace.refused`.
"""

from __future__ import annotations

from .loader import WORKSPACE_FILE, find_root, load_workspace, workspace_digest, workspace_files
from .yamlpos import YamlDoc, YamlSyntaxError, parse_yaml

__all__ = [
    "WORKSPACE_FILE",
    "YamlDoc",
    "YamlSyntaxError",
    "find_root",
    "load_workspace",
    "parse_yaml",
    "workspace_digest",
    "workspace_files",
]
