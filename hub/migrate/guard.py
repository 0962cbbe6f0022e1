"""What every plan and apply checks before any account is planned: the consent guard of a vendor change.

A client's old email vendor holds who unsubscribed, bounced or complained there; the workspace's audience says
"subscribed" by default. Pointing client.yaml at a new email account and applying would subscribe those people at
the new vendor. So:

- a migration's source (`role: source`) is only read: it is never planned or applied (nothing pushed or sent
  there); its contacts and their consent reach the target through the contact push (`hub.migrate.carry`);
- a client whose state holds contacts hub pushed to an email account that client.yaml no longer has (removed,
  renamed, or moved to another provider), without a migration from it, is refused, with what to do instead;
- so is a client whose source account cannot be opened (its unsubscribes could not be read).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HubError, Problem
from ..model import Channel, Client, Workspace
from ..registry import ProviderRegistry
from ..routing import account_for, source_accounts
from ..state import StateStore
from ..sync.accounts import Account, Unopened

MIGRATION_KIND = "migration"  # a state item on the source account: hub migrated it (neutral id: the target)


@dataclass
class Guarded:
    accounts: list[Account]  # the accounts to plan and apply: sources and refused clients' left out
    sources: list[Account] = field(default_factory=list)  # opened, bound to their client's services, read-only
    refused: dict[str, list[Problem]] = field(default_factory=dict)


def guard_accounts(workspace: Workspace, accounts: list[Account], unopened: Iterable[Unopened],
                   state: StateStore, registry: ProviderRegistry) -> Guarded:
    """Split off the migration sources and refuse the clients whose email account changed without one."""
    out = Guarded([])
    clients = {a.client.name: a.client for a in accounts}
    clients.update({u.client: workspace.clients[u.client] for u in unopened if u.client in workspace.clients})
    missing = {(u.client, u.name) for u in unopened}
    for name, client in sorted(clients.items()):
        problems = _check_client(workspace, client, missing, state, registry)
        if problems:
            out.refused[name] = problems
    for acc in accounts:
        if acc.client.name in out.refused:
            continue
        (out.sources if acc.client.config.accounts[acc.name].role == "source" else out.accounts).append(acc)
    return out


def _check_client(workspace: Workspace, client: Client, missing: set[tuple[str, str]], state: StateStore,
                  registry: ProviderRegistry) -> list[Problem]:
    where = _config_line(workspace, client)
    sources = source_accounts(client)
    for source in sources:
        if (client.name, source) in missing:
            return [Problem(where[0], where[1], f"the account '{source}' this client is moving away from (role:"
                                                " source) could not be opened, so hub cannot read who unsubscribed,"
                                                " bounced or complained there, and pushes nothing to the new account"
                                                " until it can (its credentials are named below)")]
    try:
        current = account_for(client, Channel.EMAIL, registry)
    except HubError:
        return []  # two email accounts: validation has said so already
    now = (current, client.config.accounts[current].provider) if current else None
    old = sorted(held for held in state.holders(client.name, "contact")
                 if _is_email(held[1], registry) and held != now)
    left = [(acc, provider) for acc, provider in old
            if not _migrated(state, client.name, acc)
            and not (acc in sources and client.config.accounts[acc].provider == provider)]
    if not left:
        return []
    acc, provider = left[0]
    display = registry.get(provider).display_name if provider in registry else provider
    target = current or "NEW"
    same_name = current == acc
    keep = (f"rename the new account (e.g. '{acc}-new'), put the old one back as '{acc}' with `provider: {provider}`"
            " and `role: source`" if same_name else
            f"keep the old account in client.yaml as '{acc}' (provider: {provider}) with `role: source`")
    return [Problem(where[0], where[1],
                    f"the email account changed: hub pushed this client's contacts to '{acc}' ({display}), which"
                    f" client.yaml no longer has{' as that provider' if same_name else ''}, and {display} holds who"
                    " unsubscribed, bounced or complained there. Applying to "
                    + (f"'{current}'" if current else "a new account")
                    + " now would subscribe them again, so this client is refused. To move it with consent kept:"
                    f" {keep}, give the new one `role: target`, and run"
                    f" `hub migrate {client.name} --from {acc} --to {target}`")]


def _is_email(provider: str, registry: ProviderRegistry) -> bool:
    # a provider no longer installed is taken for an email one: its contacts' consent cannot be checked either
    return provider not in registry or Channel.EMAIL in registry.get(provider).channels


def _migrated(state: StateStore, client: str, account: str) -> bool:
    return bool(state.items(client, account, MIGRATION_KIND))


def _config_line(workspace: Workspace, client: Client) -> tuple[str, int | None]:
    """client.yaml (relative to the workspace) and the line of its `accounts:` key."""
    path = Path(client.dir) / "client.yaml"
    try:
        rel = str(path.relative_to(workspace.root))
    except ValueError:
        rel = str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return rel, None
    line = next((i for i, text in enumerate(lines, 1) if text.startswith("accounts:")), None)
    return rel, line
