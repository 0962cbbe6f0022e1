"""Requests the Twilio simulator makes to its users' servers: status callbacks and inbound-message webhooks.

Every such request is recorded in the simulator's `callbacks` list at once (so tests can read it without
waiting) and, unless ``deliver_callbacks=False``, POSTed form-encoded from one background thread, in order,
with an ``X-Twilio-Signature`` header computed like the vendor's (HMAC-SHA1 of the URL followed by the
sorted parameter names and values, keyed with the account's auth token, base64). Delivery failures are
ignored, as the vendor ignores them for status callbacks.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import queue
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlencode

USER_AGENT = "TwilioProxy/1.1"


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The ``X-Twilio-Signature`` of a form POST (``twilio.request_validator.RequestValidator`` checks it)."""
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class CallbackSender:
    """One daemon thread that POSTs queued callbacks in order; `flush` waits until the queue is empty."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._queue: queue.Queue[tuple[str, dict[str, str], dict[str, str]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0

    def submit(self, url: str, params: dict[str, str], headers: dict[str, str]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sim-sms-callbacks", daemon=True)
                self._thread.start()
        self._queue.put((url, params, headers))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                url, params, headers = item
                data = urlencode(params).encode("utf-8")
                request = urllib.request.Request(url, data=data, method="POST", headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                        resp.read()
                    self.delivered += 1
                except Exception:  # the vendor ignores failing callback URLs
                    self.failed += 1
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait (real time) until every submitted callback was attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                done.wait(remaining)
        return True

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=2)


class WebhooksMixin:
    """Recording and sending callbacks; the simulator supplies `lock`, `callbacks`, `_sender` and friends."""

    lock: Any
    callbacks: list[dict[str, Any]]
    deliver_callbacks: bool
    _sender: CallbackSender
    _accounts: dict[str, dict[str, Any]]

    def _post_callback(self, account: str, kind: str, url: str, params: dict[str, str], t: float) -> None:
        self.callbacks.append({"kind": kind, "account": account, "url": url, "params": params, "time": t})
        if not self.deliver_callbacks or not url.lower().startswith(("http://", "https://")):
            return
        token = self._accounts.get(account, {}).get("auth_token", "")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
            "X-Twilio-Signature": signature(token, url, params),
        }
        self._sender.submit(url, params, headers)

    def flush_callbacks(self, timeout: float = 5.0) -> bool:
        """Wait (real time) until every recorded callback has been POSTed (or failed); False on timeout."""
        return self._sender.flush(timeout)

    def status_callbacks(self, sid: str | None = None) -> list[dict[str, str]]:
        """The parameters of the status callbacks recorded so far (of one message when `sid` is given)."""
        with self.lock:
            return [
                dict(c["params"])
                for c in self.callbacks
                if c["kind"] == "status" and (sid is None or c["params"].get("MessageSid") == sid)
            ]

    def _close_callbacks(self) -> None:
        with contextlib.suppress(Exception):
            self._sender.close()
