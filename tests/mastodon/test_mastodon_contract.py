"""The provider conformance kit against the Mastodon provider and its simulator."""

from __future__ import annotations

import pytest

from hub.model import Client
from hub.testing import ProviderContract, make_client


def mastodon_client() -> Client:
    """Social-only campaigns: one Mastodon schedules days ahead, one posted at once."""
    return make_client("mastodon", campaigns=[
        {"id": "launch", "name": "Spring launch", "schedule": {"at": "2026-03-02T09:00:00"},
         "social": {"text": "Spring is here: our new range is in the shop.", "link": "https://acme.example/spring"}},
        {"id": "hello", "name": "Hello", "schedule": "now", "social": {"text": "Hello from Acme's new account!"}},
    ])


class TestMastodonContract(ProviderContract):
    provider_name = "mastodon"

    @pytest.fixture
    def sample_client(self) -> Client:
        return mastodon_client()

    def test_pagination_reads_every_page(self) -> None:  # type: ignore[override]
        pytest.skip("Mastodon finds a status by its text and the kit varies only the natural key, so its 105 creates"
                    " are one status (one Idempotency-Key); 105 scheduled for one day would also exceed Mastodon's"
                    " 25 a day. Paging is proven in test_mastodon_behaviour.py::test_read_live_reads_every_page and"
                    " test_mastodon_simulator.py::test_lists_are_newest_first_and_paged_by_the_link_header")
