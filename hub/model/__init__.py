"""The neutral model: what a consultant writes, independent of any vendor."""

from .audience import (
    Audience,
    Consent,
    ConsentStatus,
    Contact,
    ContactFile,
    FieldDef,
    FieldType,
    ListDef,
    SegmentDef,
    SegmentRule,
    TagDef,
)
from .automation import Automation, Condition, Enrolment, Step, Trigger, Wait
from .campaign import (
    AudienceRef,
    Campaign,
    Channel,
    EmailContent,
    QuietHours,
    Schedule,
    Sender,
    SmsContent,
    SocialContent,
)
from .workspace import Blueprint, Brand, Client, ClientConfig, HubConfig, Workspace

__all__ = [
    "Audience", "AudienceRef", "Automation", "Blueprint", "Brand", "Campaign", "Channel", "Client",
    "ClientConfig", "Condition", "Consent", "ConsentStatus", "Contact", "ContactFile", "EmailContent", "Enrolment",
    "FieldDef", "FieldType", "HubConfig", "ListDef", "QuietHours", "Schedule", "SegmentDef", "SegmentRule",
    "Sender", "SmsContent", "SocialContent", "Step", "TagDef", "Trigger", "Wait", "Workspace",
]
