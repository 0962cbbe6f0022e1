"""Testing support for hub and for provider plugins: the conformance kits (providers and their simulators)
and a simulator harness."""

from .contract import PLANTED_SECRET, ProviderContract
from .harness import Harness, make_client, sample_client
from .simulator_contract import ConcurrencyLimit, SimApi, SimulatorContract, WindowLimit

__all__ = [
    "PLANTED_SECRET",
    "ConcurrencyLimit",
    "Harness",
    "ProviderContract",
    "SimApi",
    "SimulatorContract",
    "WindowLimit",
    "make_client",
    "sample_client",
]
