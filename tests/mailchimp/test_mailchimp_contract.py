"""The conformance kit against the Mailchimp provider (official SDK) and its simulator."""

from hub.testing import ProviderContract


class TestMailchimpContract(ProviderContract):
    provider_name = "mailchimp"
