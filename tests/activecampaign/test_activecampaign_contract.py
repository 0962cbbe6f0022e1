"""The conformance kit against the ActiveCampaign provider and its simulator."""

from hub.testing import ProviderContract


class TestActiveCampaignContract(ProviderContract):
    provider_name = "activecampaign"
