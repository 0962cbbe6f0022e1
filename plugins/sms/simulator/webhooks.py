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
from urllib.parse import urlencode


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

    def submit(self, url: str, params: dict[str, str], headers: dict[str, str]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sim-sms-callbacks", daemon=True)
                self._thread.start()
        self._queue.put((url, params, headers))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            url, params, headers = item
            request = urllib.request.Request(url, data=urlencode(params).encode(), method="POST", headers=headers)
            with contextlib.suppress(Exception), urllib.request.urlopen(request, timeout=self.timeout) as resp:
                resp.read()
            self._queue.task_done()
        self._queue.task_done()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait (real time) until every submitted callback was attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                if (remaining := deadline - time.monotonic()) <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=2)
