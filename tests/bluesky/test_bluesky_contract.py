"""The provider conformance kit against the Bluesky provider and its simulator."""

from __future__ import annotations

import pytest

from hub.model import Client
from hub.testing import ProviderContract, make_client


class TestBlueskyContract(ProviderContract):
    provider_name = "bluesky"

    @pytest.fixture
    def sample_client(self) -> Client:
        return make_client("bluesky", campaigns=[
            {"id": "launch", "name": "Launch", "schedule": "now",
             "social": {"text": "Spring is here! #spring https://acme.example/spring", "language": "en"}},
            {"id": "later", "name": "Later", "schedule": "2026-01-09 09:00",
             "social": {"text": "Next week: tasting day", "link": "https://acme.example/tasting"}},
        ])
