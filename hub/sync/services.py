"""What the engine lends a provider beyond HTTP: the client's audience as the contact source holds it,
hub's state (delivery ledger, opt-outs), a stop flag, and writing an opt-out back to the contact source.

An SMS provider has no audience of its own: its recipients are the members of a list (or segment) of the
client's contact source (usually the email provider), merged with the contacts written in the workspace,
filtered to those with a phone and SMS consent who never opted out.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from ..errors import HubError, NotSupported
from ..model import Channel, Client, ConsentStatus, Contact
from ..model.segments import matches
from ..provider import Capability, Fidelity
from ..routing import contact_source, migration_source, source_accounts

if TYPE_CHECKING:
    from ..registry import ProviderRegistry
    from ..state import StateStore
    from ..state.store import AccountLedger
    from .accounts import Account

log = logging.getLogger("hub.audience")
CONSENTING_VALUES = {"subscribed", "yes", "true", "1", "opted_in"}


class ClientServices:
    """The engine's `hub.services.AccountServices`, one per client."""

    def __init__(self, client: Client, state: StateStore, accounts: dict[str, Account],
                 registry: ProviderRegistry | None, stop: threading.Event) -> None:
        self.client = client
        self.state = state
        self.accounts = accounts  # this client's opened accounts, by account name
        self.registry = registry
        self.stop = stop
        self._lock = threading.Lock()
        self._members: dict[tuple[str, str | None], list[Contact]] = {}
        self._exported: dict[str, list[Contact]] = {}  # a migration source's contacts, read once per command
        self._export_lock = threading.Lock()

    # -- audience ---------------------------------------------------------------------------------------
    def members(self, list_id: str, segment_id: str | None = None, *, refresh: bool = False) -> list[Contact]:
        """Contacts in the list (and segment): the contact source's members merged with the workspace's (read
        once per command, or again with `refresh`: a worker that runs for days)."""
        key = (list_id, segment_id)
        with self._lock:
            if key in self._members and not refresh:
                return self._members[key]
        found = self._resolve(list_id, segment_id)
        with self._lock:
            self._members[key] = found
        return found

    def _resolve(self, list_id: str, segment_id: str | None) -> list[Contact]:
        segment = next((s for s in self.client.audience.segments if s.id == segment_id), None)
        written = {c.key: c for c in self.client.audience.contacts
                   if list_id in c.lists and (segment is None or matches(c, segment))}
        vendor = self._vendor_members(list_id, segment_id)
        if vendor is None:
            return list(written.values())
        merged: dict[str, Contact] = {}
        if segment is not None:  # the vendor decides who is in a segment
            written = {k: c for k, c in written.items() if k in {v.key for v in vendor}}
        for v in vendor:
            mine = written.get(v.key)
            merged[v.key] = self._merge(mine, v)
        for k, c in written.items():
            merged.setdefault(k, c)  # written in the workspace but not pushed yet
        return list(merged.values())

    def _vendor_members(self, list_id: str, segment_id: str | None) -> list[Contact] | None:
        if self.registry is None:
            return None
        try:
            source = contact_source(self.client, self.registry)
        except HubError:
            return None
        account = self.accounts.get(source or "")
        if account is None or account.provider.support(Capability.MEMBERS_READ).fidelity == Fidelity.UNSUPPORTED:
            return None
        from .plan import build_refs

        refs = build_refs(self.state, account)
        if refs.vendor_id("list", list_id) is None:
            return None  # not pushed yet: the workspace's contacts are the audience
        try:
            return account.provider.api.read_members(self.client, list_id, segment_id, refs)
        except HubError as exc:
            log.warning("could not read members of %s from %s: %s", list_id, source, exc)
            return None

    def _merge(self, written: Contact | None, vendor: Contact) -> Contact:
        field = self.client.config.sms_consent_field
        if written is None:
            sms = None
            if field and str(vendor.fields.get(field, "")).lower() in CONSENTING_VALUES:
                sms = ConsentStatus.SUBSCRIBED
            elif field and vendor.fields.get(field):
                sms = ConsentStatus.UNSUBSCRIBED
            return vendor.model_copy(update={"consent": vendor.consent.model_copy(update={"sms": sms})})
        # the workspace says who may be texted and where; the vendor says who unsubscribed from email
        consent = written.consent.model_copy(update={"email": vendor.consent.email})
        if field and str(vendor.fields.get(field, "")).lower() == "unsubscribed":
            consent = consent.model_copy(update={"sms": ConsentStatus.UNSUBSCRIBED})
        return written.model_copy(update={"consent": consent, "phone": written.phone or vendor.phone})

    # -- a migration's source (role: source) ------------------------------------------------------------
    def carried(self, account: str, contacts: list[Contact]) -> list[Contact]:
        """`contacts` merged with the source's while the client migrates to `account` (hub.migrate.carry).
        A source that cannot be read fails the push (HubError): never pushed without its unsubscribes."""
        if self.registry is None:
            return contacts
        source = migration_source(self.client, account, self.registry)
        if source is None or Channel.EMAIL not in self._channels(account):
            return contacts
        from ..migrate.carry import carry, within

        return carry(contacts, within(self.exported(source), self.client.audience))

    def exported(self, source: str) -> list[Contact]:
        """Every contact of the source account with its consent as the vendor holds it (`export_contacts`),
        read once per command."""
        with self._export_lock:  # one read, however many resources ask at once
            if source not in self._exported:
                account = self.accounts.get(source)
                if account is None:
                    raise NotSupported(f"the migration's source account '{source}' could not be opened, so hub"
                                       " cannot read who unsubscribed there; nothing is pushed without that")
                from .plan import build_refs

                self._exported[source] = list(account.provider.api.export_contacts(build_refs(self.state, account)))
            return self._exported[source]

    def _channels(self, account: str) -> frozenset[Channel]:
        acc = self.client.config.accounts.get(account)
        if self.registry is None or acc is None or acc.provider not in self.registry:
            return frozenset()
        return self.registry.get(acc.provider).channels

    def _source_stops(self) -> dict[str, str]:
        """Numbers a migration's SMS source (the old Messaging Service) holds as opted out: Twilio keeps a STOP per
        service, so texts from the new one must be kept from them by hub."""
        out: dict[str, str] = {}
        for source in source_accounts(self.client):
            if Channel.SMS not in self._channels(source):
                continue
            for c in self.exported(source):
                if c.phone and c.consent.sms in (ConsentStatus.UNSUBSCRIBED, ConsentStatus.COMPLAINED):
                    out.setdefault(c.phone, f"opted out at {source}")
        return out

    # -- opt-outs ---------------------------------------------------------------------------------------
    def ledger(self, account: str) -> AccountLedger:
        return self.state.ledger(self.client.name, account)

    def optouts(self, channel: str = "sms") -> dict[str, str]:
        found = self.state.optouts(self.client.name, channel)
        if channel == "sms" and source_accounts(self.client):
            return {**self._source_stops(), **found}
        return found

    def record_optout(self, address: str, source: str, channel: str = "sms") -> None:
        """Never message `address` on `channel` again, and tell the contact source (its SMS consent field)."""
        if address in self.state.optouts(self.client.name, channel):
            return
        field = self.client.config.sms_consent_field
        account = self._source_account() if field else None
        pushed = self._pushed(account, address) if account is not None else {}
        if not self.state.record_optout(self.client.name, channel, address, source):
            return
        if not field or account is None:  # no SMS consent field, or no contact source to write it to
            return
        from .plan import build_refs

        emails = {c.email.lower() for c in self._known_contacts() if c.phone == address and c.email}
        written = set()
        refs = build_refs(self.state, account)
        for email in sorted(emails):
            try:
                account.provider.api.set_contact_field(self.client, email, field, "unsubscribed", refs)
                written.add(email)
            except HubError as exc:  # hub's own record stands; the write-back is retried by the next plan
                log.warning("could not write the SMS opt-out of %s back to %s: %s", email, account.name, exc)
        # The contact push carries the opt-out from now on (Provider.contacts_to_push): what was just written
        # is what it would push, so hub's record of the push moves with it instead of planning it again.
        for neutral_id, after in self._pushed(account, address).items():
            before = pushed.get(neutral_id)
            if before and before != after and neutral_id.lower() in written:
                self.state.refingerprint(self.client.name, account.name, "contact", neutral_id, before, after)

    def _source_account(self) -> Account | None:
        if self.registry is None:
            return None
        try:
            return self.accounts.get(contact_source(self.client, self.registry) or "")
        except HubError:
            return None

    def _pushed(self, account: Account, phone: str) -> dict[str, str]:
        """Fingerprints of the contact push (neutral id -> fingerprint) of the workspace's contacts with `phone`."""
        try:
            resource = account.provider.resource("contact")
        except HubError:
            return {}
        holders = [c for c in self.client.audience.contacts if c.phone == phone]
        if not holders:
            return {}
        from .plan import build_refs

        only = self.client.model_copy(update={"audience": self.client.audience.model_copy(
            update={"contacts": holders})})
        return {d.id: d.fingerprint for d in resource.desired(only, build_refs(self.state, account))}

    def _known_contacts(self) -> list[Contact]:
        with self._lock:
            resolved = [c for members in self._members.values() for c in members]
        return [*self.client.audience.contacts, *resolved]


def bind_services(accounts: list[Account], state: StateStore, registry: ProviderRegistry | None,
                  stop: threading.Event) -> None:
    """Give every opened account the services of its client."""
    by_client: dict[str, dict[str, Account]] = {}
    for acc in accounts:
        by_client.setdefault(acc.client.name, {})[acc.name] = acc
    services: dict[str, ClientServices] = {}
    for acc in accounts:
        if acc.client.name not in services:
            services[acc.client.name] = ClientServices(acc.client, state, by_client[acc.client.name], registry, stop)
        acc.provider.ctx.services = services[acc.client.name]

