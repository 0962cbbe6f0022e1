"""Testing support for hub and for provider plugins: the conformance kit and a simulator harness."""

from .contract import PLANTED_SECRET, ProviderContract
from .harness import Harness, make_client, sample_client

__all__ = ["PLANTED_SECRET", "Harness", "ProviderContract", "make_client", "sample_client"]
