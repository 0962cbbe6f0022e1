"""The conformance kit run against the test vendor (a provider defined in tests/plugins/)."""

from hub.testing import ProviderContract


class TestTestvendorContract(ProviderContract):
    provider_name = "testvendor"
    page_size_hint = 60  # the vendor pages 50 at most
