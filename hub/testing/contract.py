"""The provider conformance kit: every provider's tests subclass `ProviderContract`.

```python
from hub.testing import ProviderContract

class TestKlaviyo(ProviderContract):
    provider_name = "klaviyo"        # the entry-point name
```

The suite drives the provider against its own simulator (which it must ship) and checks: discovery
through the `hub` entry point, metadata, capability honesty, error mapping (401, 404, 422, 429, 5xx,
timeout, dropped connection), pagination, idempotent apply, neutral <-> vendor round trip, reconcile
after a crash between the vendor call and the journal settle, secret hygiene, and results (`hub report`): each
resource's `reports` table names a vendor field for each `Metric`, a resource with one reads its results, and what
it reads for what an apply sent uses only the metrics it declares.
Override `sample_client` (a fixture) when the default sample does not exercise your provider well, and
`report_client` when sending its campaigns now is not what shows its results (by default: the sample, its draft
campaigns sent now).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ..clock import FakeClock, ScaledClock
from ..errors import AuthError, ExitCode, NotFound, NotSupported, RateLimited, Unavailable, VendorValidationError
from ..model import Channel, Client, Contact, Schedule
from ..plugins import make_plugins
from ..provider import Capability, Fidelity, Provider, ProviderSettings, Resource, Support
from ..report.figures import AMOUNTS, Metric, Result, Sent
from ..simulator import Fault
from .harness import Harness, sample_client

PLANTED_SECRET = "hub-planted-secret-7f3a9c1e"
RESULTS_AFTER = timedelta(days=4)  # how long after an apply the kit reads results: the vendor's activity has come


class ProviderContract:
    provider_name: ClassVar[str]
    page_size_hint: ClassVar[int] = 100  # items to create so that reading spans several pages

    # -- fixtures a provider may override ---------------------------------------------------------------
    @pytest.fixture
    def provider_cls(self) -> type[Provider]:
        return make_plugins().registry.get(self.provider_name)

    @pytest.fixture
    def sample_client(self) -> Client:
        return sample_client(self.provider_name)

    @pytest.fixture
    def report_client(self, sample_client: Client) -> Client:
        """What the results check applies: the sample client with its draft campaigns sent now."""
        now = Schedule(mode="now")
        return sample_client.model_copy(update={"campaigns": [
            c.model_copy(update={"schedule": now}) if c.schedule.mode == "draft" else c
            for c in sample_client.campaigns]})

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def harness(self, provider_cls: type[Provider], sample_client: Client, tmp_path: Path,
                clock: FakeClock) -> Iterator[Harness]:
        h = Harness(provider_cls, sample_client, tmp_path, clock)
        yield h
        h.close()

    # -- discovery and metadata ---------------------------------------------------------------------------
    def test_discovered_through_entry_point(self, provider_cls: type[Provider]) -> None:
        plugins = make_plugins()
        assert self.provider_name in plugins.registry.names(), "not registered through the `hub` entry point"
        assert plugins.registry.get(self.provider_name) is provider_cls
        assert plugins.registry.owner(self.provider_name) == self.provider_name, \
            "the provider's name must equal its entry-point name"

    def test_metadata(self, provider_cls: type[Provider]) -> None:
        assert provider_cls.name.replace("_", "").isalnum() and provider_cls.name.islower()
        assert provider_cls.display_name and provider_cls.docs_url
        assert provider_cls.channels and provider_cls.channels <= set(Channel)
        for cap, support in provider_cls.capabilities.items():
            assert isinstance(cap, Capability) and isinstance(support, Support)
            assert support.fidelity in Fidelity
            if support.fidelity in (Fidelity.APPROXIMATED, Fidelity.MANUAL):
                assert support.note, f"{cap}: say what is approximated or manual"
        assert issubclass(provider_cls.Settings, ProviderSettings)
        assert provider_cls.Settings.secret_fields(), "credentials must be SecretStr fields"
        assert provider_cls.limits.max_concurrency >= 1
        assert provider_cls.simulator, "ship a simulator so that users can try the provider without an account"
        kinds = [r.kind for r in provider_cls.resource_types]
        assert len(kinds) == len(set(kinds)), "one resource per kind"

    # -- capability honesty -----------------------------------------------------------------------------
    def test_capabilities_are_honest(self, harness: Harness, provider_cls: type[Provider]) -> None:
        provider = harness.provider
        declared = {c for c, s in provider_cls.capabilities.items() if s.fidelity != Fidelity.UNSUPPORTED}
        for res in provider.resources:
            assert res.capability in declared, f"{res.kind} works but {res.capability} is not declared"
        for res_type in provider_cls.resource_types:
            if res_type.capability not in declared:
                with pytest.raises(NotSupported):
                    provider.resource(res_type.kind)
        with pytest.raises(NotSupported):
            provider.resource("no-such-kind")
        if Capability.MEMBERS_READ not in declared:
            with pytest.raises(NotSupported):
                provider.api.read_members(harness.account.client, "newsletter", None, _refs(harness))

    # -- error mapping ----------------------------------------------------------------------------------
    def _read(self, harness: Harness) -> None:
        # a kind planned against hub's state may still read the vendor (to find a write whose answer was lost)
        resources = harness.provider.resources
        res = next((r for r in resources if r.live_read), None) or next(r for r in resources if _reads(r))
        res.read_live(_refs(harness))

    def test_bad_credentials_are_an_auth_error(self, provider_cls: type[Provider], sample_client: Client,
                                               tmp_path: Path, clock: FakeClock) -> None:
        secret_field = provider_cls.Settings.secret_fields()[0]
        h = Harness(provider_cls, sample_client, tmp_path, clock, settings={secret_field: PLANTED_SECRET})
        try:
            with pytest.raises(AuthError) as info:
                self._read(h)
            assert info.value.exit_code is ExitCode.INVALID and PLANTED_SECRET not in str(info.value)
        finally:
            h.close()

    @pytest.mark.parametrize("status,error",
                             [(404, NotFound), (422, VendorValidationError), (400, VendorValidationError)])
    def test_client_errors_are_typed_and_not_retried(self, harness: Harness, status: int, error: type) -> None:
        harness.simulator.inject(Fault("status", status=status, count=1))
        before = len(harness.simulator.log)
        with pytest.raises(error):
            self._read(harness)
        assert len(harness.simulator.log) - before == 1, "validation errors must not be retried"

    def test_429_waits_retry_after_on_the_clock(self, harness: Harness, clock: FakeClock) -> None:
        harness.simulator.inject(Fault("status", status=429, retry_after=7, count=2))
        self._read(harness)
        assert clock.slept.count(7) >= 2, f"Retry-After was not honoured: slept {clock.slept}"

    def test_rate_limited_after_retries(self, harness: Harness) -> None:
        harness.simulator.inject(Fault("status", status=429, retry_after=1, count=-1))
        with pytest.raises(RateLimited) as info:
            self._read(harness)
        assert info.value.exit_code is ExitCode.UNAVAILABLE

    @pytest.mark.parametrize("fault", [Fault("status", status=500), Fault("status", status=503),
                                       Fault("drop_before")])
    def test_server_errors_are_retried_then_unavailable(self, harness: Harness, fault: Fault) -> None:
        fault.count = 1
        harness.simulator.inject(fault)
        self._read(harness)  # one failure is absorbed by a retry
        fault_always = Fault(fault.kind, status=fault.status, count=-1)
        harness.simulator.inject(fault_always)
        with pytest.raises(Unavailable) as info:
            self._read(harness)
        assert info.value.exit_code is ExitCode.UNAVAILABLE
        harness.simulator.clear_faults()

    def test_timeout_is_unavailable(self, provider_cls: type[Provider], sample_client: Client,
                                    tmp_path: Path) -> None:
        clock = ScaledClock(1000.0)  # latency of 1000 vendor seconds = 1 real second
        h = Harness(provider_cls, sample_client, tmp_path, clock, settings={"timeout": 0.2})
        try:
            h.simulator.inject(Fault("latency", seconds=1000.0, count=-1))
            with pytest.raises(Unavailable):
                self._read(h)
        finally:
            h.simulator.clear_faults()
            h.close()

    # -- behaviour ----------------------------------------------------------------------------------------
    def test_pagination_reads_every_page(self, harness: Harness) -> None:
        res = next((r for r in harness.provider.resources if r.live_read and _creates(r)), None)
        if res is None:
            pytest.skip("no resource that can be created and read")
        refs = _refs(harness)
        n = self.page_size_hint + 5
        for i in range(n):
            want = res.desired(harness.account.client, refs)[0]
            want.natural_key = f"{want.natural_key} {i:03d}"
            if "name" in want.payload:
                want.payload["name"] = want.natural_key
            res.create(want, refs)
        assert len(res.read_live(refs)) >= n

    def test_apply_is_idempotent(self, harness: Harness) -> None:
        first = harness.apply()
        assert not first.failed, [c.error for c in first.failed]
        writes = harness.writes()
        assert writes > 0
        again = harness.plan()
        assert [c for c in again.changes if c.writes] == [], [c.public() for c in again.changes if c.writes]
        harness.apply(again)
        assert harness.writes() == writes, "a second apply with no edits must make no write calls"

    def test_round_trip(self, harness: Harness) -> None:
        harness.apply()
        refs = _refs(harness)
        for res in harness.provider.resources:
            if not res.live_read:
                continue
            live = res.read_live(refs)
            for want in res.desired(harness.account.client, refs):
                if want.fidelity in (Fidelity.EXACT, Fidelity.APPROXIMATED):
                    assert want.natural_key in live, f"{res.kind} {want.id} not found after apply"
                    assert res.compare(want, live[want.natural_key]) is None

    def test_reconcile_after_crash_between_call_and_settle(self, harness: Harness) -> None:
        plan = harness.plan()
        first = next((c for c in plan.changes if c.action == "create"
                      and harness.provider.resource(c.kind).live_read), None)
        if first is None:
            pytest.skip("nothing to create")
        refs = _refs(harness)
        # the write happens, then the process "dies" before settling the journal
        [jid] = harness.state.begin("crashed", first.client, first.account, first.provider, first.kind,
                                    [(first.id, "create", first.natural_key, first.fingerprint)])
        harness.provider.resource(first.kind).create(first.desired(), refs)
        assert any(j.id == jid for j in harness.state.pending())
        harness.apply()  # reconciles, then plans and applies the rest
        assert harness.state.pending() == []
        again = harness.plan()
        assert [c for c in again.changes if c.writes] == []
        live = harness.provider.resource(first.kind).read_live(_refs(harness))
        assert first.natural_key in live
        rec = harness.state.item(first.client, first.account, first.kind, first.id)
        assert rec is not None and rec.vendor_id == live[first.natural_key].vendor_id

    def test_secrets_never_leak(self, provider_cls: type[Provider], sample_client: Client, tmp_path: Path,
                                clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
        secret_field = provider_cls.Settings.secret_fields()[0]
        # the simulator accepts the planted secret, so that a whole apply runs with it
        sim = provider_cls.create_simulator(clock)
        sandbox_value = provider_cls.sandbox_settings(sim.start())[secret_field]
        sim.alias_credential(PLANTED_SECRET, sandbox_value)
        caplog.set_level(logging.DEBUG)
        h = Harness(provider_cls, sample_client, tmp_path, clock, simulator=sim,
                    settings={secret_field: PLANTED_SECRET})
        try:
            plan = h.plan()
            plan_file = tmp_path / "plan.json"
            plan.save(plan_file)
            report = h.apply(plan)
            texts = [repr(h.provider), repr(h.provider.settings), str(h.provider.settings),
                     json.dumps(plan.to_json(results=True), default=str), plan_file.read_text(), caplog.text,
                     *(c.error for c in report.changes)]
            for text in texts:
                assert PLANTED_SECRET not in text
            h.state.close()
            assert PLANTED_SECRET.encode() not in (tmp_path / "state.db").read_bytes()
        finally:
            h.close()
            sim.stop()

    def test_members_are_neutral_contacts_with_consent(self, harness: Harness, provider_cls: type[Provider]) -> None:
        if provider_cls.support(Capability.MEMBERS_READ).fidelity == Fidelity.UNSUPPORTED:
            pytest.skip("the provider does not read members")
        harness.apply()
        client = harness.account.client
        lst = client.audience.lists[0].id
        members = harness.provider.api.read_members(client, lst, None, _refs(harness))
        assert all(isinstance(c, Contact) for c in members)
        want = {c.key: c.consent.email for c in client.audience.contacts if lst in c.lists and c.email}
        have = {c.key: c.consent.email for c in members}
        assert have == want

    def test_settle_records_vendor_ids(self, harness: Harness) -> None:
        harness.apply()
        live_kinds = {r.kind for r in harness.provider.resources if r.live_read}  # matched by vendor id
        for rec in harness.state.items():
            if rec.kind in live_kinds:
                assert rec.vendor_id, f"{rec.kind} {rec.neutral_id} has no vendor id"


    # -- results (`hub report`) -----------------------------------------------------------------------------
    def test_reports_name_a_vendor_field_for_each_metric(self, provider_cls: type[Provider]) -> None:
        for res_type in provider_cls.resource_types:
            if not res_type.reports:
                continue
            for metric, field in res_type.reports.items():
                assert isinstance(metric, Metric), f"{res_type.kind}: {metric!r} is not a hub.report Metric"
                assert isinstance(field, str) and field.strip(), f"{res_type.kind}: say which vendor field {metric} is"
            assert res_type.read_results is not Resource.read_results, \
                f"{res_type.kind} declares `reports` but does not implement read_results"

    def test_results_use_only_declared_metrics(self, provider_cls: type[Provider], report_client: Client,
                                               tmp_path: Path, clock: FakeClock) -> None:
        if not any(r.reports for r in provider_cls.resource_types):
            pytest.skip("no resource reports results")
        h = Harness(provider_cls, report_client, tmp_path, clock)
        try:
            applied = h.apply()
            assert not applied.failed, [c.error for c in applied.failed]
            clock.advance(RESULTS_AFTER.total_seconds())
            asked = 0
            for res in h.provider.resources:
                if not res.reports:
                    continue
                sent = _sent_items(h, res, clock.utcnow())
                asked += len(sent)
                if sent:
                    _check_results(res, sent, res.read_results(sent, _refs(h)))
            if not asked:
                pytest.skip("the report client's apply sent nothing (override `report_client`)")
        finally:
            h.close()


def _sent_items(h: Harness, res: Resource, now: datetime) -> list[Sent]:
    """What an apply sent through `res`, as `hub report` asks about it: items with a vendor id (texts: the delivery
    ledger's name, the item's id) whose recorded send time (`send_at`, when recorded) has come."""
    texts = res.capability == Capability.SMS_CAMPAIGNS
    out = []
    for rec in h.state.items(h.account.client.name, h.account.name):
        vendor_id = rec.neutral_id if texts else rec.vendor_id
        send_at = rec.data.get("send_at", "now")
        if rec.kind != res.kind or not vendor_id or send_at is None:
            continue
        at = _utc(rec.applied_at) if send_at == "now" else _utc(str(send_at))
        if at is None or at > now:
            continue
        kind = "post" if res.capability == Capability.SOCIAL else "campaign"
        channel = {Capability.SMS_CAMPAIGNS: Channel.SMS, Capability.SOCIAL: Channel.SOCIAL}.get(res.capability,
                                                                                                 Channel.EMAIL)
        out.append(Sent(kind, rec.neutral_id, rec.natural_key or rec.neutral_id, channel.value, vendor_id, at,
                        rec.data))
    return out


def _utc(text: str | None) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(text or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _check_results(res: Resource, sent: list[Sent], results: list[Result]) -> None:
    """Results answer what was asked, one per sent item and day, with only declared metrics and sound values."""
    assert all(isinstance(r, Result) for r in results), f"{res.kind}: read_results must return hub.report Results"
    asked = {s.vendor_id for s in sent}
    days = [(r.sent.vendor_id, r.day) for r in results]
    assert len(days) == len(set(days)), f"{res.kind}: one Result per sent item and day"
    for r in results:
        assert r.sent.vendor_id in asked, f"{res.kind}: a result for {r.sent.vendor_id}, which was not asked about"
        extra = set(r.figures) - set(res.reports)
        assert not extra, f"{res.kind}: {sorted(extra)} not in its `reports` table"
        for metric, value in r.figures.items():
            assert isinstance(value, int | float) and math.isfinite(value) and value >= 0, (metric, value)
            if metric in AMOUNTS and value:
                assert r.currency, f"{res.kind}: {metric} {value} without its currency"
    # each was sent by the apply just made: the vendor knows it, so something (zeros at least) comes back for it
    missing = asked - {r.sent.vendor_id for r in results}
    assert not missing, f"{res.kind}: no results for {sorted(missing)}, sent {RESULTS_AFTER.days} days ago"


def _refs(h: Harness) -> Any:
    from ..sync.plan import build_refs

    return build_refs(h.state, h.account)


def _reads(res: Resource) -> bool:
    return type(res).read_live is not Resource.read_live


def _creates(res: Resource) -> bool:
    return type(res).create is not Resource.create


__all__ = ["PLANTED_SECRET", "ProviderContract"]
