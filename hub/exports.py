"""Names a package exports but imports only when first used (PEP 562): the plugin API and the test kit are
imported by every plugin and benchmark, which need a few of their names each."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def on_first_use(module: str, home: Mapping[str, str]) -> Callable[[str], Any]:
    """The `__getattr__` of `module`, which finds each name of `home` in its module (relative to `module`'s
    package) the first time it is asked for, and keeps it."""
    package = module.rpartition(".")[0] if not hasattr(sys.modules[module], "__path__") else module

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home[name], package), name)
        setattr(sys.modules[module], name, value)
        return value

    return __getattr__
