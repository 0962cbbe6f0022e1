"""The sync engine's front door: one `Session` per command, holding workspace, state and accounts."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..clock import SYSTEM_CLOCK, Clock, SandboxClock, ScaledClock
from ..errors import ConfigError, ExitCode, Problem, UsageProblem
from ..memory import collector_paused
from ..model import Workspace
from ..plugins import Plugins
from ..state import StateStore
from ..workspace import load_workspace
from ..workspace.loader import WORKSPACE_FILE
from .accounts import Account, Accounts, Sandbox, Unopened, sandbox_time_scale
from .apply import Applier
from .desired_cache import DesiredCache
from .plan import AccountPlan, Plan, compute_plan
from .services import bind_services


@dataclass
class SessionOptions:
    sandbox: bool = False
    clients: tuple[str, ...] = ()
    prune: bool = False
    clock: Clock | None = None


# A refused client appears among a plan's account errors under this account name: none of its accounts is
# planned or applied (the other clients are), and the plan's exit code says so (4).
REFUSED_ACCOUNT = "*"


def refused_client(client: str, problems: list[Problem]) -> AccountPlan:
    listed = "\n".join(f"  {p}" for p in problems)
    return AccountPlan(client, REFUSED_ACCOUNT, "validation",
                       f"refused: {len(problems)} problem(s) in this client's files, so nothing is planned or applied"
                       f" for it until they are fixed:\n{listed}", int(ExitCode.INVALID))


def unopened_account(u: Unopened) -> AccountPlan:
    # the other accounts go on; the command names this one and exits 3 (some accounts failed)
    own = f"account '{u.client}/{u.name}' "  # the error is shown under this account's name already
    text = "; ".join(p.message.removeprefix(own) for p in u.error.problems)
    return AccountPlan(u.client, u.name, u.provider, text, int(ExitCode.PARTIAL_FAILURE), missing=u.missing)


def hub_dir(root: Path) -> Path:
    """The workspace's own directory for hub (`state_dir` in hub.yaml, `.hub` by default)."""
    return root / str(_hub_settings(root).get("state_dir") or ".hub")


def state_path(root: Path, *, sandbox: bool) -> Path:
    """The workspace's SQLite state file (the sandbox has its own)."""
    return hub_dir(root) / "sandbox" / "state.db" if sandbox else hub_dir(root) / "state.db"


def state_location(root: Path, *, sandbox: bool) -> str | Path:
    """Where the state is: the PostgreSQL database `HUB_DATABASE_URL`, or hub.yaml's `database:` reference,
    names (shared by a team or several workers), else the SQLite file; the sandbox's state is always the
    workspace's own file."""
    if sandbox:
        return state_path(root, sandbox=True)
    url = os.environ.get("HUB_DATABASE_URL", "").strip()
    reference = _hub_settings(root).get("database")
    if not url and isinstance(reference, str) and reference.strip():
        url = _database_url(reference.strip(), f"{root / WORKSPACE_FILE}: database")
    return url or state_path(root, sandbox=False)


def _database_url(value: str, what: str) -> str:
    """hub.yaml's `database:`: a URL without a password as it is, else a secret reference resolved."""
    from urllib.parse import urlsplit

    from ..credentials import resolve
    from ..state.database import is_url

    if not is_url(value):
        return resolve(value, None, what=what)
    if urlsplit(value).password:
        raise ConfigError(f"{what}: the URL holds a password, and hub.yaml is shared; put the URL in an"
                          " environment variable or the OS keyring and write `database: env:NAME` (or keyring:NAME)")
    return value


