"""hub: campaigns and automations as code, synced to every client's email and SMS vendors.

The public API for plugin authors is re-exported here. Names are imported on first use, so that a
plugin's `from hub import hookimpl` (run whenever plugins load, `hub --help` included) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "hookimpl": "hub.hookspecs",
    **{name: "hub.errors" for name in (
        "AuthError", "ConfigError", "HubError", "NotFound", "NotSupported", "OutcomeUnknown", "Problem",
        "ProviderError", "RateLimited", "Unavailable", "VendorValidationError")},
    **{name: "hub.provider" for name in (
        "Capability", "Desired", "Fidelity", "ItemResult", "Limits", "Live", "Provider", "ProviderSettings",
        "RateLimit", "References", "Resource", "Support")},
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hub' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
