"""Which of a client's accounts carries which channel, and where its contacts live.

While a client moves between vendors (`hub migrate`), client.yaml may hold the account it leaves with
`role: source`: hub only reads it (its contacts and their consent) and never routes a channel to it, so that
nothing is pushed or sent there. The channel is served by the other account (`role: target`).
"""

from __future__ import annotations

from .errors import ConfigError
from .model import Channel, Client
from .registry import ProviderRegistry

SOURCE = "source"
TARGET = "target"


def is_source(client: Client, account: str) -> bool:
    """Whether `account` is the account a migration reads from (read-only for hub)."""
    acc = client.config.accounts.get(account)
    return acc is not None and acc.role == SOURCE


def accounts_for(client: Client, channel: Channel | str, registry: ProviderRegistry) -> list[str]:
    """The accounts serving `channel`; a migration's source serves none (hub only reads it)."""
    channel = Channel(channel)
    return [name for name, acc in client.config.accounts.items()
            if acc.role != SOURCE and acc.provider in registry and channel in registry.get(acc.provider).channels]


def account_for(client: Client, channel: Channel | str, registry: ProviderRegistry) -> str | None:
    """The one account serving `channel`, None when there is none; several is a configuration error."""
    found = accounts_for(client, channel, registry)
    if len(found) > 1:
        raise ConfigError(f"client '{client.name}': accounts {', '.join(found)} all serve {channel}; keep one")
    return found[0] if found else None


def source_accounts(client: Client) -> list[str]:
    """The accounts marked `role: source` (one at most in a valid workspace)."""
    return [name for name, acc in client.config.accounts.items() if acc.role == SOURCE]


def migration_source(client: Client, account: str, registry: ProviderRegistry) -> str | None:
    """The source account whose contacts (and their consent) `account` carries: the client's `role: source`
    account when `account` serves a channel the source served. None when the client is not migrating."""
    acc = client.config.accounts.get(account)
    if acc is None or acc.role == SOURCE or acc.provider not in registry:
        return None
    channels = registry.get(acc.provider).channels
    for name in source_accounts(client):
        provider = client.config.accounts[name].provider
        if provider in registry and channels & registry.get(provider).channels:
            return name
    return None


def contact_source(client: Client, registry: ProviderRegistry) -> str | None:
    """The account that holds the client's audience: `contact_source`, else the email account."""
    return client.config.contact_source or account_for(client, Channel.EMAIL, registry)
