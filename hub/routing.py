"""Which of a client's accounts carries which channel, and where its contacts live."""

from __future__ import annotations

from .errors import ConfigError
from .model import Channel, Client
from .registry import ProviderRegistry


def accounts_for(client: Client, channel: Channel | str, registry: ProviderRegistry) -> list[str]:
    channel = Channel(channel)
    return [name for name, acc in client.config.accounts.items()
            if acc.provider in registry and channel in registry.get(acc.provider).channels]


def account_for(client: Client, channel: Channel | str, registry: ProviderRegistry) -> str | None:
    """The one account serving `channel`, None when there is none; several is a configuration error."""
    found = accounts_for(client, channel, registry)
    if len(found) > 1:
        raise ConfigError(f"client '{client.name}': accounts {', '.join(found)} all serve {channel}; keep one")
    return found[0] if found else None


def contact_source(client: Client, registry: ProviderRegistry) -> str | None:
    """The account that holds the client's audience: `contact_source`, else the email account."""
    return client.config.contact_source or account_for(client, Channel.EMAIL, registry)
