"""Helpers for workspace tests: stand-in providers, a small valid workspace, and one-line loaders."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from hub.errors import ConfigError, Problem
from hub.model import Channel, Client, Workspace
from hub.model.personalisation import MergeTagTranslator, Variable
from hub.provider import Provider, ProviderSettings
from hub.registry import ProviderRegistry
from hub.workspace import load_workspace

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class StandInMailerLiteTags(MergeTagTranslator):
    TAGS: ClassVar[dict[str, str]] = {"first_name": "name", "last_name": "last_name", "email": "email",
                                      "unsubscribe_url": "unsubscribe", "web_url": "url"}

    def tag(self, var: Variable) -> str | None:
        key = var.key if var.namespace == "fields" else self.TAGS.get(var.name)
        if key is None:
            return None
        return f"{{${key}|default('{var.default}')}}" if var.default else f"{{${key}}}"


class StandInMailerLite(Provider):
    """Just enough of a MailerLite provider for validation: email, an api_key secret, merge tags."""

    name = "mailerlite"
    display_name = "MailerLite"
    channels = frozenset({Channel.EMAIL})

    class Settings(ProviderSettings):
        api_key: SecretStr

    @classmethod
    def merge_tags(cls, client: Client) -> MergeTagTranslator | None:
        return StandInMailerLiteTags()


class StandInTwilio(Provider):
    name = "twilio"
    display_name = "Twilio"
    channels = frozenset({Channel.SMS})

    class Settings(ProviderSettings):
        account_sid: str
        auth_token: SecretStr
        messaging_service_sid: str | None = None


class StrictProvider(StandInMailerLite):
    """Reports a vendor-specific problem for every campaign (to test that check_client is called)."""

    name = "strict"

    @classmethod
    def check_client(cls, client: Client, account: str) -> list[Problem]:
        return [Problem(c.source.rsplit(":", 1)[0], int(c.source.rsplit(":", 1)[1]),
                        f"strict cannot send campaign '{c.id}'") for c in client.campaigns]


def make_registry(*providers: type[Provider]) -> ProviderRegistry:
    registry = ProviderRegistry()
    for p in providers or (StandInMailerLite, StandInTwilio):
        registry.add(p)
    return registry


BASE_FILES: dict[str, str] = {
    "hub.yaml": """\
        version: 1
        timezone: Europe/London
        """,
    "clients/acme/client.yaml": """\
        name: Acme Coffee
        country: GB
        brand:
          sender_name: Acme Coffee
          sender_email: hello@acme.example
          reply_to: help@acme.example
          footer_address: 1 High Street, Bristol
          sms_sender: AcmeCoffee
        accounts:
          mailerlite:
            provider: mailerlite
            api_key: env:ACME_ML_KEY
          twilio:
            provider: twilio
            account_sid: AC00000000000000000000000000000000
            auth_token: keyring:acme/twilio/auth_token
        """,
    "clients/acme/audience.yaml": """\
        lists:
          - id: customers
            name: Customers
          - id: trade
            name: Trade
        tags:
          - id: vip
            name: VIP
        fields:
          - id: favourite_drink
            name: Favourite drink
          - id: birthday
            name: Birthday
            type: date
        segments:
          - id: vips
            name: VIPs
            rules:
              - tag: vip
        contacts:
          - email: ann@example.com
            first_name: Ann
            phone: "+44 117 496 0123"
            lists: [customers]
            tags: [vip]
            fields: {favourite_drink: flat white, birthday: 1990-05-14}
          - email: bob@example.com
            lists: [customers]
        """,
    "clients/acme/campaigns/launch.yaml": """\
        name: Spring launch
        audience:
          list: customers
        email:
          subject: Hello {{ first_name | default("friend") }}
          body_markdown: |
            Hi {{ first_name }},
            Our {{ fields.favourite_drink | default("coffee") }} is better than ever.
            [Unsubscribe]({{ unsubscribe_url }})
            {{ brand.footer_address }}
        sms:
          body: Hi {{ first_name }}, spring menu is here!
        schedule:
          at: 2026-04-01 09:00
        """,
    "clients/acme/automations/welcome.yaml": """\
        name: Welcome
        trigger:
          joined_list: customers
        steps:
          - id: hello
            send_email:
              subject: Welcome!
              body_html: <p>Hi</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>
          - wait: {days: 2}
          - id: check
            condition: {opened: hello}
            yes: thanks
            no: done
          - id: thanks
            add_tag: vip
          - id: done
            exit: true
        """,
}


def write_files(root: Path, files: dict[str, str | None]) -> Path:
    """Write `files` (workspace-relative path -> dedented text; None deletes) under `root`."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def make_workspace(tmp_path: Path, changes: dict[str, str | None] | None = None) -> Path:
    """The small valid workspace above, with `changes` applied."""
    return write_files(tmp_path, {**BASE_FILES, **(changes or {})})


def load(root: Path, registry: ProviderRegistry | None = None, **kw: Any) -> Workspace:
    kw.setdefault("now", NOW)
    return load_workspace(root, registry or make_registry(), **kw)


def problems_of(root: Path, registry: ProviderRegistry | None = None, **kw: Any) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        load(root, registry, **kw)
    return info.value.problems


def only_problem(root: Path, registry: ProviderRegistry | None = None, **kw: Any) -> Problem:
    found = problems_of(root, registry, **kw)
    assert len(found) == 1, "\n".join(str(p) for p in found)
    return found[0]


def line_of(root: Path, rel: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line in `rel` that contains `needle`."""
    hits = [i for i, line in enumerate((root / rel).read_text().splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} time(s) in {rel}"
    return hits[nth - 1]


def edit(rel: str, old: str, new: str, files: dict[str, str] | None = None) -> dict[str, str]:
    """`{rel: text}` with the first `old` in the (dedented) base file replaced by `new`."""
    text = textwrap.dedent((files or BASE_FILES)[rel])
    assert old in text, f"{old!r} not in {rel}"
    return {rel: text.replace(old, new, 1)}
