from __future__ import annotations

from typing import Any

import keyring
import keyring.errors
import pytest
from pydantic import SecretStr
from workspace_fixtures import StandInMailerLite, StandInTwilio

from hub.credentials import build_settings, is_reference, keyring_name, resolve
from hub.errors import ConfigError
from hub.hookspecs import hookimpl
from hub.model.workspace import Account
from hub.plugins import make_plugins

SECRET = "s3cr3t-value-that-must-never-be-printed"


class VaultPlugin:
    __name__ = "vault-test"

    @hookimpl
    def hub_resolve_secret(self, scheme: str, reference: str) -> str | None:
        if scheme == "vault" and reference == "clients/acme":
            return SECRET
        return None


@pytest.fixture
def pm(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "")  # no installed plugins: only the one under test
    return make_plugins(extra=[VaultPlugin()]).pm


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("env:ACME_KEY", True),
        ("keyring:acme/mailerlite/api_key", True),
        ("vault:clients/acme", True),
        ("env:not a name", False),
        ("env:", False),
        ("abcdef0123456789", False),
        ("https://example.com", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_is_reference(value: object, expected: bool) -> None:
    assert is_reference(value) is expected


def test_env_reference(monkeypatch: pytest.MonkeyPatch, pm: Any) -> None:
    monkeypatch.setenv("ACME_KEY", SECRET)
    assert resolve("env:ACME_KEY", pm) == SECRET


def test_unset_env_names_the_variable_and_never_a_value(monkeypatch: pytest.MonkeyPatch, pm: Any) -> None:
    monkeypatch.delenv("ACME_KEY", raising=False)
    with pytest.raises(ConfigError) as info:
        resolve("env:ACME_KEY", pm, what="account 'acme/mailerlite' setting 'api_key'")
    text = str(info.value)
    assert "environment variable ACME_KEY is not set" in text and "acme/mailerlite" in text
    assert info.value.exit_code == 4


def test_keyring_reference(monkeypatch: pytest.MonkeyPatch, pm: Any) -> None:
    calls = []

    def get_password(service: str, user: str) -> str:
        calls.append((service, user))
        return SECRET

    monkeypatch.setattr(keyring, "get_password", get_password)
    assert resolve("keyring:acme/mailerlite/api_key", pm) == SECRET
    assert calls == [("hub", "acme/mailerlite/api_key")]
    assert keyring_name("acme", "mailerlite", "api_key") == "acme/mailerlite/api_key"


def test_keyring_missing_secret(monkeypatch: pytest.MonkeyPatch, pm: Any) -> None:
    monkeypatch.setattr(keyring, "get_password", lambda service, user: None)
    with pytest.raises(ConfigError, match=r"no secret 'acme/x' in the OS keyring .*hub secrets set"):
        resolve("keyring:acme/x", pm)


def test_keyring_without_a_backend(monkeypatch: pytest.MonkeyPatch, pm: Any) -> None:
    def fail(service: str, user: str) -> str:
        raise keyring.errors.NoKeyringError("No recommended backend was available " + SECRET)

    monkeypatch.setattr(keyring, "get_password", fail)
    with pytest.raises(ConfigError) as info:
        resolve("keyring:acme/x", pm)
    assert "OS keyring is not available (NoKeyringError)" in str(info.value) and "env:NAME" in str(info.value)
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_plugin_scheme(pm: Any) -> None:
    assert resolve("vault:clients/acme", pm) == SECRET


def test_unknown_scheme(pm: Any) -> None:
    with pytest.raises(ConfigError, match="no installed plugin resolves 'onepassword:' references"):
        resolve("onepassword:acme", pm)


def test_a_literal_is_not_resolved(pm: Any) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(SECRET, pm)
    assert SECRET not in str(info.value)


def test_build_settings_resolves_secrets(monkeypatch: pytest.MonkeyPatch, pm: Any) -> None:
    monkeypatch.setenv("TW_TOKEN", SECRET)
    account = Account(provider="twilio", account_sid="AC123", auth_token="env:TW_TOKEN")
    settings = build_settings(StandInTwilio, account, pm)
    assert settings.auth_token.get_secret_value() == SECRET  # type: ignore[attr-defined]
    assert settings.account_sid == "AC123"  # type: ignore[attr-defined]
    assert SECRET not in repr(settings)


def test_build_settings_overrides_are_values(pm: Any) -> None:
    account = Account(provider="mailerlite", api_key="env:NOT_SET_ANYWHERE_12345")
    settings = build_settings(StandInMailerLite, account, pm,
                              overrides={"base_url": "http://127.0.0.1:9999", "api_key": "sandbox"})
    assert settings.base_url == "http://127.0.0.1:9999"
    assert settings.api_key == SecretStr("sandbox")  # type: ignore[attr-defined]


def test_build_settings_refuses_a_literal_secret(pm: Any) -> None:
    account = Account(provider="mailerlite", api_key=SECRET)
    with pytest.raises(ConfigError) as info:
        build_settings(StandInMailerLite, account, pm, label="acme/mailerlite")
    text = str(info.value)
    assert "account 'acme/mailerlite' setting 'api_key'" in text and "env:NAME or keyring:NAME" in text
    assert SECRET not in text


def test_build_settings_validation_errors_name_the_account_without_values(monkeypatch: pytest.MonkeyPatch,
                                                                         pm: Any) -> None:
    monkeypatch.setenv("TW_TOKEN", SECRET)
    account = Account(provider="twilio", auth_token="env:TW_TOKEN", acount_sid=SECRET + "-sid", timeout="soon")
    with pytest.raises(ConfigError) as info:
        build_settings(StandInTwilio, account, pm, label="acme/twilio")
    text = str(info.value)
    assert "account 'acme/twilio': missing required key 'account_sid'" in text
    assert "unknown key 'acount_sid'; did you mean 'account_sid'?" in text
    assert "'timeout' should be a number" in text
    assert SECRET not in text and "soon" not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_build_settings_names_the_unset_variable(monkeypatch: pytest.MonkeyPatch, pm: Any) -> None:
    monkeypatch.delenv("TW_TOKEN", raising=False)
    account = Account(provider="twilio", account_sid="AC1", auth_token="env:TW_TOKEN")
    with pytest.raises(ConfigError, match="account 'twilio' setting 'auth_token': environment variable TW_TOKEN"):
        build_settings(StandInTwilio, account, pm)
