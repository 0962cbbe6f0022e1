"""What a provider plugin implements.

Three parts, one file each in a plugin:
- `Provider` (provider.py) describes the vendor with class attributes (name, channels, capabilities with
  their fidelity, rate limits) and names its settings model (secrets are `SecretStr`), its `Api` class and its
  `Resource` types by import path (`lazy`). It holds no I/O; it is in `hub.provider_description`.
- `VendorApi` (api.py) is one vendor account as hub talks to it: base URL, authentication, error mapping,
  rate-limit buckets, the shared HTTP client, and the vendor reads and writes several resources share.
- `Resource` (resources.py), one per kind of thing hub syncs (lists, fields, contacts, campaigns, ...),
  receives the account's `api` (and through it the context: clock, the workspace client) and never calls
  back into the provider. The sync engine plans and applies over resources generically: it never knows
  vendor paths or payloads.

Translation (neutral -> vendor payload) is pure and lives in `Resource.desired` and the plugin's
mapping.py; I/O lives in `read_live` / `create` / `update` / `delete` / `apply_batch`, which go through
`self.api` and raise only `hub.errors`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr

from .errors import NotSupported, OutcomeUnknown
from .model import Client, Contact, EmailContent
from .provider_description import Capability as Capability  # re-exported: the whole provider API is here
from .provider_description import Fidelity as Fidelity
from .provider_description import Provider as Provider
from .provider_description import Support as Support
from .provider_description import lazy as lazy
from .transport.limits import Limits as Limits  # re-exported: providers declare their limits with both
from .transport.limits import RateLimit as RateLimit

if TYPE_CHECKING:
    from .clock import Clock
    from .report.figures import Metric, Result, Sent
    from .services import AccountServices
    from .social import SocialPost
    from .transport.http import HttpClient


class ProviderSettings(BaseModel):
    """Base of every provider's settings. Secret fields are `SecretStr` and must be given as
    `env:NAME` or `keyring:NAME` references in client.yaml."""

    model_config = ConfigDict(extra="forbid")
    base_url: str | None = None
    timeout: float = 30.0

    @classmethod
    def secret_fields(cls) -> list[str]:
        return [n for n, f in cls.model_fields.items() if f.annotation in (SecretStr, SecretStr | None)]

    def secrets(self) -> list[str]:
        out = []
        for name in self.secret_fields():
            value = getattr(self, name)
            if value is not None and value.get_secret_value():
                out.append(value.get_secret_value())
        return out


_CANONICAL = json.JSONEncoder(sort_keys=True, default=str)  # json.dumps(sort_keys=True, default=str), made once


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(_CANONICAL.encode(payload).encode()).hexdigest()[:20]


@dataclass(slots=True)  # no __dict__ for each of 50,000 contacts
class Desired:
    """One item as the workspace wants it, already translated to what the vendor will hold."""

    id: str  # neutral id, unique per (account, kind)
    natural_key: str  # how the vendor item is found without hub's state (name, email, ...)
    payload: dict[str, Any]  # comparable form; references to other items are neutral ("list:customers")
    fidelity: Fidelity = Fidelity.EXACT
    reason: str = ""
    # build sheets, segment counts, warnings; `details["record"]` is what the state keeps as the item's data once it
    # is applied (a `create`/`update` may change it on `want.details`: the applier settles that very dict; a kind
    # with many alike may give items one shared record, which nothing then changes)
    details: dict[str, Any] = field(default_factory=dict)
    _fingerprint: str = field(default="", init=False, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """Of `payload`, which is not changed once this is read (the plan reads it twice for every contact)."""
        if not self._fingerprint:
            self._fingerprint = fingerprint(self.payload)
        return self._fingerprint


@dataclass
class Live:
    """One item as the vendor holds it, projected into the same comparable form as `Desired.payload`."""

    vendor_id: str
    natural_key: str
    payload: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the vendor says is wrong (e.g. a send checklist)


@dataclass
class ItemResult:
    id: str
    ok: bool
    vendor_id: str = ""
    error: str = ""
    note: str = ""
    # the vendor accepted the write but reports its outcome later (an asynchronous import): a token the
    # resource's `confirm` takes at the start of the next apply
    confirm: str = ""
    # written only in part (a tag that does not exist yet was left out): what was left out, and what was
    # written instead of the plan's record; the next plan writes the item again
    incomplete: str = ""
    record: dict[str, Any] | None = None

    def written_without(self, refs: list[str], key: str, wanted: list[str], vendor: str) -> None:
        """A write that succeeded without `refs` (items not at the vendor yet, e.g. a tag whose create
        failed): it is recorded with `key` holding what was written, and the next plan writes it again."""
        if self.ok and refs:
            self.record = {key: [ref for ref in wanted if ref not in refs]}
            self.incomplete = f"{', '.join(refs)} not in {vendor} yet, left out"


class References:
    """Neutral <-> vendor id lookups for items of other kinds in the same account (from state and from
    what was just read or created). Resources use it to turn "list:customers" into a group id."""

    def __init__(self) -> None:
        self._to_vendor: dict[tuple[str, str], str] = {}
        self._to_neutral: dict[tuple[str, str], str] = {}
        self._planned: set[tuple[str, str]] = set()

    def add(self, kind: str, neutral_id: str, vendor_id: str) -> None:
        self._to_vendor[(kind, neutral_id)] = vendor_id
        self._to_neutral[(kind, vendor_id)] = neutral_id

    def vendor_id(self, kind: str, neutral_id: str) -> str | None:
        return self._to_vendor.get((kind, neutral_id))

    def neutral_id(self, kind: str, vendor_id: str) -> str | None:
        return self._to_neutral.get((kind, str(vendor_id)))

    def of_kind(self, kind: str) -> dict[str, str]:
        """Neutral id -> vendor id of every known item of `kind`."""
        return {n: v for (k, n), v in self._to_vendor.items() if k == kind}

    def plan(self, kind: str, neutral_id: str) -> None:
        """Note that the plan creates this item before later kinds are applied."""
        self._planned.add((kind, neutral_id))

    def known(self, kind: str, neutral_id: str) -> bool:
        """The item exists at the vendor, or the plan creates it before later kinds need it."""
        return (kind, neutral_id) in self._to_vendor or (kind, neutral_id) in self._planned

    def require(self, kind: str, neutral_id: str) -> str:
        found = self.vendor_id(kind, neutral_id)
        if found is None:
            raise NotSupported(f"{kind} '{neutral_id}' has no vendor id yet; apply it first")
        return found


class Resource:
    """One kind of vendor object a provider syncs. Subclasses override what their capability needs."""

    kind: ClassVar[str]
    capability: ClassVar[Capability]
    live_read: ClassVar[bool] = True  # False: planned against state fingerprints only (bulk contacts)
    batch_size: ClassVar[int] = 0  # > 0: the applier calls apply_batch with up to this many items
    prunable: ClassVar[bool] = True
    # A write of a kind without a live read whose outcome is unknown (its answer was lost, or hub was killed
    # before it came): "resend" when sending it again is harmless (upserts, or a create that looks at the
    # vendor first); "ask" when a second one would do harm (a journey trigger sends emails): `find_write`
    # settles it by what the vendor shows, or the user does (`hub resolve`). Never repeated blindly.
    unknown_outcome: ClassVar[str] = "resend"
    holds: ClassVar[bool] = False  # keeps work in hub's state until its time: `hub run` calls `release_due`
    many: ClassVar[bool] = False  # thousands alike (contacts): plans show them as counts and a sample
    # `desired` depends on nothing but the client's files, hub.yaml and blueprints, its opt-outs and the code: a plan
    # may take what it answered last time under the same inputs (`hub.sync.desired_cache`) instead of translating
    # tens of thousands of contacts again
    pure_desired: ClassVar[bool] = False
    # what `hub report` reads for what this kind sent: each metric -> the vendor field it comes from (the mapping
    # table a user checks a figure against); empty: this kind sends nothing to report on
    reports: ClassVar[Mapping[Metric, str]] = {}

    def __init__(self, api: VendorApi[Any]) -> None:
        self.api = api

    @property
    def http(self) -> HttpClient:
        return self.api.http

    @property
    def ctx(self) -> ProviderContext:
        return self.api.ctx

    # -- pure ------------------------------------------------------------------------------------
    def desired(self, client: Client, refs: References) -> list[Desired]:
        """Translate the client's neutral items of this kind into vendor-comparable payloads.

        `refs` holds vendor ids of items planned before this kind (read-only here: payloads keep
        neutral references such as "list:customers" so that fingerprints do not depend on vendor ids).
        """
        return []

    def compare(self, want: Desired, live: Live) -> str | None:
        """Describe how `live` differs from `want`, or None when it matches."""
        return describe_difference(want.payload, live.payload)

    def history(self, live: Live) -> str | None:
        """A reason when the vendor's item can no longer change (a sent campaign): the plan leaves it be."""
        return None

    def outstanding(self, want: Desired, record: Any) -> str | None:
        """For kinds planned against state: the work applying `want` does beyond what changed in the workspace
        (e.g. SMS recipients held for quiet hours who are now due, texts scheduled earlier to cancel). A reason
        makes the change an update."""
        return None

    # -- I/O ------------------------------------------------------------------------------------
    def read_live(self, refs: References) -> dict[str, Live]:
        """Every item of this kind in the account, keyed by natural key, in the fewest requests."""
        raise NotSupported(f"reading {self.kind} is not supported", provider=self.api.name)

    def lookup(self, natural_key: str, refs: References) -> Live | None:
        """Find one item by natural key, as the vendor holds it now: used when a write's outcome is unknown,
        so it must never answer from a cache read before that write."""
        return self.read_live(refs).get(natural_key)

    def find_write(self, want: Desired, refs: References, since: datetime) -> str | None:
        """After a write whose answer was lost (sent at `since` or later): its vendor id when the vendor shows it
        happened, None when the vendor shows it did not (hub sends it again). Raise `OutcomeUnknown` when the
        vendor offers no way to tell: hub records the write as unknown and never repeats it blindly."""
        if self.live_read:
            found = self.lookup(want.natural_key, refs)
            return found.vendor_id if found is not None else None
        if self.unknown_outcome == "ask":
            raise OutcomeUnknown(f"{self.api.display_name} offers no way to tell whether"
                                 f" this {self.kind.replace('_', ' ')} happened", provider=self.api.name)
        return None

    def create(self, want: Desired, refs: References) -> str:
        """Make the item exist; return its vendor id. A kind that takes more calls than one (content, a
        schedule) does the rest in `finish`."""
        raise NotSupported(f"creating {self.kind} is not supported", provider=self.api.name)

    def finish(self, vendor_id: str, want: Desired, refs: References) -> None:
        """The steps of a create after the first. The applier journals the vendor id `create` returned before
        calling this, so that an interruption leaves an item hub finishes later (with `update`, which must
        bring any existing item to `want`), never a half-made one it would take for the vendor's doing."""

    @property
    def multi_step(self) -> bool:
        return type(self).finish is not Resource.finish

    def update(self, vendor_id: str, want: Desired, live: Live | None, refs: References) -> str:
        raise NotSupported(f"updating {self.kind} is not supported", provider=self.api.name)

    def delete(self, vendor_id: str, refs: References) -> None:
        raise NotSupported(f"deleting {self.kind} is not supported", provider=self.api.name)

    def apply_batch(self, items: Sequence[Desired], refs: References) -> list[ItemResult]:
        raise NotSupported(f"bulk {self.kind} is not supported", provider=self.api.name)

    def release_due(self, vendor_id: str, data: Mapping[str, Any], now: datetime) -> tuple[str, dict[str, Any]] | None:
        """For kinds that hold work in hub until its time (a post to a network that cannot schedule, texts beyond
        the vendor's scheduling window): carry out what the record (`vendor_id`, `data`, as apply wrote them) holds
        if its time has come. A record that holds work says until when in `data["held_until"]` (ISO 8601 UTC,
        "2026-12-01T09:00:00Z"), so that `hub run` asks only about those that are due, each tick. It must do what
        apply applied, not what the workspace says now, and never twice (a repeat after a crash finds the earlier
        post). Returns the record's new (vendor id, data), or None when nothing was due. `apply` releases what is
        due too (through `outstanding` and `update`)."""
        return None

    def history_of(self, vendor_id: str, data: Mapping[str, Any]) -> str | None:
        """A reason when the item hub recorded (its vendor id and record data) can no longer change (a published
        post): taken out of the workspace, it is forgotten, never deleted at the vendor."""
        return None

    def read_results(self, sent: Sequence[Sent], refs: References) -> list[Result]:
        """The vendor's figures for each of `sent` (what hub sent through this kind: campaigns it applied, and for the
        kind holding the account's email or SMS campaigns, the batches hub's runner sent), in the fewest reads:
        one `Result` per sent item and day, only for metrics in `reports`. Something the vendor no longer knows
        is left out; something it has no figures for yet gives zeros, not settled."""
        raise NotSupported(f"{self.api.display_name} results of {self.kind} cannot be read", provider=self.api.name)

    def confirm(self, pending: Mapping[str, Sequence[str]], refs: References) -> dict[str, ItemResult]:
        """Settle writes accepted earlier with `ItemResult.confirm`: `pending` maps each token to the items
        it covers. Return results for those whose outcome is now known (a failure is sent again)."""
        return {}


