"""hub secrets set|list|delete: an account's secrets in the OS keyring (never in YAML); names, never values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ._common import json_option, resolve_root, workspace_option
from ._output import data_console, emit_json, say


@click.group(short_help="Secrets in the OS keyring: set, list, delete.")
def secrets() -> None:
    """Secrets in the OS keyring, referenced from client.yaml as keyring:NAME."""


@secrets.command(name="set", short_help="Store one secret in the OS keyring.")
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


@secrets.command(name="list", short_help="Every secret the workspace references, and whether it is set.")
@workspace_option
@json_option
def secrets_list(workspace: Path | None, as_json: bool) -> None:
    """Every secret setting the workspace's client.yaml files reference (env:, keyring:, plugin schemes) and
    whether it is set now. Only names are shown, never a value."""
    rows = _references(resolve_root(workspace))
    if as_json:
        emit_json({"secrets": rows})
        return
    from ._table import Column, fit, make_table

    cells = [{"client": r["client"], "account": r["account"], "setting": r["setting"], "reference": r["reference"],
              "set": {True: "yes", False: "[red]no[/]", None: "?"}[r["set"]]} for r in rows]
    columns = [Column("client"), Column("account"), Column("setting"), Column("reference", wrap=True),
               Column("set")]
    console = data_console()
    console.print(make_table("secrets", fit(columns, cells, console.width), cells, console.width))
    missing = sum(1 for r in rows if r["set"] is False)
    say(f"{len(rows)} secret reference(s); {missing} not set" + (" (`hub secrets set` or export them)"
                                                                  if missing else ""))


def _references(root: Path) -> list[dict[str, Any]]:
    from ..credentials import REFERENCE_RE, is_reference
    from ..plugins import default_plugins
    from ..sync.engine import validate_workspace

    plugins = default_plugins()
    ws = validate_workspace(root, plugins)
    rows = []
    for name, client in sorted(ws.clients.items()):
        for acc_name, acc in client.config.accounts.items():
            secret = set(plugins.registry.get(acc.provider).Settings.secret_fields())
            for setting, value in (acc.model_extra or {}).items():
                if setting in secret and is_reference(value):
                    m = REFERENCE_RE.match(value.strip())
                    assert m is not None
                    rows.append({"client": name, "account": acc_name, "setting": setting, "reference": value.strip(),
                                 "set": _is_set(m["scheme"], m["ref"])})
    for name in sorted(ws.refused):
        say(f"client {name} is not listed: its files have problems (`hub validate -c {name}`)", style="yellow")
    return rows


def _is_set(scheme: str, ref: str) -> bool | None:
    """Whether the secret exists, looked up without ever holding on to its value; None: cannot tell."""
    if scheme == "env":
        return bool(os.environ.get(ref))
    if scheme == "keyring":
        from ..credentials import KEYRING_SERVICE

        try:
            import keyring

            return keyring.get_password(KEYRING_SERVICE, ref) is not None
        except Exception:  # no keyring backend on this machine
            return None
    return None  # a plugin's scheme: only resolving it would tell


@secrets.command(name="delete", short_help="Remove one secret from the OS keyring.")
@click.argument("client")
@click.argument("account")
@click.argument("setting")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def secrets_delete(client: str, account: str, setting: str, yes: bool) -> None:
    """Remove the SETTING secret of CLIENT's ACCOUNT that `hub secrets set` stored in the OS keyring."""
    from ..credentials import KEYRING_SERVICE, keyring_name
    from ..errors import ConfigError, ExitCode, Reported

    name = keyring_name(client, account, setting)
    if not yes and not click.confirm(f"Delete keyring:{name}?", err=True):
        raise Reported(ExitCode.UNEXPECTED, "Nothing deleted.")
    try:
        import keyring
        import keyring.errors

        keyring.delete_password(KEYRING_SERVICE, name)
    except ImportError:
        raise ConfigError("the OS keyring is not available; nothing to delete") from None
    except keyring.errors.PasswordDeleteError:
        say(f"No secret keyring:{name} in the OS keyring; nothing deleted.")
        return
    except keyring.errors.KeyringError as exc:
        raise ConfigError(f"the OS keyring is not available ({type(exc).__name__})") from None
    say(f"Deleted keyring:{name}. Accounts that reference it fail until it is set again.")
