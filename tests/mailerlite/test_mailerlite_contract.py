"""The conformance kit against the MailerLite provider and its simulator."""

from hub.testing import ProviderContract


class TestMailerLiteContract(ProviderContract):
    provider_name = "mailerlite"
