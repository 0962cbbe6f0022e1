"""Bluesky provider for hub (the `atproto` SDK), registered through the `hub` entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub import hookimpl

if TYPE_CHECKING:
    from hub.plugin import ProviderRegistry


@hookimpl
def hub_register_providers(register: ProviderRegistry) -> None:
    from .provider import BlueskyProvider

    register.add(BlueskyProvider)
