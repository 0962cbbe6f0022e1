"""What the engine lends a provider beyond HTTP, as the provider sees it (`ProviderContext.services`).

An interface only: the engine's implementation is `hub.sync.services.ClientServices`, and a provider
never reaches past it into hub's state store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .model import Client, Contact
    from .state.store import Delivery

# one ledger row as written: (recipient, status, message_id, fingerprint, send_at, detail)
DeliveryRow = tuple[str, str, str, str, str, str]


class DeliveryLedger(Protocol):
    """One account's record of each message to each recipient: written before a send, settled after."""

    def deliveries(self, campaign: str, recipients: Iterable[str] | None = None) -> dict[str, Delivery]:
        """recipient -> its row, for one campaign (only `recipients`' rows, when given)."""
        ...

    def record(self, campaign: str, rows: Iterable[DeliveryRow]) -> None:
        """Upsert rows in one transaction."""
        ...

    def deliveries_in(self, statuses: Iterable[str]) -> dict[str, list[Delivery]]:
        """Per campaign, the rows in one of `statuses` (e.g. every text still scheduled)."""
        ...


class AccountServices(Protocol):
    """A client's audience as its contact source holds it, its opt-outs, each account's delivery ledger,
    and the stop flag an interrupted apply sets."""

    client: Client
    stop: threading.Event

    def members(self, list_id: str, segment_id: str | None = None, *, refresh: bool = False) -> list[Contact]: ...

    def optouts(self, channel: str = "sms") -> dict[str, str]: ...

    def carried(self, account: str, contacts: list[Contact]) -> list[Contact]:
        """`contacts` as `account` is pushed them: while the client migrates to `account` (client.yaml holds a
        `role: source` account), merged with the source's contacts and consent (see `hub.migrate.carry`)."""
        ...

    def record_optout(self, address: str, source: str, channel: str = "sms") -> None: ...

    def ledger(self, account: str) -> DeliveryLedger: ...
