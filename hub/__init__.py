"""hub: campaigns and automations as code, synced to every client's email and SMS vendors.

Plugin authors import from `hub.plugin` (the declared plugin API). `hookimpl` is here too, and cheap:
a plugin's `from hub import hookimpl` runs whenever plugins load, `hub --help` included. Every other
name of `hub.plugin` is also reachable as `hub.<name>`, loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .hookspecs import hookimpl

__all__ = ["hookimpl"]


def __getattr__(name: str) -> Any:
    plugin_api = importlib.import_module("hub.plugin")
    if name not in plugin_api.__all__:
        raise AttributeError(f"module 'hub' has no attribute {name!r}")
    value = getattr(plugin_api, name)
    globals()[name] = value
    return value
