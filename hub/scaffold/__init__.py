"""`hub init`: a ready-to-run example agency (three clients, a shared welcome-series blueprint), or with
`--blank` an empty workspace with one commented client, copied into a new workspace.

The files live in `hub/scaffold/example-agency/` and `hub/scaffold/blank/` (shipped as package data).
Dates in them are written as ``__TODAY+N__`` and rendered relative to the day of `hub init`, so the
example launch is always a few weeks ahead and never validates as "scheduled in the past".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from ..errors import ConfigError

WORKSPACE_FILE = "hub.yaml"
GITIGNORE_LINES = (".hub/",)
_DATE_TOKEN = re.compile(r"__TODAY\+(\d+)__")
_RENDERED_SUFFIXES = (".yaml", ".yml", ".md")


def template_root(blank: bool = False) -> Traversable:
    # the folder name is not an identifier, so setuptools never mistakes it for a package
    return resources.files(__name__).joinpath("blank" if blank else "example-agency")


def template_paths(target: Path, *, blank: bool = False) -> list[Path]:
    """The files `init_workspace` writes in `target` (before the .gitignore)."""
    return [Path(target).joinpath(*parts) for parts, _ in _template_files(template_root(blank))]


def folder_contents(target: Path) -> list[str]:
    """What a folder already holds (a fresh `git init` does not count), sorted; empty when it does not exist."""
    if not Path(target).is_dir():
        return []
    return sorted(p.name for p in Path(target).iterdir() if p.name != ".git")


def _template_files(folder: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Traversable]]:
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__" or entry.name.endswith(".pyc"):
            continue
        if entry.is_dir():
            out.extend(_template_files(entry, (*prefix, entry.name)))
        else:
            out.append(((*prefix, entry.name), entry))
    return out


def render(text: str, now: datetime) -> str:
    """Replace each ``__TODAY+N__`` with the date N days after `now` (YYYY-MM-DD)."""
    return _DATE_TOKEN.sub(lambda m: (now.date() + timedelta(days=int(m.group(1)))).isoformat(), text)


def init_workspace(target: Path, *, now: datetime | None = None, blank: bool = False,
                   force: bool = False) -> list[Path]:
    """Write the example agency (or, `blank`, an empty workspace) into `target` (created if needed) and
    return the files written.

    Refuses a folder that already holds a hub.yaml, and never overwrites an existing file (nothing is
    written when one would be), unless `force`: then the template's files replace the folder's, and every
    other file stays. An existing .gitignore gets a `.hub/` line added when it lacks one."""
    now = now or datetime.now(UTC)
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file; choose a folder for the new workspace")
    if (target / WORKSPACE_FILE).exists() and not force:
        raise ConfigError(f"{target} already holds a workspace ({WORKSPACE_FILE} exists); choose an empty folder")
    files = _template_files(template_root(blank))
    clashes = [target.joinpath(*parts) for parts, _ in files if target.joinpath(*parts).exists()]
    if clashes and not force:
        shown = ", ".join(str(p) for p in clashes[:5])
        raise ConfigError(f"{target} already has files the example would overwrite ({shown}); choose an empty"
                          " folder")
    written: list[Path] = []
    for parts, entry in files:
        dest = target.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.suffix in _RENDERED_SUFFIXES:
            dest.write_text(render(entry.read_text(encoding="utf-8"), now), encoding="utf-8")
        else:
            dest.write_bytes(entry.read_bytes())
        written.append(dest)
    gitignore = target / ".gitignore"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    missing = [line for line in GITIGNORE_LINES if line not in existing.splitlines()]
    if missing:
        sep = "" if not existing or existing.endswith("\n") else "\n"
        gitignore.write_text(existing + sep + "\n".join(missing) + "\n", encoding="utf-8")
        written.append(gitignore)
    return written
