"""What a kind of many alike (contacts) wants, kept between plans in the state folder's `cache/`.

Translating 64,000 contacts into vendor payloads and fingerprinting each is most of a no-edit plan. A resource
that declares `Resource.pure_desired` promises that what its `desired` answers depends on nothing but the files of
the client's folder, hub.yaml and the blueprints, the client's opt-outs and the code of hub and of its plugin.
The answer is saved under a key made of exactly those, and the next plan with the same key takes the saved ids and
fingerprints instead of translating again. The plan still compares every one with the state, item by item: only
the workspace's side is kept. A client that is migrating (its contacts carry a source vendor's, read live) is
never cached, nor is anything when the files cannot be read; a cache that cannot be read or written is not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..provider import Desired, Fidelity, Resource
from ..routing import source_accounts
from ..workspace.contact_cache import checking_code
from ..workspace.loader import workspace_files
from .accounts import Account

FORMAT = 1
_code_digests: dict[Path, str] = {}
_lock = threading.Lock()


@dataclass
class Wanted:
    """A saved `desired`: the items `_decide` would find plain (exact, nothing to say) as (id, fingerprint)
    pairs, and the others whole."""

    plain: list[tuple[str, str]]
    others: list[Desired]


@dataclass(frozen=True)
class Slot:
    path: Path  # one file per client, account and kind: a new answer replaces the old
    key: str


def plain(want: Desired) -> bool:
    return want.fidelity is Fidelity.EXACT and not want.reason and not want.details.get("warnings")


class DesiredCache:
    def __init__(self, root: Path, directory: Path) -> None:
        self.root = root
        self.directory = directory
        self._client_digests: dict[str, str | None] = {}

    def slot(self, account: Account, res: Resource) -> Slot | None:
        """Where what `res` of `account` wants is kept, under the key of its inputs now; None when it may not be."""
        client = account.client
        services = res.api.ctx.services
        if (not res.pure_desired or services is None or source_accounts(client)
                or type(res).outstanding is not Resource.outstanding):  # (work beyond the workspace's: not kept)
            return None
        files = self._client_digest(client.name)
        if files is None:
            return None
        h = hashlib.sha256(b"%d\0%s\0%s\0%s\0" % (FORMAT, account.name.encode(), res.kind.encode(), files.encode()))
        h.update(_code(Path(__file__).resolve().parent.parent).encode())
        h.update(checking_code().encode())  # the libraries contacts are checked with (a phone written anew)
        h.update(_code(_package_of(type(res))).encode())
        for channel in ("sms", "email"):
            h.update(json.dumps(sorted(services.optouts(channel).items())).encode())
        return Slot(self.directory / f"desired-{client.name}-{account.name}-{res.kind}.json", h.hexdigest())

    def load(self, slot: Slot) -> Wanted | None:
        try:
            with slot.path.open(encoding="utf-8") as fh:
                doc = json.load(fh)
            if doc["key"] != slot.key:
                return None
            others = [Desired(d["id"], d["natural_key"], d["payload"], Fidelity(d["fidelity"]), d["reason"],
                              d["details"]) for d in doc["others"]]
            return Wanted([(i, f) for i, f in doc["plain"]], others)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, slot: Slot, wanted: list[Desired]) -> None:
        others = [{"id": w.id, "natural_key": w.natural_key, "payload": w.payload, "fidelity": w.fidelity.value,
                   "reason": w.reason, "details": w.details} for w in wanted if not plain(w)]
        doc = {"key": slot.key, "plain": [[w.id, w.fingerprint] for w in wanted if plain(w)], "others": others}
        with contextlib.suppress(OSError, TypeError, ValueError):
            text = json.dumps(doc)
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix="desired-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, slot.path)
            except OSError:
                os.unlink(tmp)
                raise

    def _client_digest(self, client: str) -> str | None:
        """Every file of the client's folder, hub.yaml and the blueprints (what a client is loaded from)."""
        with _lock:
            if client not in self._client_digests:
                self._client_digests[client] = self._digest_files(client)
            return self._client_digests[client]

    def _digest_files(self, client: str) -> str | None:
        h = hashlib.sha256()
        try:
            for path in workspace_files(self.root):
                rel = path.relative_to(self.root)
                if rel.parts[0] == "clients" and (len(rel.parts) < 3 or rel.parts[1] != client):
                    continue
                data = path.read_bytes()
                name = rel.as_posix().encode()
                h.update(b"%d:%s\0%d:" % (len(name), name, len(data)))
                h.update(data)
        except OSError:
            return None
        return h.hexdigest()


def _package_of(cls: type) -> Path:
    module = sys.modules[cls.__module__]
    return Path(module.__file__ or ".").resolve().parent


def _code(package: Path) -> str:
    """The Python source of a package (hub's own, or a plugin's): a new version translates afresh."""
    with _lock:
        if package not in _code_digests:
            h = hashlib.sha256()
            for path in sorted(package.rglob("*.py")):
                h.update(path.relative_to(package).as_posix().encode() + b"\0")
                h.update(path.read_bytes())
            _code_digests[package] = h.hexdigest()
        return _code_digests[package]
