"""Plugin loading: entry points, allow/block lists, duplicate names, typos in hook names."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from cli_helpers import hub

from hub import hookimpl, hookspecs
from hub.errors import ConfigError
from hub.plugin import lazy
from hub.plugins import make_plugins
from hub_mailerlite.provider import MailerLiteProvider


def test_builtins_and_third_party_load_through_the_same_entry_point_group() -> None:
    plugins = make_plugins()
    by_name = {p.name: p for p in plugins.loaded}
    assert by_name["mailerlite"].distribution == "hub"
    assert by_name["testvendor"].distribution == "hub-testvendor"
    assert plugins.registry.owner("mailerlite") == "mailerlite"


def test_allow_list_and_block_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "testvendor")
    assert make_plugins().registry.names() == ["testvendor"]
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "mailerlite,testvendor")
    monkeypatch.setenv("HUB_DISABLE_PLUGINS", "testvendor")
    assert make_plugins().registry.names() == ["mailerlite"]


def test_duplicate_provider_names_are_refused_naming_both_plugins() -> None:
    class Impostor:
        __name__ = "hub-impostor"

        @hookimpl
        def hub_register_providers(self, register):  # type: ignore[no-untyped-def]
            register.add(type("FakeML", (MailerLiteProvider,), {}))

    with pytest.raises(ConfigError) as info:
        make_plugins(extra=[Impostor()])
    assert "'mailerlite'" in str(info.value) and "'hub-impostor'" in str(info.value)


def test_a_misspelt_hook_fails_at_start_up() -> None:
    class Typo:
        __name__ = "hub-typo"

        @hookimpl
        def hub_register_provider(self, register):  # type: ignore[no-untyped-def]
            pass

    with pytest.raises(ConfigError, match="hub-typo"):
        make_plugins(extra=[Typo()])


def test_registering_something_else_than_a_provider_is_refused() -> None:
    class Wrong:
        __name__ = "hub-wrong"

        @hookimpl
        def hub_register_providers(self, register):  # type: ignore[no-untyped-def]
            register.add(object)

    with pytest.raises(ConfigError, match="hub-wrong"):
        make_plugins(extra=[Wrong()])


def test_a_provider_part_that_cannot_be_imported_is_named_when_first_needed() -> None:
    """Settings, API and resources are imported on first use (listing providers needs none): a wrong path fails
    then, naming the class attribute and the path."""

    class Broken(MailerLiteProvider):
        Api = lazy("hub_mailerlite.no_such_module:MailerLiteApi")
        Settings = lazy("hub_mailerlite.api:NoSuchSettings")

    with pytest.raises(ConfigError, match=r"Broken\.Api = lazy\('hub_mailerlite\.no_such_module:MailerLiteApi'\)"):
        _ = Broken.Api
    with pytest.raises(ConfigError, match="NoSuchSettings"):
        _ = Broken.Settings
    assert Broken.resource_types == MailerLiteProvider.resource_types  # the parent's own, loaded from its package
    assert Broken.resource_types[0].__module__ == "hub_mailerlite.resources"


def test_every_hook_is_documented() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name, spec in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("hub_"):
            assert spec.__doc__ and ":param" in spec.__doc__, f"{name} needs a docstring with :param:"
            assert name in readme, f"README's plugin section must mention {name}"


def test_no_providers_gives_a_hint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "")
    result = hub(capsys, "providers", "list")
    assert result.code == 0 and "No providers installed" in result.err
