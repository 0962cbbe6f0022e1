"""MailerLite: what the vendor can hold and how hub maps onto it (groups, fields, segments verified,
subscribers in bulk, campaigns, automations verified from build sheets, enrolment). The API is in api.py,
the resources in resources.py."""

from __future__ import annotations

from typing import Any

from hub.plugin import (
    Capability,
    Channel,
    Client,
    Fidelity,
    Limits,
    Problem,
    Provider,
    RateLimit,
    RunnerAutomationResource,
    Support,
)

from . import mapping as m
from .api import MailerLiteApi, MailerLiteSettings
from .resources import (
    AutomationResource,
    CampaignResource,
    ContactResource,
    EnrolmentResource,
    FieldResource,
    ListResource,
    SegmentResource,
    TagResource,
)


class MailerLiteProvider(Provider):
    name = "mailerlite"
    display_name = "MailerLite"
    docs_url = "https://developers.mailerlite.com/docs/"
    channels = frozenset({Channel.EMAIL})
    capabilities = {
        Capability.LISTS: Support(Fidelity.EXACT, "lists are MailerLite groups"),
        Capability.TAGS: Support(Fidelity.APPROXIMATED, "MailerLite has no tags: each tag becomes a group"),
        Capability.FIELDS: Support(Fidelity.EXACT, "custom fields (text, number, date)"),
        Capability.SEGMENTS: Support(Fidelity.MANUAL, "the API cannot create segments: build sheet + verified by name"),
        Capability.CONTACTS: Support(Fidelity.EXACT, "upserted 50 per /batch; unsubscribed and bounced stay so"),
        Capability.MEMBERS_READ: Support(Fidelity.EXACT, "group and segment members"),
        Capability.EMAIL_CAMPAIGNS: Support(Fidelity.EXACT, "regular campaigns: draft, schedule, send, cancel"),
        Capability.AUTOMATIONS: Support(Fidelity.MANUAL, "read-only by API: build sheet + verification"),
        Capability.ENROLMENT: Support(Fidelity.EXACT, "by joining the automation's trigger group"),
        Capability.STEP_EMAILS: Support(Fidelity.EXACT, "one regular campaign sent at once to a group made for"
                                        " the batch (deleted once sent); opens and clicks from its report"),
    }
    limits = Limits(rate=(RateLimit("default", 120, 60.0), RateLimit("import", 5, 60.0)), max_concurrency=4)
    Settings = MailerLiteSettings
    Api = MailerLiteApi
    default_base_url = "https://connect.mailerlite.com/api"
    simulator = "hub_mailerlite.simulator:MailerLiteSimulator"
    resource_types = (ListResource, TagResource, FieldResource, SegmentResource, ContactResource,
                      CampaignResource, AutomationResource, EnrolmentResource, RunnerAutomationResource)

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "api_key": "sandbox-token"}

    @classmethod
    def merge_tags(cls, client: Client) -> m.MailerLiteTags:
        return m.merge_tags(client)

    @classmethod
    def check_client(cls, client: Client, account: str) -> list[Problem]:
        problems = []
        lists = {x.name.lower(): x for x in client.audience.lists}
        for tag in client.audience.tags:
            if tag.name.lower() in lists:
                problems.append(Problem.at(tag.source, f"tag '{tag.id}' is named like list"
                                           f" '{lists[tag.name.lower()].id}'; MailerLite keeps both as groups, so"
                                           " give the tag a different name", f"clients/{client.name}"))
        return problems
