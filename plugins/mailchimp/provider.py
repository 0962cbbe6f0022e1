"""Mailchimp provider: the client's one audience (lists and tags as tags, merge fields, saved segments,
members in bulk), email campaigns with their social card, and customer journeys for automations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from hub.plugin import Capability, Channel, Fidelity, Limits, Problem, Provider, Support, lazy

if TYPE_CHECKING:
    from hub.plugin import Client, ProviderSettings, Resource

    from .mapping import MailchimpTags


class MailchimpProvider(Provider):
    name = "mailchimp"
    display_name = "Mailchimp"
    docs_url = "https://mailchimp.com/developer/marketing/api/"
    channels = frozenset({Channel.EMAIL, Channel.SOCIAL})
    capabilities = {
        Capability.LISTS: Support(Fidelity.APPROXIMATED, "a list is a tag in the client's Mailchimp audience (or,"
                                  " with `lists_as: audiences`, an audience of its own)"),
        Capability.TAGS: Support(Fidelity.EXACT, "tags in the client's audience"),
        Capability.FIELDS: Support(Fidelity.EXACT, "merge fields (tags of at most 10 characters)"),
        Capability.SEGMENTS: Support(Fidelity.EXACT, "saved segments with conditions"),
        Capability.CONTACTS: Support(Fidelity.EXACT, "batch subscribe, 500 a call; never re-subscribes anyone"),
        Capability.MEMBERS_READ: Support(Fidelity.EXACT, "tag and segment members"),
        Capability.EMAIL_CAMPAIGNS: Support(Fidelity.EXACT, "regular campaigns: content, schedule (UTC, quarter"
                                            " hours), send, unschedule"),
        Capability.SOCIAL: Support(Fidelity.APPROXIMATED, "Mailchimp shares the campaign's archive page with a"
                                   " social card when the email is sent: your text becomes the card's"
                                   " description and its link is the campaign archive, not yours"),
        Capability.AUTOMATIONS: Support(Fidelity.MANUAL, "build a customer journey with an API starting point in"
                                        " the UI; hub binds to it and enrols contacts"),
        Capability.ENROLMENT: Support(Fidelity.EXACT, "the journey's API trigger, once per contact"),
        Capability.STEP_EMAILS: Support(Fidelity.EXACT, "one regular campaign per batch, sent to a tag made for"
                                        " it and named after it; opens and clicks from its email-activity report"),
    }
    limits = Limits(rate=(), max_concurrency=10)  # Mailchimp's limit is 10 simultaneous connections
    Settings = lazy(".api:MailchimpSettings")
    Api = lazy(".api:MailchimpApi")
    simulator = "hub_mailchimp.simulator:MailchimpSimulator"
    resource_types = lazy(".resources:RESOURCE_TYPES")
    audiences_resource_types: ClassVar[Sequence[type[Resource]]] = lazy(".resources:AUDIENCES_RESOURCE_TYPES")

    @classmethod
    def resource_types_for(cls, settings: ProviderSettings) -> Sequence[type[Resource]]:
        if getattr(settings, "lists_as", "tags") == "audiences":
            return cls.audiences_resource_types
        return cls.resource_types

    @classmethod
    def sandbox_settings(cls, base_url: str) -> dict[str, Any]:
        from .simulator import MailchimpSimulator

        return {"base_url": base_url, "api_key": MailchimpSimulator.SANDBOX_KEY,
                "audience_id": MailchimpSimulator.SANDBOX_AUDIENCE}

    # -- validation ----------------------------------------------------------------------------------------
    @classmethod
    def merge_tags(cls, client: Client) -> MailchimpTags:
        from .mapping import merge_tags

        return merge_tags(client)

    @classmethod
    def check_client(cls, client: Client, account: str) -> list[Problem]:
        from . import mapping as m

        problems: list[Problem] = []

        def problem(source: str, message: str) -> None:
            problems.append(Problem.at(source, message, f"clients/{client.name}/client.yaml"))

        seen = {"EMAIL": "Mailchimp's email", **{t: f"the built-in {t}" for t in m.BUILT_IN_TAGS.values()},
                **m.DEFAULT_FIELDS}
        for f in client.audience.fields:
            tag = m.merge_tag_for(f.id)
            if len(tag) > m.MERGE_TAG_MAX:
                problem(f.source, f"field '{f.id}' would be Mailchimp merge tag '{tag}', longer than"
                                  f" {m.MERGE_TAG_MAX} characters; use an id of at most 10 characters")
            elif tag in seen:
                problem(f.source, f"field '{f.id}' would be Mailchimp merge tag '{tag}', already taken by"
                                  f" {seen[tag]}; choose another id")
            seen.setdefault(tag, f"field '{f.id}'")
        names: dict[str, str] = {}
        for kind, items in (("list", client.audience.lists), ("tag", client.audience.tags)):
            for x in items:
                if x.name.lower() in names:
                    problem(x.source, f"{kind} '{x.id}' has the name of {names[x.name.lower()]}; Mailchimp keeps"
                                      " both as tags, so give it a different name")
                names.setdefault(x.name.lower(), f"{kind} '{x.id}'")
        if (client.config.accounts[account].model_extra or {}).get("lists_as") == "audiences":
            for seg in client.audience.segments:
                lists = [r.list for r in seg.rules if r.list]
                if len(lists) != 1 or any(r.not_list for r in seg.rules):
                    problem(seg.source, f"segment '{seg.id}': with lists as audiences a segment lives in one"
                                        " audience; give it exactly one `list:` rule (and no `not_list:`)")
        for c in client.campaigns:
            at = c.schedule.at_utc(client.timezone)
            if at is not None and not m.on_quarter_hour(at):
                problem(c.source, f"campaign '{c.id}' is scheduled at {at:%H:%M} UTC; Mailchimp only schedules on"
                                  " the quarter hour (:00, :15, :30, :45)")
        return problems
