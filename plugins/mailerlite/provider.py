"""MailerLite: what the vendor can hold and how hub maps onto it (groups, fields, segments verified,
subscribers in bulk, campaigns, automations verified from build sheets, enrolment). The API is in api.py,
the resources in resources.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.plugin import Capability, Channel, Fidelity, Limits, Problem, Provider, RateLimit, Support, lazy

if TYPE_CHECKING:
    from hub.plugin import Client

    from .mapping import MailerLiteTags


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
    Settings = lazy(".api:MailerLiteSettings")
    Api = lazy(".api:MailerLiteApi")
    default_base_url = "https://connect.mailerlite.com/api"
    simulator = "hub_mailerlite.simulator:MailerLiteSimulator"
    resource_types = lazy(".resources:RESOURCE_TYPES")

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "api_key": "sandbox-token"}

    @classmethod
    def merge_tags(cls, client: Client) -> MailerLiteTags:
        from .mapping import merge_tags

        return merge_tags(client)

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