def sent_campaign(live: Live) -> str | None:
    """`Resource.history` for campaigns projected with a `schedule.mode` of "sent"."""
    if live.payload.get("schedule", {}).get("mode") == "sent":
        return "already sent: changes in the workspace no longer apply to it"
    return None


def describe_difference(want: Mapping[str, Any], have: Mapping[str, Any]) -> str | None:
    diffs = []
    for key in sorted(set(want) | set(have)):
        if want.get(key) != have.get(key):
            diffs.append(f"{key} {_short(have.get(key))} (want {_short(want.get(key))})")
    return "; ".join(diffs) or None


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


class SharedRead:
    """One vendor read shared by several resources of a plan (e.g. MailerLite's groups stand for both
    lists and tags): read once, reused, refreshed on demand, forgotten after a write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: Any = None

    def get(self, load: Callable[[], Any], *, refresh: bool = False) -> Any:
        with self._lock:
            if self._value is None or refresh:
                self._value = load()
            return self._value

    def forget(self) -> None:
        with self._lock:
            self._value = None

    def add(self, item: Any) -> None:
        """An item the reader's own write made, added to the list read if one is held (the next user need not read
        the vendor again); a reader holding the list before sees it unchanged."""
        with self._lock:
            if self._value is not None:
                self._value = [*self._value, item]


@dataclass
class ProviderContext:
    client_name: str  # the workspace client's name (its `Client` model is `services.client`)
    account: str
    clock: Clock
    make_http: Any  # callable(api) -> HttpClient; built by the engine so limits are shared per account
    services: AccountServices | None = None  # what the engine lends beyond HTTP (state, audience, stop)


SettingsT = TypeVar("SettingsT", bound=ProviderSettings)


@dataclass(frozen=True)
class StepEmail:
    """One email step of an automation run by hub's runner, for the contacts due together: the vendor sends it
    as one campaign named `name` (unique per batch, so that a retry finds what an earlier attempt made)."""

    name: str
    automation: str  # the automation's name, for the vendor's UI (its id is in `name`)
    content: EmailContent  # neutral: the provider translates personalisation to its merge tags
    recipients: tuple[str, ...]  # lower-case email addresses, each a subscribed contact at the vendor
    resumed: bool = True  # an earlier attempt may have made part of it (false only when hub's journal knows not)


@dataclass(frozen=True)
class StepText:
    """One text of an automation step run by hub's runner: `ledger` names it in the delivery ledger (one text
    per ledger name and number, ever), `body` is rendered for the recipient already."""

    ledger: str
    to: str
    body: str


@dataclass(frozen=True)
class InboundText:
    """A text someone sent to one of the account's numbers."""

    sid: str
    sender: str  # E.164
    body: str
    at: datetime


