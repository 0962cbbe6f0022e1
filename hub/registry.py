"""The typed registry handed to `hub_register_providers`."""

from __future__ import annotations

from collections.abc import Iterator

from .errors import ConfigError
from .provider_description import Provider


class ProviderRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, type[Provider]] = {}
        self._owners: dict[str, str] = {}
        self.current_plugin = "<unknown plugin>"

    def add(self, provider_cls: type[Provider]) -> None:
        if not (isinstance(provider_cls, type) and issubclass(provider_cls, Provider)):
            raise ConfigError(f"plugin {self.current_plugin} registered {provider_cls!r}, not a hub.Provider subclass")
        name = provider_cls.name
        if name in self._providers:
            raise ConfigError(
                f"provider name '{name}' is registered twice: by plugin '{self._owners[name]}' and by plugin"
                f" '{self.current_plugin}'; uninstall one or block it with HUB_DISABLE_PLUGINS"
            )
        self._providers[name] = provider_cls
        self._owners[name] = self.current_plugin

    def get(self, name: str) -> type[Provider]:
        try:
            return self._providers[name]
        except KeyError:
            known = ", ".join(sorted(self._providers)) or "none installed"
            raise ConfigError(f"unknown provider '{name}' (installed: {known})") from None

    def owner(self, name: str) -> str:
        return self._owners[name]

    def names(self) -> list[str]:
        return sorted(self._providers)

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def __iter__(self) -> Iterator[type[Provider]]:
        return iter(self._providers[n] for n in self.names())
