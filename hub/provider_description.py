"""What a provider says about its vendor, without importing any of it: the `Provider` base class, the
capabilities with their fidelity, and `lazy` for the parts that are code (settings model, API, resources).

`hub providers list` reads only this, so that listing providers costs no pydantic model and no vendor
module; the rest of the plugin API is in `hub.provider`, which re-exports everything here.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from .channel import Channel
from .errors import ConfigError, NotSupported, Problem
from .transport.limits import Limits

if TYPE_CHECKING:
    from .clock import Clock
    from .model import Client
    from .model.personalisation import MergeTagTranslator
    from .provider import ProviderContext, ProviderSettings, Resource, VendorApi
    from .simulator.base import Simulator


class Capability(StrEnum):
    LISTS = "lists"
    TAGS = "tags"
    FIELDS = "fields"
    SEGMENTS = "segments"
    CONTACTS = "contacts"
    MEMBERS_READ = "members_read"
    EMAIL_CAMPAIGNS = "email_campaigns"
    SMS_CAMPAIGNS = "sms_campaigns"
    SOCIAL = "social"
    AUTOMATIONS = "automations"
    ENROLMENT = "enrolment"
    STEP_EMAILS = "step_emails"  # an automation's email step sent by hub's runner to the contacts due together


class Fidelity(StrEnum):
    EXACT = "exact"
    APPROXIMATED = "approximated"
    MANUAL = "manual"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Support:
    fidelity: Fidelity
    note: str = ""


class _Lazy:
    """A class attribute given as an import path, imported the first time it is read (then it replaces itself
    with what it found, so that later reads are plain attribute reads)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner, self.name = owner, name

    def __get__(self, instance: object, cls: type | None = None) -> Any:
        try:
            value = _load(self.path, self.owner)
        except Exception as exc:  # a broken plugin module: say which declaration led to it
            raise ConfigError(f"{self.owner.__module__}.{self.owner.__qualname__}.{self.name} = lazy({self.path!r})"
                              f" cannot be loaded: {exc}") from exc
        setattr(self.owner, self.name, value)
        return value


def _load(path: str, owner: type) -> Any:
    """What `"module:name"` names; a `".module"` is in `owner`'s package."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module, owner.__module__.rpartition(".")[0]), attr)


def lazy(path: str) -> Any:
    """`"module:name"`, or `".module:name"` from the provider's own package: a provider's `Settings`, `Api` and
    `resource_types` are given so, and imported only when hub needs them (not to list providers)."""
    return _Lazy(path)


class Provider:
    """Base class of every provider: the vendor's description. See README ("Writing a provider")."""

    name: ClassVar[str]
    display_name: ClassVar[str] = ""
    docs_url: ClassVar[str] = ""
    channels: ClassVar[frozenset[Channel]] = frozenset()
    capabilities: ClassVar[Mapping[Capability, Support]] = {}
    limits: ClassVar[Limits] = Limits()
    Settings: ClassVar[type[ProviderSettings]] = lazy("hub.provider:ProviderSettings")
    Api: ClassVar[type[VendorApi[Any]]] = lazy("hub.provider:VendorApi")
    default_base_url: ClassVar[str] = ""
    simulator: ClassVar[str | None] = None  # "module:Class" of its Simulator, imported only when needed
    resource_types: ClassVar[Sequence[type[Resource]]] = ()  # in dependency order

    def __init__(self, settings: ProviderSettings, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.api: VendorApi[ProviderSettings] = self.Api(type(self), settings, ctx)
        self.resources = [r(self.api) for r in self.resource_types_for(settings)
                          if r.capability in self.capabilities
                          and self.capabilities[r.capability].fidelity != Fidelity.UNSUPPORTED]

    @classmethod
    def resource_types_for(cls, settings: ProviderSettings) -> Sequence[type[Resource]]:
        """The kinds an account with these settings syncs, in dependency order: `resource_types`, unless a
        setting changes them (Mailchimp's lists kept as audiences)."""
        return cls.resource_types

    def __repr__(self) -> str:  # never shows settings: they hold secrets
        return f"<{type(self).__name__} {self.ctx.client_name}/{self.ctx.account}>"

    @property
    def settings(self) -> ProviderSettings:
        """The account's settings: the api's, so that a change (a journey bound in a test) reaches it."""
        return self.api.settings

    @settings.setter
    def settings(self, value: ProviderSettings) -> None:
        self.api.settings = value

    # -- validation (pure) ------------------------------------------------------------------------
    @classmethod
    def merge_tags(cls, client: Client) -> MergeTagTranslator | None:
        """The translator for neutral personalisation, or None when hub renders text itself (SMS)."""
        return None

    @classmethod
    def check_client(cls, client: Client, account: str) -> list[Problem]:
        """Vendor-specific rules on the client's items (e.g. Mailchimp merge tags <= 10 characters)."""
        return []

    @classmethod
    def support(cls, capability: Capability) -> Support:
        return cls.capabilities.get(capability, Support(Fidelity.UNSUPPORTED, f"{cls.name} has no {capability}"))

    @classmethod
    def create_simulator(cls, clock: Clock, **options: Any) -> Simulator:
        if not cls.simulator:
            raise NotSupported(f"provider '{cls.name}' ships no simulator", provider=cls.name)
        from .simulator.base import Simulator

        sim = _load(cls.simulator, cls)(clock=clock, **options)
        if not isinstance(sim, Simulator):
            raise TypeError(f"provider '{cls.name}': {cls.simulator} made a {type(sim).__name__}, not a hub Simulator")
        return sim

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        """Settings that point this provider at its simulator (dummy credentials the simulator accepts)."""
        return {"base_url": base_url}

    # -- beyond sync -----------------------------------------------------------------------------------
    def resource(self, kind: str) -> Resource:
        for res in self.resources:
            if res.kind == kind:
                return res
        raise NotSupported(f"{self.name} does not handle {kind}", provider=self.name)
