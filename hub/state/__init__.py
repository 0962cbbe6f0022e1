"""hub's memory: the item map, the operation journal and the audit log, in one SQLite file."""

from .store import AuditEntry, Delivery, ItemRecord, JournalEntry, StateStore

__all__ = ["AuditEntry", "Delivery", "ItemRecord", "JournalEntry", "StateStore"]
