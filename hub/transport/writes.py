"""What a failed vendor call means, decided in one place for every way hub talks to a vendor.

Three questions, asked by the HTTP client (`hub.transport.http`), by the vendor-SDK adapters
(`hub.transport.sdk`) and by the connection-error classification (`hub.transport.errors`):

- is this call safe to repeat? (`WriteRules.idempotent`) A call's own declaration wins (a POST that
  upserts is idempotent; a PUT that appends would not be); else its method decides (`IDEMPOTENT_METHODS`).
- is this failure worth another attempt? (`retryable`) 429s and the vendor being unavailable, never a
  refusal of the data, and never a write that may already have happened.
- may this failed write have happened anyway? A write that is not idempotent, once its request went out:
  when its answer was lost (`lost_answer_ambiguous`), or for an error answer in the transport's
  `ambiguous_statuses` (`WriteRules.refusal`). Such a failure is an `AmbiguousWrite`: the applier asks the
  vendor by natural key before trying again. (A connection never made sent nothing: `Unreachable`, retried.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AmbiguousWrite, ProviderError, RateLimited, Unavailable

__all__ = ["IDEMPOTENT_METHODS", "WRITES", "WriteRules", "lost_answer_ambiguous", "retryable"]

# Repeating one of these leaves the vendor as one call would. PATCH is here because every PATCH hub sends
# sets fields to values (Mailchimp's updates); a call that is not (a POST that creates, a PATCH that
# appends) says so with `idempotent=`, and POST, the method that creates, is never assumed safe.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class WriteRules:
    """How one way of calling a vendor reads a failure. `ambiguous_statuses`: the HTTP answers after which
    a write that is not idempotent may have taken effect (the vendor failed while handling it, perhaps
    after acting)."""

    ambiguous_statuses: frozenset[int]
    idempotent_methods: frozenset[str] = IDEMPOTENT_METHODS

    def idempotent(self, method: str, declared: bool | None = None) -> bool:
        """Whether the call is safe to repeat: what the call declared, else what its method says."""
        return declared if declared is not None else method.upper() in self.idempotent_methods

    def refusal(self, error: Exception, *, status: int, idempotent: bool, provider: str) -> Exception:
        """The error to raise for an error answer: the provider's mapping (`error`), or `AmbiguousWrite`
        with its message when that answer leaves a write's outcome open."""
        if not idempotent and status in self.ambiguous_statuses and isinstance(error, ProviderError):
            return AmbiguousWrite(error.message, provider=provider, status=status)
        return error


def lost_answer_ambiguous(idempotent: bool) -> bool:
    """Whether a call whose request went out but whose answer was lost (dropped, timed out) may have taken
    effect unseen: any write that is not idempotent. Whatever the transport, nothing else is known."""
    return not idempotent


def retryable(exc: BaseException) -> bool:
    """Whether another attempt may succeed: rate limited or unavailable (5xx, timeout, lost or refused
    connection), but not a write that may already have happened, which is asked about instead."""
    return isinstance(exc, RateLimited | Unavailable) and not isinstance(exc, AmbiguousWrite)


# Over raw HTTP and through a vendor SDK alike, a 500 to a write leaves it ambiguous: the vendor failed while
# handling it, perhaps after acting (a Twilio text sent, a Mailchimp segment made), so it is asked about
# before it is made again, never simply repeated.
WRITES = WriteRules(ambiguous_statuses=frozenset({500}))
