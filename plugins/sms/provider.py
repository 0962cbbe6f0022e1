"""SMS (Twilio): what the vendor can hold and how hub maps onto it: campaigns as one text per recipient
through a Messaging Service or a number, SMS-only automations as Studio Flows, enrolment as Studio
executions. The API is in api.py, the resources in resources.py (campaigns in campaigns.py)."""

from __future__ import annotations

from typing import Any

from hub.plugin import Capability, Channel, Fidelity, Limits, Provider, Support, lazy


class TwilioProvider(Provider):
    name = "sms"
    display_name = "Twilio SMS"
    docs_url = "https://www.twilio.com/docs/messaging"
    channels = frozenset({Channel.SMS})
    capabilities = {
        Capability.SMS_CAMPAIGNS: Support(Fidelity.EXACT, "one text per recipient, exactly once; quiet hours in"
                                          " each recipient's timezone; scheduled up to 35 days ahead"),
        Capability.AUTOMATIONS: Support(Fidelity.EXACT, "SMS-only automations as Studio Flows"),
        Capability.ENROLMENT: Support(Fidelity.EXACT, "a Studio execution per contact, once"),
    }
    # Twilio limits the requests an account has in flight (20429), not their rate; texts are paced at the
    # senders' throughput ("send", set once the senders are known)
    limits = Limits(max_concurrency=8)
    Settings = lazy(".api:TwilioSettings")
    Api = lazy(".api:TwilioApi")
    default_base_url = "https://api.twilio.com"
    simulator = "hub_sms.simulator:TwilioSimulator"
    resource_types = lazy(".resources:RESOURCE_TYPES")

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        from .simulator import TwilioSimulator as Sim

        return {"base_url": base_url, "account_sid": Sim.SANDBOX_ACCOUNT_SID, "auth_token": Sim.SANDBOX_AUTH_TOKEN,
                "messaging_service_sid": Sim.SANDBOX_MESSAGING_SERVICE_SID}
