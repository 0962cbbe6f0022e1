"""hub's one family of errors.

Library code raises these and nothing else; the CLI turns each into an exit code in one place
(`hub.cli._exit`). Every message is meant for the user: it says what is wrong and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    PARTIAL_FAILURE = 3
    INVALID = 4
    UNAVAILABLE = 5
    INTERRUPTED = 130


class HubError(Exception):
    """Base of every error hub raises on purpose; shown to the user without a traceback."""

    exit_code: ExitCode = ExitCode.UNEXPECTED


@dataclass(frozen=True)
class Problem:
    """One validation finding, located in a workspace file."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}" if where else self.message

    @classmethod
    def at(cls, source: str, message: str, fallback: str = "") -> Problem:
        """A problem at an item's source ("clients/x/campaigns/y.yaml:12"), or at `fallback` without one."""
        file, _, line = source.rpartition(":") if source else ("", "", "")
        if not line.isdigit():
            return cls(source or fallback, None, message)
        return cls(file, int(line), message)


class ConfigError(HubError):
    """The workspace, a setting or a credential is wrong; carries every problem found, not only the first."""

    exit_code = ExitCode.INVALID

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", None, problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class CredentialsError(ConfigError):
    """An account's secrets are missing or unusable; `missing` names each reference not found (env:NAME, ...)."""

    def __init__(self, problems: list[Problem] | str, missing: list[str] | None = None) -> None:
        super().__init__(problems)
        self.missing = missing or []


class UsageProblem(HubError):
    """The command asked for something that does not exist (a client, a provider): a usage error."""

    exit_code = ExitCode.USAGE


class Reported(HubError):
    """The command has already shown what went wrong (its table, the problems, the accounts that failed):
    only the exit code is left to give, and `message` (if any) to print plainly."""

    def __init__(self, exit_code: ExitCode, message: str = "") -> None:
        self.exit_code = exit_code
        super().__init__(message)


class ClientBusy(HubError):
    """Another apply (another consultant, another machine) holds the client: try again when it is done."""

    exit_code = ExitCode.UNAVAILABLE


class StalePlanError(HubError):
    """A saved plan no longer matches the workspace or state it was computed from."""

    exit_code = ExitCode.INVALID


class ProviderError(HubError):
    """A vendor call failed; names the provider (and client, when known)."""

    exit_code = ExitCode.UNAVAILABLE

    def __init__(self, message: str, *, provider: str = "", client: str = "", status: int | None = None):
        self.provider = provider
        self.client = client
        self.status = status
        self.message = message  # without the client/provider prefix, for re-raising with more detail
        prefix = "/".join(p for p in (client, provider) if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


def without_source(exc: BaseException) -> str:
    """The message of `exc` without its client/provider prefix, for output that names the source already."""
    return exc.message if isinstance(exc, ProviderError) else str(exc)


class AuthError(ProviderError):
    """The vendor refused the credentials (401/403)."""

    exit_code = ExitCode.INVALID


class NotFound(ProviderError):
    """The vendor has no such object (404)."""


class VendorValidationError(ProviderError):
    """The vendor rejected the data (400/422); retrying the same request cannot help."""

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None, **kw: object) -> None:
        self.errors = errors or {}
        super().__init__(message, **kw)  # type: ignore[arg-type]


class RateLimited(ProviderError):
    """The vendor answered 429; `retry_after` is in vendor seconds when it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)  # type: ignore[arg-type]


class Unavailable(ProviderError):
    """5xx, timeout or a dropped connection: worth retrying."""


class AmbiguousWrite(Unavailable):
    """A write that is not idempotent may or may not have taken effect (its answer was lost, or the vendor
    failed while handling it): never retried blindly; the applier asks the vendor by natural key first.
    Which failures leave a write ambiguous is decided in one place, `hub.transport.writes`. `kind` names a
    lost connection's kind ("timeout", "dropped"), if that is what happened; `summary` is the message
    without its hint."""

    def __init__(self, message: str, *, kind: str = "", summary: str = "", **kw: object) -> None:
        self.kind = kind
        self.summary = summary or message
        super().__init__(message, **kw)  # type: ignore[arg-type]


class OutcomeUnknown(ProviderError):
    """A write whose answer was lost cannot be read back: the vendor offers no way to tell whether it
    happened. hub never repeats it blindly; the user settles it (`hub resolve`)."""


class NotSupported(ProviderError):
    """The provider does not declare the capability that was asked of it."""

    exit_code = ExitCode.INVALID


@dataclass
class ItemFailure:
    client: str
    provider: str
    kind: str
    id: str
    error: str
    result: str = "failed"  # or "unknown": it may or may not have happened


@dataclass
class PartialFailure(HubError):
    """apply finished, but some items failed or ended with an unknown outcome; each is named."""

    failures: list[ItemFailure] = field(default_factory=list)
    exit_code = ExitCode.PARTIAL_FAILURE

    def __str__(self) -> str:
        lines = []
        for result, title in (("failed", "item(s) failed"),
                              ("unknown", "item(s) may or may not have happened (answers lost); never repeated"
                                          " blindly: settle each with `hub resolve`")):
            mine = [f for f in self.failures if f.result == result]
            if mine:
                lines.append(f"{len(mine)} {title}:")
                lines += [f"  {f.client}/{f.provider} {f.kind} {f.id}: {f.error}" for f in mine]
        return "\n".join(lines)


class Interrupted(HubError):
    exit_code = ExitCode.INTERRUPTED


class Unreachable(Unavailable):
    """The vendor's host could not be reached (connection refused, host name not found, no answer to the
    connection attempt): nothing was sent, so even a write is safe to try again. `kind` says which
    ("refused", "dns", "connect-timeout", ...); `summary` is the message without its hint."""

    def __init__(self, message: str, *, kind: str = "unreachable", summary: str = "", **kw: object) -> None:
        self.kind = kind
        self.summary = summary or message
        super().__init__(message, **kw)  # type: ignore[arg-type]
