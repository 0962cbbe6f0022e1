"""The files a consultant writes: hub.yaml, client.yaml and blueprints (PRODUCT §2)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .audience import Audience
from .automation import Automation
from .base import Model, Slug
from .campaign import Campaign, QuietHours


class HubConfig(Model):
    version: int = 1
    timezone: str = "UTC"
    state_dir: str = ".hub"
    quiet_hours: QuietHours | None = None


class Brand(Model):
    """The client's brand kit; every key is usable as `{{ brand.<key> }}`."""

    sender_name: str | None = None
    sender_email: str | None = None
    reply_to: str | None = None
    footer_address: str | None = None
    sms_sender: str | None = None
    website: str | None = None
    logo_url: str | None = None


class Account(BaseModel):
    """One vendor account; keys beyond `provider` are checked by that provider's settings model."""

    model_config = ConfigDict(extra="allow")
    provider: str


class BlueprintUse(Model):
    blueprint: Slug
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")


class ClientConfig(Model):
    name: str
    timezone: str | None = None
    brand: Brand = Field(default_factory=Brand)
    accounts: dict[Slug, Account] = Field(default_factory=dict)
    contact_source: Slug | None = None
    sms_consent_field: str | None = None
    quiet_hours: QuietHours | None = None
    use: list[BlueprintUse] = Field(default_factory=list)


class BlueprintVariable(Model):
    description: str = ""
    default: Any = None
    required: bool = False


class Blueprint(Model):
    description: str = ""
    variables: dict[str, BlueprintVariable] = Field(default_factory=dict)
    campaigns: list[dict[str, Any]] = Field(default_factory=list)
    automations: list[dict[str, Any]] = Field(default_factory=list)


class Client(BaseModel):
    """A client after loading: its config, audience, and campaigns/automations (blueprints expanded)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    name: str
    dir: str
    config: ClientConfig
    timezone: str
    audience: Audience
    campaigns: list[Campaign] = Field(default_factory=list)
    automations: list[Automation] = Field(default_factory=list)


class Workspace(BaseModel):
    root: str
    config: HubConfig
    clients: dict[str, Client]
    digest: str = ""
