"""ActiveCampaign: what the vendor can hold and how hub maps onto it (lists, tags, custom fields, segments
verified, contacts through bulk imports, email campaigns, automations verified from build sheets,
enrolments). The API (v3 and v1) is in api.py, the resources in resources.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.plugin import Capability, Channel, Fidelity, Limits, Problem, Provider, RateLimit, Support, lazy

if TYPE_CHECKING:
    from hub.plugin import Client

    from .mapping import ActiveCampaignTags


class ActiveCampaignProvider(Provider):
    name = "activecampaign"
    display_name = "ActiveCampaign"
    docs_url = "https://developers.activecampaign.com/reference/overview"
    channels = frozenset({Channel.EMAIL})
    capabilities = {
        Capability.LISTS: Support(Fidelity.EXACT, "lists"),
        Capability.TAGS: Support(Fidelity.EXACT, "contact tags (names unique whatever their case)"),
        Capability.FIELDS: Support(Fidelity.EXACT, "custom fields; merge tags %PERSTAG%"),
        Capability.SEGMENTS: Support(Fidelity.MANUAL, "the API cannot create segments: build sheet + verified by name"),
        Capability.CONTACTS: Support(Fidelity.EXACT, "bulk import, 250 a call; never re-subscribes"),
        Capability.MEMBERS_READ: Support(Fidelity.EXACT, "list and segment members with their list status"),
        Capability.EMAIL_CAMPAIGNS: Support(Fidelity.EXACT, "v1 message_add + campaign_create; v3 for status and"
                                                            " counters"),
        Capability.AUTOMATIONS: Support(Fidelity.MANUAL, "build it in the UI; hub verifies it by name and enrols"
                                                         " contacts"),
        Capability.ENROLMENT: Support(Fidelity.EXACT, "contactAutomations, once per contact"),
        Capability.STEP_EMAILS: Support(Fidelity.EXACT, "a list per batch (contactLists, or a bulk import past 10)"
                                                        " and a v1 campaign sent now, found again by name; opens"
                                                        " and clicks from the v1 report lists"),
    }
    # 5 requests a second per account, v1 included; bulk imports also count against 100 a minute
    limits = Limits(rate=(RateLimit("default", 5, 1.0), RateLimit("import", 100, 60.0)), max_concurrency=2)
    Settings = lazy(".api:ActiveCampaignSettings")
    Api = lazy(".api:ActiveCampaignApi")
    simulator = "hub_activecampaign.simulator:ActiveCampaignSimulator"
    resource_types = lazy(".resources:RESOURCE_TYPES")

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        # the simulator's token; its accounts keep the simulator's default timezone
        return {"base_url": base_url, "api_key": "sandbox-token", "account_timezone": "America/Chicago"}

    # -- validation ---------------------------------------------------------------------------------------
    @classmethod
    def merge_tags(cls, client: Client) -> ActiveCampaignTags:
        from .mapping import merge_tags

        return merge_tags(client)

    @classmethod
    def check_client(cls, client: Client, account: str) -> list[Problem]:
        from .mapping import perstag_problem

        problems = []
        for f in client.audience.fields:
            why = perstag_problem(f.id)
            if why:
                problems.append(Problem.at(f.source, why, f"clients/{client.name}"))
        return problems
