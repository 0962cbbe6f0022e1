"""hub secrets set: store an account's secret in the OS keyring (never in YAML)."""

from __future__ import annotations

import click

from ._output import say


@click.group()
def secrets() -> None:
    """Secrets in the OS keyring, referenced from client.yaml as keyring:NAME."""


@secrets.command(name="set")
@click.argument("client")
@click.argument("account")
@click.argument("setting")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the secret from standard input (for scripts).")
def secrets_set(client: str, account: str, setting: str, from_stdin: bool) -> None:
    """Store the SETTING secret of CLIENT's ACCOUNT (prompted for, not echoed)."""
    import sys

    from ..credentials import KEYRING_SERVICE, keyring_name
    from ..errors import ConfigError

    value = sys.stdin.readline().strip() if from_stdin else click.prompt("Secret", hide_input=True, err=True)
    if not value:
        raise ConfigError("no secret given; nothing stored")
    name = keyring_name(client, account, setting)
    try:
        import keyring
        import keyring.errors

        keyring.set_password(KEYRING_SERVICE, name, value)
    except (ImportError, keyring.errors.KeyringError) as exc:
        raise ConfigError(f"the OS keyring is not available ({type(exc).__name__}); use env:NAME instead") from None
    say(f"Stored. In clients/{client}/client.yaml, under accounts.{account}: {setting}: keyring:{name}")
