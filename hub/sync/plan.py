"""Plans: what would change in every client's vendor accounts, and how faithfully.

The planner compares three things per item: what the workspace wants (translated by the provider),
what hub applied last time (the state's fingerprint), and what the vendor holds now (read live). From
them it derives the action and, when someone edited the item in the vendor's UI, marks it as drift.
Planning only reads.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import AuthError, ConfigError, ExitCode, HubError, OutcomeUnknown, StalePlanError, without_source
from ..provider import Desired, Fidelity, Live, References, Resource
from ..state import StateStore
from ..state.store import ItemRecord
from .accounts import Account
from .desired_cache import DesiredCache, plain

ACTIONS = ("create", "update", "delete", "noop", "manual", "unsupported")
PLAN_FORMAT = 2  # 2: items of kinds with many alike (contacts) are saved in a side file
SAMPLE = 10  # ids shown of a group of many alike
FOLD_OVER = 1000  # more unchanged items of a kind with many alike than this are planned as one count
MANY = "*"  # the id of a group of many alike in a plan's JSON (with its `count` and a `sample` of ids)
# details the applier needs (kept in plan files) but a printed plan leaves out: last push's record, and
# an SMS campaign's per-recipient texts (thousands of lines; the reason says how many and what they cost)
BOOKKEEPING = ("previous", "record", "recipients", "retranslate")
# an item a saved plan keeps without its payload: apply translates it again (`translate_again`), which a kind
# that translates the same from the same files and state (`Resource.pure_desired`: contacts) allows
RETRANSLATE = "retranslate"
# Accounts are independent and their work is waiting on vendors: one thread each, so that 200 clients take
# about as long as the slowest one (PRODUCT §6). Each account's own gate keeps it within its vendor's limits; this
# cap only bounds threads and open connections (well under the usual 1,024 open files).
MAX_PARALLEL_ACCOUNTS = 256
FIDELITIES = {f.value: f for f in Fidelity}  # (a dict lookup: calling the enum is slow, once per contact)
_LINE = json.JSONEncoder(default=str)  # one side-file line per item: json.dumps(default=str), made once


@dataclass(slots=True)  # no __dict__ for each of 50,000 contacts
class Change:
    client: str
    account: str
    provider: str
    kind: str
    id: str
    action: str
    fidelity: str = Fidelity.EXACT.value
    reason: str = ""
    drift: bool = False
    vendor_id: str = ""
    natural_key: str = ""
    fingerprint: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    adopt: bool = False  # found in the vendor without a state record: apply records it, writes nothing
    many: bool = False  # one of many alike (a contact): JSON and plan files show them as counts and a sample
    count: int = 1  # > 1: this many unchanged items of a kind with many alike, folded into one (id MANY)
    result: str = ""
    error: str = ""

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update", "delete")

    def desired(self) -> Desired:
        return Desired(self.id, self.natural_key, self.payload, FIDELITIES[self.fidelity], self.reason, self.details)

    @classmethod
    def folded(cls, client: str, account: str, provider: str, kind: str, action: str, count: int,
               sample: list[str], *, fidelity: str = Fidelity.EXACT.value, reason: str = "") -> Change:
        """`count` items of a kind with many alike that apply has no work for (unchanged contacts), as one."""
        return cls(client, account, provider, kind, MANY, action, fidelity=fidelity, reason=reason, many=True,
                   count=count, details={"sample": sample[:SAMPLE]})

    def public(self, *, payload: bool = False) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__slots__}  # every field, shallow: 64k contacts is big
        if not payload:  # bookkeeping for apply; plan files keep it, printed plans do not
            out.pop("payload")
            out["details"] = {k: v for k, v in self.details.items() if k not in BOOKKEEPING}
        for key in ("result", "error"):
            if not out[key]:
                out.pop(key)
        if not self.many:
            out.pop("many")
        if self.count == 1:
            out.pop("count")
        return out


def _group(items: list[Change], *, results: bool) -> dict[str, Any]:
    """Many alike of one kind and action (contacts) as one entry: how many, a sample, each reason with its count,
    and after an apply the outcome, every failure named."""
    first = items[0]
    total = sum(c.count for c in items)
    reasons = Counter(c.reason for c in items if c.reason)
    sample = [i for c in items for i in (c.details.get("sample", []) if c.id == MANY else [c.id])][:SAMPLE]
    out: dict[str, Any] = {
        "client": first.client, "account": first.account, "provider": first.provider, "kind": first.kind,
        "id": MANY, "action": first.action, "count": total,
        "fidelity": ", ".join(dict.fromkeys(c.fidelity for c in items)),
        "reason": "; ".join(r if n == total else f"{n} of {total}: {r}" for r, n in reasons.items()),
        "drift": any(c.drift for c in items), "sample": sample,
    }
    drifted = sum(c.drift for c in items)
    if drifted:
        out["drifted"] = drifted
    warnings = Counter(w for c in items for w in c.details.get("warnings") or [])
    if warnings:
        out["warnings"] = dict(warnings)
    if results:
        outcomes = Counter(c.result for c in items if c.result)
        worst = next((r for r in ("unknown", "failed", "skipped", "ok") if r in outcomes), "")
        if worst:
            out["result"] = worst  # the worst outcome among them; `results` counts each
        out["results"] = dict(outcomes)
        out["failed"] = [{"id": c.id, "result": c.result, "error": c.error} for c in items
                         if c.result in ("failed", "unknown")]
    return out


@dataclass
class AccountPlan:
    client: str
    account: str
    provider: str
    error: str = ""
    exit_code: int = 0
    missing: list[str] = field(default_factory=list)  # secret references not found (env:NAME, keyring:NAME)


@dataclass
class Plan:
    changes: list[Change]
    accounts: list[AccountPlan]
    workspace_digest: str
    state_revision: int
    sandbox: bool
    prune: bool
    clients: list[str]
    created_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def summary(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for c in self.changes:
            counts[c.action] += c.count
        out = {a: counts.get(a, 0) for a in ACTIONS}
        out["drift"] = sum(1 for c in self.changes if c.drift)
        return out

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.writes or c.adopt]

    def to_json(self, *, payload: bool = False, results: bool = False) -> dict[str, Any]:
        entries: dict[str, list[dict[str, Any] | list[Change]]] = {c: [] for c in self.clients}
        groups: dict[tuple[str, str, str, str], list[Change]] = {}
        for change in self.changes:
            if change.many:  # one entry for all alike, where the first of them is
                key = (change.client, change.account, change.kind, change.action)
                if key not in groups:
                    groups[key] = []
                    entries.setdefault(change.client, []).append(groups[key])
                groups[key].append(change)
            else:
                entries.setdefault(change.client, []).append(change.public(payload=payload))
        clients = {name: [_group(e, results=results) if isinstance(e, list) else e for e in items]
                   for name, items in entries.items()}
        errors = [asdict(a) for a in self.accounts if a.error]
        doc: dict[str, Any] = {
            "summary": self.summary(),
            "clients": [{"client": name, "changes": changes} for name, changes in clients.items()],
        }
        if errors:
            doc["errors"] = errors
        if results:
            doc["results"] = dict(Counter(c.result for c in self.changes if c.result))
        return doc

    # -- plan files ----------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """The plan as one JSON document at `path`; items of many alike that apply writes (or records) go, with
        their details, to a side file beside it (`items_path`), one per line, bound to the plan by digest."""
        doc = self.to_json(payload=True)
        heads: dict[tuple[str, str, str, str], str] = {}
        lines = [_side_line(c, heads) for c in self.changes if c.many and (c.writes or c.adopt)]
        side = items_path(path)
        digest = hashlib.sha256()
        with side.open("w", encoding="utf-8") as fh:
            for start in range(0, len(lines), 4096):
                text = "".join(lines[start:start + 4096])
                fh.write(text)
                digest.update(text.encode())
        doc["binding"] = {
            "format": PLAN_FORMAT, "workspace_digest": self.workspace_digest, "state_revision": self.state_revision,
            "sandbox": self.sandbox, "prune": self.prune, "created_at": self.created_at, "clients": self.clients,
            "accounts": [asdict(a) for a in self.accounts],
            "items": {"file": side.name, "count": len(lines), "sha256": digest.hexdigest()},
        }
        path.write_text(json.dumps(doc, indent=1, default=str))

    @classmethod
    def load(cls, path: Path) -> Plan:
        try:
            doc = json.loads(path.read_text())
            binding = doc["binding"]
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"{path}: not a hub plan file ({exc})") from None
        if binding.get("format") != PLAN_FORMAT:
            raise ConfigError(f"{path}: plan format {binding.get('format')} is not supported by this hub; make it"
                              " again with `hub plan --out`")
        known = Change.__dataclass_fields__
        grouped: dict[tuple[str, str, str, str], list[Change]] = {}
        for item in _read_items(path, binding["items"]):
            change = Change(**{k: v for k, v in item.items() if k in known})
            grouped.setdefault((change.client, change.account, change.kind, change.action), []).append(change)
        changes: list[Change] = []
        for entry in (ch for client in doc["clients"] for ch in client["changes"]):
            if entry["id"] != MANY:
                changes.append(Change(**{k: v for k, v in entry.items() if k in known}))
                continue
            kept = grouped.get((entry["client"], entry["account"], entry["kind"], entry["action"]), [])
            changes += kept  # in the group's place: apply keeps the plan's order
            if entry["count"] > len(kept):  # what apply has no work for (unchanged contacts): one count
                changes.append(Change.folded(entry["client"], entry["account"], entry["provider"], entry["kind"],
                                             entry["action"], entry["count"] - len(kept), entry["sample"],
                                             fidelity=entry["fidelity"], reason=entry["reason"]))
        return cls(changes, [AccountPlan(**a) for a in binding["accounts"]], binding["workspace_digest"],
                   binding["state_revision"], binding["sandbox"], binding["prune"], binding["clients"],
                   binding["created_at"])

    def check_binding(self, workspace_digest: str, state_revision: int, sandbox: bool) -> None:
        problems = []
        if workspace_digest != self.workspace_digest:
            problems.append("the workspace files changed since it was made")
        if state_revision != self.state_revision:
            problems.append("another apply changed the state since it was made")
        if sandbox != self.sandbox:
            problems.append(f"it was made {'with' if self.sandbox else 'without'} --sandbox")
        if problems:
            raise StalePlanError("the saved plan is stale: " + "; ".join(problems) + ". Run `hub plan --out` again.")


def _side_line(c: Change, heads: dict[tuple[str, str, str, str], str]) -> str:
    """What a saved plan keeps of an item of many alike, as a line of JSON: all of it, or without what apply
    translates again. Thousands of contacts share all but their id and fingerprint: the rest is written once, in a
    head kept in `heads`."""
    if not c.details.get(RETRANSLATE):
        return _LINE.encode(c.public(payload=True)) + "\n"
    if any(getattr(c, k) != v for k, v in _DEFAULTS.items()):
        out = {k: getattr(c, k) for k in ("client", "account", "provider", "kind", "id", "action", "fingerprint")}
        out.update((k, v) for k in _LEFT_OUT_WHEN_DEFAULT if (v := getattr(c, k)) != _DEFAULTS[k])
        out.update(many=True, details={RETRANSLATE: True})
        return _LINE.encode(out) + "\n"
    key = (c.client, c.account, c.provider, c.kind)
    head = heads.get(key)
    if head is None:
        head = heads[key] = _LINE.encode(dict(zip(("client", "account", "provider", "kind"), key, strict=True)))[:-1]
    return (f'{head}, "id": {_LINE.encode(c.id)}, "action": {_LINE.encode(c.action)}, "fingerprint":'
            f' {_LINE.encode(c.fingerprint)}, "many": true, "details": {{"{RETRANSLATE}": true}}}}\n')


_LEFT_OUT_WHEN_DEFAULT = ("fidelity", "reason", "drift", "vendor_id", "adopt")  # from a side line, when unremarkable
_DEFAULTS = {k: Change.__dataclass_fields__[k].default for k in _LEFT_OUT_WHEN_DEFAULT}


def translate_again(plan: Plan, accounts: Iterable[Account], state: StateStore) -> None:
    """Give the items a saved plan keeps without payload (`RETRANSLATE`) what the workspace translates to now,
    refusing the plan when any one is not what it showed (its fingerprint): apply carries out the plan shown."""
    waiting: dict[tuple[str, str, str], list[Change]] = {}
    for c in plan.changes:
        if c.details.get(RETRANSLATE) and not c.payload:
            waiting.setdefault((c.client, c.account, c.kind), []).append(c)
    opened = {acc.key: acc for acc in accounts}
    for (client, account, kind), changes in waiting.items():
        acc = opened.get((client, account))
        if acc is None:
            continue  # not opened now: its changes fail as every change of the account does
        records = {r.neutral_id: r for r in state.items(client, account, kind)}
        wanted = {w.id: w for w in acc.provider.resource(kind).desired(acc.client, build_refs(state, acc))}
        for c in changes:
            want = wanted.get(c.id)
            if want is None or want.fingerprint != c.fingerprint:
                raise StalePlanError(f"the saved plan is stale: {kind} '{c.id}' of {client}/{account} is not what it"
                                     " showed (what it translates from changed since). Run `hub plan --out` again.")
            c.natural_key, c.payload, c.details = want.natural_key, want.payload, dict(want.details)
            rec = records.get(c.id)
            if c.action == "update" and rec is not None:
                c.details["previous"] = rec.data  # as the plan had it: the state is the plan's (its revision)


def items_path(plan_path: Path) -> Path:
    """Where a saved plan keeps the details of its items of many alike."""
    return plan_path.with_name(plan_path.name + ".items.jsonl")


def _read_items(path: Path, expected: dict[str, Any]) -> list[dict[str, Any]]:
    side = path.with_name(expected["file"])
    try:
        data = side.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: its items file {side.name} cannot be read ({exc.strerror}); keep it beside the"
                          " plan, or make the plan again with `hub plan --out`") from None
    if hashlib.sha256(data).hexdigest() != expected["sha256"]:
        raise ConfigError(f"{path}: its items file {side.name} is not the one saved with it (changed or replaced);"
                          " make the plan again with `hub plan --out`")
    items = [json.loads(line) for line in data.decode().splitlines() if line]
    if len(items) != expected["count"]:
        raise ConfigError(f"{path}: its items file {side.name} holds {len(items)} items, not {expected['count']}")
    return items


# -- planning ----------------------------------------------------------------------------------------


def build_refs(state: StateStore, account: Account, records: Iterable[ItemRecord] | None = None) -> References:
    refs = References()
    for rec in state.items(account.client.name, account.name) if records is None else records:
        refs.add(rec.kind, rec.neutral_id, rec.vendor_id)
    return refs


def plan_account(account: Account, state: StateStore, *, prune: bool,
                 cache: DesiredCache | None = None) -> list[Change]:
    provider = account.provider
    client = account.client
    by_kind: dict[str, dict[str, ItemRecord]] = {}
    for rec in state.items(client.name, account.name):  # one read of the account's state
        by_kind.setdefault(rec.kind, {})[rec.neutral_id] = rec
    refs = build_refs(state, account, (r for kind in by_kind.values() for r in kind.values()))
    changes: list[Change] = []
    for res in provider.resources:
        records = by_kind.get(res.kind, {})
        wanted, kept = _wanted(account, res, refs, records, cache)
        live: dict[str, Live] = res.read_live(refs) if res.live_read and (wanted or records) else {}
        by_vendor_id = {lv.vendor_id: lv for lv in live.values()}
        unchanged: list[Desired] = []  # of a kind with many alike: applied as they are, no work for apply
        for want in wanted:
            record = records.get(want.id)
            if res.many and not res.live_read and _unchanged(res, want, record):
                unchanged.append(want)
                continue
            change = _decide(account, res, want, record, live, by_vendor_id, refs)
            if change.action == "create":
                refs.plan(res.kind, want.id)
            if res.pure_desired and (change.writes or change.adopt):
                change.details[RETRANSLATE] = True
            if res.many and _plain_noop(change):
                unchanged.append(want)
            else:
                changes.append(change)
        if kept or len(unchanged) > FOLD_OVER:  # tens of thousands of unchanged contacts: a count and a sample
            ids = [i for i, _ in kept[:SAMPLE]] + [w.id for w in unchanged[:SAMPLE]]
            changes.append(Change.folded(client.name, account.name, provider.name, res.kind, "noop",
                                         len(kept) + len(unchanged), ids[:SAMPLE]))
        else:
            changes += [_decide(account, res, w, records.get(w.id), live, by_vendor_id, refs) for w in unchanged]
        wanted_ids = ({w.id for w in wanted} | {i for i, _ in kept}) if records else set()
        for rec in records.values():
            if rec.neutral_id in wanted_ids or not res.prunable:
                continue
            gone = res.live_read and rec.vendor_id not in by_vendor_id
            history = res.history_of(rec.vendor_id, rec.data)
            if history:
                gone, reason = True, f"not in the workspace any more, and {history}: hub forgets it, never deletes it"
            elif gone:
                reason = "gone from the workspace and from the vendor: hub forgets it"
            elif prune:
                reason = "not in the workspace any more"
            else:
                reason = "not in the workspace any more; apply with --prune to delete it"
            changes.append(Change(client.name, account.name, provider.name, res.kind, rec.neutral_id, "delete",
                                  reason=reason, vendor_id=rec.vendor_id, natural_key=rec.natural_key,
                                  details={"vendor_gone": gone}, many=res.many))
    return changes


def _wanted(account: Account, res: Resource, refs: References, records: dict[str, ItemRecord],
            cache: DesiredCache | None) -> tuple[list[Desired], list[tuple[str, str]]]:
    """What `res` wants, as items to decide on and (id, fingerprint) pairs of items found unchanged without
    translating them again: those `cache` kept from the last plan under the same inputs, when every one of them
    is as the state recorded it (anything else and everything is translated afresh)."""
    slot = cache.slot(account, res) if cache is not None and res.many and not res.live_read else None
    if cache is None or slot is None:
        return res.desired(account.client, refs), []
    saved = cache.load(slot)
    if saved is not None and len(saved.plain) > FOLD_OVER and all(
            _recorded(records.get(i), fp) for i, fp in saved.plain):
        return saved.others, saved.plain
    wanted = res.desired(account.client, refs)
    if len(wanted) > FOLD_OVER:  # (a few hundred translate in no time: not worth a file)
        cache.save(slot, wanted)
    return wanted, []


def _recorded(rec: ItemRecord | None, fingerprint: str) -> bool:
    """Applied with this very fingerprint, and finished."""
    return (rec is not None and rec.fingerprint == fingerprint and not rec.has("unknown")
            and not (rec.has("incomplete") and rec.data["incomplete"]))


def _unchanged(res: Resource, want: Desired, rec: ItemRecord | None) -> bool:
    """What `_decide` would call a plain noop for a kind planned against state, told without making the change:
    applied with this very fingerprint, finished, nothing outstanding, nothing to say about it."""
    return (rec is not None and plain(want) and _recorded(rec, want.fingerprint)
            and res.outstanding(want, rec) is None)


def _plain_noop(c: Change) -> bool:
    return (c.action == "noop" and not (c.adopt or c.drift or c.reason or c.details.get("warnings"))
            and c.fidelity == Fidelity.EXACT.value)


def _decide(account: Account, res: Resource, want: Desired, rec: Any, live: dict[str, Live],
            by_vendor_id: dict[str, Live], refs: References) -> Change:
    provider = account.provider
    # `want` is this plan's own (translated, or read from the cache, for it): the change takes its details as they
    # are, not a copy (a dict for each of 50,000 contacts)
    change = Change(account.client.name, account.name, provider.name, res.kind, want.id, "noop",
                    fidelity=want.fidelity.value, reason=want.reason, natural_key=want.natural_key,
                    fingerprint=want.fingerprint, payload=want.payload, details=want.details, many=res.many)
    if want.fidelity == Fidelity.UNSUPPORTED:
        change.action = "unsupported"
        return change

    found = by_vendor_id.get(rec.vendor_id) if rec else None
    if found is None:
        found = live.get(want.natural_key)
    if found is not None:
        change.vendor_id = found.vendor_id
        refs.add(res.kind, want.id, found.vendor_id)
        if found.warnings:
            change.details["warnings"] = found.warnings

    if want.fidelity == Fidelity.MANUAL:
        if found is None:
            change.action = "manual"
            change.reason = want.reason or "build it by hand in the vendor (see the build sheet)"
        else:
            diff = res.compare(want, found)
            if diff:
                change.action, change.drift = "manual", True
                change.reason = f"built, but differs from the workspace: {diff}"
            else:
                change.reason = "verified: built in the vendor as described"
                change.adopt = _record_stale(rec, found, want)
        return change

    if not res.live_read:  # planned against what hub applied last time
        if rec is not None and rec.has("unknown"):
            return _settle_unknown(change, res, want, rec, refs)
        if rec is None:
            change.action = "create"
            return change
        if rec.has("incomplete") and rec.data["incomplete"]:
            change.reason = _join(change.reason, f"not finished last time: {rec.data['incomplete']}")
        change.vendor_id = rec.vendor_id
        if rec.fingerprint != change.fingerprint:
            change.action = "update"
        left = res.outstanding(want, rec)
        if left:
            change.action, change.reason = "update", _join(change.reason, left)
        if change.action == "update":
            change.details["previous"] = rec.data  # what the last push wrote (e.g. the groups a contact left)
        return change

    # hub's own work left half-done (an interrupted create or update), or a create whose outcome is unknown
    unfinished = (rec.data.get("unfinished") or rec.data.get("unknown")) if rec is not None else None
    if found is None:
        change.action = "create"
        if unfinished:
            change.reason = _join(change.reason, f"hub's last apply did not finish it ({unfinished}); hub creates it")
        elif rec is not None:
            change.drift = True
            change.reason = _join(change.reason, "missing in the vendor (deleted outside hub?); hub recreates it")
        return change
    if unfinished and not res.history(found):  # finished, never called drift
        change.action = "update"
        change.reason = _join(change.reason, f"finishing what hub started ({unfinished})")
        return change
    settled = res.history(found)
    if settled:
        change.reason = _join(change.reason, settled)
        change.adopt = _record_stale(rec, found, want)
        return change
    diff = res.compare(want, found)
    if rec is None or rec.vendor_id != found.vendor_id:
        change.adopt = True
        if diff:
            change.action = "update"
            change.reason = _join(change.reason, f"exists in the vendor, adopting it; differs: {diff}")
        else:
            change.reason = _join(change.reason, "exists in the vendor as described; hub adopts it")
        return change
    if rec.fingerprint != change.fingerprint:
        # The workspace changed since hub applied it. Update even when the comparable projection shows no
        # difference: it leaves out what vendors rewrite (an email's HTML), which may be what changed.
        change.action = "update"
        change.reason = _join(change.reason, "changed in the workspace" + (f": {diff}" if diff else ""))
        return change
    if diff:
        change.action, change.drift = "update", True
        change.reason = _join(change.reason, f"changed in the vendor since the last apply: {diff}")
    return change


def _settle_unknown(change: Change, res: Resource, want: Desired, rec: Any, refs: References) -> Change:
    """A write whose outcome was unknown: settled now by what the vendor shows, if it can tell."""
    try:
        found = res.find_write(want, refs, since=datetime.fromisoformat(rec.applied_at.replace("Z", "+00:00")))
    except OutcomeUnknown as exc:
        change.action = "manual"
        change.reason = (f"outcome unknown since {rec.applied_at} ({rec.data['unknown']}): {exc.message}. Check in"
                         f" the vendor, then `hub resolve {change.client} {change.kind}:{change.id} --done` if it"
                         " happened, or `--retry` to make it again")
        return change
    if found is None:
        change.action = "create"
        change.reason = _join(change.reason, "the vendor shows that hub's earlier attempt did not happen")
    else:
        change.vendor_id, change.adopt = found, True
        change.reason = _join(change.reason, "the vendor shows that hub's earlier attempt happened")
    return change


def _record_stale(rec: Any, found: Live, want: Desired) -> bool:
    """Whether apply must (re)record an item it writes nothing for: unknown, re-bound or changed."""
    return rec is None or rec.vendor_id != found.vendor_id or rec.fingerprint != want.fingerprint


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def _account_exit_code(error: HubError | None) -> int:
    if error is None:
        return 0
    # credentials the vendor refused fail this account only; the others were planned (exit 3, each named)
    return int(ExitCode.PARTIAL_FAILURE) if isinstance(error, AuthError) else int(error.exit_code)


def compute_plan(accounts: Iterable[Account], state: StateStore, *, workspace_digest: str, sandbox: bool,
                 prune: bool, clients: list[str], cache: DesiredCache | None = None) -> Plan:
    accounts = list(accounts)
    revision = state.revision
    results: dict[tuple[str, str], list[Change]] = {}
    account_plans: list[AccountPlan] = []

    def one(acc: Account) -> tuple[Account, list[Change] | None, HubError | None]:
        try:
            return acc, plan_account(acc, state, prune=prune, cache=cache), None
        except ConfigError:
            raise
        except HubError as exc:  # one vendor down must not hide every other client's plan
            return acc, None, exc

    with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL_ACCOUNTS, len(accounts)))) as pool:
        for acc, changes, error in pool.map(one, accounts):
            account_plans.append(AccountPlan(acc.client.name, acc.name, acc.provider.name,
                                             without_source(error) if error else "", _account_exit_code(error)))
            if changes is not None:
                results[acc.key] = changes
    ordered = [c for acc in accounts for c in results.get(acc.key, [])]
    return Plan(ordered, account_plans, workspace_digest, revision, sandbox, prune, clients)
