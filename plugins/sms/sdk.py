"""The official `twilio` SDK, called through hub's shared limits, retries and error mapping.

SDK facts handled here, once (../shared/vendors/mailchimp-twilio.md §3.1-3.2, §4.2): no base-URL option
(a custom `TwilioHttpClient` rewrites every *.twilio.com host, so the absolute `next_page_url`s of the
v1/v2 APIs reach the same place), no default timeout (hub passes one), `TWILIO_EDGE`/`TWILIO_REGION` in
the environment silently rewriting hosts (hub gives the client an empty environment), no retries of its
own, network errors raised raw, and RFC 9457 error bodies raising `TwilioServiceException`, which is not
a `TwilioRestException`. The SDK is imported on first use.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hub.plugin import connection_error, network_errors

if TYPE_CHECKING:
    from .provider import TwilioProvider


def _http_client_class() -> type:
    from twilio.http.http_client import TwilioHttpClient

    class HubTwilioHttpClient(TwilioHttpClient):  # type: ignore[misc]
        """Sends every request meant for *.twilio.com to `base_url` instead (a simulator or a proxy)."""

        def __init__(self, base_url: str | None, timeout: float) -> None:
            super().__init__(timeout=timeout)
            self.base_url = base_url.rstrip("/") if base_url else None
            self.session.trust_env = False  # type: ignore[union-attr]
            self.local = threading.local()  # the last response on this thread: errors drop its headers

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            if self.base_url and parts.hostname and parts.hostname.endswith("twilio.com"):
                url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
            self.local.response = None
            response = super().request(method, url, *args, **kwargs)
            self.local.response = response
            return response

    return HubTwilioHttpClient


class TwilioApi:
    def __init__(self, provider: TwilioProvider) -> None:
        self.provider = provider
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from twilio.rest import Client

                s = self.provider.tw_settings
                user, password = (s.api_key_sid, s.api_key_secret) if s.api_key_sid else (s.account_sid, s.auth_token)
                http = _http_client_class()(self.provider.settings.base_url, self.provider.settings.timeout)
                self._client = Client(user, password.get_secret_value() if password else None,  # type: ignore[union-attr]
                                      account_sid=s.account_sid, http_client=http, environment={})
            return self._client

    def __call__(self, method: str, path: str, fn: Callable[[Any], Any], *, body: Any = None,
                 idempotent: bool | None = None) -> Any:
        """Run `fn(sdk_client)` for `METHOD path` under the account's limits and retries."""
        if idempotent is None:
            idempotent = method in ("GET", "DELETE")

        def run() -> Any:
            from twilio.base.exceptions import TwilioException, TwilioRestException

            try:
                return fn(self.client)
            except TwilioRestException as exc:
                last = getattr(self.client.http_client.local, "response", None)
                headers = last.headers if last is not None and last.headers else {}
                raise self.provider.map_error(int(exc.status), {"code": exc.code, "message": exc.msg},
                                              headers) from None
            except TwilioException as exc:  # TwilioServiceException (RFC 9457 bodies) and list-page errors
                raise self._other_error(exc) from None
            except network_errors() as exc:  # the URL the exception carries is the one really asked
                raise connection_error(exc, provider=self.provider.name, method=method, idempotent=idempotent,
                                       timeout=self.provider.settings.timeout) from None

        return self.provider.http.call(method, path, run, body=body, status=self._status)

    def _status(self) -> int | None:
        """The HTTP status of the call just made on this thread, for the request log."""
        response = getattr(self.client.http_client.local, "response", None)
        return getattr(response, "status_code", None)

    def _other_error(self, exc: Exception) -> Exception:
        """A list page that failed carries the raw response as its second argument; RFC 9457 errors carry
        `status` and `code`."""
        response = exc.args[1] if len(exc.args) > 1 and hasattr(exc.args[1], "status_code") else None
        if response is not None:
            try:
                body = json.loads(response.text or "{}")
            except ValueError:
                body = {"message": response.text}
            return self.provider.map_error(int(response.status_code), body, response.headers or {})
        status = int(getattr(exc, "status", 0) or 0) or 500
        return self.provider.map_error(status, {"code": getattr(exc, "code", None), "message": str(exc)}, {})
