"""Testing support for hub and for provider plugins: the conformance kits (providers and their simulators)
and a simulator harness.

Each name is imported on first use: a benchmark that drives a provider through the `Harness` loads neither pytest
nor the kits (tens of megabytes it would count as hub's own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import on_first_use

if TYPE_CHECKING:
    from .contract import PLANTED_SECRET, ProviderContract
    from .harness import Harness, make_client, sample_client
    from .simulator_contract import ConcurrencyLimit, SimApi, SimulatorContract, WindowLimit

_HOME = {
    "PLANTED_SECRET": ".contract", "ProviderContract": ".contract",
    "Harness": ".harness", "make_client": ".harness", "sample_client": ".harness",
    "ConcurrencyLimit": ".simulator_contract", "SimApi": ".simulator_contract",
    "SimulatorContract": ".simulator_contract", "WindowLimit": ".simulator_contract",
}

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
__getattr__ = on_first_use(__name__, _HOME)
