"""The contacts a migration's target is pushed: the workspace's contacts merged with the source's export.

Pure. The rule that matters: nobody is more sendable at the target than at the source. A contact the source
holds unsubscribed, bounced, complained or pending is pushed so (whatever the workspace says: its default is
"subscribed"), and contacts that live only at the source (a signup form added them) are carried with their
consent, lists, tags and fields. Opt-in evidence is kept where either side has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..model import Audience, ConsentStatus, Contact

# least sendable first: of two statuses, the earlier wins
STANDING = (ConsentStatus.BOUNCED, ConsentStatus.COMPLAINED, ConsentStatus.UNSUBSCRIBED, ConsentStatus.PENDING,
            ConsentStatus.SUBSCRIBED)
SUPPRESSED = frozenset({ConsentStatus.UNSUBSCRIBED, ConsentStatus.BOUNCED, ConsentStatus.COMPLAINED})


def least_sendable(a: ConsentStatus, b: ConsentStatus) -> ConsentStatus:
    return a if STANDING.index(a) <= STANDING.index(b) else b


def carry(written: Sequence[Contact], source: Iterable[Contact]) -> list[Contact]:
    """The workspace's contacts (in their order) merged with the source's, then those only at the source
    (in the source's order). Contacts are matched by email address; the source's contacts without one are
    left out (they cannot be pushed to an email vendor)."""
    exported = {c.key: c for c in source if c.email}
    out = [merge(c, exported.get(c.key)) if c.email else c for c in written]
    mine = {c.key for c in written}
    out += [c for key, c in exported.items() if key not in mine]
    return out


def merge(written: Contact, found: Contact | None) -> Contact:
    """One contact as the workspace writes it and as the source holds it: the least sendable email consent of
    the two, the workspace's names, phone, SMS consent and field values over the source's, lists and tags of
    both (memberships the source holds are kept), and either side's opt-in evidence."""
    if found is None:
        return written
    consent = written.consent.model_copy(update={
        "email": least_sendable(written.consent.email, found.consent.email),
        "opted_in_at": written.consent.opted_in_at or found.consent.opted_in_at,
        "opt_in_ip": written.consent.opt_in_ip or found.consent.opt_in_ip,
    })
    return written.model_copy(update={
        "consent": consent,
        "phone": written.phone or found.phone,
        "first_name": written.first_name or found.first_name,
        "last_name": written.last_name or found.last_name,
        "fields": {**found.fields, **written.fields},
        "lists": sorted({*written.lists, *found.lists}),
        "tags": sorted({*written.tags, *found.tags}),
    })


def suppressed(contacts: Iterable[Contact]) -> list[Contact]:
    """Those who must never be emailed: unsubscribed, bounced or complained."""
    return [c for c in contacts if c.consent.email in SUPPRESSED]


def within(contacts: Iterable[Contact], audience: Audience) -> list[Contact]:
    """The source's contacts with only the lists, tags and fields the workspace defines (the target is given
    those; one the workspace dropped would be pushed as a reference to nothing)."""
    lists, tags, fields = audience.list_ids(), audience.tag_ids(), audience.field_ids()
    return [c.model_copy(update={"lists": [x for x in c.lists if x in lists], "tags": [t for t in c.tags if t in tags],
                                 "fields": {k: v for k, v in c.fields.items() if k in fields}}) for c in contacts]
