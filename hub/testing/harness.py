"""Drive one provider against its simulator with a fresh state store (tests, benchmarks, the kit)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from ..model import Audience, Campaign, Client, ClientConfig
from ..model.workspace import Account as AccountConfig
from ..provider import Provider
from ..state import StateStore
from ..sync.accounts import Account, HttpFactory, open_provider
from ..sync.apply import Applier, ApplyReport
from ..sync.plan import Plan, compute_plan
from ..sync.services import bind_services

if TYPE_CHECKING:
    from ..simulator import Simulator


def make_client(provider: str, *, name: str = "acme", audience: dict[str, Any] | None = None,
                campaigns: list[dict[str, Any]] | None = None, timezone: str = "Europe/London") -> Client:
    """A neutral client built in code (what the workspace loader would produce from YAML)."""
    return Client(
        name=name, dir=f"clients/{name}", timezone=timezone,
        config=ClientConfig(name=name, accounts={"main": AccountConfig(provider=provider)}),
        audience=Audience.model_validate(audience or {}),
        campaigns=[Campaign.model_validate(c) for c in campaigns or []],
    )


def sample_client(provider: str) -> Client:
    """A small client touching every common capability; providers ignore what they do not support."""
    return make_client(provider, audience={
        "lists": [{"id": "newsletter", "name": "Newsletter"}, {"id": "wholesale", "name": "Wholesale buyers"}],
        "tags": [{"id": "vip", "name": "VIP"}],
        "fields": [{"id": "favourite", "name": "Favourite", "type": "text"}],
        "contacts": [
            {"email": "Ada@Example.com", "first_name": "Ada", "lists": ["newsletter"], "tags": ["vip"],
             "fields": {"favourite": "rye"}},
            {"email": "bob@example.com", "first_name": "Bob", "lists": ["newsletter", "wholesale"]},
            {"email": "cy@example.com", "first_name": "Cy", "lists": ["newsletter"],
             "consent": {"email": "unsubscribed"}},
        ],
    }, campaigns=[{
        "id": "launch", "name": "Spring launch", "audience": {"list": "newsletter"}, "schedule": "draft",
        "email": {"subject": "Spring is here", "from": {"name": "Acme", "email": "hello@acme.example"},
                  "body_markdown": "Hi {{ first_name }}!\n\n[Unsubscribe]({{ unsubscribe_url }})"},
    }])


class Harness:
    def __init__(self, provider_cls: type[Provider], client: Client, state_dir: Path, clock: Clock, *,
                 simulator: Simulator | None = None, settings: dict[str, Any] | None = None,
                 account: str = "main", state: str | Path | None = None) -> None:
        """`state`: where the state store is (a PostgreSQL URL, say); default `state_dir/state.db`."""
        self.clock = clock
        self.owns_simulator = simulator is None
        self.simulator = simulator or provider_cls.create_simulator(clock)
        base_url = self.simulator.start()
        values = {**provider_cls.sandbox_settings(base_url), **(settings or {})}
        self.http = HttpFactory(clock)
        self.provider = open_provider(provider_cls, provider_cls.Settings.model_validate(values), client.name,
                                      account, clock, self.http)
        self.account = Account(client, account, self.provider)
        self.state = StateStore(state or state_dir / "state.db", clock)
        self.stop = threading.Event()
        bind_services([self.account], self.state, None, self.stop)

    def plan(self, *, prune: bool = False) -> Plan:
        return compute_plan([self.account], self.state, workspace_digest="test", sandbox=True, prune=prune,
                            clients=[self.account.client.name])

    def applier(self, *, prune: bool = False) -> Applier:
        return Applier(self.state, [self.account], prune=prune, stop=self.stop)

    def apply(self, plan: Plan | None = None, *, prune: bool = False) -> ApplyReport:
        applier = self.applier(prune=prune)
        applier.reconcile()
        return applier.apply(plan or self.plan(prune=prune))

    def writes(self) -> int:
        return len(self.simulator.log.writes())

    def close(self) -> None:
        self.http.close()
        self.state.close()
        if self.owns_simulator:
            self.simulator.stop()