def _hub_settings(root: Path) -> dict[str, Any]:
    """hub.yaml's top-level settings as written (the workspace loader checks them, with line numbers)."""
    try:
        data = yaml.safe_load((root / WORKSPACE_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def sandbox_clock(root: Path) -> SandboxClock:
    """The sandbox's clock: sped up for vendor limits, and moved ahead by `hub run --sandbox --advance`."""
    return SandboxClock(ScaledClock(sandbox_time_scale()), hub_dir(root) / "sandbox" / "clock.json")


def state_exists(location: str | Path) -> bool:
    """Whether anything was ever applied there (a database server is taken to exist: it says otherwise)."""
    return not isinstance(location, Path) or location.exists()


def campaign_sent(state: StateStore, client: str, campaign_id: str, clock: Clock) -> bool:
    """A campaign applied with a send time that has passed has gone out (or is going out), so its
    schedule being in the past is history, not a mistake. Every item a campaign makes (an email or SMS campaign,
    a post on each social account) records its `send_at`."""
    now = clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    for rec in state.items(client, neutral_id=campaign_id):
        if rec.neutral_id == campaign_id:
            send_at = rec.data.get("send_at")
            if send_at == "now" or (send_at and send_at <= now):
                return True
    return False


def validate_workspace(root: Path, plugins: Plugins) -> Workspace:
    """`hub validate`: load and check the workspace; campaigns sent by an apply (real or sandbox) may
    have schedules in the past. Clients with problems come back in `refused` (with every problem in
    `problems`), so that warnings are shown alongside them."""
    stores = [StateStore(p) for p in (state_location(root, sandbox=False), state_location(root, sandbox=True))
              if state_exists(p)]
    try:
        return load_workspace(root, plugins.registry, now=SYSTEM_CLOCK.utcnow(), refuse_clients=True,
                              is_sent=lambda c, i: any(campaign_sent(s, c, i, SYSTEM_CLOCK) for s in stores))
    finally:
        for store in stores:
            store.close()


class Session:
    """Everything a plan or apply needs, opened once and closed at the end (simulators included)."""

    def __init__(self, root: Path, plugins: Plugins, options: SessionOptions) -> None:
        self.root = root
        self.plugins = plugins
        self.options = options
        self.clock = options.clock or (sandbox_clock(root) if options.sandbox else SYSTEM_CLOCK)
        self.state = StateStore(state_location(root, sandbox=options.sandbox), self.clock)
        try:
            # one client's problems do not hold back the others (problems in hub.yaml or a blueprint still raise)
            self.workspace: Workspace = load_workspace(root, plugins.registry, now=self.clock.utcnow(),
                                                       is_sent=lambda c, i: campaign_sent(self.state, c, i, self.clock),
                                                       refuse_clients=True)
            names = {*self.workspace.clients, *self.workspace.refused}
            unknown = [c for c in options.clients if c not in names]
            if unknown:
                raise UsageProblem(f"unknown client(s) {', '.join(unknown)} (clients in this workspace:"
                                  f" {', '.join(sorted(names)) or 'none'})")
        except BaseException:
            self.state.close()
            raise
        self.refused = {name: problems for name, problems in self.workspace.refused.items()
                        if not options.clients or name in options.clients}
        self.sandbox = Sandbox(hub_dir(root) / "sandbox", self.clock) if options.sandbox else None
        self._accounts = Accounts(self.workspace, plugins, self.clock, self.sandbox)
        self.accounts: list[Account]
        self.accounts, self.unopened = self._accounts.open(list(options.clients) or None)
        self.stop = threading.Event()
        bind_services(self.accounts, self.state, plugins.registry, self.stop)
        # a migration's source is only read; a client whose email account changed without one is refused
        from ..migrate.guard import guard_accounts

        guarded = guard_accounts(self.workspace, self.accounts, self.unopened, self.state, plugins.registry)
        self.accounts, self.sources = guarded.accounts, guarded.sources
        self.refused.update({name: problems for name, problems in guarded.refused.items()
                             if not options.clients or name in options.clients})

    @property
    def client_names(self) -> list[str]:
        """The clients planned and applied: those asked for (all by default) that are not refused."""
        return [c for c in self.options.clients or sorted(self.workspace.clients)
                if c in self.workspace.clients and c not in self.refused]

    def plan(self) -> Plan:
        with collector_paused():  # tens of thousands of contacts' changes, all kept until the command ends
            plan = compute_plan(self.accounts, self.state, workspace_digest=self.workspace.digest,
                                sandbox=self.options.sandbox, prune=self.options.prune, clients=self.client_names,
                                cache=DesiredCache(self.root, hub_dir(self.root) / "cache"))
        plan.accounts += [unopened_account(u) for u in self.unopened]
        plan.accounts += [refused_client(name, problems) for name, problems in self.refused.items()]
        plan.accounts.sort(key=lambda a: (a.client, a.account))
        return plan

    def applier(self, progress: Callable[[int], None] | None = None) -> Applier:
        return Applier(self.state, self.accounts, prune=self.options.prune, progress=progress, stop=self.stop)

    def close(self) -> None:
        self._accounts.close()
        if self.sandbox is not None:
            self.sandbox.close()
        self.state.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
