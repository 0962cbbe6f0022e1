"""hub: campaigns and automations as code, synced to every client's email and SMS vendors.

The public API for plugin authors is re-exported here; everything else is internal.
"""

from .errors import (
    AuthError,
    ConfigError,
    HubError,
    NotFound,
    NotSupported,
    Problem,
    ProviderError,
    RateLimited,
    Unavailable,
    VendorValidationError,
)
from .hookspecs import hookimpl
from .provider import (
    Capability,
    Desired,
    Fidelity,
    ItemResult,
    Limits,
    Live,
    Provider,
    ProviderSettings,
    RateLimit,
    References,
    Resource,
    Support,
)

__all__ = [
    "AuthError", "Capability", "ConfigError", "Desired", "Fidelity", "HubError", "ItemResult", "Limits", "Live",
    "NotFound", "NotSupported", "Problem", "Provider", "ProviderError", "ProviderSettings", "RateLimit",
    "RateLimited", "References", "Resource", "Support", "Unavailable", "VendorValidationError", "hookimpl",
]
