"""Loading plugins.

A plugin is any installed distribution that declares an entry point in the ``hub`` group, exactly as
the built-in providers do in hub's own pyproject.toml::

    [project.entry-points.hub]
    klaviyo = "hub_klaviyo"

and whose module implements ``hub_register_providers(register)`` (see `hub.hookspecs`). Environment:

- ``HUB_LOAD_PLUGINS=a,b``   load only these entry points (by entry-point name); empty = load none
- ``HUB_DISABLE_PLUGINS=a,b`` never load these
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.metadata import entry_points

import pluggy

from . import hookspecs
from .errors import ConfigError
from .registry import ProviderRegistry

ENTRY_POINT_GROUP = hookspecs.PROJECT


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    module: str
    distribution: str
    version: str


class Plugins:
    """The plugin manager plus what it loaded: the provider registry and the list of plugins."""

    def __init__(self, pm: pluggy.PluginManager, loaded: list[LoadedPlugin]):
        self.pm = pm
        self.loaded = loaded

    @cached_property
    def registry(self) -> ProviderRegistry:
        """Providers, registered on first use (so commands that need none, like --help, stay fast)."""
        registry = ProviderRegistry()
        for impl in self.pm.hook.hub_register_providers.get_hookimpls():
            registry.current_plugin = impl.plugin_name
            impl.function(register=registry)
        return registry


def _names(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def make_plugins(extra: list[object] | None = None, *, eager: bool = True) -> Plugins:
    """Build a fresh plugin manager from the ``hub`` entry points (plus `extra` plugin objects, for tests).
    With `eager`, providers are registered now, so that a broken or duplicate provider fails here."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    allow, block = _names("HUB_LOAD_PLUGINS"), _names("HUB_DISABLE_PLUGINS") or set()
    loaded: list[LoadedPlugin] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in block or (allow is not None and ep.name not in allow) or pm.has_plugin(ep.name):
            continue
        try:
            module = ep.load()
        except Exception as exc:  # a broken third-party plugin must not take hub down silently
            raise ConfigError(f"plugin '{ep.name}' ({ep.value}) failed to import: {exc}") from exc
        pm.register(module, name=ep.name)
        dist = ep.dist
        loaded.append(LoadedPlugin(ep.name, ep.value, dist.name if dist else "?", dist.version if dist else "?"))
    for i, obj in enumerate(extra or []):
        name = getattr(obj, "__name__", f"extra-{i}")
        pm.register(obj, name=name)
        loaded.append(LoadedPlugin(name, name, "(registered in-process)", ""))
    try:
        pm.check_pending()  # a misspelt hook implementation fails at start-up, not silently
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise ConfigError(f"plugin '{name}' is invalid: {exc.args[0] if exc.args else exc}") from None

    plugins = Plugins(pm, loaded)
    if eager:
        _ = plugins.registry
    return plugins


@cache
def default_plugins() -> Plugins:
    return make_plugins(eager=False)
