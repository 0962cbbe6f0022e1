"""Write test workspaces as YAML files (tests build them as Python data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
