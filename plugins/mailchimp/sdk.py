"""The official `mailchimp-marketing` SDK, called through hub's shared limits, retries and error mapping.

SDK quirks handled here, once (../shared/vendors/mailchimp-twilio.md §1.2, §4.1): error text that is a
str (problem+json) or a dict, error responses with an empty body returned instead of raised, 204s
returned as `requests.Response` objects, no retries of its own, a 120 s default timeout, the rewrite of
every `server` substring in the URL (hub sets the host itself and turns the rewrite off), and errors that
drop the response headers (the adapter records each response, so a 429's Retry-After is honoured). The
rest (the client built on first use, limits and retries, network errors) is `hub.plugin.SdkAdapter`'s.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hub.plugin import SdkAdapter, SdkCall

if TYPE_CHECKING:
    from .provider import MailchimpProvider


class MailchimpApi(SdkAdapter):
    provider: MailchimpProvider

    def build_client(self) -> Any:
        import mailchimp_marketing

        settings = self.provider.settings
        client = mailchimp_marketing.Client()
        client.set_config({"api_key": settings.api_key.get_secret_value(),  # type: ignore[attr-defined]
                           "server": self.provider.data_centre, "timeout": settings.timeout})
        client.api_client.host = self.provider.base_url  # after set_config, which resets it
        client.api_client.server = ""  # no `server` substring rewrite: the host is already right
        client.api_client.request = self.recorded(client.api_client.request)
        return client

    def result(self, value: Any, call: SdkCall) -> Any:
        import requests

        if isinstance(value, requests.Response):  # 204s, and error replies without a body
            if value.status_code >= 400:
                raise self.refused(call, value.status_code, _body(value.text), value.headers)
            return None
        return value

    def translate(self, exc: Exception, call: SdkCall) -> Exception | None:
        from mailchimp_marketing.api_client import ApiClientError

        if not isinstance(exc, ApiClientError):
            return None
        if exc.status_code is None:  # a network failure: `text` is the requests exception
            cause = exc.text if isinstance(exc.text, BaseException) else exc
            return self.lost(call, cause, url=f"{self.provider.base_url}/{call.path.lstrip('/')}")
        body = exc.text if isinstance(exc.text, dict) else _body(exc.text)
        return self.refused(call, int(exc.status_code), body)


def _body(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
