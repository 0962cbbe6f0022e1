"""Everything a provider plugin may use from hub, in one place: `from hub.plugin import Resource, ...`.

A plugin imports from here, from `hub.simulator` (the kit its simulator is built on), from `hub.testing`
(the conformance kit) and `hookimpl` from `hub` (its `__init__` runs whenever hub starts, so it stays
light); nothing else of hub's: what is not listed here may change without notice.
`tests/test_architecture.py` holds every built-in plugin to it. `from hub import X` still works for
every name here.

Each name is imported from its module on first use, so that a plugin's provider.py, which takes only the light
names (`Provider`, `Capability`, `lazy`, ...), loads neither the workspace model nor the HTTP transport: every
command loads the plugins, `hub providers list` and `hub --help` included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exports import on_first_use

if TYPE_CHECKING:  # for type checkers: the names of __all__ and _EXPORTS (a test holds the three equal)
    from .channel import Channel
    from .clock import Clock
    from .content import automation_emails, email_html, email_text
    from .errors import (
        AmbiguousWrite,
        AuthError,
        ConfigError,
        HubError,
        NotFound,
        NotSupported,
        OutcomeUnknown,
        Problem,
        ProviderError,
        RateLimited,
        Unavailable,
        VendorValidationError,
    )
    from .hookspecs import hookimpl
    from .model import (
        Automation,
        Campaign,
        Client,
        ConsentStatus,
        Contact,
        EmailContent,
        QuietHours,
        SegmentDef,
        SegmentRule,
        Step,
    )
    from .model.base import slugify, timezone_problem, unique_id
    from .model.personalisation import CONTACT_VARIABLES, KeyedMergeTags, MergeTagTranslator, Variable, render
    from .provider import (
        Desired,
        EmailActivity,
        InboundText,
        ItemResult,
        Live,
        ProviderContext,
        ProviderSettings,
        References,
        Resource,
        SharedRead,
        StepEmail,
        StepText,
        VendorApi,
        describe_difference,
        fingerprint,
        sent_campaign,
    )
    from .provider_description import Capability, Fidelity, Provider, Support, lazy
    from .registry import ProviderRegistry
    from .report.figures import Metric, Result, Sent
    from .resource_bases import (
        EnrolmentResourceBase,
        ManualAutomationResource,
        ManualSegmentResource,
        ManualTrigger,
        SharedCollectionResource,
        SocialPostResourceBase,
    )
    from .runner.resource import RunnerAutomationResource
    from .services import AccountServices, DeliveryLedger, DeliveryRow
    from .sheets import email_step_reference, sms_step_line
    from .smstext import MAX_CHARACTERS, Overrun, count_segments, recipient_values
    from .social import SocialPost, all_posts, flatten_markdown, is_url
    from .state.store import Delivery
    from .transport.errors import connection_error, default_error, network_errors, retry_after_seconds
    from .transport.limits import Limits, RateLimit
    from .transport.paging import (
        Page,
        by_cursor,
        by_next_url,
        by_offset,
        by_page_number,
        every_item,
        find_ids,
        under,
    )
    from .transport.sdk import SdkAdapter, SdkCall
    from .transport.wire import Wire, form_pairs
    from .work_slots import WorkSlots

_EXPORTS: dict[str, tuple[str, ...]] = {  # module: the names it gives the plugin API
    ".channel": ("Channel",),
    ".clock": ("Clock",),
    ".content": ("automation_emails", "email_html", "email_text"),
    ".errors": ("AmbiguousWrite", "AuthError", "ConfigError", "HubError", "NotFound", "NotSupported", "OutcomeUnknown",
                "Problem", "ProviderError", "RateLimited", "Unavailable", "VendorValidationError"),
    ".hookspecs": ("hookimpl",),
    ".model": ("Automation", "Campaign", "Client", "ConsentStatus", "Contact", "EmailContent", "QuietHours",
               "SegmentDef", "SegmentRule", "Step"),
    ".model.base": ("slugify", "timezone_problem", "unique_id"),
    ".model.personalisation": ("CONTACT_VARIABLES", "KeyedMergeTags", "MergeTagTranslator", "Variable", "render"),
    ".provider": ("Desired", "EmailActivity", "InboundText", "ItemResult", "Live", "ProviderContext",
                  "ProviderSettings", "References", "Resource", "SharedRead", "StepEmail", "StepText", "VendorApi",
                  "describe_difference", "fingerprint", "sent_campaign"),
    ".provider_description": ("Capability", "Fidelity", "Provider", "Support", "lazy"),
    ".registry": ("ProviderRegistry",),
    ".report.figures": ("Metric", "Result", "Sent"),
    ".resource_bases": ("EnrolmentResourceBase", "ManualAutomationResource", "ManualSegmentResource", "ManualTrigger",
                        "SharedCollectionResource", "SocialPostResourceBase"),
    ".runner.resource": ("RunnerAutomationResource",),
    ".services": ("AccountServices", "DeliveryLedger", "DeliveryRow"),
    ".sheets": ("email_step_reference", "sms_step_line"),
    ".smstext": ("MAX_CHARACTERS", "Overrun", "count_segments", "recipient_values"),
    ".social": ("SocialPost", "all_posts", "flatten_markdown", "is_url"),
    ".state.store": ("Delivery",),
    ".transport.errors": ("connection_error", "default_error", "network_errors", "retry_after_seconds"),
    ".transport.limits": ("Limits", "RateLimit"),
    ".transport.paging": ("Page", "by_cursor", "by_next_url", "by_offset", "by_page_number", "every_item", "find_ids",
                          "under"),
    ".transport.sdk": ("SdkAdapter", "SdkCall"),
    ".transport.wire": ("Wire", "form_pairs"),
    ".work_slots": ("WorkSlots",),
}

__all__ = [
    "CONTACT_VARIABLES",
    "MAX_CHARACTERS",
    "AccountServices",
    "AmbiguousWrite",
    "AuthError",
    "Automation",
    "Campaign",
    "Capability",
    "Channel",
    "Client",
    "Clock",
    "ConfigError",
    "ConsentStatus",
    "Contact",
    "Delivery",
    "DeliveryLedger",
    "DeliveryRow",
    "Desired",
    "EmailActivity",
    "EmailContent",
    "EnrolmentResourceBase",
    "Fidelity",
    "HubError",
    "InboundText",
    "ItemResult",
    "KeyedMergeTags",
    "Limits",
    "Live",
    "ManualAutomationResource",
    "ManualSegmentResource",
    "ManualTrigger",
    "MergeTagTranslator",
    "Metric",
    "NotFound",
    "NotSupported",
    "OutcomeUnknown",
    "Overrun",
    "Page",
    "Problem",
    "Provider",
    "ProviderContext",
    "ProviderError",
    "ProviderRegistry",
    "ProviderSettings",
    "QuietHours",
    "RateLimit",
    "RateLimited",
    "References",
    "Resource",
    "Result",
    "RunnerAutomationResource",
    "SdkAdapter",
    "SdkCall",
    "SegmentDef",
    "SegmentRule",
    "Sent",
    "SharedCollectionResource",
    "SharedRead",
    "SocialPost",
    "SocialPostResourceBase",
    "Step",
    "StepEmail",
    "StepText",
    "Support",
    "Unavailable",
    "Variable",
    "VendorApi",
    "VendorValidationError",
    "Wire",
    "WorkSlots",
    "all_posts",
    "automation_emails",
    "by_cursor",
    "by_next_url",
    "by_offset",
    "by_page_number",
    "connection_error",
    "count_segments",
    "default_error",
    "describe_difference",
    "email_html",
    "email_step_reference",
    "email_text",
    "every_item",
    "find_ids",
    "fingerprint",
    "flatten_markdown",
    "form_pairs",
    "hookimpl",
    "is_url",
    "lazy",
    "network_errors",
    "recipient_values",
    "render",
    "retry_after_seconds",
    "sent_campaign",
    "slugify",
    "sms_step_line",
    "timezone_problem",
    "under",
    "unique_id",
]

_HOME = {name: module for module, names in _EXPORTS.items() for name in names}
__getattr__ = on_first_use(__name__, _HOME)
