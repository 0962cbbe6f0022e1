"""Secrets: references in YAML, values only in memory.

An account's secret settings are written as references, never as values:

- ``env:NAME``      the environment variable NAME;
- ``keyring:NAME``  the OS keyring, service ``hub``, user NAME (what ``hub secrets set`` stores);
- ``<scheme>:REF``  any other scheme, answered by a plugin's ``hub_resolve_secret(scheme, reference)``.

Nothing here ever puts a secret value in a message or an exception (not even chained: pydantic errors,
which echo their input, are re-raised ``from None``).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr, ValidationError

from .errors import ConfigError, CredentialsError, Problem

if TYPE_CHECKING:
    from .model.workspace import Account
    from .provider import Provider, ProviderSettings

KEYRING_SERVICE = "hub"
BUILTIN_SCHEMES = ("env", "keyring")
REFERENCE_RE = re.compile(r"^(?P<scheme>[a-z][a-z0-9_-]*):(?P<ref>\S+)$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NOT_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "file", "data", "tel", "sms"})

PLACEHOLDER = SecretStr("<reference>")  # stands in for a secret while validating settings offline


def is_reference(value: object) -> bool:
    """True when `value` is a secret reference (``env:NAME``, ``keyring:NAME`` or ``scheme:ref``)."""
    if not isinstance(value, str):
        return False
    m = REFERENCE_RE.match(value.strip())
    if not m or m["scheme"] in _NOT_SCHEMES:
        return False
    if m["scheme"] == "env":
        return bool(ENV_NAME_RE.match(m["ref"]))
    return True


def reference_problem(value: object) -> str | None:
    """Why `value` is not a usable reference, or None when it is one."""
    if isinstance(value, str):
        m = REFERENCE_RE.match(value.strip())
        if m and m["scheme"] == "env" and not ENV_NAME_RE.match(m["ref"]):
            return "'env:' must be followed by a variable name (letters, digits and '_', e.g. env:BAKERY_KEY)"
    if is_reference(value):
        return None
    return "it holds a literal value"


def keyring_name(client: str, account: str, setting: str) -> str:
    """The keyring user name `hub secrets set` uses for one account setting."""
    return f"{client}/{account}/{setting}"


def how_to_reference(client: str, account: str, setting: str) -> str:
    env = re.sub(r"[^A-Z0-9]+", "_", f"{client}_{account}_{setting}".upper()).strip("_")
    return (f"write `{setting}: env:{env}` and export {env}, or run `hub secrets set {client} {account} {setting}`"
            f" and write `{setting}: keyring:{keyring_name(client, account, setting)}`")


def _hook_caller(pm: Any) -> Any:
    inner = getattr(pm, "pm", pm)  # accept hub.plugins.Plugins or a pluggy PluginManager
    return getattr(inner, "hook", None)


def resolve(value: str, pm: Any, *, what: str = "secret") -> str:
    """The secret a reference points at. `what` names it in errors ("account 'bakery/mailerlite' api_key")."""
    if not is_reference(value):
        raise ConfigError(f"{what}: {reference_problem(value)}; use env:NAME, keyring:NAME or a plugin scheme")
    m = REFERENCE_RE.match(value.strip())
    assert m is not None
    scheme, ref = m["scheme"], m["ref"]
    if scheme == "env":
        found = os.environ.get(ref)
        if not found:
            raise ConfigError(f"{what}: environment variable {ref} is not set (or empty); export it, or store the"
                              f" secret in the OS keyring with `hub secrets set` and use keyring:NAME")
        return found
    if scheme == "keyring":
        try:
            import keyring
            import keyring.errors

            found = keyring.get_password(KEYRING_SERVICE, ref)
        except Exception as exc:  # NoKeyringError, backend failures: never echo anything secret
            kind = type(exc).__name__
            raise ConfigError(f"{what}: the OS keyring is not available ({kind}); install a keyring backend or"
                              f" use env:NAME instead") from None
        if not found:
            raise ConfigError(f"{what}: no secret '{ref}' in the OS keyring (service '{KEYRING_SERVICE}'); store it"
                              f" with `hub secrets set`")
        return found
    hook = _hook_caller(pm)
    found = None
    if hook is not None and hasattr(hook, "hub_resolve_secret"):
        try:
            found = hook.hub_resolve_secret(scheme=scheme, reference=ref)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(f"{what}: resolving a '{scheme}:' reference failed ({type(exc).__name__})") from None
    if not found:
        raise ConfigError(f"{what}: no installed plugin resolves '{scheme}:' references; use env:NAME or"
                          f" keyring:NAME, or install the plugin for '{scheme}'")
    return str(found)


def settings_error_messages(exc: ValidationError, model: type) -> list[str]:
    """Messages for a settings ValidationError that never repeat the input (it may be a secret)."""
    from .workspace.messages import kind_message

    return [kind_message(err, model, show_input=False) for err in exc.errors()]


def build_settings(provider_cls: type[Provider], account: Account, pm: Any, *,
                   overrides: dict[str, Any] | None = None, label: str | None = None) -> ProviderSettings:
    """The provider's validated settings for `account`, with secret references resolved.

    `overrides` (e.g. a simulator's base_url and dummy credentials) are taken as values, not references.
    `label` names the account in errors ("bakery/mailerlite"); the provider name by default.
    """
    name = label or provider_cls.name
    settings_cls = provider_cls.Settings
    secret_fields = set(settings_cls.secret_fields())
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    missing: list[str] = []
    for key, value in (account.model_extra or {}).items():
        if key in secret_fields and key not in overrides and value is not None:
            why = reference_problem(value)
            if why:
                problems.append(Problem("", None, f"account '{name}' setting '{key}': {why}; secrets must be"
                                                  " written as env:NAME or keyring:NAME (see `hub secrets set`)"))
                continue
            try:
                values[key] = resolve(value, pm, what=f"account '{name}' setting '{key}'")
            except ConfigError as exc:
                problems.extend(exc.problems)
                missing.append(value.strip())
        else:
            values[key] = value
    if problems:
        raise CredentialsError(problems, missing)
    values.update(overrides)
    try:
        return settings_cls.model_validate(values)
    except ValidationError as exc:
        messages = settings_error_messages(exc, settings_cls)
        raise ConfigError([Problem("", None, f"account '{name}': {m}") for m in messages]) from None
