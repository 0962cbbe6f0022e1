"""hub secrets set|list|delete: an account's secrets in the OS keyring (never in YAML); names, never values."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ._common import json_option, resolve_root, workspace_option
from ._output import data_console, emit_json, say
from .completion_cmd import complete_client


@click.group(short_help="Secrets in the OS keyring: set, list, delete.")
def secrets() -> None:
    """Secrets in the OS keyring, referenced from client.yaml as keyring:NAME."""


@secrets.command(name="set", short_help="Store one secret in the OS keyring.")
@click.argument("client", shell_complete=complete_client)
@click.argument("account")
@click.argument("setting")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the secret from standard input (for scripts).")
def secrets_set(client: str, account: str, setting: str, from_stdin: bool) -> None:
    """Store the SETTING secret of CLIENT's ACCOUNT (prompted for, not echoed)."""
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
    whether it is set now: the environment variable exists, the keyring entry exists. Only names are shown,
    never a value.

    The files are read as written, so a problem elsewhere in the workspace hides no client's secrets
    (`hub validate` checks the rest).
    """
    rows = _references(resolve_root(workspace))
    if as_json:
        emit_json({"secrets": rows})
    elif rows:
        from ._table import Column, fit, make_table

        cells = [{"client": r["client"], "account": r["account"], "setting": r["setting"],
                  "reference": r["reference"], "set": {True: "yes", False: "[red]no[/]", None: "?"}[r["set"]]}
                 for r in rows]
        columns = [Column("client"), Column("account"), Column("setting"), Column("reference", wrap=True),
                   Column("set")]
        console = data_console()
        console.print(make_table("secrets", fit(columns, cells, console.width), cells, console.width))
    missing = sum(1 for r in rows if r["set"] is False)
    unknown = sum(1 for r in rows if r["set"] is None)
    if not rows:
        say("no secret references in the client.yaml files (accounts are added under `accounts:`)")
    else:
        say(f"{len(rows)} secret reference(s); {missing} not set" + (" (`hub secrets set` or export them)"
                                                                      if missing else ""))
    if unknown and not as_json:
        say(f"?: {unknown} cannot be checked without reading the secret (a plugin's scheme, or no OS keyring on"
            " this machine); `hub plan` resolves them")


def _references(root: Path) -> list[dict[str, Any]]:
    """The secret references of every clients/*/client.yaml, in file order, each with whether it is set."""
    from ..credentials import BUILTIN_SCHEMES, REFERENCE_RE, how_to_reference, is_reference
    from ..plugins import default_plugins

    registry = default_plugins().registry
    rows = []
    for client, accounts in _accounts_as_written(root):
        for acc_name, acc in accounts.items():
            provider = acc.get("provider")
            secret = (set(registry.get(provider).Settings.secret_fields())
                      if isinstance(provider, str) and provider in registry else None)
            for setting, value in acc.items():
                if secret is not None and setting in secret and value not in (None, "") and not is_reference(value):
                    say(f"clients/{client}/client.yaml: accounts.{acc_name}.{setting} holds a literal value, which"
                        f" hub refuses: {how_to_reference(client, str(acc_name), str(setting))}", style="yellow")
                    continue
                if setting == "provider" or not is_reference(value) or (secret is not None and setting not in secret):
                    continue
                m = REFERENCE_RE.match(value.strip())
                assert m is not None
                if secret is None and m["scheme"] not in BUILTIN_SCHEMES:  # an unknown provider: only clear cases
                    continue
                rows.append({"client": client, "account": acc_name, "setting": setting, "reference": value.strip(),
                             "set": _is_set(m["scheme"], m["ref"])})
    return rows


def _accounts_as_written(root: Path) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """(client, its `accounts:` mapping) per client folder, read with plain YAML: a problem anywhere else in
    the workspace (a campaign, a blueprint, hub.yaml) must not hide a client's secrets."""
    import yaml

    out = []
    folder = root / "clients"
    for path in sorted(folder.glob("*/client.yaml")) if folder.is_dir() else []:
        client = path.parent.name
        if client.startswith("."):
            continue
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            say(f"clients/{client}/client.yaml cannot be read as YAML, so its secrets are not listed (`hub validate"
                f" -c {client}` says where)", style="yellow")
            continue
        accounts = doc.get("accounts") if isinstance(doc, dict) else None
        if isinstance(accounts, dict):
            out.append((client, {str(k): v for k, v in accounts.items() if isinstance(v, dict)}))
    return out


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
@click.argument("client", shell_complete=complete_client)
@click.argument("account")
@click.argument("setting")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def secrets_delete(client: str, account: str, setting: str, yes: bool) -> None:
    """Remove the SETTING secret of CLIENT's ACCOUNT that `hub secrets set` stored in the OS keyring."""
    from ..credentials import KEYRING_SERVICE, keyring_name
    from ..errors import ConfigError, ExitCode, Reported

    name = keyring_name(client, account, setting)
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError(f"refusing to delete keyring:{name} without confirmation; pass --yes")
        if not click.confirm(f"Delete keyring:{name}?", err=True):
            raise Reported(ExitCode.UNEXPECTED, "Nothing deleted.")  # as `hub apply` when declined
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
