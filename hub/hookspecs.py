"""hub's hook specifications: the few places where a plugin extends the host.

Behaviour lives on `Provider` classes (see `hub.provider`); hooks only register things. Hook
implementations may accept fewer arguments than the spec (pluggy), so specs can grow without breaking
existing plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from .registry import ProviderRegistry

PROJECT = "hub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- registration -----------------------------------------------------------------------------------


@hookspec
def hub_register_providers(register: ProviderRegistry) -> None:
    """Register the provider classes a plugin ships. **Required for provider plugins.**

    :param register: call ``register.add(MyProvider)`` once per `hub.Provider` subclass. A name already
        registered by another plugin is refused with an error naming both plugins.

    Called once when the plugin manager is built.
    """


@hookspec
def hub_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``hub`` command line (optional).

    :param cli: the root click group, after hub's own commands were added.
    """


# -- credentials ------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_resolve_secret(scheme: str, reference: str) -> str | None:
    """Resolve a secret reference such as ``vault:clients/bakery/mailerlite`` (optional).

    :param scheme: the part before the colon (``vault``); hub itself handles ``env`` and ``keyring``.
    :param reference: the part after it.
    :return: the secret, or None when this plugin does not handle ``scheme``. Stops at the first answer.
    """