@dataclass(frozen=True)
class EmailActivity:
    """Who opened and who clicked one campaign so far (lower-case email addresses)."""

    opened: frozenset[str] = frozenset()
    clicked: frozenset[str] = frozenset()


class VendorApi(Generic[SettingsT]):
    """One vendor account as hub talks to it; what every `Resource` of the account is given.

    A plugin subclasses it in its api.py, naming its settings class (``class MyApi(VendorApi[MySettings])``,
    so that `self.settings` is typed): `auth_headers`, `map_error` and `bucket_for` describe requests; the
    vendor reads and writes that several resources share (paginated lists, a batch endpoint, a shared read
    of groups) live here too, once. `vendor` is the provider class (its description)."""

    def __init__(self, vendor: type[Provider], settings: SettingsT, ctx: ProviderContext) -> None:
        self.vendor = vendor
        self.settings = settings
        self.ctx = ctx
        self.limits = vendor.limits  # this account's: a test may narrow them
        self._http: HttpClient | None = None

    def __repr__(self) -> str:  # never shows settings: they hold secrets
        return f"<{type(self).__name__} {self.ctx.client_name}/{self.ctx.account}>"

    @property
    def name(self) -> str:
        return self.vendor.name

    @property
    def display_name(self) -> str:
        return self.vendor.display_name or self.vendor.name

    @property
    def http(self) -> HttpClient:
        if self._http is None:
            self._http = self.ctx.make_http(self)
        return self._http

    @property
    def base_url(self) -> str:
        return (self.settings.base_url or self.vendor.default_base_url).rstrip("/")

    @property
    def client(self) -> Client:
        """The workspace client this account serves (lent by the engine before a plan)."""
        assert self.ctx.services is not None, "the engine lends every account its client"
        return self.ctx.services.client

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request (built from secret settings; never logged)."""
        return {}

    def map_error(self, status: int, body: Any, headers: Mapping[str, str]) -> Exception:
        """Turn a vendor error response into a `hub.errors` exception (see `hub.transport.errors`)."""
        from .transport.errors import default_error

        return default_error(self.name, status, body, headers)

    def bucket_for(self, method: str, path: str, body: Any) -> tuple[str, ...]:
        """Which rate-limit buckets a request draws from (default: every declared bucket named 'default')."""
        return ("default",)

    # -- beyond sync ---------------------------------------------------------------------------------
    def contacts_to_push(self, client: Client) -> list[Contact]:
        """The client's contacts as a contact source should hold them: when the workspace names an SMS
        consent field, it carries each contact's SMS consent, and "unsubscribed" for anyone who texted STOP.
        While the client migrates to this account (`role: target`), the source's contacts come too, and nobody
        is pushed more sendable than the source holds them (its unsubscribes, bounces and complaints carried)."""
        services = self.ctx.services
        contacts = list(client.audience.contacts)
        if services is not None:
            contacts = services.carried(self.ctx.account, contacts)
        field = client.config.sms_consent_field
        if not field:
            return contacts
        optouts = services.optouts() if services else {}
        out = []
        for c in contacts:
            value = c.consent.sms.value if c.consent.sms else None
            if c.phone and c.phone in optouts:
                value = "unsubscribed"
            out.append(c.model_copy(update={"fields": {**c.fields, field: value}}) if value else c)
        return out

    def set_contact_field(self, client: Client, email: str, field_id: str, value: str, refs: References) -> None:
        """Write one custom field of one contact (e.g. an SMS opt-out written back to the contact source)."""
        raise NotSupported(f"{self.name} cannot write a contact's field", provider=self.name)

    def read_members(self, client: Client, list_id: str, segment_id: str | None,
                     refs: References) -> list[Contact]:
        """Contacts in a list (or a segment of it), as the vendor holds them now, with their email consent:
        the audience other channels (SMS) send to. Field values use the workspace's field ids."""
        raise NotSupported(f"{self.name} cannot list members", provider=self.name)

    def export_contacts(self, refs: References) -> Iterator[Contact]:
        """Every contact in the account, as the neutral model, in the fewest requests (`hub import` writes them to a
        CSV; `hub migrate` carries them, and their consent, to another vendor). Consent is as the vendor holds it:
        unsubscribed, bounced (Mailchimp's "cleaned"), complained and pending are kept, never turned into
        subscribed; opt-in evidence (`Consent.opted_in_at`, `opt_in_ip`) where the vendor records it. Lists, tags
        and fields use the neutral ids `refs` knows (vendor id -> neutral id, by kind "list", "tag", "field");
        memberships and values of items `refs` does not know are left out."""
        raise NotSupported(f"{self.name} cannot export contacts", provider=self.name)

    def import_account(self, refs: References) -> dict[str, Any]:
        """What the account holds, written as the workspace's YAML would write it (`hub import`; only reads).

        The answer is plain data, ready to be written as files (keys left out are empty):

        - ``lists``, ``tags``, ``fields``: audience.yaml's items (``{"id", "name", ...}``);
        - ``segments``, ``campaigns``, ``automations``: ``{"data": {...}, "comment": "..."}`` each, `data` being
          the item as written in audience.yaml, campaigns/<id>.yaml or automations/<id>.yaml (with its ``id``), and
          `comment` what the vendor does not show (written above the item, so that the user can complete it);
        - ``files``: other files for the client's folder, ``{"path": "automations/x.json", "text": ...}`` (what
          cannot be written as YAML, kept for the user; hub does not read them);
        - ``history``: one line per item that can no longer change (a sent campaign), summarised, never re-created;
        - ``notes``: what the user should know (approximations, what was left out and why);
        - ``texts``: texts already scheduled at the vendor, per campaign id: ``{"to", "sid", "body", "send_at"}``
          each (the engine records them in the delivery ledger, so that nobody is texted twice).

        Neutral ids are chosen so that what hub plans from the files matches what the vendor holds (the next plan
        shows nothing to do). `refs` is filled with the vendor id of every list, tag, field and segment imported
        (kinds as the resources name them), which `export_contacts` then uses."""
        raise NotSupported(f"{self.display_name} accounts cannot be imported yet", provider=self.name)

    # -- what hub's automation runner asks of an email vendor (Capability.STEP_EMAILS) --------------------
    def send_step_email(self, email: StepEmail, refs: References) -> str:
        """Send `email` now to exactly its recipients, as one campaign named `email.name`; return its vendor id.

        Idempotent by name, because the runner calls again after a crash or a lost answer: a campaign of that
        name already sent is returned as it is (never sent twice); one left half-made is finished. Whatever the
        vendor needs to address exactly these recipients (a group, a tag, a list) is named after the campaign
        and found again the same way. When `email.resumed` is false, hub's journal knows nothing was asked of the
        vendor for this batch before: a provider may make each piece without looking for it first."""
        raise NotSupported(f"{self.name} cannot send an automation's email step", provider=self.name)

    def step_email_activity(self, campaign_id: str) -> EmailActivity:
        """Who opened and who clicked a campaign `send_step_email` sent (for `opened`/`clicked` conditions)."""
        raise NotSupported(f"{self.name} cannot read who opened an email", provider=self.name)

    def send_texts(self, texts: Sequence[StepText]) -> dict[tuple[str, str], str]:
        """Send each text now, exactly once per (ledger name, number) whatever crashes in between (recorded in
        the delivery ledger before the vendor is asked, looked up at the vendor when its answer was lost);
        a number that opted out is not texted. Returns the ledger status of each (ledger, to): `sent` (or
        later), `opted_out`, `failed`/`invalid` (refused by the vendor: not sent again) or `retry`."""
        raise NotSupported(f"{self.name} cannot send texts", provider=self.name)

    def inbound_texts(self, since: datetime) -> list[InboundText]:
        """Texts people sent to the account's numbers since `since` (keyword triggers, replies)."""
        raise NotSupported(f"{self.name} cannot read inbound texts", provider=self.name)

    def publish_post(self, post: SocialPost, key: str, since: datetime | None = None) -> str:
        """Publish `post` now on this social account; return the post's vendor id. Idempotent by `key`: hub's runner
        calls again with `since` (when the earlier call with this key began) after a crash or a lost answer, and a
        post made by that call is found and returned, never made twice."""
        raise NotSupported(f"{self.name} cannot publish social posts", provider=self.name)

    def tag_contacts(self, tag_id: str, emails: Sequence[str], refs: References, *, add: bool = True) -> None:
        """Give (or, with `add=False`, take away) the workspace tag `tag_id` to these contacts; a contact who
        already has it (or never had it) is no error. `refs` holds the tag's vendor id."""
        raise NotSupported(f"{self.name} cannot tag contacts", provider=self.name)
