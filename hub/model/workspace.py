"""The files a consultant writes: hub.yaml, client.yaml and blueprints (PRODUCT §2)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import Problem
from .audience import Audience
from .automation import Automation
from .base import Model, Slug
from .campaign import Campaign, QuietHours


class Brand(Model):
    """The client's brand kit; every key is usable as `{{ brand.<key> }}`.

    Besides the known keys a client may add its own (`instagram: "@riseandshine"`); the loader reports a
    custom key that looks like a misspelt known one."""

    model_config = ConfigDict(extra="allow")

    sender_name: str | None = None
    sender_email: str | None = None
    reply_to: str | None = None
    footer_address: str | None = None
    sms_sender: str | None = None
    website: str | None = None
    logo_url: str | None = None

    @model_validator(mode="after")
    def _custom_keys_are_text(self) -> Brand:
        extra = self.model_extra or {}
        for key, value in extra.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValueError(f"brand key '{key}' must be text (it is used as {{{{ brand.{key} }}}})")
            extra[key] = str(value)
        return self

    def values(self) -> dict[str, str]:
        """Every key that has a value, custom keys included."""
        return {k: str(v) for k, v in self.model_dump(exclude_none=True).items() if v != ""}


class HubConfig(Model):
    version: int = 1
    timezone: str = "UTC"
    state_dir: str = ".hub"
    # the PostgreSQL database a team (or several `hub run` workers) shares, as a secret reference
    # (env:NAME, keyring:NAME): unset, the state is an SQLite file in `state_dir`
    database: str | None = None
    # brand-kit defaults for every client (see `inherit`)
    quiet_hours: QuietHours | None = None
    brand: Brand = Field(default_factory=Brand)


AccountRole = Literal["source", "target"]


class Account(BaseModel):
    """One vendor account; keys beyond `provider` and `role` are checked by that provider's settings model.

    `role` is set only while a client moves between vendors (`hub migrate`): the `source` is the account it
    leaves, which hub only reads (its contacts and their consent), and the `target` the one that serves the
    channel from now on."""

    model_config = ConfigDict(extra="allow")
    provider: str
    role: AccountRole | None = None


class BlueprintUse(Model):
    blueprint: Slug
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")


class ClientConfig(Model):
    name: str
    timezone: str | None = None
    country: str | None = None  # ISO 3166 alpha-2; the region for phone numbers written without +country code
    brand: Brand = Field(default_factory=Brand)
    accounts: dict[Slug, Account] = Field(default_factory=dict)
    contact_source: Slug | None = None
    sms_consent_field: str | None = None
    quiet_hours: QuietHours | None = None
    use: list[BlueprintUse] = Field(default_factory=list)

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = cls.normal_country(value)
        if len(code) != 2 or not code.isalpha():
            raise ValueError(f"country '{value}' should be a two-letter ISO 3166 code like GB, US or DE")
        return code

    @staticmethod
    def normal_country(value: str) -> str:
        return value.strip().upper()


# Brand-kit settings a client takes from hub.yaml when client.yaml leaves them unset (the brand's keys are
# inherited one by one; a campaign overrides with its own `quiet_hours`, email `from`/`reply_to`, SMS `sender`).
INHERITED_SETTINGS = ("quiet_hours",)


def inherit(client: ClientConfig, workspace: HubConfig) -> ClientConfig:
    """`client` with every brand-kit setting it leaves unset taken from hub.yaml.

    The one inheritance rule (workspace -> client -> campaign/step): the nearest level that sets a value wins.
    Applied once by the loader, so that every provider reads effective values from `client.config`."""
    brand = Brand.model_validate({**workspace.brand.model_dump(exclude_none=True),
                                  **client.brand.model_dump(exclude_none=True)})
    updates: dict[str, Any] = {"brand": brand}
    for key in INHERITED_SETTINGS:
        if getattr(client, key) is None:
            updates[key] = getattr(workspace, key)
    return client.model_copy(update=updates)


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

    def quiet_hours_for(self, campaign: Campaign | None) -> QuietHours | None:
        """The quiet hours a send obeys: the campaign's own, else the client's (hub.yaml's, when the client
        sets none: see `inherit`). One helper for every provider and the runner."""
        return (campaign.quiet_hours if campaign is not None else None) or self.config.quiet_hours

    def enrolled(self, automation: Automation) -> list[str]:
        """Emails hub enrols in `automation`: those listed, and subscribed members of its `enrol.list`."""
        enrol = automation.enrol
        if enrol is None:
            return []
        emails = {e.lower() for e in enrol.contacts}
        for c in self.audience.contacts:
            if c.email and c.consent.email.sendable and enrol.list and enrol.list in c.lists:
                emails.add(c.email.lower())
        return sorted(emails)


class Workspace(BaseModel):
    root: str
    config: HubConfig
    clients: dict[str, Client]  # the clients that validated clean
    digest: str = ""
    # clients left out because their own files have problems (loaded with `refuse_clients`), with those problems
    refused: dict[str, list[Problem]] = Field(default_factory=dict)
    problems: list[Problem] = Field(default_factory=list)  # every refused client's problems, in file order
    warnings: list[Problem] = Field(default_factory=list)  # worth knowing, never blocking
