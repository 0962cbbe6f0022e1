"""Open the vendor accounts a command works on: settings resolved, providers built, HTTP shared.

With `sandbox`, every account is pointed at its provider's simulator instead (state kept under
`.hub/sandbox/` so that successive commands see the same simulated accounts).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from ..credentials import build_settings
from ..errors import ConfigError, CredentialsError
from ..model import Client, Workspace
from ..plugins import Plugins
from ..provider import Provider, ProviderContext, ProviderSettings, VendorApi
from ..redact import register
from ..transport.ratelimit import GateRegistry

if TYPE_CHECKING:
    from ..simulator import Simulator  # imported by the sandbox alone: a plan against vendors never needs the kit
    from ..transport.http import HttpClient


@dataclass
class Account:
    client: Client
    name: str
    provider: Provider

    @property
    def key(self) -> tuple[str, str]:
        return (self.client.name, self.name)


@dataclass
class Unopened:
    """An account that could not be opened (its credentials are missing or its settings are wrong)."""

    client: str
    name: str
    provider: str
    error: ConfigError

    @property
    def missing(self) -> list[str]:
        return self.error.missing if isinstance(self.error, CredentialsError) else []


@dataclass
class Sandbox:
    """Simulators standing in for every vendor account, one per (client, account)."""

    directory: Path
    clock: Clock
    simulators: dict[tuple[str, str], Simulator] = field(default_factory=dict)

    def simulator_for(self, provider_cls: type[Provider], client: str, account: str) -> Simulator:
        key = (client, account)
        if key not in self.simulators:
            state_file = self.directory / client / f"{account}.json"
            state_file.parent.mkdir(parents=True, exist_ok=True)
            sim = provider_cls.create_simulator(self.clock, state_file=state_file)
            sim.start()
            self.simulators[key] = sim
        return self.simulators[key]

    def close(self) -> None:
        for sim in self.simulators.values():
            sim.stop()
        self.simulators.clear()


def sandbox_time_scale() -> float:
    return float(os.environ.get("HUB_SANDBOX_TIME_SCALE", "60"))


class HttpFactory:
    """Builds each provider's HttpClient; providers on the same vendor account share one gate (limits)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.gates = GateRegistry(clock)
        self.clients: list[HttpClient] = []

    def __call__(self, api: VendorApi[Any]) -> HttpClient:
        from ..transport.http import HttpClient  # (loading and checking a workspace needs no HTTP)

        identity = api.base_url + "|" + "|".join(api.settings.secrets())
        key = api.name + ":" + hashlib.sha256(identity.encode()).hexdigest()[:16]
        http = HttpClient(
            provider=api.name,
            base_url=api.base_url,
            gate=self.gates.gate(key, api.limits),
            clock=self.clock,
            auth_headers=api.auth_headers,
            map_error=api.map_error,
            buckets=api.bucket_for,
            timeout=api.settings.timeout,
            attempts=api.limits.retry_attempts,
            pool_size=api.limits.max_concurrency,
            label=f"{api.ctx.client_name}/{api.ctx.account}",
        )
        self.clients.append(http)
        return http

    def close(self) -> None:
        for http in self.clients:
            http.close()


def open_provider(provider_cls: type[Provider], settings: ProviderSettings, client: str, account: str,
                  clock: Clock, http: HttpFactory | None = None) -> Provider:
    for secret in settings.secrets():
        register(secret)
    ctx = ProviderContext(client_name=client, account=account, clock=clock, make_http=http or HttpFactory(clock))
    return provider_cls(settings, ctx)


class Accounts:
    def __init__(self, workspace: Workspace, plugins: Plugins, clock: Clock, sandbox: Sandbox | None = None):
        self.workspace = workspace
        self.plugins = plugins
        self.clock = clock
        self.sandbox = sandbox
        self.http = HttpFactory(clock)

    def open(self, client_names: list[str] | None = None) -> tuple[list[Account], list[Unopened]]:
        """Every account of these clients (all by default). One account's missing or unusable credentials
        do not hold back the others: it comes back in the second list, with every problem found."""
        out: list[Account] = []
        failed: list[Unopened] = []
        for name, client in sorted(self.workspace.clients.items()):
            if client_names and name not in client_names:
                continue
            for acc_name, acc in client.config.accounts.items():
                try:
                    out.append(self.open_one(client, acc_name, acc.provider))
                except ConfigError as exc:
                    failed.append(Unopened(name, acc_name, acc.provider, exc))
        return out, failed

    def open_one(self, client: Client, acc_name: str, provider_name: str) -> Account:
        provider_cls = self.plugins.registry.get(provider_name)
        if self.sandbox is not None:
            sim = self.sandbox.simulator_for(provider_cls, client.name, acc_name)
            # the workspace's own settings (journey bindings, ...) with the simulator's address and credentials
            secret = set(provider_cls.Settings.secret_fields())
            kept = {k: v for k, v in (client.config.accounts[acc_name].model_extra or {}).items() if k not in secret}
            settings = provider_cls.Settings.model_validate({**kept, **provider_cls.sandbox_settings(sim.base_url)})
        else:
            settings = build_settings(provider_cls, client.config.accounts[acc_name], self.plugins.pm,
                                      label=f"{client.name}/{acc_name}")
        provider = open_provider(provider_cls, settings, client.name, acc_name, self.clock, self.http)
        return Account(client, acc_name, provider)

    def close(self) -> None:
        self.http.close()
