"""`hub migrate CLIENT --from SOURCE --to TARGET`: read the source, plan the target, apply, record it.

The target's plan is the ordinary one (audience, fields, tags, segments, campaigns not sent yet, automations,
each with its fidelity at the target vendor), with the contact push carrying the source's contacts and their
consent (`hub.migrate.carry`, through `VendorApi.contacts_to_push`). A migration from an SMS account carries its
opt-outs: they become hub's own opt-outs of the client, which every SMS account of the client honours.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..model import Channel, ConsentStatus, Contact
from ..routing import SOURCE, TARGET
from ..sync.accounts import Account
from ..sync.engine import Session
from ..sync.plan import Plan
from ..sync.services import ClientServices
from .carry import SUPPRESSED, carry, within
from .guard import MIGRATION_KIND


@dataclass
class Migration:
    """What a migration reads and what it will push."""

    client: str
    source: Account
    target: Account
    exported: list[Contact] = field(default_factory=list)  # the source's contacts, consent as it holds them
    carried: list[Contact] = field(default_factory=list)  # what the target is pushed (email), workspace's merged in

    @property
    def channels(self) -> frozenset[Channel]:
        return self.source.provider.channels & self.target.provider.channels

    def summary(self) -> dict[str, Any]:
        """Counts for the plan: contacts read and carried, suppressed ones by status, opt-in evidence, opt-outs."""
        out: dict[str, Any] = {"client": self.client, "from": self.source.name, "to": self.target.name,
                               "from_provider": self.source.provider.name, "to_provider": self.target.provider.name,
                               "source_contacts": len(self.exported)}
        if Channel.EMAIL in self.channels:
            statuses = Counter(c.consent.email.value for c in self.carried if c.email)
            mine = {c.key for c in self.target.client.audience.contacts}
            out.update({
                "carried": sum(1 for c in self.carried if c.email),
                "only_at_source": sum(1 for c in self.exported if c.email and c.key not in mine),
                "suppressed": sum(n for s, n in statuses.items() if ConsentStatus(s) in SUPPRESSED),
                "by_status": dict(sorted(statuses.items())),
                "with_opt_in_evidence": sum(1 for c in self.carried if c.email and c.consent.opted_in_at),
            })
        if Channel.SMS in self.channels:
            out["sms_opt_outs"] = len(self.sms_stops())
        return out

    def sms_stops(self) -> list[str]:
        return sorted({c.phone for c in self.exported
                       if c.phone and c.consent.sms in (ConsentStatus.UNSUBSCRIBED, ConsentStatus.COMPLAINED)})


def open_migration(session: Session, client: str, source: str, target: str) -> Migration:
    """The migration's two accounts, checked against client.yaml and opened, with the source read."""
    if client in session.refused:
        listed = "\n".join(f"  {p}" for p in session.refused[client])
        raise ConfigError(f"client '{client}' is refused, so it cannot be migrated until this is fixed:\n{listed}")
    config = session.workspace.clients[client].config.accounts
    for name, role in ((source, SOURCE), (target, TARGET)):
        if name not in config:
            raise ConfigError(f"client '{client}' has no account '{name}' in client.yaml (its accounts:"
                              f" {', '.join(config) or 'none'})")
        if config[name].role != role:
            raise ConfigError(_roles_hint(client, source, target, config[source].provider if source in config else "",
                                          config[target].provider))
    src = next((a for a in session.sources if a.client.name == client and a.name == source), None)
    dst = next((a for a in session.accounts if a.client.name == client and a.name == target), None)
    if src is None or dst is None:
        missing = next(u for u in session.unopened if u.client == client and u.name in (source, target))
        raise ConfigError(f"account '{client}/{missing.name}' could not be opened: {missing.error}")
    migration = Migration(client, src, dst)
    if not migration.channels:
        raise ConfigError(f"'{source}' ({src.provider.name}) and '{target}' ({dst.provider.name}) serve no channel in"
                          " common: a migration moves one channel's account to another vendor")
    services = dst.provider.ctx.services
    assert isinstance(services, ClientServices), "the session binds every account's services"
    migration.exported = list(services.exported(source))  # the read the target's contact push reuses
    if Channel.EMAIL in migration.channels:
        audience = dst.client.audience
        migration.carried = carry(list(audience.contacts), within(migration.exported, audience))
    return migration


def _roles_hint(client: str, source: str, target: str, source_provider: str, target_provider: str) -> str:
    return (f"mark the migration's accounts in clients/{client}/client.yaml first: `role: source` on '{source}'"
            f"{f' ({source_provider})' if source_provider else ''}, the account the client leaves (hub only reads"
            f" it), and `role: target` on '{target}' ({target_provider}); then run"
            f" `hub migrate {client} --from {source} --to {target}` again")


def target_plan(session: Session, migration: Migration) -> Plan:
    """The client's ordinary plan, narrowed to the target account."""
    plan = session.plan()
    mine = (migration.client, migration.target.name)
    plan.changes = [c for c in plan.changes if (c.client, c.account) == mine]
    plan.accounts = [a for a in plan.accounts if (a.client, a.account) == mine or a.client != migration.client
                     or a.account == "*"]
    return plan


def record_done(session: Session, migration: Migration, run_id: str) -> None:
    """After an apply that left nothing failed: remember that the source was migrated (the guard lets the client
    drop the source account from client.yaml), and make its SMS opt-outs hub's own."""
    for phone in migration.sms_stops():
        session.state.record_optout(migration.client, "sms", phone, f"opted out at {migration.source.name}")
    src = migration.source
    session.state.record(run_id, migration.client, src.name, src.provider.name, MIGRATION_KIND, migration.target.name,
                         migration.target.name, "", migration.target.provider.name)
