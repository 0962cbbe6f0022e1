"""The official `twilio` SDK, called through hub's shared limits, retries and error mapping.

SDK facts handled here, once (../shared/vendors/mailchimp-twilio.md §3.1-3.2, §4.2): no base-URL option
(a custom `TwilioHttpClient` rewrites every *.twilio.com host, so the absolute `next_page_url`s of the
v1/v2 APIs reach the same place), no default timeout (hub passes one), `TWILIO_EDGE`/`TWILIO_REGION` in
the environment silently rewriting hosts (hub gives the client an empty environment), no retries of its
own, network errors raised raw, and RFC 9457 error bodies raising `TwilioServiceException`, which is not
a `TwilioRestException`. The rest (the client built on first use, the last response per thread, limits
and retries, network errors) is `hub.plugin.SdkAdapter`'s.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hub.plugin import SdkAdapter, SdkCall

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

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            if self.base_url and parts.hostname and parts.hostname.endswith("twilio.com"):
                url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
            return super().request(method, url, *args, **kwargs)

    return HubTwilioHttpClient


class TwilioApi(SdkAdapter):
    provider: TwilioProvider

    def build_client(self) -> Any:
        from twilio.rest import Client

        s = self.provider.tw_settings
        user, password = (s.api_key_sid, s.api_key_secret) if s.api_key_sid else (s.account_sid, s.auth_token)
        http = _http_client_class()(self.provider.settings.base_url, self.provider.settings.timeout)
        http.request = self.recorded(http.request)  # errors drop the response: its headers are read from here
        return Client(user, password.get_secret_value() if password else None,  # type: ignore[union-attr]
                      account_sid=s.account_sid, http_client=http, environment={})

    def translate(self, exc: Exception, call: SdkCall) -> Exception | None:
        # Network errors come raw, not as the SDK's: the adapter classifies them (with the URL they carry,
        # the one really asked after the host rewrite).
        from twilio.base.exceptions import TwilioException, TwilioRestException

        if isinstance(exc, TwilioRestException):
            return self.refused(call, int(exc.status), {"code": exc.code, "message": exc.msg})
        if isinstance(exc, TwilioException):  # TwilioServiceException (RFC 9457 bodies) and list-page errors
            return self._other_error(exc, call)
        return None

    def _other_error(self, exc: Exception, call: SdkCall) -> Exception:
        """A list page that failed carries the raw response as its second argument; RFC 9457 errors carry
        `status` and `code`."""
        response = exc.args[1] if len(exc.args) > 1 and hasattr(exc.args[1], "status_code") else None
        if response is not None:
            try:
                body = json.loads(response.text or "{}")
            except ValueError:
                body = {"message": response.text}
            return self.refused(call, int(response.status_code), body, response.headers or {})
        status = int(getattr(exc, "status", 0) or 0) or 500
        return self.refused(call, status, {"code": getattr(exc, "code", None), "message": str(exc)}, {})
