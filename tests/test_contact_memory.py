"""A workspace of 100,000 contacts fits in the memory the runner promises (issue 12: 300 MB): contacts alike share
their record of which fields they were given and a consent that carries no evidence, and stay their own."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

from hub.model import ConsentStatus, Contact


def person(i: int, **extra: object) -> Contact:
    return Contact.model_validate({"email": f"p{i}@example.com", "phone": f"+1202{i:07d}", "first_name": f"P{i}",
                                   "lists": ["club"], "consent": {"email": "subscribed", "sms": "subscribed"},
                                   **extra})


def test_a_contact_costs_under_a_kilobyte() -> None:
    person(0)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [person(i) for i in range(5000)]
        per_contact = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert per_contact < 1000, per_contact  # pydantic's own, a set and a consent each: 1,950 bytes


def test_contacts_that_share_a_consent_each_keep_their_own() -> None:
    a, b = person(1), person(2)
    assert a.consent is b.consent  # shared while alike
    changed = a.model_copy(update={"consent": a.consent.model_copy(update={"sms": ConsentStatus.UNSUBSCRIBED})})
    assert changed.consent.sms is ConsentStatus.UNSUBSCRIBED and b.consent.sms is ConsentStatus.SUBSCRIBED
    evidence = person(3, consent={"email": "subscribed", "opted_in_at": datetime(2026, 1, 2, tzinfo=UTC)})
    assert evidence.consent is not person(4, consent={"email": "subscribed"}).consent
    assert evidence.consent.opted_in_at == datetime(2026, 1, 2, tzinfo=UTC)
