"""The official `mailchimp-marketing` SDK, called through hub's shared limits, retries and error mapping.

SDK quirks handled here, once (../shared/vendors/mailchimp-twilio.md §1.2, §4.1): error text that is a
str (problem+json) or a dict, error responses with an empty body returned instead of raised, 204s
returned as `requests.Response` objects, no retries of its own, a 120 s default timeout, the rewrite of
every `server` substring in the URL (hub sets the host itself and turns the rewrite off), and errors that
drop the response headers (hub keeps the last response per thread, so a 429's Retry-After is honoured).
The SDK is imported on first use, so that `hub --help` never pays for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.plugin import connection_error

if TYPE_CHECKING:
    from .provider import MailchimpProvider


class MailchimpApi:
    def __init__(self, provider: MailchimpProvider) -> None:
        self.provider = provider
        self._client: Any = None
        self._lock = threading.Lock()
        self._last = threading.local()  # the last raw response on this thread

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import mailchimp_marketing

                settings = self.provider.settings
                client = mailchimp_marketing.Client()
                client.set_config({"api_key": settings.api_key.get_secret_value(),  # type: ignore[attr-defined]
                                   "server": self.provider.data_centre, "timeout": settings.timeout})
                client.api_client.host = self.provider.base_url  # after set_config, which resets it
                client.api_client.server = ""  # no `server` substring rewrite: the host is already right
                send = client.api_client.request

                def request(*args: Any, **kwargs: Any) -> Any:
                    self._last.response = None
                    response = send(*args, **kwargs)
                    self._last.response = response
                    return response

                client.api_client.request = request
                self._client = client
            return self._client

    def __call__(self, method: str, path: str, fn: Callable[[Any], Any], *, body: Any = None,
                 idempotent: bool | None = None) -> Any:
        """Run `fn(sdk_client)` for `METHOD path` with limits and retries; returns the parsed body or None."""
        if idempotent is None:
            idempotent = method in ("GET", "PUT", "DELETE", "PATCH")

        def run() -> Any:
            from mailchimp_marketing.api_client import ApiClientError

            try:
                result = fn(self.client)
            except ApiClientError as exc:
                raise self._error(exc, method, path, idempotent) from None
            return self._result(result)

        return self.provider.http.call(method, path, run, body=body, status=self._status)

    def _status(self) -> int | None:
        """The HTTP status of the call just made on this thread, for the request log."""
        response = getattr(self._last, "response", None)
        return getattr(response, "status_code", None)

    def _result(self, result: Any) -> Any:
        import requests

        if isinstance(result, requests.Response):  # 204s, and error replies without a body
            if result.status_code >= 400:
                raise self.provider.map_error(result.status_code, _body(result.text), result.headers)
            return None
        return result

    def _error(self, exc: Any, method: str, path: str, idempotent: bool) -> Exception:
        if exc.status_code is None:  # a network failure: `text` is the requests exception
            cause = exc.text if isinstance(exc.text, BaseException) else exc
            url = f"{self.provider.base_url}/{path.lstrip('/')}"
            return connection_error(cause, provider=self.provider.name, method=method, url=url,
                                    idempotent=idempotent, timeout=self.provider.settings.timeout)
        body = exc.text if isinstance(exc.text, dict) else _body(exc.text)
        response = getattr(self._last, "response", None)
        return self.provider.map_error(int(exc.status_code), body, response.headers if response is not None else {})


def _body(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
