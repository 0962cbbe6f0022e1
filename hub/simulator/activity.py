"""Believable recipient activity for simulated email campaigns: who opened and who clicked.

Real recipients open some emails and click fewer; a simulator decides it the same way every time for the
same campaign and address (a hash, not a random draw), so that a test can predict it and a report summed
from per-recipient activity matches the campaign's counters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DEFAULT_OPEN_RATE = 0.4
DEFAULT_CLICK_RATE = 0.1  # of all recipients; every clicker opened


@dataclass(frozen=True)
class Activity:
    opened: bool
    clicked: bool


def _draw(campaign_id: str, email: str) -> float:
    digest = hashlib.sha256(f"{campaign_id}\0{email.strip().lower()}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def recipient_activity(campaign_id: str, email: str, open_rate: float = DEFAULT_OPEN_RATE,
                       click_rate: float = DEFAULT_CLICK_RATE) -> Activity:
    """Whether the recipient `email` opened (and clicked) campaign `campaign_id`: fixed per pair."""
    x = _draw(campaign_id, email)
    return Activity(opened=x < open_rate, clicked=x < min(click_rate, open_rate))
