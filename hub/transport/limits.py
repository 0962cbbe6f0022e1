"""A vendor account's limits as a provider declares them; the transport enforces them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "RateLimit"]


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` per `per_seconds` vendor seconds, for requests tagged with `bucket`.

    `strict` limits are refused beyond (429s): hub counts a request until its answer arrives, which can
    never overrun the vendor's window. Others only queue at the vendor (an SMS sender's throughput):
    hub counts them when sent, which keeps the sender exactly busy."""

    bucket: str
    requests: int
    per_seconds: float
    strict: bool = True


@dataclass(frozen=True)
class Limits:
    rate: tuple[RateLimit, ...] = ()
    max_concurrency: int = 4  # simultaneous requests to one account
    retry_attempts: int = 8

    def window(self, bucket: str) -> float:
        """The longest window of `bucket`'s limits (seconds): how long a request refused by it may have to wait."""
        return max((r.per_seconds for r in self.rate if r.bucket == bucket), default=0.0)
