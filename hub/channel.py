"""The channels a campaign goes out on and a provider serves: here, not in `hub.model`, so that a provider can
say which it serves without importing the workspace model (pydantic)."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    SOCIAL = "social"
